//===- HandlersMath.cpp - ONNX elementwise and matrix op handlers ---------===//

#include "frontends/onnx/HandlerUtils.h"

using namespace mlir;

namespace pare::onnx_frontend {
namespace {

template <typename OpTy> LogicalResult importBinary(NodeImporter &ni) {
  auto a = need(ni, 0), b = need(ni, 1);
  if (failed(a) || failed(b))
    return failure();
  if (ni.getOpset() < 7 && ni.hasAttr("broadcast"))
    return ni.error("legacy broadcast attribute is not supported");
  return bind(ni, ni.create<OpTy>({*a, *b}));
}

/// Max, Min, Sum, Mean take one or more inputs; folded pairwise.
template <typename OpTy> FailureOr<Value> importVariadic(NodeImporter &ni) {
  if (ni.numInputs() == 0)
    return ni.error("needs at least one input");
  auto acc = need(ni, 0);
  if (failed(acc))
    return failure();
  Value v = *acc;
  for (size_t i = 1; i < ni.numInputs(); ++i) {
    auto next = need(ni, i);
    if (failed(next))
      return failure();
    auto r = ni.create<OpTy>({v, *next});
    if (failed(r))
      return failure();
    v = *r;
  }
  return v;
}

LogicalResult importMean(NodeImporter &ni) {
  auto sum = importVariadic<pare::AddOp>(ni);
  if (failed(sum))
    return failure();
  if (ni.numInputs() == 1) {
    ni.setOutput(0, *sum);
    return success();
  }
  auto type = RankedTensorType::get({}, elemOf(*sum));
  Value n = ni.constant(DenseElementsAttr::get(
      type, FloatAttr::get(elemOf(*sum), double(ni.numInputs())).getValue()));
  return bind(ni, ni.create<pare::DivOp>({*sum, n}));
}

LogicalResult importMod(NodeImporter &ni) {
  auto a = need(ni, 0), b = need(ni, 1);
  if (failed(a) || failed(b))
    return failure();
  bool fmod = ni.getInt("fmod", 0) != 0;
  if (!fmod && isa<FloatType>(elemOf(*a)))
    return ni.error("Mod with fmod=0 on floating-point inputs is invalid ONNX");
  return bind(ni,
              ni.create<pare::ModOp>({*a, *b}, {ni.named("fmod", ni.builder().getBoolAttr(fmod))}));
}

template <typename OpTy> LogicalResult importUnary(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  return bind(ni, ni.create<OpTy>({*x}));
}

template <typename OpTy> LogicalResult importAlpha(NodeImporter &ni, float dflt) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  return bind(ni, ni.create<OpTy>({*x}, {ni.named("alpha", ni.builder().getF32FloatAttr(
                                                               ni.getFloat("alpha", dflt)))}));
}

/// Clip whose min or max is computed by the graph (opset 11+): pare.clip_dynamic
/// with each bound a one-element tensor read at run time; a bound left out is
/// the float range (as pare.clip's), one known at compile time a constant.
LogicalResult importClipDynamic(NodeImporter &ni, Value x) {
  Type t = elemOf(x);
  auto scalar = RankedTensorType::get({}, t);
  Value bounds[2];
  for (size_t i = 1; i <= 2; ++i) {
    StringRef what = i == 1 ? "Clip min" : "Clip max";
    if (!ni.hasInput(i)) {
      float v = i == 1 ? std::numeric_limits<float>::lowest() : std::numeric_limits<float>::max();
      bounds[i - 1] =
          ni.constant(DenseElementsAttr::get(scalar, FloatAttr::get(t, double(v)).getValue()));
      continue;
    }
    Value b = ni.input(i); // (its type is x's: the importer checks ONNX's T)
    if (cast<RankedTensorType>(b.getType()).getNumElements() != 1)
      return ni.error(Twine(what) + " (input " + Twine(i) + ") must hold one value, not " +
                      Twine(cast<RankedTensorType>(b.getType()).getNumElements()));
    bounds[i - 1] = ni.reshape(b, {});
  }
  return bind(ni, ni.create<pare::ClipDynamicOp>({x, bounds[0], bounds[1]}));
}

LogicalResult importClip(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  // Missing bounds are the float range (as onnxruntime: Clip(inf) with no
  // max is FLT_MAX), not infinities.
  float lo = std::numeric_limits<float>::lowest();
  float hi = std::numeric_limits<float>::max();
  if (ni.getOpset() < 11) {
    lo = ni.getFloat("min", lo);
    hi = ni.getFloat("max", hi);
  } else {
    // A bound computed at run time: clip_dynamic. (Integer bounds, constant
    // or not, become max / min operands below.)
    bool isFloat = isa<FloatType>(elemOf(*x));
    if (isFloat && ((ni.hasInput(1) && !ni.constInput(1)) || (ni.hasInput(2) && !ni.constInput(2))))
      return importClipDynamic(ni, *x);
    if (isFloat && ni.hasInput(1)) {
      auto v = ni.constScalarFloat(1, "Clip min");
      if (failed(v))
        return failure();
      lo = float(*v);
    }
    if (isFloat && ni.hasInput(2)) {
      auto v = ni.constScalarFloat(2, "Clip max");
      if (failed(v))
        return failure();
      hi = float(*v);
    }
  }
  if (!isa<FloatType>(elemOf(*x))) {
    // Integer clip: max(min(x, hi), lo) with typed constants.
    auto scalar = RankedTensorType::get({}, elemOf(*x));
    unsigned w = elemOf(*x).getIntOrFloatBitWidth();
    Value v = *x;
    if (ni.hasInput(1)) {
      auto m = ni.create<pare::MaxOp>({v, ni.reshape(ni.input(1), {})});
      if (failed(m))
        return failure();
      v = *m;
    }
    if (ni.hasInput(2)) {
      auto m = ni.create<pare::MinOp>({v, ni.reshape(ni.input(2), {})});
      if (failed(m))
        return failure();
      v = *m;
    }
    (void)scalar;
    (void)w;
    ni.setOutput(0, v);
    return success();
  }
  auto &b = ni.builder();
  return bind(ni, ni.create<pare::ClipOp>({*x}, {ni.named("min", b.getF32FloatAttr(lo)),
                                                 ni.named("max", b.getF32FloatAttr(hi))}));
}

LogicalResult importHardSigmoid(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  auto &b = ni.builder();
  return bind(ni, ni.create<pare::HardSigmoidOp>(
                      {*x}, {ni.named("alpha", b.getF32FloatAttr(ni.getFloat("alpha", 0.2f))),
                             ni.named("beta", b.getF32FloatAttr(ni.getFloat("beta", 0.5f)))}));
}

LogicalResult importSelu(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  auto &b = ni.builder();
  return bind(
      ni,
      ni.create<pare::SeluOp>(
          {*x},
          {ni.named("alpha", b.getF32FloatAttr(ni.getFloat("alpha", 1.67326319217681884765625f))),
           ni.named("gamma",
                    b.getF32FloatAttr(ni.getFloat("gamma", 1.05070102214813232421875f)))}));
}

LogicalResult importGelu(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  std::string approx = ni.getString("approximate", "none");
  if (approx != "none" && approx != "tanh")
    return ni.error("unknown Gelu approximation '" + approx + "'");
  return bind(
      ni, ni.create<pare::GeluOp>(
              {*x}, {ni.named("tanh_approximation", ni.builder().getBoolAttr(approx == "tanh"))}));
}

/// PRelu(x, slope) = max(x, 0) + slope * min(x, 0).
LogicalResult importPRelu(NodeImporter &ni) {
  auto x = need(ni, 0), slope = need(ni, 1);
  if (failed(x) || failed(slope))
    return failure();
  auto zero = ni.constant(DenseElementsAttr::get(RankedTensorType::get({}, elemOf(*x)),
                                                 FloatAttr::get(elemOf(*x), 0.0).getValue()));
  auto pos = ni.create<pare::MaxOp>({*x, zero});
  auto neg = ni.create<pare::MinOp>({*x, zero});
  if (failed(pos) || failed(neg))
    return failure();
  auto scaled = ni.create<pare::MulOp>({*neg, *slope});
  if (failed(scaled))
    return failure();
  auto sum = ni.create<pare::AddOp>({*pos, *scaled});
  if (failed(sum) || shapeOf(*sum) != shapeOf(*x))
    return failed(sum) ? failure() : ni.error("PRelu slope must broadcast to the input shape");
  ni.setOutput(0, *sum);
  return success();
}

LogicalResult importGemm(NodeImporter &ni) {
  auto a = need(ni, 0), b = need(ni, 1);
  if (failed(a) || failed(b))
    return failure();
  SmallVector<Value> ops{*a, *b};
  if (Value c = ni.input(2))
    ops.push_back(c);
  auto &bd = ni.builder();
  return bind(ni, ni.create<pare::GemmOp>(
                      ops, {ni.named("alpha", bd.getF32FloatAttr(ni.getFloat("alpha", 1.0f))),
                            ni.named("beta", bd.getF32FloatAttr(ni.getFloat("beta", 1.0f))),
                            ni.named("trans_a", bd.getBoolAttr(ni.getInt("transA", 0))),
                            ni.named("trans_b", bd.getBoolAttr(ni.getInt("transB", 0)))}));
}

LogicalResult importMatMul(NodeImporter &ni) {
  auto a = need(ni, 0), b = need(ni, 1);
  if (failed(a) || failed(b))
    return failure();
  if (!isa<FloatType>(elemOf(*a)))
    return ni.error("integer MatMul is not supported on the float path");
  // A weight dequantized from 4-bit blocks: the 4-bit matmul.
  auto nbits = importNBitsMatMul(ni, *a, *b);
  if (failed(nbits) || *nbits)
    return bind(ni, nbits);
  return bind(ni, ni.create<pare::MatMulOp>({*a, *b}));
}

LogicalResult importWhere(NodeImporter &ni) {
  auto c = need(ni, 0), x = need(ni, 1), y = need(ni, 2);
  if (failed(c) || failed(x) || failed(y))
    return failure();
  return bind(ni, ni.create<pare::WhereOp>({*c, *x, *y}));
}

} // namespace

/// Pow with base and exponent of different types: the exponent is cast to
/// the base type for float bases; integer bases are raised in float and cast
/// back (ONNX's result has the base's type).
LogicalResult importPow(NodeImporter &ni) {
  auto a = need(ni, 0), b = need(ni, 1);
  if (failed(a) || failed(b))
    return failure();
  Type at = elemOf(*a), bt = elemOf(*b);
  if (at == bt)
    return bind(ni, ni.create<pare::PowOp>({*a, *b}));
  auto &bd = ni.builder();
  if (isa<FloatType>(at)) {
    auto e = ni.create<pare::CastOp>({*b}, {ni.named("to", TypeAttr::get(at))});
    if (failed(e))
      return failure();
    return bind(ni, ni.create<pare::PowOp>({*a, *e}));
  }
  Type f32 = bd.getF32Type();
  auto af = ni.create<pare::CastOp>({*a}, {ni.named("to", TypeAttr::get(f32))});
  auto bf = ni.create<pare::CastOp>({*b}, {ni.named("to", TypeAttr::get(f32))});
  if (failed(af) || failed(bf))
    return failure();
  auto p = ni.create<pare::PowOp>({*af, *bf});
  if (failed(p))
    return failure();
  return bind(ni, ni.create<pare::CastOp>({*p}, {ni.named("to", TypeAttr::get(at))}));
}

void registerMathHandlers() {
#define PARE_BIN(NAME, OP)                                                                         \
  for (int v : {7, 13, 14})                                                                        \
    registerHandler(NAME, v, importBinary<OP>);
  PARE_BIN("Add", pare::AddOp)
  PARE_BIN("Sub", pare::SubOp)
  PARE_BIN("Mul", pare::MulOp)
  PARE_BIN("Div", pare::DivOp)
#undef PARE_BIN
  for (int v : {7, 12, 13, 15})
    registerHandler("Pow", v, importPow);
  for (int v : {10, 13})
    registerHandler("Mod", v, importMod);
  for (int v : {8, 12, 13}) {
    registerHandler("Max", v,
                    [](NodeImporter &ni) { return bind(ni, importVariadic<pare::MaxOp>(ni)); });
    registerHandler("Min", v,
                    [](NodeImporter &ni) { return bind(ni, importVariadic<pare::MinOp>(ni)); });
    registerHandler("Sum", v,
                    [](NodeImporter &ni) { return bind(ni, importVariadic<pare::AddOp>(ni)); });
    registerHandler("Mean", v, importMean);
  }
  for (int v : {7, 11, 13, 19}) {
    registerHandler("Equal", v, importBinary<pare::EqualOp>);
  }
  for (int v : {7, 9, 13}) {
    registerHandler("Less", v, importBinary<pare::LessOp>);
    registerHandler("Greater", v, importBinary<pare::GreaterOp>);
  }
  for (int v : {12, 16}) {
    registerHandler("LessOrEqual", v, importBinary<pare::LessOrEqualOp>);
    registerHandler("GreaterOrEqual", v, importBinary<pare::GreaterOrEqualOp>);
  }
  registerHandler("And", 7, importBinary<pare::AndOp>);
  registerHandler("Or", 7, importBinary<pare::OrOp>);
  registerHandler("Xor", 7, importBinary<pare::XorOp>);
  registerHandler("Not", 1, importUnary<pare::NotOp>);
  for (int v : {9, 16})
    registerHandler("Where", v, importWhere);

#define PARE_UN(NAME, OP, ...)                                                                     \
  for (int v : {__VA_ARGS__})                                                                      \
    registerHandler(NAME, v, importUnary<OP>);
  PARE_UN("Sqrt", pare::SqrtOp, 6, 13)
  PARE_UN("Exp", pare::ExpOp, 6, 13)
  PARE_UN("Erf", pare::ErfOp, 9, 13)
  PARE_UN("Neg", pare::NegOp, 6, 13)
  PARE_UN("Reciprocal", pare::ReciprocalOp, 6, 13)
  PARE_UN("Abs", pare::AbsOp, 6, 13)
  PARE_UN("Log", pare::LogOp, 6, 13)
  PARE_UN("Floor", pare::FloorOp, 6, 13)
  PARE_UN("Ceil", pare::CeilOp, 6, 13)
  PARE_UN("Round", pare::RoundOp, 11)
  PARE_UN("Sign", pare::SignOp, 9, 13)
  PARE_UN("Sin", pare::SinOp, 7)
  PARE_UN("Cos", pare::CosOp, 7)
  PARE_UN("Tan", pare::TanOp, 7)
  PARE_UN("Asin", pare::AsinOp, 7)
  PARE_UN("Acos", pare::AcosOp, 7)
  PARE_UN("Atan", pare::AtanOp, 7)
  PARE_UN("Sinh", pare::SinhOp, 9)
  PARE_UN("Cosh", pare::CoshOp, 9)
  PARE_UN("Asinh", pare::AsinhOp, 9)
  PARE_UN("Acosh", pare::AcoshOp, 9)
  PARE_UN("Atanh", pare::AtanhOp, 9)
  PARE_UN("Relu", pare::ReluOp, 6, 13, 14)
  PARE_UN("Sigmoid", pare::SigmoidOp, 6, 13)
  PARE_UN("Tanh", pare::TanhOp, 6, 13)
  PARE_UN("HardSwish", pare::HardSwishOp, 14)
  PARE_UN("Softplus", pare::SoftplusOp, 1)
  PARE_UN("Softsign", pare::SoftsignOp, 1)
  PARE_UN("Mish", pare::MishOp, 18)
#undef PARE_UN
  for (int v : {6, 11, 12, 13})
    registerHandler("Clip", v, importClip);
  for (int v : {6, 16})
    registerHandler("LeakyRelu", v,
                    [](NodeImporter &ni) { return importAlpha<pare::LeakyReluOp>(ni, 0.01f); });
  registerHandler("Elu", 6, [](NodeImporter &ni) { return importAlpha<pare::EluOp>(ni, 1.0f); });
  registerHandler("Celu", 12, [](NodeImporter &ni) { return importAlpha<pare::CeluOp>(ni, 1.0f); });
  registerHandler("ThresholdedRelu", 10,
                  [](NodeImporter &ni) { return importAlpha<pare::ThresholdedReluOp>(ni, 1.0f); });
  registerHandler("HardSigmoid", 6, importHardSigmoid);
  registerHandler("Selu", 6, importSelu);
  registerHandler("Gelu", 20, importGelu);
  for (int v : {7, 9, 16})
    registerHandler("PRelu", v, importPRelu);
  for (int v : {7, 9, 11, 13})
    registerHandler("Gemm", v, importGemm);
  for (int v : {1, 9, 13})
    registerHandler("MatMul", v, importMatMul);
}

} // namespace pare::onnx_frontend
