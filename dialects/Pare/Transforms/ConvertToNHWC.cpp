//===- ConvertToNHWC.cpp - compute spatial ops channels-last --------------===//

#include "dialects/Pare/Transforms/Passes.h"

#include "dialects/Pare/IR/QuantUtils.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace pare {
#define GEN_PASS_DEF_CONVERTTONHWCPASS
#include "dialects/Pare/Transforms/Passes.h.inc"
} // namespace pare

using namespace mlir;
using namespace pare;

namespace {

constexpr int64_t kToNHWC[] = {0, 2, 3, 1};
constexpr int64_t kToNCHW[] = {0, 3, 1, 2};

SmallVector<int64_t> shapeOf(Value v) {
  auto s = cast<RankedTensorType>(v.getType()).getShape();
  return SmallVector<int64_t>(s.begin(), s.end());
}

Value transpose(PatternRewriter &rw, Location loc, Value v, ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> out;
  for (int64_t p : perm)
    out.push_back(type.getDimSize(p));
  auto rt = RankedTensorType::get(out, type.getElementType());
  Value t = TransposeOp::create(rw, loc, rt, v, rw.getDenseI64ArrayAttr(perm));
  // Fold constant weights right away.
  if (matchPattern(v, m_Constant())) {
    SmallVector<Value> folded;
    if (succeeded(rw.tryFold(t.getDefiningOp(), folded))) {
      rw.eraseOp(t.getDefiningOp());
      return folded[0];
    }
  }
  return t;
}

SmallVector<int64_t> inverse(ArrayRef<int64_t> perm) {
  SmallVector<int64_t> inv(perm.size());
  for (size_t i = 0; i < perm.size(); ++i)
    inv[perm[i]] = i;
  return inv;
}

/// Wraps a rank-4 NCHW spatial op: transposes its data input (and, for conv
/// and conv_transpose, its weight) to NHWC, sets channels_last, transposes the result back.
template <typename OpTy> struct ToChannelsLast : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rw) const override {
    if (op.getChannelsLast())
      return rw.notifyMatchFailure(op, "already channels-last");
    Value in = op->getOperand(0);
    if (shapeOf(in).size() != 4)
      return rw.notifyMatchFailure(op, "not rank 4");
    Location loc = op.getLoc();
    SmallVector<Value> operands(op->getOperands());
    operands[0] = transpose(rw, loc, in, kToNHWC);
    // OIHW -> OHWI; a transposed conv's [ic][oc/g][kh][kw] -> [ic][kh][kw][oc/g].
    if constexpr (std::is_same_v<OpTy, ConvOp> || std::is_same_v<OpTy, ConvTransposeOp>)
      operands[1] = transpose(rw, op.getWeight().getLoc(), op.getWeight(), kToNHWC);
    SmallVector<int64_t> outShape = shapeOf(op->getResult(0));
    SmallVector<int64_t> nhwc{outShape[0], outShape[2], outShape[3], outShape[1]};
    auto type = RankedTensorType::get(
        nhwc, cast<RankedTensorType>(op->getResult(0).getType()).getElementType());
    Operation *newOp =
        rw.create(loc, op->getName().getIdentifier(), operands, TypeRange{type}, op->getAttrs());
    newOp->setAttr("channels_last", rw.getUnitAttr());
    rw.replaceOp(op, transpose(rw, loc, newOp->getResult(0), kToNCHW));
    return success();
  }
};

bool isElementwiseUnary(Operation *op) {
  return isa<SqrtOp, ExpOp, ErfOp, NegOp, ReciprocalOp, AbsOp, LogOp, FloorOp, CeilOp, RoundOp,
             SignOp, SinOp, CosOp, TanOp, AsinOp, AcosOp, AtanOp, SinhOp, CoshOp, AsinhOp, AcoshOp,
             AtanhOp, NotOp, ReluOp, SigmoidOp, TanhOp, HardSwishOp, SoftplusOp, SoftsignOp, MishOp,
             ClipOp, LeakyReluOp, EluOp, CeluOp, ThresholdedReluOp, HardSigmoidOp, SeluOp, GeluOp,
             CastOp, IdentityOp>(op) ||
         // Transposes move down past a per-tensor quantize (and up past a
         // dequantize: HoistTransposeAboveQuant).
         (isa<QuantizeOp>(op) && !qtype::isPerAxis(op->getResult(0).getType()));
}

/// transpose(q(x)) -> q(transpose(x)) for per-tensor dequantize and
/// storage_cast: transposes move up past them, towards the inputs (and the
/// producers' inverse transposes, which sank below their quantize), so that a
/// quantized op keeps its dequantize operands next to it.
struct HoistTransposeAboveQuant : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op, PatternRewriter &rw) const override {
    Operation *q = op.getInput().getDefiningOp();
    if (!q || !isa<DequantizeOp, StorageCastOp>(q) || !q->hasOneUse() ||
        qtype::isPerAxis(q->getOperand(0).getType()) || qtype::isPerAxis(q->getResult(0).getType()))
      return failure();
    Value t = transpose(rw, op.getLoc(), q->getOperand(0), op.getPerm());
    Type type = qtype::withElement(op.getType(), qtype::elementOf(q->getResult(0).getType()));
    Operation *n = rw.create(q->getLoc(), q->getName().getIdentifier(), ValueRange{t},
                             TypeRange{type}, q->getAttrs());
    rw.replaceOp(op, n->getResults());
    return success();
  }
};

/// A constant operand of a rank-`rank` elementwise op brought into the
/// inner layout: padded with leading 1s to full rank (folded), then
/// transposed by `inv` (folded too).
Value constantToInnerLayout(PatternRewriter &rw, Location loc, Value v, int64_t rank,
                            ArrayRef<int64_t> inv) {
  SmallVector<int64_t> s = shapeOf(v);
  SmallVector<int64_t> full(rank - s.size(), 1);
  full.append(s.begin(), s.end());
  Value r = v;
  if (full.size() != s.size()) {
    auto rt = RankedTensorType::get(full, cast<RankedTensorType>(v.getType()).getElementType());
    r = ReshapeOp::create(rw, loc, rt, v);
    SmallVector<Value> folded;
    if (succeeded(rw.tryFold(r.getDefiningOp(), folded))) {
      rw.eraseOp(r.getDefiningOp());
      r = folded[0];
    }
  }
  return transpose(rw, loc, r, inv);
}

bool isElementwiseBinary(Operation *op) {
  return isa<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp, ModOp, EqualOp, LessOp, LessOrEqualOp,
             GreaterOp, GreaterOrEqualOp, AndOp, OrOp, XorOp>(op);
}

/// op(transpose(x, P)) -> transpose(op(x), P) for elementwise unary ops.
struct SinkThroughUnary : RewritePattern {
  SinkThroughUnary(MLIRContext *ctx) : RewritePattern(MatchAnyOpTypeTag(), 1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rw) const override {
    if (!isElementwiseUnary(op))
      return failure();
    auto t = op->getOperand(0).getDefiningOp<TransposeOp>();
    if (!t)
      return failure();
    auto outType = cast<RankedTensorType>(op->getResult(0).getType());
    auto inType = cast<RankedTensorType>(t.getInput().getType());
    auto type = RankedTensorType::get(inType.getShape(), outType.getElementType());
    Operation *n = rw.create(op->getLoc(), op->getName().getIdentifier(), ValueRange{t.getInput()},
                             TypeRange{type}, op->getAttrs());
    rw.replaceOp(op, transpose(rw, op->getLoc(), n->getResult(0), t.getPerm()));
    return success();
  }
};

/// binary(transpose(x, P), y) -> transpose(binary(x, y'), P) where y' is y
/// brought into x's layout: y is a constant, or transpose(z, P) itself.
struct SinkThroughBinary : RewritePattern {
  SinkThroughBinary(MLIRContext *ctx) : RewritePattern(MatchAnyOpTypeTag(), 1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rw) const override {
    if (!isElementwiseBinary(op))
      return failure();
    auto outType = cast<RankedTensorType>(op->getResult(0).getType());
    int64_t rank = outType.getRank();
    ArrayRef<int64_t> perm;
    for (Value v : op->getOperands())
      if (auto t = v.getDefiningOp<TransposeOp>())
        if (shapeOf(v).size() == size_t(rank)) {
          perm = t.getPerm();
          break;
        }
    if (perm.empty())
      return failure();
    SmallVector<int64_t> inv = inverse(perm);
    SmallVector<Value> operands;
    for (Value v : op->getOperands()) {
      auto t = v.getDefiningOp<TransposeOp>();
      if (t && t.getPerm() == perm) {
        operands.push_back(t.getInput());
        continue;
      }
      SmallVector<int64_t> s = shapeOf(v);
      SmallVector<int64_t> full(rank - s.size(), 1);
      full.append(s.begin(), s.end());
      if (!matchPattern(v, m_Constant())) {
        // A run-time operand is fine when bringing it into the inner layout
        // only moves size-1 dims (e.g. a squeeze-excite scale of 1xCx1x1):
        // that is a free reshape.
        SmallVector<int64_t> innerShape, kept, keptInner;
        for (int64_t d = 0; d < rank; ++d)
          innerShape.push_back(full[inv[d]]);
        for (int64_t x : full)
          if (x != 1)
            kept.push_back(x);
        for (int64_t x : innerShape)
          if (x != 1)
            keptInner.push_back(x);
        bool free = kept == keptInner;
        // Order of non-1 dims must be unchanged: check positions too.
        SmallVector<int64_t> order;
        for (int64_t d = 0; d < rank; ++d)
          if (full[inv[d]] != 1)
            order.push_back(inv[d]);
        for (size_t i = 1; i < order.size(); ++i)
          free &= order[i - 1] < order[i];
        if (!free)
          return rw.notifyMatchFailure(op, "other operand is neither constant nor "
                                           "transposed the same way");
        auto rt =
            RankedTensorType::get(innerShape, cast<RankedTensorType>(v.getType()).getElementType());
        operands.push_back(ReshapeOp::create(rw, op->getLoc(), rt, v));
        continue;
      }
      operands.push_back(constantToInnerLayout(rw, op->getLoc(), v, rank, inv));
    }
    SmallVector<int64_t> inner;
    for (int64_t d = 0; d < rank; ++d)
      inner.push_back(outType.getDimSize(inv[d]));
    auto type = RankedTensorType::get(inner, outType.getElementType());
    Operation *n = rw.create(op->getLoc(), op->getName().getIdentifier(), operands, TypeRange{type},
                             op->getAttrs());
    rw.replaceOp(op, transpose(rw, op->getLoc(), n->getResult(0), perm));
    return success();
  }
};

/// concat(transpose(x_i, P), axis) -> transpose(concat(x_i, P[axis]), P).
struct SinkThroughConcat : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op, PatternRewriter &rw) const override {
    ArrayRef<int64_t> perm;
    SmallVector<Value> ins;
    for (Value v : op.getInputs()) {
      auto t = v.getDefiningOp<TransposeOp>();
      if (!t || (!perm.empty() && t.getPerm() != perm))
        return rw.notifyMatchFailure(op, "inputs are not transposed alike");
      perm = t.getPerm();
      ins.push_back(t.getInput());
    }
    int64_t axis = perm[op.getAxis()];
    auto outType = cast<RankedTensorType>(op.getType());
    SmallVector<int64_t> inv = inverse(perm), inner;
    for (size_t d = 0; d < inv.size(); ++d)
      inner.push_back(outType.getDimSize(inv[d]));
    auto type = RankedTensorType::get(inner, outType.getElementType());
    Value c = ConcatOp::create(rw, op.getLoc(), type, ins, rw.getI64IntegerAttr(axis));
    rw.replaceOp(op, transpose(rw, op.getLoc(), c, perm));
    return success();
  }
};

/// softmax / log_softmax along an axis: remap the axis.
template <typename OpTy> struct SinkThroughAxisOp : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rw) const override {
    auto t = op.getInput().template getDefiningOp<TransposeOp>();
    if (!t)
      return failure();
    int64_t axis = t.getPerm()[op.getAxis()];
    Value n = OpTy::create(rw, op.getLoc(), t.getInput().getType(), t.getInput(),
                           rw.getI64IntegerAttr(axis));
    rw.replaceOp(op, transpose(rw, op.getLoc(), n, t.getPerm()));
    return success();
  }
};

/// Reductions with keepdims: remap the axes.
template <typename OpTy> struct SinkThroughReduce : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rw) const override {
    auto t = op.getInput().template getDefiningOp<TransposeOp>();
    if (!t || !op.getKeepdims())
      return failure();
    SmallVector<int64_t> axes;
    for (int64_t a : op.getAxes())
      axes.push_back(t.getPerm()[a]);
    llvm::sort(axes);
    SmallVector<int64_t> inner = shapeOf(t.getInput());
    for (int64_t a : axes)
      inner[a] = 1;
    auto type = RankedTensorType::get(inner, cast<RankedTensorType>(op.getType()).getElementType());
    Value n = OpTy::create(rw, op.getLoc(), type, t.getInput(), rw.getDenseI64ArrayAttr(axes),
                           op.getKeepdimsAttr());
    rw.replaceOp(op, transpose(rw, op.getLoc(), n, t.getPerm()));
    return success();
  }
};

/// resize(transpose(x, P)) -> transpose(resize'(x), P): dim d of the resize
/// is dim P[d] of x, so resize' takes dim d's size, scale and roi there. An
/// FPN's upsampling then stays NHWC between its convolutions.
struct SinkThroughResize : OpRewritePattern<ResizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ResizeOp op, PatternRewriter &rw) const override {
    auto t = op.getInput().getDefiningOp<TransposeOp>();
    if (!t)
      return failure();
    ArrayRef<int64_t> perm = t.getPerm();
    size_t rank = perm.size();
    ArrayRef<double> roi = op.getRoi();
    SmallVector<int64_t> sizes(rank);
    SmallVector<double> scales(rank), innerRoi(roi.size());
    for (size_t d = 0; d < rank; ++d) {
      sizes[perm[d]] = op.getSizes()[d];
      scales[perm[d]] = op.getScales()[d];
      if (!roi.empty()) {
        innerRoi[perm[d]] = roi[d];
        innerRoi[rank + perm[d]] = roi[rank + d];
      }
    }
    auto type = RankedTensorType::get(sizes, cast<RankedTensorType>(op.getType()).getElementType());
    Operation *n = rw.create(op.getLoc(), op->getName().getIdentifier(), ValueRange{t.getInput()},
                             TypeRange{type}, op->getAttrs());
    n->setAttr("sizes", rw.getDenseI64ArrayAttr(sizes));
    n->setAttr("scales", rw.getDenseF64ArrayAttr(scales));
    n->setAttr("roi", rw.getDenseF64ArrayAttr(innerRoi));
    rw.replaceOp(op, transpose(rw, op.getLoc(), n->getResult(0), perm));
    return success();
  }
};

/// transpose(dequantize(storage_cast(constant))) -> dequantize(storage_cast(
/// transpose(constant))): quantized weights are transposed at compile time,
/// a per-channel axis following its dimension.
struct TransposeQuantizedConstant : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op, PatternRewriter &rw) const override {
    auto dq = op.getInput().getDefiningOp<DequantizeOp>();
    auto sc = dq ? dq.getInput().getDefiningOp<StorageCastOp>() : StorageCastOp();
    if (!sc || !matchPattern(sc.getInput(), m_Constant()))
      return failure();
    ArrayRef<int64_t> perm = op.getPerm();
    Type qElem = qtype::elementOf(sc.getType());
    if (auto p = qtype::params(qElem); p && !p->perTensor()) {
      int32_t axis = 0;
      for (size_t i = 0; i < perm.size(); ++i)
        if (perm[i] == p->axis)
          axis = int32_t(i);
      qElem = qtype::perAxis(rw.getContext(), p->scales, p->zeroPoints, axis, p->isSigned, p->bits);
    }
    Value raw = transpose(rw, op.getLoc(), sc.getInput(), perm);
    Value q = StorageCastOp::create(rw, op.getLoc(), qtype::withElement(raw.getType(), qElem), raw);
    rw.replaceOpWithNewOp<DequantizeOp>(op, op.getType(), q);
    return success();
  }
};

/// op(dequantize(transpose(x, P)), ...) -> transpose(op(dequantize(x), ...), P)
/// for elementwise binary and unary ops and concat, where every operand is
/// transpose(y, P), a per-tensor dequantize(transpose(y, P)) that feeds only
/// this op (pare-unique-dequantize gives each op its own), or (binary ops) a
/// constant. A storage_cast between the dequantize and the transpose (a
/// QOperator model's raw int8 max pool output) comes along. A per-tensor
/// dequantize(y) that feeds only this op, where y also feeds a transpose
/// into the inner layout (a residual add of a graph input and a convolution
/// of it), reads that transpose instead: the add's own transpose then moves
/// on to the output. A quantized residual add then runs in the layout of the
/// convolutions around it, and its transposes travel on to the graph's
/// output, as in a float model. SinkThroughBinary / SinkThroughConcat do this
/// for plain transposes; HoistTransposeAboveQuant moves a transpose that
/// follows a dequantize the other way.
struct SinkThroughDequantize : RewritePattern {
  SinkThroughDequantize(MLIRContext *ctx) : RewritePattern(MatchAnyOpTypeTag(), 1, ctx) {}

  /// The transpose under a single-use per-tensor dequantize (and a
  /// single-use storage_cast), or null.
  static TransposeOp underDequantize(Value v) {
    auto dq = v.getDefiningOp<DequantizeOp>();
    if (!dq || !dq->hasOneUse() || qtype::isPerAxis(dq.getInput().getType()))
      return TransposeOp();
    Value in = dq.getInput();
    if (auto sc = in.getDefiningOp<StorageCastOp>(); sc && sc->hasOneUse())
      in = sc.getInput();
    return in.getDefiningOp<TransposeOp>();
  }

  /// `op` (a dequantize or storage_cast) rebuilt on `input`, in its layout.
  static Value rebuild(PatternRewriter &rw, Operation *op, Value input) {
    auto in = cast<RankedTensorType>(input.getType());
    Type elem = cast<RankedTensorType>(op->getResult(0).getType()).getElementType();
    Operation *n = rw.create(op->getLoc(), op->getName().getIdentifier(), ValueRange{input},
                             TypeRange{RankedTensorType::get(in.getShape(), elem)}, op->getAttrs());
    return n->getResult(0);
  }

  /// A transpose by `inv`, placed before `op`, that y of a single-use
  /// per-tensor dequantize(y) = v already feeds, or null.
  static TransposeOp siblingTranspose(Value v, ArrayRef<int64_t> inv, Operation *op) {
    auto dq = v.getDefiningOp<DequantizeOp>();
    if (!dq || !dq->hasOneUse() || qtype::isPerAxis(dq.getInput().getType()))
      return TransposeOp();
    for (Operation *user : dq.getInput().getUsers())
      if (auto t = dyn_cast<TransposeOp>(user); t && t.getPerm() == inv && !t->use_empty() &&
                                                t->getBlock() == op->getBlock() &&
                                                t->isBeforeInBlock(op))
        return t;
    return TransposeOp();
  }

  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rw) const override {
    bool binary = isElementwiseBinary(op);
    bool concat = isa<ConcatOp>(op);
    bool unary = isElementwiseUnary(op) && !isa<QuantizeOp>(op);
    if ((!binary && !concat && !unary) || op->getNumResults() != 1)
      return failure();
    auto outType = cast<RankedTensorType>(op->getResult(0).getType());
    int64_t rank = outType.getRank();
    // The layout comes from a transpose that the rewrite removes (one that
    // feeds only this operand's dequantize): a transpose that stays for
    // other users would make the result's transpose come back the other way.
    ArrayRef<int64_t> perm;
    for (Value v : op->getOperands())
      if (TransposeOp t = underDequantize(v); t && t->hasOneUse()) {
        perm = t.getPerm();
        break;
      }
    if (perm.empty() || int64_t(perm.size()) != rank)
      return failure();
    SmallVector<int64_t> inv = inverse(perm);
    // Every operand must come along before anything is rewritten.
    for (Value v : op->getOperands()) {
      TransposeOp t = underDequantize(v);
      if (!t)
        t = v.getDefiningOp<TransposeOp>();
      if (t && t.getPerm() == perm)
        continue;
      if (siblingTranspose(v, inv, op))
        continue;
      if (!binary || !matchPattern(v, m_Constant()))
        return rw.notifyMatchFailure(op, "an operand is not transposed alike");
    }
    SmallVector<Value> operands;
    for (Value v : op->getOperands()) {
      if (TransposeOp t = underDequantize(v)) {
        Operation *dq = v.getDefiningOp();
        Value in = t.getInput();
        if (auto sc = dq->getOperand(0).getDefiningOp<StorageCastOp>())
          in = rebuild(rw, sc, in);
        operands.push_back(rebuild(rw, dq, in));
        continue;
      }
      if (auto t = v.getDefiningOp<TransposeOp>(); t && t.getPerm() == perm) {
        operands.push_back(t.getInput());
        continue;
      }
      if (TransposeOp t = siblingTranspose(v, inv, op)) {
        operands.push_back(rebuild(rw, v.getDefiningOp(), t.getResult()));
        continue;
      }
      operands.push_back(constantToInnerLayout(rw, op->getLoc(), v, rank, inv));
    }
    SmallVector<int64_t> inner;
    for (int64_t d = 0; d < rank; ++d)
      inner.push_back(outType.getDimSize(inv[d]));
    auto type = RankedTensorType::get(inner, outType.getElementType());
    Operation *n = rw.create(op->getLoc(), op->getName().getIdentifier(), operands,
                             TypeRange{type}, op->getAttrs());
    if (concat)
      n->setAttr("axis", rw.getI64IntegerAttr(perm[cast<ConcatOp>(op).getAxis()]));
    rw.replaceOp(op, transpose(rw, op->getLoc(), n->getResult(0), perm));
    return success();
  }
};

struct ConvertToNHWCPass : pare::impl::ConvertToNHWCPassBase<ConvertToNHWCPass> {
  using Base::Base;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    {
      RewritePatternSet patterns(ctx);
      patterns.add<ToChannelsLast<ConvOp>, ToChannelsLast<ConvTransposeOp>,
                   ToChannelsLast<MaxPoolOp>, ToChannelsLast<AveragePoolOp>,
                   ToChannelsLast<GlobalAveragePoolOp>, ToChannelsLast<GlobalMaxPoolOp>,
                   ToChannelsLast<BatchNormOp>, ToChannelsLast<TemporalShiftOp>,
                   TransposeQuantizedConstant>(ctx);
      if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
        return signalPassFailure();
    }
    RewritePatternSet patterns(ctx);
    patterns.add<SinkThroughUnary, SinkThroughBinary, SinkThroughConcat, TransposeQuantizedConstant,
                 HoistTransposeAboveQuant, SinkThroughAxisOp<SoftmaxOp>,
                 SinkThroughAxisOp<LogSoftmaxOp>, SinkThroughReduce<ReduceMeanOp>,
                 SinkThroughReduce<ReduceSumOp>, SinkThroughReduce<ReduceMaxOp>,
                 SinkThroughReduce<ReduceMinOp>, SinkThroughResize, SinkThroughDequantize>(ctx);
    TransposeOp::getCanonicalizationPatterns(patterns, ctx);
    ReshapeOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
