//===- CModule.cpp - the state of one C module being emitted --------------===//
//
// Names, storage, weights, the memory plan and the kernels called, and the
// one dispatch of an op to the emitter its family registered.
//
//===----------------------------------------------------------------------===//

#include "codegen/c/CModule.h"

#include "dialects/Pare/Analysis/MemoryPlan.h"
#include "dialects/Pare/IR/QuantUtils.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace pare::codegen {

using shape::Shape;

std::string opKind(Operation *op) {
  // "pare.max_pool" -> "max_pool"
  return op->getName().stripDialect().str();
}

std::string dtypeEnum(Type t) {
  if (auto q = dyn_cast<quant::QuantizedType>(t))
    return q.isSigned() ? "PARE_I8" : "PARE_U8";
  if (t.isF32())
    return "PARE_F32";
  if (t.isF64())
    return "PARE_F64";
  if (t.isInteger(1))
    return "PARE_BOOL";
  auto it = cast<IntegerType>(t);
  switch (it.getWidth()) {
  case 8:
    return it.isUnsigned() ? "PARE_U8" : "PARE_I8";
  case 16:
    return it.isUnsigned() ? "PARE_U16" : "PARE_I16";
  case 32:
    return "PARE_I32";
  default:
    return "PARE_I64";
  }
}

const std::string &Operands::operator[](size_t i) const { return module->use(names[i]); }

const OpTable::Entry *OpTable::lookup(Operation *op) const {
  auto it = entries.find(op->getName().getTypeID());
  if (it == entries.end())
    return nullptr;
  // Conditional entries (int8 variants) are tried before the plain one.
  for (const Entry &e : it->second)
    if (e.when && e.when(op))
      return &e;
  for (const Entry &e : it->second)
    if (!e.when)
      return &e;
  return nullptr;
}

CModule::CModule(func::FuncOp func, const CEmitOptions &opts)
    : func(func), opts(opts), prefix(sanitizeIdentifier(opts.name)),
      upper(llvm::StringRef(prefix).upper()), storage(func, prefix) {
  registerFloatConvOps(table);
  registerElementwiseOps(table);
  registerReductionOps(table);
  registerDataMovementOps(table);
  registerInt8Ops(table);
  registerTemporalShiftOps(table);
  registerLlmOps(table);
}

const std::string &CModule::use(const std::string &name) {
  auto it = weightIndex.find(name);
  if (it != weightIndex.end())
    weights[it->second].used = true;
  return name;
}

LogicalResult CModule::ptr(Value v, std::string &out) {
  return storage.ptr(
      v, [&](Value root) { return weightEntry(root, {}, WeightLayout::AsStored, 1); },
      "the C target needs constants with their data (got an elided or resource constant; "
      "compile the model, or IR written with --emit mlir -o DIR)",
      out);
}

FailureOr<Operands> CModule::operands(Operation *op) {
  std::vector<std::string> names;
  for (Value v : op->getOperands()) {
    std::string p;
    if (failed(ptr(v, p)))
      return failure();
    names.push_back(p);
  }
  return Operands(*this, std::move(names));
}

std::string CModule::arenaAt(const std::string &name, int64_t offset, int64_t bytes) {
  std::string macro = upper + "_OFFSET_" + name;
  if (planNames.insert(name).second)
    planEntries.emplace_back(name, offset, bytes);
  return "arena + " + macro;
}

std::string windowArgs(const std::string &kh, const std::string &kw, ArrayRef<int64_t> strides,
                       ArrayRef<int64_t> dilations, const std::string &padTop,
                       const std::string &padLeft) {
  return "/* kernel */ " + kh + ", " + kw + ", /* stride */ " + std::to_string(strides[0]) + ", " +
         std::to_string(strides[1]) + ", /* dilation */ " + std::to_string(dilations[0]) + ", " +
         std::to_string(dilations[1]) + ", /* pad top, left */ " + padTop + ", " + padLeft;
}

std::string operandRole(Operation *op, unsigned i) {
  if (isa<ConvOp, QConvOp, QFullyConnectedOp, GemmOp, ConvTransposeOp, QConvTransposeOp>(op) &&
      i > 0)
    return i == 1 ? "weight" : "bias";
  if (isa<MatMulOp, QMatMulOp>(op) && i == 1)
    return "weight";
  if (isa<LayerNormOp>(op) && i > 0)
    return i == 1 ? "scale" : "bias";
  if (isa<MatMulNBitsOp>(op) && i > 0)
    return i == 1 ? "qweight" : i == 2 ? "scales" : "zero_points";
  if (isa<WhereOp>(op))
    return i == 0 ? "condition" : i == 1 ? "x" : "y";
  if (isa<GatherOp, GatherElementsOp>(op))
    return i == 0 ? "data" : "indices";
  if (isa<ScatterNDOp>(op))
    return i == 0 ? "data" : i == 1 ? "indices" : "updates";
  if (isa<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp, ModOp, AndOp, OrOp, XorOp, EqualOp,
          LessOp, LessOrEqualOp, GreaterOp, GreaterOrEqualOp, QAddOp, QMulOp>(op))
    return i == 0 ? "a" : "b";
  return "input" + std::to_string(i);
}

std::string CModule::call(const std::string &kernel) {
  kernelsCalled.insert(kernel);
  ++kernelCalls;
  return kernel + "(";
}

LogicalResult CModule::unsupported(Operation *op, const Twine &why) {
  return op->emitError() << "the C target cannot emit " << op->getName() << ": " << why;
}

LogicalResult CModule::requireF32(Operation *op) {
  for (Value v : op->getOperands())
    if (!elemOf(v).isF32())
      return unsupported(op, "only float32 tensors are supported by this kernel");
  return success();
}

std::string CModule::staticArray(const std::string &name, ArrayRef<int64_t> v,
                                 const std::string &type) {
  return "    static const " + type + " " + name + "[" +
         std::to_string(std::max<size_t>(v.size(), 1)) + "] = " + intArray(v) + ";\n";
}

std::tuple<std::string, std::string, std::string>
CModule::batchArrays(const shape::MatMulGeometry &g) {
  if (g.batch.empty())
    return {"NULL", "NULL", "NULL"};
  line(staticArray("batch_shape", g.batch));
  line(staticArray("a_batch_strides", g.aBatchStrides));
  line(staticArray("b_batch_strides", g.bBatchStrides));
  return {"batch_shape", "a_batch_strides", "b_batch_strides"};
}

std::string CModule::lutTable(LookupTableOp lut, const std::string &layer) {
  std::vector<std::string> v;
  for (int8_t t : lut.getTable())
    v.push_back(std::to_string(int(t)));
  return constArray(layer + "_" + lut.getFunction().str() + "_table", "int8_t", v,
                    layer + ": int8 " + lut.getFunction().str() + " table, indexed by input + 128");
}

std::string CModule::weight(Value v, Type as, WeightLayout layout, int64_t group) {
  return use(weightEntry(v, as, layout, group));
}

std::string CModule::weightEntry(Value v, Type as, WeightLayout layout, int64_t group) {
  DenseElementsAttr attr;
  bool isConst = matchPattern(v, m_Constant(&attr));
  assert(isConst && "weight() needs a constant");
  (void)isConst;
  Type elem = as ? as : attr.getElementType();
  auto key =
      std::make_tuple(attr.getAsOpaquePointer(), elem.getAsOpaquePointer(), int(layout), group);
  auto it = weightNames.find(key);
  if (it != weightNames.end())
    return it->second;
  // Named by the layer that reads it and its role there (the first layer,
  // when several share it); the ONNX name goes into the comment.
  std::string source = nodeName(v.getDefiningOp()), layer, role;
  if (currentOp)
    for (auto [i, operand] : llvm::enumerate(currentOp->getOperands()))
      if (layer.empty() && planning::storageRoot(operand) == v) {
        layer = sanitizeIdentifier(nodeName(currentOp));
        role = operandRole(currentOp, unsigned(i));
      }
  std::string base =
      prefix + "_" + (layer.empty() ? sanitizeIdentifier(source) : layer + "_" + role);
  if (layout == WeightLayout::DepthwiseHWC)
    base += "_hwc";
  else if (layout == WeightLayout::ConvPacked)
    base += "_packed";
  std::string name = uniqueName(base, usedGlobals);
  weightNames[key] = name;

  Shape s = shapeOf(v);
  // Source element index of each output element; -1 writes a zero.
  std::vector<int64_t> order;
  std::string note;
  if (layout == WeightLayout::DepthwiseHWC) {
    int64_t c = s[0], kh = s[1], kw = s[2];
    order.resize(c * kh * kw);
    for (int64_t y = 0; y < kh; ++y)
      for (int64_t x = 0; x < kw; ++x)
        for (int64_t ch = 0; ch < c; ++ch)
          order[(y * kw + x) * c + ch] = (ch * kh + y) * kw + x;
    note = " reordered to HxWxC";
  } else if (layout == WeightLayout::ConvPacked) {
    int64_t oc = s[0], kh = s[1], kw = s[2], icg = s[3];
    int64_t ocg = oc / group, nb = (ocg + kConvOCB - 1) / kConvOCB;
    order.assign(group * nb * kh * kw * icg * kConvOCB, -1);
    for (int64_t g = 0; g < group; ++g)
      for (int64_t b = 0; b < nb; ++b)
        for (int64_t y = 0; y < kh; ++y)
          for (int64_t x = 0; x < kw; ++x)
            for (int64_t c = 0; c < icg; ++c)
              for (int64_t j = 0; j < kConvOCB; ++j) {
                int64_t o = b * kConvOCB + j;
                int64_t dst = ((((g * nb + b) * kh + y) * kw + x) * icg + c) * kConvOCB + j;
                if (o < ocg)
                  order[dst] = (((g * ocg + o) * kh + y) * kw + x) * icg + c;
              }
    note = " packed in blocks of 16 output channels";
  } else {
    order.resize(shape::numElements(s));
    for (size_t i = 0; i < order.size(); ++i)
      order[i] = i;
  }
  int64_t n = std::max<int64_t>(int64_t(order.size()), 1);
  std::string ct = cType(elem);
  std::string decl = "extern const " + ct + " " + name + "[" + std::to_string(n) + "];\n";

  std::string def;
  llvm::raw_string_ostream os(def);
  if (layer.empty())
    os << "/* " << commentText(source);
  else
    os << "/* " << layer << " " << role << " (ONNX \"" << commentText(source) << "\")";
  os << ": " << shape::toString(s) << note << " */\n";
  os << "const " << ct << " " << name << "[" << n << "] = {";
  Type src = attr.getElementType();
  auto emitAll = [&](auto getter) {
    for (size_t i = 0; i < order.size(); ++i) {
      os << (i % 8 == 0 ? "\n  " : " ") << (order[i] < 0 ? std::string("0") : getter(order[i]));
      if (i + 1 < order.size())
        os << ",";
    }
    if (order.empty())
      os << "\n  0";
  };
  if (src.isF32() && elem.isF32()) {
    auto vals = attr.getValues<float>();
    emitAll([&](int64_t i) { return floatLiteral(vals[i]); });
  } else if (isa<FloatType>(src)) {
    std::vector<double> vals;
    for (APFloat f : attr.getValues<APFloat>()) {
      bool lost;
      f.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
      vals.push_back(f.convertToDouble());
    }
    if (elem.isF32())
      emitAll([&](int64_t i) { return floatLiteral(float(vals[i])); });
    else if (elem.isF64())
      emitAll([&](int64_t i) { return doubleLiteral(vals[i]); });
    else
      emitAll([&](int64_t i) { return std::to_string(int64_t(vals[i])); });
    usesMath = true;
  } else {
    auto it2 = cast<IntegerType>(src);
    std::vector<int64_t> vals;
    for (APInt a : attr.getValues<APInt>())
      vals.push_back(it2.isUnsigned() || it2.getWidth() == 1 ? int64_t(a.getZExtValue())
                                                             : a.getSExtValue());
    if (isa<FloatType>(elem)) {
      emitAll([&](int64_t i) { return floatLiteral(float(vals[i])); });
    } else {
      auto et = cast<IntegerType>(elem);
      emitAll([&](int64_t i) {
        return intLiteral(vals[i], et.getWidth() == 1 ? 8 : et.getWidth(), et.isUnsigned());
      });
    }
  }
  os << "\n};\n\n";
  weightIndex[name] = weights.size();
  weights.push_back({name, decl, def, n * elemBytes(elem)});
  return name;
}

LogicalResult CModule::emitBroadcastOperands(Operation *op, ArrayRef<Value> ins,
                                             const std::vector<std::string> &names,
                                             Shape &outShape) {
  outShape = shapeOf(op->getResult(0));
  if (outShape.size() > 8)
    return unsupported(op, "tensors of rank > 8");
  Shape shape = outShape.empty() ? Shape{1} : outShape;
  line(staticArray("shape", shape));
  for (size_t i = 0; i < ins.size(); ++i) {
    Shape s = shapeOf(ins[i]);
    auto st = shape::broadcastStrides(s, shape);
    line(staticArray(names[i], st));
  }
  outShape = shape;
  return success();
}

std::string CModule::constArray(const std::string &base, const std::string &ctype,
                                const std::vector<std::string> &values, const std::string &note) {
  std::string name = uniqueName(prefix + "_" + sanitizeIdentifier(base), usedGlobals);
  size_t n = std::max<size_t>(values.size(), 1);
  std::string def = "/* " + commentText(note, 0) + " */\nconst " + ctype + " " + name + "[" +
                    std::to_string(n) + "] = {";
  for (size_t i = 0; i < values.size(); ++i)
    def += std::string(i % 8 == 0 ? "\n  " : " ") + values[i] + (i + 1 < values.size() ? "," : "");
  if (values.empty())
    def += "\n  0";
  def += "\n};\n\n";
  int64_t elem = ctype == "int8_t" || ctype == "uint8_t" ? 1 : 4;
  weightIndex[name] = weights.size();
  weights.push_back({name, "extern const " + ctype + " " + name + "[" + std::to_string(n) + "];\n",
                     def, int64_t(n) * elem, /*used=*/true});
  return name;
}

void CModule::kernelCall(const std::string &kernel, const std::string &layer,
                         const std::vector<std::pair<std::string, std::string>> &ptrs,
                         const std::function<std::string(const std::vector<std::string> &)> &args,
                         const std::string &prelude) {
  std::vector<std::string> actual;
  for (auto &p : ptrs)
    actual.push_back(p.second);
  if (!opts.specializeKernels) {
    if (prelude.empty()) {
      line("  " + call(kernel) + args(actual) + ");\n");
    } else {
      line("  {\n" + prelude + "    " + call(kernel) + args(actual) + ");\n  }\n");
    }
    return;
  }
  usesSpecialized = true;
  ++specializedLayers;
  std::string fn = uniqueName(prefix + "_" + layer + "_kernel", usedGlobals);
  // Parameters named by role: x (or a, b) in, y out, scratch.
  size_t inputs = 0;
  for (auto &p : ptrs)
    inputs += llvm::StringRef(p.first).starts_with("const ");
  std::vector<std::string> names, params;
  size_t nextIn = 0;
  for (auto &p : ptrs) {
    std::string n;
    if (llvm::StringRef(p.first).starts_with("const "))
      n = inputs == 1 ? "x" : std::string(1, char('a' + nextIn++));
    else if (llvm::StringRef(p.first).starts_with("int16_t"))
      n = "scratch";
    else
      n = "y";
    names.push_back(n);
    params.push_back(p.first + n);
  }
  std::string note = " with this layer's constants. */\n";
  if (inTile) {
    // A tile of a patch stage: its geometry varies from patch to patch.
    for (const char *g : {"ih", "iw", "oh", "ow", "pad_top", "pad_left"}) {
      params.push_back(std::string("int ") + g);
      actual.push_back(g);
    }
    note = " on one patch's tile (its geometry as parameters). */\n";
  }
  specialized += "/* " + layer + ": " + kernel + note;
  specialized += upper + "_LAYER void " + fn + "(" + llvm::join(params, ", ") + ") {\n" + prelude +
                 "  " + call(kernel + "_impl") + args(names) + ");\n}\n\n";
  line("  " + fn + "(" + llvm::join(actual, ", ") + ");\n");
}

LogicalResult CModule::emitOp(Operation *op) {
  if (isa<ConstantOp, ReshapeOp, IdentityOp, StorageCastOp, func::ReturnOp>(op))
    return success();
  if (op->getNumResults() == 1 && numel(op->getResult(0)) == 0)
    return success(); // empty tensor: nothing to compute
  currentOp = op;
  FailureOr<Operands> in = operands(op);
  if (failed(in))
    return failure();
  SmallVector<std::string> out;
  for (Value r : op->getResults()) {
    std::string p;
    if (failed(ptr(r, p)))
      return failure();
    out.push_back(p);
  }
  return emitOpBody(op, *in, out);
}

LogicalResult CModule::emitOpBody(Operation *op, const Operands &in, ArrayRef<std::string> out) {
  std::string head = "  /* " + nodeComment(op) + ": " + opKind(op);
  if (op->getNumResults())
    head += " -> " + shape::toString(shapeOf(op->getResult(0)));
  if (auto act = op->getAttrOfType<StringAttr>("activation"))
    head += ", fused " + commentText(act.getValue());
  if (inTile)
    head += "; this patch's tile";
  line(head + " */\n");
  const OpTable::Entry *entry = table.lookup(op);
  if (!entry)
    return unsupported(op, "no C kernel for this op");
  if (entry->int8)
    usesInt8 = true;
  return entry->emit(*this, op, in, out);
}

} // namespace pare::codegen
