//===- FuseActivations.cpp - fuse activations into producers --------------===//

#include "dialects/Pare/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace pare {
#define GEN_PASS_DEF_FUSEACTIVATIONSPASS
#include "dialects/Pare/Transforms/Passes.h.inc"
} // namespace pare

using namespace mlir;
using namespace pare;

namespace {

/// The fused-activation name and parameters of an activation op, if it is one.
std::optional<std::pair<StringRef, SmallVector<float>>> activationOf(Operation *op) {
  using R = std::pair<StringRef, SmallVector<float>>;
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

bool canCarryActivation(Operation *op) {
  if (isa<ConvOp, GemmOp, MatMulOp>(op))
    return true;
  if (isa<AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp>(op))
    return cast<RankedTensorType>(op->getResult(0).getType()).getElementType().isF32();
  return false;
}

struct FuseIntoProducer : RewritePattern {
  FuseIntoProducer(MLIRContext *ctx) : RewritePattern(MatchAnyOpTypeTag(), 1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rw) const override {
    auto act = activationOf(op);
    if (!act)
      return failure();
    Operation *producer = op->getOperand(0).getDefiningOp();
    if (!producer || !canCarryActivation(producer) || !producer->hasOneUse() ||
        producer->hasAttr("activation") ||
        !cast<RankedTensorType>(op->getResult(0).getType()).getElementType().isF32())
      return rw.notifyMatchFailure(op, "producer cannot take the activation");
    rw.modifyOpInPlace(producer, [&] {
      producer->setAttr("activation", rw.getStringAttr(act->first));
      if (!act->second.empty())
        producer->setAttr("activation_params", rw.getDenseF32ArrayAttr(act->second));
      // Keep both ONNX node names: codegen cites them in its comments.
      producer->setLoc(rw.getFusedLoc({producer->getLoc(), op->getLoc()}));
    });
    rw.replaceOp(op, producer->getResults());
    return success();
  }
};

/// True when `v` is a constant whose every element equals `x`.
bool isSplatOf(Value v, double x) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || !isa<FloatType>(attr.getElementType()) ||
      !attr.isSplat())
    return false;
  return std::abs(attr.getSplatValue<APFloat>().convertToDouble() - x) < 1e-6 * std::abs(x);
}

/// Exporters spell hard-swish as x * relu6(x + 3) / 6. After the clip is fused
/// into the add, this is div(mul(x, add(x, 3){clip 0..6}), 6) (or a mul by
/// 1/6): one hard_swish op, which can in turn fuse into x's producer.
struct RecognizeHardSwish : OpRewritePattern<DivOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DivOp div, PatternRewriter &rw) const override {
    if (!isSplatOf(div.getRhs(), 6.0) || div.getActivation())
      return rw.notifyMatchFailure(div, "not a division by 6");
    auto mul = div.getLhs().getDefiningOp<MulOp>();
    if (!mul || !mul->hasOneUse() || mul.getActivation())
      return rw.notifyMatchFailure(div, "not x * relu6(x + 3) / 6");
    for (int i = 0; i < 2; ++i) {
      Value x = mul->getOperand(i);
      auto add = mul->getOperand(1 - i).getDefiningOp<AddOp>();
      if (!add || !add->hasOneUse() || add.getLhs() != x || !isSplatOf(add.getRhs(), 3.0))
        continue;
      auto act = add.getActivation();
      auto params = add.getActivationParams();
      if (!act || *act != "clip" || !params || params->size() != 2 || (*params)[0] != 0.0f ||
          (*params)[1] != 6.0f)
        continue;
      if (x.getType() != div.getType())
        continue;
      Location loc = rw.getFusedLoc({add.getLoc(), mul.getLoc(), div.getLoc()});
      Value hs = HardSwishOp::create(rw, loc, div.getType(), x);
      rw.replaceOp(div, hs);
      rw.eraseOp(mul);
      rw.eraseOp(add);
      return success();
    }
    return rw.notifyMatchFailure(div, "not x * relu6(x + 3) / 6");
  }
};

struct FuseActivationsPass : pare::impl::FuseActivationsPassBase<FuseActivationsPass> {
  using Base::Base;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    {
      RewritePatternSet patterns(ctx);
      patterns.add<FuseIntoProducer>(ctx);
      if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
        return signalPassFailure();
    }
    RewritePatternSet patterns(ctx);
    patterns.add<RecognizeHardSwish, FuseIntoProducer>(ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
