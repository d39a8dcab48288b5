//===- OnnxImporter.cpp - ONNX ModelProto -> pare IR ----------------------===//
//
// Error policy (as onnx-mlir's): anything wrong with the user's model or flags
// is reported with emitError at the offending node (or the model file) and
// turned into failure(); compiler invariants are asserts.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxImporter.h"
#include "frontends/InputFiles.h"
#include "frontends/onnx/NodeImporter.h"

#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/IR/PareOps.h"
#include "dialects/Pare/IR/ShapeInference.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "onnx/defs/parser.h"
#include "onnx/defs/schema.h"

#include <fstream>
#include <set>
#include <sstream>

using namespace mlir;

namespace pare::onnx_frontend {

//===----------------------------------------------------------------------===//
// Handler table
//===----------------------------------------------------------------------===//

static std::map<std::string, std::map<int, OpHandler>> &table() {
  static std::map<std::string, std::map<int, OpHandler>> t;
  return t;
}

void registerHandler(const std::string &opType, int sinceVersion, OpHandler h) {
  table()[opType][sinceVersion] = std::move(h);
}

static void ensureRegistered() {
  static bool done = [] {
    registerMathHandlers();
    registerNNHandlers();
    registerLlmHandlers();
    registerQuantHandlers();
    registerTensorHandlers();
    return true;
  }();
  (void)done;
}

const std::map<std::string, std::map<int, OpHandler>> &handlerTable() {
  ensureRegistered();
  return table();
}

const OpHandler *lookupHandler(const std::string &opType, int opset) {
  ensureRegistered();
  auto it = table().find(opType);
  if (it == table().end())
    return nullptr;
  auto v = it->second.upper_bound(opset);
  if (v == it->second.begin())
    return nullptr;
  return &std::prev(v)->second;
}

std::vector<std::string> supportedOps() {
  std::vector<std::string> lines;
  for (auto &[name, versions] : handlerTable()) {
    std::string line = name + " ";
    bool first = true;
    for (auto &[v, h] : versions) {
      line += (first ? "" : ",") + std::to_string(v);
      first = false;
    }
    lines.push_back(line);
  }
  return lines;
}

//===----------------------------------------------------------------------===//
// NodeImporter
//===----------------------------------------------------------------------===//

Value NodeImporter::input(size_t i) {
  markInput(i);
  if (!hasInput(i))
    return {};
  auto it = values.find(node.input(i));
  return it == values.end() ? Value() : it->second;
}

DenseElementsAttr NodeImporter::constInput(size_t i) {
  Value v = input(i);
  DenseElementsAttr attr;
  if (v && matchPattern(v, m_Constant(&attr)))
    return attr;
  return {};
}

FailureOr<std::vector<int64_t>> NodeImporter::constInts(size_t i, StringRef what) {
  DenseElementsAttr attr = constInput(i);
  if (!attr || !isa<IntegerType>(attr.getElementType())) {
    (void)error(Twine(what) + " (input " + Twine(i) +
                ") must be an integer tensor known at compile time; pare "
                "needs static shapes (fix symbolic input dims with --input-shape)");
    return failure();
  }
  std::vector<int64_t> out;
  for (APInt v : attr.getValues<APInt>())
    out.push_back(v.getSExtValue());
  return out;
}

FailureOr<std::vector<double>> NodeImporter::constFloats(size_t i, StringRef what) {
  DenseElementsAttr attr = constInput(i);
  if (!attr) {
    (void)error(Twine(what) + " (input " + Twine(i) + ") must be known at compile time");
    return failure();
  }
  if (!isa<FloatType, IntegerType>(attr.getElementType())) {
    (void)error(Twine(what) + " (input " + Twine(i) + ") must be a number tensor");
    return failure();
  }
  std::vector<double> out;
  if (isa<FloatType>(attr.getElementType())) {
    for (APFloat v : attr.getValues<APFloat>()) {
      bool lost;
      v.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
      out.push_back(v.convertToDouble());
    }
  } else {
    bool isUnsigned = attr.getElementType().isUnsignedInteger();
    for (APInt v : attr.getValues<APInt>())
      out.push_back(isUnsigned ? double(v.getZExtValue()) : double(v.getSExtValue()));
  }
  return out;
}

/// The one value of a constant operand read as a list (`values`).
template <typename T>
static FailureOr<T> single(NodeImporter &ni, FailureOr<std::vector<T>> values, size_t i,
                           StringRef what) {
  if (failed(values))
    return failure();
  if (values->size() != 1) {
    (void)ni.error(Twine(what) + " (input " + Twine(i) + ") must hold one value, not " +
                   Twine(values->size()));
    return failure();
  }
  return values->front();
}

FailureOr<int64_t> NodeImporter::constScalarInt(size_t i, StringRef what) {
  return single(*this, constInts(i, what), i, what);
}

FailureOr<double> NodeImporter::constScalarFloat(size_t i, StringRef what) {
  return single(*this, constFloats(i, what), i, what);
}

FailureOr<DenseElementsAttr> NodeImporter::tensorAttr(const onnx::TensorProto &t) {
  return tensorProtoToAttr(ctx(), t, loc, modelPath);
}

int attributeType(const onnx::AttributeProto &a) {
  if (a.type() != onnx::AttributeProto::UNDEFINED)
    return a.type();
  int found = onnx::AttributeProto::UNDEFINED, n = 0;
  auto seen = [&](bool has, int type) {
    if (has) {
      found = type;
      ++n;
    }
  };
  seen(a.has_f(), onnx::AttributeProto::FLOAT);
  seen(a.has_i(), onnx::AttributeProto::INT);
  seen(a.has_s(), onnx::AttributeProto::STRING);
  seen(a.has_t(), onnx::AttributeProto::TENSOR);
  seen(a.has_g(), onnx::AttributeProto::GRAPH);
  seen(a.floats_size() > 0, onnx::AttributeProto::FLOATS);
  seen(a.ints_size() > 0, onnx::AttributeProto::INTS);
  seen(a.strings_size() > 0, onnx::AttributeProto::STRINGS);
  seen(a.tensors_size() > 0, onnx::AttributeProto::TENSORS);
  seen(a.graphs_size() > 0, onnx::AttributeProto::GRAPHS);
  return n == 1 ? found : int(onnx::AttributeProto::UNDEFINED);
}

std::string attributeTypeName(int type) {
  if (type == onnx::AttributeProto::UNDEFINED || !onnx::AttributeProto::AttributeType_IsValid(type))
    return "no type";
  return llvm::StringRef(
             onnx::AttributeProto::AttributeType_Name(onnx::AttributeProto::AttributeType(type)))
      .lower();
}

const onnx::AttributeProto *NodeImporter::attr(StringRef name) const {
  attrsRead.insert(name.str());
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

const onnx::AttributeProto *NodeImporter::typedAttr(StringRef name, int type) const {
  const auto *a = attr(name);
  if (!a)
    return nullptr;
  int have = attributeType(*a);
  if (have == type)
    return a;
  if (!attrTypeError) {
    InFlightDiagnostic d = emitError(loc);
    d << "attribute '" << name << "' must be " << attributeTypeName(type) << ", not "
      << attributeTypeName(have);
  }
  attrTypeError = true;
  return nullptr;
}

int64_t NodeImporter::getInt(StringRef name, int64_t dflt) const {
  const auto *a = typedAttr(name, onnx::AttributeProto::INT);
  return a ? a->i() : dflt;
}

float NodeImporter::getFloat(StringRef name, float dflt) const {
  const auto *a = typedAttr(name, onnx::AttributeProto::FLOAT);
  return a ? a->f() : dflt;
}

std::string NodeImporter::getString(StringRef name, const std::string &dflt) const {
  const auto *a = typedAttr(name, onnx::AttributeProto::STRING);
  return a ? a->s() : dflt;
}

std::vector<int64_t> NodeImporter::getInts(StringRef name, std::vector<int64_t> dflt) const {
  const auto *a = typedAttr(name, onnx::AttributeProto::INTS);
  if (!a)
    return dflt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

std::vector<float> NodeImporter::getFloats(StringRef name) const {
  const auto *a = typedAttr(name, onnx::AttributeProto::FLOATS);
  if (!a)
    return {};
  return std::vector<float>(a->floats().begin(), a->floats().end());
}

void NodeImporter::setOutput(size_t i, Value v) {
  if (outputUsed(i))
    values[node.output(i)] = v;
}

LogicalResult NodeImporter::error(const Twine &msg) { return emitError(loc) << msg.str(); }

/// Why a tensor of type `t` cannot exist in pare (empty when it can): every
/// dim static and >= 0, at most input::kMaxTensorBytes bytes.
static std::string tensorTypeProblem(Type t) {
  auto rt = dyn_cast<RankedTensorType>(t);
  if (!rt)
    return "";
  std::vector<int64_t> dims(rt.getShape().begin(), rt.getShape().end());
  for (int64_t d : dims)
    if (d < 0)
      return "has a negative or unknown dim";
  Type elem = rt.getElementType();
  if (auto q = dyn_cast<quant::QuantizedType>(elem))
    elem = q.getStorageType();
  int64_t elemBytes =
      elem.isIntOrFloat() ? std::max<int64_t>(1, elem.getIntOrFloatBitWidth() / 8) : 1;
  auto n = shape::checkedNumElements(dims);
  int64_t bytes = 0;
  if (!n || __builtin_mul_overflow(*n, elemBytes, &bytes) || bytes > input::kMaxTensorBytes)
    return "is " + shape::toString(dims) + " (" +
           (n ? std::to_string(*n) + " elements of " + std::to_string(elemBytes) + " bytes"
              : std::string("more than 2^63 elements")) +
           "), more than the 2 GiB pare allows per tensor (the generated kernels index "
           "elements with int)";
  // An empty tensor passes the size check whatever its other dims; strides
  // and row sizes are products of those, so they are bounded alike.
  if (*n == 0) {
    std::vector<int64_t> nonZero;
    for (int64_t d : dims)
      nonZero.push_back(std::max<int64_t>(d, 1));
    auto span = shape::checkedNumElements(nonZero);
    if (!span || __builtin_mul_overflow(*span, elemBytes, &bytes) ||
        bytes > input::kMaxTensorBytes)
      return "is " + shape::toString(dims) +
             " (empty, but its other dims span more than the 2 GiB pare allows per tensor: the "
             "generated kernels index elements with int)";
  }
  return "";
}

LogicalResult NodeImporter::checkType(Type t, const Twine &what) {
  std::string problem = tensorTypeProblem(t);
  if (problem.empty())
    return success();
  return error(what + " " + problem);
}

LogicalResult NodeImporter::checkResults(ArrayRef<Type> types) {
  for (size_t i = 0; i < types.size(); ++i)
    if (failed(checkType(types[i], "result " + Twine(i))))
      return failure();
  return success();
}

Value NodeImporter::constant(DenseElementsAttr value) {
  return pare::ConstantOp::create(b, loc, value.getType(), value);
}

Value NodeImporter::reshape(Value v, ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, cast<RankedTensorType>(v.getType()).getElementType());
  if (type == v.getType())
    return v;
  Operation *op = pare::ReshapeOp::create(b, loc, type, v);
  return foldResult(op);
}

Value NodeImporter::foldResult(Operation *op) {
  // Fold as soon as all operands are constant, so that shape computations
  // (Shape -> Gather -> Concat -> Reshape ...) become constants on import.
  bool allConst =
      llvm::all_of(op->getOperands(), [](Value v) { return matchPattern(v, m_Constant()); });
  if (!allConst || op->getNumResults() != 1)
    return op->getResult(0);
  SmallVector<Value> results;
  if (succeeded(b.tryFold(op, results)) && !results.empty()) {
    op->erase();
    return results[0];
  }
  return op->getResult(0);
}

//===----------------------------------------------------------------------===//
// Tensors and types
//===----------------------------------------------------------------------===//

namespace {

Type elementType(MLIRContext *ctx, int32_t onnxType) {
  Builder b(ctx);
  switch (onnxType) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::INT64:
    return b.getIntegerType(64);
  case onnx::TensorProto::INT32:
    return b.getIntegerType(32);
  case onnx::TensorProto::INT16:
    return b.getIntegerType(16);
  case onnx::TensorProto::INT8:
    return b.getIntegerType(8);
  case onnx::TensorProto::UINT8:
    return b.getIntegerType(8, /*isSigned=*/false);
  case onnx::TensorProto::UINT16:
    return b.getIntegerType(16, false);
  case onnx::TensorProto::BOOL:
    return b.getIntegerType(1);
  default:
    return {};
  }
}

std::string onnxTypeName(int32_t t) {
  return onnx::TensorProto::DataType_IsValid(t)
             ? onnx::TensorProto::DataType_Name(onnx::TensorProto::DataType(t))
             : "type " + std::to_string(t);
}

class GraphImporter {
public:
  GraphImporter(MLIRContext &ctx, const onnx::ModelProto &model, const std::string &path,
                const ImportOptions &options)
      : ctx(ctx), model(model), path(path), options(options), b(&ctx),
        fileLoc(FileLineColLoc::get(&ctx, llvm::sys::path::filename(path), 0, 0)) {}

  FailureOr<OwningOpRef<ModuleOp>> run();

private:
  FailureOr<RankedTensorType> inputType(const onnx::ValueInfoProto &vi);
  void decoderProbeDims(const std::set<std::string> &initNames);
  Location nodeLoc(const onnx::NodeProto &node, int index);

  MLIRContext &ctx;
  const onnx::ModelProto &model;
  std::string path;
  const ImportOptions &options;
  OpBuilder b;
  Location fileLoc;
  std::map<std::string, Value> values;
  /// Symbolic dim name -> the size a decoder is imported at.
  std::map<std::string, int64_t> probeDims;
};

/// A decoder (ImportOptions::sequenceProbe > 0) is imported at probe
/// lengths, its symbolic dims named as exporters name them: the token ids'
/// (`input_ids`, else the first integer input) last dim is the new tokens
/// (sequenceProbe), a float input's dims past the batch are cached
/// positions (pastProbe: past_key_values), and an integer input's other
/// symbolic dims cover both (an attention mask over past + new). Leading
/// symbolic dims (the batch) are 1.
void GraphImporter::decoderProbeDims(const std::set<std::string> &initNames) {
  if (options.sequenceProbe <= 0)
    return;
  std::vector<const onnx::ValueInfoProto *> ints, floats;
  const onnx::ValueInfoProto *ids = nullptr;
  for (const auto &in : model.graph().input()) {
    if (initNames.count(in.name()) || !in.type().has_tensor_type() ||
        !in.type().tensor_type().has_shape())
      continue;
    int32_t t = in.type().tensor_type().elem_type();
    bool isInt = t == onnx::TensorProto::INT64 || t == onnx::TensorProto::INT32;
    (isInt ? ints : floats).push_back(&in);
    if (isInt && (!ids || in.name() == "input_ids"))
      ids = &in;
  }
  auto assign = [&](const onnx::ValueInfoProto *vi, int64_t rest) {
    const auto &shape = vi->type().tensor_type().shape();
    for (int d = 0; d < shape.dim_size(); ++d) {
      const auto &dim = shape.dim(d);
      if (!dim.has_dim_param() || probeDims.count(dim.dim_param()))
        continue;
      probeDims[dim.dim_param()] = d == 0 && shape.dim_size() > 1 ? 1 : rest;
    }
  };
  if (ids)
    assign(ids, options.sequenceProbe);
  for (const auto *vi : floats)
    assign(vi, options.pastProbe);
  for (const auto *vi : ints)
    assign(vi, options.sequenceProbe + options.pastProbe);
}

Location GraphImporter::nodeLoc(const onnx::NodeProto &node, int index) {
  std::string name =
      node.name().empty() ? node.op_type() + "_" + std::to_string(index) : node.name();
  return NameLoc::get(StringAttr::get(&ctx, name), fileLoc);
}

/// "tensor 'w'" in messages ("the tensor" for the unnamed value of a
/// Constant node, whose node the location names).
std::string label(const onnx::TensorProto &t) {
  return t.name().empty() ? std::string("the tensor") : "tensor '" + t.name() + "'";
}

/// Reads the bytes of a tensor stored as ONNX external data: location,
/// offset and length checked (inside the model's directory, decimal, inside
/// the file), at most input::kMaxTensorBytes.
LogicalResult readExternal(const onnx::TensorProto &t, const std::string &modelPath,
                           int64_t expectBytes, std::string &bytes, Location loc) {
  std::string location;
  std::optional<uint64_t> offset = 0, length;
  std::set<std::string> keys;
  for (const auto &kv : t.external_data()) {
    if (!keys.insert(kv.key()).second)
      return emitError(loc) << label(t) << " gives external-data key '" << kv.key() << "' twice";
    if (kv.key() == "location") {
      location = kv.value();
    } else if (kv.key() == "offset" || kv.key() == "length") {
      auto v = input::parseUnsigned(kv.value(), uint64_t(input::kMaxModelFileBytes) * 64);
      if (!v)
        return emitError(loc) << label(t) << " has external-data " << kv.key() << " '" << kv.value()
                              << "', which is not a non-negative decimal integer";
      (kv.key() == "offset" ? offset : length) = v;
    } else if (kv.key() != "checksum") {
      return emitError(loc) << label(t) << " has unknown external-data key '" << kv.key()
                            << "' (ONNX defines location, offset, length, "
                               "checksum)";
    }
  }
  if (location.empty())
    return emitError(loc) << label(t) << " uses external data without a location";
  std::string file, error;
  if (!input::resolveExternalData(modelPath, location, file, error))
    return emitError(loc) << label(t) << " " << error;
  uint64_t size = 0;
  if (!input::regularFileSize(file, size, error))
    return emitError(loc) << "external data of " << label(t) << ": " << error;
  if (!length) {
    if (*offset > size)
      return emitError(loc) << "external data of " << label(t) << " starts at " << *offset
                            << ", past the end of '" << location << "' (" << size << " bytes)";
    length = size - *offset;
  }
  if (int64_t(*length) != expectBytes)
    return emitError(loc) << label(t) << " has " << *length
                          << " bytes of external data but its shape needs " << expectBytes;
  if (!input::readFileRange(file, *offset, *length, bytes, error))
    return emitError(loc) << "external data of " << label(t) << ": " << error;
  return success();
}

} // namespace

namespace {

/// TensorProto data types of ONNX 1.16 that the linked ONNX library predates
/// (data_type is a plain int32 in the proto, so the values arrive intact).
constexpr int32_t kOnnxUint4 = 21, kOnnxInt4 = 22;

/// An INT4 / UINT4 tensor (a blocked DequantizeLinear's weight, opset 21) as
/// one value per byte, i8 (sign-extended) or ui8: ONNX packs two per byte,
/// element 2j in the low nibble of byte j, in raw data, external data or
/// int32_data (one byte per entry).
FailureOr<DenseElementsAttr> int4TensorToAttr(MLIRContext *ctx, const onnx::TensorProto &t,
                                              Location loc, const std::string &modelPath) {
  bool isSigned = t.data_type() == kOnnxInt4;
  std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  for (int64_t d : dims)
    if (d < 0)
      return emitError(loc) << label(t) << " has a negative dim";
  auto type = RankedTensorType::get(dims, IntegerType::get(ctx, 8, isSigned ? IntegerType::Signed
                                                                            : IntegerType::Unsigned));
  std::string problem = tensorTypeProblem(type);
  if (!problem.empty())
    return emitError(loc) << label(t) << " " << problem;
  int64_t n = shape::numElements(dims), bytes = (n + 1) / 2;
  std::string packed, external;
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    if (failed(readExternal(t, modelPath, bytes, external, loc)))
      return failure();
    packed = std::move(external);
  } else if (t.has_raw_data()) {
    packed = t.raw_data();
  } else {
    for (int32_t v : t.int32_data())
      packed.push_back(char(uint8_t(v)));
  }
  if (int64_t(packed.size()) != bytes)
    return emitError(loc) << label(t) << " holds " << packed.size() << " bytes but its shape "
                          << shape::toString(dims) << " needs " << bytes
                          << " (two 4-bit values per byte)";
  SmallVector<APInt> values;
  values.reserve(size_t(n));
  for (int64_t i = 0; i < n; ++i) {
    int64_t v = (uint8_t(packed[size_t(i / 2)]) >> (i % 2 ? 4 : 0)) & 15;
    if (isSigned && v >= 8)
      v -= 16;
    values.push_back(APInt(8, uint64_t(v), isSigned));
  }
  return DenseElementsAttr::get(type, values);
}

} // namespace

FailureOr<DenseElementsAttr> tensorProtoToAttr(MLIRContext *ctx, const onnx::TensorProto &t,
                                               Location loc, const std::string &modelPath) {
  if (t.data_type() == kOnnxInt4 || t.data_type() == kOnnxUint4)
    return int4TensorToAttr(ctx, t, loc, modelPath);
  Type elem = elementType(ctx, t.data_type());
  if (!elem)
    return emitError(loc) << label(t) << " has unsupported element type "
                          << onnxTypeName(t.data_type());
  std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  for (int64_t d : dims)
    if (d < 0)
      return emitError(loc) << label(t) << " has a negative dim";
  auto type = RankedTensorType::get(dims, elem);
  std::string problem = tensorTypeProblem(type);
  if (!problem.empty())
    return emitError(loc) << label(t) << " " << problem;
  // Within the limit: neither product overflows.
  unsigned width = elem.isInteger(1) ? 8 : elem.getIntOrFloatBitWidth();
  int64_t n = shape::numElements(dims), bytes = n * int64_t(width / 8);
  std::string external;
  const std::string *raw = t.has_raw_data() ? &t.raw_data() : nullptr;
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    if (failed(readExternal(t, modelPath, bytes, external, loc)))
      return failure();
    raw = &external;
  }
  if (raw) {
    if (int64_t(raw->size()) != bytes)
      return emitError(loc) << label(t) << " holds " << raw->size() << " bytes but its shape "
                            << shape::toString(dims) << " needs " << bytes;
    if (elem.isInteger(1)) {
      SmallVector<bool> v;
      for (char c : *raw)
        v.push_back(c != 0);
      return DenseElementsAttr::get(type, v);
    }
    return DenseElementsAttr::getFromRawBuffer(type, ArrayRef<char>(raw->data(), raw->size()));
  }
  auto check = [&](int64_t have) -> LogicalResult {
    if (have != n)
      return emitError(loc) << label(t) << " holds " << have << " values but its shape "
                            << shape::toString(dims) << " needs " << n;
    return success();
  };
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT:
    if (failed(check(t.float_data_size())))
      return failure();
    return DenseElementsAttr::get(type, ArrayRef<float>(t.float_data().data(), n));
  case onnx::TensorProto::DOUBLE:
    if (failed(check(t.double_data_size())))
      return failure();
    return DenseElementsAttr::get(type, ArrayRef<double>(t.double_data().data(), n));
  case onnx::TensorProto::INT64:
    if (failed(check(t.int64_data_size())))
      return failure();
    return DenseElementsAttr::get(type, ArrayRef<int64_t>(t.int64_data().data(), n));
  case onnx::TensorProto::BOOL: {
    if (failed(check(t.int32_data_size())))
      return failure();
    SmallVector<bool> v(t.int32_data().begin(), t.int32_data().end());
    return DenseElementsAttr::get(type, v);
  }
  case onnx::TensorProto::FLOAT16: {
    if (failed(check(t.int32_data_size())))
      return failure();
    SmallVector<APFloat> v;
    for (int32_t bits : t.int32_data())
      v.push_back(APFloat(APFloat::IEEEhalf(), APInt(16, uint64_t(uint16_t(bits)))));
    return DenseElementsAttr::get(type, v);
  }
  default: {
    // INT32, INT16, INT8, UINT8, UINT16 are stored in int32_data.
    if (failed(check(t.int32_data_size())))
      return failure();
    SmallVector<APInt> v;
    for (int32_t x : t.int32_data())
      v.push_back(APInt(width, uint64_t(int64_t(x)), true, /*implicitTrunc=*/true));
    return DenseElementsAttr::get(type, v);
  }
  }
}

namespace {

FailureOr<RankedTensorType> GraphImporter::inputType(const onnx::ValueInfoProto &vi) {
  Location loc = NameLoc::get(StringAttr::get(&ctx, vi.name()), fileLoc);
  if (!vi.type().has_tensor_type())
    return emitError(loc) << "input '" << vi.name()
                          << "' is not a tensor (sequences, maps and optionals are "
                             "not supported)";
  const auto &tt = vi.type().tensor_type();
  Type elem = elementType(&ctx, tt.elem_type());
  if (!elem)
    return emitError(loc) << "input '" << vi.name() << "' has unsupported element type "
                          << onnxTypeName(tt.elem_type());
  auto given = options.inputShapes.find(vi.name());
  if (!tt.has_shape()) {
    if (given == options.inputShapes.end())
      return emitError(loc) << "input '" << vi.name()
                            << "' has no shape; give one with --input-shape " << vi.name()
                            << "=D0,D1,...";
    return RankedTensorType::get(given->second, elem);
  }
  std::vector<int64_t> dims;
  for (int d = 0; d < tt.shape().dim_size(); ++d) {
    const auto &dim = tt.shape().dim(d);
    if (dim.has_dim_value() && dim.dim_value() < 0)
      return emitError(loc) << "input '" << vi.name() << "' has a negative dim (" << dim.dim_value()
                            << ") at dim " << d;
    dims.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
  }
  if (given != options.inputShapes.end()) {
    if (given->second.size() != dims.size())
      return emitError(loc) << "--input-shape " << vi.name() << " has rank " << given->second.size()
                            << " but the model's input has rank " << dims.size();
    for (size_t d = 0; d < dims.size(); ++d)
      if (dims[d] >= 0 && dims[d] != given->second[d])
        return emitError(loc) << "--input-shape " << vi.name() << " sets dim " << d << " to "
                              << given->second[d] << " but the model fixes it to " << dims[d];
    for (int64_t g : given->second)
      if (g <= 0)
        return emitError(loc) << "--input-shape " << vi.name() << ": dims must be positive";
    auto type = RankedTensorType::get(given->second, elem);
    std::string problem = tensorTypeProblem(type);
    if (!problem.empty())
      return emitError(loc) << "input '" << vi.name() << "' " << problem;
    return type;
  }
  if (options.batch > 0 && !dims.empty()) {
    if (dims[0] >= 0 && dims[0] != options.batch)
      return emitError(loc) << "--batch " << options.batch << ": input '" << vi.name()
                            << "' has a fixed batch size of " << dims[0]
                            << " (export the model with a dynamic batch dim, or use "
                               "--input-shape)";
    dims[0] = options.batch;
  }
  // A decoder's symbolic dims: the probe lengths decoderProbeDims chose.
  for (size_t d = 0; d < dims.size(); ++d) {
    const auto &dim = tt.shape().dim(d);
    if (dims[d] < 0 && dim.has_dim_param())
      if (auto it = probeDims.find(dim.dim_param()); it != probeDims.end())
        dims[d] = it->second;
  }
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] < 0) {
      const auto &dim = tt.shape().dim(d);
      std::string sym = dim.has_dim_param() ? "'" + dim.dim_param() + "'" : "(unnamed)";
      std::string example;
      for (size_t k = 0; k < dims.size(); ++k)
        example += (k ? "," : "") + (dims[k] >= 0 ? std::to_string(dims[k]) : "N");
      return emitError(loc) << "input '" << vi.name() << "' has a symbolic dimension " << sym
                            << " at dim " << d << "; fix it with --input-shape " << vi.name() << "="
                            << example << " (every N a number)";
    }
  }
  auto type = RankedTensorType::get(dims, elem);
  std::string problem = tensorTypeProblem(type);
  if (!problem.empty())
    return emitError(loc) << "input '" << vi.name() << "' " << problem;
  return type;
}

/// The newest default-domain opset whose schemas the ONNX library knows
/// (17 for Debian's libonnx 1.12). Newer models are checked against these
/// schemas too: an attribute or input added later is accepted only when the
/// op's handler reads it.
int schemaOpset() {
  static int v = [] {
    const auto &m = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
    auto it = m.find("");
    return it == m.end() ? 0 : it->second.second;
  }();
  return v;
}

/// Checks a node's attributes before its handler runs, as onnxruntime and
/// the ONNX checker do: names unique and non-empty, a type for each, the
/// type the op's schema gives, required attributes present, and no auto_pad
/// other than NOTSET together with explicit pads.
LogicalResult checkAttributes(const onnx::NodeProto &node, const onnx::OpSchema *schema, int opset,
                              Location loc) {
  std::set<std::string> seen;
  for (const auto &a : node.attribute()) {
    if (a.name().empty())
      return emitError(loc) << node.op_type() << " has an attribute without a name";
    if (!seen.insert(a.name()).second)
      return emitError(loc) << node.op_type() << " gives attribute '" << a.name() << "' twice";
    int type = attributeType(a);
    if (type == onnx::AttributeProto::UNDEFINED)
      return emitError(loc) << "attribute '" << a.name() << "' has no type and no single value";
    if (!schema)
      continue;
    auto known = schema->attributes().find(a.name());
    if (known != schema->attributes().end() && int(known->second.type) != type)
      return emitError(loc) << "attribute '" << a.name() << "' of " << node.op_type() << " must be "
                            << attributeTypeName(known->second.type) << ", not "
                            << attributeTypeName(type);
  }
  if (schema && opset <= schemaOpset())
    for (const auto &[name, attr] : schema->attributes())
      if (attr.required && !seen.count(name))
        return emitError(loc) << node.op_type() << " needs attribute '" << name << "'";
  if (seen.count("auto_pad") && seen.count("pads"))
    for (const auto &a : node.attribute())
      if (a.name() == "auto_pad" && !a.s().empty() && a.s() != "NOTSET")
        return emitError(loc) << node.op_type() << " gives both auto_pad '" << a.s()
                              << "' and explicit pads; give one of them";
  return success();
}

/// Inputs that the op's schema binds to one type parameter (MatMul's A and
/// B are both "T") must have one element type: a Conv weight re-typed int32
/// beside a float input is refused here, at the node, by every command.
LogicalResult checkInputTypes(const onnx::NodeProto &node, const onnx::OpSchema *schema,
                              const std::map<std::string, Value> &values, Location loc) {
  if (!schema || schema->inputs().empty())
    return success();
  const auto &formals = schema->inputs();
  std::map<std::string, std::pair<int, Type>> first; // type parameter -> (input, type)
  for (int i = 0; i < node.input_size(); ++i) {
    if (node.input(i).empty())
      continue;
    size_t f = std::min<size_t>(i, formals.size() - 1);
    if (size_t(i) >= formals.size() && (formals.back().GetOption() != onnx::OpSchema::Variadic ||
                                        !formals.back().GetIsHomogeneous()))
      continue;
    auto it = values.find(node.input(i));
    if (it == values.end())
      continue;
    Type elem = cast<RankedTensorType>(it->second.getType()).getElementType();
    auto [at, fresh] = first.emplace(formals[f].GetTypeStr(), std::make_pair(i, elem));
    if (!fresh && at->second.second != elem) {
      std::string a, b;
      llvm::raw_string_ostream(a) << at->second.second;
      llvm::raw_string_ostream(b) << elem;
      return emitError(loc) << node.op_type() << " input " << i << " '" << node.input(i) << "' is "
                            << b << " but input " << at->second.first << " is " << a
                            << "; ONNX requires one type (" << formals[f].GetTypeStr()
                            << ") for both";
    }
  }
  return success();
}

/// After the handler: attributes and inputs the op's schema does not define
/// (a misspelled `padz`, a second input of Relu) are errors unless the
/// handler read them; so are outputs it does not define and did not bind.
/// Ops without a schema (onnxruntime's contrib ops) accept only what their
/// handler reads.
LogicalResult checkUnread(const onnx::NodeProto &node, const NodeImporter &ni,
                          const onnx::OpSchema *schema, int opset, Location loc,
                          const std::map<std::string, Value> &values) {
  std::string where = node.op_type() + " (opset " + std::to_string(opset) + ")";
  for (const auto &a : node.attribute()) {
    bool known = schema && schema->attributes().count(a.name());
    if (!known && !ni.attributeRead(a.name()))
      return emitError(loc) << "attribute '" << a.name() << "' is not an attribute of " << where
                            << " that pare knows (misspelled, or from another "
                               "opset?)";
  }
  for (int i = 0; i < node.input_size(); ++i) {
    bool defined = schema && i < schema->max_input();
    if (!node.input(i).empty() && !defined && !ni.inputRead(i))
      return emitError(loc) << where << " has " << node.input_size() << " inputs; "
                            << (schema ? "ONNX defines " + std::to_string(schema->max_input())
                                       : std::string("pare reads fewer"))
                            << " (input " << i << " '" << node.input(i) << "' is extra)";
  }
  for (int i = 0; i < node.output_size(); ++i) {
    bool defined = schema && i < schema->max_output();
    if (!node.output(i).empty() && !defined && !values.count(node.output(i)))
      return emitError(loc) << where << " has " << node.output_size() << " outputs; "
                            << (schema ? "ONNX defines " + std::to_string(schema->max_output())
                                       : std::string("pare computes fewer"))
                            << " (output " << i << " '" << node.output(i) << "' is extra)";
  }
  return success();
}

FailureOr<OwningOpRef<ModuleOp>> GraphImporter::run() {
  int opset = -1;
  for (const auto &imp : model.opset_import())
    if (imp.domain().empty() || imp.domain() == "ai.onnx")
      opset = imp.version();
  if (opset < 0)
    return emitError(fileLoc) << "the model imports no default-domain (ai.onnx) opset";
  if (opset < kMinOpset || opset > kMaxOpset)
    return emitError(fileLoc) << "the model uses opset " << opset << "; pare imports opsets "
                              << kMinOpset << " to " << kMaxOpset
                              << " (convert it with onnx.version_converter)";
  for (const auto &name_shape : options.inputShapes) {
    bool found = false;
    for (const auto &in : model.graph().input())
      found |= in.name() == name_shape.first;
    if (!found) {
      std::string names;
      for (const auto &in : model.graph().input())
        names += (names.empty() ? "" : ", ") + in.name();
      return emitError(fileLoc) << "--input-shape names '" << name_shape.first
                                << "', which is not a model input (inputs: " << names << ")";
    }
  }

  const onnx::GraphProto &graph = model.graph();
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  b.setInsertionPointToEnd(module->getBody());

  std::set<std::string> initNames;
  for (const auto &init : graph.initializer())
    initNames.insert(init.name());

  decoderProbeDims(initNames);
  SmallVector<Type> argTypes;
  std::vector<std::string> argNames;
  std::set<std::string> inputNames;
  for (const auto &in : graph.input()) {
    if (!inputNames.insert(in.name()).second)
      return emitError(NameLoc::get(StringAttr::get(&ctx, in.name()), fileLoc))
             << "graph input '" << in.name() << "' is listed twice";
    if (initNames.count(in.name()))
      continue; // an initializer listed as an input (old exporters)
    auto t = inputType(in);
    if (failed(t))
      return failure();
    argTypes.push_back(*t);
    argNames.push_back(in.name());
  }
  if (graph.output_size() == 0)
    return emitError(fileLoc) << "the model has no outputs";

  auto func = func::FuncOp::create(b, fileLoc, "main", b.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (size_t i = 0; i < argNames.size(); ++i) {
    pare::attrs::setArgName(func, unsigned(i), argNames[i]);
    values[argNames[i]] = entry->getArgument(i);
  }
  b.setInsertionPointToStart(entry);

  // Initializers become constants up front; unused ones are removed by DCE.
  for (const auto &init : graph.initializer()) {
    Location loc = NameLoc::get(StringAttr::get(&ctx, init.name()), fileLoc);
    auto attr = tensorProtoToAttr(&ctx, init, loc, path);
    if (failed(attr))
      return failure();
    values[init.name()] = pare::ConstantOp::create(b, loc, attr->getType(), *attr);
  }

  int index = 0;
  std::map<std::string, int> nodeNames; // name -> index of the node that has it
  for (const auto &node : graph.node()) {
    Location loc = nodeLoc(node, index);
    if (!node.name().empty()) {
      auto [it, fresh] = nodeNames.emplace(node.name(), index);
      if (!fresh)
        return emitError(loc) << "node " << index << " has the same name as node " << it->second
                              << "; node names must be unique";
    }
    ++index;
    bool microsoft = node.domain() == "com.microsoft";
    std::string key = microsoft ? "com.microsoft." + node.op_type() : node.op_type();
    if (microsoft && !lookupHandler(key, 1))
      return emitError(loc) << "op '" << node.op_type()
                            << "' of domain 'com.microsoft' is not supported (pare "
                               "imports the default ONNX domain and onnxruntime's "
                               "quantized QLinear* contrib ops)";
    if (!node.domain().empty() && node.domain() != "ai.onnx" && !microsoft)
      return emitError(loc) << "op '" << node.op_type() << "' of domain '" << node.domain()
                            << "' is not supported (pare imports the default ONNX "
                               "domain only)";
    for (int i = 0; i < node.input_size(); ++i) {
      if (node.input(i).empty() || values.count(node.input(i)))
        continue;
      return emitError(loc) << node.op_type() << " reads '" << node.input(i)
                            << "', which is neither a graph input, an initializer "
                               "nor the output of an earlier node (missing "
                               "initializer, or nodes not in topological order)";
    }
    for (int i = 0; i < node.output_size(); ++i) {
      const std::string &out = node.output(i);
      if (out.empty())
        continue;
      if (values.count(out))
        return emitError(loc) << node.op_type() << " output " << i << " '" << out
                              << "' is already defined (by a graph input, an initializer "
                                 "or an earlier node); ONNX tensors have one producer";
      for (int j = 0; j < i; ++j)
        if (node.output(j) == out)
          return emitError(loc) << node.op_type() << " names outputs " << j << " and " << i
                                << " both '" << out << "'";
    }
    for (const auto &a : node.attribute())
      if (a.type() == onnx::AttributeProto::GRAPH || a.type() == onnx::AttributeProto::GRAPHS)
        return emitError(loc) << "op '" << node.op_type()
                              << "' has a subgraph attribute; control flow (If, "
                                 "Loop, Scan) is not supported";
    const OpHandler *h = lookupHandler(key, microsoft ? 1 : opset);
    if (!h) {
      std::string list;
      for (auto &[name, versions] : handlerTable())
        list += (list.empty() ? "" : ", ") + name;
      return emitError(loc) << "unsupported op '" << node.op_type() << "' (opset " << opset
                            << "). Supported ops: " << list;
    }
    const onnx::OpSchema *schema =
        microsoft
            ? nullptr
            : onnx::OpSchemaRegistry::Schema(node.op_type(), std::min(opset, schemaOpset()), "");
    if (failed(checkAttributes(node, schema, opset, loc)) ||
        failed(checkInputTypes(node, schema, values, loc)))
      return failure();
    NodeImporter ni(b, node, opset, loc, values, path);
    if (failed((*h)(ni)) || ni.attributeTypeError())
      return failure();
    if (failed(checkUnread(node, ni, schema, opset, loc, values)))
      return failure();
    for (int i = 0; i < node.output_size(); ++i)
      if (!node.output(i).empty() && !values.count(node.output(i)) && i == 0)
        return emitError(loc) << "internal: handler for " << node.op_type() << " bound no output";
  }

  SmallVector<Value> results;
  std::vector<std::string> resultNames;
  for (const auto &out : graph.output()) {
    auto it = values.find(out.name());
    if (it == values.end())
      return emitError(fileLoc) << "graph output '" << out.name()
                                << "' is not produced by any node";
    Value v = it->second;
    // Declared output shapes must agree with what pare inferred.
    if (out.type().has_tensor_type() && out.type().tensor_type().has_shape()) {
      const auto &s = out.type().tensor_type().shape();
      auto shape = cast<RankedTensorType>(v.getType()).getShape();
      bool ok = s.dim_size() == int(shape.size());
      for (int d = 0; ok && d < s.dim_size(); ++d)
        if (s.dim(d).has_dim_value() && s.dim(d).dim_value() != shape[d])
          ok = false;
      if (!ok)
        return emitError(NameLoc::get(StringAttr::get(&ctx, out.name()), fileLoc))
               << "shape mismatch: graph output '" << out.name()
               << "' is declared with a different shape than the computed "
               << shape::toString({shape.begin(), shape.end()});
    }
    results.push_back(v);
    resultNames.push_back(out.name());
  }
  func::ReturnOp::create(b, fileLoc, results);
  func.setType(b.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (size_t i = 0; i < resultNames.size(); ++i)
    pare::attrs::setResultName(func, unsigned(i), resultNames[i]);
  std::string producer = model.producer_name();
  pare::attrs::setOpset(*module, opset);
  if (!producer.empty())
    pare::attrs::setProducer(*module, producer);
  return module;
}

} // namespace

FailureOr<OwningOpRef<ModuleOp>> importModelBuffer(MLIRContext &ctx, llvm::StringRef data,
                                                   const std::string &path,
                                                   const ImportOptions &options) {
  ctx.loadDialect<pare::PareDialect, func::FuncDialect>();
  Location fileLoc = FileLineColLoc::get(&ctx, llvm::sys::path::filename(path), 0, 0);
  onnx::ModelProto model;
  if (StringRef(path).ends_with(".onnxtext")) {
    std::string text = data.str();
    // The ONNX text parser throws (std::stof on `nan`, ...) besides
    // returning a status.
    try {
      onnx::OnnxParser parser(text.c_str());
      auto status = parser.Parse(model);
      if (!status.IsOK())
        return emitError(fileLoc) << "cannot parse textual ONNX: " << status.ErrorMessage();
    } catch (const std::exception &e) {
      return emitError(fileLoc) << "cannot parse textual ONNX: " << e.what();
    }
  } else {
    if (data.empty())
      return emitError(fileLoc) << "'" << path << "' is empty, not an ONNX model";
    if (data.size() > input::kMaxModelFileBytes ||
        !model.ParseFromArray(data.data(), int(data.size())) || !model.has_graph())
      return emitError(fileLoc) << "'" << path
                                << "' is not a valid ONNX model (truncated or not "
                                   "a ModelProto)";
  }
  GraphImporter importer(ctx, model, path, options);
  return importer.run();
}

FailureOr<OwningOpRef<ModuleOp>> importModelFile(MLIRContext &ctx, const std::string &path,
                                                 const ImportOptions &options) {
  Location fileLoc = FileLineColLoc::get(&ctx, llvm::sys::path::filename(path), 0, 0);
  std::string data, error;
  if (!input::readRegularFile(path, input::kMaxModelFileBytes, data, error))
    return emitError(fileLoc) << "cannot read the model: " << error;
  return importModelBuffer(ctx, data, path, options);
}

} // namespace pare::onnx_frontend
