//===- FoldBatchNorm.cpp - fold batch norm into conv / gemm ---------------===//
//
// A batch norm whose input is a single-use conv, conv_transpose or gemm with
// constant weights becomes that op with scaled weights and a shifted bias.
//

#include "dialects/Pare/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace pare {
#define GEN_PASS_DEF_FOLDBATCHNORMPASS
#include "dialects/Pare/Transforms/Passes.h.inc"
} // namespace pare

using namespace mlir;
using namespace pare;

namespace {

std::optional<std::vector<float>> floats(Value v) {
  DenseElementsAttr attr;
  if (!v || !matchPattern(v, m_Constant(&attr)) || !attr.getElementType().isF32())
    return std::nullopt;
  auto r = attr.getValues<float>();
  return std::vector<float>(r.begin(), r.end());
}

Value f32Const(PatternRewriter &rw, Location loc, ArrayRef<int64_t> shape, ArrayRef<float> data) {
  auto type = RankedTensorType::get(shape, rw.getF32Type());
  return ConstantOp::create(rw, loc, type, DenseElementsAttr::get(type, data));
}

/// Per-channel scale s and shift t so that bn(y) = y * s + t.
bool bnAffine(BatchNormOp bn, std::vector<float> &s, std::vector<float> &t) {
  auto g = floats(bn.getScale()), b = floats(bn.getBias()), m = floats(bn.getMean()),
       v = floats(bn.getVariance());
  if (!g || !b || !m || !v)
    return false;
  float eps = bn.getEpsilon().convertToFloat();
  s.resize(g->size());
  t.resize(g->size());
  for (size_t c = 0; c < g->size(); ++c) {
    s[c] = (*g)[c] / std::sqrt((*v)[c] + eps);
    t[c] = (*b)[c] - (*m)[c] * s[c];
  }
  return true;
}

/// A convolution's bias after the fold: (bias, or zeros) * s + t, one per
/// output channel; nullopt when the bias is not a constant.
std::optional<std::vector<float>> foldedBias(Value bias, ArrayRef<float> s, ArrayRef<float> t) {
  std::vector<float> r(s.size(), 0.0f);
  if (bias) {
    auto b = floats(bias);
    if (!b || b->size() != s.size())
      return std::nullopt;
    r = *b;
  }
  for (size_t o = 0; o < r.size(); ++o)
    r[o] = r[o] * s[o] + t[o];
  return r;
}

struct FoldIntoConv : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormOp bn, PatternRewriter &rw) const override {
    auto conv = bn.getInput().getDefiningOp<ConvOp>();
    if (!conv || !conv->hasOneUse() || conv.getActivation() ||
        conv.getChannelsLast() != bn.getChannelsLast())
      return rw.notifyMatchFailure(bn, "input is not a single-use plain conv");
    auto w = floats(conv.getWeight());
    std::vector<float> s, t;
    if (!w || !bnAffine(bn, s, t))
      return rw.notifyMatchFailure(bn, "non-constant weights or parameters");
    auto wshape = cast<RankedTensorType>(conv.getWeight().getType()).getShape();
    int64_t oc = wshape[0], per = int64_t(w->size()) / oc;
    for (int64_t o = 0; o < oc; ++o)
      for (int64_t k = 0; k < per; ++k)
        (*w)[o * per + k] *= s[o];
    auto bias = foldedBias(conv.getBias(), s, t);
    if (!bias)
      return rw.notifyMatchFailure(bn, "non-constant conv bias");
    Location loc = conv.getLoc();
    Value nw = f32Const(rw, conv.getWeight().getLoc(), wshape, *w);
    Value nb = f32Const(rw, loc, {oc}, *bias);
    auto newConv =
        ConvOp::create(rw, loc, conv.getType(), conv.getInput(), nw, nb, conv.getStridesAttr(),
                       conv.getDilationsAttr(), conv.getPadsAttr(), conv.getGroupAttr(),
                       conv.getChannelsLastAttr(), StringAttr(), DenseF32ArrayAttr());
    rw.replaceOp(bn, newConv.getResult());
    rw.eraseOp(conv);
    return success();
  }
};

/// conv_transpose followed by a batch norm over its output channels. The
/// weight is [ic][oc/g][kh][kw] (or [ic][kh][kw][oc/g] channels-last): output
/// channel o = (ic-group of the row) * oc/g + j for column j.
struct FoldIntoConvTranspose : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormOp bn, PatternRewriter &rw) const override {
    auto conv = bn.getInput().getDefiningOp<ConvTransposeOp>();
    if (!conv || !conv->hasOneUse() || conv.getActivation() ||
        conv.getChannelsLast() != bn.getChannelsLast())
      return rw.notifyMatchFailure(bn, "input is not a single-use plain conv_transpose");
    auto w = floats(conv.getWeight());
    std::vector<float> s, t;
    if (!w || !bnAffine(bn, s, t))
      return rw.notifyMatchFailure(bn, "non-constant weights or parameters");
    auto wshape = cast<RankedTensorType>(conv.getWeight().getType()).getShape();
    bool cl = conv.getChannelsLast();
    int64_t ic = wshape[0], ocg = cl ? wshape[3] : wshape[1];
    int64_t group = int64_t(conv.getGroup()), icg = ic / group, oc = ocg * group;
    if (int64_t(s.size()) != oc)
      return rw.notifyMatchFailure(bn, "channel count mismatch");
    // Row-major [ic][A][B][C]: the output column is dim 1 (NCHW) or dim 3.
    int64_t inner = cl ? 1 : wshape[2] * wshape[3], mid = cl ? wshape[1] * wshape[2] : 1;
    for (int64_t i = 0; i < ic; ++i)
      for (int64_t q = 0; q < mid; ++q)
        for (int64_t j = 0; j < ocg; ++j)
          for (int64_t k = 0; k < inner; ++k)
            (*w)[((i * mid + q) * ocg + j) * inner + k] *= s[(i / icg) * ocg + j];
    auto bias = foldedBias(conv.getBias(), s, t);
    if (!bias)
      return rw.notifyMatchFailure(bn, "non-constant conv_transpose bias");
    Location loc = conv.getLoc();
    Value nw = f32Const(rw, conv.getWeight().getLoc(), wshape, *w);
    Value nb = f32Const(rw, loc, {oc}, *bias);
    auto newConv = ConvTransposeOp::create(
        rw, loc, conv.getType(), conv.getInput(), nw, nb, conv.getStridesAttr(),
        conv.getDilationsAttr(), conv.getPadsAttr(), conv.getOutputPaddingAttr(),
        conv.getGroupAttr(), conv.getChannelsLastAttr(), StringAttr(), DenseF32ArrayAttr());
    rw.replaceOp(bn, newConv.getResult());
    rw.eraseOp(conv);
    return success();
  }
};

/// gemm(x, W^T, c) followed by a rank-2 batch norm over N.
struct FoldIntoGemm : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormOp bn, PatternRewriter &rw) const override {
    auto gemm = bn.getInput().getDefiningOp<GemmOp>();
    if (!gemm || !gemm->hasOneUse() || gemm.getActivation())
      return rw.notifyMatchFailure(bn, "input is not a single-use plain gemm");
    auto w = floats(gemm.getB());
    std::vector<float> s, t;
    if (!w || !bnAffine(bn, s, t))
      return rw.notifyMatchFailure(bn, "non-constant weights or parameters");
    auto bshape = cast<RankedTensorType>(gemm.getB().getType()).getShape();
    int64_t n = s.size();
    bool tb = gemm.getTransB();
    int64_t k = tb ? bshape[1] : bshape[0];
    float alpha = gemm.getAlpha().convertToFloat(), beta = gemm.getBeta().convertToFloat();
    for (int64_t j = 0; j < n; ++j)
      for (int64_t q = 0; q < k; ++q)
        (*w)[tb ? j * k + q : q * n + j] *= s[j] * alpha;
    std::vector<float> bias(n, 0.0f);
    if (gemm.getC()) {
      auto c = floats(gemm.getC());
      auto cshape = cast<RankedTensorType>(gemm.getC().getType()).getShape();
      if (!c || !(c->size() == size_t(n) || c->size() == 1) || cshape.size() > 1)
        return rw.notifyMatchFailure(bn, "C is not a constant per-column bias");
      for (int64_t j = 0; j < n; ++j)
        bias[j] = beta * (*c)[c->size() == 1 ? 0 : j];
    }
    for (int64_t j = 0; j < n; ++j)
      bias[j] = bias[j] * s[j] + t[j];
    Location loc = gemm.getLoc();
    Value nw = f32Const(rw, gemm.getB().getLoc(), bshape, *w);
    Value nb = f32Const(rw, loc, {n}, bias);
    auto newGemm =
        GemmOp::create(rw, loc, gemm.getType(), gemm.getA(), nw, nb, rw.getF32FloatAttr(1.0f),
                       rw.getF32FloatAttr(1.0f), gemm.getTransAAttr(), gemm.getTransBAttr(),
                       StringAttr(), DenseF32ArrayAttr());
    rw.replaceOp(bn, newGemm.getResult());
    rw.eraseOp(gemm);
    return success();
  }
};

struct FoldBatchNormPass : pare::impl::FoldBatchNormPassBase<FoldBatchNormPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldIntoConv, FoldIntoConvTranspose, FoldIntoGemm>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
