//===- FuseActivations.cpp - fuse activations into producers --------------===//

#include "dialects/Pare/Transforms/Passes.h"

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

struct FuseActivationsPass : pare::impl::FuseActivationsPassBase<FuseActivationsPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseIntoProducer>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
