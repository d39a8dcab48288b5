//===- FoldPad.cpp - fold an explicit pad into the next conv or pool ------===//
//
// Exporters write padding the following op could do as a separate Pad: torch
// exports of asymmetric padding, Keras' ZeroPadding2D before a stride-2
// convolution (which tf2onnx turns into dequantize -> Pad -> quantize in an
// int8 model). A constant pad of the spatial dims that feeds a conv, max pool
// or average pool becomes part of that op's `pads`: no padded copy of the
// tensor, no pad kernel, and in an int8 model no float island around it.
//

#include "dialects/Pare/Transforms/Passes.h"

#include "dialects/Pare/IR/QuantUtils.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace pare {
#define GEN_PASS_DEF_FOLDPADPASS
#include "dialects/Pare/Transforms/Passes.h.inc"
} // namespace pare

using namespace mlir;
using namespace pare;

namespace {

/// What the value padded in is, in real terms.
enum class PadValue { Zero, NegInfinity, Other };

/// A pad found before a windowed op (matched, nothing built yet).
struct FoldablePad {
  enum Form { Float, QDQ, Int8 } form;
  PadOp pad;
  /// QDQ: the quantize after the pad; Int8: the storage_cast after it.
  Operation *cast = nullptr;
  DequantizeOp dq;
  /// The spatial pads [top, left, bottom, right] to add to the op's.
  SmallVector<int64_t, 4> pads;
  PadValue value = PadValue::Other;
  /// The padded cells hold the smallest value the tensor can take (an int8
  /// zero point at the bottom of the range): a max never picks them over a
  /// real cell.
  bool padIsMinimum = false;
};

/// The spatial pads of a rank-4 constant-mode pad that pads nothing but the
/// spatial dims (H, W: 2, 3 in NCHW, 1, 2 channels-last), none negative (a
/// crop).
std::optional<SmallVector<int64_t, 4>> spatialPads(PadOp pad, bool channelsLast) {
  ArrayRef<int64_t> b = pad.getPadsBegin(), e = pad.getPadsEnd();
  if (pad.getMode() != "constant" || b.size() != 4 || e.size() != 4)
    return std::nullopt;
  int64_t h = channelsLast ? 1 : 2, w = h + 1;
  for (int64_t d = 0; d < 4; ++d) {
    if (b[d] < 0 || e[d] < 0)
      return std::nullopt;
    if (d != h && d != w && (b[d] != 0 || e[d] != 0))
      return std::nullopt;
  }
  return SmallVector<int64_t, 4>{b[h], b[w], e[h], e[w]};
}

PadValue floatPadValue(PadOp pad) {
  auto f = dyn_cast<FloatAttr>(pad.getValue());
  if (!f)
    return PadValue::Other;
  double v = f.getValueAsDouble();
  if (v == 0.0)
    return PadValue::Zero;
  if (std::isinf(v) && v < 0)
    return PadValue::NegInfinity;
  return PadValue::Other;
}

/// Finds the pad behind a windowed op's input, in the three forms models
/// bring it:
///   float:      op(pad(x, v))
///   QDQ:        op(dequantize(quantize(pad(x, 0.0)))): quantize maps the
///               real 0 to the zero point, so this is
///               op(dequantize(pad(quantize(x), zp))), and the dequantized
///               pad cells are real zeros;
///   int8 Pad:   op(dequantize(storage_cast(pad(raw, zp)))) with zp the
///               zero point of the storage_cast's type (per tensor).
/// Each op in the chain must have no other user, so that the padded tensor
/// disappears.
std::optional<FoldablePad> findPad(Value in, bool channelsLast) {
  FoldablePad f;
  if ((f.pad = in.getDefiningOp<PadOp>())) {
    f.form = FoldablePad::Float;
    f.value = floatPadValue(f.pad);
  } else {
    f.dq = in.getDefiningOp<DequantizeOp>();
    if (!f.dq || !f.dq->hasOneUse())
      return std::nullopt;
    f.cast = f.dq.getInput().getDefiningOp();
    if (!f.cast || !f.cast->hasOneUse() || !isa<QuantizeOp, StorageCastOp>(f.cast) ||
        !(f.pad = f.cast->getOperand(0).getDefiningOp<PadOp>()))
      return std::nullopt;
    auto p = qtype::params(f.cast->getResult(0).getType());
    if (!p)
      return std::nullopt;
    if (isa<QuantizeOp>(f.cast)) {
      f.form = FoldablePad::QDQ;
      if (floatPadValue(f.pad) != PadValue::Zero)
        return std::nullopt;
      f.padIsMinimum = llvm::all_of(p->zeroPoints, [&](int64_t z) { return z == p->qmin; });
    } else {
      f.form = FoldablePad::Int8;
      auto iv = dyn_cast<IntegerAttr>(f.pad.getValue());
      if (!p->perTensor() || !iv || iv.getValue().getSExtValue() != p->zeroPoint())
        return std::nullopt;
      f.padIsMinimum = p->zeroPoint() == p->qmin;
    }
    f.value = PadValue::Zero;
  }
  if (!f.pad->hasOneUse())
    return std::nullopt;
  auto pads = spatialPads(f.pad, channelsLast);
  if (!pads)
    return std::nullopt;
  f.pads = *pads;
  return f;
}

/// The op's new input: the pad's input, through a new quantize or
/// storage_cast and dequantize of the unpadded shape in the int8 forms.
Value unpadded(PatternRewriter &rw, FoldablePad f) {
  Value x = f.pad.getInput();
  if (f.form == FoldablePad::Float)
    return x;
  Type qt = qtype::withElement(x.getType(), qtype::elementOf(f.cast->getResult(0).getType()));
  Operation *c = rw.create(f.cast->getLoc(), f.cast->getName().getIdentifier(), ValueRange{x},
                           TypeRange{qt}, f.cast->getAttrs());
  return DequantizeOp::create(rw, f.dq.getLoc(),
                              qtype::withElement(qt, getElementTypeOrSelf(f.dq.getType())),
                              c->getResult(0));
}

/// The op's input is known to be >= 0: a relu, a clip from 0 or more, or a
/// producer with such a fused activation.
bool nonNegative(Value v) {
  Operation *op = v.getDefiningOp();
  if (!op)
    return false;
  if (isa<ReluOp>(op))
    return true;
  if (auto clip = dyn_cast<ClipOp>(op))
    return clip.getMin().convertToFloat() >= 0.0f;
  auto act = op->getAttrOfType<StringAttr>("activation");
  if (!act)
    return false;
  if (act.getValue() == "relu")
    return true;
  auto ps = op->getAttrOfType<DenseF32ArrayAttr>("activation_params");
  return act.getValue() == "clip" && ps && ps.size() == 2 && ps[0] >= 0.0f;
}

SmallVector<int64_t> addPads(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  SmallVector<int64_t> r;
  for (size_t i = 0; i < a.size(); ++i)
    r.push_back(a[i] + b[i]);
  return r;
}

/// conv(pad(x, 0)) -> conv(x) with the pad added to its pads: the padded
/// cells were zeros, which is what the conv pads with.
struct FoldPadIntoConv : OpRewritePattern<ConvOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConvOp op, PatternRewriter &rw) const override {
    auto f = findPad(op.getInput(), op.getChannelsLast());
    if (!f || f->value != PadValue::Zero || op.getPads().size() != 4)
      return rw.notifyMatchFailure(op, "input is not a foldable zero pad");
    rw.setInsertionPoint(op);
    Value x = unpadded(rw, *f);
    rw.modifyOpInPlace(op, [&] {
      op.getInputMutable().assign(x);
      op.setPads(addPads(op.getPads(), f->pads));
    });
    return success();
  }
};

/// max_pool(pad(x, v)) -> max_pool(x) with the pad in its pads, which pad
/// with -inf: exact where v is -inf, or where v can never be a window's
/// maximum over a real cell (x >= v = 0, or v the bottom of an int8 range)
/// and every window keeps a real cell (each side's pad below the dilated
/// kernel extent).
struct FoldPadIntoMaxPool : OpRewritePattern<MaxPoolOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MaxPoolOp op, PatternRewriter &rw) const override {
    auto f = findPad(op.getInput(), op.getChannelsLast());
    if (!f || op.getPads().size() != 4 || op.getCeilMode())
      return rw.notifyMatchFailure(op, "input is not a foldable pad");
    bool harmless = f->value == PadValue::NegInfinity ||
                    (f->value == PadValue::Zero &&
                     (f->padIsMinimum || nonNegative(f->pad.getInput())));
    SmallVector<int64_t> pads = addPads(op.getPads(), f->pads);
    for (int i = 0; i < 4; ++i) {
      int64_t extent = (op.getKernelShape()[i % 2] - 1) * op.getDilations()[i % 2] + 1;
      harmless &= pads[i] < extent;
    }
    if (!harmless)
      return rw.notifyMatchFailure(op, "the pad value could be a window's maximum");
    rw.setInsertionPoint(op);
    Value x = unpadded(rw, *f);
    rw.modifyOpInPlace(op, [&] {
      op.getInputMutable().assign(x);
      op.setPads(pads);
    });
    return success();
  }
};

/// average_pool(pad(x, 0)) -> average_pool(x, count_include_pad) with the pad
/// in its pads: the zeros counted in the window's divisor. Only where the
/// pool pads nothing itself or already counts its pads, and without
/// ceil_mode (whose extra cells are never counted). Float pads only: an int8
/// average pool counts padded cells as real zeros only where the zero point
/// is 0 (LowerQuantized), so folding a quantized pad could move the pool to
/// float.
struct FoldPadIntoAveragePool : OpRewritePattern<AveragePoolOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AveragePoolOp op, PatternRewriter &rw) const override {
    bool ownPads = llvm::any_of(op.getPads(), [](int64_t p) { return p != 0; });
    auto f = findPad(op.getInput(), op.getChannelsLast());
    if (!f || f->form != FoldablePad::Float || f->value != PadValue::Zero ||
        op.getPads().size() != 4 || op.getCeilMode() || (ownPads && !op.getCountIncludePad()))
      return rw.notifyMatchFailure(op, "input is not a foldable float zero pad");
    rw.modifyOpInPlace(op, [&] {
      op.getInputMutable().assign(f->pad.getInput());
      op.setPads(addPads(op.getPads(), f->pads));
      op.setCountIncludePad(true);
    });
    return success();
  }
};

struct FoldPadPass : pare::impl::FoldPadPassBase<FoldPadPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldPadIntoConv, FoldPadIntoMaxPool, FoldPadIntoAveragePool>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
