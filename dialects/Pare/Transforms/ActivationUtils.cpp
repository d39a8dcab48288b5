//===- ActivationUtils.cpp - activations as (name, parameters) ------------===//
#include "dialects/Pare/Transforms/ActivationUtils.h"

#include "dialects/Pare/IR/PareOps.h"

#include "llvm/ADT/StringSwitch.h"

#include <cmath>

using namespace mlir;

namespace pare {

std::optional<Activation> activationOf(Operation *op) {
  using R = Activation;
  if (isa<ReluOp>(op))
    return R{"relu", {}};
  if (auto c = dyn_cast<ClipOp>(op))
    return R{"clip", {c.getMin().convertToFloat(), c.getMax().convertToFloat()}};
  if (auto l = dyn_cast<LeakyReluOp>(op))
    return R{"leaky_relu", {l.getAlpha().convertToFloat()}};
  if (isa<SigmoidOp>(op))
    return R{"sigmoid", {}};
  if (auto h = dyn_cast<HardSigmoidOp>(op))
    return R{"hard_sigmoid", {h.getAlpha().convertToFloat(), h.getBeta().convertToFloat()}};
  if (isa<HardSwishOp>(op))
    return R{"hard_swish", {}};
  if (isa<TanhOp>(op))
    return R{"tanh", {}};
  if (auto g = dyn_cast<GeluOp>(op))
    return R{g.getTanhApproximation() ? "gelu_tanh" : "gelu", {}};
  if (auto e = dyn_cast<EluOp>(op))
    return R{"elu", {e.getAlpha().convertToFloat()}};
  if (auto s = dyn_cast<SeluOp>(op))
    return R{"selu", {s.getAlpha().convertToFloat(), s.getGamma().convertToFloat()}};
  if (isa<SoftplusOp>(op))
    return R{"softplus", {}};
  if (isa<SoftsignOp>(op))
    return R{"softsign", {}};
  if (auto t = dyn_cast<ThresholdedReluOp>(op))
    return R{"thresholded_relu", {t.getAlpha().convertToFloat()}};
  if (auto c = dyn_cast<CeluOp>(op))
    return R{"celu", {c.getAlpha().convertToFloat()}};
  if (isa<MishOp>(op))
    return R{"mish", {}};
  return std::nullopt;
}

std::optional<size_t> activationParamCount(StringRef name) {
  return llvm::StringSwitch<std::optional<size_t>>(name)
      .Cases({"relu", "sigmoid", "hard_swish", "tanh", "gelu", "gelu_tanh", "softplus", "softsign",
              "mish"},
             0)
      .Cases({"leaky_relu", "elu", "thresholded_relu", "celu"}, 1)
      .Cases({"clip", "hard_sigmoid", "selu"}, 2)
      .Default(std::nullopt);
}

Operation *splitFusedActivation(Operation *op) {
  auto name = op->getAttrOfType<StringAttr>("activation");
  if (!name)
    return nullptr;
  SmallVector<float> params;
  if (auto p = op->getAttrOfType<DenseF32ArrayAttr>("activation_params"))
    params.assign(p.asArrayRef().begin(), p.asArrayRef().end());
  OpBuilder b(op->getContext());
  b.setInsertionPointAfter(op);
  Value r = op->getResult(0);
  Value act = createActivation(b, op->getLoc(), name.getValue(), params, r);
  if (!act)
    return nullptr;
  r.replaceAllUsesExcept(act, act.getDefiningOp());
  op->removeAttr("activation");
  op->removeAttr("activation_params");
  return act.getDefiningOp();
}

Value createActivation(OpBuilder &b, Location loc, StringRef name, ArrayRef<float> p, Value x) {
  std::optional<size_t> count = activationParamCount(name);
  if (!count || p.size() < *count)
    return Value();
  Type t = x.getType();
  auto f = [&](size_t i) { return b.getF32FloatAttr(p[i]); };
  if (name == "relu")
    return ReluOp::create(b, loc, t, x);
  if (name == "clip")
    return ClipOp::create(b, loc, t, x, f(0), f(1));
  if (name == "leaky_relu")
    return LeakyReluOp::create(b, loc, t, x, f(0));
  if (name == "sigmoid")
    return SigmoidOp::create(b, loc, t, x);
  if (name == "hard_sigmoid")
    return HardSigmoidOp::create(b, loc, t, x, f(0), f(1));
  if (name == "hard_swish")
    return HardSwishOp::create(b, loc, t, x);
  if (name == "tanh")
    return TanhOp::create(b, loc, t, x);
  if (name == "gelu" || name == "gelu_tanh")
    return GeluOp::create(b, loc, t, x, b.getBoolAttr(name == "gelu_tanh"));
  if (name == "elu")
    return EluOp::create(b, loc, t, x, f(0));
  if (name == "selu")
    return SeluOp::create(b, loc, t, x, f(0), f(1));
  if (name == "softplus")
    return SoftplusOp::create(b, loc, t, x);
  if (name == "softsign")
    return SoftsignOp::create(b, loc, t, x);
  if (name == "thresholded_relu")
    return ThresholdedReluOp::create(b, loc, t, x, f(0));
  if (name == "celu")
    return CeluOp::create(b, loc, t, x, f(0));
  if (name == "mish")
    return MishOp::create(b, loc, t, x);
  return Value();
}

std::optional<double> evalActivation(StringRef name, ArrayRef<float> p, double x) {
  std::optional<size_t> count = activationParamCount(name);
  if (!count || p.size() < *count)
    return std::nullopt;
  auto softplus = [](double v) { return v > 20 ? v : std::log1p(std::exp(v)); };
  // ONNX semantics, as the C kernels: NaN stays NaN (relu, clip, celu ...);
  // clip is min(max(x, lo), hi) in that order, so lo > hi gives hi.
  if (name == "relu")
    return x < 0 ? 0.0 : x;
  if (name == "clip") {
    double t = x < double(p[0]) ? double(p[0]) : x;
    return t > double(p[1]) ? double(p[1]) : t;
  }
  if (name == "leaky_relu")
    return x >= 0 ? x : p[0] * x;
  if (name == "sigmoid")
    return 1.0 / (1.0 + std::exp(-x));
  if (name == "hard_sigmoid")
    return std::max(0.0, std::min(1.0, p[0] * x + p[1]));
  if (name == "hard_swish")
    return x * std::max(0.0, std::min(1.0, x / 6.0 + 0.5));
  if (name == "tanh")
    return std::tanh(x);
  if (name == "gelu")
    return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
  if (name == "gelu_tanh")
    return 0.5 * x * (1.0 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
  if (name == "elu")
    return x >= 0 ? x : p[0] * (std::exp(x) - 1.0);
  if (name == "selu")
    return p[1] * (x > 0 ? x : p[0] * (std::exp(x) - 1.0));
  if (name == "softplus")
    return softplus(x);
  if (name == "softsign")
    return x / (1.0 + std::fabs(x));
  if (name == "thresholded_relu")
    return x > p[0] ? x : 0.0;
  if (name == "celu")
    return std::isnan(x) ? x : std::max(0.0, x) + std::min(0.0, p[0] * (std::exp(x / p[0]) - 1.0));
  if (name == "mish")
    return x * std::tanh(softplus(x));
  return std::nullopt;
}

} // namespace pare
