//===- CEmitter.cpp - pare IR -> standalone C99 ---------------------------===//
//
// The output is meant to be read, reviewed and committed by users: symbols are
// named after the model's layers, every call cites its ONNX node, and the
// order of ops, weights and files is stable, so the same model and flags give
// byte-identical files.
//
//===----------------------------------------------------------------------===//

#include "codegen/c/CEmitter.h"
#include "codegen/EmitterSupport.h"

#include "dialects/Pare/Analysis/MemoryPlan.h"
#include "dialects/Pare/Analysis/Patches.h"
#include "dialects/Pare/IR/PareOps.h"
#include "dialects/Pare/IR/QuantMath.h"
#include "dialects/Pare/IR/QuantUtils.h"
#include "dialects/Pare/IR/ShapeInference.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/raw_ostream.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

using namespace mlir;

namespace pare::codegen {

namespace {

using shape::Shape;


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

std::string opKind(Operation *op) {
  // "pare.max_pool" -> "max_pool"
  return op->getName().stripDialect().str();
}

/// How a constant weight is laid out in the weights file.
enum class WeightLayout {
  AsStored,     ///< the tensor's own row-major order
  DepthwiseHWC, ///< [C][kh][kw][1] -> [kh][kw][C] for pare_depthwise_conv2d_f32
  ConvPacked    ///< OHWI -> output-channel blocks for pare_conv2d_packed_f32
};

constexpr int64_t kConvOCB = 16; // PARE_CONV_OCB in pare_kernels.h

class Emitter {
public:
  Emitter(func::FuncOp func, const CEmitOptions &opts)
      : func(func), opts(opts), prefix(sanitizeIdentifier(opts.name)),
        upper(llvm::StringRef(prefix).upper()), storage(func, prefix) {}

  LogicalResult run(std::vector<EmittedFile> &files);

private:
  // --- naming -------------------------------------------------------------
  std::string unique(const std::string &base, NameSet &used) { return uniqueName(base, used); }
  /// C expression for the storage of `v` (pointer of its element type).
  LogicalResult ptr(Value v, std::string &out);
  /// Name of a const array holding constant `v`, converted to `as` (or its
  /// own element type) and, for depthwise weights, reordered to HWC.
  std::string weight(Value v, Type as = {}, WeightLayout layout = WeightLayout::AsStored,
                     int64_t group = 1);

  // --- emission helpers ---------------------------------------------------
  LogicalResult emitOp(Operation *op);
  /// The op's comment and kernel call, on the given storage expressions.
  LogicalResult emitOpBody(Operation *op, ArrayRef<std::string> in, ArrayRef<std::string> out);
  /// Patch-based inference: the stage's ops in a loop over the patches.
  LogicalResult emitPatchStage(const planning::PatchStage &st);
  /// One elementwise stage op on a tile, row by row (inputs may be larger
  /// tiles or whole tensors).
  LogicalResult emitTileElementwise(Operation *op, ArrayRef<std::string> in,
                                    ArrayRef<std::string> inRegion, const std::string &out,
                                    const std::string &region, std::array<int, 2> axes);
  /// Inside a patch loop, convolutions and pools compute a tile: their
  /// spatial geometry comes from locals of the loop body (ih, iw, oh, ow,
  /// pad_top, pad_left, pad_bottom, pad_right) instead of the layer's whole
  /// tensors; per-layer kernel functions take them as parameters.
  bool inTile = false;
  std::string geo(int64_t whole, const char *local) const {
    return inTile ? std::string(local) : std::to_string(whole);
  }
  std::string fileScope; ///< tables emitted before the run function
  /// The memory plan as constants: (name, offset, bytes) of each arena
  /// tensor and patch tile, in order of first reference.
  std::vector<std::tuple<std::string, int64_t, int64_t>> planEntries;
  std::set<std::string> planNames;
  /// `arena + <PREFIX>_OFFSET_<name>`, registering the constant.
  std::string arenaAt(const std::string &name, int64_t offset, int64_t bytes) {
    std::string macro = upper + "_OFFSET_" + name;
    if (planNames.insert(name).second)
      planEntries.emplace_back(name, offset, bytes);
    return "arena + " + macro;
  }
  /// int8 ops, and pools on int8 tensors (runtime-stubs/c/pare_kernels_s8.h).
  LogicalResult emitQuantized(Operation *op, ArrayRef<std::string> in,
                              ArrayRef<std::string> out);
  /// TSM: pare.temporal_shift (any element type; int8 shifts the stored
  /// values, zero is the zero point), offline or streaming (a persistent
  /// state buffer, see stateBuffers).
  LogicalResult emitTemporalShift(TemporalShiftOp op, ArrayRef<std::string> in,
                                  ArrayRef<std::string> out);
  /// A 1x1 NHWC conv / qconv carrying pare.shift_frames / shift_fold /
  /// shift_mode reads its input through the temporal shift: each shifted
  /// row is gathered into scratch and convolved alone.
  LogicalResult emitShiftedConv(Operation *op, ArrayRef<std::string> in,
                                ArrayRef<std::string> out);
  /// The state of a streaming temporal shift: a file-scope static buffer
  /// that persists between calls (not in the arena), reset to `fill`.
  struct StateBuffer {
    std::string name, ctype, fill;
    int64_t count = 0, bytes = 0;
  };
  std::vector<StateBuffer> stateBuffers;
  /// The 256-entry int8 table of a lookup_table op, as a const array.
  std::string lutTable(LookupTableOp lut, const std::string &layer) {
    std::vector<std::string> v;
    for (int8_t t : lut.getTable())
      v.push_back(std::to_string(int(t)));
    return constArray(layer + "_" + lut.getFunction().str() + "_table", "int8_t", v,
                      layer + ": int8 " + lut.getFunction().str() + " table, indexed by input + 128");
  }
  /// A const int32 / float array in the weights file, named after `base`.
  std::string constArray(const std::string &base, const std::string &ctype,
                         const std::vector<std::string> &values, const std::string &note);
  bool usesInt8 = false;
  /// A kernel call. With per-layer specialisation (the default) it becomes a
  /// static function of this layer that calls the kernel's inline body
  /// (`<kernel>_impl`, pare_k_s8_impl.h) with every shape, stride and zero
  /// point as a literal, so the C compiler specialises the loops to the layer,
  /// as TinyEngine does; `ptrs` (type, actual argument) are its parameters
  /// p0, p1, ... and `args` renders the argument list for given pointer names.
  void kernelCall(const std::string &kernel, const std::string &layer,
                  const std::vector<std::pair<std::string, std::string>> &ptrs,
                  const std::function<std::string(const std::vector<std::string> &)> &args,
                  const std::string &prelude = "");
  std::string specialized; ///< the per-layer kernel functions
  bool usesSpecialized = false;
  LogicalResult unsupported(Operation *op, const Twine &why) {
    return op->emitError() << "the C target cannot emit " << op->getName() << ": "
                           << why;
  }
  LogicalResult requireF32(Operation *op) {
    for (Value v : op->getOperands())
      if (!elemOf(v).isF32())
        return unsupported(op, "only float32 tensors are supported by this kernel");
    return success();
  }
  std::string staticArray(const std::string &name, ArrayRef<int64_t> v,
                          const std::string &type = "int32_t") {
    return "    static const " + type + " " + name + "[" +
           std::to_string(std::max<size_t>(v.size(), 1)) + "] = " + intArray(v) + ";\n";
  }
  void line(const std::string &s) { body += s; }
  /// The batch_shape / a_batch_strides / b_batch_strides arrays of a batched
  /// matmul call (in the current block), or three NULLs without batch dims.
  std::tuple<std::string, std::string, std::string>
  batchArrays(const shape::MatMulGeometry &g) {
    if (g.batch.empty())
      return {"NULL", "NULL", "NULL"};
    line(staticArray("batch_shape", g.batch));
    line(staticArray("a_batch_strides", g.aBatchStrides));
    line(staticArray("b_batch_strides", g.bBatchStrides));
    return {"batch_shape", "a_batch_strides", "b_batch_strides"};
  }

  LogicalResult emitBroadcastOperands(Operation *op, ArrayRef<Value> ins,
                                      const std::vector<std::string> &names,
                                      Shape &outShape);

  func::FuncOp func;
  const CEmitOptions &opts;
  std::string prefix, upper;
  FunctionStorage storage; ///< parameters, arena locals
  NameSet usedLocals, usedGlobals;
  std::map<std::tuple<const void *, const void *, int, int64_t>, std::string> weightNames;
  struct WeightEntry {
    std::string name, decl, def;
    int64_t bytes = 0;
  };
  std::vector<WeightEntry> weights; // in order of first reference
  std::string localDecls, body;
  bool usesMath = false;
};

LogicalResult Emitter::ptr(Value v, std::string &out) {
  return storage.ptr(
      v, [&](Value root) { return weight(root); },
      "the C target needs constants with their data (got an elided or resource constant; "
      "compile the model, or IR written with --emit mlir -o DIR)",
      out);
}

std::string Emitter::weight(Value v, Type as, WeightLayout layout, int64_t group) {
  DenseElementsAttr attr;
  bool isConst = matchPattern(v, m_Constant(&attr));
  assert(isConst && "weight() needs a constant");
  (void)isConst;
  Type elem = as ? as : attr.getElementType();
  auto key = std::make_tuple(attr.getAsOpaquePointer(), elem.getAsOpaquePointer(),
                             int(layout), group);
  auto it = weightNames.find(key);
  if (it != weightNames.end())
    return it->second;
  std::string base = prefix + "_" + sanitizeIdentifier(nodeName(v.getDefiningOp()));
  if (layout == WeightLayout::DepthwiseHWC)
    base += "_hwc";
  else if (layout == WeightLayout::ConvPacked)
    base += "_packed";
  std::string name = unique(base, usedGlobals);
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
  os << "/* " << commentText(nodeName(v.getDefiningOp())) << ": " << shape::toString(s) << note
     << " */\n";
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
  weights.push_back({name, decl, def, n * elemBytes(elem)});
  return name;
}

LogicalResult Emitter::emitBroadcastOperands(Operation *op, ArrayRef<Value> ins,
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

LogicalResult Emitter::emitOp(Operation *op) {
  if (isa<ConstantOp, ReshapeOp, IdentityOp, StorageCastOp, func::ReturnOp>(op))
    return success();
  if (op->getNumResults() == 1 && numel(op->getResult(0)) == 0)
    return success(); // empty tensor: nothing to compute

  SmallVector<std::string> in;
  for (Value v : op->getOperands()) {
    std::string p;
    if (failed(ptr(v, p)))
      return failure();
    in.push_back(p);
  }
  SmallVector<std::string> out;
  for (Value r : op->getResults()) {
    std::string p;
    if (failed(ptr(r, p)))
      return failure();
    out.push_back(p);
  }

  return emitOpBody(op, in, out);
}

LogicalResult Emitter::emitOpBody(Operation *op, ArrayRef<std::string> in,
                                  ArrayRef<std::string> out) {
  std::string kind = opKind(op);
  std::string head = "  /* " + nodeComment(op) + ": " + kind;
  Shape os = op->getNumResults() ? shapeOf(op->getResult(0)) : Shape{};
  if (op->getNumResults())
    head += " -> " + shape::toString(os);
  if (auto act = op->getAttrOfType<StringAttr>("activation"))
    head += ", fused " + commentText(act.getValue());
  if (inTile)
    head += "; this patch's tile";
  line(head + " */\n");

  auto count = [&]() { return std::to_string(numel(op->getResult(0))); };
  auto i32 = [](int64_t v) { return std::to_string(v); };

  bool quantized = isa<QuantizeOp, DequantizeOp, RequantizeOp, QConvOp, QFullyConnectedOp,
                       QMatMulOp, QAddOp, QMulOp, QGlobalAveragePoolOp, LookupTableOp>(op) ||
                   (isa<MaxPoolOp, AveragePoolOp, SoftmaxOp, TemporalShiftOp>(op) &&
                    qtype::isQuantized(op->getOperand(0).getType())) ||
                   // QOperator models max-pool raw int8 tensors directly.
                   (isa<MaxPoolOp>(op) && elemOf(op->getOperand(0)).isSignlessInteger(8));
  if (quantized) {
    usesInt8 = true;
    return emitQuantized(op, in, out);
  }

  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<ConvOp>([&](ConvOp c) -> LogicalResult {
        if (failed(requireF32(op)))
          return failure();
        if (op->hasAttr("pare.shift_frames")) // reads through a temporal shift
          return emitShiftedConv(op, in, out);
        if (!c.getChannelsLast())
          return unsupported(op, "NCHW convolution (run pare-convert-to-nhwc)");
        Shape x = shapeOf(c.getInput()), w = shapeOf(c.getWeight());
        auto s = c.getStrides(), d = c.getDilations(), p = c.getPads();
        ActArgs a = fusedActivation(op);
        std::string bias = "NULL";
        if (c.getBias())
          bias = in[2];
        if (c.isDepthwise() && w[3] == 1 && matchPattern(c.getWeight(), m_Constant())) {
          line("  pare_depthwise_conv2d_f32(" + in[0] + ", " + i32(x[0]) + ", " + geo(x[1], "ih") +
               ", " + geo(x[2], "iw") + ", " + i32(x[3]) + ",\n      " +
               weight(c.getWeight(), {}, WeightLayout::DepthwiseHWC) + ", " + bias + ",\n      " + out[0] + ", " +
               geo(os[1], "oh") + ", " + geo(os[2], "ow") + ", " + i32(w[1]) + ", " + i32(w[2]) + ", " +
               i32(s[0]) + ", " + i32(s[1]) + ", " + i32(d[0]) + ", " + i32(d[1]) + ", " +
               geo(p[0], "pad_top") + ", " + geo(p[1], "pad_left") + ",\n      " + a.kind + ", " + a.a + ", " +
               a.b + ");\n");
          return success();
        }
        // Packing pads each group's output channels to a multiple of 16; use it
        // where that costs at most a quarter more weight memory.
        int64_t ocg = w[0] / int64_t(c.getGroup());
        int64_t padded = (ocg + kConvOCB - 1) / kConvOCB * kConvOCB;
        bool packed = matchPattern(c.getWeight(), m_Constant()) && padded * 4 <= ocg * 5;
        std::string wname =
            packed ? weight(c.getWeight(), {}, WeightLayout::ConvPacked, int64_t(c.getGroup()))
                   : in[1];
        line(std::string("  pare_conv2d") + (packed ? "_packed" : "") + "_f32(" + in[0] + ", " +
             i32(x[0]) + ", " + geo(x[1], "ih") + ", " + geo(x[2], "iw") + ", " + i32(x[3]) + ",\n      " +
             wname + ", " + bias + ",\n      " +
             out[0] + ", " + geo(os[1], "oh") + ", " + geo(os[2], "ow") + ", " + i32(os[3]) + ", " +
             i32(w[1]) + ", " + i32(w[2]) + ", " + i32(s[0]) + ", " + i32(s[1]) + ", " +
             i32(d[0]) + ", " + i32(d[1]) + ", " + geo(p[0], "pad_top") + ", " + geo(p[1], "pad_left") + ", " +
             i32(int64_t(c.getGroup())) + ",\n      " + a.kind + ", " + a.a + ", " + a.b +
             ");\n");
        return success();
      })
      .Case<GemmOp>([&](GemmOp g) -> LogicalResult {
        if (failed(requireF32(op)))
          return failure();
        Shape a = shapeOf(g.getA()), b = shapeOf(g.getB());
        int64_t m = os[0], n = os[1];
        int64_t k = g.getTransA() ? a[0] : a[1];
        int64_t ars = g.getTransA() ? 1 : k, acs = g.getTransA() ? m : 1;
        int64_t brs = g.getTransB() ? 1 : n, bcs = g.getTransB() ? k : 1;
        std::string c = "NULL";
        int64_t crs = 0, ccs = 0;
        if (g.getC()) {
          c = in[2];
          auto st = shape::broadcastStrides(shapeOf(g.getC()), {m, n});
          crs = st[0];
          ccs = st[1];
        }
        ActArgs act = fusedActivation(op);
        line("  pare_matmul_f32(" + in[0] + ", " + in[1] + ", " + c + ", " + out[0] +
             ",\n      " + i32(m) + ", " + i32(n) + ", " + i32(k) + ", " + i32(ars) + ", " +
             i32(acs) + ", " + i32(brs) + ", " + i32(bcs) + ", " + i32(crs) + ", " +
             i32(ccs) + ",\n      NULL, 0, NULL, NULL, " +
             floatLiteral(g.getAlpha().convertToFloat()) + ", " +
             floatLiteral(g.getBeta().convertToFloat()) + ", " + act.kind + ", " + act.a +
             ", " + act.b + ");\n");
        return success();
      })
      .Case<MatMulOp>([&](MatMulOp mm) -> LogicalResult {
        if (failed(requireF32(op)))
          return failure();
        auto g = *shape::matmulGeometry(shapeOf(mm.getA()), shapeOf(mm.getB()));
        if (g.batch.size() > 8)
          return unsupported(op, "more than 8 batch dims");
        int64_t m = g.m, k = g.k, n = g.n;
        ActArgs act = fusedActivation(op);
        line("  {\n");
        auto [bshape, astr, bstr] = batchArrays(g);
        line("    pare_matmul_f32(" + in[0] + ", " + in[1] + ", NULL, " + out[0] + ",\n        " +
             i32(m) + ", " + i32(n) + ", " + i32(k) + ", " + i32(k) + ", 1, " + i32(n) +
             ", 1, 0, 0,\n        " + bshape + ", " + i32(g.batch.size()) + ", " + astr + ", " +
             bstr + ", 1.0f, 0.0f, " + act.kind + ", " + act.a + ", " + act.b + ");\n  }\n");
        return success();
      })
      .Case<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp, ModOp>(
          [&](Operation *) -> LogicalResult {
            static const std::map<std::string, std::string> ops = {
                {"add", "ADD"}, {"sub", "SUB"}, {"mul", "MUL"}, {"div", "DIV"},
                {"pow", "POW"}, {"max", "MAX"}, {"min", "MIN"}, {"mod", "MOD"}};
            Type t = elemOf(op->getResult(0));
            Value lhs = op->getOperand(0), rhs = op->getOperand(1);
            std::string rp = in[1];
            if (elemOf(rhs) != t) {
              if (!matchPattern(rhs, m_Constant()))
                return unsupported(op, "an exponent of a different element type");
              rp = weight(rhs, t);
            }
            std::string suffix = t.isF32() ? "f32" : t.isInteger(64) ? "i64"
                                 : (t.isInteger(32) && !t.isUnsignedInteger()) ? "i32" : "";
            if (suffix.empty())
              return unsupported(op, "element type other than float32, int32, int64");
            if (auto mod = dyn_cast<ModOp>(op))
              if (!t.isF32() && mod.getFmod())
                return unsupported(op, "integer Mod with fmod=1");
            Shape shape;
            line("  {\n");
            if (failed(emitBroadcastOperands(op, {lhs, rhs}, {"a_strides", "b_strides"}, shape)))
              return failure();
            std::string call = "    pare_binary_" + suffix + "(PARE_BIN_" + ops.at(kind) +
                               ", " + in[0] + ", a_strides, " + rp + ", b_strides, " + out[0] +
                               ", shape, " + i32(shape.size());
            if (t.isF32()) {
              ActArgs act = fusedActivation(op);
              call += ",\n        " + act.kind + ", " + act.a + ", " + act.b;
            }
            line(call + ");\n  }\n");
            return success();
          })
      .Case<EqualOp, LessOp, LessOrEqualOp, GreaterOp, GreaterOrEqualOp>(
          [&](Operation *) -> LogicalResult {
            static const std::map<std::string, std::string> ops = {
                {"equal", "EQUAL"},
                {"less", "LESS"},
                {"less_or_equal", "LESS_OR_EQUAL"},
                {"greater", "GREATER"},
                {"greater_or_equal", "GREATER_OR_EQUAL"}};
            Type t = elemOf(op->getOperand(0));
            if (!t.isF32() && !t.isInteger(64) && !(t.isInteger(32) && !t.isUnsignedInteger()))
              return unsupported(op, "comparison of this element type");
            Shape shape;
            line("  {\n");
            if (failed(emitBroadcastOperands(op, {op->getOperand(0), op->getOperand(1)},
                                             {"a_strides", "b_strides"}, shape)))
              return failure();
            line("    pare_compare(PARE_CMP_" + ops.at(kind) + ", " + dtypeEnum(t) + ", " +
                 in[0] + ", a_strides, " + in[1] + ", b_strides, " + out[0] + ", shape, " +
                 i32(shape.size()) + ");\n  }\n");
            return success();
          })
      .Case<AndOp, OrOp, XorOp>([&](Operation *) -> LogicalResult {
        std::string code = isa<AndOp>(op) ? "0" : isa<OrOp>(op) ? "1" : "2";
        Shape shape;
        line("  {\n");
        if (failed(emitBroadcastOperands(op, {op->getOperand(0), op->getOperand(1)},
                                         {"a_strides", "b_strides"}, shape)))
          return failure();
        line("    pare_logical(" + code + ", " + in[0] + ", a_strides, " + in[1] +
             ", b_strides, " + out[0] + ", shape, " + i32(shape.size()) + ");\n  }\n");
        return success();
      })
      .Case<NotOp>([&](NotOp) -> LogicalResult {
        line("  pare_logical_not(" + in[0] + ", " + out[0] + ", " + count() + ");\n");
        return success();
      })
      .Case<WhereOp>([&](WhereOp w) -> LogicalResult {
        Shape shape;
        line("  {\n");
        if (failed(emitBroadcastOperands(op, {w.getCondition(), w.getX(), w.getY()},
                                         {"c_strides", "x_strides", "y_strides"}, shape)))
          return failure();
        line("    pare_where(" + i32(elemBytes(elemOf(w.getX()))) + ", " + in[0] +
             ", c_strides, " + in[1] + ", x_strides, " + in[2] + ", y_strides, " + out[0] +
             ", shape, " + i32(shape.size()) + ");\n  }\n");
        return success();
      })
      .Case<ExpandOp>([&](ExpandOp e) -> LogicalResult {
        Shape shape;
        line("  {\n");
        if (failed(emitBroadcastOperands(op, {e.getInput()}, {"x_strides"}, shape)))
          return failure();
        line("    pare_broadcast(" + i32(elemBytes(elemOf(e.getInput()))) + ", " + in[0] +
             ", x_strides, " + out[0] + ", shape, " + i32(shape.size()) + ");\n  }\n");
        return success();
      })
      .Case<SqrtOp, ExpOp, ErfOp, NegOp, ReciprocalOp, AbsOp, LogOp, FloorOp, CeilOp,
            RoundOp, SignOp, SinOp, CosOp, TanOp, AsinOp, AcosOp, AtanOp, SinhOp, CoshOp,
            AsinhOp, AcoshOp, AtanhOp>([&](Operation *) -> LogicalResult {
        std::string code = "PARE_UN_" + llvm::StringRef(kind).upper();
        Type t = elemOf(op->getOperand(0));
        if (t.isF32()) {
          line("  pare_unary_f32(" + in[0] + ", " + out[0] + ", " + count() + ", " + code +
               ");\n");
          return success();
        }
        bool intOk = isa<NegOp, AbsOp, SignOp>(op);
        if (intOk && (t.isInteger(64) || (t.isInteger(32) && !t.isUnsignedInteger()))) {
          line("  pare_unary_" + std::string(t.isInteger(64) ? "i64" : "i32") + "(" + in[0] +
               ", " + out[0] + ", " + count() + ", " + code + ");\n");
          return success();
        }
        return unsupported(op, "this element type");
      })
      .Case<ReluOp, SigmoidOp, TanhOp, HardSwishOp, SoftplusOp, SoftsignOp, MishOp, ClipOp,
            LeakyReluOp, EluOp, CeluOp, ThresholdedReluOp, HardSigmoidOp, SeluOp, GeluOp>(
          [&](Operation *) -> LogicalResult {
            if (failed(requireF32(op)))
              return failure();
            ActArgs act = standaloneActivation(op);
            line("  pare_activation_f32(" + in[0] + ", " + out[0] + ", " + count() + ", " +
                 act.kind + ", " + act.a + ", " + act.b + ");\n");
            return success();
          })
      .Case<MaxPoolOp, AveragePoolOp>([&](Operation *) -> LogicalResult {
        if (failed(requireF32(op)))
          return failure();
        if (!op->hasAttr("channels_last"))
          return unsupported(op, "NCHW pooling (run pare-convert-to-nhwc)");
        Shape x = shapeOf(op->getOperand(0));
        auto k = op->getAttrOfType<DenseI64ArrayAttr>("kernel_shape").asArrayRef();
        auto s = op->getAttrOfType<DenseI64ArrayAttr>("strides").asArrayRef();
        auto d = op->getAttrOfType<DenseI64ArrayAttr>("dilations").asArrayRef();
        auto p = op->getAttrOfType<DenseI64ArrayAttr>("pads").asArrayRef();
        bool avg = isa<AveragePoolOp>(op);
        std::string call = std::string("  pare_") + (avg ? "avgpool2d" : "maxpool2d") +
                           "_f32(" + in[0] + ", " + i32(x[0]) + ", " + geo(x[1], "ih") + ", " +
                           geo(x[2], "iw") + ", " + i32(x[3]) + ",\n      " + out[0] + ", " +
                           geo(os[1], "oh") + ", " + geo(os[2], "ow") + ", " + i32(k[0]) + ", " +
                           i32(k[1]) + ", " + i32(s[0]) + ", " + i32(s[1]) + ", " + i32(d[0]) +
                           ", " + i32(d[1]) + ", " + geo(p[0], "pad_top") + ", " + geo(p[1], "pad_left") + ", " +
                           geo(p[2], "pad_bottom") + ", " + geo(p[3], "pad_right");
        if (avg)
          call += ", " + std::string(cast<AveragePoolOp>(op).getCountIncludePad() ? "1" : "0");
        line(call + ");\n");
        return success();
      })
      .Case<GlobalAveragePoolOp, GlobalMaxPoolOp>([&](Operation *) -> LogicalResult {
        if (failed(requireF32(op)))
          return failure();
        Shape x = shapeOf(op->getOperand(0));
        bool cl = op->hasAttr("channels_last");
        std::string fn = isa<GlobalAveragePoolOp>(op) ? "avgpool" : "maxpool";
        if (cl) {
          int64_t spatial = shape::numElements(Shape(x.begin() + 1, x.end() - 1));
          line("  pare_global_" + fn + "_f32(" + in[0] + ", " + i32(x[0]) + ", " +
               i32(spatial) + ", " + i32(x.back()) + ", " + out[0] + ");\n");
          return success();
        }
        // NCx...: reduce over the trailing spatial dims.
        std::vector<int64_t> mask(x.size(), 0);
        for (size_t i = 2; i < x.size(); ++i)
          mask[i] = 1;
        line("  {\n" + staticArray("in_shape", x) + staticArray("mask", mask, "uint8_t") +
             "    pare_reduce_f32(" +
             std::string(isa<GlobalAveragePoolOp>(op) ? "PARE_RED_MEAN" : "PARE_RED_MAX") +
             ", " + in[0] + ", in_shape, " + i32(x.size()) + ", mask, " + out[0] +
             ");\n  }\n");
        return success();
      })
      .Case<BatchNormOp>([&](BatchNormOp bn) -> LogicalResult {
        if (failed(requireF32(op)))
          return failure();
        std::vector<float> scale, shift;
        if (!batchNormAffine(op, scale, shift))
          return unsupported(op, "batch norm with parameters computed at run time");
        Shape x = shapeOf(bn.getInput());
        bool cl = bn.getChannelsLast();
        int64_t c = cl ? x.back() : x[1];
        int64_t outer = cl ? shape::numElements(x) / c : x[0];
        int64_t inner = cl ? 1 : shape::numElements(x) / (x[0] * c);
        line("  {\n    static const float scale[" + i32(c) + "] = {");
        for (size_t i = 0; i < scale.size(); ++i)
          line((i ? ", " : "") + floatLiteral(scale[i]));
        line("};\n    static const float shift[" + i32(c) + "] = {");
        for (size_t i = 0; i < shift.size(); ++i)
          line((i ? ", " : "") + floatLiteral(shift[i]));
        line("};\n    pare_channel_affine_f32(" + in[0] + ", scale, shift, " + out[0] + ", " +
             i32(outer) + ", " + i32(c) + ", " + i32(inner) +
             ", PARE_ACT_NONE, 0.0f, 0.0f);\n  }\n");
        return success();
      })
      .Case<LayerNormOp>([&](LayerNormOp ln) -> LogicalResult {
        if (failed(requireF32(op)))
          return failure();
        Shape x = shapeOf(ln.getInput());
        int64_t axis = int64_t(ln.getAxis());
        int64_t inner = shape::numElements(Shape(x.begin() + axis, x.end()));
        int64_t outer = shape::numElements(x) / std::max<int64_t>(inner, 1);
        line("  pare_layernorm_f32(" + in[0] + ", " + in[1] + ", " +
             (ln.getBias() ? in[2] : std::string("NULL")) + ", " + out[0] + ", " + i32(outer) +
             ", " + i32(inner) + ", " + floatLiteral(ln.getEpsilon().convertToFloat()) +
             ");\n");
        return success();
      })
      .Case<SoftmaxOp, LogSoftmaxOp>([&](Operation *) -> LogicalResult {
        if (failed(requireF32(op)))
          return failure();
        Shape x = shapeOf(op->getOperand(0));
        int64_t axis = op->getAttrOfType<IntegerAttr>("axis").getInt();
        AxisView view = axisView(x, axis);
        int64_t outer = view.outer, inner = view.inner;
        line("  pare_softmax_f32(" + in[0] + ", " + out[0] + ", " + i32(outer) + ", " +
             i32(x[axis]) + ", " + i32(inner) + ", " + (isa<LogSoftmaxOp>(op) ? "1" : "0") +
             ");\n");
        return success();
      })
      .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp, ReduceL1Op,
            ReduceL2Op, ReduceSumSquareOp, ReduceLogSumExpOp>([&](Operation *) -> LogicalResult {
        static const std::map<std::string, std::string> ops = {
            {"reduce_sum", "SUM"},   {"reduce_mean", "MEAN"}, {"reduce_max", "MAX"},
            {"reduce_min", "MIN"},   {"reduce_prod", "PROD"}, {"reduce_l1", "L1"},
            {"reduce_l2", "L2"},     {"reduce_sum_square", "SUM_SQUARE"},
            {"reduce_log_sum_exp", "LOG_SUM_EXP"}};
        Type t = elemOf(op->getOperand(0));
        std::string suffix = t.isF32() ? "f32" : t.isInteger(64) ? "i64" : "";
        if (suffix.empty())
          return unsupported(op, "reduction of this element type");
        Shape x = shapeOf(op->getOperand(0));
        if (x.empty())
          x = {1};
        std::vector<int64_t> mask(x.size(), 0);
        for (int64_t a : op->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef())
          mask[a] = 1;
        line("  {\n" + staticArray("in_shape", x) + staticArray("mask", mask, "uint8_t") +
             "    pare_reduce_" + suffix + "(PARE_RED_" + ops.at(kind) + ", " + in[0] +
             ", in_shape, " + i32(x.size()) + ", mask, " + out[0] + ");\n  }\n");
        return success();
      })
      .Case<ArgMaxOp, ArgMinOp>([&](Operation *) -> LogicalResult {
        if (failed(requireF32(op)))
          return failure();
        Shape x = shapeOf(op->getOperand(0));
        int64_t axis = op->getAttrOfType<IntegerAttr>("axis").getInt();
        AxisView view = axisView(x, axis);
        int64_t outer = view.outer, inner = view.inner;
        bool last = op->getAttrOfType<BoolAttr>("select_last_index").getValue();
        line("  pare_argreduce_f32(" + in[0] + ", " + out[0] + ", " + i32(outer) + ", " +
             i32(x[axis]) + ", " + i32(inner) + ", " + (isa<ArgMinOp>(op) ? "1" : "0") + ", " +
             (last ? "1" : "0") + ");\n");
        return success();
      })
      .Case<TransposeOp>([&](TransposeOp t) -> LogicalResult {
        Shape x = shapeOf(t.getInput());
        if (x.size() > 8)
          return unsupported(op, "rank > 8");
        line("  {\n" + staticArray("in_shape", x) +
             staticArray("perm", Shape(t.getPerm().begin(), t.getPerm().end())) +
             "    pare_transpose(" + i32(elemBytes(elemOf(t.getInput()))) + ", " + in[0] +
             ", in_shape, perm, " + i32(x.size()) + ", " + out[0] + ");\n  }\n");
        return success();
      })
      .Case<ConcatOp>([&](ConcatOp c) -> LogicalResult {
        int64_t axis = int64_t(c.getAxis());
        int64_t esz = elemBytes(elemOf(c.getResult()));
        AxisView view = axisView(os, axis);
        int64_t outer = view.outer, inner = view.inner;
        int64_t dstStride = os[axis] * inner * esz, offset = 0;
        for (size_t i = 0; i < c.getInputs().size(); ++i) {
          int64_t rowBytes = shapeOf(c.getInputs()[i])[axis] * inner * esz;
          if (rowBytes == 0)
            continue;
          line("  pare_copy_rows((uint8_t *)" + out[0] + " + " + i32(offset) + ", " +
               i32(dstStride) + ", " + in[i] + ", " + i32(rowBytes) + ", " + i32(outer) + ", " +
               i32(rowBytes) + ");\n");
          offset += rowBytes;
        }
        return success();
      })
      .Case<SplitOp>([&](SplitOp s) -> LogicalResult {
        Shape x = shapeOf(s.getInput());
        int64_t axis = int64_t(s.getAxis());
        int64_t esz = elemBytes(elemOf(s.getInput()));
        AxisView view = axisView(x, axis);
        int64_t outer = view.outer, inner = view.inner;
        int64_t srcStride = x[axis] * inner * esz, offset = 0;
        for (size_t i = 0; i < s.getNumResults(); ++i) {
          int64_t rowBytes = shapeOf(s.getResult(i))[axis] * inner * esz;
          if (rowBytes == 0)
            continue;
          line("  pare_copy_rows(" + out[i] + ", " + i32(rowBytes) + ", (const uint8_t *)" +
               in[0] + " + " + i32(offset) + ", " + i32(srcStride) + ", " + i32(outer) + ", " +
               i32(rowBytes) + ");\n");
          offset += rowBytes;
        }
        return success();
      })
      .Case<SliceOp>([&](SliceOp s) -> LogicalResult {
        Shape x = shapeOf(s.getInput());
        if (x.size() > 8)
          return unsupported(op, "rank > 8");
        line("  {\n" + staticArray("in_shape", x) +
             staticArray("starts", Shape(s.getStarts().begin(), s.getStarts().end())) +
             staticArray("steps", Shape(s.getSteps().begin(), s.getSteps().end())) +
             staticArray("out_shape", os) + "    pare_slice(" +
             i32(elemBytes(elemOf(s.getInput()))) + ", " + in[0] + ", in_shape, " +
             i32(x.size()) + ", starts, steps, " + out[0] + ", out_shape);\n  }\n");
        return success();
      })
      .Case<PadOp>([&](PadOp p) -> LogicalResult {
        Shape x = shapeOf(p.getInput());
        Type t = elemOf(p.getInput());
        std::string ct = cType(t);
        std::string value;
        if (auto f = dyn_cast<FloatAttr>(p.getValue()))
          value = t.isF32() ? floatLiteral(float(f.getValueAsDouble()))
                            : doubleLiteral(f.getValueAsDouble());
        else if (auto i = dyn_cast<IntegerAttr>(p.getValue()))
          value = std::to_string(i.getValue().getSExtValue());
        else
          return unsupported(op, "pad value attribute");
        int mode = StringSwitch<int>(p.getMode()).Case("constant", 0).Case("reflect", 1)
                       .Case("edge", 2).Default(3);
        line("  {\n" + staticArray("in_shape", x) +
             staticArray("pads_begin",
                         Shape(p.getPadsBegin().begin(), p.getPadsBegin().end())) +
             staticArray("out_shape", os) + "    static const " + ct + " value = " + value +
             ";\n    pare_pad(" + i32(elemBytes(t)) + ", " + in[0] + ", in_shape, " +
             i32(x.size()) + ", pads_begin, " + std::to_string(mode) + ", &value, " + out[0] +
             ", out_shape);\n  }\n");
        return success();
      })
      .Case<GatherOp>([&](GatherOp g) -> LogicalResult {
        Shape x = shapeOf(g.getData());
        int64_t axis = int64_t(g.getAxis());
        AxisView view = axisView(x, axis);
        int64_t outer = view.outer, inner = view.inner;
        bool i32idx = elemOf(g.getIndices()).isInteger(32);
        line(std::string("  pare_gather") + (i32idx ? "_i32idx" : "") + "(" +
             i32(elemBytes(elemOf(g.getData()))) + ", " + in[0] + ", " + i32(outer) + ", " +
             i32(x[axis]) + ", " + i32(inner) + ", " + in[1] + ", " +
             i32(numel(g.getIndices())) + ", " + out[0] + ");\n");
        return success();
      })
      .Case<ScatterNDOp>([&](ScatterNDOp s) -> LogicalResult {
        Type t = elemOf(s.getData());
        if (cType(t).empty())
          return unsupported(op, "scatter_nd of this element type");
        Shape x = shapeOf(s.getData()), ind = shapeOf(s.getIndices());
        int64_t depth = ind.back();
        int64_t updates = shape::numElements(Shape(ind.begin(), ind.end() - 1));
        int64_t slice = shape::numElements(Shape(x.begin() + depth, x.end()));
        int reduction = StringSwitch<int>(s.getReduction())
                            .Case("add", 1)
                            .Case("mul", 2)
                            .Case("max", 3)
                            .Case("min", 4)
                            .Default(0);
        line("  {\n" + staticArray("dims", Shape(x.begin(), x.begin() + depth)) +
             "    pare_scatter_nd(" + dtypeEnum(t) + ", " + in[0] + ", " + count() + ", " + in[1] +
             ", " + i32(updates) + ", " + i32(depth) + ", dims, " + i32(slice) + ", " + in[2] +
             ", " + std::to_string(reduction) + ", " + out[0] + ");\n  }\n");
        return success();
      })
      .Case<CastOp>([&](CastOp c) -> LogicalResult {
        Type from = elemOf(c.getInput()), to = elemOf(c.getResult());
        if (cType(from).empty() || cType(to).empty())
          return unsupported(op, "cast between these element types");
        line("  pare_cast(" + dtypeEnum(from) + ", " + in[0] + ", " + dtypeEnum(to) + ", " +
             out[0] + ", " + count() + ");\n");
        return success();
      })
      .Case<TemporalShiftOp>([&](TemporalShiftOp ts) { return emitTemporalShift(ts, in, out); })
      .Default([&](Operation *) { return unsupported(op, "no C kernel for this op"); });
}

/// Output clamp of a fused relu / clip in the int8 output's quantization.
static std::pair<int64_t, int64_t> int8Clamp(Operation *op, Value result) {
  int64_t lo = -128, hi = 127;
  auto p = *qtype::params(result.getType());
  if (auto act = op->getAttrOfType<StringAttr>("activation")) {
    double a = 0, b = INFINITY;
    if (act.getValue() == "clip") {
      auto ps = op->getAttrOfType<DenseF32ArrayAttr>("activation_params").asArrayRef();
      a = ps[0];
      b = ps[1];
    }
    // Quantized as onnxruntime quantizes the clipped float (float32 division,
    // ties to even), clamped in double before any conversion to an integer:
    // a bound of -inf or a huge quotient must not overflow int64.
    auto level = [&](double bound, int64_t fallback) -> int64_t {
      double q = double(p.zeroPoint()) +
                 double(std::nearbyint(float(bound) / float(p.scale())));
      if (std::isnan(q))
        return fallback;
      return q <= -128.0 ? -128 : q >= 127.0 ? 127 : int64_t(q);
    };
    lo = std::max<int64_t>(lo, level(a, -128));
    if (!std::isnan(b))
      hi = std::min<int64_t>(hi, level(b, 127));
    if (hi < lo) // min > max: every output is max (ONNX: min(max(x, lo), hi))
      lo = hi;
  }
  return std::make_pair(lo, hi);
}

/// pare_add_s8's arguments after the rank: TFLite ADD's shifts, zero points,
/// multipliers and the fused clamp.
static std::string qaddArgs(Operation *op) {
  auto i32 = [](int64_t v) { return std::to_string(v); };
  auto multShift = [](double real) {
    int32_t m, s;
    qmath::quantizeMultiplier(real, m, s);
    return std::make_pair(m, s);
  };
  auto ap = *qtype::params(op->getOperand(0).getType());
  auto bp = *qtype::params(op->getOperand(1).getType());
  auto yp = *qtype::params(op->getResult(0).getType());
  auto [lo, hi] = int8Clamp(op, op->getResult(0));
  double twiceMax = 2.0 * std::max(ap.scale(), bp.scale());
  auto [am, ash] = multShift(ap.scale() / twiceMax);
  auto [bm, bsh] = multShift(bp.scale() / twiceMax);
  auto [ym, ysh] = multShift(twiceMax / (double(1 << qmath::kAddLeftShift) * yp.scale()));
  return i32(qmath::kAddLeftShift) + ",\n      " + i32(ap.zeroPoint()) + ", " + i32(am) + ", " +
         i32(ash) + ", " + i32(bp.zeroPoint()) + ", " + i32(bm) + ", " + i32(bsh) + ",\n      " +
         i32(yp.zeroPoint()) + ", " + i32(ym) + ", " + i32(ysh) + ", " + i32(lo) + ", " + i32(hi);
}

LogicalResult Emitter::emitPatchStage(const planning::PatchStage &st) {
  auto i32 = [](int64_t v) { return std::to_string(v); };
  size_t n = st.ops.size();
  Operation *split = st.split();
  Shape so = shapeOf(split->getResult(0));
  std::string splitName = sanitizeIdentifier(nodeName(split));
  // The regions of every patch, as a table in the .c file.
  std::string type = prefix + "_patch_region";
  std::string table = unique(prefix + "_patch_regions", usedGlobals);
  fileScope += "/* Patch-based inference: for each of the " + i32(st.patches()) + " patches (" +
               i32(st.grid) + " x " + i32(st.grid) + " over " + splitName +
               "'s output), the\n * region of every stage layer's output it computes (oy, ox, "
               "oh, ow) and the region\n * of its first input that layer reads (iy, ix, ih, iw), "
               "rows and columns. */\n";
  fileScope += "typedef struct {\n  int16_t oy, ox, oh, ow, iy, ix, ih, iw;\n} " + type + ";\n\n";
  fileScope += "static const " + type + " " + table + "[" + i32(st.patches()) + "][" + i32(n) +
               "] = {\n";
  for (int64_t p = 0; p < st.patches(); ++p) {
    fileScope += "  { /* patch " + i32(p) + " */\n";
    for (size_t i = 0; i < n; ++i) {
      const planning::Region &o = st.out[size_t(p)][i], &in = st.in[size_t(p)][i];
      fileScope += "    {" + i32(o.rows.begin) + ", " + i32(o.cols.begin) + ", " +
                   i32(o.rows.size()) + ", " + i32(o.cols.size()) + ", " + i32(in.rows.begin) +
                   ", " + i32(in.cols.begin) + ", " + i32(in.rows.size()) + ", " +
                   i32(in.cols.size()) + "}" + (i + 1 < n ? "," : "") + " /* " +
                   sanitizeIdentifier(nodeName(st.ops[i])) + " */\n";
    }
    fileScope += std::string("  }") + (p + 1 < st.patches() ? "," : "") + "\n";
  }
  fileScope += "};\n\n";

  double extra = st.modelMacs ? 100.0 * double(st.patchedMacs - st.stageMacs) /
                                    double(st.modelMacs)
                              : 0.0;
  char pct[32];
  std::snprintf(pct, sizeof pct, "%.1f", extra);
  line("  /* Patch stage: the first " + i32(int64_t(n)) + " ops, up to " + splitName + ", run on " +
       i32(st.grid) + " x " + i32(st.grid) + " patches of its\n   * " + shape::toString(so) +
       " output, each computing only the tiles it needs (recomputed halos add " + pct +
       "% MACs);\n   * only " + splitName + "'s output is stored whole. */\n");
  line("  {\n    int patch;\n    for (patch = 0; patch < " + i32(st.patches()) + "; ++patch) {\n" +
       "      const " + type + " *r = " + table + "[patch];\n");

  // Tile storage of each stage op (aliases share their producer's).
  DenseMap<Operation *, size_t> index;
  for (size_t i = 0; i < n; ++i)
    index[st.ops[i]] = i;
  auto tileOwner = [&](Value v) -> std::optional<size_t> {
    Operation *def = v.getDefiningOp();
    while (def && index.count(def) && planning::isTileAlias(def))
      def = def->getOperand(0).getDefiningOp();
    if (!def || !index.count(def))
      return std::nullopt;
    return index[def];
  };
  // Tiles are named after their layer (several ops of one ONNX node get
  // _1, _2 ...).
  // Distinct from the arena locals too: both name <PREFIX>_OFFSET_ macros.
  std::set<std::string> tileNamesUsed = usedLocals;
  std::vector<std::string> tileNames(n), cropNames(n);
  std::map<std::string, int> nodeUses;
  for (size_t i = 0; i < n; ++i)
    ++nodeUses[sanitizeIdentifier(nodeName(st.ops[i]))];
  for (size_t i = 0; i < n; ++i) {
    std::string node = sanitizeIdentifier(nodeName(st.ops[i]));
    if (nodeUses[node] > 1) // several ops of one ONNX node: say which
      node += "_" + st.ops[i]->getName().stripDialect().str();
    tileNames[i] = unique(node + "_tile", tileNamesUsed);
  }
  for (size_t i = 0; i < n; ++i)
    cropNames[i] = unique(tileNames[i] + "_crop", tileNamesUsed);
  auto tilePtr = [&](size_t i, Value v) {
    int64_t off = st.ops[i]->getAttrOfType<IntegerAttr>("pare.tile_offset").getInt();
    std::string ct = cType(elemOf(v));
    return "(" + ct + " *)(" + arenaAt(tileNames[i], off, st.tileBytes[i]) + ")";
  };
  std::string saved = body;
  body.clear();
  for (size_t i = 0; i < n; ++i) {
    Operation *op = st.ops[i];
    if (planning::isTileAlias(op))
      continue;
    std::string ri = "r[" + i32(int64_t(i)) + "]";
    std::vector<std::string> in, inRegion;
    for (Value v : op->getOperands()) {
      if (auto k = tileOwner(v)) {
        in.push_back(tilePtr(*k, v));
        inRegion.push_back("r[" + i32(int64_t(*k)) + "]");
        continue;
      }
      std::string p;
      if (failed(ptr(v, p)))
        return failure();
      in.push_back(p);
      inRegion.push_back(""); // a whole tensor
    }
    std::string out = tilePtr(i, op->getResult(0));
    bool window = isa<ConvOp, QConvOp, MaxPoolOp, AveragePoolOp>(op);
    if (window || isa<TransposeOp>(op)) {
      line("  {\n    int ih = " + ri + ".ih, iw = " + ri + ".iw, oh = " + ri + ".oh, ow = " + ri +
           ".ow;\n");
      if (window) {
        auto s = op->getAttrOfType<DenseI64ArrayAttr>("strides").asArrayRef();
        auto d = op->getAttrOfType<DenseI64ArrayAttr>("dilations").asArrayRef();
        auto p = op->getAttrOfType<DenseI64ArrayAttr>("pads").asArrayRef();
        int64_t kh, kw;
        if (auto k = op->getAttrOfType<DenseI64ArrayAttr>("kernel_shape")) {
          kh = k[0];
          kw = k[1];
        } else {
          Shape w = shapeOf(op->getOperand(1));
          kh = w[1];
          kw = w[2];
        }
        line("    int pad_top = " + i32(p[0]) + " + " + ri + ".iy - " + ri + ".oy * " + i32(s[0]) +
             ", pad_left = " + i32(p[1]) + " + " + ri + ".ix - " + ri + ".ox * " + i32(s[1]) +
             ";\n");
        if (isa<MaxPoolOp, AveragePoolOp>(op))
          line("    int pad_bottom = (oh - 1) * " + i32(s[0]) + " + " + i32((kh - 1) * d[0] + 1) +
               " - pad_top - ih, pad_right = (ow - 1) * " + i32(s[1]) + " + " +
               i32((kw - 1) * d[1] + 1) + " - pad_left - iw;\n    if (pad_bottom < 0)\n"
               "      pad_bottom = 0;\n    if (pad_right < 0)\n      pad_right = 0;\n");
        if (inRegion[0].empty()) {
          // Reads a whole tensor outside the arena: copy the region first.
          Shape x = shapeOf(op->getOperand(0));
          int64_t eb = elemBytes(elemOf(op->getOperand(0)));
          auto crop = op->getAttrOfType<IntegerAttr>("pare.crop_offset");
          if (!crop)
            return op->emitError("internal: no crop buffer for a patch reading a whole tensor");
          std::string ct = cType(elemOf(op->getOperand(0)));
          std::string cp = "(" + ct + " *)(" +
                           arenaAt(cropNames[i], crop.getInt(),
                                   st.tileInBytes[i]) +
                           ")";
          int64_t row = x[2] * x[3] * eb, px = x[3] * eb;
          line("    /* this patch's region of the input */\n    pare_copy_rows(" + cp +
               ", (size_t)iw * " + i32(px) + ", (const uint8_t *)" + in[0] + " + ((size_t)" + ri +
               ".iy * " + i32(row) + " + (size_t)" + ri + ".ix * " + i32(px) +
               "), " + i32(row) + ", (size_t)ih, (size_t)iw * " + i32(px) + ");\n");
          in[0] = cp;
        }
      }
      if (isa<TransposeOp>(op)) {
        // NCHW -> NHWC of the region: from a tile (laid out [C][ih][iw]) or
        // from the whole tensor.
        Shape x = shapeOf(op->getOperand(0));
        std::string ct = cType(elemOf(op->getOperand(0)));
        std::string src = inRegion[0].empty()
                              ? "(size_t)" + ri + ".iy * " + i32(x[3]) + " + (size_t)" + ri +
                                    ".ix + ((size_t)ch * " + i32(x[2]) + " + row) * " + i32(x[3]) +
                                    " + col"
                              : "((size_t)ch * ih + row) * iw + col";
        line("    /* " + nodeComment(op) + ": NCHW -> NHWC, this patch's region */\n");
        line("    {\n      const " + ct + " *src = " + in[0] + ";\n      " + ct + " *dst = " + out +
             ";\n      int ch, row, col;\n      (void)oh;\n      (void)ow;\n      for (row = 0; row < ih; "
             "++row)\n        for (col = 0; col < iw; ++col)\n          for (ch = 0; ch < " +
             i32(x[1]) + "; ++ch)\n            dst[((size_t)row * iw + col) * " + i32(x[1]) +
             " + ch] = src[" + src + "];\n    }\n");
      } else {
        inTile = true;
        std::string inner = body;
        body.clear();
        LogicalResult r = emitOpBody(op, in, {out});
        inTile = false;
        if (failed(r))
          return failure();
        std::string call = body;
        body = inner;
        // Indent the call into the block.
        std::string indented;
        for (llvm::StringRef l : llvm::split(llvm::StringRef(call).rtrim('\n'), '\n'))
          indented += "  " + l.str() + "\n";
        line(indented);
      }
      line("  }\n");
    } else {
      if (failed(emitTileElementwise(op, in, inRegion, out, ri, st.axes[i])))
        return failure();
    }
    if (op == split) {
      std::string full;
      if (failed(ptr(op->getResult(0), full)))
        return failure();
      int64_t eb = elemBytes(elemOf(op->getResult(0)));
      int64_t row = so[2] * so[3] * eb, px = so[3] * eb;
      line("  /* " + splitName + ": this patch's tile into the whole output */\n");
      line("  pare_copy_rows((uint8_t *)" + full + " + ((size_t)" + ri + ".oy * " + i32(row) +
           " + (size_t)" + ri + ".ox * " + i32(px) + "), " + i32(row) + ", " + out + ", (size_t)" +
           ri + ".ow * " + i32(px) + ", (size_t)" + ri + ".oh, (size_t)" + ri + ".ow * " + i32(px) +
           ");\n");
    }
  }
  std::string stageBody = body;
  body = saved;
  for (llvm::StringRef l : llvm::split(llvm::StringRef(stageBody).rtrim('\n'), '\n'))
    line(l.empty() ? "\n" : "    " + l.str() + "\n");
  line("    }\n  }\n");
  return success();
}

LogicalResult Emitter::emitTileElementwise(Operation *op, ArrayRef<std::string> in,
                                           ArrayRef<std::string> inRegion,
                                           const std::string &out, const std::string &region,
                                           std::array<int, 2> axes) {
  auto i32 = [](int64_t v) { return std::to_string(v); };
  std::string layer = sanitizeIdentifier(nodeName(op));
  Shape ys = shapeOf(op->getResult(0));
  bool nchw = axes[0] == 2;
  int64_t c = nchw ? ys[1] : ys[3];
  int64_t h = ys[size_t(axes[0])], w = ys[size_t(axes[1])];
  // Element offset of row `row` (channel `ch` for NCHW) of this op's region
  // inside input j's storage: a larger tile or the whole tensor.
  auto rowOf = [&](size_t j) {
    std::string py = inRegion[j].empty() ? "0" : inRegion[j] + ".oy";
    std::string px = inRegion[j].empty() ? "0" : inRegion[j] + ".ox";
    std::string ph = inRegion[j].empty() ? i32(h) : inRegion[j] + ".oh";
    std::string pw = inRegion[j].empty() ? i32(w) : inRegion[j] + ".ow";
    std::string r = "(" + region + ".oy + row - " + py + ")";
    if (nchw)
      return in[j] + " + ((size_t)ch * " + ph + " + " + r + ") * " + pw + " + (" + region +
             ".ox - " + px + ")";
    return in[j] + " + ((size_t)" + r + " * " + pw + " + (" + region + ".ox - " + px + ")) * " +
           i32(c);
  };
  std::string yRow = nchw ? out + " + ((size_t)ch * " + region + ".oh + row) * " + region + ".ow"
                          : out + " + (size_t)row * " + region + ".ow * " + i32(c);
  std::string count = nchw ? region + ".ow" : region + ".ow * " + i32(c);
  std::string call;
  auto params = [](Value v) { return *qtype::params(v.getType()); };
  if (auto q = dyn_cast<QuantizeOp>(op)) {
    auto p = params(q.getOutput());
    call = "pare_quantize_f32_s8(" + rowOf(0) + ", " + yRow + ", (size_t)n, " +
           floatLiteral(float(p.scale())) + ", " + i32(p.zeroPoint()) + ")";
    usesInt8 = true;
  } else if (auto lut = dyn_cast<LookupTableOp>(op)) {
    call = "pare_lut_s8(" + rowOf(0) + ", " + yRow + ", (size_t)n, " + lutTable(lut, layer) + ")";
  } else if (isa<QAddOp>(op)) {
    call = "pare_add_s8(" + rowOf(0) + ", one, " + rowOf(1) + ", one, " + yRow + ", &n, 1, " +
           qaddArgs(op) + ")";
  } else if (isa<AddOp>(op)) {
    ActArgs act = fusedActivation(op);
    call = "pare_binary_f32(PARE_BIN_ADD, " + rowOf(0) + ", one, " + rowOf(1) + ", one, " + yRow +
           ", &n, 1, " + act.kind + ", " + act.a + ", " + act.b + ")";
  } else if (isa<ReluOp>(op)) {
    ActArgs act = standaloneActivation(op);
    call = "pare_activation_f32(" + rowOf(0) + ", " + yRow + ", (size_t)n, " + act.kind + ", " +
           act.a + ", " + act.b + ")";
  } else {
    return unsupported(op, "this op inside a patch stage");
  }
  line("  /* " + nodeComment(op) + ": " + opKind(op) + " on this patch's tile, row by row */\n");
  line("  {\n    static const int32_t one[1] = {1};\n    int32_t n = " + count +
       ";\n    int row" + std::string(nchw ? ", ch" : "") + ";\n    (void)one;\n");
  if (nchw)
    line("    for (ch = 0; ch < " + i32(c) + "; ++ch)\n      for (row = 0; row < " + region +
         ".oh; ++row)\n        " + call + ";\n  }\n");
  else
    line("    for (row = 0; row < " + region + ".oh; ++row)\n      " + call + ";\n  }\n");
  return success();
}

/// The value a temporal shift writes where no frame exists, as a C literal
/// of the tensor's element type: the zero point of a quantized tensor.
static std::string shiftZeroLiteral(Type t) {
  if (auto p = qtype::params(t))
    return std::to_string(p->zeroPoint());
  if (t.isF32())
    return "0.0f";
  if (isa<FloatType>(t))
    return "0.0";
  return "0";
}

LogicalResult Emitter::emitTemporalShift(TemporalShiftOp ts, ArrayRef<std::string> in,
                                         ArrayRef<std::string> out) {
  Operation *op = ts.getOperation();
  auto i32 = [](int64_t v) { return std::to_string(v); };
  if (inTile)
    return unsupported(op, "a temporal shift inside a patch stage");
  Type et = elemOf(ts.getInput());
  std::string ct = cType(et);
  if (ct.empty())
    return unsupported(op, "a temporal shift of this element type");
  Shape s = shapeOf(ts.getInput());
  bool cl = ts.getChannelsLast();
  int64_t c = ts.getChannelCount(), fold = int64_t(ts.getFold()), frames = int64_t(ts.getFrames());
  int64_t inner = numel(ts.getInput()) / (s[0] * c);
  int64_t eb = elemBytes(et);
  std::string layout = cl ? "1" : "0";
  if (ts.getStreaming()) {
    // One frame per stream: the previous frame's channels [0, fold) live in
    // a static buffer, [batch][inner][fold] (NHWC) or [batch][fold][inner].
    StateBuffer b;
    b.name = unique(prefix + "_" + sanitizeIdentifier(nodeName(op)) + "_state", usedGlobals);
    b.ctype = ct;
    b.fill = shiftZeroLiteral(et);
    b.count = s[0] * inner * fold;
    b.bytes = b.count * eb;
    stateBuffers.push_back(b);
    line("  /* streaming: channels [0, " + i32(fold) + ") come from the previous frame (" +
         b.name + "), which then keeps this frame's */\n");
    line("  pare_temporal_shift_step(" + i32(eb) + ", " + in[0] + ", " + out[0] + ", " + b.name +
         ", " + i32(s[0]) + ", " + i32(c) + ", " + i32(inner) + ", " + i32(fold) + ", " + layout +
         ");\n");
    return success();
  }
  if (op->hasAttr("pare.in_place"))
    return unsupported(op, "an offline temporal shift in place (only streaming shifts may be)");
  bool bi = ts.isBidirectional();
  line("  /* " + std::string(bi ? "bidirectional" : "unidirectional") + " shift of " + i32(fold) +
       " channel" + (fold == 1 ? "" : "s") + (bi ? " each way" : "") + " over clips of " +
       i32(frames) + " frames */\n");
  line("  {\n    static const " + ct + " tsm_zero = " + shiftZeroLiteral(et) + ";\n");
  line("    pare_temporal_shift(" + i32(eb) + ", " + in[0] + ", " + out[0] + ", " + i32(s[0]) +
       ", " + i32(frames) + ", " + i32(c) + ", " + i32(inner) + ", " + i32(fold) + ", " +
       (bi ? "1" : "0") + ", " + layout + ", &tsm_zero);\n  }\n");
  return success();
}

LogicalResult Emitter::emitShiftedConv(Operation *op, ArrayRef<std::string> in,
                                       ArrayRef<std::string> out) {
  auto i32 = [](int64_t v) { return std::to_string(v); };
  if (inTile)
    return unsupported(op, "a convolution through a temporal shift inside a patch stage");
  auto framesAttr = op->getAttrOfType<IntegerAttr>("pare.shift_frames");
  auto foldAttr = op->getAttrOfType<IntegerAttr>("pare.shift_fold");
  auto modeAttr = op->getAttrOfType<StringAttr>("pare.shift_mode");
  if (!framesAttr || !foldAttr || !modeAttr)
    return unsupported(op, "pare.shift_frames needs pare.shift_fold (i64) and pare.shift_mode "
                           "(string)");
  if (modeAttr.getValue() != "bidirectional" && modeAttr.getValue() != "unidirectional")
    return unsupported(op, "pare.shift_mode must be bidirectional or unidirectional");
  bool bi = modeAttr.getValue() == "bidirectional";
  Value x = op->getOperand(0), w = op->getOperand(1), y = op->getResult(0);
  Value bias = op->getNumOperands() > 2 ? op->getOperand(2) : Value();
  Shape xs = shapeOf(x), ws = shapeOf(w), ys = shapeOf(y);
  auto s = op->getAttrOfType<DenseI64ArrayAttr>("strides").asArrayRef();
  auto d = op->getAttrOfType<DenseI64ArrayAttr>("dilations").asArrayRef();
  auto p = op->getAttrOfType<DenseI64ArrayAttr>("pads").asArrayRef();
  int64_t group = op->getAttrOfType<IntegerAttr>("group").getInt();
  if (!op->hasAttr("channels_last") || xs.size() != 4)
    return unsupported(op, "a convolution through a temporal shift must be NHWC 2-D");
  if (ws[1] != 1 || ws[2] != 1 || s[0] != 1 || s[1] != 1 || group != 1 ||
      llvm::any_of(p, [](int64_t v) { return v != 0; }) || ys[1] != xs[1] || ys[2] != xs[2])
    return unsupported(op, "a convolution through a temporal shift must be 1x1, stride 1, "
                           "unpadded, group 1");
  bool depthwise = isa<ConvOp>(op) ? cast<ConvOp>(op).isDepthwise() : cast<QConvOp>(op).isDepthwise();
  if (depthwise)
    return unsupported(op, "a depthwise convolution through a temporal shift");
  int64_t nt = xs[0], h = xs[1], wd = xs[2], c = xs[3], oc = ys[3];
  int64_t frames = framesAttr.getInt(), fold = foldAttr.getInt();
  if (frames < 1 || nt % frames != 0 || fold < 0 || (bi ? 2 * fold : fold) > c)
    return unsupported(op, "shift attributes that do not fit the input (" + i32(nt) +
                               " frames in clips of " + i32(frames) + ", fold " + i32(fold) +
                               " of " + i32(c) + " channels)");
  auto scratchAttr = op->getAttrOfType<IntegerAttr>("pare.scratch_offset");
  if (!scratchAttr)
    return op->emitError("internal: no scratch for the shifted row (run pare-plan-memory)");
  Type et = elemOf(x);
  std::string ct = cType(et);
  int64_t eb = elemBytes(et);
  int64_t rowBytes = (wd * c * eb + 15) / 16 * 16; // MemoryPlan scratchBytes
  int64_t off = scratchAttr.getInt();
  std::string layer = sanitizeIdentifier(nodeName(op));
  std::string yRow = out[0] + " + ((size_t)tsm_f * " + i32(h) + " + (size_t)tsm_r) * " +
                     i32(wd * oc);

  // The convolution of one row: [1][1][W][C] -> [1][1][W][OC], as the layer's
  // own kernel would compute it (same kernel, weights and arithmetic).
  std::string call;
  if (auto c8 = dyn_cast<QConvOp>(op)) {
    if (planning::usesGenericInt8Kernel(op))
      return unsupported(op, "a convolution through a temporal shift on the generic int8 path "
                             "(ONNX rounding, asymmetric weights or an i32 result)");
    auto xp = *qtype::params(x.getType()), wp = *qtype::params(w.getType()),
         yp = *qtype::params(y.getType());
    std::vector<std::string> ms, ss;
    for (int64_t ch = 0; ch < oc; ++ch) {
      int32_t m, sh;
      qmath::quantizeMultiplier(xp.scale() * wp.scale(size_t(ch)) / yp.scale(), m, sh);
      ms.push_back(std::to_string(m));
      ss.push_back(std::to_string(sh));
    }
    std::string mult = constArray(layer + "_mult", "int32_t", ms,
                                  layer + ": requantization multipliers (Q31)");
    std::string shift =
        constArray(layer + "_shift", "int32_t", ss, layer + ": requantization shifts");
    auto [lo, hi] = int8Clamp(op, y);
    std::string lit = "1, 1, " + i32(wd) + ", " + i32(c) + ", " + i32(xp.zeroPoint());
    std::string tail = i32(yp.zeroPoint()) + ", " + i32(lo) + ", " + i32(hi);
    std::string geom = "1, 1, 1, 1, " + i32(d[0]) + ", " + i32(d[1]) + ", 0, 0";
    std::string wn = in[1], bn = bias ? in[2] : std::string("NULL");
    std::string saved = body;
    body.clear();
    kernelCall("pare_conv2d_s8", layer,
               {{"const int8_t *", "tsm_row"},
                {"int8_t *", yRow},
                {"int16_t *", "(int16_t *)(arena + " + i32(off + rowBytes) + ")"}},
               [&](const std::vector<std::string> &q) {
                 return q[0] + ", " + lit + ",\n      " + wn + ", " + bn + ", " + mult + ", " +
                        shift + ",\n      " + tail + ", " + q[1] + ", 1, " + i32(wd) + ", " +
                        i32(oc) + ", " + geom + ", " + q[2];
               });
    call = body;
    body = saved;
    (void)c8;
  } else {
    ActArgs a = fusedActivation(op);
    // As a plain conv: packed weights where padding the output channels to
    // a multiple of 16 costs at most a quarter more.
    int64_t padded = (oc + kConvOCB - 1) / kConvOCB * kConvOCB;
    bool packed = matchPattern(w, m_Constant()) && padded * 4 <= oc * 5;
    std::string wname = packed ? weight(w, {}, WeightLayout::ConvPacked, 1) : in[1];
    call = std::string("  pare_conv2d") + (packed ? "_packed" : "") + "_f32(tsm_row, 1, 1, " +
           i32(wd) + ", " + i32(c) + ",\n      " + wname + ", " + (bias ? in[2] : "NULL") +
           ",\n      " + yRow + ", 1, " + i32(wd) + ", " + i32(oc) + ", 1, 1, 1, 1, " +
           i32(d[0]) + ", " + i32(d[1]) + ", 0, 0, 1,\n      " + a.kind + ", " + a.a + ", " +
           a.b + ");\n";
  }
  line("  /* input read through a " + std::string(bi ? "bidirectional" : "unidirectional") +
       " temporal shift (" + i32(fold) + " channel" + (fold == 1 ? "" : "s") +
       (bi ? " each way" : "") + ", clips of " + i32(frames) +
       " frames), never stored:\n   * each shifted row is gathered into scratch and "
       "convolved alone (1 x " + i32(wd) + ") */\n");
  line("  {\n    static const " + ct + " tsm_zero = " + shiftZeroLiteral(et) + ";\n    " + ct +
       " *tsm_row = (" + ct + " *)(arena + " + i32(off) + ");\n    int tsm_f, tsm_r;\n");
  line("    for (tsm_f = 0; tsm_f < " + i32(nt) + "; ++tsm_f)\n      for (tsm_r = 0; tsm_r < " +
       i32(h) + "; ++tsm_r) {\n");
  line("        pare_temporal_shift_row(" + i32(eb) + ", " + in[0] + ", tsm_row, tsm_f, " +
       i32(frames) + ", " + i32(h) + ", " + i32(wd) + ", " + i32(c) + ", tsm_r, " + i32(fold) +
       ", " + (bi ? "1" : "0") + ", &tsm_zero);\n");
  for (llvm::StringRef l : llvm::split(llvm::StringRef(call).rtrim('\n'), '\n'))
    line("      " + l.str() + "\n");
  line("      }\n  }\n");
  return success();
}

std::string Emitter::constArray(const std::string &base, const std::string &ctype,
                                const std::vector<std::string> &values,
                                const std::string &note) {
  std::string name = unique(prefix + "_" + sanitizeIdentifier(base), usedGlobals);
  size_t n = std::max<size_t>(values.size(), 1);
  std::string def = "/* " + commentText(note, 0) + " */\nconst " + ctype + " " + name + "[" +
                    std::to_string(n) + "] = {";
  for (size_t i = 0; i < values.size(); ++i)
    def += std::string(i % 8 == 0 ? "\n  " : " ") + values[i] + (i + 1 < values.size() ? "," : "");
  if (values.empty())
    def += "\n  0";
  def += "\n};\n\n";
  int64_t elem = ctype == "int8_t" ? 1 : 4;
  weights.push_back({name, "extern const " + ctype + " " + name + "[" + std::to_string(n) +
                               "];\n",
                     def, int64_t(n) * elem});
  return name;
}

void Emitter::kernelCall(const std::string &kernel, const std::string &layer,
                         const std::vector<std::pair<std::string, std::string>> &ptrs,
                         const std::function<std::string(const std::vector<std::string> &)> &args,
                         const std::string &prelude) {
  std::vector<std::string> actual;
  for (auto &p : ptrs)
    actual.push_back(p.second);
  if (!opts.specializeKernels) {
    if (prelude.empty()) {
      line("  " + kernel + "(" + args(actual) + ");\n");
    } else {
      line("  {\n" + prelude + "    " + kernel + "(" + args(actual) + ");\n  }\n");
    }
    return;
  }
  usesSpecialized = true;
  std::string fn = unique(prefix + "_" + layer + "_kernel", usedGlobals);
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
                 "  " + kernel + "_impl(" + args(names) + ");\n}\n\n";
  line("  " + fn + "(" + llvm::join(actual, ", ") + ");\n");
}

LogicalResult Emitter::emitQuantized(Operation *op, ArrayRef<std::string> in,
                                     ArrayRef<std::string> out) {
  auto i32 = [](int64_t v) { return std::to_string(v); };
  auto params = [](Value v) { return *qtype::params(v.getType()); };
  auto multShift = [](double real) {
    int32_t m, s;
    qmath::quantizeMultiplier(real, m, s);
    return std::make_pair(m, s);
  };
  std::string layer = sanitizeIdentifier(nodeName(op));
  std::string scratch = "NULL";
  if (auto a = op->getAttrOfType<IntegerAttr>("pare.scratch_offset"))
    scratch = "(arena + " + std::to_string(a.getInt()) + ")";
  auto clamp = [&](Value result) { return int8Clamp(op, result); };
  // Per-channel requantization arrays of a conv / fully connected layer.
  auto requantArrays = [&](Value x, Value w, Value y, int64_t channels,
                           std::string &mult, std::string &shift) {
    auto xp = params(x), wp = params(w), yp = params(y);
    std::vector<std::string> ms, ss;
    // Conv kernels read one multiplier per output channel: a per-tensor
    // weight repeats its one (fully connected takes a per_channel flag).
    size_t n = wp.perTensor() && isa<QFullyConnectedOp>(op) ? 1 : size_t(channels);
    for (size_t c = 0; c < n; ++c) {
      auto [m, sh] = multShift(xp.scale() * wp.scale(c) / yp.scale());
      ms.push_back(std::to_string(m));
      ss.push_back(std::to_string(sh));
    }
    mult = constArray(layer + "_mult", "int32_t", ms,
                      layer + ": requantization multipliers (Q31)");
    shift = constArray(layer + "_shift", "int32_t", ss, layer + ": requantization shifts");
    return n;
  };
  // Float scales of the generic path: x_scale * w_scale[c] / y_scale.
  auto floatScales = [&](Value x, Value w, Value y, int64_t channels) {
    auto xp = params(x), wp = params(w), yp = params(y);
    std::vector<std::string> v;
    size_t n = wp.perTensor() ? 1 : size_t(channels);
    for (size_t c = 0; c < n; ++c) // in float32, in onnxruntime's order
      v.push_back(floatLiteral(float(float(xp.scale()) * float(wp.scale(c))) /
                               float(yp.scale())));
    return std::make_pair(constArray(layer + "_scale", "float", v,
                                     layer + ": requantization scales"),
                          n);
  };
  auto zeroPoints = [&](Value w) {
    auto wp = params(w);
    std::vector<std::string> v;
    for (int64_t z : wp.zeroPoints)
      v.push_back(std::to_string(z));
    return std::make_pair(constArray(layer + "_w_zero_point", "int32_t", v,
                                     layer + ": weight zero points"),
                          v.size());
  };
  auto constWeight = [&](Value w, WeightLayout layout) -> std::string {
    Value root = planning::storageRoot(w);
    if (!matchPattern(root, m_Constant()))
      return "";
    return weight(root, {}, layout);
  };
  auto bindNull = [](Value v, ArrayRef<std::string> in, size_t i) {
    return v ? in[i] : std::string("NULL");
  };
  // A fused relu / clip after float requantization: clamp through a table.
  auto clampTable = [&](Value result, const std::string &ptr) {
    auto [lo, hi] = clamp(result);
    if (lo == -128 && hi == 127)
      return;
    std::vector<std::string> v;
    for (int q = -128; q < 128; ++q)
      v.push_back(std::to_string(std::min<int64_t>(hi, std::max<int64_t>(lo, q))));
    std::string table = constArray(layer + "_clamp_table", "int8_t", v,
                                   layer + ": fused activation as an int8 clamp table");
    line("  pare_lut_s8(" + ptr + ", " + ptr + ", " + i32(numel(result)) + ", " + table + ");\n");
  };
  // int32 accumulators -> int8 in float32 (generic path), then the fused
  // clamp; `channels` is the innermost (output channel) dim.
  auto requantizeAcc = [&](const std::string &acc, const std::string &bias, Value x, Value w,
                           Value y, int64_t channels, const std::string &dst) {
    auto [scales, n] = floatScales(x, w, y, channels);
    line("  pare_requantize_acc_s8(" + acc + ", " + bias + ", " + scales + ", " + i32(n) + ", " +
         i32(channels) + ", " + i32(numel(y)) + ", " + i32(params(y).zeroPoint()) + ", " + dst +
         ");\n");
    clampTable(y, dst);
  };

  if (auto ts = dyn_cast<TemporalShiftOp>(op)) // shifts the stored int8 values
    return emitTemporalShift(ts, in, out);
  if (auto c = dyn_cast<QConvOp>(op)) {
    if (!c.getChannelsLast())
      return unsupported(op, "NCHW convolution (run pare-convert-to-nhwc)");
    if (op->hasAttr("pare.shift_frames")) // reads through a temporal shift
      return emitShiftedConv(op, in, out);
    Shape x = shapeOf(c.getInput()), w = shapeOf(c.getWeight()), os = shapeOf(c.getOutput());
    auto s = c.getStrides(), d = c.getDilations(), p = c.getPads();
    auto xp = params(c.getInput());
    std::string geom = i32(w[1]) + ", " + i32(w[2]) + ", " + i32(s[0]) + ", " + i32(s[1]) +
                       ", " + i32(d[0]) + ", " + i32(d[1]) + ", " + geo(p[0], "pad_top") + ", " +
                       geo(p[1], "pad_left");
    if (!planning::usesGenericInt8Kernel(op)) {
      auto [lo, hi] = clamp(c.getOutput());
      std::string mult, shift;
      requantArrays(c.getInput(), c.getWeight(), c.getOutput(), w[0], mult, shift);
      std::string bias = bindNull(c.getBias(), in, 2);
      auto yp = params(c.getOutput());
      if (c.isDepthwise()) {
        std::string wn = constWeight(c.getWeight(), WeightLayout::DepthwiseHWC);
        if (wn.empty())
          return unsupported(op, "a depthwise convolution with non-constant weights");
        std::string lit = i32(x[0]) + ", " + geo(x[1], "ih") + ", " + geo(x[2], "iw") + ", " +
                          i32(x[3]) + ", " + i32(xp.zeroPoint());
        std::string tail = i32(yp.zeroPoint()) + ", " + i32(lo) + ", " + i32(hi);
        // One channel at a time through a padded channel copy in scratch:
        // faster than the NHWC kernel (no bounds checks in the inner loop),
        // and the output may overwrite the input (pare.in_place).
        kernelCall("pare_depthwise_conv2d_s8_inplace", layer,
                   {{"const int8_t *", in[0]}, {"int8_t *", out[0]},
                    {"int16_t *", "(int16_t *)" + scratch}},
                   [&](const std::vector<std::string> &p) {
                     return p[0] + ", " + lit + ",\n      " + wn + ", " + bias + ", " + mult + ", " +
                            shift + ",\n      " + tail + ", " + p[1] + ", " + geo(os[1], "oh") + ", " +
                            geo(os[2], "ow") + ", " + geom + ", " + p[2];
                   });
        return success();
      }
      std::string lit = i32(x[0]) + ", " + geo(x[1], "ih") + ", " + geo(x[2], "iw") + ", " +
                        i32(x[3]) + ", " + i32(xp.zeroPoint());
      std::string tail = i32(yp.zeroPoint()) + ", " + i32(lo) + ", " + i32(hi);
      std::string wn = in[1];
      kernelCall("pare_conv2d_s8", layer,
                 {{"const int8_t *", in[0]}, {"int8_t *", out[0]},
                  {"int16_t *", "(int16_t *)" + scratch}},
                 [&](const std::vector<std::string> &p) {
                   return p[0] + ", " + lit + ",\n      " + wn + ", " + bias + ", " + mult + ", " +
                          shift + ",\n      " + tail + ", " + p[1] + ", " + geo(os[1], "oh") + ", " +
                          geo(os[2], "ow") + ", " + i32(os[3]) + ", " + geom + ", " + p[2];
                 });
      return success();
    }
    bool i32Out = !qtype::isQuantized(c.getOutput().getType());
    if (op->getAttr("activation") && i32Out)
      return unsupported(op, "a fused activation on an i32 result");
    std::string acc = i32Out ? out[0] : "(int32_t *)" + scratch;
    auto [wzp, wzpCount] = zeroPoints(c.getWeight());
    line("  pare_conv2d_acc_s8(" + in[0] + ", " + i32(x[0]) + ", " + i32(x[1]) + ", " + i32(x[2]) +
         ", " + i32(x[3]) + ", " + i32(xp.zeroPoint()) + ",\n      " + in[1] + ", " + wzp + ", " +
         i32(wzpCount) + ", " + acc + ", " + i32(os[1]) + ", " + i32(os[2]) + ", " + i32(os[3]) +
         ", " + geom + ", " + i32(int64_t(c.getGroup())) + ");\n");
    if (!i32Out)
      requantizeAcc(acc, bindNull(c.getBias(), in, 2), c.getInput(), c.getWeight(), c.getOutput(),
                    w[0], out[0]);
    return success();
  }
  if (auto fc = dyn_cast<QFullyConnectedOp>(op)) {
    Shape x = shapeOf(fc.getInput()), w = shapeOf(fc.getWeight());
    auto xp = params(fc.getInput());
    if (!planning::usesGenericInt8Kernel(op)) {
      auto [lo, hi] = clamp(fc.getOutput());
      std::string mult, shift;
      size_t n = requantArrays(fc.getInput(), fc.getWeight(), fc.getOutput(), w[0], mult, shift);
      std::string lit = i32(x[0]) + ", " + i32(x[1]) + ", " + i32(xp.zeroPoint());
      std::string rest = in[1] + ", " + bindNull(fc.getBias(), in, 2) + ", " + mult + ", " +
                         shift + ", " + (n > 1 ? "1" : "0") + ",\n      " +
                         i32(params(fc.getOutput()).zeroPoint()) + ", " + i32(lo) + ", " +
                         i32(hi);
      kernelCall("pare_fully_connected_s8", layer,
                 {{"const int8_t *", in[0]}, {"int8_t *", out[0]}},
                 [&](const std::vector<std::string> &p) {
                   return p[0] + ", " + lit + ",\n      " + rest + ", " + p[1] + ", " + i32(w[0]);
                 });
      return success();
    }
    bool i32Out = !qtype::isQuantized(fc.getOutput().getType());
    if (op->getAttr("activation") && i32Out)
      return unsupported(op, "a fused activation on an i32 result");
    std::string acc = i32Out ? out[0] : "(int32_t *)" + scratch;
    auto [wzp, wzpCount] = zeroPoints(fc.getWeight());
    line("  pare_matmul_acc_s8(" + in[0] + ", " + i32(xp.zeroPoint()) + ", " + in[1] + ", " +
         wzp + ", " + i32(wzpCount) + ", " + acc + ",\n      " + i32(x[0]) + ", " + i32(w[0]) +
         ", " + i32(x[1]) + ", " + i32(x[1]) + ", 1, 1, " + i32(x[1]) +
         ", NULL, 0, NULL, NULL);\n");
    if (!i32Out)
      requantizeAcc(acc, bindNull(fc.getBias(), in, 2), fc.getInput(), fc.getWeight(),
                    fc.getOutput(), w[0], out[0]);
    return success();
  }
  if (auto mm = dyn_cast<QMatMulOp>(op)) {
    auto g = *shape::matmulGeometry(shapeOf(mm.getA()), shapeOf(mm.getB()));
    int64_t m = g.m, k = g.k, n = g.n;
    bool i32Out = !qtype::isQuantized(mm.getOutput().getType());
    std::string acc = i32Out ? out[0] : "(int32_t *)" + scratch;
    auto [bzp, bzpCount] = zeroPoints(mm.getB());
    line("  {\n");
    auto [bshape, astr, bstr] = batchArrays(g);
    line("    pare_matmul_acc_s8(" + in[0] + ", " + i32(params(mm.getA()).zeroPoint()) + ", " +
         in[1] + ", " + bzp + ", " + i32(bzpCount) + ", " + acc + ",\n        " + i32(m) + ", " +
         i32(n) + ", " + i32(k) + ", " + i32(k) + ", 1, " + i32(n) + ", 1, " + bshape + ", " +
         i32(g.batch.size()) + ", " + astr + ", " + bstr + ");\n");
    if (!i32Out) {
      auto [scales, cnt] = floatScales(mm.getA(), mm.getB(), mm.getOutput(), n);
      line("    pare_requantize_acc_s8(" + acc + ", NULL, " + scales + ", " + i32(cnt) + ", " +
           i32(n) + ", " + i32(numel(mm.getOutput())) + ", " +
           i32(params(mm.getOutput()).zeroPoint()) + ", " + out[0] + ");\n");
    }
    line("  }\n");
    return success();
  }
  if (isa<QAddOp, QMulOp>(op)) {
    Value a = op->getOperand(0), b = op->getOperand(1), y = op->getResult(0);
    auto ap = params(a), bp = params(b), yp = params(y);
    auto [lo, hi] = clamp(y);
    Shape shape = shapeOf(y);
    if (shape.size() > 8)
      return unsupported(op, "tensors of rank > 8");
    if (shape.empty())
      shape = {1};
    std::string prelude = staticArray("shape", shape) +
                          staticArray("a_strides", shape::broadcastStrides(shapeOf(a), shape)) +
                          staticArray("b_strides", shape::broadcastStrides(shapeOf(b), shape));
    std::string rank = i32(shape.size());
    std::vector<std::pair<std::string, std::string>> ptrs = {
        {"const int8_t *", in[0]}, {"const int8_t *", in[1]}, {"int8_t *", out[0]}};
    // ONNX rounding (models that arrive quantized): onnxruntime's QLinearAdd /
    // QLinearMul arithmetic, float32 ratios rounded half to even.
    bool onnxRounding = false;
    if (auto m = op->getParentOfType<ModuleOp>())
      if (auto r = m->getAttrOfType<StringAttr>("pare.int8_rounding"))
        onnxRounding = r.getValue() == "onnx";
    if (onnxRounding) {
      float as = float(ap.scale()), bs = float(bp.scale()), ys = float(yp.scale());
      std::string q;
      if (isa<QAddOp>(op))
        q = floatLiteral(as / ys) + ", " + i32(ap.zeroPoint()) + ", " + floatLiteral(bs / ys) +
            ", " + i32(bp.zeroPoint()) + ", " + i32(yp.zeroPoint());
      else
        q = i32(ap.zeroPoint()) + ", " + i32(bp.zeroPoint()) + ", " +
            floatLiteral(float(as * bs) / ys) + ", " + i32(yp.zeroPoint());
      q += ", " + i32(lo) + ", " + i32(hi);
      kernelCall(isa<QAddOp>(op) ? "pare_add_s8_onnx" : "pare_mul_s8_onnx", layer, ptrs,
                 [&](const std::vector<std::string> &p) {
                   return p[0] + ", a_strides, " + p[1] + ", b_strides, " + p[2] + ", shape, " +
                          rank + ",\n      " + q;
                 },
                 prelude);
      return success();
    }
    if (isa<QAddOp>(op)) {
      std::string q = qaddArgs(op);
      kernelCall("pare_add_s8", layer, ptrs, [&](const std::vector<std::string> &p) {
        return p[0] + ", a_strides, " + p[1] + ", b_strides, " + p[2] + ", shape, " + rank +
               ", " + q;
      }, prelude);
    } else {
      auto [m, sh] = multShift(ap.scale() * bp.scale() / yp.scale());
      std::string q = i32(ap.zeroPoint()) + ", " + i32(bp.zeroPoint()) + ", " + i32(m) + ", " +
                      i32(sh) + ", " + i32(yp.zeroPoint()) + ", " + i32(lo) + ", " + i32(hi);
      kernelCall("pare_mul_s8", layer, ptrs, [&](const std::vector<std::string> &p) {
        return p[0] + ", a_strides, " + p[1] + ", b_strides, " + p[2] + ", shape, " + rank +
               ",\n      " + q;
      }, prelude);
    }
    return success();
  }
  if (auto g = dyn_cast<QGlobalAveragePoolOp>(op)) {
    if (!g.getChannelsLast())
      return unsupported(op, "NCHW pooling (run pare-convert-to-nhwc)");
    Shape x = shapeOf(g.getInput());
    int64_t spatial = shape::numElements(Shape(x.begin() + 1, x.end() - 1));
    auto xp = params(g.getInput()), yp = params(g.getOutput());
    if (auto m = op->getParentOfType<ModuleOp>())
      if (auto r = m->getAttrOfType<StringAttr>("pare.int8_rounding");
          r && r.getValue() == "onnx") {
        // onnxruntime's QLinearGlobalAveragePool: float32 scale, ties to even.
        float scale = float(xp.scale()) / (float(yp.scale()) * float(spatial));
        line("  pare_global_avgpool_s8_onnx(" + in[0] + ", " + i32(x[0]) + ", " + i32(spatial) +
             ", " + i32(x.back()) + ", " + i32(xp.zeroPoint()) + ", " + floatLiteral(scale) +
             ", " + i32(yp.zeroPoint()) + ", " + out[0] + ");\n");
        return success();
      }
    auto [m, sh] = multShift(xp.scale() / (yp.scale() * double(spatial)));
    line("  pare_global_avgpool_s8(" + in[0] + ", " + i32(x[0]) + ", " + i32(spatial) + ", " +
         i32(x.back()) + ", " + i32(xp.zeroPoint()) + ", " + i32(m) + ", " + i32(sh) + ",\n      " +
         i32(yp.zeroPoint()) + ", -128, 127, " + out[0] + ", (int32_t *)" + scratch + ");\n");
    return success();
  }
  if (isa<SoftmaxOp>(op)) {
    // onnxruntime's QLinearSoftmax (LowerQuantized makes int8 softmax only
    // under ONNX rounding): its exp table and floor(1 / y_scale).
    Shape x = shapeOf(op->getOperand(0));
    AxisView view = axisView(x, op->getAttrOfType<IntegerAttr>("axis").getInt());
    int64_t d = shape::numElements(x) / std::max<int64_t>(1, view.outer * view.inner);
    auto xp = params(op->getOperand(0));
    auto ysAttr = op->getAttrOfType<FloatAttr>("pare.out_scale");
    auto yzAttr = op->getAttrOfType<IntegerAttr>("pare.out_zero_point");
    if (!ysAttr || !yzAttr)
      return unsupported(op, "an int8 softmax without its output quantization");
    float ys = float(ysAttr.getValueAsDouble());
    int64_t yz = yzAttr.getInt();
    float xs = float(xp.scale());
    double bitShift = std::log(double(std::numeric_limits<float>::max()) / double(d));
    bitShift = std::max(0.0, bitShift - 5.0) / double(xs);
    std::vector<std::string> t(256);
    for (int i = 0; i < 256; ++i)
      t[uint8_t(i - 128)] =
          floatLiteral(float(std::exp((double(i) - 255.0 + bitShift) * double(xs))));
    std::string table = constArray(layer + "_exp_table", "float", t,
                                   layer + ": softmax exp table, indexed by 127 - max + x");
    line("  pare_softmax_s8_onnx(" + in[0] + ", " + out[0] + ", " + i32(view.outer) + ", " +
         i32(d) + ", " + i32(view.inner) + ", " + table + ", " +
         floatLiteral(std::floor(1.0f / ys)) + ", " + i32(yz) +
         ");\n");
    return success();
  }
  if (auto lut = dyn_cast<LookupTableOp>(op)) {
    line("  pare_lut_s8(" + in[0] + ", " + out[0] + ", " + i32(numel(lut.getOutput())) + ", " +
         lutTable(lut, layer) + ");\n");
    return success();
  }
  // Per channel: one per-tensor call per channel slice, in a loop over the
  // dims before and after the channel axis.
  auto perChannel = [&](const std::string &kernel, Value q, const std::string &src,
                        const std::string &dst) {
    auto p = params(q);
    Shape sh = shapeOf(q);
    int64_t outer = 1, inner = 1, ch = sh[p.axis];
    for (int64_t d = 0; d < p.axis; ++d)
      outer *= sh[d];
    for (size_t d = p.axis + 1; d < sh.size(); ++d)
      inner *= sh[d];
    std::vector<std::string> sc, zp;
    for (int64_t c = 0; c < ch; ++c) {
      sc.push_back(floatLiteral(float(p.scale(c))));
      zp.push_back(std::to_string(p.zeroPoint(c)));
    }
    std::string scales = constArray(layer + "_scale", "float", sc, layer + ": scale per channel");
    std::string zps = constArray(layer + "_zero_point", "int32_t", zp,
                                 layer + ": zero point per channel");
    line("  {\n    size_t o, c;\n    for (o = 0; o < " + i32(outer) + "; ++o)\n      for (c = 0; c < " +
         i32(ch) + "; ++c)\n        " + kernel + "(" + src + " + (o * " + i32(ch) + " + c) * " +
         i32(inner) + ", " + dst + " + (o * " + i32(ch) + " + c) * " + i32(inner) + ", " +
         i32(inner) + ", " + scales + "[c], " + zps + "[c]);\n  }\n");
  };
  if (auto q = dyn_cast<QuantizeOp>(op)) {
    auto p = params(q.getOutput());
    if (!p.isSigned || p.bits != 8 || !elemOf(q.getInput()).isF32())
      return unsupported(op, "quantization other than float32 -> int8");
    if (!p.perTensor()) {
      perChannel("pare_quantize_f32_s8", q.getOutput(), in[0], out[0]);
      return success();
    }
    line("  pare_quantize_f32_s8(" + in[0] + ", " + out[0] + ", " + i32(numel(q.getOutput())) +
         ", " + floatLiteral(float(p.scale())) + ", " + i32(p.zeroPoint()) + ");\n");
    return success();
  }
  if (auto dq = dyn_cast<DequantizeOp>(op)) {
    auto p = params(dq.getInput());
    if (!p.isSigned || p.bits != 8 || !elemOf(dq.getOutput()).isF32())
      return unsupported(op, "dequantization other than int8 -> float32");
    if (!p.perTensor()) {
      perChannel("pare_dequantize_s8_f32", dq.getInput(), in[0], out[0]);
      return success();
    }
    line("  pare_dequantize_s8_f32(" + in[0] + ", " + out[0] + ", " +
         i32(numel(dq.getOutput())) + ", " + floatLiteral(float(p.scale())) + ", " +
         i32(p.zeroPoint()) + ");\n");
    return success();
  }
  if (auto rq = dyn_cast<RequantizeOp>(op)) {
    auto a = params(rq.getInput()), b = params(rq.getOutput());
    if (a.bits != 8 || b.bits != 8)
      return unsupported(op, "requantization of non-8-bit tensors");
    if (a.isSigned != b.isSigned) {
      if (a.scale() != b.scale() || std::abs(a.zeroPoint() - b.zeroPoint()) != 128)
        return unsupported(op, "a uint8 <-> int8 conversion that changes the scale");
      line("  pare_flip_u8_s8(" + in[0] + ", " + out[0] + ", " + i32(numel(rq.getOutput())) +
           ");\n");
      return success();
    }
    if (!a.isSigned)
      return unsupported(op, "uint8 requantization");
    auto [m, sh] = multShift(a.scale() / b.scale());
    line("  pare_requantize_s8(" + in[0] + ", " + out[0] + ", " + i32(numel(rq.getOutput())) +
         ", " + i32(a.zeroPoint()) + ", " + i32(m) + ", " + i32(sh) + ", " + i32(b.zeroPoint()) +
         ");\n");
    return success();
  }
  // max / average pool on int8.
  if (!op->hasAttr("channels_last"))
    return unsupported(op, "NCHW pooling (run pare-convert-to-nhwc)");
  Shape x = shapeOf(op->getOperand(0)), os = shapeOf(op->getResult(0));
  auto k = op->getAttrOfType<DenseI64ArrayAttr>("kernel_shape").asArrayRef();
  auto s = op->getAttrOfType<DenseI64ArrayAttr>("strides").asArrayRef();
  auto d = op->getAttrOfType<DenseI64ArrayAttr>("dilations").asArrayRef();
  auto p = op->getAttrOfType<DenseI64ArrayAttr>("pads").asArrayRef();
  if (d[0] != 1 || d[1] != 1)
    return unsupported(op, "dilated int8 pooling");
  bool avg = isa<AveragePoolOp>(op);
  std::string call = std::string("  pare_") + (avg ? "avgpool2d" : "maxpool2d") + "_s8(" + in[0] +
                     ", " + i32(x[0]) + ", " + geo(x[1], "ih") + ", " + geo(x[2], "iw") + ", " + i32(x[3]) +
                     ",\n      " + out[0] + ", " + geo(os[1], "oh") + ", " + geo(os[2], "ow") + ", " +
                     i32(k[0]) + ", " + i32(k[1]) + ", " + i32(s[0]) + ", " + i32(s[1]) + ", " +
                     geo(p[0], "pad_top") + ", " + geo(p[1], "pad_left") + ", " + geo(p[2], "pad_bottom") + ", " + geo(p[3], "pad_right");
  if (avg && op->hasAttr("pare.out_scale")) {
    // onnxruntime's QLinearAveragePool (LowerQuantized, ONNX rounding): the
    // output's quantization rides in pare.out_scale / pare.out_zero_point.
    auto xp = params(op->getOperand(0));
    auto ys = op->getAttrOfType<FloatAttr>("pare.out_scale");
    auto yz = op->getAttrOfType<IntegerAttr>("pare.out_zero_point");
    if (!ys || !yz)
      return unsupported(op, "an int8 average pool without its output quantization");
    line("  pare_avgpool2d_s8_onnx(" + in[0] + ", " + i32(x[0]) + ", " + i32(x[1]) + ", " +
         i32(x[2]) + ", " + i32(x[3]) + ",\n      " + out[0] + ", " + i32(os[1]) + ", " +
         i32(os[2]) + ", " + i32(k[0]) + ", " + i32(k[1]) + ", " + i32(s[0]) + ", " + i32(s[1]) +
         ", " + i32(p[0]) + ", " + i32(p[1]) + ", " +
         (cast<AveragePoolOp>(op).getCountIncludePad() ? "1" : "0") + ",\n      " +
         i32(xp.zeroPoint()) + ", " + floatLiteral(float(xp.scale())) + ", " +
         floatLiteral(float(ys.getValueAsDouble())) + ", " + i32(yz.getInt()) +
         ", -128, 127);\n");
    return success();
  }
  if (avg)
    call += std::string(", ") + (cast<AveragePoolOp>(op).getCountIncludePad() ? "1" : "0");
  line(call + ", -128, 127);\n");
  return success();
}

LogicalResult Emitter::run(std::vector<EmittedFile> &files) {
  Block &body0 = func.getBody().front();
  if (failed(storage.nameParameters(usedLocals, cType, "C")))
    return failure();
  usedLocals.insert("arena");
  const std::vector<std::string> &inNames = storage.inNames, &outNames = storage.outNames;
  const std::vector<std::string> &inOrig = storage.inOrig, &outOrig = storage.outOrig;

  // A patch stage (PlanMemory, patches): its ops live in tiles.
  std::optional<planning::PatchStage> stage;
  if (auto grid = func->getAttrOfType<IntegerAttr>("pare.patch_grid")) {
    Operation *split = nullptr;
    for (Operation &op : body0)
      if (op.hasAttr("pare.patch_stage"))
        split = &op;
    std::string why;
    if (split)
      stage = planning::buildPatchStage(func, split, grid.getInt(), &why);
    if (!stage)
      return func.emitError("internal: the patch stage cannot be rebuilt: ") << why;
  }
  auto staged = [&](Operation *op) {
    return stage && op->hasAttr("pare.patch_stage") && op != stage->split();
  };

  // Arena locals, in op order.
  auto arenaTensors = storage.nameArenaLocals(usedLocals, cType, "C", staged);
  if (failed(arenaTensors))
    return failure();
  for (const FunctionStorage::ArenaTensor &t : *arenaTensors)
    localDecls += "  " + t.ctype + " *" + t.name + " = (" + t.ctype + " *)(" +
                  arenaAt(t.name, t.offset, t.bytes) + ");\n";

  for (Operation &op : body0) {
    if (stage && &op == stage->ops.front()) {
      if (failed(emitPatchStage(*stage)))
        return failure();
      continue;
    }
    if (staged(&op) || (stage && &op == stage->split()))
      continue;
    if (failed(emitOp(&op)))
      return failure();
  }

  // Outputs not written in place: inputs, constants, duplicates.
  for (const FunctionStorage::OutputCopy &copy : storage.outputCopies()) {
    std::string src;
    if (failed(ptr(copy.value, src)))
      return failure();
    if (copy.bytes == 0)
      continue;
    line(storage.outputCopyComment(copy.index));
    line("  pare_copy_rows(" + outNames[copy.index] + ", 0, " + src + ", 0, 1, " +
         std::to_string(copy.bytes) + ");\n");
  }

  int64_t arenaBytes = 0;
  if (auto a = func->getAttrOfType<IntegerAttr>("pare.arena_bytes"))
    arenaBytes = a.getInt();

  // Weights referenced by the code (a conv's original layout is replaced by
  // its packed copy, for example); the rest would only waste flash.
  std::string weightDecls, weightDefs;
  const std::string code = specialized + body;
  for (const WeightEntry &w : weights) {
    size_t pos = 0;
    bool used = false;
    while (!used && (pos = code.find(w.name, pos)) != std::string::npos) {
      size_t end = pos + w.name.size();
      used = (pos == 0 || !(std::isalnum(static_cast<unsigned char>(code[pos - 1])) || code[pos - 1] == '_')) &&
             (end >= code.size() || !(std::isalnum(static_cast<unsigned char>(code[end])) || code[end] == '_'));
      pos = end;
    }
    if (!used)
      continue;
    weightDecls += w.decl;
    weightDefs += w.def;
    if (opts.stats)
      opts.stats->weightBytes += w.bytes;
  }
  if (opts.stats) {
    // Code size estimate (bytes of Thumb-2 at -O3, measured on Cortex-M7 with
    // arm-none-eabi-gcc 12): each specialised layer function, each distinct
    // kernel linked in, each call, and the run function itself.
    std::set<std::string> kernels;
    int64_t calls = 0;
    for (size_t pos = 0; (pos = code.find("pare_", pos)) != std::string::npos;) {
      size_t end = pos;
      while (end < code.size() && (std::isalnum(static_cast<unsigned char>(code[end])) || code[end] == '_'))
        ++end;
      if (end < code.size() && code[end] == '(' &&
          (pos == 0 || !(std::isalnum(static_cast<unsigned char>(code[pos - 1])) || code[pos - 1] == '_'))) {
        kernels.insert(code.substr(pos, end - pos));
        ++calls;
      }
      pos = end;
    }
    int64_t layers = 0;
    for (size_t pos = 0; (pos = specialized.find("_LAYER void ", pos)) != std::string::npos; ++pos)
      ++layers;
    opts.stats->specializedLayers = layers;
    opts.stats->codeBytesEstimate = codeBytesEstimate(layers, int64_t(kernels.size()), calls);
  }

  // Streaming temporal shifts: their state buffers persist between calls,
  // outside the arena; <name>_reset() clears them (zero, or the zero point).
  int64_t stateBytes = 0;
  bool stateNeedsInit = false; // a buffer resets to a value other than zero
  if (!stateBuffers.empty()) {
    std::string defs, reset;
    for (const StateBuffer &b : stateBuffers) {
      stateBytes += b.bytes;
      bool zeroFill = b.fill == "0" || b.fill == "0.0f" || b.fill == "0.0";
      stateNeedsInit |= !zeroFill;
      std::string n = std::to_string(std::max<int64_t>(b.count, 1));
      defs += "static " + b.ctype + " " + b.name + "[" + n + "];\n";
      reset += "  for (i = 0; i < " + n + "; ++i)\n    " + b.name + "[i] = " + b.fill + ";\n";
    }
    fileScope += "/* Streaming state (pare.temporal_shift, streaming): the previous frame's\n"
                 " * shifted channels of each stream, kept between calls (" +
                 std::to_string(stateBytes) + " bytes, not in the arena). */\n" + defs;
    if (stateNeedsInit)
      fileScope += "static int " + prefix + "_state_ready; /* reset before the first frame */\n";
    fileScope += "\nvoid " + prefix + "_reset(void) {\n  size_t i;\n" + reset;
    if (stateNeedsInit)
      fileScope += "  " + prefix + "_state_ready = 1;\n";
    fileScope += "}\n\n";
  }
  if (opts.stats)
    opts.stats->stateBytes = stateBytes;

  // ---------------------------------------------------------------- header
  std::string sig;
  {
    std::vector<std::string> params;
    for (unsigned i = 0; i < inNames.size(); ++i)
      params.push_back("const " + cType(elemOf(func.getArgument(i))) + " *" + inNames[i]);
    for (unsigned i = 0; i < outNames.size(); ++i)
      params.push_back(cType(cast<RankedTensorType>(func.getResultTypes()[i]).getElementType()) +
                       " *" + outNames[i]);
    for (size_t i = 0; i < params.size(); ++i)
      sig += (i ? ", " : "") + params[i];
  }
  std::string banner = "/* Generated by pare " + opts.version + " from " + commentText(opts.sourceModel) +
                       ". Do not edit; recompile the model instead. */\n";
  std::string guard = upper + "_H";
  std::string h = banner;
  h += "#ifndef " + guard + "\n#define " + guard + "\n\n#include <stddef.h>\n#include <stdint.h>\n\n";
  h += "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  h += "/* Bytes of scratch memory one inference needs (activations). */\n";
  h += "#define " + upper + "_ARENA_BYTES " + std::to_string(arenaBytes) + "\n";
  h += "/* Alignment the arena must have, in bytes. */\n";
  h += "#define " + upper + "_ARENA_ALIGN 16\n\n";
  auto shapeMacros = [&](const std::string &kind, unsigned idx, const std::string &orig,
                         const std::string &cname, Type t) {
    auto rt = cast<RankedTensorType>(t);
    std::string m = upper + "_" + llvm::StringRef(cname).upper();
    h += "/* " + kind + " " + std::to_string(idx) + ": \"" + commentText(orig) + "\", " +
         cType(rt.getElementType()) + " " +
         shape::toString(Shape(rt.getShape().begin(), rt.getShape().end())) + " */\n";
    h += "#define " + m + "_RANK " + std::to_string(rt.getRank()) + "\n";
    h += "#define " + m + "_SHAPE " +
         intArray(Shape(rt.getShape().begin(), rt.getShape().end())) + "\n";
    h += "#define " + m + "_SIZE " + std::to_string(rt.getNumElements()) + "\n";
  };
  h += "#define " + upper + "_NUM_INPUTS " + std::to_string(inNames.size()) + "\n";
  h += "#define " + upper + "_NUM_OUTPUTS " + std::to_string(outNames.size()) + "\n\n";
  for (unsigned i = 0; i < inNames.size(); ++i)
    shapeMacros("input", i, inOrig[i], inNames[i], func.getArgument(i).getType());
  for (unsigned i = 0; i < outNames.size(); ++i)
    shapeMacros("output", i, outOrig[i], outNames[i], func.getResultTypes()[i]);
  h += "\n/* Runs the model with a caller-provided arena of at least " + upper +
       "_ARENA_BYTES bytes,\n * aligned to " + upper +
       "_ARENA_ALIGN. Inputs are read, outputs written, in the model's own\n"
       " * layout. Returns 0 on success, 1 when the arena is misaligned. */\n";
  h += "int " + prefix + "_run_with_arena(" + sig + ", void *arena);\n\n";
  h += "#ifndef " + upper + "_NO_STATIC_ARENA\n";
  h += "/* Runs the model with a static arena inside the library (define " + upper +
       "_NO_STATIC_ARENA\n * to leave it out). Not reentrant. Returns 0 on success. */\n";
  h += "int " + prefix + "_run(" + sig + ");\n#endif\n\n";
  if (!stateBuffers.empty()) {
    h += "/* This model is streaming: its temporal shifts keep the previous frame's\n"
         " * shifted channels in static state buffers (" + upper +
         "_STATE_BYTES bytes, outside the\n * arena) between calls, so each call consumes the "
         "next frame of a stream.\n * Not reentrant: one stream at a time (the state is "
         "shared by " + prefix + "_run,\n * " + prefix + "_run_with_arena and " + prefix +
         "_step). Call " + prefix + "_reset() before a new stream. */\n";
    h += "#define " + upper + "_STREAMING 1\n";
    h += "#define " + upper + "_STATE_BYTES " + std::to_string(stateBytes) + "\n\n";
    h += "/* Clears the state: the next frame starts a new stream. */\n";
    h += "void " + prefix + "_reset(void);\n\n";
    h += "#ifndef " + upper + "_NO_STATIC_ARENA\n";
    h += "/* Runs the model on one frame of the stream (as " + prefix +
         "_run). Returns 0 on success. */\n";
    h += "int " + prefix + "_step(" + sig + ");\n#endif\n\n";
  }
  h += "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " + guard + " */\n";
  files.push_back({prefix + ".h", h});

  // ---------------------------------------------------------------- source
  std::string c = banner;
  c += "#include \"" + prefix + ".h\"\n#include \"pare_kernels.h\"\n";
  if (usesInt8)
    c += "#include \"pare_kernels_s8.h\"\n";
  if (usesSpecialized)
    c += "#include \"pare_k_s8_impl.h\"\n";
  c += "\n#include <math.h>\n\n";
  if (!weightDecls.empty())
    c += "/* Weights, defined in " + prefix + "_weights.c. */\n" + weightDecls + "\n";
  if (!specialized.empty())
    c += "/* int8 kernels specialised per layer: shapes, strides and zero points are\n"
         " * constants, so the C compiler unrolls and simplifies each one. Kept out of\n"
         " * line: inlined all into one function, GCC schedules them worse. */\n"
         "#if defined(__GNUC__)\n#define " + upper + "_LAYER static __attribute__((noinline))\n"
         "#else\n#define " + upper + "_LAYER static\n#endif\n\n" + specialized;
  if (!planEntries.empty()) {
    c += "/* Memory plan (pare-plan-memory): byte offset of each tensor" +
         std::string(stage ? " and patch tile" : "") + " in the arena. */\n";
    for (auto &[n, off, bytes] : planEntries)
      c += "#define " + upper + "_OFFSET_" + n + " " + std::to_string(off) + "\n";
    c += "\n/* Compile-time checks: each of them lies inside the arena (a negative array\n"
         " * size stops the build otherwise). */\n";
    for (auto &[n, off, bytes] : planEntries)
      c += "typedef char " + prefix + "_fits_" + n + "[" + upper + "_OFFSET_" + n + " + " +
           std::to_string(bytes) + " <= " + upper + "_ARENA_BYTES ? 1 : -1];\n";
    c += "\n";
  }
  c += fileScope;
  c += "#ifndef " + upper + "_NO_STATIC_ARENA\n";
  c += "#if defined(__GNUC__)\n#define " + upper + "_ALIGNED __attribute__((aligned(" + upper +
       "_ARENA_ALIGN)))\n#else\n#define " + upper + "_ALIGNED\n#endif\n";
  c += "static uint8_t " + prefix + "_arena[" + upper + "_ARENA_BYTES > 0 ? " + upper +
       "_ARENA_BYTES : 1] " + upper + "_ALIGNED;\n#endif\n\n";
  std::string args;
  for (auto &n : inNames)
    args += (args.empty() ? "" : ", ") + n;
  for (auto &n : outNames)
    args += (args.empty() ? "" : ", ") + n;
  c += "int " + prefix + "_run_with_arena(" + sig + ", void *arena_memory) {\n";
  c += "  uint8_t *arena = (uint8_t *)arena_memory;\n";
  c += localDecls;
  c += "  if (((uintptr_t)arena_memory % " + upper + "_ARENA_ALIGN) != 0)\n    return 1;\n";
  c += "  (void)arena;\n";
  if (stateNeedsInit)
    c += "  if (!" + prefix + "_state_ready)\n    " + prefix + "_reset();\n";
  for (auto &n : inNames)
    c += "  (void)" + n + ";\n";
  for (auto &n : outNames)
    c += "  (void)" + n + ";\n";
  c += "\n" + body + "  return 0;\n}\n\n";
  c += "#ifndef " + upper + "_NO_STATIC_ARENA\n";
  c += "int " + prefix + "_run(" + sig + ") {\n  return " + prefix + "_run_with_arena(" + args +
       ", " + prefix + "_arena);\n}\n#endif\n";
  if (!stateBuffers.empty())
    c += "\n#ifndef " + upper + "_NO_STATIC_ARENA\nint " + prefix + "_step(" + sig +
         ") {\n  return " + prefix + "_run(" + args + ");\n}\n#endif\n";
  files.push_back({prefix + ".c", c});

  // --------------------------------------------------------------- weights
  std::string w = banner + "#include <stdint.h>\n";
  w += "#include <math.h> /* INFINITY, NAN */\n";
  w += "\n/* Every array is const so that it stays in flash (.rodata). */\n\n";
  w += weightDefs.empty() ? "/* This model has no weights. */\ntypedef int " + prefix +
                                "_no_weights;\n"
                          : weightDefs;
  files.push_back({prefix + "_weights.c", w});

  // ------------------------------------------------------ build fragments
  std::vector<std::string> sources = {prefix + ".c", prefix + "_weights.c"};
  for (const auto &rf : runtimeFiles())
    if (llvm::StringRef(rf.path).ends_with(".c"))
      sources.push_back(rf.path);
  std::string cm = "# Generated by pare " + opts.version + " from " + commentText(opts.sourceModel) + ".\n";
  cm += "# Add the model to a CMake project with one line:\n#   include(path/to/" + prefix +
        ".cmake)\n# then link the target: target_link_libraries(app PRIVATE " + prefix + ")\n";
  cm += "add_library(" + prefix + " STATIC\n";
  for (auto &s : sources)
    cm += "  ${CMAKE_CURRENT_LIST_DIR}/" + s + "\n";
  cm += ")\ntarget_include_directories(" + prefix + " PUBLIC ${CMAKE_CURRENT_LIST_DIR})\n";
  cm += "set_target_properties(" + prefix + " PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON)\n";
  cm += "if(NOT CMAKE_C_COMPILER_ID STREQUAL \"MSVC\")\n  target_link_libraries(" + prefix +
        " PUBLIC m)\nendif()\n";
  if (!opts.cpuFlags.empty()) {
    std::string flags;
    for (auto &f : opts.cpuFlags)
      flags += " " + f;
    cm += "# Compiled for --target " + opts.targetName +
          ": the whole firmware must use the same CPU and ABI flags.\n";
    cm += "set(" + upper + "_CPU_FLAGS" + flags + ")\n";
    cm += "target_compile_options(" + prefix + " PUBLIC ${" + upper + "_CPU_FLAGS} -O3)\n";
    cm += "target_link_options(" + prefix + " PUBLIC ${" + upper + "_CPU_FLAGS})\n";
  }
  files.push_back({prefix + ".cmake", cm});
  std::string mk = "# Generated by pare " + opts.version + " from " + commentText(opts.sourceModel) + ".\n";
  mk += "# Add the model to a Makefile with one line:\n#   include path/to/" + prefix +
        ".mk\n# then add $(" + upper + "_SRCS) to your sources and $(" + upper +
        "_CFLAGS) to CFLAGS (link with -lm).\n";
  mk += upper + "_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))\n";
  mk += upper + "_SRCS :=";
  for (auto &s : sources)
    mk += " $(" + upper + "_DIR)/" + s;
  mk += "\n" + upper + "_CFLAGS := -I$(" + upper + "_DIR)";
  for (auto &f : opts.cpuFlags)
    mk += " " + f;
  mk += "\n";
  files.push_back({prefix + ".mk", mk});

  if (opts.emitRunner) {
    std::string r = banner;
    r += "/* Host runner: reads the inputs as .npy files (in model input order), runs\n"
         " * the model, writes each output as OUTDIR/<output name>.npy.\n"
         " *   runner [-o OUTDIR] [-n REPEAT] IN0.npy [IN1.npy ...]\n"
         " * With -n it also times REPEAT runs and prints the median latency. */\n";
    r += "#define _POSIX_C_SOURCE 199309L\n#include <stdio.h>\n#include <stdlib.h>\n"
         "#include <string.h>\n#include <time.h>\n\n#include \"" + prefix + ".h\"\n\n";
    r += "#define RUNNER_HAS_INPUTS " + std::string(inNames.empty() ? "0" : "1") + "\n\n";
    r += runnerHelpers();
    r += "int main(int argc, char **argv) {\n  const char *runner_outdir = \".\";\n  int runner_repeat = 0, "
         "runner_argi = 1, runner_status;\n";
    for (unsigned i = 0; i < inNames.size(); ++i)
      r += "  " + cType(elemOf(func.getArgument(i))) + " *" + inNames[i] + ";\n";
    for (unsigned i = 0; i < outNames.size(); ++i) {
      Type t = cast<RankedTensorType>(func.getResultTypes()[i]).getElementType();
      std::string m = upper + "_" + llvm::StringRef(outNames[i]).upper();
      r += "  static const long runner_shape_" + outNames[i] + "[" +
           std::to_string(std::max<int64_t>(1, cast<RankedTensorType>(func.getResultTypes()[i]).getRank())) +
           "] = " + m + "_SHAPE;\n";
      r += "  " + cType(t) + " *" + outNames[i] + " = (" + cType(t) + " *)calloc(" + m +
           "_SIZE + 1, sizeof(" + cType(t) + "));\n";
    }
    r += "  while (runner_argi < argc && argv[runner_argi][0] == '-') {\n"
         "    if (strcmp(argv[runner_argi], \"-o\") == 0 && runner_argi + 1 < argc)\n"
         "      runner_outdir = argv[runner_argi + 1];\n"
         "    else if (strcmp(argv[runner_argi], \"-n\") == 0 && runner_argi + 1 < argc)\n"
         "      runner_repeat = atoi(argv[runner_argi + 1]);\n"
         "    else\n      return fail(\"usage: runner [-o OUTDIR] [-n REPEAT] INPUTS.npy...\", NULL);\n"
         "    runner_argi += 2;\n  }\n";
    r += "  if (argc - runner_argi != " + upper + "_NUM_INPUTS)\n    return fail(\"expected " +
         std::to_string(inNames.size()) + " input .npy file(s)\", NULL);\n";
    for (unsigned i = 0; i < inNames.size(); ++i) {
      Type t = elemOf(func.getArgument(i));
      std::string m = upper + "_" + llvm::StringRef(inNames[i]).upper();
      r += "  " + inNames[i] + " = (" + cType(t) + " *)read_npy(argv[runner_argi + " +
           std::to_string(i) + "], \"'" + npyDescr(t) + "'\", " + m + "_SIZE, sizeof(" +
           cType(t) + "));\n  if (!" + inNames[i] + ") return 1;\n";
    }
    r += "  runner_status = " + prefix + "_run(" + args + ");\n";
    r += "  if (runner_status != 0) return fail(\"model returned an error\", NULL);\n";
    r += "  if (runner_repeat > 0) {\n"
         "    double *runner_times = (double *)malloc(sizeof(double) * runner_repeat);\n"
         "    int runner_k;\n    for (runner_k = 0; runner_k < runner_repeat; ++runner_k) {\n"
         "      double runner_t0 = now_ms();\n      " +
         prefix + "_run(" + args + ");\n      runner_times[runner_k] = now_ms() - runner_t0;\n    }\n"
         "    qsort(runner_times, runner_repeat, sizeof(double), cmp_double);\n"
         "    printf(\"latency_ms: %.6f\\n\", runner_times[runner_repeat / 2]);\n"
         "    free(runner_times);\n  }\n";
    std::vector<std::string> fileNames = npyFileNames(outOrig);
    for (unsigned i = 0; i < outNames.size(); ++i) {
      Type t = cast<RankedTensorType>(func.getResultTypes()[i]).getElementType();
      std::string m = upper + "_" + llvm::StringRef(outNames[i]).upper();
      r += "  if (write_output(runner_outdir, " + cStringLiteral(fileNames[i] + ".npy") + ", \"" +
           npyDescr(t) + "\", runner_shape_" + outNames[i] + ", " + m + "_RANK, " + outNames[i] +
           ", sizeof(" + cType(t) + ") * " + m + "_SIZE)) return 1;\n";
    }
    for (auto &n : inNames)
      r += "  free(" + n + ");\n";
    for (auto &n : outNames)
      r += "  free(" + n + ");\n";
    r += "  return 0;\n}\n";
    files.push_back({"runner.c", r});
  }
  for (const auto &rf : runtimeFiles())
    files.push_back(rf);
  return success();
}

} // namespace

std::vector<std::string> cortexMFlags(const std::string &target) {
  if (target == "cortex-m4")
    return {"-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"};
  if (target == "cortex-m7")
    return {"-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"};
  if (target == "cortex-m33")
    return {"-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"};
  if (target == "cortex-m55")
    return {"-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard"};
  return {};
}

FailureOr<std::vector<EmittedFile>> emitC(ModuleOp module, const CEmitOptions &options) {
  auto main = mainFunction(module);
  if (failed(main))
    return failure();
  std::vector<EmittedFile> files;
  Emitter e(*main, options);
  if (failed(e.run(files)))
    return failure();
  return files;
}

} // namespace pare::codegen
