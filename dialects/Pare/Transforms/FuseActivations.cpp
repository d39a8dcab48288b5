//===- FuseActivations.cpp - fuse activations into producers --------------===//

#include "dialects/Pare/Transforms/ActivationUtils.h"
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

bool canCarryActivation(Operation *op) {
  if (isa<ConvOp, ConvTransposeOp, GemmOp, MatMulOp>(op))
    return true;
  if (isa<AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp>(op))
    return cast<RankedTensorType>(op->getResult(0).getType()).getElementType().isF32();
  return false;
}

/// True when `v` is a constant whose every element equals `x`.
bool isSplatOf(Value v, double x) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || !isa<FloatType>(attr.getElementType()) ||
      !attr.isSplat())
    return false;
  APFloat f = attr.getSplatValue<APFloat>();
  bool lost;
  f.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
  return std::abs(f.convertToDouble() - x) < 1e-6 * std::abs(x);
}

struct FuseIntoProducer : RewritePattern {
  FuseIntoProducer(MLIRContext *ctx) : RewritePattern(MatchAnyOpTypeTag(), 1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rw) const override {
    auto act = activationOf(op);
    if (!act)
      return failure();
    Operation *producer = op->getOperand(0).getDefiningOp();
    // Activations are elementwise: act(reshape(p)) == reshape(act(p)).
    auto reshape = dyn_cast_or_null<ReshapeOp>(producer);
    if (reshape && reshape->hasOneUse())
      producer = reshape.getInput().getDefiningOp();
    else
      reshape = nullptr;
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
    rw.replaceOp(op, reshape ? reshape->getResults() : producer->getResults());
    return success();
  }
};

/// Exporters spell exact GELU as x * (erf(x / sqrt(2)) + 1) * 0.5: one gelu.
struct RecognizeGelu : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp half, PatternRewriter &rw) const override {
    for (int i = 0; i < 2; ++i) {
      auto inner = half->getOperand(i).getDefiningOp<MulOp>();
      if (!inner || !inner->hasOneUse() || !isSplatOf(half->getOperand(1 - i), 0.5) ||
          half.getActivation() || inner.getActivation())
        continue;
      for (int j = 0; j < 2; ++j) {
        Value x = inner->getOperand(j);
        auto add = inner->getOperand(1 - j).getDefiningOp<AddOp>();
        if (!add || !add->hasOneUse() || add.getActivation())
          continue;
        for (int k = 0; k < 2; ++k) {
          auto erf = add->getOperand(k).getDefiningOp<ErfOp>();
          if (!erf || !erf->hasOneUse() || !isSplatOf(add->getOperand(1 - k), 1.0))
            continue;
          auto div = erf.getInput().getDefiningOp<DivOp>();
          if (!div || !div->hasOneUse() || div.getLhs() != x ||
              !isSplatOf(div.getRhs(), 1.4142135381698608) || x.getType() != half.getType())
            continue;
          Location loc = rw.getFusedLoc(
              {div.getLoc(), erf.getLoc(), add.getLoc(), inner.getLoc(), half.getLoc()});
          Value g = GeluOp::create(rw, loc, half.getType(), x, rw.getBoolAttr(false));
          rw.replaceOp(half, g);
          rw.eraseOp(inner);
          rw.eraseOp(add);
          rw.eraseOp(erf);
          rw.eraseOp(div);
          return success();
        }
      }
    }
    return rw.notifyMatchFailure(half, "not x * (erf(x / sqrt 2) + 1) * 0.5");
  }
};

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

/// matmul(x, W) + b with a constant [N] (or [1, N]) bias b and x of rank >= 2
/// becomes gemm(reshape(x, [M, K]), W, b) (reshaped back): the bias is added
/// in the matmul kernel instead of in a second pass over the output. Linear
/// layers exported by PyTorch take this form.
struct MatMulBiasToGemm : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp add, PatternRewriter &rw) const override {
    if (add.getActivation())
      return rw.notifyMatchFailure(add, "add carries an activation");
    for (int i = 0; i < 2; ++i) {
      auto mm = add->getOperand(i).getDefiningOp<MatMulOp>();
      Value bias = add->getOperand(1 - i);
      if (!mm || !mm->hasOneUse() || mm.getActivation() || !matchPattern(bias, m_Constant()))
        continue;
      auto a = cast<RankedTensorType>(mm.getA().getType());
      auto b = cast<RankedTensorType>(mm.getB().getType());
      auto out = cast<RankedTensorType>(add.getType());
      if (a.getRank() < 2 || b.getRank() != 2 || out != mm.getType() || !a.getElementType().isF32())
        continue;
      auto bs = cast<RankedTensorType>(bias.getType()).getShape();
      int64_t n = b.getDimSize(1), k = b.getDimSize(0);
      int64_t nonOne = 0;
      for (int64_t d : bs)
        nonOne += d != 1;
      if (bs.empty() || bs.back() != n || nonOne > 1)
        continue;
      Location loc = rw.getFusedLoc({mm.getLoc(), add.getLoc()});
      int64_t m = a.getNumElements() / k;
      Value a2 = mm.getA();
      if (a.getRank() != 2)
        a2 = ReshapeOp::create(rw, loc, RankedTensorType::get({m, k}, a.getElementType()), a2);
      Value c = bias;
      if (bs.size() != 1)
        c = ReshapeOp::create(rw, loc, RankedTensorType::get({n}, a.getElementType()), bias);
      auto gemm = GemmOp::create(rw, loc, RankedTensorType::get({m, n}, a.getElementType()), a2,
                                 mm.getB(), c, rw.getF32FloatAttr(1.0f), rw.getF32FloatAttr(1.0f),
                                 rw.getBoolAttr(false), rw.getBoolAttr(false), StringAttr(),
                                 DenseF32ArrayAttr());
      Value r = gemm.getResult();
      if (out.getRank() != 2)
        r = ReshapeOp::create(rw, loc, out, r);
      rw.replaceOp(add, r);
      rw.eraseOp(mm);
      return success();
    }
    return rw.notifyMatchFailure(add, "not matmul + constant bias");
  }
};

struct FuseActivationsPass : pare::impl::FuseActivationsPassBase<FuseActivationsPass> {
  using Base::Base;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    {
      RewritePatternSet patterns(ctx);
      patterns.add<MatMulBiasToGemm>(ctx);
      if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
        return signalPassFailure();
    }
    {
      RewritePatternSet patterns(ctx);
      patterns.add<FuseIntoProducer>(ctx);
      if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
        return signalPassFailure();
    }
    RewritePatternSet patterns(ctx);
    patterns.add<RecognizeHardSwish, RecognizeGelu, FuseIntoProducer>(ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
