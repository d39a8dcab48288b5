//===- CudaEmitter.cpp - pare IR -> standalone CUDA C++ -------------------===//
//
// Same plan, same naming and comments as the C emitter; the arena lives in
// device memory, weights travel in <name>_weights.bin and are uploaded once,
// and all launches of one inference are captured into a CUDA graph that is
// replayed while the caller's pointers stay the same.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/CudaEmitter.h"
#include "codegen/EmitterSupport.h"

#include "dialects/Pare/Analysis/MemoryPlan.h"
#include "dialects/Pare/IR/PareOps.h"
#include "dialects/Pare/IR/RuntimeOpcodes.h"
#include "dialects/Pare/IR/ShapeInference.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"

#include <map>

using namespace mlir;

namespace pare::codegen {
namespace {

using shape::Shape;


std::string cudaType(Type t) {
  if (t.isF32())
    return "float";
  if (t.isF16())
    return "pare_half";
  if (t.isInteger(1))
    return "uint8_t";
  if (auto it = dyn_cast<IntegerType>(t))
    if (it.getWidth() == 8 || it.getWidth() == 16 || it.getWidth() == 32 || it.getWidth() == 64)
      return std::string(it.isUnsigned() ? "uint" : "int") + std::to_string(it.getWidth()) +
             "_t";
  return "";
}

int64_t elemBytes(Type t) { return t.isInteger(1) ? 1 : t.getIntOrFloatBitWidth() / 8; }

/// "f32" / "f16" kernel suffix, or "" for types the float kernels lack.
std::string suffix(Type t) { return t.isF32() ? "f32" : t.isF16() ? "f16" : ""; }

/// `pare_cu_shape{rank, {dims}, {{s0}, {s1}, {s2}}}`
std::string cuShape(const Shape &dims, std::vector<std::vector<int64_t>> strides) {
  Shape d = dims.empty() ? Shape{1} : dims;
  strides.resize(3);
  std::string s = "pare_cu_shape{" + std::to_string(d.size()) + ", " + intArray(d) + ", {";
  for (size_t i = 0; i < 3; ++i) {
    std::vector<int64_t> st = strides[i];
    if (st.empty())
      st.assign(d.size(), 0);
    s += (i ? ", " : "") + intArray(st);
  }
  return s + "}}";
}

uint64_t fnv1a(const std::string &bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

class CudaEmitter {
public:
  CudaEmitter(func::FuncOp func, const CudaEmitOptions &o) : func(func), opts(o) {
    prefix = sanitizeIdentifier(o.name);
    upper = llvm::StringRef(prefix).upper();
    owners = planning::outputOwners(func);
  }
  LogicalResult run(std::vector<EmittedFile> &files);

private:
  LogicalResult ptr(Value v, std::string &out);
  /// Layouts a constant can be stored in, besides its own row-major order.
  enum class Layout { AsStored, DepthwiseHWC, Transposed2D };
  std::string weight(Value v, Layout layout = Layout::AsStored);
  std::string floatTable(const std::string &base, const std::vector<float> &vals);
  LogicalResult emitOp(Operation *op);
  LogicalResult unsupported(Operation *op, const Twine &why) {
    return op->emitError() << "the cuda target cannot emit " << op->getName() << ": " << why;
  }
  /// `call` is a kernel call without its closing parenthesis.
  std::string launch(const std::string &call) { return "  PARE_TRY(" + call + "));\n"; }

  /// Producers whose result is added to a residual by the op right after
  /// them: the producer's epilogue does the add (and its activation) and
  /// writes the add's result; the add is not emitted.
  void findResidualFusions();
  struct Residual {
    Operation *add;
    Value other;
  };
  DenseMap<Operation *, Residual> residualOf;
  DenseSet<Operation *> fusedAdds;

  func::FuncOp func;
  const CudaEmitOptions &opts;
  std::string prefix, upper;
  DenseMap<Value, unsigned> owners;
  DenseMap<Value, std::string> locals;
  std::vector<std::string> usedNames;
  std::map<std::pair<const void *, int>, std::string> weightNames;
  std::string blob, weightDecls, localDecls, body;
  std::vector<std::string> inNames, outNames, inOrig, outOrig;
};

std::string CudaEmitter::floatTable(const std::string &base, const std::vector<float> &vals) {
  while (blob.size() % 256)
    blob.push_back('\0');
  size_t off = blob.size();
  blob.append(reinterpret_cast<const char *>(vals.data()), vals.size() * sizeof(float));
  std::string name = uniqueName(localIdentifier(base, prefix), usedNames);
  weightDecls += "  const float *" + name + " = (const float *)(w + " + std::to_string(off) +
                 ");\n";
  return name;
}

std::string CudaEmitter::weight(Value v, Layout layout) {
  bool depthwiseHWC = layout == Layout::DepthwiseHWC;
  DenseElementsAttr attr;
  bool ok = matchPattern(v, m_Constant(&attr));
  assert(ok && "weight() needs a dense constant");
  (void)ok;
  auto key = std::make_pair(attr.getAsOpaquePointer(), int(layout));
  auto it = weightNames.find(key);
  if (it != weightNames.end())
    return it->second;
  Shape s = shapeOf(v);
  Type t = attr.getElementType();
  size_t esize = elemBytes(t);
  while (blob.size() % 256)
    blob.push_back('\0');
  size_t off = blob.size();
  std::vector<char> raw;
  if (t.isInteger(1)) {
    for (bool b : attr.getValues<bool>())
      raw.push_back(b ? 1 : 0);
  } else {
    ArrayRef<char> data = attr.getRawData();
    size_t n = shape::numElements(s);
    raw.resize(n * esize);
    for (size_t i = 0; i < n; ++i) // splats hold one element
      std::memcpy(&raw[i * esize], &data[attr.isSplat() ? 0 : i * esize], esize);
  }
  if (depthwiseHWC) { // [C][kh][kw][1] -> [kh][kw][C]
    int64_t c = s[0], kh = s[1], kw = s[2];
    std::vector<char> r(raw.size());
    for (int64_t y = 0; y < kh; ++y)
      for (int64_t x = 0; x < kw; ++x)
        for (int64_t ch = 0; ch < c; ++ch)
          std::memcpy(&r[((y * kw + x) * c + ch) * esize], &raw[((ch * kh + y) * kw + x) * esize],
                      esize);
    raw.swap(r);
  }
  if (layout == Layout::Transposed2D) { // [K][N] -> [N][K]
    int64_t k = s[0], n = s[1];
    std::vector<char> r(raw.size());
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j)
        std::memcpy(&r[(j * k + i) * esize], &raw[(i * n + j) * esize], esize);
    raw.swap(r);
  }
  blob.append(raw.data(), raw.size());
  std::string name = uniqueName(localIdentifier(sanitizeIdentifier(nodeName(v.getDefiningOp())) +
                                                    (depthwiseHWC ? "_hwc" : "") +
                                                    (layout == Layout::Transposed2D ? "_t" : ""),
                                                prefix),
                                usedNames);
  std::string ct = cudaType(t);
  weightDecls += "  /* " + commentText(nodeName(v.getDefiningOp())) + ": " + shape::toString(s) +
                 (depthwiseHWC ? " as HxWxC" : layout == Layout::Transposed2D ? " transposed" : "") + " */\n  const " + ct + " *" + name +
                 " = (const " + ct + " *)(w + " + std::to_string(off) + ");\n";
  weightNames[key] = name;
  return name;
}

LogicalResult CudaEmitter::ptr(Value v, std::string &out) {
  Value root = planning::storageRoot(v);
  if (auto arg = dyn_cast<BlockArgument>(root)) {
    out = inNames[arg.getArgNumber()];
    return success();
  }
  if (matchPattern(root, m_Constant())) {
    DenseElementsAttr dense;
    if (!matchPattern(root, m_Constant(&dense)))
      return root.getDefiningOp()->emitError("the cuda target needs constants with data");
    out = weight(root);
    return success();
  }
  auto own = owners.find(root);
  if (own != owners.end()) {
    out = outNames[own->second];
    return success();
  }
  auto it = locals.find(root);
  if (it == locals.end())
    return root.getDefiningOp()->emitError("internal: value has no storage");
  out = it->second;
  return success();
}

void CudaEmitter::findResidualFusions() {
  // FuseResidualAdd marked the producers; the plan starts each add's buffer
  // at its producer, so the producer may write it while reading its inputs.
  for (Operation &op : func.getBody().front()) {
    if (!op.hasAttr("pare.residual_add"))
      continue;
    Value produced = op.getResult(0);
    Operation *user = *produced.getUsers().begin();
    if (isa<ReshapeOp>(user)) {
      produced = user->getResult(0);
      user = *produced.getUsers().begin();
    }
    auto add = cast<AddOp>(user);
    Value other = add.getLhs() == produced ? add.getRhs() : add.getLhs();
    residualOf[&op] = {add, other};
    fusedAdds.insert(add);
  }
}

LogicalResult CudaEmitter::emitOp(Operation *op) {
  // TSM: the temporal shift, or a convolution that reads its input through
  // one (pare.shift_frames), has no GPU kernel yet.
  if (isa<TemporalShiftOp>(op) || op->hasAttr("pare.shift_frames"))
    return op->emitError("the CUDA target does not support temporal_shift yet");
  if (isa<ConstantOp, ReshapeOp, IdentityOp, func::ReturnOp>(op) || fusedAdds.count(op))
    return success();
  if (op->getNumResults() == 1 && numel(op->getResult(0)) == 0)
    return success();
  // Operand pointers, except constants that a kernel wants in another layout.
  SmallVector<std::string> in, out;
  for (Value v : op->getOperands()) {
    std::string p;
    // Constant weights the kernels read in another layout: depthwise as HWC;
    // [K][N] matmul weights as [N][K] (K-contiguous, what the GEMV and the
    // sm_90a TMA kernel stream).
    bool relayout = false;
    if (auto c = dyn_cast<ConvOp>(op))
      relayout = v == c.getWeight() && c.isDepthwise() && shapeOf(v)[3] == 1 &&
                 matchPattern(v, m_Constant());
    if (auto g = dyn_cast<GemmOp>(op))
      relayout = v == g.getB() && !g.getTransB() && matchPattern(v, m_Constant());
    if (auto mm = dyn_cast<MatMulOp>(op))
      relayout = v == mm.getB() && shapeOf(v).size() == 2 && matchPattern(v, m_Constant());
    if (!relayout && failed(ptr(v, p)))
      return failure();
    in.push_back(p);
  }
  auto res = residualOf.find(op);
  for (Value r : op->getResults()) {
    std::string p;
    // A producer that adds its residual writes the add's result.
    if (failed(ptr(res != residualOf.end() ? res->second.add->getResult(0) : r, p)))
      return failure();
    out.push_back(p);
  }
  std::string kind = op->getName().stripDialect().str();
  Shape os = op->getNumResults() ? shapeOf(op->getResult(0)) : Shape{};
  std::string residual = "nullptr";
  ActArgs fused = fusedActivation(op);
  std::string comment = nodeComment(op);
  if (res != residualOf.end()) {
    Operation *add = res->second.add;
    if (failed(ptr(res->second.other, residual)))
      return failure();
    fused = fusedActivation(add);
    std::vector<std::string> names;
    locNames(add->getLoc(), names);
    for (const std::string &n : names)
      comment += " + \"" + commentText(n) + "\"";
  }
  std::string head = "  /* " + comment + ": " + kind + " -> " + shape::toString(os);
  if (res != residualOf.end())
    head += ", fused residual add";
  if (auto act = (res != residualOf.end() ? res->second.add : op)->getAttrOfType<StringAttr>("activation"))
    head += ", fused " + commentText(act.getValue());
  body += head + " */\n";
  auto i32 = [](int64_t v) { return std::to_string(v); };
  auto count = [&]() { return std::to_string(numel(op->getResult(0))); };
  Type t = op->getNumResults() ? elemOf(op->getResult(0)) : Type();
  std::string sfx = t ? suffix(t) : "";
  auto needFloat = [&]() -> LogicalResult {
    for (Value v : op->getOperands())
      if (suffix(elemOf(v)).empty() && !isa<GatherOp>(op))
        return unsupported(op, "only float32 / float16 tensors");
    return success();
  };

  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<ConvOp>([&](ConvOp c) -> LogicalResult {
        if (failed(needFloat()))
          return failure();
        if (!c.getChannelsLast())
          return unsupported(op, "NCHW convolution");
        Shape x = shapeOf(c.getInput()), w = shapeOf(c.getWeight());
        auto s = c.getStrides(), d = c.getDilations(), p = c.getPads();
        ActArgs a = fused;
        std::string bias = c.getBias() ? in[2] : "nullptr";
        if (in[1].empty()) {
          body += launch("pare_cu_depthwise_conv2d_" + sfx + "(" + in[0] + ", " + i32(x[0]) +
                         ", " + i32(x[1]) + ", " + i32(x[2]) + ", " + i32(x[3]) + ", " +
                         weight(c.getWeight(), Layout::DepthwiseHWC) + ", " + bias + ", " + residual + ", " + out[0] +
                         ", " + i32(os[1]) + ", " + i32(os[2]) + ", " + i32(w[1]) + ", " +
                         i32(w[2]) + ", " + i32(s[0]) + ", " + i32(s[1]) + ", " + i32(d[0]) +
                         ", " + i32(d[1]) + ", " + i32(p[0]) + ", " + i32(p[1]) + ", " + a.kind +
                         ", " + a.a + ", " + a.b + ", stream");
          return success();
        }
        body += launch("pare_cu_conv2d_" + sfx + "(" + in[0] + ", " + i32(x[0]) + ", " +
                       i32(x[1]) + ", " + i32(x[2]) + ", " + i32(x[3]) + ", " + in[1] + ", " +
                       bias + ", " + residual + ", " + out[0] + ", " + i32(os[1]) + ", " + i32(os[2]) +
                       ", " + i32(os[3]) + ", " + i32(w[1]) + ", " + i32(w[2]) + ", " +
                       i32(s[0]) + ", " + i32(s[1]) + ", " + i32(d[0]) + ", " + i32(d[1]) +
                       ", " + i32(p[0]) + ", " + i32(p[1]) + ", " + i32(c.getGroup()) + ", " +
                       a.kind + ", " + a.a + ", " + a.b + ", stream");
        return success();
      })
      .Case<GemmOp>([&](GemmOp g) -> LogicalResult {
        if (failed(needFloat()))
          return failure();
        Shape a = shapeOf(g.getA());
        int64_t m = os[0], n = os[1], k = g.getTransA() ? a[0] : a[1];
        int64_t ars = g.getTransA() ? 1 : k, acs = g.getTransA() ? m : 1;
        int64_t brs = g.getTransB() ? 1 : n, bcs = g.getTransB() ? k : 1;
        // Constant [K][N] weights are stored transposed (see above).
        if (in[1].empty()) {
          in[1] = weight(g.getB(), Layout::Transposed2D);
          brs = 1;
          bcs = k;
        }
        std::string c = "nullptr";
        int64_t crs = 0, ccs = 0;
        if (g.getC()) {
          c = in[2];
          auto st = shape::broadcastStrides(shapeOf(g.getC()), {m, n});
          crs = st[0];
          ccs = st[1];
        }
        ActArgs act = fused;
        body += launch("pare_cu_matmul_" + sfx + "(" + in[0] + ", " + in[1] + ", " + c +
                       ", " + residual + ", " + out[0] + ", " + i32(m) + ", " + i32(n) + ", " + i32(k) +
                       ", " + i32(ars) + ", " + i32(acs) + ", " + i32(brs) + ", " + i32(bcs) +
                       ", " + i32(crs) + ", " + i32(ccs) + ", 1, 0, 0, " +
                       floatLiteral(g.getAlpha().convertToFloat()) + ", " +
                       floatLiteral(g.getBeta().convertToFloat()) + ", " + act.kind + ", " +
                       act.a + ", " + act.b + ", stream");
        return success();
      })
      .Case<MatMulOp>([&](MatMulOp mm) -> LogicalResult {
        if (failed(needFloat()))
          return failure();
        auto g = *shape::matmulGeometry(shapeOf(mm.getA()), shapeOf(mm.getB()));
        int64_t m = g.m, k = g.k, n = g.n;
        int64_t nb = shape::numElements(g.batch);
        int64_t na = shape::numElements(g.aBatch), nbb = shape::numElements(g.bBatch);
        if ((na != nb && na != 1) || (nbb != nb && nbb != 1))
          return unsupported(op, "partially broadcast batch dims");
        // A batch-1 left operand against a batched right one is one big matmul
        // only when B is shared; otherwise stride through the batch.
        int64_t brs = n, bcs = 1;
        if (in[1].empty()) { // constant 2-D B, stored [N][K]
          in[1] = weight(mm.getB(), Layout::Transposed2D);
          brs = 1;
          bcs = k;
        }
        ActArgs act = fused;
        body += launch("pare_cu_matmul_" + sfx + "(" + in[0] + ", " + in[1] +
                       ", nullptr, " + residual + ", " + out[0] + ", " + i32(m) + ", " + i32(n) + ", " +
                       i32(k) + ", " + i32(k) + ", 1, " + i32(brs) + ", " + i32(bcs) + ", 0, 0, " + i32(nb) +
                       ", " + i32(na == 1 ? 0 : m * k) + "LL, " + i32(nbb == 1 ? 0 : k * n) +
                       "LL, 1.0f, 0.0f, " + act.kind + ", " + act.a + ", " + act.b + ", stream");
        return success();
      })
      .Case<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp>([&](Operation *) -> LogicalResult {
        if (failed(needFloat()))
          return failure();
        if (elemOf(op->getOperand(1)) != t)
          return unsupported(op, "operands of different element types");
        Shape shape = os.empty() ? Shape{1} : os;
        auto sa = shape::broadcastStrides(shapeOf(op->getOperand(0)), shape);
        auto sb = shape::broadcastStrides(shapeOf(op->getOperand(1)), shape);
        ActArgs act = fusedActivation(op);
        body += launch("pare_cu_binary_" + sfx + "(" + runtimeOpcode(op)->enumerator.str() +
                       ", " + in[0] + ", " + in[1] + ", " + out[0] + ", " +
                       cuShape(shape, {sa, sb}) + ", " + act.kind + ", " + act.a + ", " +
                       act.b + ", stream");
        return success();
      })
      .Case<SqrtOp, ExpOp, ErfOp, NegOp, ReciprocalOp, AbsOp, LogOp, FloorOp, CeilOp, RoundOp,
            SignOp, SinOp, CosOp, TanOp, AsinOp, AcosOp, AtanOp, SinhOp, CoshOp, AsinhOp,
            AcoshOp, AtanhOp>([&](Operation *) -> LogicalResult {
        if (failed(needFloat()))
          return failure();
        body += launch("pare_cu_unary_" + sfx + "(" + in[0] + ", " + out[0] + ", " + count() +
                       ", " + runtimeOpcode(op)->enumerator.str() + ", stream");
        return success();
      })
      .Case<ReluOp, SigmoidOp, TanhOp, HardSwishOp, SoftplusOp, SoftsignOp, MishOp, ClipOp,
            LeakyReluOp, EluOp, CeluOp, ThresholdedReluOp, HardSigmoidOp, SeluOp, GeluOp>(
          [&](Operation *) -> LogicalResult {
            if (failed(needFloat()))
              return failure();
            ActArgs act = standaloneActivation(op);
            body += launch("pare_cu_activation_" + sfx + "(" + in[0] + ", " + out[0] + ", " +
                           count() + ", " + act.kind + ", " + act.a + ", " + act.b + ", stream");
            return success();
          })
      .Case<MaxPoolOp, AveragePoolOp>([&](Operation *) -> LogicalResult {
        if (failed(needFloat()))
          return failure();
        if (!op->hasAttr("channels_last"))
          return unsupported(op, "NCHW pooling");
        Shape x = shapeOf(op->getOperand(0));
        auto k = op->getAttrOfType<DenseI64ArrayAttr>("kernel_shape").asArrayRef();
        auto s = op->getAttrOfType<DenseI64ArrayAttr>("strides").asArrayRef();
        auto d = op->getAttrOfType<DenseI64ArrayAttr>("dilations").asArrayRef();
        auto p = op->getAttrOfType<DenseI64ArrayAttr>("pads").asArrayRef();
        bool avg = isa<AveragePoolOp>(op);
        std::string call = std::string("pare_cu_") + (avg ? "avgpool2d_" : "maxpool2d_") + sfx +
                           "(" + in[0] + ", " + i32(x[0]) + ", " + i32(x[1]) + ", " +
                           i32(x[2]) + ", " + i32(x[3]) + ", " + out[0] + ", " + i32(os[1]) +
                           ", " + i32(os[2]) + ", " + i32(k[0]) + ", " + i32(k[1]) + ", " +
                           i32(s[0]) + ", " + i32(s[1]) + ", " + i32(d[0]) + ", " + i32(d[1]) +
                           ", " + i32(p[0]) + ", " + i32(p[1]);
        if (avg)
          call += cast<AveragePoolOp>(op).getCountIncludePad() ? ", 1" : ", 0";
        body += launch(call + ", stream");
        return success();
      })
      .Case<GlobalAveragePoolOp, GlobalMaxPoolOp>([&](Operation *) -> LogicalResult {
        if (failed(needFloat()))
          return failure();
        if (!op->hasAttr("channels_last"))
          return unsupported(op, "NCHW global pooling");
        Shape x = shapeOf(op->getOperand(0));
        int64_t spatial = shape::numElements(Shape(x.begin() + 1, x.end() - 1));
        body += launch(std::string("pare_cu_global_") +
                       (isa<GlobalAveragePoolOp>(op) ? "avgpool_" : "maxpool_") + sfx + "(" +
                       in[0] + ", " + i32(x[0]) + ", " + i32(spatial) + ", " + i32(x.back()) +
                       ", " + out[0] + ", stream");
        return success();
      })
      .Case<BatchNormOp>([&](BatchNormOp bn) -> LogicalResult {
        if (failed(needFloat()))
          return failure();
        std::vector<float> scale, shift;
        if (!batchNormAffine(op, scale, shift))
          return unsupported(op, "batch norm with run-time parameters");
        std::string base = sanitizeIdentifier(nodeName(op));
        std::string sc = floatTable(base + "_scale", scale), sh = floatTable(base + "_shift", shift);
        Shape x = shapeOf(bn.getInput());
        bool cl = bn.getChannelsLast();
        int64_t c = cl ? x.back() : x[1];
        int64_t outer = cl ? shape::numElements(x) / c : x[0];
        int64_t inner = cl ? 1 : shape::numElements(x) / (x[0] * c);
        body += launch("pare_cu_channel_affine_" + sfx + "(" + in[0] + ", " + sc + ", " + sh +
                       ", " + out[0] + ", " + i32(outer) + ", " + i32(c) + ", " + i32(inner) +
                       ", PARE_ACT_NONE, 0.0f, 0.0f, stream");
        return success();
      })
      .Case<LayerNormOp>([&](LayerNormOp ln) -> LogicalResult {
        if (failed(needFloat()))
          return failure();
        Shape x = shapeOf(ln.getInput());
        int64_t inner = shape::numElements(Shape(x.begin() + ln.getAxis(), x.end()));
        int64_t outer = shape::numElements(x) / std::max<int64_t>(inner, 1);
        body += launch("pare_cu_layernorm_" + sfx + "(" + in[0] + ", " + in[1] + ", " +
                       (ln.getBias() ? in[2] : std::string("nullptr")) + ", " + out[0] + ", " +
                       i32(outer) + ", " + i32(inner) + ", " +
                       floatLiteral(ln.getEpsilon().convertToFloat()) + ", 0, stream");
        return success();
      })
      .Case<SoftmaxOp, LogSoftmaxOp>([&](Operation *) -> LogicalResult {
        if (failed(needFloat()))
          return failure();
        Shape x = shapeOf(op->getOperand(0));
        int64_t axis = op->getAttrOfType<IntegerAttr>("axis").getInt();
        AxisView view = axisView(x, axis);
        int64_t outer = view.outer, inner = view.inner;
        body += launch("pare_cu_softmax_" + sfx + "(" + in[0] + ", " + out[0] + ", " +
                       i32(outer) + ", " + i32(x[axis]) + ", " + i32(inner) + ", " +
                       (isa<LogSoftmaxOp>(op) ? "1" : "0") + ", stream");
        return success();
      })
      .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp, ReduceL1Op,
            ReduceL2Op, ReduceSumSquareOp, ReduceLogSumExpOp>([&](Operation *) -> LogicalResult {
        if (failed(needFloat()))
          return failure();
        Shape x = shapeOf(op->getOperand(0));
        unsigned mask = 0;
        for (int64_t a : op->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef())
          mask |= 1u << a;
        body += launch("pare_cu_reduce_" + sfx + "(" + runtimeOpcode(op)->enumerator.str() +
                       ", " + in[0] + ", " + cuShape(x, {}) + ", " + i32(mask) + "u, " + out[0] + ", stream");
        return success();
      })
      .Case<TransposeOp>([&](TransposeOp tr) -> LogicalResult {
        Shape x = shapeOf(tr.getInput());
        Shape perm(tr.getPerm().begin(), tr.getPerm().end());
        body += "  {\n    static const int perm[] = " + intArray(perm) + ";\n  " +
                launch("pare_cu_transpose(" + i32(elemBytes(t)) + ", " + in[0] + ", " +
                       cuShape(x, {}) + ", perm, " + out[0] + ", stream") +
                "  }\n";
        return success();
      })
      .Case<ConcatOp>([&](ConcatOp c) -> LogicalResult {
        int64_t axis = int64_t(c.getAxis()), esz = elemBytes(t);
        AxisView view = axisView(os, axis);
        int64_t outer = view.outer, inner = view.inner;
        int64_t dstStride = os[axis] * inner * esz, offset = 0;
        for (size_t i = 0; i < c.getInputs().size(); ++i) {
          int64_t rowBytes = shapeOf(c.getInputs()[i])[axis] * inner * esz;
          if (rowBytes == 0)
            continue;
          body += launch("cudaMemcpy2DAsync((char *)" + out[0] + " + " + i32(offset) + ", " +
                         i32(dstStride) + ", " + in[i] + ", " + i32(rowBytes) + ", " +
                         i32(rowBytes) + ", " + i32(outer) +
                         ", cudaMemcpyDeviceToDevice, stream");
          offset += rowBytes;
        }
        return success();
      })
      .Case<SplitOp>([&](SplitOp s) -> LogicalResult {
        Shape x = shapeOf(s.getInput());
        int64_t axis = int64_t(s.getAxis()), esz = elemBytes(elemOf(s.getInput()));
        AxisView view = axisView(x, axis);
        int64_t outer = view.outer, inner = view.inner;
        int64_t srcStride = x[axis] * inner * esz, offset = 0;
        for (size_t i = 0; i < s.getNumResults(); ++i) {
          int64_t rowBytes = shapeOf(s.getResult(i))[axis] * inner * esz;
          if (rowBytes == 0)
            continue;
          body += launch("cudaMemcpy2DAsync(" + out[i] + ", " + i32(rowBytes) +
                         ", (const char *)" + in[0] + " + " + i32(offset) + ", " +
                         i32(srcStride) + ", " + i32(rowBytes) + ", " + i32(outer) +
                         ", cudaMemcpyDeviceToDevice, stream");
          offset += rowBytes;
        }
        return success();
      })
      .Case<SliceOp>([&](SliceOp s) -> LogicalResult {
        Shape x = shapeOf(s.getInput());
        body += "  {\n    static const int starts[] = " +
                intArray(Shape(s.getStarts().begin(), s.getStarts().end())) +
                ";\n    static const int steps[] = " +
                intArray(Shape(s.getSteps().begin(), s.getSteps().end())) + ";\n  " +
                launch("pare_cu_slice(" + i32(elemBytes(t)) + ", " + in[0] + ", " +
                       cuShape(os, {shape::contiguousStrides(x)}) + ", starts, steps, " +
                       out[0] + ", stream") +
                "  }\n";
        return success();
      })
      .Case<PadOp>([&](PadOp p) -> LogicalResult {
        Shape x = shapeOf(p.getInput());
        std::string ct = cudaType(t), value;
        if (auto f = dyn_cast<FloatAttr>(p.getValue()))
          value = t.isF16() ? "__float2half(" + floatLiteral(float(f.getValueAsDouble())) + ")"
                            : floatLiteral(float(f.getValueAsDouble()));
        else if (auto i = dyn_cast<IntegerAttr>(p.getValue()))
          value = std::to_string(i.getValue().getSExtValue());
        else
          return unsupported(op, "pad value");
        int mode = StringSwitch<int>(p.getMode()).Case("constant", 0).Case("reflect", 1)
                       .Case("edge", 2).Default(3);
        body += "  {\n    static const int in_dims[] = " + intArray(x) +
                ";\n    static const int pads_begin[] = " +
                intArray(Shape(p.getPadsBegin().begin(), p.getPadsBegin().end())) +
                ";\n    const " + ct + " value = " + value + ";\n  " +
                launch("pare_cu_pad(" + i32(elemBytes(t)) + ", " + in[0] + ", in_dims, " +
                       cuShape(os, {}) + ", pads_begin, " + std::to_string(mode) + ", &value, " +
                       out[0] + ", stream") +
                "  }\n";
        return success();
      })
      .Case<GatherOp>([&](GatherOp g) -> LogicalResult {
        if (!elemOf(g.getIndices()).isInteger(64))
          return unsupported(op, "int32 gather indices");
        Shape x = shapeOf(g.getData());
        int64_t axis = int64_t(g.getAxis());
        AxisView view = axisView(x, axis);
        int64_t outer = view.outer, inner = view.inner;
        body += launch("pare_cu_gather(" + i32(elemBytes(t)) + ", " + in[0] + ", " + i32(outer) +
                       ", " + i32(x[axis]) + ", " + i32(inner) + ", " + in[1] + ", " +
                       i32(numel(g.getIndices())) + ", " + out[0] + ", stream");
        return success();
      })
      .Case<CastOp>([&](CastOp c) -> LogicalResult {
        Type from = elemOf(c.getInput());
        if (from.isF32() && t.isF16())
          body += launch("pare_cu_f32_to_f16(" + in[0] + ", " + out[0] + ", " + count() + ", stream");
        else if (from.isF16() && t.isF32())
          body += launch("pare_cu_f16_to_f32(" + in[0] + ", " + out[0] + ", " + count() + ", stream");
        else
          return unsupported(op, "casts other than float32 <-> float16");
        return success();
      })
      .Case<ExpandOp>([&](ExpandOp e) -> LogicalResult {
        auto st = shape::broadcastStrides(shapeOf(e.getInput()), os);
        body += launch("pare_cu_broadcast(" + i32(elemBytes(t)) + ", " + in[0] + ", " +
                       cuShape(os, {st}) + ", " + out[0] + ", stream");
        return success();
      })
      .Case<WhereOp>([&](WhereOp w) -> LogicalResult {
        Shape shape = os.empty() ? Shape{1} : os;
        body += launch("pare_cu_where(" + i32(elemBytes(t)) + ", " + in[0] + ", " + in[1] + ", " +
                       in[2] + ", " + out[0] + ", " +
                       cuShape(shape, {shape::broadcastStrides(shapeOf(w.getCondition()), shape),
                                       shape::broadcastStrides(shapeOf(w.getX()), shape),
                                       shape::broadcastStrides(shapeOf(w.getY()), shape)}) +
                       ", stream");
        return success();
      })
      .Default([&](Operation *) { return unsupported(op, "no CUDA kernel for this op"); });
}

LogicalResult CudaEmitter::run(std::vector<EmittedFile> &files) {
  Block &block = func.getBody().front();
  // enqueue()'s own locals.
  for (const char *reserved : {"ctx", "stream", "w", "arena", "err"})
    usedNames.push_back(reserved);
  // Parameters: distinct also when upper-cased, as the header's
  // <PREFIX>_<NAME>_RANK / _SHAPE / _SIZE macros are.
  std::vector<std::string> usedUpper;
  auto param = [&](const std::string &orig) {
    std::string base = localIdentifier(sanitizeIdentifier(orig), prefix), n = base;
    for (int k = 1; llvm::is_contained(usedNames, n) ||
                    llvm::is_contained(usedUpper, llvm::StringRef(n).upper());
         ++k)
      n = base + "_" + std::to_string(k);
    usedNames.push_back(n);
    usedUpper.push_back(llvm::StringRef(n).upper());
    return n;
  };
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    auto a = func.getArgAttrOfType<StringAttr>(i, "pare.name");
    inOrig.push_back(a ? a.getValue().str() : "input" + std::to_string(i));
    inNames.push_back(param(inOrig.back()));
  }
  for (unsigned i = 0; i < func.getNumResults(); ++i) {
    auto a = func.getResultAttrOfType<StringAttr>(i, "pare.name");
    outOrig.push_back(a ? a.getValue().str() : "output" + std::to_string(i));
    outNames.push_back(param(outOrig.back()));
  }
  for (Value v : func.getArguments())
    if (cudaType(elemOf(v)).empty())
      return func.emitError("the cuda target has no type for input element type ") << elemOf(v);
  for (Operation &op : block) {
    auto offsets = op.getAttrOfType<DenseI64ArrayAttr>("pare.offsets");
    for (auto [i, r] : llvm::enumerate(op.getResults())) {
      if (!planning::needsArena(r, owners))
        continue;
      if (!offsets)
        return op.emitError("internal: no memory plan (run pare-plan-memory)");
      std::string ct = cudaType(elemOf(r));
      if (ct.empty())
        return op.emitError("the cuda target has no type for element type ") << elemOf(r);
      std::string name = uniqueName(
          localIdentifier(sanitizeIdentifier(nodeName(&op)) + layoutSuffix(&op) +
                              (op.getNumResults() > 1 ? "_" + std::to_string(i) : ""),
                          prefix),
          usedNames);
      locals[r] = name;
      localDecls += "  " + ct + " *" + name + " = (" + ct + " *)(arena + " +
                    std::to_string(offsets[i]) + ");\n";
    }
  }
  findResidualFusions();
  for (Operation &op : block)
    if (failed(emitOp(&op)))
      return failure();
  Operation *ret = block.getTerminator();
  for (auto [i, v] : llvm::enumerate(ret->getOperands())) {
    Value root = planning::storageRoot(v);
    auto own = owners.find(root);
    if (own != owners.end() && own->second == i)
      continue;
    std::string src;
    if (failed(ptr(v, src)))
      return failure();
    body += "  /* output \"" + commentText(outOrig[i]) + "\" is a copy of another tensor */\n" +
            launch("cudaMemcpyAsync(" + outNames[i] + ", " + src + ", " +
                   std::to_string(planning::byteSize(v.getType())) +
                   ", cudaMemcpyDeviceToDevice, stream");
  }
  int64_t arenaBytes = 0;
  if (auto a = func->getAttrOfType<IntegerAttr>("pare.arena_bytes"))
    arenaBytes = a.getInt();
  while (blob.size() % 256)
    blob.push_back('\0');
  if (blob.empty())
    blob.assign(256, '\0');

  // Signature over device pointers.
  std::string sig, args;
  for (unsigned i = 0; i < inNames.size(); ++i) {
    sig += (sig.empty() ? "" : ", ") + std::string("const ") +
           cudaType(elemOf(func.getArgument(i))) + " *" + inNames[i];
    args += (args.empty() ? "" : ", ") + inNames[i];
  }
  for (unsigned i = 0; i < outNames.size(); ++i) {
    sig += (sig.empty() ? "" : ", ") +
           cudaType(cast<RankedTensorType>(func.getResultTypes()[i]).getElementType()) + " *" +
           outNames[i];
    args += (args.empty() ? "" : ", ") + outNames[i];
  }
  std::string banner = "/* Generated by pare " + opts.version + " from " + commentText(opts.sourceModel) +
                       " for CUDA (" + opts.arch + "). Do not edit; recompile the model. */\n";

  // ---------------------------------------------------------------- header
  std::string archNum = llvm::StringRef(opts.arch).drop_front(3).str();
  bool hopper = opts.arch == "sm_90";
  std::string nvccFlags = "-std=c++17 -O3 -arch=sm_" + archNum + (hopper ? "a -DPARE_CU_SM90A" : "");
  std::string h = banner + "/* Build: " + prefix + ".cmake, or nvcc " + nvccFlags + " " + prefix +
                  ".cu pare_cu_*.cu" + (hopper ? "\n * (sm_90a and PARE_CU_SM90A turn on the Hopper TMA / wgmma kernels;\n"
                                                 " * plain -arch=sm_90 builds the portable ones)" : "") +
                  ". */\n#ifndef " + upper + "_CUH\n#define " + upper + "_CUH\n\n" +
                  "#include <cuda_runtime.h>\n#include <stddef.h>\n#include <stdint.h>\n\n";
  h += "/* Device memory the model allocates for activations, and weight bytes. */\n";
  h += "#define " + upper + "_ARENA_BYTES " + std::to_string(arenaBytes) + "\n";
  h += "#define " + upper + "_WEIGHT_BYTES " + std::to_string(blob.size()) + "\n";
  h += "#define " + upper + "_NUM_INPUTS " + std::to_string(inNames.size()) + "\n";
  h += "#define " + upper + "_NUM_OUTPUTS " + std::to_string(outNames.size()) + "\n\n";
  auto macros = [&](const std::string &kind, unsigned i, const std::string &orig,
                    const std::string &cname, Type ty) {
    auto rt = cast<RankedTensorType>(ty);
    Shape s(rt.getShape().begin(), rt.getShape().end());
    std::string m = upper + "_" + llvm::StringRef(cname).upper();
    h += "/* " + kind + " " + std::to_string(i) + ": \"" + commentText(orig) + "\", " +
         cudaType(rt.getElementType()) + " " + shape::toString(s) + " */\n";
    h += "#define " + m + "_RANK " + std::to_string(rt.getRank()) + "\n#define " + m +
         "_SHAPE " + intArray(s) + "\n#define " + m + "_SIZE " +
         std::to_string(rt.getNumElements()) + "\n";
  };
  for (unsigned i = 0; i < inNames.size(); ++i)
    macros("input", i, inOrig[i], inNames[i], func.getArgument(i).getType());
  for (unsigned i = 0; i < outNames.size(); ++i)
    macros("output", i, outOrig[i], outNames[i], func.getResultTypes()[i]);
  h += "\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  h += "typedef struct " + prefix + "_ctx " + prefix + "_ctx;\n\n";
  h += "/* Allocates the arena and uploads the weights (a " + prefix +
       "_weights.bin file or its bytes);\n * all work is queued on `stream`. NULL on failure "
       "(see " + prefix + "_last_error). */\n";
  h += prefix + "_ctx *" + prefix + "_create(const char *weights_path, cudaStream_t stream);\n";
  h += prefix + "_ctx *" + prefix +
       "_create_from_memory(const void *weights, size_t bytes, cudaStream_t stream);\n\n";
  h += "/* Queues one inference on device pointers. The launches are captured into a\n"
       " * CUDA graph on the first call and replayed while the pointers stay the same.\n"
       " * Returns 0 or a cudaError_t. Does not synchronise. */\n";
  h += "int " + prefix + "_run(" + prefix + "_ctx *ctx, " + sig + ");\n";
  h += "void " + prefix + "_destroy(" + prefix + "_ctx *ctx);\n";
  h += "/* Message of the last failure of " + prefix + "_create / " + prefix + "_run. */\n";
  h += "const char *" + prefix + "_last_error(void);\n\n";
  h += "#ifdef __cplusplus\n}\n\n";
  h += "/* C++ wrapper: RAII ownership of the context. */\nclass " + prefix + "_model {\npublic:\n";
  h += "  " + prefix + "_model(const char *weights_path, cudaStream_t stream = 0)\n      : ctx_(" +
       prefix + "_create(weights_path, stream)) {}\n";
  h += "  ~" + prefix + "_model() { " + prefix + "_destroy(ctx_); }\n";
  h += "  " + prefix + "_model(const " + prefix + "_model &) = delete;\n";
  h += "  " + prefix + "_model &operator=(const " + prefix + "_model &) = delete;\n";
  h += "  bool ok() const { return ctx_ != nullptr; }\n";
  h += "  int run(" + sig + ") { return " + prefix + "_run(ctx_, " + args + "); }\n";
  h += "\nprivate:\n  " + prefix + "_ctx *ctx_;\n};\n#endif\n\n#endif /* " + upper + "_CUH */\n";
  files.push_back({prefix + ".cuh", h});

  // ---------------------------------------------------------------- source
  std::string c = banner + "#include \"" + prefix + ".cuh\"\n#include \"pare_cuda.cuh\"\n\n" +
                  "#include <cstdio>\n#include <cstdlib>\n#include <cstring>\n#include <vector>\n\n";
  c += "static const unsigned long long kWeightHash = " + std::to_string(fnv1a(blob)) + "ull;\n";
  c += "static char g_error[256];\n\n";
  c += "#define PARE_TRY(...)                                   \\\n"
       "  do {                                                \\\n"
       "    cudaError_t err_ = (__VA_ARGS__);                 \\\n"
       "    if (err_ != cudaSuccess)                          \\\n"
       "      return err_;                                    \\\n"
       "  } while (0)\n\n";
  c += "struct " + prefix + "_ctx {\n  cudaStream_t stream;\n  unsigned char *arena;\n"
       "  unsigned char *weights;\n  cudaGraphExec_t graph;\n  const void *graph_ptrs[" +
       std::to_string(std::max<size_t>(1, inNames.size() + outNames.size())) + "];\n};\n\n";
  c += "/* Every launch of one inference, in op order. */\nstatic cudaError_t enqueue(" + prefix +
       "_ctx *ctx, " + sig + ") {\n";
  c += "  cudaStream_t stream = ctx->stream;\n  unsigned char *arena = ctx->arena;\n"
       "  const unsigned char *w = ctx->weights;\n  (void)arena;\n  (void)w;\n";
  c += localDecls + weightDecls + "\n" + body + "  return cudaSuccess;\n}\n\n";
  c += "static unsigned long long fnv1a(const unsigned char *p, size_t n) {\n"
       "  unsigned long long h = 1469598103934665603ull;\n"
       "  for (size_t i = 0; i < n; ++i) {\n    h ^= p[i];\n    h *= 1099511628211ull;\n  }\n"
       "  return h;\n}\n\n";
  c += "static void set_error(const char *what, cudaError_t err) {\n"
       "  snprintf(g_error, sizeof g_error, \"%s: %s\", what, err == cudaSuccess ? \"invalid\" : "
       "cudaGetErrorString(err));\n}\n\n";
  c += "const char *" + prefix + "_last_error(void) { return g_error; }\n\n";
  c += prefix + "_ctx *" + prefix +
       "_create_from_memory(const void *weights, size_t bytes, cudaStream_t stream) {\n";
  c += "  if (bytes != " + upper + "_WEIGHT_BYTES ||\n      fnv1a((const unsigned char *)weights, "
       "bytes) != kWeightHash) {\n    set_error(\"weights do not belong to this model\", "
       "cudaSuccess);\n    return NULL;\n  }\n";
  c += "  " + prefix + "_ctx *ctx = (" + prefix + "_ctx *)calloc(1, sizeof(" + prefix +
       "_ctx));\n  cudaError_t err;\n  if (!ctx)\n    return NULL;\n  ctx->stream = stream;\n";
  c += "  if ((err = cudaMalloc((void **)&ctx->arena, " + upper + "_ARENA_BYTES > 0 ? " + upper +
       "_ARENA_BYTES : 1)) != cudaSuccess ||\n      (err = cudaMalloc((void **)&ctx->weights, bytes)) != "
       "cudaSuccess ||\n      (err = cudaMemcpy(ctx->weights, weights, bytes, "
       "cudaMemcpyHostToDevice)) != cudaSuccess) {\n    set_error(\"" + prefix +
       "_create\", err);\n    " + prefix + "_destroy(ctx);\n    return NULL;\n  }\n  return ctx;\n}\n\n";
  c += prefix + "_ctx *" + prefix + "_create(const char *weights_path, cudaStream_t stream) {\n"
       "  FILE *f = fopen(weights_path, \"rb\");\n  std::vector<unsigned char> bytes(" + upper +
       "_WEIGHT_BYTES);\n  size_t got;\n  if (!f) {\n    snprintf(g_error, sizeof g_error, "
       "\"cannot open %s\", weights_path);\n    return NULL;\n  }\n  got = fread(bytes.data(), "
       "1, bytes.size(), f);\n  fclose(f);\n  return " + prefix +
       "_create_from_memory(bytes.data(), got, stream);\n}\n\n";
  c += "int " + prefix + "_run(" + prefix + "_ctx *ctx, " + sig + ") {\n";
  c += "  const void *ptrs[] = {" + (args.empty() ? std::string("NULL") : args) + "};\n";
  c += "  cudaError_t err;\n  if (!ctx->graph || memcmp(ptrs, ctx->graph_ptrs, sizeof ptrs) != 0) {\n"
       "    cudaGraph_t graph;\n"
       "    if (ctx->graph) {\n      cudaGraphExecDestroy(ctx->graph);\n      ctx->graph = NULL;\n    }\n"
       "    if ((err = cudaStreamBeginCapture(ctx->stream, cudaStreamCaptureModeThreadLocal)) != "
       "cudaSuccess) {\n      set_error(\"capture\", err);\n      return err;\n    }\n"
       "    cudaError_t launched = enqueue(ctx, " + args + ");\n"
       "    err = cudaStreamEndCapture(ctx->stream, &graph);\n"
       "    if (launched != cudaSuccess || err != cudaSuccess) {\n"
       "      set_error(\"launch\", launched != cudaSuccess ? launched : err);\n"
       "      return launched != cudaSuccess ? launched : err;\n    }\n"
       "    err = cudaGraphInstantiate(&ctx->graph, graph, 0);\n    cudaGraphDestroy(graph);\n"
       "    if (err != cudaSuccess) {\n      ctx->graph = NULL;\n      set_error(\"instantiate\", err);\n"
       "      return err;\n    }\n    memcpy(ctx->graph_ptrs, ptrs, sizeof ptrs);\n  }\n"
       "  err = cudaGraphLaunch(ctx->graph, ctx->stream);\n"
       "  if (err != cudaSuccess)\n    set_error(\"graph launch\", err);\n  return err;\n}\n\n";
  c += "void " + prefix + "_destroy(" + prefix + "_ctx *ctx) {\n  if (!ctx)\n    return;\n"
       "  if (ctx->graph)\n    cudaGraphExecDestroy(ctx->graph);\n  cudaFree(ctx->arena);\n"
       "  cudaFree(ctx->weights);\n  free(ctx);\n}\n";
  files.push_back({prefix + ".cu", c});
  files.push_back({prefix + "_weights.bin", blob});

  std::vector<std::string> sources = {prefix + ".cu"};
  for (const auto &rf : cudaRuntimeFiles())
    if (llvm::StringRef(rf.path).ends_with(".cu"))
      sources.push_back(rf.path);
  std::string cm = "# Generated by pare " + opts.version + " from " + commentText(opts.sourceModel) + ".\n"
                   "# include(path/to/" + prefix + ".cmake) in a project with CUDA enabled, then\n"
                   "# target_link_libraries(app PRIVATE " + prefix + "). The weights file " +
                   prefix + "_weights.bin\n# is read at run time by " + prefix + "_create.\n";
  cm += "add_library(" + prefix + " STATIC\n";
  for (auto &s : sources)
    cm += "  ${CMAKE_CURRENT_LIST_DIR}/" + s + "\n";
  cm += ")\ntarget_include_directories(" + prefix + " PUBLIC ${CMAKE_CURRENT_LIST_DIR})\n";
  // sm_90 builds the arch-specific sm_90a code, which turns on the Hopper
  // kernels (TMA + wgmma) of runtime-stubs/cuda.
  cm += "set_target_properties(" + prefix + " PROPERTIES CUDA_ARCHITECTURES " + archNum +
        (hopper ? "a" : "") + " CUDA_STANDARD 17)\n";
  if (hopper)
    cm += "target_compile_definitions(" + prefix + " PRIVATE PARE_CU_SM90A=1)\n";
  files.push_back({prefix + ".cmake", cm});

  if (opts.emitRunner) {
    std::string r = banner;
    r += "/* GPU runner: reads the inputs (.npy, model input order), runs the model,\n"
         " * writes each output as OUTDIR/<output name>.npy.\n"
         " *   runner [-w WEIGHTS] [-o OUTDIR] [-n REPEAT] IN0.npy [IN1.npy ...]\n"
         " * With -n it replays the CUDA graph REPEAT times and prints the median\n"
         " * latency per inference (cudaEvent timing). */\n";
    r += "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <time.h>\n\n"
         "#include \"" + prefix + ".cuh\"\n\n#define RUNNER_HAS_INPUTS " +
         std::string(inNames.empty() ? "0" : "1") + "\n\n";
    r += runnerHelpers();
    r += "#define CHECK(x)                                                   \\\n"
         "  do {                                                           \\\n"
         "    cudaError_t e_ = (x);                                        \\\n"
         "    if (e_ != cudaSuccess) {                                     \\\n"
         "      fprintf(stderr, \"runner: %s: %s\\n\", #x, cudaGetErrorString(e_)); \\\n"
         "      return 1;                                                  \\\n"
         "    }                                                            \\\n"
         "  } while (0)\n\n";
    r += "int main(int argc, char **argv) {\n  const char *runner_outdir = \".\";\n"
         "  const char *runner_weights = \"" + prefix + "_weights.bin\";\n"
         "  int runner_repeat = 0, runner_argi = 1, runner_k;\n"
         "  cudaStream_t stream;\n  " + prefix + "_ctx *ctx;\n"
         "  (void)now_ms; /* CUDA events time the GPU work */\n";
    r += "  while (runner_argi < argc && argv[runner_argi][0] == '-') {\n"
         "    if (strcmp(argv[runner_argi], \"-o\") == 0 && runner_argi + 1 < argc)\n"
         "      runner_outdir = argv[runner_argi + 1];\n"
         "    else if (strcmp(argv[runner_argi], \"-w\") == 0 && runner_argi + 1 < argc)\n"
         "      runner_weights = argv[runner_argi + 1];\n"
         "    else if (strcmp(argv[runner_argi], \"-n\") == 0 && runner_argi + 1 < argc)\n"
         "      runner_repeat = atoi(argv[runner_argi + 1]);\n"
         "    else\n      return fail(\"usage: runner [-w WEIGHTS] [-o OUTDIR] [-n REPEAT] INPUTS.npy...\", NULL);\n"
         "    runner_argi += 2;\n  }\n";
    r += "  if (argc - runner_argi != " + upper + "_NUM_INPUTS)\n    return fail(\"expected " +
         std::to_string(inNames.size()) + " input .npy file(s)\", NULL);\n";
    r += "  CHECK(cudaStreamCreate(&stream));\n  ctx = " + prefix + "_create(runner_weights, stream);\n"
         "  if (!ctx)\n    return fail(" + prefix + "_last_error(), NULL);\n";
    for (unsigned i = 0; i < inNames.size(); ++i) {
      Type ty = elemOf(func.getArgument(i));
      std::string ct = cudaType(ty), m = upper + "_" + llvm::StringRef(inNames[i]).upper();
      r += "  " + ct + " *" + inNames[i] + ";\n  {\n    void *host = read_npy(argv[runner_argi + " +
           std::to_string(i) + "], \"'" + npyDescr(ty) + "'\", " + m + "_SIZE, sizeof(" + ct +
           "));\n    if (!host)\n      return 1;\n    CHECK(cudaMalloc((void **)&" + inNames[i] +
           ", sizeof(" + ct + ") * " + m + "_SIZE + 1));\n    CHECK(cudaMemcpy(" + inNames[i] +
           ", host, sizeof(" + ct + ") * " + m + "_SIZE, cudaMemcpyHostToDevice));\n    free(host);\n  }\n";
    }
    for (unsigned i = 0; i < outNames.size(); ++i) {
      Type ty = cast<RankedTensorType>(func.getResultTypes()[i]).getElementType();
      std::string ct = cudaType(ty), m = upper + "_" + llvm::StringRef(outNames[i]).upper();
      r += "  " + ct + " *" + outNames[i] + ";\n  CHECK(cudaMalloc((void **)&" + outNames[i] +
           ", sizeof(" + ct + ") * " + m + "_SIZE + 1));\n";
    }
    r += "  CHECK((cudaError_t)" + prefix + "_run(ctx, " + args + "));\n"
         "  CHECK(cudaStreamSynchronize(stream));\n";
    r += "  if (runner_repeat > 0) {\n    double *runner_times = (double *)malloc(sizeof(double) * runner_repeat);\n"
         "    cudaEvent_t runner_t0, runner_t1;\n    CHECK(cudaEventCreate(&runner_t0));\n    CHECK(cudaEventCreate(&runner_t1));\n"
         "    for (runner_k = 0; runner_k < 5; ++runner_k)\n      CHECK((cudaError_t)" + prefix +
         "_run(ctx, " + args + "));\n"
         "    for (runner_k = 0; runner_k < runner_repeat; ++runner_k) {\n      float runner_ms;\n"
         "      CHECK(cudaEventRecord(runner_t0, stream));\n      CHECK((cudaError_t)" + prefix +
         "_run(ctx, " + args + "));\n      CHECK(cudaEventRecord(runner_t1, stream));\n"
         "      CHECK(cudaEventSynchronize(runner_t1));\n      CHECK(cudaEventElapsedTime(&runner_ms, runner_t0, runner_t1));\n"
         "      runner_times[runner_k] = runner_ms;\n    }\n"
         "    qsort(runner_times, runner_repeat, sizeof(double), cmp_double);\n"
         "    printf(\"latency_ms: %.6f\\n\", runner_times[runner_repeat / 2]);\n    free(runner_times);\n  }\n";
    std::vector<std::string> fileNames = npyFileNames(outOrig);
    for (unsigned i = 0; i < outNames.size(); ++i) {
      Type ty = cast<RankedTensorType>(func.getResultTypes()[i]).getElementType();
      if (npyDescr(ty).empty())
        continue;
      std::string ct = cudaType(ty), m = upper + "_" + llvm::StringRef(outNames[i]).upper();
      auto rt = cast<RankedTensorType>(func.getResultTypes()[i]);
      r += "  {\n    static const long shape[" + std::to_string(std::max<int64_t>(1, rt.getRank())) +
           "] = " + m + "_SHAPE;\n    void *host = malloc(sizeof(" + ct + ") * " + m +
           "_SIZE + 1);\n    CHECK(cudaMemcpy(host, " + outNames[i] + ", sizeof(" + ct + ") * " +
           m + "_SIZE, cudaMemcpyDeviceToHost));\n    if (write_output(runner_outdir, " +
           cStringLiteral(fileNames[i] + ".npy") + ", \"" + npyDescr(ty) + "\", shape, " + m +
           "_RANK, host, sizeof(" + ct + ") * " + m + "_SIZE))\n      return 1;\n    free(host);\n  }\n";
    }
    r += "  " + prefix + "_destroy(ctx);\n  return 0;\n}\n";
    files.push_back({"runner.cu", r});
  }
  for (const auto &rf : cudaRuntimeFiles())
    files.push_back(rf);
  return success();
}

} // namespace

FailureOr<std::vector<EmittedFile>> emitCuda(ModuleOp module, const CudaEmitOptions &options) {
  auto main = mainFunction(module);
  if (failed(main))
    return failure();
  std::vector<EmittedFile> files;
  CudaEmitter e(*main, options);
  if (failed(e.run(files)))
    return failure();
  return files;
}

} // namespace pare::codegen
