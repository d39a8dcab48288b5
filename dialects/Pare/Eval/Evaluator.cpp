//===- Evaluator.cpp - run pare IR on the host (calibration) --------------===//
//
// One op at a time, in block order, each by a call into the float C kernels of
// runtime-stubs/c with the arguments the C emitter (codegen/c/CEmitter.cpp)
// computes for the same op; only data-type plumbing (casts, quantize /
// dequantize, batch-norm affine factors, weight reordering) is done here.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Eval/Evaluator.h"

#include "dialects/Pare/IR/PareOps.h"
#include "dialects/Pare/IR/QuantMath.h"
#include "dialects/Pare/IR/QuantUtils.h"
#include "dialects/Pare/IR/RuntimeOpcodes.h"
#include "dialects/Pare/IR/ShapeInference.h"
#include "runtime-stubs/c/pare_kernels.h"

#include "mlir/IR/Location.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

using namespace mlir;

namespace pare::eval {

using shape::Shape;

int64_t Tensor::numElements() const { return shape::numElements(shape); }

Tensor Tensor::floats(std::vector<int64_t> shape, std::vector<float> data) {
  Tensor t;
  t.shape = std::move(shape);
  t.f = std::move(data);
  return t;
}

Tensor Tensor::ints(std::vector<int64_t> shape, std::vector<int64_t> data) {
  Tensor t;
  t.shape = std::move(shape);
  t.i = std::move(data);
  return t;
}

namespace {

using TensorPtr = std::shared_ptr<const Tensor>;

Shape shapeOf(Value v) {
  auto s = cast<ShapedType>(v.getType()).getShape();
  return Shape(s.begin(), s.end());
}
Type elemOf(Value v) { return cast<ShapedType>(v.getType()).getElementType(); }
/// Float storage (any float element type is held as float32).
bool floatType(Type t) { return isa<FloatType>(qtype::elementOf(t)); }

std::vector<int32_t> i32s(ArrayRef<int64_t> v) { return std::vector<int32_t>(v.begin(), v.end()); }

/// "conv_3" from the op's location, or its position in the block.
std::string nodeName(Operation *op) {
  std::function<std::string(Location)> find = [&](Location l) -> std::string {
    if (auto n = dyn_cast<NameLoc>(l))
      return n.getName().str();
    if (auto f = dyn_cast<FusedLoc>(l))
      for (Location s : f.getLocations()) {
        std::string r = find(s);
        if (!r.empty())
          return r;
      }
    if (auto c = dyn_cast<CallSiteLoc>(l))
      return find(c.getCallee());
    return "";
  };
  std::string n = find(op->getLoc());
  if (!n.empty())
    return n;
  unsigned idx = 0;
  for (Operation &o : *op->getBlock()) {
    if (&o == op)
      break;
    ++idx;
  }
  return std::to_string(idx);
}

LogicalResult fail(Operation *op, const Twine &why) {
  return op->emitError() << "calibration cannot evaluate '" << op->getName().getStringRef()
                         << "' (node " << nodeName(op) << "): " << why;
}

struct Act {
  pare_act_t kind = PARE_ACT_NONE;
  float a = 0.0f, b = 0.0f;
};

// The C kernels' enums take the values of RuntimeOpcodes.def, which the
// emitters print by name: the evaluator's opcodes are the emitted code's.
#define PARE_UNARY_OPCODE(Op, Name, Value) static_assert(PARE_UN_##Name == Value);
#define PARE_BINARY_OPCODE(Op, Name, Value) static_assert(PARE_BIN_##Name == Value);
#define PARE_COMPARE_OPCODE(Op, Name, Value) static_assert(PARE_CMP_##Name == Value);
#define PARE_REDUCE_OPCODE(Op, Name, Value) static_assert(PARE_RED_##Name == Value);
#define PARE_ACTIVATION_OPCODE(Str, Name, Value) static_assert(PARE_ACT_##Name == Value);
#include "dialects/Pare/IR/RuntimeOpcodes.def"

std::optional<pare_act_t> actKind(StringRef name) {
  if (auto code = activationOpcode(name))
    return static_cast<pare_act_t>(code->value);
  return std::nullopt;
}

/// The fused activation of a conv / gemm / matmul / binary op.
FailureOr<Act> fusedAct(Operation *op) {
  Act r;
  auto name = op->getAttrOfType<StringAttr>("activation");
  if (!name)
    return r;
  auto k = actKind(name.getValue());
  if (!k)
    return fail(op, "unknown fused activation '" + name.getValue() + "'");
  r.kind = *k;
  if (auto params = op->getAttrOfType<DenseF32ArrayAttr>("activation_params")) {
    auto p = params.asArrayRef();
    if (p.size() > 0)
      r.a = p[0];
    if (p.size() > 1)
      r.b = p[1];
  }
  return r;
}

/// The activation a standalone activation op computes.
FailureOr<Act> standaloneAct(Operation *op) {
  Act r;
  std::string name = op->getName().stripDialect().str();
  if (auto c = dyn_cast<ClipOp>(op)) {
    r.a = c.getMin().convertToFloat();
    r.b = c.getMax().convertToFloat();
  } else if (auto h = dyn_cast<HardSigmoidOp>(op)) {
    r.a = h.getAlpha().convertToFloat();
    r.b = h.getBeta().convertToFloat();
  } else if (auto s = dyn_cast<SeluOp>(op)) {
    r.a = s.getAlpha().convertToFloat();
    r.b = s.getGamma().convertToFloat();
  } else if (auto g = dyn_cast<GeluOp>(op)) {
    name = g.getTanhApproximation() ? "gelu_tanh" : "gelu";
  } else if (auto alpha = op->getAttrOfType<FloatAttr>("alpha")) {
    r.a = float(alpha.getValueAsDouble());
  }
  auto k = actKind(name);
  if (!k)
    return fail(op, "unknown activation");
  r.kind = *k;
  return r;
}

/// The runtime opcode of `op` in the C kernels' enum `Enum`, if it has one of
/// `family`.
template <typename Enum>
std::optional<Enum> opcodeOf(Operation *op, RuntimeOpFamily family) {
  auto code = runtimeOpcode(op);
  if (!code || code->family != family)
    return std::nullopt;
  return static_cast<Enum>(code->value);
}

/// Bytes per element of a host tensor's storage.
size_t storageBytes(const Tensor &t) { return t.isFloat() ? sizeof(float) : sizeof(int64_t); }
const void *dataOf(const Tensor &t) {
  return t.isFloat() ? static_cast<const void *>(t.f.data()) : static_cast<const void *>(t.i.data());
}

/// Wraps an integer to the value range of `t` (two's complement, as C casts).
int64_t wrapTo(int64_t v, Type t) {
  if (t.isInteger(1))
    return v != 0;
  auto it = dyn_cast<IntegerType>(t);
  if (!it || it.getWidth() >= 64)
    return v;
  unsigned w = it.getWidth();
  uint64_t mask = (uint64_t(1) << w) - 1;
  uint64_t u = uint64_t(v) & mask;
  if (it.isUnsigned())
    return int64_t(u);
  if (u & (uint64_t(1) << (w - 1)))
    return int64_t(u | ~mask);
  return int64_t(u);
}

constexpr int64_t kConvOCB = PARE_CONV_OCB;

/// TSM temporal shift of x (float or integer storage) into y, by the C
/// kernel: frames per clip, fold, bidirectional / unidirectional, NHWC or
/// NCHW; `zero` (the zero point of quantized storage) where no frame exists.
void temporalShift(const Tensor &x, Tensor &y, int64_t frames, int64_t fold, bool bidirectional,
                   bool channelsLast, int64_t zero) {
  y.shape = x.shape;
  y.f.clear();
  y.i.clear();
  if (x.isFloat())
    y.f.assign(x.f.size(), 0.0f);
  else
    y.i.assign(x.i.size(), 0);
  int64_t c = channelsLast ? x.shape.back() : x.shape[1];
  int64_t n = x.numElements();
  if (n == 0)
    return;
  float zf = 0.0f;
  const void *z = x.isFloat() ? static_cast<const void *>(&zf) : static_cast<const void *>(&zero);
  pare_temporal_shift(storageBytes(x), dataOf(x),
                      x.isFloat() ? static_cast<void *>(y.f.data()) : static_cast<void *>(y.i.data()),
                      int(x.shape[0]), int(frames), int(c), size_t(n / (x.shape[0] * c)), int(fold),
                      bidirectional ? 1 : 0, channelsLast ? 1 : 0, z);
}

/// The zero of a temporal shift on `t`'s elements: its zero point when quantized.
int64_t shiftZero(Type t) {
  auto p = qtype::params(t);
  return p ? p->zeroPoint() : 0;
}

} // namespace

struct Evaluator::Impl {
  func::FuncOp func;
  /// Unpacked constants, by op.
  DenseMap<Operation *, TensorPtr> constants;
  /// Constant conv weights reordered for their kernel (depthwise HWC or packed).
  DenseMap<Operation *, std::shared_ptr<std::vector<float>>> convWeights;
  /// Last op of the block that uses each value (values are freed after it).
  DenseMap<Value, Operation *> lastUse;
  /// The values of the run in progress.
  DenseMap<Value, TensorPtr> vals;

  explicit Impl(func::FuncOp f) : func(f) {
    if (func.getBody().empty())
      return;
    for (Operation &op : func.getBody().front())
      for (Value v : op.getOperands())
        lastUse[v] = &op;
  }

  const Tensor &in(Value v) { return *vals.lookup(v); }

  static std::shared_ptr<Tensor> newFloat(Value r) {
    auto t = std::make_shared<Tensor>();
    t->shape = shapeOf(r);
    t->f.assign(shape::numElements(t->shape), 0.0f);
    return t;
  }
  static std::shared_ptr<Tensor> newInt(Value r) {
    auto t = std::make_shared<Tensor>();
    t->shape = shapeOf(r);
    t->i.assign(shape::numElements(t->shape), 0);
    return t;
  }
  static std::shared_ptr<Tensor> newLike(Value r) {
    return floatType(r.getType()) ? newFloat(r) : newInt(r);
  }

  FailureOr<std::vector<Tensor>> run(ArrayRef<Tensor> inputs, Observer observe);
  LogicalResult exec(Operation *op, SmallVectorImpl<TensorPtr> &out);

  LogicalResult constant(ConstantOp c, SmallVectorImpl<TensorPtr> &out);
  LogicalResult conv(ConvOp c, SmallVectorImpl<TensorPtr> &out);
  LogicalResult gemm(GemmOp g, SmallVectorImpl<TensorPtr> &out);
  LogicalResult matmul(MatMulOp m, SmallVectorImpl<TensorPtr> &out);
  LogicalResult binary(Operation *op, SmallVectorImpl<TensorPtr> &out);
  LogicalResult pool(Operation *op, SmallVectorImpl<TensorPtr> &out);
  LogicalResult castOp(CastOp c, SmallVectorImpl<TensorPtr> &out);
  LogicalResult quantOp(Operation *op, SmallVectorImpl<TensorPtr> &out);
};

//===----------------------------------------------------------------------===//
// Helpers for layout changes
//===----------------------------------------------------------------------===//

namespace {

/// y = permute(x) for float data.
std::vector<float> transposeF(const std::vector<float> &x, const Shape &s, ArrayRef<int64_t> perm) {
  std::vector<float> y(x.size());
  if (x.empty())
    return y;
  auto sh = i32s(s), pm = i32s(perm);
  pare_transpose(sizeof(float), x.data(), sh.data(), pm.data(), int(s.size()), y.data());
  return y;
}

Shape permuted(const Shape &s, ArrayRef<int64_t> perm) {
  Shape r;
  for (int64_t p : perm)
    r.push_back(s[p]);
  return r;
}

const int64_t kToNHWC[] = {0, 2, 3, 1};
const int64_t kToNCHW[] = {0, 3, 1, 2};

} // namespace

//===----------------------------------------------------------------------===//
// Ops
//===----------------------------------------------------------------------===//

LogicalResult Evaluator::Impl::constant(ConstantOp c, SmallVectorImpl<TensorPtr> &out) {
  Operation *op = c.getOperation();
  auto it = constants.find(op);
  if (it != constants.end()) {
    out.push_back(it->second);
    return success();
  }
  auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
  if (!dense)
    return fail(op, "a constant without its data (elided or resource constant)");
  auto t = std::make_shared<Tensor>();
  t->shape = shapeOf(c.getResult());
  int64_t n = shape::numElements(t->shape);
  Type et = dense.getElementType();
  if (et.isF32()) {
    if (dense.isSplat()) {
      t->f.assign(n, dense.getSplatValue<float>());
    } else {
      t->f.resize(n);
      ArrayRef<char> raw = dense.getRawData();
      if (int64_t(raw.size()) != n * int64_t(sizeof(float)))
        return fail(op, "unexpected constant data size");
      std::memcpy(t->f.data(), raw.data(), raw.size());
    }
  } else if (isa<FloatType>(et)) {
    t->f.reserve(n);
    for (APFloat v : dense.getValues<APFloat>()) {
      bool lost;
      v.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
      t->f.push_back(v.convertToFloat());
    }
  } else if (auto it2 = dyn_cast<IntegerType>(et)) {
    bool zext = it2.isUnsigned() || it2.getWidth() == 1;
    t->i.reserve(n);
    for (APInt v : dense.getValues<APInt>())
      t->i.push_back(zext ? int64_t(v.getZExtValue()) : v.getSExtValue());
  } else if (et.isIndex()) {
    for (APInt v : dense.getValues<APInt>())
      t->i.push_back(v.getSExtValue());
  } else {
    return fail(op, "constant of element type that has no host storage");
  }
  if (int64_t(t->f.size() + t->i.size()) != n)
    return fail(op, "constant data does not match its shape");
  constants[op] = t;
  out.push_back(t);
  return success();
}

LogicalResult Evaluator::Impl::conv(ConvOp c, SmallVectorImpl<TensorPtr> &out) {
  Operation *op = c.getOperation();
  // A conv that reads its input through a temporal shift (pare.shift_frames /
  // shift_fold / shift_mode): the shifted input, then the conv.
  Tensor shifted;
  bool shift = op->hasAttr("pare.shift_frames");
  if (shift) {
    auto frames = op->getAttrOfType<IntegerAttr>("pare.shift_frames");
    auto fold = op->getAttrOfType<IntegerAttr>("pare.shift_fold");
    auto mode = op->getAttrOfType<StringAttr>("pare.shift_mode");
    const Tensor &x0 = in(c.getInput());
    int64_t ch = x0.shape.empty() ? 0 : (c.getChannelsLast() ? x0.shape.back() : x0.shape[1]);
    bool bi = mode && mode.getValue() == "bidirectional";
    if (!frames || !fold || !mode || x0.shape.size() < 2 || frames.getInt() < 1 ||
        x0.shape[0] % frames.getInt() != 0 || fold.getInt() < 0 ||
        (bi ? 2 : 1) * fold.getInt() > ch ||
        (!bi && mode.getValue() != "unidirectional"))
      return fail(op, "malformed pare.shift_frames / pare.shift_fold / pare.shift_mode");
    temporalShift(x0, shifted, frames.getInt(), fold.getInt(), bi, c.getChannelsLast(), 0);
  }
  const Tensor &x = shift ? shifted : in(c.getInput()), &w = in(c.getWeight());
  if (!x.isFloat() || !w.isFloat())
    return fail(op, "only float32 convolution is supported");
  const float *bias = nullptr;
  if (c.getBias()) {
    const Tensor &b = in(c.getBias());
    if (!b.isFloat())
      return fail(op, "non-float bias");
    bias = b.f.data();
  }
  auto actOr = fusedAct(op);
  if (failed(actOr))
    return failure();
  Act a = *actOr;
  auto s = c.getStrides(), d = c.getDilations(), p = c.getPads();
  if (x.shape.size() != 4 || w.shape.size() != 4 || s.size() != 2 || d.size() != 2 ||
      p.size() != 4)
    return fail(op, "only 2-D convolution is supported");
  int group = int(c.getGroup());
  auto y = newFloat(c.getResult());
  if (y->f.empty()) {
    out.push_back(y);
    return success();
  }

  if (!c.getChannelsLast()) {
    // NCHW / OIHW: run the NHWC kernel on transposed copies.
    Shape xs = permuted(x.shape, kToNHWC), ws = permuted(w.shape, kToNHWC),
          ys = permuted(y->shape, kToNHWC);
    std::vector<float> xt = transposeF(x.f, x.shape, kToNHWC);
    std::vector<float> wt = transposeF(w.f, w.shape, kToNHWC);
    std::vector<float> yt(y->f.size());
    pare_conv2d_f32(xt.data(), int(xs[0]), int(xs[1]), int(xs[2]), int(xs[3]), wt.data(), bias,
                    yt.data(), int(ys[1]), int(ys[2]), int(ys[3]), int(ws[1]), int(ws[2]),
                    int(s[0]), int(s[1]), int(d[0]), int(d[1]), int(p[0]), int(p[1]), group,
                    a.kind, a.a, a.b);
    y->f = transposeF(yt, ys, kToNCHW);
    out.push_back(y);
    return success();
  }

  const Shape &xs = x.shape, &ws = w.shape, &os = y->shape;
  bool constWeight = isa_and_nonnull<ConstantOp>(c.getWeight().getDefiningOp());
  if (c.isDepthwise() && ws[3] == 1) {
    // [C][kh][kw][1] -> [kh][kw][C] (pare_depthwise_conv2d_f32).
    std::shared_ptr<std::vector<float>> hwc;
    if (constWeight)
      hwc = convWeights.lookup(op);
    if (!hwc) {
      int64_t ch = ws[0], kh = ws[1], kw = ws[2];
      hwc = std::make_shared<std::vector<float>>(ch * kh * kw);
      for (int64_t yy = 0; yy < kh; ++yy)
        for (int64_t xx = 0; xx < kw; ++xx)
          for (int64_t k = 0; k < ch; ++k)
            (*hwc)[(yy * kw + xx) * ch + k] = w.f[(k * kh + yy) * kw + xx];
      if (constWeight)
        convWeights[op] = hwc;
    }
    pare_depthwise_conv2d_f32(x.f.data(), int(xs[0]), int(xs[1]), int(xs[2]), int(xs[3]),
                              hwc->data(), bias, y->f.data(), int(os[1]), int(os[2]),
                              int(ws[1]), int(ws[2]), int(s[0]), int(s[1]), int(d[0]),
                              int(d[1]), int(p[0]), int(p[1]), a.kind, a.a, a.b);
    out.push_back(y);
    return success();
  }
  // As the C emitter: packed weights where padding each group's output
  // channels to a multiple of 16 costs at most a quarter more.
  int64_t ocg = ws[0] / group;
  int64_t padded = (ocg + kConvOCB - 1) / kConvOCB * kConvOCB;
  if (constWeight && padded * 4 <= ocg * 5) {
    auto packedW = convWeights.lookup(op);
    if (!packedW) {
      int64_t kh = ws[1], kw = ws[2], icg = ws[3];
      int64_t nb = (ocg + kConvOCB - 1) / kConvOCB;
      packedW = std::make_shared<std::vector<float>>(group * nb * kh * kw * icg * kConvOCB, 0.0f);
      for (int64_t g = 0; g < group; ++g)
        for (int64_t b = 0; b < nb; ++b)
          for (int64_t yy = 0; yy < kh; ++yy)
            for (int64_t xx = 0; xx < kw; ++xx)
              for (int64_t k = 0; k < icg; ++k)
                for (int64_t j = 0; j < kConvOCB; ++j) {
                  int64_t o = b * kConvOCB + j;
                  if (o < ocg)
                    (*packedW)[((((g * nb + b) * kh + yy) * kw + xx) * icg + k) * kConvOCB + j] =
                        w.f[(((g * ocg + o) * kh + yy) * kw + xx) * icg + k];
                }
      convWeights[op] = packedW;
    }
    pare_conv2d_packed_f32(x.f.data(), int(xs[0]), int(xs[1]), int(xs[2]), int(xs[3]),
                           packedW->data(), bias, y->f.data(), int(os[1]), int(os[2]),
                           int(os[3]), int(ws[1]), int(ws[2]), int(s[0]), int(s[1]), int(d[0]),
                           int(d[1]), int(p[0]), int(p[1]), group, a.kind, a.a, a.b);
  } else {
    pare_conv2d_f32(x.f.data(), int(xs[0]), int(xs[1]), int(xs[2]), int(xs[3]), w.f.data(),
                    bias, y->f.data(), int(os[1]), int(os[2]), int(os[3]), int(ws[1]),
                    int(ws[2]), int(s[0]), int(s[1]), int(d[0]), int(d[1]), int(p[0]),
                    int(p[1]), group, a.kind, a.a, a.b);
  }
  out.push_back(y);
  return success();
}

LogicalResult Evaluator::Impl::gemm(GemmOp g, SmallVectorImpl<TensorPtr> &out) {
  Operation *op = g.getOperation();
  const Tensor &a = in(g.getA()), &b = in(g.getB());
  if (!a.isFloat() || !b.isFloat())
    return fail(op, "only float32 gemm is supported");
  auto actOr = fusedAct(op);
  if (failed(actOr))
    return failure();
  auto y = newFloat(g.getResult());
  if (a.shape.size() != 2 || y->shape.size() != 2)
    return fail(op, "gemm operands must be matrices");
  int64_t m = y->shape[0], n = y->shape[1];
  int64_t k = g.getTransA() ? a.shape[0] : a.shape[1];
  int64_t ars = g.getTransA() ? 1 : k, acs = g.getTransA() ? m : 1;
  int64_t brs = g.getTransB() ? 1 : n, bcs = g.getTransB() ? k : 1;
  const float *cp = nullptr;
  int64_t crs = 0, ccs = 0;
  if (g.getC()) {
    const Tensor &c = in(g.getC());
    if (!c.isFloat())
      return fail(op, "non-float C");
    cp = c.f.data();
    auto st = shape::broadcastStrides(c.shape, {m, n});
    crs = st[0];
    ccs = st[1];
  }
  if (!y->f.empty())
    pare_matmul_f32(a.f.data(), b.f.data(), cp, y->f.data(), int(m), int(n), int(k), int(ars),
                    int(acs), int(brs), int(bcs), int(crs), int(ccs), nullptr, 0, nullptr, nullptr,
                    g.getAlpha().convertToFloat(), g.getBeta().convertToFloat(), actOr->kind,
                    actOr->a, actOr->b);
  out.push_back(y);
  return success();
}

LogicalResult Evaluator::Impl::matmul(MatMulOp mm, SmallVectorImpl<TensorPtr> &out) {
  Operation *op = mm.getOperation();
  const Tensor &at = in(mm.getA()), &bt = in(mm.getB());
  if (!at.isFloat() || !bt.isFloat())
    return fail(op, "only float32 matmul is supported");
  auto actOr = fusedAct(op);
  if (failed(actOr))
    return failure();
  if (at.shape.empty() || bt.shape.empty())
    return fail(op, "matmul of a scalar");
  auto g = shape::matmulGeometry(at.shape, bt.shape);
  if (!g)
    return fail(op, "inner or batch dims do not match");
  if (g->batch.size() > 8)
    return fail(op, "more than 8 batch dims");
  int64_t m = g->m, k = g->k, n = g->n;
  const Shape &batch = g->batch;
  auto y = newFloat(mm.getResult());
  auto bsh = i32s(batch), as32 = i32s(g->aBatchStrides), bs32 = i32s(g->bBatchStrides);
  if (!y->f.empty())
    pare_matmul_f32(at.f.data(), bt.f.data(), nullptr, y->f.data(), int(m), int(n), int(k), int(k),
                    1, int(n), 1, 0, 0, batch.empty() ? nullptr : bsh.data(), int(batch.size()),
                    batch.empty() ? nullptr : as32.data(), batch.empty() ? nullptr : bs32.data(),
                    1.0f, 0.0f, actOr->kind, actOr->a, actOr->b);
  out.push_back(y);
  return success();
}

LogicalResult Evaluator::Impl::binary(Operation *op, SmallVectorImpl<TensorPtr> &out) {
  const Tensor &lhs = in(op->getOperand(0)), &rhs = in(op->getOperand(1));
  Value res = op->getResult(0);
  Shape shape = shapeOf(res);
  if (shape.size() > 8)
    return fail(op, "tensors of rank > 8");
  if (shape.empty())
    shape = {1};
  auto as = i32s(shape::broadcastStrides(lhs.shape, shape));
  auto bs = i32s(shape::broadcastStrides(rhs.shape, shape));
  auto sh = i32s(shape);
  int rank = int(shape.size());
  auto y = newLike(res);
  if (shape::numElements(shape) == 0) {
    out.push_back(y);
    return success();
  }

  std::optional<pare_binop_t> bin = opcodeOf<pare_binop_t>(op, RuntimeOpFamily::Binary);
  if (bin) {
    if (y->isFloat() && !y->f.empty()) {
      auto actOr = fusedAct(op);
      if (failed(actOr))
        return failure();
      if (!lhs.isFloat())
        return fail(op, "mixed float and integer operands");
      std::vector<float> conv;
      const float *bp = rhs.f.data();
      if (!rhs.isFloat()) { // an integer exponent
        conv.assign(rhs.i.begin(), rhs.i.end());
        bp = conv.data();
      }
      pare_binary_f32(*bin, lhs.f.data(), as.data(), bp, bs.data(), y->f.data(), sh.data(), rank,
                      actOr->kind, actOr->a, actOr->b);
    } else {
      if (lhs.isFloat() || rhs.isFloat())
        return fail(op, "mixed float and integer operands");
      if (auto mod = dyn_cast<ModOp>(op); mod && mod.getFmod())
        return fail(op, "integer Mod with fmod=1");
      if (qtype::isQuantized(res.getType()))
        return fail(op, "float op on quantized tensors");
      pare_binary_i64(*bin, lhs.i.data(), as.data(), rhs.i.data(), bs.data(), y->i.data(),
                      sh.data(), rank);
      Type et = elemOf(res);
      for (int64_t &v : y->i)
        v = wrapTo(v, et);
    }
    out.push_back(y);
    return success();
  }

  // Comparisons (bool result).
  std::optional<pare_cmpop_t> cmp = opcodeOf<pare_cmpop_t>(op, RuntimeOpFamily::Compare);
  if (cmp) {
    if (lhs.isFloat() != rhs.isFloat())
      return fail(op, "mixed float and integer operands");
    std::vector<uint8_t> r(y->i.size());
    pare_compare(*cmp, lhs.isFloat() ? PARE_F32 : PARE_I64, dataOf(lhs), as.data(), dataOf(rhs),
                 bs.data(), r.data(), sh.data(), rank);
    y->i.assign(r.begin(), r.end());
    out.push_back(y);
    return success();
  }

  // Logical ops on bools.
  int logical = isa<AndOp>(op) ? 0 : isa<OrOp>(op) ? 1 : isa<XorOp>(op) ? 2 : -1;
  if (logical >= 0) {
    if (lhs.isFloat() || rhs.isFloat())
      return fail(op, "logical op on float tensors");
    std::vector<uint8_t> a8(lhs.i.size()), b8(rhs.i.size()), r(y->i.size());
    for (size_t k = 0; k < a8.size(); ++k)
      a8[k] = lhs.i[k] != 0;
    for (size_t k = 0; k < b8.size(); ++k)
      b8[k] = rhs.i[k] != 0;
    pare_logical(logical, a8.data(), as.data(), b8.data(), bs.data(), r.data(), sh.data(), rank);
    y->i.assign(r.begin(), r.end());
    out.push_back(y);
    return success();
  }
  return fail(op, "no evaluator for this op");
}

LogicalResult Evaluator::Impl::pool(Operation *op, SmallVectorImpl<TensorPtr> &out) {
  const Tensor &x0 = in(op->getOperand(0));
  bool avg = isa<AveragePoolOp>(op);
  Tensor conv; // integer (quantized) max pool: exact through float
  if (!x0.isFloat()) {
    if (avg)
      return fail(op, "integer average pooling");
    for (int64_t v : x0.i)
      if (v < -(int64_t(1) << 24) || v > (int64_t(1) << 24))
        return fail(op, "integer values beyond float precision");
    conv.shape = x0.shape;
    conv.f.assign(x0.i.begin(), x0.i.end());
  }
  const Tensor &x = x0.isFloat() ? x0 : conv;
  if (x.shape.size() != 4)
    return fail(op, "only 2-D pooling is supported");
  auto k = op->getAttrOfType<DenseI64ArrayAttr>("kernel_shape").asArrayRef();
  auto s = op->getAttrOfType<DenseI64ArrayAttr>("strides").asArrayRef();
  auto d = op->getAttrOfType<DenseI64ArrayAttr>("dilations").asArrayRef();
  auto p = op->getAttrOfType<DenseI64ArrayAttr>("pads").asArrayRef();
  if (k.size() != 2 || s.size() != 2 || d.size() != 2 || p.size() != 4)
    return fail(op, "only 2-D pooling is supported");
  bool cl = op->hasAttr("channels_last");
  auto y = std::make_shared<Tensor>();
  y->shape = shapeOf(op->getResult(0));
  y->f.assign(shape::numElements(y->shape), 0.0f);
  if (y->f.empty()) {
    out.push_back(newLike(op->getResult(0)));
    return success();
  }
  Shape xs = cl ? x.shape : permuted(x.shape, kToNHWC);
  Shape ys = cl ? y->shape : permuted(y->shape, kToNHWC);
  std::vector<float> xt, yt;
  const float *xp = x.f.data();
  float *yp = y->f.data();
  if (!cl) {
    xt = transposeF(x.f, x.shape, kToNHWC);
    yt.resize(y->f.size());
    xp = xt.data();
    yp = yt.data();
  }
  if (avg)
    pare_avgpool2d_f32(xp, int(xs[0]), int(xs[1]), int(xs[2]), int(xs[3]), yp, int(ys[1]),
                       int(ys[2]), int(k[0]), int(k[1]), int(s[0]), int(s[1]), int(d[0]),
                       int(d[1]), int(p[0]), int(p[1]), int(p[2]), int(p[3]),
                       cast<AveragePoolOp>(op).getCountIncludePad() ? 1 : 0);
  else
    pare_maxpool2d_f32(xp, int(xs[0]), int(xs[1]), int(xs[2]), int(xs[3]), yp, int(ys[1]),
                       int(ys[2]), int(k[0]), int(k[1]), int(s[0]), int(s[1]), int(d[0]),
                       int(d[1]), int(p[0]), int(p[1]), int(p[2]), int(p[3]));
  if (!cl)
    y->f = transposeF(yt, ys, kToNCHW);
  if (!x0.isFloat()) {
    y->i.assign(y->f.begin(), y->f.end());
    y->f.clear();
  }
  out.push_back(y);
  return success();
}

LogicalResult Evaluator::Impl::castOp(CastOp c, SmallVectorImpl<TensorPtr> &out) {
  Operation *op = c.getOperation();
  const Tensor &x = in(c.getInput());
  Type to = elemOf(c.getResult());
  if (qtype::isQuantized(to) || qtype::isQuantized(elemOf(c.getInput())))
    return fail(op, "cast of quantized tensors");
  auto y = newLike(c.getResult());
  size_t n = y->f.size() + y->i.size();
  if (x.f.size() + x.i.size() != n)
    return fail(op, "element count mismatch");
  if (x.isFloat()) {
    if (y->isFloat()) {
      if (to.isF16() || to.isBF16()) {
        // Round through the narrower type, as the cast does.
        for (size_t k = 0; k < n; ++k) {
          APFloat v(x.f[k]);
          bool lost;
          v.convert(cast_if_present<FloatType>(to).getFloatSemantics(),
                    APFloat::rmNearestTiesToEven, &lost);
          v.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
          y->f[k] = v.convertToFloat();
        }
      } else {
        y->f = x.f;
      }
    } else {
      for (size_t k = 0; k < n; ++k) {
        float v = x.f[k];
        if (to.isInteger(1)) {
          y->i[k] = v != 0.0f;
          continue;
        }
        double t = std::trunc(double(v));
        if (std::isnan(t))
          t = 0;
        t = std::min(std::max(t, -9.2e18), 9.2e18);
        y->i[k] = wrapTo(int64_t(t), to);
      }
    }
  } else {
    if (y->isFloat()) {
      for (size_t k = 0; k < n; ++k)
        y->f[k] = float(x.i[k]);
    } else {
      for (size_t k = 0; k < n; ++k)
        y->i[k] = wrapTo(x.i[k], to);
    }
  }
  out.push_back(y);
  return success();
}

LogicalResult Evaluator::Impl::quantOp(Operation *op, SmallVectorImpl<TensorPtr> &out) {
  Value input = op->getOperand(0), res = op->getResult(0);
  const Tensor &x = in(input);
  // Channel index of element k for a per-axis type on `shape`.
  auto channelOf = [](const qtype::Params &q, const Shape &shape) {
    int64_t inner = 1, dim = 1;
    if (!q.perTensor()) {
      dim = shape[q.axis];
      for (size_t a = q.axis + 1; a < shape.size(); ++a)
        inner *= shape[a];
    }
    return [inner, dim](int64_t k) { return dim == 1 ? 0 : (k / inner) % dim; };
  };
  auto quantize = [&](const std::vector<float> &src, const qtype::Params &q, Tensor &dst) {
    auto ch = channelOf(q, dst.shape);
    for (size_t k = 0; k < src.size(); ++k) {
      int64_t c = ch(int64_t(k));
      dst.i[k] = qmath::quantizeValue(src[k], float(q.scale(c)), int32_t(q.zeroPoint(c)),
                                      int32_t(q.qmin), int32_t(q.qmax));
    }
  };
  auto dequantize = [&](const Tensor &src, const qtype::Params &q) {
    std::vector<float> r(src.i.size());
    auto ch = channelOf(q, src.shape);
    for (size_t k = 0; k < r.size(); ++k) {
      int64_t c = ch(int64_t(k));
      r[k] = float(src.i[k] - q.zeroPoint(c)) * float(q.scale(c));
    }
    return r;
  };
  auto checkAxis = [&](const qtype::Params &q, const Shape &shape) {
    return q.perTensor() ||
           (q.axis < int32_t(shape.size()) && int64_t(q.scales.size()) == shape[q.axis] &&
            q.zeroPoints.size() == q.scales.size());
  };

  if (isa<QuantizeOp>(op)) {
    auto q = qtype::params(res.getType());
    if (!q || !x.isFloat() || !checkAxis(*q, x.shape))
      return fail(op, "expects float input and a quantized result");
    auto y = newInt(res);
    quantize(x.f, *q, *y);
    out.push_back(y);
    return success();
  }
  if (isa<DequantizeOp>(op)) {
    auto q = qtype::params(input.getType());
    if (!q || x.isFloat() || !checkAxis(*q, x.shape))
      return fail(op, "expects a quantized input");
    auto y = newFloat(res);
    y->f = dequantize(x, *q);
    out.push_back(y);
    return success();
  }
  if (isa<RequantizeOp>(op)) {
    auto qi = qtype::params(input.getType()), qo = qtype::params(res.getType());
    if (!qi || !qo || x.isFloat() || !checkAxis(*qi, x.shape) || !checkAxis(*qo, x.shape))
      return fail(op, "expects quantized input and result");
    auto y = newInt(res);
    quantize(dequantize(x, *qi), *qo, *y);
    out.push_back(y);
    return success();
  }
  if (auto lut = dyn_cast<LookupTableOp>(op)) {
    auto table = lut.getTable();
    if (x.isFloat() || table.size() != 256)
      return fail(op, "expects int8 input and a 256-entry table");
    auto y = newInt(res);
    for (size_t k = 0; k < x.i.size(); ++k) {
      int64_t idx = x.i[k] + 128;
      if (idx < 0 || idx > 255)
        return fail(op, "input value outside int8");
      y->i[k] = table[idx];
    }
    out.push_back(y);
    return success();
  }
  return fail(op, "no evaluator for this op");
}

LogicalResult Evaluator::Impl::exec(Operation *op, SmallVectorImpl<TensorPtr> &out) {
  // Operands must have been computed (one block, in order).
  for (Value v : op->getOperands())
    if (!vals.count(v))
      return fail(op, "an operand is not computed before its use");

  auto reshapeLike = [&](Value input, Value res) -> LogicalResult {
    const Tensor &x = in(input);
    auto y = std::make_shared<Tensor>(x);
    y->shape = shapeOf(res);
    if (shape::numElements(y->shape) != x.numElements())
      return fail(op, "element count differs from the input's");
    out.push_back(y);
    return success();
  };
  auto requireFloat = [&]() -> LogicalResult {
    for (Value v : op->getOperands())
      if (!in(v).isFloat())
        return fail(op, "only float32 tensors are supported by this kernel");
    return success();
  };

  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<ConstantOp>([&](ConstantOp c) { return constant(c, out); })
      .Case<IdentityOp, ReshapeOp, FlattenOp, SqueezeOp, UnsqueezeOp, StorageCastOp>(
          [&](Operation *) { return reshapeLike(op->getOperand(0), op->getResult(0)); })
      .Case<ConvOp>([&](ConvOp c) { return conv(c, out); })
      .Case<GemmOp>([&](GemmOp g) { return gemm(g, out); })
      .Case<MatMulOp>([&](MatMulOp m) { return matmul(m, out); })
      .Case<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp, ModOp, EqualOp, LessOp,
            LessOrEqualOp, GreaterOp, GreaterOrEqualOp, AndOp, OrOp, XorOp>(
          [&](Operation *) { return binary(op, out); })
      .Case<NotOp>([&](NotOp n) -> LogicalResult {
        const Tensor &x = in(n.getInput());
        if (x.isFloat())
          return fail(op, "logical not of a float tensor");
        auto y = newInt(n.getResult());
        for (size_t k = 0; k < x.i.size(); ++k)
          y->i[k] = x.i[k] == 0;
        out.push_back(y);
        return success();
      })
      .Case<WhereOp>([&](WhereOp w) -> LogicalResult {
        const Tensor &c = in(w.getCondition()), &x = in(w.getX()), &z = in(w.getY());
        if (c.isFloat() || x.isFloat() != z.isFloat())
          return fail(op, "operand types");
        Shape shape = shapeOf(w.getResult());
        if (shape.size() > 8)
          return fail(op, "tensors of rank > 8");
        if (shape.empty())
          shape = {1};
        auto cs = i32s(shape::broadcastStrides(c.shape, shape));
        auto xs = i32s(shape::broadcastStrides(x.shape, shape));
        auto zs = i32s(shape::broadcastStrides(z.shape, shape));
        auto sh = i32s(shape);
        std::vector<uint8_t> c8(c.i.size());
        for (size_t k = 0; k < c8.size(); ++k)
          c8[k] = c.i[k] != 0;
        auto y = newLike(w.getResult());
        if (y->numElements() > 0)
          pare_where(storageBytes(x), c8.data(), cs.data(), dataOf(x), xs.data(), dataOf(z),
                     zs.data(), y->isFloat() ? (void *)y->f.data() : (void *)y->i.data(),
                     sh.data(), int(shape.size()));
        out.push_back(y);
        return success();
      })
      .Case<ExpandOp>([&](ExpandOp e) -> LogicalResult {
        const Tensor &x = in(e.getInput());
        Shape shape = shapeOf(e.getResult());
        if (shape.size() > 8)
          return fail(op, "tensors of rank > 8");
        if (shape.empty())
          shape = {1};
        auto xs = i32s(shape::broadcastStrides(x.shape, shape));
        auto sh = i32s(shape);
        auto y = newLike(e.getResult());
        if (y->isFloat() != x.isFloat())
          return fail(op, "operand types");
        if (y->numElements() > 0)
          pare_broadcast(storageBytes(x), dataOf(x), xs.data(),
                         y->isFloat() ? (void *)y->f.data() : (void *)y->i.data(), sh.data(),
                         int(shape.size()));
        out.push_back(y);
        return success();
      })
      .Case<SqrtOp, ExpOp, ErfOp, NegOp, ReciprocalOp, AbsOp, LogOp, FloorOp, CeilOp, RoundOp,
            SignOp, SinOp, CosOp, TanOp, AsinOp, AcosOp, AtanOp, SinhOp, CoshOp, AsinhOp,
            AcoshOp, AtanhOp>([&](Operation *) -> LogicalResult {
        auto code = opcodeOf<pare_unop_t>(op, RuntimeOpFamily::Unary);
        const Tensor &x = in(op->getOperand(0));
        auto y = newLike(op->getResult(0));
        if (x.isFloat() != y->isFloat())
          return fail(op, "operand types");
        if (x.isFloat()) {
          pare_unary_f32(x.f.data(), y->f.data(), x.f.size(), *code);
        } else {
          if (!isa<NegOp, AbsOp, SignOp>(op))
            return fail(op, "integer tensors");
          pare_unary_i64(x.i.data(), y->i.data(), x.i.size(), *code);
        }
        out.push_back(y);
        return success();
      })
      .Case<ReluOp, SigmoidOp, TanhOp, HardSwishOp, SoftplusOp, SoftsignOp, MishOp, ClipOp,
            LeakyReluOp, EluOp, CeluOp, ThresholdedReluOp, HardSigmoidOp, SeluOp, GeluOp>(
          [&](Operation *) -> LogicalResult {
            if (failed(requireFloat()))
              return failure();
            auto a = standaloneAct(op);
            if (failed(a))
              return failure();
            const Tensor &x = in(op->getOperand(0));
            auto y = newFloat(op->getResult(0));
            pare_activation_f32(x.f.data(), y->f.data(), x.f.size(), a->kind, a->a, a->b);
            out.push_back(y);
            return success();
          })
      .Case<MaxPoolOp, AveragePoolOp>([&](Operation *) { return pool(op, out); })
      .Case<GlobalAveragePoolOp, GlobalMaxPoolOp>([&](Operation *) -> LogicalResult {
        if (failed(requireFloat()))
          return failure();
        const Tensor &x = in(op->getOperand(0));
        if (x.shape.size() < 3)
          return fail(op, "input rank below 3");
        auto y = newFloat(op->getResult(0));
        bool avg = isa<GlobalAveragePoolOp>(op);
        if (y->f.empty() || x.f.empty()) {
          out.push_back(y);
          return success();
        }
        if (op->hasAttr("channels_last")) {
          int64_t spatial = shape::numElements(Shape(x.shape.begin() + 1, x.shape.end() - 1));
          if (avg)
            pare_global_avgpool_f32(x.f.data(), int(x.shape[0]), int(spatial),
                                    int(x.shape.back()), y->f.data());
          else
            pare_global_maxpool_f32(x.f.data(), int(x.shape[0]), int(spatial),
                                    int(x.shape.back()), y->f.data());
        } else {
          if (x.shape.size() > 8)
            return fail(op, "rank > 8");
          std::vector<uint8_t> mask(x.shape.size(), 0);
          for (size_t a = 2; a < x.shape.size(); ++a)
            mask[a] = 1;
          auto sh = i32s(x.shape);
          pare_reduce_f32(avg ? PARE_RED_MEAN : PARE_RED_MAX, x.f.data(), sh.data(),
                          int(sh.size()), mask.data(), y->f.data());
        }
        out.push_back(y);
        return success();
      })
      .Case<BatchNormOp>([&](BatchNormOp bn) -> LogicalResult {
        if (failed(requireFloat()))
          return failure();
        const Tensor &x = in(bn.getInput()), &sc = in(bn.getScale()), &bi = in(bn.getBias()),
                     &mean = in(bn.getMean()), &var = in(bn.getVariance());
        bool cl = bn.getChannelsLast();
        if (x.shape.size() < 2)
          return fail(op, "input rank below 2");
        int64_t c = cl ? x.shape.back() : x.shape[1];
        if (int64_t(sc.f.size()) != c || int64_t(bi.f.size()) != c ||
            int64_t(mean.f.size()) != c || int64_t(var.f.size()) != c)
          return fail(op, "parameters do not have one value per channel");
        float eps = bn.getEpsilon().convertToFloat();
        std::vector<float> scale(c), shift(c);
        for (int64_t k = 0; k < c; ++k) {
          scale[k] = sc.f[k] / std::sqrt(var.f[k] + eps);
          shift[k] = bi.f[k] - mean.f[k] * scale[k];
        }
        int64_t total = x.numElements();
        auto y = newFloat(bn.getResult());
        if (total == 0 || c == 0) {
          out.push_back(y);
          return success();
        }
        int64_t outer = cl ? total / c : x.shape[0];
        int64_t inner = cl ? 1 : total / (x.shape[0] * c);
        pare_channel_affine_f32(x.f.data(), scale.data(), shift.data(), y->f.data(), int(outer),
                                int(c), int(inner), PARE_ACT_NONE, 0.0f, 0.0f);
        out.push_back(y);
        return success();
      })
      .Case<LayerNormOp>([&](LayerNormOp ln) -> LogicalResult {
        if (failed(requireFloat()))
          return failure();
        const Tensor &x = in(ln.getInput()), &sc = in(ln.getScale());
        int64_t axis = int64_t(ln.getAxis());
        if (axis < 0)
          axis += int64_t(x.shape.size());
        int64_t inner = shape::numElements(Shape(x.shape.begin() + axis, x.shape.end()));
        int64_t outer = x.numElements() / std::max<int64_t>(inner, 1);
        if (int64_t(sc.f.size()) != inner)
          return fail(op, "scale must have the normalised dims' size (no broadcasting)");
        const float *bias = nullptr;
        if (ln.getBias()) {
          const Tensor &b = in(ln.getBias());
          if (int64_t(b.f.size()) != inner)
            return fail(op, "bias must have the normalised dims' size (no broadcasting)");
          bias = b.f.data();
        }
        auto y = newFloat(ln.getResult());
        if (!y->f.empty())
          pare_layernorm_f32(x.f.data(), sc.f.data(), bias, y->f.data(), int(outer), int(inner),
                             ln.getEpsilon().convertToFloat());
        out.push_back(y);
        return success();
      })
      .Case<SoftmaxOp, LogSoftmaxOp>([&](Operation *) -> LogicalResult {
        if (failed(requireFloat()))
          return failure();
        const Tensor &x = in(op->getOperand(0));
        int64_t axis = op->getAttrOfType<IntegerAttr>("axis").getInt();
        if (axis < 0)
          axis += int64_t(x.shape.size());
        if (axis < 0 || axis >= int64_t(x.shape.size()))
          return fail(op, "axis out of range");
        auto [outer, len, inner] = shape::axisView(x.shape, axis);
        auto y = newFloat(op->getResult(0));
        if (!y->f.empty())
          pare_softmax_f32(x.f.data(), y->f.data(), int(outer), int(len), int(inner),
                           isa<LogSoftmaxOp>(op) ? 1 : 0);
        out.push_back(y);
        return success();
      })
      .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp, ReduceL1Op,
            ReduceL2Op, ReduceSumSquareOp, ReduceLogSumExpOp>([&](Operation *) -> LogicalResult {
        auto code = *opcodeOf<pare_redop_t>(op, RuntimeOpFamily::Reduce);
        const Tensor &x = in(op->getOperand(0));
        Shape xs = x.shape.empty() ? Shape{1} : x.shape;
        if (xs.size() > 8)
          return fail(op, "rank > 8");
        std::vector<uint8_t> mask(xs.size(), 0);
        for (int64_t a : op->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef()) {
          if (a < 0)
            a += int64_t(xs.size());
          if (a < 0 || a >= int64_t(xs.size()))
            return fail(op, "axis out of range");
          mask[a] = 1;
        }
        auto sh = i32s(xs);
        auto y = newLike(op->getResult(0));
        if (y->numElements() == 0) {
          out.push_back(y);
          return success();
        }
        if (x.isFloat() && y->isFloat())
          pare_reduce_f32(code, x.f.data(), sh.data(), int(sh.size()), mask.data(), y->f.data());
        else if (!x.isFloat() && !y->isFloat())
          pare_reduce_i64(code, x.i.data(), sh.data(), int(sh.size()), mask.data(), y->i.data());
        else
          return fail(op, "operand types");
        out.push_back(y);
        return success();
      })
      .Case<ArgMaxOp, ArgMinOp>([&](Operation *) -> LogicalResult {
        if (failed(requireFloat()))
          return failure();
        const Tensor &x = in(op->getOperand(0));
        int64_t axis = op->getAttrOfType<IntegerAttr>("axis").getInt();
        if (axis < 0)
          axis += int64_t(x.shape.size());
        if (axis < 0 || axis >= int64_t(x.shape.size()))
          return fail(op, "axis out of range");
        auto [outer, len, inner] = shape::axisView(x.shape, axis);
        auto y = newInt(op->getResult(0));
        bool last = op->getAttrOfType<BoolAttr>("select_last_index").getValue();
        if (!y->i.empty())
          pare_argreduce_f32(x.f.data(), y->i.data(), int(outer), int(len), int(inner),
                             isa<ArgMinOp>(op) ? 1 : 0, last ? 1 : 0);
        out.push_back(y);
        return success();
      })
      .Case<TemporalShiftOp>([&](TemporalShiftOp ts) -> LogicalResult {
        if (ts.getStreaming())
          return fail(op, "a streaming temporal shift keeps state between calls; run the "
                          "offline (clip) model");
        const Tensor &x = in(ts.getInput());
        auto y = newLike(ts.getOutput());
        if (y->isFloat() != x.isFloat())
          return fail(op, "operand types");
        temporalShift(x, *y, int64_t(ts.getFrames()), int64_t(ts.getFold()),
                      ts.isBidirectional(), ts.getChannelsLast(),
                      shiftZero(ts.getInput().getType()));
        out.push_back(y);
        return success();
      })
      .Case<TransposeOp>([&](TransposeOp t) -> LogicalResult {
        const Tensor &x = in(t.getInput());
        if (x.shape.size() > 8)
          return fail(op, "rank > 8");
        auto y = newLike(t.getResult());
        if (y->isFloat() != x.isFloat())
          return fail(op, "operand types");
        auto sh = i32s(x.shape), pm = i32s(t.getPerm());
        if (y->numElements() > 0)
          pare_transpose(storageBytes(x), dataOf(x), sh.data(), pm.data(), int(sh.size()),
                         y->isFloat() ? (void *)y->f.data() : (void *)y->i.data());
        out.push_back(y);
        return success();
      })
      .Case<ConcatOp>([&](ConcatOp c) -> LogicalResult {
        auto y = newLike(c.getResult());
        int64_t axis = int64_t(c.getAxis());
        const Shape &os = y->shape;
        if (axis < 0 || axis >= int64_t(os.size()))
          return fail(op, "axis out of range");
        size_t esz = y->isFloat() ? sizeof(float) : sizeof(int64_t);
        int64_t outer = 1, inner = 1;
        for (int64_t a = 0; a < axis; ++a)
          outer *= os[a];
        for (size_t a = axis + 1; a < os.size(); ++a)
          inner *= os[a];
        int64_t dstStride = os[axis] * inner * esz, offset = 0;
        char *dst = y->isFloat() ? (char *)y->f.data() : (char *)y->i.data();
        for (Value v : c.getInputs()) {
          const Tensor &x = in(v);
          if (x.isFloat() != y->isFloat())
            return fail(op, "operand types");
          int64_t rowBytes = x.shape[axis] * inner * esz;
          if (rowBytes == 0 || outer == 0)
            continue;
          pare_copy_rows(dst + offset, dstStride, dataOf(x), rowBytes, outer, rowBytes);
          offset += rowBytes;
        }
        out.push_back(y);
        return success();
      })
      .Case<SplitOp>([&](SplitOp s) -> LogicalResult {
        const Tensor &x = in(s.getInput());
        int64_t axis = int64_t(s.getAxis());
        if (axis < 0 || axis >= int64_t(x.shape.size()))
          return fail(op, "axis out of range");
        size_t esz = storageBytes(x);
        auto [outer, len, inner] = shape::axisView(x.shape, axis);
        int64_t srcStride = len * inner * esz, offset = 0;
        const char *src = static_cast<const char *>(dataOf(x));
        for (Value r : s.getResults()) {
          auto y = newLike(r);
          if (y->isFloat() != x.isFloat())
            return fail(op, "operand types");
          int64_t rowBytes = y->shape[axis] * inner * esz;
          if (rowBytes > 0 && outer > 0)
            pare_copy_rows(y->isFloat() ? (void *)y->f.data() : (void *)y->i.data(), rowBytes,
                           src + offset, srcStride, outer, rowBytes);
          offset += rowBytes;
          out.push_back(y);
        }
        return success();
      })
      .Case<SliceOp>([&](SliceOp s) -> LogicalResult {
        const Tensor &x = in(s.getInput());
        if (x.shape.size() > 8)
          return fail(op, "rank > 8");
        auto y = newLike(s.getResult());
        if (y->isFloat() != x.isFloat())
          return fail(op, "operand types");
        auto sh = i32s(x.shape), st = i32s(s.getStarts()), sp = i32s(s.getSteps()),
             os = i32s(y->shape);
        if (y->numElements() > 0)
          pare_slice(storageBytes(x), dataOf(x), sh.data(), int(sh.size()), st.data(), sp.data(),
                     y->isFloat() ? (void *)y->f.data() : (void *)y->i.data(), os.data());
        out.push_back(y);
        return success();
      })
      .Case<PadOp>([&](PadOp p) -> LogicalResult {
        const Tensor &x = in(p.getInput());
        if (x.shape.size() > 8)
          return fail(op, "rank > 8");
        auto y = newLike(p.getResult());
        if (y->isFloat() != x.isFloat())
          return fail(op, "operand types");
        float fv = 0.0f;
        int64_t iv = 0;
        if (auto f = dyn_cast<FloatAttr>(p.getValue())) {
          fv = float(f.getValueAsDouble());
          iv = int64_t(f.getValueAsDouble());
        } else if (auto i = dyn_cast<IntegerAttr>(p.getValue())) {
          iv = i.getValue().getSExtValue();
          fv = float(iv);
        } else {
          return fail(op, "pad value attribute");
        }
        int mode = llvm::StringSwitch<int>(p.getMode())
                       .Case("constant", 0)
                       .Case("reflect", 1)
                       .Case("edge", 2)
                       .Case("wrap", 3)
                       .Default(-1);
        if (mode < 0)
          return fail(op, "pad mode '" + p.getMode() + "'");
        auto sh = i32s(x.shape), pb = i32s(p.getPadsBegin()), os = i32s(y->shape);
        if (y->numElements() > 0)
          pare_pad(storageBytes(x), dataOf(x), sh.data(), int(sh.size()), pb.data(), mode,
                   y->isFloat() ? (const void *)&fv : (const void *)&iv,
                   y->isFloat() ? (void *)y->f.data() : (void *)y->i.data(), os.data());
        out.push_back(y);
        return success();
      })
      .Case<GatherOp>([&](GatherOp g) -> LogicalResult {
        const Tensor &x = in(g.getData()), &idx = in(g.getIndices());
        if (idx.isFloat() && !idx.f.empty())
          return fail(op, "float indices");
        int64_t axis = int64_t(g.getAxis());
        if (axis < 0 || axis >= int64_t(x.shape.size()))
          return fail(op, "axis out of range");
        auto [outer, len, inner] = shape::axisView(x.shape, axis);
        for (int64_t v : idx.i)
          if (v < -len || v >= len)
            return fail(op, "index out of range");
        auto y = newLike(g.getResult());
        if (y->isFloat() != x.isFloat())
          return fail(op, "operand types");
        if (y->numElements() > 0)
          pare_gather(storageBytes(x), dataOf(x), int(outer), int(len), int(inner),
                      idx.i.data(), int(idx.i.size()),
                      y->isFloat() ? (void *)y->f.data() : (void *)y->i.data());
        out.push_back(y);
        return success();
      })
      .Case<ScatterNDOp>([&](ScatterNDOp s) -> LogicalResult {
        const Tensor &x = in(s.getData()), &idx = in(s.getIndices()), &u = in(s.getUpdates());
        if (idx.isFloat() && !idx.f.empty())
          return fail(op, "float indices");
        if (x.isFloat() != u.isFloat() && u.numElements() > 0)
          return fail(op, "operand types");
        Shape ind = shapeOf(s.getIndices());
        int64_t depth = ind.back();
        Shape dims(x.shape.begin(), x.shape.begin() + depth);
        for (size_t k = 0; k < idx.i.size(); ++k) {
          int64_t v = idx.i[k], len = dims[k % size_t(depth)];
          if (v < -len || v >= len)
            return fail(op, "index out of range");
        }
        int reduction = llvm::StringSwitch<int>(s.getReduction())
                            .Case("add", 1)
                            .Case("mul", 2)
                            .Case("max", 3)
                            .Case("min", 4)
                            .Default(0);
        auto y = newLike(s.getResult());
        if (y->isFloat() != x.isFloat())
          return fail(op, "operand types");
        auto d32 = i32s(dims);
        int64_t count = shape::numElements(Shape(ind.begin(), ind.end() - 1));
        int64_t slice = shape::numElements(Shape(x.shape.begin() + depth, x.shape.end()));
        if (y->numElements() > 0)
          pare_scatter_nd(x.isFloat() ? PARE_F32 : PARE_I64, dataOf(x), size_t(x.numElements()),
                          idx.i.data(), int(count), int(depth), d32.data(), size_t(slice),
                          dataOf(u), reduction,
                          y->isFloat() ? (void *)y->f.data() : (void *)y->i.data());
        // Integer storage is int64 here: wrap the combined values to the element type.
        if (!y->isFloat() && reduction != 0)
          for (int64_t &v : y->i)
            v = wrapTo(v, elemOf(s.getResult()));
        out.push_back(y);
        return success();
      })
      .Case<CastOp>([&](CastOp c) { return castOp(c, out); })
      .Case<QuantizeOp, DequantizeOp, RequantizeOp, LookupTableOp>(
          [&](Operation *) { return quantOp(op, out); })
      .Default([&](Operation *) { return fail(op, "no evaluator for this op"); });
}

FailureOr<std::vector<Tensor>> Evaluator::Impl::run(ArrayRef<Tensor> inputs, Observer observe) {
  if (func.getBody().empty() || !func.getBody().hasOneBlock())
    return func.emitError("calibration needs a function with one block");
  Block &body = func.getBody().front();
  if (inputs.size() != body.getNumArguments())
    return func.emitError() << "calibration: the function has " << body.getNumArguments()
                            << " argument(s), got " << inputs.size() << " input tensor(s)";
  vals.clear();
  for (auto [k, arg] : llvm::enumerate(body.getArguments())) {
    const Tensor &t = inputs[k];
    Shape want = shapeOf(arg);
    bool isF = floatType(arg.getType());
    size_t n = size_t(shape::numElements(want));
    if (t.shape != want || (isF ? t.f.size() : t.i.size()) != n ||
        (isF ? t.i.size() : t.f.size()) != 0)
      return func.emitError() << "calibration: input " << k << " must be a "
                              << (isF ? "float" : "integer") << " tensor of shape "
                              << shape::toString(want) << ", got " << shape::toString(t.shape)
                              << " with " << (t.f.size() + t.i.size()) << " "
                              << (t.isFloat() ? "float" : "integer") << " values";
    vals[arg] = std::make_shared<Tensor>(t);
  }
  auto release = [&](Operation *op) {
    for (Value v : op->getOperands()) {
      auto it = lastUse.find(v);
      if (it != lastUse.end() && it->second == op)
        vals.erase(v);
    }
  };
  for (Operation &op : body) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      std::vector<Tensor> results;
      for (Value v : ret.getOperands()) {
        auto it = vals.find(v);
        if (it == vals.end())
          return fail(&op, "a returned value is not computed");
        results.push_back(*it->second);
      }
      vals.clear();
      return results;
    }
    SmallVector<TensorPtr, 2> res;
    if (failed(exec(&op, res))) {
      vals.clear();
      return failure();
    }
    if (res.size() != op.getNumResults()) {
      vals.clear();
      return fail(&op, "internal: wrong number of results");
    }
    for (auto [r, t] : llvm::zip(op.getResults(), res)) {
      bool isF = floatType(r.getType());
      size_t n = size_t(shape::numElements(shapeOf(r)));
      if (t->shape != shapeOf(r) || (isF ? t->f.size() : t->i.size()) != n) {
        vals.clear();
        return fail(&op, "internal: result does not match its type " +
                             shape::toString(shapeOf(r)));
      }
      vals[r] = t;
      if (observe)
        observe(r, *t);
    }
    release(&op);
  }
  vals.clear();
  return func.emitError("calibration: the function has no func.return");
}

Evaluator::Evaluator(func::FuncOp func) : impl(std::make_unique<Impl>(func)) {}
Evaluator::~Evaluator() = default;

FailureOr<std::vector<Tensor>> Evaluator::run(ArrayRef<Tensor> inputs, Observer observe) {
  return impl->run(inputs, observe);
}

FailureOr<std::vector<Tensor>> run(func::FuncOp func, ArrayRef<Tensor> inputs, Observer observe) {
  Evaluator e(func);
  return e.run(inputs, observe);
}

} // namespace pare::eval
