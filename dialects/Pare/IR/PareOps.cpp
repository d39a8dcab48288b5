//===- PareOps.cpp - pare dialect operations ------------------------------===//
//
// Shape functions (result-type inference), verifiers, folders and
// canonicalisations of the pare ops.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/IR/PareOps.h"
#include "dialects/Pare/IR/QuantUtils.h"
#include "dialects/Pare/IR/ShapeInference.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>
#include <cstring>
#include <numeric>

using namespace mlir;
using namespace pare;
using shape::Shape;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

namespace {

Shape shapeOf(Type t) {
  auto rt = cast<RankedTensorType>(t);
  return Shape(rt.getShape().begin(), rt.getShape().end());
}
Shape shapeOf(Value v) { return shapeOf(v.getType()); }
Type elemOf(Value v) { return cast<RankedTensorType>(v.getType()).getElementType(); }

LogicalResult fail(std::optional<Location> loc, const Twine &msg) {
  return emitOptionalError(loc, msg);
}

LogicalResult push(SmallVectorImpl<Type> &types, const Shape &s, Type elem) {
  types.push_back(RankedTensorType::get(s, elem));
  return success();
}

LogicalResult checkActivation(std::optional<Location> loc, std::optional<StringRef> act) {
  if (!act)
    return success();
  static const char *known[] = {
      "relu",       "clip",     "leaky_relu", "sigmoid",          "hard_sigmoid",
      "hard_swish", "tanh",     "gelu",       "gelu_tanh",        "elu",
      "selu",       "softplus", "softsign",   "thresholded_relu", "celu",
      "mish"};
  for (const char *k : known)
    if (*act == k)
      return success();
  return fail(loc, "unknown fused activation '" + *act + "'");
}

LogicalResult inferBroadcast(std::optional<Location> loc, Value a, Value b, Type elem,
                             SmallVectorImpl<Type> &types, StringRef what) {
  auto out = shape::broadcast(shapeOf(a), shapeOf(b));
  if (!out)
    return fail(loc, what + ": shapes " + shape::toString(shapeOf(a)) + " and " +
                         shape::toString(shapeOf(b)) + " do not broadcast");
  return push(types, *out, elem);
}

//===----------------------------------------------------------------------===//
// Host-side constant evaluation used by the folders.
//===----------------------------------------------------------------------===//

/// A constant tensor unpacked to doubles (float types) or int64 (integers,
/// including i1), enough for folding shape computations and small weights.
struct HostTensor {
  Shape shape;
  Type elem;
  bool isFloat = false;
  std::vector<double> f;
  std::vector<int64_t> i;

  size_t size() const { return isFloat ? f.size() : i.size(); }
  double asDouble(size_t k) const { return isFloat ? f[k] : double(i[k]); }
  int64_t asInt(size_t k) const { return isFloat ? int64_t(f[k]) : i[k]; }
};

std::optional<HostTensor> unpack(Attribute attr) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!dense)
    return std::nullopt;
  // A splat holds one value whatever its size: ConstantOfShape makes one of
  // 2 GiB from a few bytes of model, which unpacked here would take 4 GiB
  // (doubles) and more again packed. Folds of such splats are left to run
  // time (other constants hold each of their elements already).
  if (dense.isSplat() && dense.getNumElements() > (int64_t(1) << 24))
    return std::nullopt;
  HostTensor t;
  t.shape = shapeOf(dense.getType());
  t.elem = dense.getElementType();
  if (isa<FloatType>(t.elem)) {
    t.isFloat = true;
    t.f.reserve(dense.getNumElements());
    for (APFloat v : dense.getValues<APFloat>()) {
      bool lost;
      v.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
      t.f.push_back(v.convertToDouble());
    }
    return t;
  }
  auto it = dyn_cast<IntegerType>(t.elem);
  if (!it)
    return std::nullopt;
  t.i.reserve(dense.getNumElements());
  for (APInt v : dense.getValues<APInt>())
    t.i.push_back(it.isUnsigned() || it.getWidth() == 1 ? int64_t(v.getZExtValue())
                                                        : v.getSExtValue());
  return t;
}

Attribute pack(const HostTensor &t, RankedTensorType type) {
  Type elem = type.getElementType();
  if (auto ft = dyn_cast<FloatType>(elem)) {
    SmallVector<APFloat> vals;
    vals.reserve(t.size());
    for (size_t k = 0; k < t.size(); ++k) {
      APFloat v(t.asDouble(k));
      bool lost;
      v.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
      vals.push_back(v);
    }
    return DenseElementsAttr::get(type, vals);
  }
  auto it = cast<IntegerType>(elem);
  if (it.getWidth() == 1) {
    SmallVector<bool> vals;
    for (size_t k = 0; k < t.size(); ++k)
      vals.push_back(t.asInt(k) != 0);
    return DenseElementsAttr::get(type, vals);
  }
  SmallVector<APInt> vals;
  vals.reserve(t.size());
  for (size_t k = 0; k < t.size(); ++k)
    vals.push_back(APInt(it.getWidth(), uint64_t(t.asInt(k)), !it.isUnsigned(),
                         /*implicitTrunc=*/true));
  return DenseElementsAttr::get(type, vals);
}

/// Calls fn(outIndex, aIndex, bIndex) over the broadcast of two shapes.
template <typename Fn>
void forEachBroadcast(const Shape &out, const Shape &a, const Shape &b, Fn fn) {
  auto sa = shape::broadcastStrides(a, out);
  auto sb = shape::broadcastStrides(b, out);
  int64_t n = shape::numElements(out);
  Shape idx(out.size(), 0);
  for (int64_t k = 0; k < n; ++k) {
    int64_t ia = 0, ib = 0;
    for (size_t d = 0; d < out.size(); ++d) {
      ia += idx[d] * sa[d];
      ib += idx[d] * sb[d];
    }
    fn(k, ia, ib);
    for (int64_t d = int64_t(out.size()) - 1; d >= 0; --d) {
      if (++idx[d] < out[d])
        break;
      idx[d] = 0;
    }
  }
}

/// Folds a broadcasting binary op whose operands are both constant.
template <typename FloatFn, typename IntFn>
OpFoldResult foldBinary(Operation *op, ArrayRef<Attribute> operands, FloatFn ff, IntFn fi,
                        bool boolResult = false) {
  if (operands.size() != 2 || !operands[0] || !operands[1])
    return {};
  auto a = unpack(operands[0]);
  auto b = unpack(operands[1]);
  if (!a || !b)
    return {};
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  if (!type.hasStaticShape() || type.getNumElements() > (1 << 20))
    return {};
  HostTensor r;
  r.shape = shapeOf(type);
  r.isFloat = !boolResult && a->isFloat;
  size_t n = shape::numElements(r.shape);
  if (r.isFloat)
    r.f.resize(n);
  else
    r.i.resize(n);
  forEachBroadcast(r.shape, a->shape, b->shape, [&](int64_t k, int64_t ia, int64_t ib) {
    if (boolResult) {
      r.i[k] = a->isFloat ? int64_t(ff(a->f[ia], b->asDouble(ib))) : fi(a->i[ia], b->asInt(ib));
    } else if (r.isFloat) {
      r.f[k] = ff(a->f[ia], b->asDouble(ib));
    } else {
      r.i[k] = fi(a->i[ia], b->asInt(ib));
    }
  });
  return pack(r, type);
}

} // namespace

//===----------------------------------------------------------------------===//
// Constant / identity
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  if (getValue().getType() != getType())
    return emitOpError("value type ")
           << getValue().getType() << " differs from result type " << getType();
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

// `pare.constant {attrs} dense<...> : tensor<...>`: the value carries the type.
ParseResult ConstantOp::parse(OpAsmParser &parser, OperationState &result) {
  ElementsAttr value;
  if (parser.parseOptionalAttrDict(result.attributes) ||
      parser.parseAttribute(value, "value", result.attributes))
    return failure();
  result.addTypes(value.getType());
  return success();
}

void ConstantOp::print(OpAsmPrinter &p) {
  p.printOptionalAttrDict((*this)->getAttrs(), /*elidedAttrs=*/{"value"});
  p << ' ';
  p.printAttribute(getValue());
}

LogicalResult IdentityOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                           IdentityOp::Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  types.push_back(adaptor.getInput().getType());
  return success();
}

OpFoldResult IdentityOp::fold(FoldAdaptor) { return getInput(); }

//===----------------------------------------------------------------------===//
// Conv / Gemm / MatMul
//===----------------------------------------------------------------------===//

/// group = input channels = output channels > 1 (conv and qconv alike).
static bool isDepthwiseConv(Value input, Value output, int64_t group, bool channelsLast) {
  Shape in = shapeOf(input);
  Shape out = shapeOf(output);
  int64_t c = channelsLast ? in[3] : in[1];
  int64_t oc = channelsLast ? out[3] : out[1];
  return group == c && c == oc && c > 1;
}

bool ConvOp::isDepthwise() {
  return isDepthwiseConv(getInput(), getOutput(), int64_t(getGroup()), getChannelsLast());
}

LogicalResult ConvOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                       ConvOp::Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Shape x = shapeOf(adaptor.getInput());
  Shape w = shapeOf(adaptor.getWeight());
  if (x.size() != 4 || w.size() != 4)
    return fail(loc, "conv: expected a rank-4 input and weight, got " + shape::toString(x) +
                         " and " + shape::toString(w));
  bool cl = adaptor.getChannelsLast();
  int64_t n = x[0], c = cl ? x[3] : x[1], h = cl ? x[1] : x[2], wd = cl ? x[2] : x[3];
  int64_t oc = w[0], icg = cl ? w[3] : w[1], kh = cl ? w[1] : w[2], kw = cl ? w[2] : w[3];
  int64_t g = int64_t(adaptor.getGroup());
  auto s = adaptor.getStrides(), d = adaptor.getDilations(), p = adaptor.getPads();
  if (s.size() != 2 || d.size() != 2 || p.size() != 4)
    return fail(loc, "conv: expected 2 strides, 2 dilations and 4 pads");
  // group is the model's: an empty input (c = 0) divides by any of them.
  int64_t expect = 0;
  bool overflow = __builtin_mul_overflow(icg, g, &expect);
  if (g <= 0 || c % g != 0 || oc % g != 0 || overflow || expect != c)
    return fail(loc, "conv: input has " + Twine(c) + " channels but the weight " +
                         shape::toString(w) + " with group " + Twine(g) + " expects " +
                         (overflow ? std::string("more than 2^63") : std::to_string(expect)));
  if (Value b = adaptor.getBias()) {
    Shape bs = shapeOf(b);
    if (bs.size() != 1 || bs[0] != oc)
      return fail(loc, "conv: bias shape " + shape::toString(bs) + " does not match " + Twine(oc) +
                           " output channels");
  }
  if (failed(checkActivation(loc, adaptor.getActivation())))
    return failure();
  int64_t oh = shape::windowOutput(h, kh, s[0], d[0], p[0], p[2], false);
  int64_t ow = shape::windowOutput(wd, kw, s[1], d[1], p[1], p[3], false);
  if (oh < 1 || ow < 1)
    return fail(loc, "conv: a " + Twine(kh) + "x" + Twine(kw) + " kernel does not fit the padded " +
                         Twine(h) + "x" + Twine(wd) + " input");
  Shape out = cl ? Shape{n, oh, ow, oc} : Shape{n, oc, oh, ow};
  return push(types, out, elemOf(adaptor.getInput()));
}

LogicalResult ConvTransposeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                                ConvTransposeOp::Adaptor adaptor,
                                                SmallVectorImpl<Type> &types) {
  Shape x = shapeOf(adaptor.getInput());
  Shape w = shapeOf(adaptor.getWeight());
  if (x.size() != 4 || w.size() != 4)
    return fail(loc, "conv_transpose: expected a rank-4 input and weight, got " +
                         shape::toString(x) + " and " + shape::toString(w));
  bool cl = adaptor.getChannelsLast();
  int64_t n = x[0], c = cl ? x[3] : x[1], h = cl ? x[1] : x[2], wd = cl ? x[2] : x[3];
  // [C_in, C_out / group, kh, kw], or [C_in, kh, kw, C_out / group].
  int64_t ic = w[0], ocg = cl ? w[3] : w[1], kh = cl ? w[1] : w[2], kw = cl ? w[2] : w[3];
  int64_t g = int64_t(adaptor.getGroup());
  auto s = adaptor.getStrides(), d = adaptor.getDilations(), p = adaptor.getPads();
  auto op = adaptor.getOutputPadding();
  if (s.size() != 2 || d.size() != 2 || p.size() != 4 || op.size() != 2)
    return fail(loc, "conv_transpose: expected 2 strides, 2 dilations, 4 pads and 2 "
                     "output_padding");
  for (int i = 0; i < 2; ++i)
    if (s[i] < 1 || d[i] < 1 || op[i] < 0 || p[i] < 0 || p[i + 2] < 0)
      return fail(loc, "conv_transpose: strides and dilations must be positive, pads and "
                       "output_padding non-negative");
  int64_t oc = 0;
  if (g <= 0 || c % g != 0 || ic != c || ocg < 1 || __builtin_mul_overflow(ocg, g, &oc))
    return fail(loc, "conv_transpose: input has " + Twine(c) + " channels but the weight " +
                         shape::toString(w) + " with group " + Twine(g) + " expects " +
                         Twine(ic) + " (a multiple of the group)");
  if (Value b = adaptor.getBias()) {
    Shape bs = shapeOf(b);
    if (bs.size() != 1 || bs[0] != oc)
      return fail(loc, "conv_transpose: bias shape " + shape::toString(bs) + " does not match " +
                           Twine(oc) + " output channels");
  }
  if (failed(checkActivation(loc, adaptor.getActivation())))
    return failure();
  // Strides, dilations, pads and output_padding are the model's (any
  // non-negative int64): an overflow is an output that cannot exist.
  auto outputSize = [](int64_t s, int64_t in, int64_t op, int64_t d, int64_t k, int64_t pb,
                       int64_t pe) -> int64_t {
    int64_t full, span;
    if (in < 1 || k < 1 || __builtin_mul_overflow(s, in - 1, &full) ||
        __builtin_mul_overflow(d, k - 1, &span) || __builtin_add_overflow(full, span, &full) ||
        __builtin_add_overflow(full, op, &full) || __builtin_add_overflow(full, 1, &full) ||
        __builtin_sub_overflow(full, pb, &full) || __builtin_sub_overflow(full, pe, &full))
      return 0;
    return full;
  };
  int64_t oh = outputSize(s[0], h, op[0], d[0], kh, p[0], p[2]);
  int64_t ow = outputSize(s[1], wd, op[1], d[1], kw, p[1], p[3]);
  if (h < 1 || wd < 1 || oh < 1 || ow < 1)
    return fail(loc, "conv_transpose: pads " + Twine(p[0]) + ", " + Twine(p[1]) + ", " +
                         Twine(p[2]) + ", " + Twine(p[3]) + " crop the whole output of a " +
                         Twine(h) + "x" + Twine(wd) + " input");
  Shape out = cl ? Shape{n, oh, ow, oc} : Shape{n, oc, oh, ow};
  return push(types, out, elemOf(adaptor.getInput()));
}

LogicalResult GemmOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                       GemmOp::Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Shape a = shapeOf(adaptor.getA()), b = shapeOf(adaptor.getB());
  if (a.size() != 2 || b.size() != 2)
    return fail(loc, "gemm: expected rank-2 A and B, got " + shape::toString(a) + " and " +
                         shape::toString(b));
  int64_t m = adaptor.getTransA() ? a[1] : a[0];
  int64_t ka = adaptor.getTransA() ? a[0] : a[1];
  int64_t kb = adaptor.getTransB() ? b[1] : b[0];
  int64_t n = adaptor.getTransB() ? b[0] : b[1];
  if (ka != kb)
    return fail(loc, "gemm: inner dimensions differ (" + Twine(ka) + " vs " + Twine(kb) + ")");
  if (Value c = adaptor.getC()) {
    auto bc = shape::broadcast(shapeOf(c), {m, n});
    if (!bc || *bc != Shape{m, n})
      return fail(loc, "gemm: C of shape " + shape::toString(shapeOf(c)) +
                           " does not broadcast to " + Twine(m) + "x" + Twine(n));
  }
  if (failed(checkActivation(loc, adaptor.getActivation())))
    return failure();
  return push(types, {m, n}, elemOf(adaptor.getA()));
}

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         MatMulOp::Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Shape a = shapeOf(adaptor.getA()), b = shapeOf(adaptor.getB());
  if (a.empty() || b.empty())
    return fail(loc, "matmul: operands must have rank >= 1");
  bool aVec = a.size() == 1, bVec = b.size() == 1;
  if (aVec)
    a.insert(a.begin(), 1);
  if (bVec)
    b.push_back(1);
  int64_t m = a[a.size() - 2], k = a.back(), kb = b[b.size() - 2], n = b.back();
  if (k != kb)
    return fail(loc,
                "matmul: inner dimensions differ: " + shape::toString(shapeOf(adaptor.getA())) +
                    " x " + shape::toString(shapeOf(adaptor.getB())));
  auto batch = shape::broadcast(Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2));
  if (!batch)
    return fail(loc, "matmul: batch dimensions do not broadcast");
  Shape out = *batch;
  if (!aVec)
    out.push_back(m);
  if (!bVec)
    out.push_back(n);
  if (failed(checkActivation(loc, adaptor.getActivation())))
    return failure();
  return push(types, out, elemOf(adaptor.getA()));
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

#define PARE_BINARY_INFER(OP, NAME)                                                                \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location> loc,                   \
                                     OP::Adaptor adaptor, SmallVectorImpl<Type> &types) {          \
    if (elemOf(adaptor.getLhs()) != elemOf(adaptor.getRhs()) && StringRef(NAME) != "pow")          \
      return fail(loc, Twine(NAME) + ": operand element types differ");                            \
    if (failed(checkActivation(loc, adaptor.getActivation())))                                     \
      return failure();                                                                            \
    return inferBroadcast(loc, adaptor.getLhs(), adaptor.getRhs(), elemOf(adaptor.getLhs()),       \
                          types, NAME);                                                            \
  }
PARE_BINARY_INFER(AddOp, "add")
PARE_BINARY_INFER(SubOp, "sub")
PARE_BINARY_INFER(MulOp, "mul")
PARE_BINARY_INFER(DivOp, "div")
PARE_BINARY_INFER(PowOp, "pow")
PARE_BINARY_INFER(MaxOp, "max")
PARE_BINARY_INFER(MinOp, "min")
PARE_BINARY_INFER(ModOp, "mod")
#undef PARE_BINARY_INFER

// Integer folds wrap around as the generated kernels do (two's complement;
// INT64_MIN / -1 == INT64_MIN): a model's constants must never make the
// compiler itself overflow (undefined behaviour, SIGFPE on x86).
static int64_t wrapAdd(int64_t x, int64_t y) { return int64_t(uint64_t(x) + uint64_t(y)); }
static int64_t wrapSub(int64_t x, int64_t y) { return int64_t(uint64_t(x) - uint64_t(y)); }
static int64_t wrapMul(int64_t x, int64_t y) { return int64_t(uint64_t(x) * uint64_t(y)); }
static int64_t wrapDiv(int64_t x, int64_t y) { return y == -1 ? int64_t(0 - uint64_t(x)) : x / y; }

OpFoldResult AddOp::fold(FoldAdaptor a) {
  return foldBinary(
      *this, a.getOperands(), [](double x, double y) { return x + y; },
      [](int64_t x, int64_t y) { return wrapAdd(x, y); });
}
OpFoldResult SubOp::fold(FoldAdaptor a) {
  return foldBinary(
      *this, a.getOperands(), [](double x, double y) { return x - y; },
      [](int64_t x, int64_t y) { return wrapSub(x, y); });
}
OpFoldResult MulOp::fold(FoldAdaptor a) {
  return foldBinary(
      *this, a.getOperands(), [](double x, double y) { return x * y; },
      [](int64_t x, int64_t y) { return wrapMul(x, y); });
}
OpFoldResult DivOp::fold(FoldAdaptor a) {
  auto b = unpack(a.getRhs());
  if (b && !b->isFloat && llvm::is_contained(b->i, 0))
    return {}; // leave division by zero to run time
  return foldBinary(
      *this, a.getOperands(), [](double x, double y) { return x / y; },
      [](int64_t x, int64_t y) { return wrapDiv(x, y); });
}
OpFoldResult PowOp::fold(FoldAdaptor a) {
  if (!isa<FloatType>(elemOf(getLhs())))
    return {};
  return foldBinary(
      *this, a.getOperands(), [](double x, double y) { return std::pow(x, y); },
      [](int64_t x, int64_t y) { return x; });
}
OpFoldResult MaxOp::fold(FoldAdaptor a) {
  return foldBinary(
      *this, a.getOperands(), [](double x, double y) { return std::isnan(x) || x > y ? x : y; },
      [](int64_t x, int64_t y) { return std::max(x, y); });
}
OpFoldResult MinOp::fold(FoldAdaptor a) {
  return foldBinary(
      *this, a.getOperands(), [](double x, double y) { return std::isnan(x) || x < y ? x : y; },
      [](int64_t x, int64_t y) { return std::min(x, y); });
}
OpFoldResult ModOp::fold(FoldAdaptor a) { return {}; }

#define PARE_COMPARE(OP, NAME, EXPR, LOGICAL)                                                      \
  LogicalResult OP::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,                \
                                     OP::Adaptor adaptor, SmallVectorImpl<Type> &types) {          \
    if (elemOf(adaptor.getLhs()) != elemOf(adaptor.getRhs()))                                      \
      return fail(loc, Twine(NAME) + ": operand element types differ");                            \
    if (LOGICAL && !elemOf(adaptor.getLhs()).isInteger(1))                                         \
      return fail(loc, Twine(NAME) + ": operands must be boolean");                                \
    return inferBroadcast(loc, adaptor.getLhs(), adaptor.getRhs(), IntegerType::get(ctx, 1),       \
                          types, NAME);                                                            \
  }                                                                                                \
  OpFoldResult OP::fold(FoldAdaptor a) {                                                           \
    return foldBinary(                                                                             \
        *this, a.getOperands(), [](double x, double y) { return double(EXPR); },                   \
        [](int64_t x, int64_t y) { return int64_t(EXPR); }, true);                                 \
  }
PARE_COMPARE(EqualOp, "equal", x == y, false)
PARE_COMPARE(LessOp, "less", x < y, false)
PARE_COMPARE(LessOrEqualOp, "less_or_equal", x <= y, false)
PARE_COMPARE(GreaterOp, "greater", x > y, false)
PARE_COMPARE(GreaterOrEqualOp, "greater_or_equal", x >= y, false)
PARE_COMPARE(AndOp, "and", (x != 0) && (y != 0), true)
PARE_COMPARE(OrOp, "or", (x != 0) || (y != 0), true)
PARE_COMPARE(XorOp, "xor", (x != 0) != (y != 0), true)
#undef PARE_COMPARE

LogicalResult WhereOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                        WhereOp::Adaptor adaptor, SmallVectorImpl<Type> &types) {
  if (!elemOf(adaptor.getCondition()).isInteger(1))
    return fail(loc, "where: condition must be boolean");
  if (elemOf(adaptor.getX()) != elemOf(adaptor.getY()))
    return fail(loc, "where: x and y element types differ");
  auto xy = shape::broadcast(shapeOf(adaptor.getX()), shapeOf(adaptor.getY()));
  std::optional<Shape> all;
  if (xy)
    all = shape::broadcast(shapeOf(adaptor.getCondition()), *xy);
  if (!all)
    return fail(loc, "where: condition, x and y shapes do not broadcast");
  return push(types, *all, elemOf(adaptor.getX()));
}

OpFoldResult WhereOp::fold(FoldAdaptor a) {
  // Every operand constant before any is unpacked: unpacking a large one
  // (an embedding table) only to find another operand unknown cost seconds.
  if (!a.getCondition() || !a.getX() || !a.getY())
    return {};
  auto c = unpack(a.getCondition()), x = unpack(a.getX()), y = unpack(a.getY());
  if (!c || !x || !y)
    return {};
  auto type = cast<RankedTensorType>(getType());
  HostTensor r;
  r.shape = shapeOf(type);
  r.isFloat = x->isFloat;
  size_t n = shape::numElements(r.shape);
  auto sc = shape::broadcastStrides(c->shape, r.shape);
  auto sx = shape::broadcastStrides(x->shape, r.shape);
  auto sy = shape::broadcastStrides(y->shape, r.shape);
  Shape idx(r.shape.size(), 0);
  for (size_t k = 0; k < n; ++k) {
    int64_t ic = 0, ix = 0, iy = 0;
    for (size_t d = 0; d < r.shape.size(); ++d) {
      ic += idx[d] * sc[d];
      ix += idx[d] * sx[d];
      iy += idx[d] * sy[d];
    }
    bool take = c->i[ic] != 0;
    if (r.isFloat)
      r.f.push_back(take ? x->f[ix] : y->f[iy]);
    else
      r.i.push_back(take ? x->i[ix] : y->i[iy]);
    for (int64_t d = int64_t(r.shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < r.shape[d])
        break;
      idx[d] = 0;
    }
  }
  return pack(r, type);
}

#define PARE_SAME_TYPE_INFER(OP)                                                                   \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location>, OP::Adaptor adaptor,  \
                                     SmallVectorImpl<Type> &types) {                               \
    types.push_back(adaptor.getInput().getType());                                                 \
    return success();                                                                              \
  }
PARE_SAME_TYPE_INFER(SqrtOp)
PARE_SAME_TYPE_INFER(ExpOp)
PARE_SAME_TYPE_INFER(ErfOp)
PARE_SAME_TYPE_INFER(NegOp)
PARE_SAME_TYPE_INFER(ReciprocalOp)
PARE_SAME_TYPE_INFER(AbsOp)
PARE_SAME_TYPE_INFER(LogOp)
PARE_SAME_TYPE_INFER(FloorOp)
PARE_SAME_TYPE_INFER(CeilOp)
PARE_SAME_TYPE_INFER(RoundOp)
PARE_SAME_TYPE_INFER(SignOp)
PARE_SAME_TYPE_INFER(SinOp)
PARE_SAME_TYPE_INFER(CosOp)
PARE_SAME_TYPE_INFER(TanOp)
PARE_SAME_TYPE_INFER(AsinOp)
PARE_SAME_TYPE_INFER(AcosOp)
PARE_SAME_TYPE_INFER(AtanOp)
PARE_SAME_TYPE_INFER(SinhOp)
PARE_SAME_TYPE_INFER(CoshOp)
PARE_SAME_TYPE_INFER(AsinhOp)
PARE_SAME_TYPE_INFER(AcoshOp)
PARE_SAME_TYPE_INFER(AtanhOp)
PARE_SAME_TYPE_INFER(NotOp)
PARE_SAME_TYPE_INFER(ReluOp)
PARE_SAME_TYPE_INFER(SigmoidOp)
PARE_SAME_TYPE_INFER(TanhOp)
PARE_SAME_TYPE_INFER(HardSwishOp)
PARE_SAME_TYPE_INFER(SoftplusOp)
PARE_SAME_TYPE_INFER(SoftsignOp)
PARE_SAME_TYPE_INFER(MishOp)
PARE_SAME_TYPE_INFER(ClipOp)
PARE_SAME_TYPE_INFER(ClipDynamicOp)
PARE_SAME_TYPE_INFER(LeakyReluOp)
PARE_SAME_TYPE_INFER(EluOp)
PARE_SAME_TYPE_INFER(CeluOp)
PARE_SAME_TYPE_INFER(ThresholdedReluOp)
PARE_SAME_TYPE_INFER(HardSigmoidOp)
PARE_SAME_TYPE_INFER(SeluOp)
PARE_SAME_TYPE_INFER(GeluOp)
PARE_SAME_TYPE_INFER(SoftmaxOp)
PARE_SAME_TYPE_INFER(LogSoftmaxOp)
#undef PARE_SAME_TYPE_INFER

OpFoldResult NegOp::fold(FoldAdaptor a) {
  auto x = unpack(a.getInput());
  if (!x)
    return {};
  for (auto &v : x->f)
    v = -v;
  for (auto &v : x->i)
    v = wrapSub(0, v);
  return pack(*x, cast<RankedTensorType>(getType()));
}

//===----------------------------------------------------------------------===//
// Pooling and normalisation
//===----------------------------------------------------------------------===//

template <typename Adaptor>
static LogicalResult inferPool(std::optional<Location> loc, Adaptor adaptor,
                               SmallVectorImpl<Type> &types, StringRef name) {
  Shape x = shapeOf(adaptor.getInput());
  if (x.size() != 4)
    return fail(loc, name + ": expected a rank-4 input, got " + shape::toString(x));
  auto k = adaptor.getKernelShape(), s = adaptor.getStrides(), d = adaptor.getDilations(),
       p = adaptor.getPads();
  if (k.size() != 2 || s.size() != 2 || d.size() != 2 || p.size() != 4)
    return fail(loc, name + ": expected 2-D kernel, strides, dilations and 4 pads");
  bool cl = adaptor.getChannelsLast();
  int64_t h = cl ? x[1] : x[2], w = cl ? x[2] : x[3];
  if (p[0] >= k[0] || p[2] >= k[0] || p[1] >= k[1] || p[3] >= k[1])
    return fail(loc, name + ": pads must be smaller than the kernel");
  int64_t oh = shape::windowOutput(h, k[0], s[0], d[0], p[0], p[2], adaptor.getCeilMode());
  int64_t ow = shape::windowOutput(w, k[1], s[1], d[1], p[1], p[3], adaptor.getCeilMode());
  if (oh < 1 || ow < 1)
    return fail(loc, name + ": the window does not fit the padded input");
  Shape out = cl ? Shape{x[0], oh, ow, x[3]} : Shape{x[0], x[1], oh, ow};
  return push(types, out, elemOf(adaptor.getInput()));
}

LogicalResult MaxPoolOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          MaxPoolOp::Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  return inferPool(loc, adaptor, types, "max_pool");
}
LogicalResult AveragePoolOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                              AveragePoolOp::Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  return inferPool(loc, adaptor, types, "average_pool");
}

template <typename Adaptor>
static LogicalResult inferGlobalPool(std::optional<Location> loc, Adaptor adaptor,
                                     SmallVectorImpl<Type> &types) {
  Shape x = shapeOf(adaptor.getInput());
  if (x.size() < 3)
    return fail(loc, "global pooling needs a rank >= 3 input, got " + shape::toString(x));
  Shape out = x;
  if (adaptor.getChannelsLast()) {
    for (size_t i = 1; i + 1 < x.size(); ++i)
      out[i] = 1;
  } else {
    for (size_t i = 2; i < x.size(); ++i)
      out[i] = 1;
  }
  return push(types, out, elemOf(adaptor.getInput()));
}

LogicalResult GlobalAveragePoolOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                                    GlobalAveragePoolOp::Adaptor adaptor,
                                                    SmallVectorImpl<Type> &types) {
  return inferGlobalPool(loc, adaptor, types);
}
LogicalResult GlobalMaxPoolOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                                GlobalMaxPoolOp::Adaptor adaptor,
                                                SmallVectorImpl<Type> &types) {
  return inferGlobalPool(loc, adaptor, types);
}

LogicalResult BatchNormOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            BatchNormOp::Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  Shape x = shapeOf(adaptor.getInput());
  if (x.size() < 2)
    return fail(loc, "batch_norm: input rank must be >= 2");
  int64_t c = adaptor.getChannelsLast() ? x.back() : x[1];
  for (Value v :
       {adaptor.getScale(), adaptor.getBias(), adaptor.getMean(), adaptor.getVariance()}) {
    Shape s = shapeOf(v);
    if (s.size() != 1 || s[0] != c)
      return fail(loc, "batch_norm: parameter shape " + shape::toString(s) + " does not match " +
                           Twine(c) + " channels");
  }
  types.push_back(adaptor.getInput().getType());
  return success();
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            LayerNormOp::Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  Shape x = shapeOf(adaptor.getInput());
  int64_t axis = int64_t(adaptor.getAxis());
  if (axis < 0 || axis >= int64_t(x.size()))
    return fail(loc, "layer_norm: axis out of range");
  int64_t inner = shape::numElements(Shape(x.begin() + axis, x.end()));
  if (shape::numElements(shapeOf(adaptor.getScale())) != inner ||
      (adaptor.getBias() && shape::numElements(shapeOf(adaptor.getBias())) != inner))
    return fail(loc, "layer_norm: scale and bias must have " + Twine(inner) +
                         " elements (the normalised dims)");
  types.push_back(adaptor.getInput().getType());
  return success();
}

template <typename Adaptor>
static LogicalResult inferReduce(std::optional<Location> loc, Adaptor adaptor,
                                 SmallVectorImpl<Type> &types, Type elem) {
  Shape x = shapeOf(adaptor.getInput());
  Shape out;
  auto axes = adaptor.getAxes();
  for (int64_t a : axes)
    if (a < 0 || a >= int64_t(x.size()))
      return fail(loc, "reduce: axis " + Twine(a) + " out of range for rank " + Twine(x.size()));
  for (int64_t d = 0; d < int64_t(x.size()); ++d) {
    if (llvm::is_contained(axes, d)) {
      if (adaptor.getKeepdims())
        out.push_back(1);
    } else {
      out.push_back(x[d]);
    }
  }
  return push(types, out, elem);
}

#define PARE_REDUCE_INFER(OP)                                                                      \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location> loc,                   \
                                     OP::Adaptor adaptor, SmallVectorImpl<Type> &types) {          \
    return inferReduce(loc, adaptor, types, elemOf(adaptor.getInput()));                           \
  }
PARE_REDUCE_INFER(ReduceSumOp)
PARE_REDUCE_INFER(ReduceMeanOp)
PARE_REDUCE_INFER(ReduceMaxOp)
PARE_REDUCE_INFER(ReduceMinOp)
PARE_REDUCE_INFER(ReduceProdOp)
PARE_REDUCE_INFER(ReduceL1Op)
PARE_REDUCE_INFER(ReduceL2Op)
PARE_REDUCE_INFER(ReduceSumSquareOp)
PARE_REDUCE_INFER(ReduceLogSumExpOp)
#undef PARE_REDUCE_INFER

template <typename Adaptor>
static LogicalResult inferArg(MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
                              SmallVectorImpl<Type> &types) {
  Shape x = shapeOf(adaptor.getInput());
  int64_t axis = int64_t(adaptor.getAxis());
  if (axis < 0 || axis >= int64_t(x.size()))
    return fail(loc, "arg reduce: axis out of range");
  Shape out;
  for (int64_t d = 0; d < int64_t(x.size()); ++d)
    if (d != axis)
      out.push_back(x[d]);
    else if (adaptor.getKeepdims())
      out.push_back(1);
  return push(types, out, IntegerType::get(ctx, 64));
}
LogicalResult ArgMaxOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                         ArgMaxOp::Adaptor adaptor, SmallVectorImpl<Type> &types) {
  return inferArg(ctx, loc, adaptor, types);
}
LogicalResult ArgMinOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                         ArgMinOp::Adaptor adaptor, SmallVectorImpl<Type> &types) {
  return inferArg(ctx, loc, adaptor, types);
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getType());
  if (in.getElementType() != out.getElementType())
    return emitOpError("element types differ");
  if (in.getNumElements() != out.getNumElements())
    return emitOpError("cannot reshape ") << in << " to " << out << ": element counts differ";
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor a) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(a.getInput()))
    return dense.reshape(cast<ShapedType>(getType()));
  return {};
}

namespace {
/// reshape(reshape(x)) -> reshape(x); flatten/squeeze/unsqueeze -> reshape.
struct ComposeReshape : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op, PatternRewriter &rw) const override {
    auto inner = op.getInput().getDefiningOp<ReshapeOp>();
    if (!inner)
      return rw.notifyMatchFailure(op, "input is not a reshape");
    rw.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), inner.getInput());
    return success();
  }
};
template <typename OpTy> struct ToReshape : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rw) const override {
    rw.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), op.getInput());
    return success();
  }
};
} // namespace

/// Flatten / squeeze / unsqueeze of a constant: the same data, reshaped.
static OpFoldResult foldReshapeLike(Operation *op, Attribute input) {
  if (op->getOperand(0).getType() == op->getResult(0).getType())
    return op->getOperand(0);
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(input))
    return dense.reshape(cast<ShapedType>(op->getResult(0).getType()));
  return {};
}
OpFoldResult FlattenOp::fold(FoldAdaptor a) { return foldReshapeLike(*this, a.getInput()); }
OpFoldResult SqueezeOp::fold(FoldAdaptor a) { return foldReshapeLike(*this, a.getInput()); }
OpFoldResult UnsqueezeOp::fold(FoldAdaptor a) { return foldReshapeLike(*this, a.getInput()); }

LogicalResult ClipDynamicOp::verify() {
  Type t = elemOf(getInput());
  if (!isa<FloatType>(t))
    return emitOpError("expects a float input (integer Clip imports as max / min)");
  for (Value b : {getMin(), getMax()}) {
    if (elemOf(b) != t)
      return emitOpError("bound element type ") << elemOf(b) << " differs from the input's " << t;
    if (cast<RankedTensorType>(b.getType()).getNumElements() != 1)
      return emitOpError("bounds must hold one element, got ") << b.getType();
  }
  return success();
}

namespace {
/// clip_dynamic whose bounds are both constants (folding made them so) ->
/// pare.clip, the form that fuses into its producer.
struct ClipDynamicToClip : OpRewritePattern<ClipDynamicOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ClipDynamicOp op, PatternRewriter &rw) const override {
    DenseElementsAttr lo, hi;
    if (!matchPattern(op.getMin(), m_Constant(&lo)) || !matchPattern(op.getMax(), m_Constant(&hi)))
      return rw.notifyMatchFailure(op, "a bound is computed at run time");
    auto value = [](DenseElementsAttr a) {
      bool lost;
      APFloat v = *a.getValues<APFloat>().begin();
      v.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
      return v.convertToFloat();
    };
    rw.replaceOpWithNewOp<ClipOp>(op, op.getType(), op.getInput(), rw.getF32FloatAttr(value(lo)),
                                  rw.getF32FloatAttr(value(hi)));
    return success();
  }
};
} // namespace

void ClipDynamicOp::getCanonicalizationPatterns(RewritePatternSet &results, MLIRContext *ctx) {
  results.add<ClipDynamicToClip>(ctx);
}

void ReshapeOp::getCanonicalizationPatterns(RewritePatternSet &results, MLIRContext *ctx) {
  results.add<ComposeReshape>(ctx);
}
void FlattenOp::getCanonicalizationPatterns(RewritePatternSet &results, MLIRContext *ctx) {
  results.add<ToReshape<FlattenOp>>(ctx);
}
void SqueezeOp::getCanonicalizationPatterns(RewritePatternSet &results, MLIRContext *ctx) {
  results.add<ToReshape<SqueezeOp>>(ctx);
}
void UnsqueezeOp::getCanonicalizationPatterns(RewritePatternSet &results, MLIRContext *ctx) {
  results.add<ToReshape<UnsqueezeOp>>(ctx);
}

LogicalResult FlattenOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          FlattenOp::Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  Shape x = shapeOf(adaptor.getInput());
  int64_t axis = int64_t(adaptor.getAxis());
  if (axis < 0 || axis > int64_t(x.size()))
    return fail(loc, "flatten: axis out of range");
  int64_t outer = shape::numElements(Shape(x.begin(), x.begin() + axis));
  int64_t inner = shape::numElements(Shape(x.begin() + axis, x.end()));
  return push(types, {outer, inner}, elemOf(adaptor.getInput()));
}

LogicalResult SqueezeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          SqueezeOp::Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  Shape x = shapeOf(adaptor.getInput());
  Shape out;
  for (int64_t a : adaptor.getAxes())
    if (a < 0 || a >= int64_t(x.size()) || x[a] != 1)
      return fail(loc,
                  "squeeze: axis " + Twine(a) + " is not a size-1 dim of " + shape::toString(x));
  for (int64_t d = 0; d < int64_t(x.size()); ++d)
    if (!llvm::is_contained(adaptor.getAxes(), d))
      out.push_back(x[d]);
  return push(types, out, elemOf(adaptor.getInput()));
}

LogicalResult UnsqueezeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            UnsqueezeOp::Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  Shape x = shapeOf(adaptor.getInput());
  int64_t rank = x.size() + adaptor.getAxes().size();
  Shape out;
  size_t src = 0;
  for (int64_t d = 0; d < rank; ++d) {
    if (llvm::is_contained(adaptor.getAxes(), d))
      out.push_back(1);
    else if (src < x.size())
      out.push_back(x[src++]);
    else
      return fail(loc, "unsqueeze: invalid axes");
  }
  return push(types, out, elemOf(adaptor.getInput()));
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            TransposeOp::Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  Shape x = shapeOf(adaptor.getInput());
  auto perm = adaptor.getPerm();
  if (perm.size() != x.size())
    return fail(loc, "transpose: perm has " + Twine(perm.size()) + " entries for a rank-" +
                         Twine(x.size()) + " input");
  std::vector<bool> seen(x.size(), false);
  Shape out;
  for (int64_t p : perm) {
    if (p < 0 || p >= int64_t(x.size()) || seen[p])
      return fail(loc, "transpose: perm is not a permutation");
    seen[p] = true;
    out.push_back(x[p]);
  }
  return push(types, out, elemOf(adaptor.getInput()));
}

OpFoldResult TransposeOp::fold(FoldAdaptor a) {
  auto perm = getPerm();
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i)
    identity &= perm[i] == int64_t(i);
  if (identity)
    return getInput();
  auto dense = dyn_cast_or_null<DenseElementsAttr>(a.getInput());
  if (!dense)
    return {};
  if (dense.isSplat())
    return dense.reshape(cast<ShapedType>(getType()));
  Shape in = shapeOf(dense.getType());
  Shape out = shapeOf(getType());
  auto inStrides = shape::contiguousStrides(in);
  Type elem = dense.getElementType();
  if (elem.isInteger(1))
    return {};
  // Permute the raw little-endian bytes: weights can have millions of elements.
  size_t esize = elem.getIntOrFloatBitWidth() / 8;
  ArrayRef<char> src = dense.getRawData();
  std::vector<char> dst(src.size());
  int64_t n = shape::numElements(out);
  Shape idx(out.size(), 0);
  // Strides of the input read when walking the output in order.
  Shape walk(out.size());
  for (size_t d = 0; d < out.size(); ++d)
    walk[d] = inStrides[perm[d]];
  int64_t off = 0;
  for (int64_t k = 0; k < n; ++k) {
    std::memcpy(&dst[k * esize], &src[off * esize], esize);
    for (int64_t d = int64_t(out.size()) - 1; d >= 0; --d) {
      off += walk[d];
      if (++idx[d] < out[d])
        break;
      off -= walk[d] * out[d];
      idx[d] = 0;
    }
  }
  return DenseElementsAttr::getFromRawBuffer(cast<ShapedType>(getType()), dst);
}

namespace {
/// transpose(transpose(x, p1), p2) -> transpose(x, p1[p2]).
struct ComposeTranspose : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op, PatternRewriter &rw) const override {
    auto inner = op.getInput().getDefiningOp<TransposeOp>();
    if (!inner)
      return rw.notifyMatchFailure(op, "input is not a transpose");
    SmallVector<int64_t> perm;
    for (int64_t p : op.getPerm())
      perm.push_back(inner.getPerm()[p]);
    rw.replaceOpWithNewOp<TransposeOp>(op, op.getType(), inner.getInput(),
                                       rw.getDenseI64ArrayAttr(perm));
    return success();
  }
};
/// A transpose that only moves size-1 dims keeps the element order: reshape.
struct TransposeToReshape : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op, PatternRewriter &rw) const override {
    Shape in = shapeOf(op.getInput());
    int64_t last = -1;
    for (int64_t p : op.getPerm()) {
      if (in[p] == 1)
        continue;
      if (p < last)
        return rw.notifyMatchFailure(op, "moves a dim of size > 1");
      last = p;
    }
    rw.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), op.getInput());
    return success();
  }
};
} // namespace

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &results, MLIRContext *ctx) {
  results.add<ComposeTranspose, TransposeToReshape>(ctx);
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         ConcatOp::Adaptor adaptor, SmallVectorImpl<Type> &types) {
  auto inputs = adaptor.getInputs();
  if (inputs.empty())
    return fail(loc, "concat: needs at least one input");
  Shape out = shapeOf(inputs[0]);
  int64_t axis = int64_t(adaptor.getAxis());
  if (axis < 0 || axis >= int64_t(out.size()))
    return fail(loc, "concat: axis out of range");
  out[axis] = 0;
  for (Value v : inputs) {
    Shape s = shapeOf(v);
    if (s.size() != out.size() || elemOf(v) != elemOf(inputs[0]))
      return fail(loc, "concat: inputs differ in rank or element type");
    for (size_t d = 0; d < s.size(); ++d)
      if (int64_t(d) != axis && s[d] != out[d])
        return fail(loc, "concat: input " + shape::toString(s) +
                             " differs outside the concatenation axis");
    out[axis] += s[axis];
  }
  return push(types, out, elemOf(inputs[0]));
}

OpFoldResult ConcatOp::fold(FoldAdaptor a) {
  if (getInputs().size() == 1)
    return getInputs()[0];
  SmallVector<HostTensor> parts;
  for (Attribute attr : a.getInputs()) {
    auto t = unpack(attr);
    if (!t)
      return {};
    parts.push_back(std::move(*t));
  }
  auto type = cast<RankedTensorType>(getType());
  Shape out = shapeOf(type);
  int64_t axis = int64_t(getAxis());
  int64_t outer = shape::numElements(Shape(out.begin(), out.begin() + axis));
  HostTensor r;
  r.shape = out;
  r.isFloat = parts[0].isFloat;
  for (int64_t o = 0; o < outer; ++o)
    for (auto &p : parts) {
      int64_t chunk = shape::numElements(Shape(p.shape.begin() + axis, p.shape.end()));
      for (int64_t k = 0; k < chunk; ++k) {
        if (r.isFloat)
          r.f.push_back(p.f[o * chunk + k]);
        else
          r.i.push_back(p.i[o * chunk + k]);
      }
    }
  return pack(r, type);
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                        SliceOp::Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Shape x = shapeOf(adaptor.getInput());
  auto st = adaptor.getStarts(), en = adaptor.getEnds(), sp = adaptor.getSteps();
  if (st.size() != x.size() || en.size() != x.size() || sp.size() != x.size())
    return fail(loc, "slice: starts, ends and steps need one entry per dim");
  Shape out;
  for (size_t d = 0; d < x.size(); ++d) {
    if (sp[d] == 0)
      return fail(loc, "slice: step 0");
    out.push_back(shape::sliceLength(st[d], en[d], sp[d]));
  }
  return push(types, out, elemOf(adaptor.getInput()));
}

OpFoldResult SliceOp::fold(FoldAdaptor a) {
  if (getInput().getType() == getType()) {
    bool unit = llvm::all_of(getSteps(), [](int64_t s) { return s == 1; });
    if (unit)
      return getInput();
  }
  auto x = unpack(a.getInput());
  if (!x)
    return {};
  auto type = cast<RankedTensorType>(getType());
  Shape out = shapeOf(type);
  auto strides = shape::contiguousStrides(x->shape);
  HostTensor r;
  r.shape = out;
  r.isFloat = x->isFloat;
  int64_t n = shape::numElements(out);
  Shape idx(out.size(), 0);
  for (int64_t k = 0; k < n; ++k) {
    int64_t off = 0;
    for (size_t d = 0; d < out.size(); ++d)
      off += (getStarts()[d] + idx[d] * getSteps()[d]) * strides[d];
    if (r.isFloat)
      r.f.push_back(x->f[off]);
    else
      r.i.push_back(x->i[off]);
    for (int64_t d = int64_t(out.size()) - 1; d >= 0; --d) {
      if (++idx[d] < out[d])
        break;
      idx[d] = 0;
    }
  }
  return pack(r, type);
}

LogicalResult SplitOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                        SplitOp::Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Shape x = shapeOf(adaptor.getInput());
  int64_t axis = int64_t(adaptor.getAxis());
  if (axis < 0 || axis >= int64_t(x.size()))
    return fail(loc, "split: axis out of range");
  int64_t total = 0;
  for (int64_t s : adaptor.getSizes()) {
    if (s < 0)
      return fail(loc, "split: negative size");
    if (__builtin_add_overflow(total, s, &total))
      return fail(loc, "split: sizes add up to more than 2^63");
    Shape o = x;
    o[axis] = s;
    types.push_back(RankedTensorType::get(o, elemOf(adaptor.getInput())));
  }
  if (total != x[axis])
    return fail(loc,
                "split: sizes add up to " + Twine(total) + " but the axis has " + Twine(x[axis]));
  return success();
}

LogicalResult PadOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                      PadOp::Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Shape x = shapeOf(adaptor.getInput());
  auto b = adaptor.getPadsBegin(), e = adaptor.getPadsEnd();
  if (b.size() != x.size() || e.size() != x.size())
    return fail(loc, "pad: needs one begin and one end pad per dim");
  StringRef mode = adaptor.getMode();
  if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap")
    return fail(loc, "pad: unknown mode '" + mode + "'");
  Shape out;
  for (size_t d = 0; d < x.size(); ++d) {
    int64_t o;
    if (__builtin_add_overflow(x[d], b[d], &o) || __builtin_add_overflow(o, e[d], &o))
      return fail(loc, "pad: pads " + Twine(b[d]) + " and " + Twine(e[d]) + " around dim " +
                           Twine(d) + " overflow 64 bits");
    if (o < 0)
      return fail(loc, "pad: negative output size");
    if (mode == "reflect" && (b[d] >= x[d] || e[d] >= x[d]) && (b[d] > 0 || e[d] > 0))
      return fail(loc, "pad: reflect pads must be smaller than the dim");
    out.push_back(o);
  }
  return push(types, out, elemOf(adaptor.getInput()));
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         GatherOp::Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Shape x = shapeOf(adaptor.getData());
  Shape ind = shapeOf(adaptor.getIndices());
  int64_t axis = int64_t(adaptor.getAxis());
  if (axis < 0 || axis >= int64_t(x.size()))
    return fail(loc, "gather: axis out of range");
  Type ie = elemOf(adaptor.getIndices());
  if (!ie.isInteger(64) && !ie.isInteger(32))
    return fail(loc, "gather: indices must be int32 or int64");
  Shape out(x.begin(), x.begin() + axis);
  out.insert(out.end(), ind.begin(), ind.end());
  out.insert(out.end(), x.begin() + axis + 1, x.end());
  return push(types, out, elemOf(adaptor.getData()));
}

OpFoldResult GatherOp::fold(FoldAdaptor a) {
  // The indices are checked first: a decoder's embedding table is constant,
  // its ids are not, and unpacking the table (131 M floats for a 7B model) on
  // every fold attempt was 80% of a compile.
  if (!a.getIndices() || !a.getData())
    return {};
  auto x = unpack(a.getData()), ind = unpack(a.getIndices());
  if (!x || !ind)
    return {};
  int64_t axis = int64_t(getAxis());
  int64_t outer = shape::numElements(Shape(x->shape.begin(), x->shape.begin() + axis));
  int64_t len = x->shape[axis];
  int64_t inner = shape::numElements(Shape(x->shape.begin() + axis + 1, x->shape.end()));
  HostTensor r;
  r.isFloat = x->isFloat;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j : ind->i) {
      if (j < 0)
        j += len;
      if (j < 0 || j >= len)
        return {};
      for (int64_t k = 0; k < inner; ++k) {
        int64_t off = (o * len + j) * inner + k;
        if (r.isFloat)
          r.f.push_back(x->f[off]);
        else
          r.i.push_back(x->i[off]);
      }
    }
  return pack(r, cast<RankedTensorType>(getType()));
}

LogicalResult GatherElementsOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                                 GatherElementsOp::Adaptor adaptor,
                                                 SmallVectorImpl<Type> &types) {
  Shape x = shapeOf(adaptor.getData());
  Shape ind = shapeOf(adaptor.getIndices());
  int64_t axis = int64_t(adaptor.getAxis());
  if (x.empty() || axis < 0 || axis >= int64_t(x.size()))
    return fail(loc, "gather_elements: axis " + Twine(axis) + " out of range for rank " +
                         Twine(x.size()));
  Type ie = elemOf(adaptor.getIndices());
  if (!ie.isInteger(64) && !ie.isInteger(32))
    return fail(loc, "gather_elements: indices must be int32 or int64");
  if (ind.size() != x.size())
    return fail(loc, "gather_elements: indices " + shape::toString(ind) +
                         " must have the rank of data " + shape::toString(x));
  for (size_t i = 0; i < x.size(); ++i)
    if (int64_t(i) != axis && ind[i] > x[i])
      return fail(loc, "gather_elements: indices " + shape::toString(ind) + " exceed data " +
                           shape::toString(x) + " at dim " + Twine(i));
  return push(types, ind, elemOf(adaptor.getData()));
}

LogicalResult ScatterNDOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            ScatterNDOp::Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  Shape x = shapeOf(adaptor.getData());
  Shape ind = shapeOf(adaptor.getIndices());
  Shape upd = shapeOf(adaptor.getUpdates());
  if (!elemOf(adaptor.getIndices()).isInteger(64))
    return fail(loc, "scatter_nd: indices must be int64");
  if (elemOf(adaptor.getUpdates()) != elemOf(adaptor.getData()))
    return fail(loc, "scatter_nd: data and updates element types differ");
  StringRef red = adaptor.getReduction();
  if (red != "none" && red != "add" && red != "mul" && red != "max" && red != "min")
    return fail(loc, "scatter_nd: unknown reduction '" + red + "'");
  if (ind.empty())
    return fail(loc, "scatter_nd: indices must have rank >= 1");
  int64_t r = int64_t(x.size()), q = int64_t(ind.size()), k = ind.back();
  if (k < 0 || k > r)
    return fail(loc, "scatter_nd: the last dim of indices (" + Twine(k) +
                         ") must be at most the rank of data (" + Twine(r) + ")");
  Shape want(ind.begin(), ind.end() - 1);
  want.insert(want.end(), x.begin() + k, x.end());
  if (int64_t(upd.size()) != q - 1 + r - k)
    return fail(loc, "scatter_nd: updates must have rank " + Twine(q - 1 + r - k) +
                         " (indices rank " + Twine(q) + " - 1 + data rank " + Twine(r) + " - " +
                         Twine(k) + "), got " + Twine(upd.size()));
  if (upd != want)
    return fail(loc, "scatter_nd: updates shape " + shape::toString(upd) + " must be " +
                         shape::toString(want));
  return push(types, x, elemOf(adaptor.getData()));
}

OpFoldResult ScatterNDOp::fold(FoldAdaptor a) {
  if (!a.getData() || !a.getIndices() || !a.getUpdates())
    return {};
  auto x = unpack(a.getData()), ind = unpack(a.getIndices()), upd = unpack(a.getUpdates());
  if (!x || !ind || !upd)
    return {};
  int64_t k = ind->shape.back();
  int64_t slice = shape::numElements(Shape(x->shape.begin() + k, x->shape.end()));
  int64_t count = shape::numElements(Shape(ind->shape.begin(), ind->shape.end() - 1));
  StringRef red = getReduction();
  HostTensor r = *x;
  for (int64_t u = 0; u < count; ++u) {
    int64_t off = 0;
    for (int64_t j = 0; j < k; ++j) {
      int64_t d = x->shape[j], v = ind->i[u * k + j];
      if (v < 0)
        v += d;
      if (v < 0 || v >= d)
        return {};
      off = off * d + v;
    }
    for (int64_t e = 0; e < slice; ++e) {
      size_t dst = size_t(off * slice + e), src = size_t(u * slice + e);
      if (r.isFloat) {
        double &o = r.f[dst], v = upd->f[src];
        o = red == "add"   ? o + v
            : red == "mul" ? o * v
            : red == "max" ? std::max(o, v)
            : red == "min" ? std::min(o, v)
                           : v;
      } else {
        int64_t &o = r.i[dst], v = upd->i[src];
        o = red == "add"   ? wrapAdd(o, v)
            : red == "mul" ? wrapMul(o, v)
            : red == "max" ? std::max(o, v)
            : red == "min" ? std::min(o, v)
                           : v;
      }
    }
  }
  return pack(r, cast<RankedTensorType>(getType()));
}

LogicalResult CastOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                       CastOp::Adaptor adaptor, SmallVectorImpl<Type> &types) {
  return push(types, shapeOf(adaptor.getInput()), adaptor.getTo());
}

OpFoldResult CastOp::fold(FoldAdaptor a) {
  if (getInput().getType() == getType())
    return getInput();
  auto x = unpack(a.getInput());
  if (!x)
    return {};
  Type to = getTo();
  HostTensor r;
  r.shape = x->shape;
  r.isFloat = isa<FloatType>(to);
  for (size_t k = 0; k < x->size(); ++k) {
    if (r.isFloat) {
      r.f.push_back(x->asDouble(k));
    } else if (to.isInteger(1)) {
      r.i.push_back(x->asDouble(k) != 0.0);
    } else {
      double v = x->asDouble(k);
      // Out of int64's range (NaN and infinities included) the conversion
      // is undefined: left to the kernels, as onnxruntime leaves it.
      if (x->isFloat && !(v > -0x1p63 && v < 0x1p63))
        return {};
      r.i.push_back(x->isFloat ? int64_t(v) : x->i[k]);
    }
  }
  return pack(r, cast<RankedTensorType>(getType()));
}

LogicalResult ExpandOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         ExpandOp::Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Shape target(adaptor.getShape().begin(), adaptor.getShape().end());
  auto out = shape::broadcast(shapeOf(adaptor.getInput()), target);
  if (!out)
    return fail(loc, "expand: " + shape::toString(shapeOf(adaptor.getInput())) +
                         " does not broadcast to " + shape::toString(target));
  return push(types, *out, elemOf(adaptor.getInput()));
}

OpFoldResult ExpandOp::fold(FoldAdaptor a) {
  if (getInput().getType() == getType())
    return getInput();
  auto x = unpack(a.getInput());
  if (!x)
    return {};
  auto type = cast<RankedTensorType>(getType());
  if (type.getNumElements() > (1 << 20))
    return {};
  HostTensor r;
  r.shape = shapeOf(type);
  r.isFloat = x->isFloat;
  forEachBroadcast(r.shape, x->shape, Shape{}, [&](int64_t, int64_t ia, int64_t) {
    if (r.isFloat)
      r.f.push_back(x->f[ia]);
    else
      r.i.push_back(x->i[ia]);
  });
  return pack(r, type);
}

#define GET_OP_CLASSES
#include "dialects/Pare/IR/PareOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

namespace {

bool isFloatTensor(Value v) { return isa<FloatType>(elemOf(v)); }

LogicalResult sameShape(Operation *op, Value a, Value b) {
  if (shapeOf(a) != shapeOf(b))
    return op->emitOpError("operand shape ")
           << shape::toString(shapeOf(a)) << " differs from result shape "
           << shape::toString(shapeOf(b));
  return success();
}

/// A per-axis quantized tensor has one scale (and zero point) per element
/// of its axis: the lowering reads scale(c) for every channel c.
LogicalResult checkAxisCount(Operation *op, Type t) {
  auto p = qtype::params(t);
  if (!p || p->perTensor())
    return success();
  Shape s = shapeOf(t);
  if (p->axis >= int32_t(s.size()) || int64_t(p->scales.size()) != s[p->axis] ||
      p->zeroPoints.size() != p->scales.size())
    return op->emitOpError("quantized along axis ")
           << p->axis << " with " << p->scales.size() << " scales, but the tensor is "
           << shape::toString(s);
  return success();
}

/// A quantized per-tensor type, or raw i32 accumulators when `allowI32`.
LogicalResult checkQuantResult(Operation *op, Value v, bool allowI32) {
  if (allowI32 && elemOf(v).isInteger(32))
    return success();
  auto p = qtype::params(v.getType());
  if (!p || !p->perTensor())
    return op->emitOpError("result must be a per-tensor quantized tensor")
           << (allowI32 ? " or i32" : "") << ", got " << v.getType();
  return success();
}

LogicalResult checkPerTensor(Operation *op, Value v, StringRef what) {
  auto p = qtype::params(v.getType());
  if (!p || !p->perTensor())
    return op->emitOpError() << what << " must be per-tensor quantized, got " << v.getType();
  return success();
}

/// Checks a quantized weight: per tensor or per channel along `axis`.
LogicalResult checkWeight(Operation *op, Value w, int32_t axis) {
  auto p = qtype::params(w.getType());
  if (!p)
    return op->emitOpError("weight must be quantized, got ") << w.getType();
  if (!p->perTensor() && p->axis != axis)
    return op->emitOpError("weight is quantized along axis ")
           << p->axis << "; expected per tensor or axis " << axis;
  return success();
}

LogicalResult checkI32Bias(Operation *op, Value bias, int64_t n) {
  if (!bias)
    return success();
  Shape s = shapeOf(bias);
  if (!elemOf(bias).isInteger(32) || s.size() != 1 || s[0] != n)
    return op->emitOpError("bias must be i32 of shape [") << n << "], got " << bias.getType();
  return success();
}

LogicalResult checkClampActivation(Operation *op, std::optional<StringRef> act) {
  if (act && *act != "relu" && *act != "clip")
    return op->emitOpError("only relu or clip can be fused into a quantized op, got '")
           << *act << "'";
  return success();
}

/// The quantized op's result has the shape the float op of the same
/// operands and attributes would infer.
template <typename FloatOp> LogicalResult checkShapeAs(Operation *op) {
  SmallVector<Type> types;
  typename FloatOp::Adaptor adaptor(op->getOperands(), op->getAttrDictionary());
  if (failed(FloatOp::inferReturnTypes(op->getContext(), op->getLoc(), adaptor, types)))
    return failure();
  if (shapeOf(types[0]) != shapeOf(op->getResult(0)))
    return op->emitOpError("result shape ")
           << shape::toString(shapeOf(op->getResult(0))) << " differs from the inferred "
           << shape::toString(shapeOf(types[0]));
  return success();
}

} // namespace

LogicalResult QuantizeOp::verify() {
  if (!isFloatTensor(getInput()))
    return emitOpError("input must be float, got ") << getInput().getType();
  auto p = qtype::params(getType());
  if (!p)
    return emitOpError("result must be quantized, got ") << getType();
  if (failed(checkAxisCount(*this, getType())))
    return failure();
  return sameShape(*this, getInput(), getOutput());
}

LogicalResult DequantizeOp::verify() {
  if (!qtype::isQuantized(getInput().getType()))
    return emitOpError("input must be quantized, got ") << getInput().getType();
  if (!isFloatTensor(getOutput()))
    return emitOpError("result must be float, got ") << getType();
  if (failed(checkAxisCount(*this, getInput().getType())))
    return failure();
  return sameShape(*this, getInput(), getOutput());
}

LogicalResult RequantizeOp::verify() {
  // A uint8 <-> int8 flip (same scales, zero points 128 apart) may be per
  // channel; any other requantization is per tensor.
  auto a = qtype::params(getInput().getType()), b = qtype::params(getType());
  bool flip = a && b && a->axis == b->axis && a->scales == b->scales &&
              a->isSigned != b->isSigned && a->bits == 8 && b->bits == 8;
  if (flip)
    for (size_t i = 0; i < a->zeroPoints.size(); ++i)
      flip = flip && std::abs(a->zeroPoints[i] - b->zeroPoints[i]) == 128;
  if (!flip && (failed(checkPerTensor(*this, getInput(), "input")) ||
                failed(checkPerTensor(*this, getOutput(), "result"))))
    return failure();
  return sameShape(*this, getInput(), getOutput());
}

OpFoldResult RequantizeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto prev = getInput().getDefiningOp<RequantizeOp>())
    if (prev.getInput().getType() == getType())
      return prev.getInput();
  return {};
}

LogicalResult StorageCastOp::verify() {
  Type in = getInput().getType(), out = getType();
  bool qin = qtype::isQuantized(in), qout = qtype::isQuantized(out);
  if (qin == qout)
    return emitOpError("casts between a quantized and an integer tensor, got ")
           << in << " -> " << out;
  Type q = qin ? in : out, raw = qin ? out : in;
  auto rawInt = dyn_cast<IntegerType>(qtype::elementOf(raw));
  if (!rawInt || rawInt.getWidth() != qtype::storageOf(q).getIntOrFloatBitWidth())
    return emitOpError("storage type of ") << q << " is not the element type of " << raw;
  if (failed(checkAxisCount(*this, q)))
    return failure();
  return sameShape(*this, getInput(), getOutput());
}

OpFoldResult StorageCastOp::fold(FoldAdaptor) {
  if (auto prev = getInput().getDefiningOp<StorageCastOp>())
    if (prev.getInput().getType() == getType())
      return prev.getInput();
  return {};
}

bool QConvOp::isDepthwise() {
  return isDepthwiseConv(getInput(), getOutput(), int64_t(getGroup()), getChannelsLast());
}

LogicalResult QConvOp::verify() {
  if (failed(checkPerTensor(*this, getInput(), "input")) ||
      failed(checkWeight(*this, getWeight(), 0)) ||
      failed(checkQuantResult(*this, getOutput(), /*allowI32=*/true)) ||
      failed(checkClampActivation(*this, getActivation())))
    return failure();
  // The float conv's shape function checks the geometry (same attributes).
  if (failed(checkShapeAs<ConvOp>(*this)))
    return failure();
  return checkI32Bias(*this, getBias(), shapeOf(getWeight())[0]);
}

LogicalResult QConvTransposeOp::verify() {
  if (failed(checkPerTensor(*this, getInput(), "input")) ||
      failed(checkWeight(*this, getWeight(), getChannelsLast() ? 3 : 1)) ||
      failed(checkQuantResult(*this, getOutput(), /*allowI32=*/false)) ||
      failed(checkClampActivation(*this, getActivation())))
    return failure();
  if (getGroup() != 1)
    return emitOpError("group must be 1 (TFLite TRANSPOSE_CONV has no groups), got ")
           << getGroup();
  if (failed(checkShapeAs<ConvTransposeOp>(*this)))
    return failure();
  return checkI32Bias(*this, getBias(), shapeOf(getWeight())[getChannelsLast() ? 3 : 1]);
}

LogicalResult QFullyConnectedOp::verify() {
  if (failed(checkPerTensor(*this, getInput(), "input")) ||
      failed(checkWeight(*this, getWeight(), 0)) ||
      failed(checkQuantResult(*this, getOutput(), /*allowI32=*/true)) ||
      failed(checkClampActivation(*this, getActivation())))
    return failure();
  Shape x = shapeOf(getInput()), w = shapeOf(getWeight()), y = shapeOf(getOutput());
  if (x.size() != 2 || w.size() != 2 || x[1] != w[1] || y != Shape{x[0], w[0]})
    return emitOpError("expected input [M,K], weight [N,K] and result [M,N], got ")
           << shape::toString(x) << ", " << shape::toString(w) << " and " << shape::toString(y);
  return checkI32Bias(*this, getBias(), w[0]);
}

LogicalResult QMatMulOp::verify() {
  if (failed(checkPerTensor(*this, getA(), "A")) ||
      failed(checkWeight(*this, getB(), int32_t(shapeOf(getB()).size()) - 1)) ||
      failed(checkQuantResult(*this, getOutput(), /*allowI32=*/true)))
    return failure();
  return checkShapeAs<MatMulOp>(*this);
}

static LogicalResult verifyQBinary(Operation *op, Value lhs, Value rhs, Value out,
                                   std::optional<StringRef> act) {
  if (failed(checkPerTensor(op, lhs, "lhs")) || failed(checkPerTensor(op, rhs, "rhs")) ||
      failed(checkQuantResult(op, out, /*allowI32=*/false)) ||
      failed(checkClampActivation(op, act)))
    return failure();
  auto b = shape::broadcast(shapeOf(lhs), shapeOf(rhs));
  if (!b || *b != shapeOf(out))
    return op->emitOpError("shapes ")
           << shape::toString(shapeOf(lhs)) << " and " << shape::toString(shapeOf(rhs))
           << " do not broadcast to the result " << shape::toString(shapeOf(out));
  return success();
}

LogicalResult QAddOp::verify() {
  return verifyQBinary(*this, getLhs(), getRhs(), getOutput(), getActivation());
}
LogicalResult QMulOp::verify() {
  return verifyQBinary(*this, getLhs(), getRhs(), getOutput(), getActivation());
}

LogicalResult QGlobalAveragePoolOp::verify() {
  if (failed(checkPerTensor(*this, getInput(), "input")) ||
      failed(checkQuantResult(*this, getOutput(), /*allowI32=*/false)))
    return failure();
  return checkShapeAs<GlobalAveragePoolOp>(*this);
}

int64_t TemporalShiftOp::getChannelCount() {
  auto s = cast<RankedTensorType>(getInput().getType()).getShape();
  return getChannelsLast() ? s.back() : s[1];
}

LogicalResult TemporalShiftOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  if (in.getRank() < 2)
    return emitOpError("needs a [N*T, C, ...] input, got rank ") << in.getRank();
  if (in != getOutput().getType())
    return emitOpError("result type must equal the input type");
  if (kernelMode() < 0)
    return emitOpError("mode must be bidirectional, bidirectional_reversed or unidirectional, got '")
           << getMode() << "'";
  int64_t t = getFrames(), c = getChannelCount();
  if (t < 1 || in.getDimSize(0) % t != 0)
    return emitOpError("dim 0 (") << in.getDimSize(0) << ") is not a multiple of frames (" << t
                                  << ")";
  int64_t moved = isBidirectional() ? 2 * getFold() : getFold();
  if (getFold() < 0 || moved > c)
    return emitOpError("shifts ") << moved << " channels of " << c;
  if (getStreaming() && (isBidirectional() || t != 1))
    return emitOpError("streaming needs a unidirectional shift over single frames");
  return success();
}

LogicalResult LookupTableOp::verify() {
  if (failed(checkPerTensor(*this, getInput(), "input")) ||
      failed(checkQuantResult(*this, getOutput(), /*allowI32=*/false)))
    return failure();
  if (getTable().size() != 256)
    return emitOpError("table must have 256 entries, got ") << getTable().size();
  return sameShape(*this, getInput(), getOutput());
}

//===----------------------------------------------------------------------===//
// Decoder (LLM) ops
//
// Dim 0 (rows) may be dynamic in the decoder step function; every feature dim
// the checks below read must be static.
//===----------------------------------------------------------------------===//

/// "?" for a dynamic dim in messages.
static std::string dimString(int64_t d) {
  return ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
}

/// Checks that `v` is a float tensor of rank 2 whose feature dim (dim 1) is
/// static and `features` heads of `headDim` (`what` names it in messages).
static LogicalResult checkHeads(std::optional<Location> loc, StringRef op, StringRef what, Value v,
                                int64_t heads, int64_t headDim) {
  Shape s = shapeOf(v);
  if (s.size() != 2)
    return fail(loc, op + ": " + what + " must be [rows, heads * head_dim], got rank " +
                         Twine(s.size()));
  if (!isa<FloatType>(elemOf(v)))
    return fail(loc, op + ": " + what + " must be a float tensor");
  if (ShapedType::isDynamic(s[1]))
    return fail(loc, op + ": " + what + " needs a static feature dim");
  if (s[1] != heads * headDim)
    return fail(loc, op + ": " + what + " has " + Twine(s[1]) + " features, expected " +
                         Twine(heads) + " heads x head_dim " + Twine(headDim));
  return success();
}

LogicalResult RmsNormOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          RmsNormOp::Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  Shape x = shapeOf(adaptor.getInput()), w = shapeOf(adaptor.getWeight());
  if (x.empty())
    return fail(loc, "rms_norm: the input must have rank >= 1");
  if (!isa<FloatType>(elemOf(adaptor.getInput())) ||
      elemOf(adaptor.getInput()) != elemOf(adaptor.getWeight()))
    return fail(loc, "rms_norm: input and weight must be float tensors of one element type");
  if (ShapedType::isDynamic(x.back()))
    return fail(loc, "rms_norm: the normalised (last) dim must be static");
  if (w.size() != 1 || w[0] != x.back())
    return fail(loc, "rms_norm: weight " + shape::toString(w) + " must be [" + Twine(x.back()) +
                         "] (the input's last dim)");
  if (!(adaptor.getEpsilon().convertToFloat() >= 0.0f))
    return fail(loc, "rms_norm: epsilon must be >= 0");
  types.push_back(adaptor.getInput().getType());
  return success();
}

LogicalResult RotaryOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         RotaryOp::Adaptor adaptor, SmallVectorImpl<Type> &types) {
  int64_t hd = int64_t(adaptor.getHeadDim());
  if (hd < 2 || hd % 2 != 0)
    return fail(loc, "rotary: head_dim must be even and >= 2, got " + Twine(hd));
  Shape x = shapeOf(adaptor.getInput()), p = shapeOf(adaptor.getPositions());
  if (x.size() != 2 || ShapedType::isDynamic(x[1]) || !isa<FloatType>(elemOf(adaptor.getInput())))
    return fail(loc, "rotary: the input must be a float [rows, heads * head_dim] tensor with a "
                     "static feature dim");
  if (x[1] % hd != 0)
    return fail(loc,
                "rotary: " + Twine(x[1]) + " features are not a multiple of head_dim " + Twine(hd));
  size_t half = adaptor.getInvFreq().size();
  if (half == 0 || int64_t(half) > hd / 2)
    return fail(loc, "rotary: inv_freq has " + Twine(half) +
                         " entries, expected 1 to head_dim / 2 = " + Twine(hd / 2));
  auto pt = dyn_cast<IntegerType>(elemOf(adaptor.getPositions()));
  if (p.size() != 1 || !pt || pt.getWidth() != 64)
    return fail(loc, "rotary: positions must be a rank-1 i64 tensor, got " + shape::toString(p));
  if (!ShapedType::isDynamic(p[0]) && !ShapedType::isDynamic(x[0]) && p[0] != x[0])
    return fail(loc, "rotary: " + Twine(p[0]) + " positions for " + Twine(x[0]) + " rows");
  types.push_back(adaptor.getInput().getType());
  return success();
}

LogicalResult MatMulNBitsOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                              MatMulNBitsOp::Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  int64_t bits = int64_t(adaptor.getBits()), group = int64_t(adaptor.getGroupSize());
  if (bits != 4)
    return fail(loc, "matmul_nbits: bits must be 4, got " + Twine(bits));
  if (group < 16 || (group & (group - 1)) != 0)
    return fail(loc, "matmul_nbits: group_size must be a power of two >= 16, got " +
                         Twine(group));
  Shape x = shapeOf(adaptor.getInput()), q = shapeOf(adaptor.getQweight()),
        s = shapeOf(adaptor.getScales()), z = shapeOf(adaptor.getZeroPoints());
  Type elem = elemOf(adaptor.getInput());
  if (x.empty() || !isa<FloatType>(elem) || ShapedType::isDynamic(x.back()))
    return fail(loc, "matmul_nbits: the input must be a float tensor with a static last dim");
  auto isInt = [](Value v) { return isa<IntegerType>(elemOf(v)); };
  if (q.size() != 2 || ShapedType::isDynamic(q[0]) || ShapedType::isDynamic(q[1]) ||
      !isInt(adaptor.getQweight()))
    return fail(loc, "matmul_nbits: qweight must be a static [N, K] integer tensor");
  int64_t n = q[0], k = q[1], groups = (k + group - 1) / group;
  if (x.back() != k)
    return fail(loc, "matmul_nbits: the input has " + Twine(x.back()) + " features, qweight " +
                         shape::toString(q) + " expects K = " + Twine(k));
  if (s != Shape{n, groups} || elemOf(adaptor.getScales()) != elem)
    return fail(loc, "matmul_nbits: scales " + shape::toString(s) + " must be [" + Twine(n) +
                         ", " + Twine(groups) + "] of the input's element type");
  if (z != Shape{n, groups} || !isInt(adaptor.getZeroPoints()))
    return fail(loc, "matmul_nbits: zero_points " + shape::toString(z) + " must be [" +
                         Twine(n) + ", " + Twine(groups) + "] integers");
  Shape out = x;
  out.back() = n;
  types.push_back(RankedTensorType::get(out, elem));
  return success();
}

LogicalResult MatMulW8A8Op::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                             MatMulW8A8Op::Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  StringRef mode = adaptor.getActQuant();
  std::optional<float> actScale;
  if (auto a = adaptor.getActScaleAttr())
    actScale = a.getValueAsDouble();
  if (mode == "per-token") {
    if (actScale)
      return fail(loc, "matmul_w8a8: act_scale is for act_quant = \"per-tensor\" only");
  } else if (mode == "per-tensor") {
    // A zero scale would divide by zero at run time; NaN / inf quantize nothing.
    if (!actScale || !std::isfinite(*actScale) || *actScale <= 0.0f)
      return fail(loc, "matmul_w8a8: act_quant = \"per-tensor\" needs a finite act_scale > 0");
  } else {
    return fail(loc, "matmul_w8a8: act_quant must be \"per-token\" or \"per-tensor\", got \"" +
                         mode + "\"");
  }
  Shape x = shapeOf(adaptor.getInput()), w = shapeOf(adaptor.getWeight()),
        s = shapeOf(adaptor.getWeightScales());
  Type elem = elemOf(adaptor.getInput());
  if (x.empty() || !isa<FloatType>(elem) || ShapedType::isDynamic(x.back()))
    return fail(loc, "matmul_w8a8: the input must be a float tensor with a static last dim");
  auto wt = dyn_cast<IntegerType>(elemOf(adaptor.getWeight()));
  if (w.size() != 2 || ShapedType::isDynamic(w[0]) || ShapedType::isDynamic(w[1]) || !wt ||
      wt.getWidth() != 8)
    return fail(loc, "matmul_w8a8: weight must be a static [N, K] i8 tensor");
  int64_t n = w[0], k = w[1];
  if (x.back() != k)
    return fail(loc, "matmul_w8a8: the input has " + Twine(x.back()) + " features, weight " +
                         shape::toString(w) + " expects K = " + Twine(k));
  if (s != Shape{n} || elemOf(adaptor.getWeightScales()) != elem)
    return fail(loc, "matmul_w8a8: weight_scales " + shape::toString(s) + " must be [" +
                         Twine(n) + "] of the input's element type");
  Shape out = x;
  out.back() = n;
  types.push_back(RankedTensorType::get(out, elem));
  return success();
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            AttentionOp::Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  int64_t heads = int64_t(adaptor.getHeads()), kvHeads = int64_t(adaptor.getKvHeads()),
          hd = int64_t(adaptor.getHeadDim());
  if (heads < 1 || kvHeads < 1 || hd < 1)
    return fail(loc, "attention: heads, kv_heads and head_dim must be >= 1");
  if (heads % kvHeads != 0)
    return fail(loc, "attention: kv_heads (" + Twine(kvHeads) + ") must divide heads (" +
                         Twine(heads) + ")");
  if (failed(checkHeads(loc, "attention", "q", adaptor.getQ(), heads, hd)) ||
      failed(checkHeads(loc, "attention", "k", adaptor.getK(), kvHeads, hd)) ||
      failed(checkHeads(loc, "attention", "v", adaptor.getV(), kvHeads, hd)))
    return failure();
  Type elem = elemOf(adaptor.getQ());
  if (elemOf(adaptor.getK()) != elem || elemOf(adaptor.getV()) != elem)
    return fail(loc, "attention: q, k and v must have one element type");
  int64_t kRows = shapeOf(adaptor.getK())[0], vRows = shapeOf(adaptor.getV())[0];
  if (!ShapedType::isDynamic(kRows) && !ShapedType::isDynamic(vRows) && kRows != vRows)
    return fail(loc, "attention: k has " + Twine(kRows) + " rows, v " + Twine(vRows));
  int64_t qRows = shapeOf(adaptor.getQ())[0];
  if (adaptor.getCausal() && !ShapedType::isDynamic(qRows) && !ShapedType::isDynamic(kRows) &&
      kRows < qRows)
    return fail(loc, "attention: causal attention needs at least as many keys (" +
                         dimString(kRows) + ") as queries (" + dimString(qRows) + ")");
  types.push_back(adaptor.getQ().getType());
  return success();
}
