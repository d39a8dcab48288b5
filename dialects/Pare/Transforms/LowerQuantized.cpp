//===- LowerQuantized.cpp - dequantize -> float op -> quantize to int8 ops ===//

#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/IR/QuantMath.h"
#include "dialects/Pare/IR/QuantUtils.h"
#include "dialects/Pare/IR/ResizeTaps.h"
#include "dialects/Pare/Transforms/ActivationUtils.h"
#include "dialects/Pare/Transforms/Passes.h"
#include "dialects/Pare/Transforms/QuantizeIslands.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>
#include <limits>
#include <sstream>

namespace pare {
#define GEN_PASS_DEF_LOWERQUANTIZEDPASS
#include "dialects/Pare/Transforms/Passes.h.inc"
} // namespace pare

using namespace mlir;
using namespace pare;

namespace {

using qtype::Params;

/// The quantized value a float value was dequantized from, or null.
Value dqSource(Value v) {
  if (auto dq = v.getDefiningOp<DequantizeOp>())
    return dq.getInput();
  return Value();
}

/// The raw integer constant behind a quantized value (storage_cast of a
/// constant), or null.
DenseElementsAttr quantConstant(Value q) {
  DenseElementsAttr c;
  if (auto sc = q.getDefiningOp<StorageCastOp>())
    if (matchPattern(sc.getInput(), m_Constant(&c)))
      return c;
  return {};
}

bool isPerTensorS8(Type t) {
  auto p = qtype::params(t);
  return p && p->perTensor() && p->isSigned && p->bits == 8;
}

bool isS8(Type t) {
  auto p = qtype::params(t);
  return p && p->isSigned && p->bits == 8;
}

/// An int8 constant as a quantized value of type `q` (a tensor type).
Value quantConst(PatternRewriter &rw, Location loc, RankedTensorType q, ArrayRef<int8_t> vals) {
  auto rawType = RankedTensorType::get(q.getShape(), rw.getIntegerType(8));
  Value raw = ConstantOp::create(rw, loc, rawType, DenseElementsAttr::get(rawType, vals));
  return StorageCastOp::create(rw, loc, q, raw);
}

/// Float constant quantized per tensor with its own range.
Value quantizeFloatConstant(PatternRewriter &rw, Location loc, DenseElementsAttr c) {
  float lo = 0, hi = 0;
  for (float v : c.getValues<float>()) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  double scale = (double(hi) - lo) / 255.0;
  if (!(scale > 0))
    scale = 1.0 / 255.0;
  int64_t zp = int64_t(std::min(127.0, std::max(-128.0, std::nearbyint(-128.0 - lo / scale))));
  auto qe = qtype::perTensor(rw.getContext(), scale, zp);
  std::vector<int8_t> q;
  for (float v : c.getValues<float>())
    q.push_back(int8_t(std::min(127.0, std::max(-128.0, std::nearbyint(v / scale) + zp))));
  return quantConst(rw, loc, qtype::withElement(c.getType(), qe), q);
}

/// The int8 view of an operand: its dequantize source, or a float constant
/// quantized on the spot. Null when neither.
Value quantOperand(PatternRewriter &rw, Location loc, Value v) {
  if (Value q = dqSource(v))
    return isS8(q.getType()) ? q : Value();
  DenseElementsAttr c;
  if (matchPattern(v, m_Constant(&c)) && isa<FloatType>(c.getElementType()))
    return quantizeFloatConstant(rw, loc, c);
  return Value();
}

/// The location of a layer's int32 bias: named after the layer, so the
/// generated array reads <layer>_bias.
Location biasLocation(PatternRewriter &rw, Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return NameLoc::get(rw.getStringAttr(name.getName().str() + "_bias"), name.getChildLoc());
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location l : fused.getLocations())
      if (auto name = dyn_cast<NameLoc>(l))
        return NameLoc::get(rw.getStringAttr(name.getName().str() + "_bias"), name.getChildLoc());
  return loc;
}

/// An i32 bias [n] with scale inScale * wScale[c], from a float constant,
/// a dequantized i32 constant or nothing. Fails on anything else.
FailureOr<Value> i32Bias(PatternRewriter &rw, Location loc, Value bias, int64_t n, const Params &in,
                         const Params &w) {
  if (!bias)
    return Value();
  std::vector<double> real(n);
  DenseElementsAttr c;
  if (matchPattern(bias, m_Constant(&c)) && isa<FloatType>(c.getElementType())) {
    if (c.getNumElements() != n && c.getNumElements() != 1)
      return failure();
    auto vals = c.getValues<float>();
    for (int64_t i = 0; i < n; ++i)
      real[i] = vals[c.isSplat() ? 0 : i];
  } else if (Value q = dqSource(bias)) {
    DenseElementsAttr raw = quantConstant(q);
    auto bp = qtype::params(q.getType());
    if (!raw || !bp || raw.getNumElements() != n)
      return failure();
    auto vals = raw.getValues<APInt>();
    // An int32 bias whose scale is x_scale * w_scale (in double, or in float32
    // as onnxruntime's quantizer writes it) is used as it is: onnxruntime's
    // QLinearConv / QGemm add those int32 values to the accumulator unchanged
    // (rescaling would move biases beyond 2^24 by a few units).
    bool exact = bp->bits == 32;
    for (int64_t i = 0; exact && i < n; ++i) {
      double s = in.scale() * w.scale(i);
      float sf = float(in.scale()) * float(w.scale(i));
      exact = bp->zeroPoint(i) == 0 && (bp->scale(i) == s || bp->scale(i) == double(sf));
    }
    if (exact) {
      std::vector<int32_t> q(n);
      for (int64_t i = 0; i < n; ++i)
        q[i] = int32_t(vals[i].getSExtValue());
      auto type = RankedTensorType::get({n}, rw.getIntegerType(32));
      return Value(ConstantOp::create(rw, biasLocation(rw, loc), type,
                                      DenseElementsAttr::get(type, ArrayRef<int32_t>(q))));
    }
    for (int64_t i = 0; i < n; ++i)
      real[i] = double(vals[i].getSExtValue() - bp->zeroPoint(i)) * bp->scale(i);
  } else {
    return failure();
  }
  std::vector<int32_t> q(n);
  for (int64_t i = 0; i < n; ++i) {
    double v = std::nearbyint(real[i] / (in.scale() * w.scale(i)));
    // NaN (an inf bias over an inf scale) -> 0; the comparisons keep it out
    // of the int conversion, which would be undefined.
    q[i] = v >= 2147483647.0    ? 2147483647
           : v <= -2147483648.0 ? int32_t(-2147483647 - 1)
           : v == v             ? int32_t(v)
                                : 0;
  }
  auto type = RankedTensorType::get({n}, rw.getIntegerType(32));
  return Value(ConstantOp::create(rw, biasLocation(rw, loc), type,
                                  DenseElementsAttr::get(type, ArrayRef<int32_t>(q))));
}

bool clampOnly(Operation *op) {
  auto a = op->getAttrOfType<StringAttr>("activation");
  return !a || isClampActivation(a.getValue());
}

/// A fused relu / clip on an int8 op becomes a clamp of the output's integers
/// (codegen: zero point + round(bound / scale)). Rewrites a clip so that its
/// bounds lie inside the output's representable range: a bound beyond it, a
/// missing or NaN bound (onnxruntime ignores a NaN bound) becomes the range's
/// end (at most FLT_MAX, which a huge scale keeps within the int8 range), and
/// min > max becomes max, max (ONNX: min(max(x, lo), hi) is hi). The integer
/// conversions then never see an infinity or a value beyond int64, and the
/// clamp keeps lo <= hi inside [-128, 127].
void normaliseClamp(Operation *op) {
  auto act = op->getAttrOfType<StringAttr>("activation");
  if (!act || !isClampActivation(act.getValue()) || op->getNumResults() != 1)
    return;
  auto p = qtype::params(op->getResult(0).getType());
  if (!p || !p->perTensor())
    return;
  // A relu (0 .. +inf) is always safe: 0 lies in every output range.
  auto ps = op->getAttrOfType<DenseF32ArrayAttr>("activation_params");
  if (act.getValue() != "clip" || !ps || ps.size() != 2)
    return;
  double lo = ps[0], hi = ps[1];
  const double flt = double(std::numeric_limits<float>::max());
  double rlo = std::max(-flt, double(p->qmin - p->zeroPoint()) * p->scale());
  double rhi = std::min(flt, double(p->qmax - p->zeroPoint()) * p->scale());
  lo = std::isnan(lo) ? rlo : std::min(std::max(lo, rlo), rhi);
  hi = std::isnan(hi) ? rhi : std::min(std::max(hi, rlo), rhi);
  if (lo > hi)
    lo = hi;
  if (float(lo) == ps[0] && float(hi) == ps[1])
    return;
  op->setAttr("activation_params",
              DenseF32ArrayAttr::get(op->getContext(), {float(lo), float(hi)}));
}

void copyActivation(Operation *from, Operation *to) {
  for (StringRef n : {"activation", "activation_params"})
    if (Attribute a = from->getAttr(n))
      to->setAttr(n, a);
}

/// Transposes an int8 [K, N] constant to [N, K].
std::vector<int8_t> transposeKN(DenseElementsAttr c) {
  auto shape = cast<RankedTensorType>(c.getType()).getShape();
  int64_t k = shape[0], n = shape[1];
  std::vector<int8_t> src, dst(k * n);
  for (APInt v : c.getValues<APInt>())
    src.push_back(int8_t(v.getSExtValue()));
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < n; ++j)
      dst[j * k + i] = src[i * n + j];
  return dst;
}

/// Requantizes `q` to `target`'s parameters when they differ.
Value requantizeTo(PatternRewriter &rw, Location loc, Value q, Type targetElem) {
  if (qtype::elementOf(q.getType()) == targetElem)
    return q;
  return RequantizeOp::create(rw, loc, qtype::withElement(q.getType(), targetElem), q);
}

//===----------------------------------------------------------------------===//
// uint8 -> int8
//===----------------------------------------------------------------------===//

/// The int8 equivalent of a uint8 type: same scale, zero point - 128.
Type toS8(Type elem) {
  auto p = *qtype::params(elem);
  std::vector<int64_t> zps;
  for (int64_t z : p.zeroPoints)
    zps.push_back(z - 128);
  MLIRContext *ctx = elem.getContext();
  if (p.perTensor())
    return qtype::perTensor(ctx, p.scales[0], zps[0]);
  return qtype::perAxis(ctx, p.scales, zps, p.axis);
}

bool isU8(Type t) {
  auto p = qtype::params(t);
  return p && !p->isSigned && p->bits == 8;
}

/// Ops that only move elements: they run on the int8 view of a uint8 value
/// unchanged (the graph passes move transposes and reshapes between a
/// storage_cast / quantize and its dequantize).
bool isLayoutOnly(Operation *op) {
  return isa<ReshapeOp, TransposeOp, SqueezeOp, UnsqueezeOp, FlattenOp, TemporalShiftOp>(op) &&
         op->getNumResults() == 1;
}

/// `v` has just been given the int8 view of a value whose uint8 type was
/// `u8Type`. Dequantize and requantize users take it as it is, layout-only
/// users are retyped to int8 in turn; every other user (a storage_cast back
/// to raw uint8, ...) gets the uint8 value back through a flip.
void retypeUsers(Value v, Type u8Type) {
  Value back;
  for (OpOperand &use : llvm::make_early_inc_range(v.getUses())) {
    Operation *user = use.getOwner();
    if (isa<DequantizeOp, RequantizeOp>(user))
      continue;
    if (isLayoutOnly(user) && use.getOperandNumber() == 0) {
      Value res = user->getResult(0);
      Type u8Res = res.getType();
      res.setType(qtype::withElement(u8Res, toS8(qtype::elementOf(u8Res))));
      retypeUsers(res, u8Res);
      continue;
    }
    if (!back) {
      OpBuilder b(v.getContext());
      if (Operation *def = v.getDefiningOp())
        b.setInsertionPointAfter(def);
      else
        b.setInsertionPointToStart(cast<BlockArgument>(v).getOwner());
      back = RequantizeOp::create(b, v.getLoc(), u8Type, v);
    }
    use.set(back);
  }
}

/// Rewrites uint8 quantized values to int8 (exact: x - 128 with zp - 128).
/// Constants are flipped at compile time, quantize ops quantize to int8
/// directly, other values get a flip (requantize u8 -> s8). Layout-only users
/// follow (retypeUsers); a flip back to uint8 is left only where a user needs
/// the raw uint8 value (graph outputs), and the patterns below fold flips
/// away inside the graph.
LogicalResult normaliseUnsigned(func::FuncOp f) {
  SmallVector<Operation *> work;
  f.walk([&](Operation *op) {
    if (isa<StorageCastOp, QuantizeOp>(op) && isU8(op->getResult(0).getType()))
      work.push_back(op);
  });
  for (Operation *op : work) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    Value r = op->getResult(0);
    Type u8Type = r.getType();
    Type s8Type = qtype::withElement(u8Type, toS8(qtype::elementOf(u8Type)));
    DenseElementsAttr c;
    Value q;
    bool erase = true;
    if (isa<StorageCastOp>(op) && matchPattern(op->getOperand(0), m_Constant(&c))) {
      std::vector<int8_t> flipped;
      for (APInt v : c.getValues<APInt>())
        flipped.push_back(int8_t(int64_t(v.getZExtValue()) - 128));
      auto rawType = RankedTensorType::get(c.getType().getShape(), b.getIntegerType(8));
      Value raw = ConstantOp::create(b, loc, rawType,
                                     DenseElementsAttr::get(rawType, ArrayRef<int8_t>(flipped)));
      q = StorageCastOp::create(b, loc, s8Type, raw);
    } else if (auto qz = dyn_cast<QuantizeOp>(op)) {
      q = QuantizeOp::create(b, loc, s8Type, qz.getInput());
    } else {
      b.setInsertionPointAfter(op);
      q = RequantizeOp::create(b, loc, s8Type, r);
      erase = false;
    }
    r.replaceAllUsesExcept(q, q.getDefiningOp());
    retypeUsers(q, u8Type);
    if (erase && op->use_empty())
      op->erase();
  }
  return success();
}

/// dequantize(requantize(x)) -> dequantize(x) when the requantize only flips
/// int8 to uint8 (the real values are the same).
struct DequantizeOfFlip : OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DequantizeOp op, PatternRewriter &rw) const override {
    auto rq = op.getInput().getDefiningOp<RequantizeOp>();
    if (!rq)
      return failure();
    auto a = qtype::params(rq.getInput().getType()), b = qtype::params(rq.getType());
    if (a->scale() != b->scale() || !a->isSigned || b->isSigned ||
        std::abs(a->zeroPoint() - b->zeroPoint()) != 128)
      return failure();
    rw.replaceOpWithNewOp<DequantizeOp>(op, op.getType(), rq.getInput());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// quantize(float op(dequantize ...)) -> int8 op
//===----------------------------------------------------------------------===//

struct LowerQuantize : OpRewritePattern<QuantizeOp> {
  LowerQuantize(MLIRContext *ctx, bool islands) : OpRewritePattern(ctx), islands(islands) {}

  /// Float islands become int8 (quantizeIslands): the exceptions ONNX
  /// rounding makes to follow onnxruntime's float ops are lifted.
  bool islands;

  LogicalResult matchAndRewrite(QuantizeOp op, PatternRewriter &rw) const override {
    Type outType = op.getType();
    if (!isPerTensorS8(outType))
      return rw.notifyMatchFailure(op, "not per-tensor int8");
    Operation *def = op.getInput().getDefiningOp();
    if (!def)
      return failure();
    Location loc = def->getLoc();
    Type outElem = qtype::elementOf(outType);

    bool onnxRounding = attrs::usesOnnxRounding(op);

    if (auto dq = dyn_cast<DequantizeOp>(def)) {
      Value src = dq.getInput();
      if (src.getType() == outType) {
        rw.replaceOp(op, src);
        return success();
      }
      if (!isPerTensorS8(src.getType()))
        return failure();
      // With ONNX rounding a change of scale stays dequantize -> quantize in
      // float32, as onnxruntime computes it: the fixed-point requantization
      // rounds twice (-1 * 1/3 gives -1, not 0). Same scale (a zero point
      // shift, the uint8 flip) is exact either way.
      if (onnxRounding && !islands &&
          qtype::params(src.getType())->scale() != qtype::params(outType)->scale())
        return rw.notifyMatchFailure(op, "requantization stays in float32 (ONNX rounding)");
      rw.replaceOpWithNewOp<RequantizeOp>(op, outType, src);
      return success();
    }
    DenseElementsAttr c;
    if (matchPattern(op.getInput(), m_Constant(&c))) {
      auto p = *qtype::params(outType);
      std::vector<int8_t> q;
      // In float32 (a true division, ties to even, NaN -> -128) as onnxruntime.
      for (float v : c.getValues<float>())
        q.push_back(
            int8_t(qmath::quantizeValue(v, float(p.scale()), int32_t(p.zeroPoint()), -128, 127)));
      rw.replaceOp(op, quantConst(rw, op.getLoc(), cast<RankedTensorType>(outType), q));
      return success();
    }
    if (!def->hasOneUse() || def->getNumResults() != 1)
      return rw.notifyMatchFailure(op, "producer has other users");

    // With ONNX rounding (models that arrive quantized), average pools follow
    // onnxruntime: it fuses dequantize -> pool -> quantize into
    // QLinearAveragePool / QLinearGlobalAveragePool only where the dequantize
    // feeds nothing else (an int32 sum of x - x_zp, then one float32 scale,
    // ties to even: pare_avgpool2d_s8_onnx / pare_global_avgpool_s8_onnx);
    // otherwise it pools in float, and so does pare. (A dequantize that
    // pare-unique-dequantize split off a shared one is shared for this.)
    if (onnxRounding && isa<GlobalAveragePoolOp, AveragePoolOp>(def)) {
      auto dq = def->getOperand(0).getDefiningOp<DequantizeOp>();
      bool shared = dq && (!dq->hasOneUse() || attrs::isSharedDequantize(dq));
      if (!dq || (shared && !islands) || !isPerTensorS8(dq.getInput().getType()) ||
          !isPerTensorS8(outType))
        return rw.notifyMatchFailure(op, "average pool stays in float (ONNX rounding)");
      Value x = dq.getInput();
      Value pooled;
      if (auto gap = dyn_cast<GlobalAveragePoolOp>(def)) {
        auto q = QGlobalAveragePoolOp::create(rw, loc, outType, x);
        if (gap.getChannelsLast())
          q.setChannelsLast(true);
        pooled = q;
      } else {
        // The pool keeps its input's quantization (inferred); the output's
        // rides in pare.out_scale / pare.out_zero_point, and two storage
        // casts (no code) retype the int8 result.
        auto p = *qtype::params(outType);
        auto rt = cast<RankedTensorType>(def->getResult(0).getType());
        Type t = qtype::withElement(rt, qtype::elementOf(x.getType()));
        Operation *n = rw.create(loc, def->getName().getIdentifier(), ValueRange{x}, TypeRange{t},
                                 def->getAttrs());
        attrs::setOutScale(n, p.scale());
        attrs::setOutZeroPoint(n, p.zeroPoint());
        auto raw = StorageCastOp::create(
            rw, loc, RankedTensorType::get(rt.getShape(), rw.getI8Type()), n->getResult(0));
        pooled = StorageCastOp::create(rw, loc, outType, raw);
      }
      rw.replaceOp(op, pooled);
      rw.eraseOp(def);
      if (dq->use_empty())
        rw.eraseOp(dq);
      return success();
    }

    Value result;
    if (auto conv = dyn_cast<ConvOp>(def))
      result = lowerConv(rw, conv, outType);
    else if (auto ct = dyn_cast<ConvTransposeOp>(def))
      result = lowerConvTranspose(rw, ct, outType);
    else if (auto g = dyn_cast<GemmOp>(def))
      result = lowerGemm(rw, g, outType);
    else if (auto m = dyn_cast<MatMulOp>(def))
      result = lowerMatMul(rw, m, outType);
    else if (isa<AddOp, MulOp>(def))
      result = lowerBinary(rw, def, outType);
    else if (auto gap = dyn_cast<GlobalAveragePoolOp>(def)) {
      if (Value x = dqSource(gap.getInput()); x && isPerTensorS8(x.getType())) {
        auto q = QGlobalAveragePoolOp::create(rw, loc, outType, x);
        if (gap.getChannelsLast())
          q.setChannelsLast(true);
        result = q;
      }
    } else if (isa<MaxPoolOp, ReshapeOp, FlattenOp, SqueezeOp, UnsqueezeOp, TransposeOp, SliceOp,
                   TemporalShiftOp>(def)) {
      result = lowerLayout(rw, def, outElem);
    } else if (auto rs = dyn_cast<ResizeOp>(def)) {
      // Nearest copies stored values; linear is TFLite's integer
      // RESIZE_BILINEAR in the input's quantization (requantized after it
      // where the output's differs). A model that arrives quantized (ONNX
      // rounding) keeps linear in float, as onnxruntime computes it.
      if (rs.getMode() == "nearest" || ((!onnxRounding || islands) && tfliteBilinear(rs)))
        result = lowerLayout(rw, def, outElem);
    } else if (isa<AveragePoolOp>(def)) {
      // The int8 average pool rounds the mean in the input's quantization;
      // requantizing that to other output parameters rounds twice (several
      // output steps off where the output scale is finer, as it usually is
      // after an average). onnxruntime's QLinearAveragePool averages the
      // dequantized values in float and quantizes once, so with differing
      // parameters the pool stays in float (dequantize -> average_pool ->
      // quantize), which matches it. Same parameters (pare's own PTQ): int8.
      // count_include_pad (ONNX; TFLite has no such mode) divides by the
      // whole window, whose cells outside the input are real zeros: the int8
      // kernel (TFLite's sum of the cells inside, rounding division) adds
      // nothing for them, which is that only where the zero point is 0.
      // Otherwise such a window stays in float.
      auto pool = cast<AveragePoolOp>(def);
      Value x = dqSource(def->getOperand(0));
      bool padded = pool.getCeilMode() || llvm::any_of(pool.getPads(), [](int64_t p) { return p; });
      bool zeroPadOk = !pool.getCountIncludePad() || !padded ||
                       (x && qtype::params(x.getType()) &&
                        qtype::params(x.getType())->zeroPoint() == 0);
      if (x && (qtype::elementOf(x.getType()) == outElem || islands) && zeroPadOk)
        result = lowerLayout(rw, def, outElem);
    } else if (isa<SoftmaxOp>(def) && onnxRounding) {
      // onnxruntime's QLinearSoftmax: int8 in and out through an exp table
      // (CEmitter), not dequantize -> softmax -> quantize.
      // The op keeps its input's type (softmax infers it); the output's
      // quantization rides in pare.out_scale / pare.out_zero_point, and two
      // storage casts (no code) retype the int8 result.
      Value x = dqSource(def->getOperand(0));
      if (x && isPerTensorS8(x.getType()) && isPerTensorS8(outType)) {
        auto p = *qtype::params(outType);
        Operation *sm = rw.create(loc, def->getName().getIdentifier(), ValueRange{x},
                                  TypeRange{x.getType()}, def->getAttrs());
        attrs::setOutScale(sm, p.scale());
        attrs::setOutZeroPoint(sm, p.zeroPoint());
        auto t = cast<RankedTensorType>(x.getType());
        auto raw = StorageCastOp::create(
            rw, loc, RankedTensorType::get(t.getShape(), rw.getI8Type()), sm->getResult(0));
        result = StorageCastOp::create(rw, loc, outType, raw);
      }
    } else if (auto concat = dyn_cast<ConcatOp>(def)) {
      SmallVector<Value> ins;
      for (Value v : concat->getOperands()) {
        Value q = dqSource(v);
        if (!q || !isPerTensorS8(q.getType()))
          return failure();
        ins.push_back(requantizeTo(rw, loc, q, outElem));
      }
      Operation *n =
          rw.create(loc, def->getName().getIdentifier(), ins, TypeRange{outType}, def->getAttrs());
      result = n->getResult(0);
    } else if (auto mean = dyn_cast<ReduceMeanOp>(def); mean && (!onnxRounding || islands)) {
      result = lowerSpatialMean(rw, mean, outType);
    } else if (auto act = activationOf(def)) {
      result = lowerActivation(rw, def, *act, outType);
    }
    if (!result)
      return rw.notifyMatchFailure(op, "no int8 lowering");
    rw.replaceOp(op, result);
    if (def->use_empty())
      rw.eraseOp(def);
    return success();
  }

  /// A per-tensor constant conv weight as per-axis (axis 0, the same scale
  /// and zero point for every output channel): the int8 conv kernels take one
  /// requantization multiplier / shift / zero point per output channel.
  static Value perChannelWeight(PatternRewriter &rw, Location loc, Value w) {
    auto p = *qtype::params(w.getType());
    DenseElementsAttr raw = quantConstant(w);
    if (!p.perTensor() || !raw)
      return w;
    auto t = cast<RankedTensorType>(w.getType());
    int64_t n = t.getDimSize(0);
    Type e = qtype::perAxis(rw.getContext(), std::vector<double>(n, p.scale()),
                            std::vector<int64_t>(n, p.zeroPoint()), 0, p.isSigned, p.bits);
    return StorageCastOp::create(rw, loc, qtype::withElement(t, e),
                                 w.getDefiningOp<StorageCastOp>().getInput());
  }

  static Value lowerConv(PatternRewriter &rw, ConvOp conv, Type outType) {
    Value x = dqSource(conv.getInput()), w = dqSource(conv.getWeight());
    if (!x || !w || !isPerTensorS8(x.getType()) || !isS8(w.getType()) || !clampOnly(conv))
      return Value();
    w = perChannelWeight(rw, conv.getLoc(), w);
    auto bias = i32Bias(rw, conv.getLoc(), conv.getBias(),
                        cast<RankedTensorType>(conv.getWeight().getType()).getDimSize(0),
                        *qtype::params(x.getType()), *qtype::params(w.getType()));
    if (failed(bias))
      return Value();
    SmallVector<Value> ops{x, w};
    if (*bias)
      ops.push_back(*bias);
    Operation *q = rw.create(conv.getLoc(), rw.getStringAttr(QConvOp::getOperationName()), ops,
                             TypeRange{outType}, conv->getAttrs());
    return q->getResult(0);
  }

  /// qconv_transpose (TFLite TRANSPOSE_CONV) from a channels-last
  /// conv_transpose of group 1 with a symmetric int8 weight, per tensor or
  /// per output channel (axis 3 of [C_in, kh, kw, C_out]); anything else
  /// stays in float.
  static Value lowerConvTranspose(PatternRewriter &rw, ConvTransposeOp conv, Type outType) {
    Value x = dqSource(conv.getInput()), w = dqSource(conv.getWeight());
    if (!x || !w || !isPerTensorS8(x.getType()) || !isS8(w.getType()) || !clampOnly(conv) ||
        conv.getGroup() != 1 || !conv.getChannelsLast())
      return Value();
    auto wp = *qtype::params(w.getType());
    if ((!wp.perTensor() && wp.axis != 3) ||
        llvm::any_of(wp.zeroPoints, [](int64_t z) { return z != 0; }))
      return Value();
    int64_t oc = cast<RankedTensorType>(conv.getWeight().getType()).getDimSize(3);
    auto bias = i32Bias(rw, conv.getLoc(), conv.getBias(), oc, *qtype::params(x.getType()), wp);
    if (failed(bias))
      return Value();
    SmallVector<Value> ops{x, w};
    if (*bias)
      ops.push_back(*bias);
    Operation *q = rw.create(conv.getLoc(), rw.getStringAttr(QConvTransposeOp::getOperationName()),
                             ops, TypeRange{outType}, conv->getAttrs());
    return q->getResult(0);
  }

  /// qfully_connected from x [M,K] and a constant weight (w [K,N], or [N,K]
  /// when transposed), with an optional bias.
  static Value fullyConnected(PatternRewriter &rw, Location loc, Value a, Value b, bool transB,
                              Value bias, Operation *actFrom, Type outType) {
    Value x = dqSource(a), w = dqSource(b);
    if (!x || !w || !isPerTensorS8(x.getType()) || !isS8(w.getType()))
      return Value();
    DenseElementsAttr raw = quantConstant(w);
    auto wp = *qtype::params(w.getType());
    if (!raw || cast<RankedTensorType>(x.getType()).getRank() != 2)
      return Value();
    Value weight = w;
    if (!transB) {
      if (!wp.perTensor() && wp.axis != 1)
        return Value();
      auto shape = cast<RankedTensorType>(w.getType()).getShape();
      Type e = wp.perTensor() ? qtype::elementOf(w.getType())
                              : Type(qtype::perAxis(rw.getContext(), wp.scales, wp.zeroPoints, 0));
      weight =
          quantConst(rw, loc, RankedTensorType::get({shape[1], shape[0]}, e), transposeKN(raw));
      wp = *qtype::params(weight.getType());
    } else if (!wp.perTensor() && wp.axis != 0) {
      return Value();
    }
    int64_t n = cast<RankedTensorType>(weight.getType()).getDimSize(0);
    auto b32 = i32Bias(rw, loc, bias, n, *qtype::params(x.getType()), wp);
    if (failed(b32))
      return Value();
    SmallVector<Value> ops{x, weight};
    if (*b32)
      ops.push_back(*b32);
    auto fc = QFullyConnectedOp::create(rw, loc, TypeRange{outType}, ops);
    if (actFrom)
      copyActivation(actFrom, fc);
    return fc;
  }

  static Value lowerGemm(PatternRewriter &rw, GemmOp g, Type outType) {
    if (g.getTransA() || g.getAlpha().convertToFloat() != 1.0f || !clampOnly(g) ||
        (g.getC() && g.getBeta().convertToFloat() != 1.0f))
      return Value();
    return fullyConnected(rw, g.getLoc(), g.getA(), g.getB(), g.getTransB(), g.getC(), g, outType);
  }

  static Value lowerMatMul(PatternRewriter &rw, MatMulOp m, Type outType) {
    if (!clampOnly(m))
      return Value();
    if (Value fc = fullyConnected(rw, m.getLoc(), m.getA(), m.getB(), false, Value(), m, outType))
      return fc;
    if (m->getAttr("activation"))
      return Value();
    Value a = dqSource(m.getA()), b = dqSource(m.getB());
    if (!a || !b || !isPerTensorS8(a.getType()) || !isS8(b.getType()))
      return Value();
    return QMatMulOp::create(rw, m.getLoc(), outType, a, b);
  }

  static Value lowerBinary(PatternRewriter &rw, Operation *op, Type outType) {
    if (!clampOnly(op))
      return Value();
    // add(matmul/gemm(x, W), bias): a Linear layer whose bias is quantized.
    if (isa<AddOp>(op) && !op->getAttr("activation"))
      for (int i = 0; i < 2; ++i) {
        Operation *mm = op->getOperand(i).getDefiningOp();
        Value bias = op->getOperand(1 - i);
        if (!mm || !mm->hasOneUse() || !isa<MatMulOp, GemmOp>(mm) || mm->getAttr("activation") ||
            cast<RankedTensorType>(bias.getType()).getRank() > 2)
          continue;
        if (auto g = dyn_cast<GemmOp>(mm);
            g && (g.getC() || g.getTransA() || g.getAlpha().convertToFloat() != 1.0f))
          continue;
        bool transB = isa<GemmOp>(mm) && cast<GemmOp>(mm).getTransB();
        if (Value fc = fullyConnected(rw, op->getLoc(), mm->getOperand(0), mm->getOperand(1),
                                      transB, bias, nullptr, outType)) {
          return fc;
        }
      }
    Value a = quantOperand(rw, op->getLoc(), op->getOperand(0));
    Value b = quantOperand(rw, op->getLoc(), op->getOperand(1));
    if (!a || !b || !isPerTensorS8(a.getType()) || !isPerTensorS8(b.getType()))
      return Value();
    Operation *q;
    if (isa<AddOp>(op))
      q = QAddOp::create(rw, op->getLoc(), outType, a, b, StringAttr(), DenseF32ArrayAttr());
    else
      q = QMulOp::create(rw, op->getLoc(), outType, a, b, StringAttr(), DenseF32ArrayAttr());
    copyActivation(op, q);
    return q->getResult(0);
  }

  /// Pools and layout ops run on int8 unchanged, then requantize if needed.
  static Value lowerLayout(PatternRewriter &rw, Operation *op, Type outElem) {
    Value x = dqSource(op->getOperand(0));
    if (!x || !isPerTensorS8(x.getType()))
      return Value();
    SmallVector<Value> operands(op->getOperands());
    operands[0] = x;
    Type t = qtype::withElement(op->getResult(0).getType(), qtype::elementOf(x.getType()));
    Operation *n = rw.create(op->getLoc(), op->getName().getIdentifier(), operands, TypeRange{t},
                             op->getAttrs());
    return requantizeTo(rw, op->getLoc(), n->getResult(0), outElem);
  }

  /// ReduceMean over height and width of a 4-D tensor (axes 1, 2 of NHWC or
  /// 2, 3 of NCHW, as pare-convert-to-nhwc leaves it): TFLite's int8 MEAN,
  /// which is the int8 global average pool (NHWC; an NCHW input is transposed
  /// first, which cancels against the transpose that made it), then a reshape
  /// (no code) to the reduction's shape.
  static Value lowerSpatialMean(PatternRewriter &rw, ReduceMeanOp mean, Type outType) {
    Value x = dqSource(mean.getInput());
    auto axes = mean.getAxes();
    bool spatial = axes.size() == 2 && axes[1] == axes[0] + 1 && (axes[0] == 1 || axes[0] == 2);
    if (!x || !isPerTensorS8(x.getType()) || !isPerTensorS8(outType) || !spatial ||
        cast<RankedTensorType>(x.getType()).getRank() != 4)
      return Value();
    Location loc = mean.getLoc();
    Type elem = qtype::elementOf(x.getType());
    auto s = cast<RankedTensorType>(x.getType()).getShape();
    if (axes[0] == 2)
      x = TransposeOp::create(rw, loc, RankedTensorType::get({s[0], s[2], s[3], s[1]}, elem), x,
                              rw.getDenseI64ArrayAttr({0, 2, 3, 1}));
    auto n = cast<RankedTensorType>(x.getType()).getShape();
    auto pooled = QGlobalAveragePoolOp::create(
        rw, loc, RankedTensorType::get({n[0], 1, 1, n[3]}, qtype::elementOf(outType)), x);
    pooled.setChannelsLast(true);
    return ReshapeOp::create(rw, loc, outType, pooled);
  }

  static Value lowerActivation(PatternRewriter &rw, Operation *op, const Activation &act,
                               Type outType) {
    Value x = dqSource(op->getOperand(0));
    if (!x || !isPerTensorS8(x.getType()))
      return Value();
    auto in = *qtype::params(x.getType()), out = *qtype::params(outType);
    SmallVector<int8_t> table(256);
    for (int q = -128; q < 128; ++q) {
      double real = double(q - in.zeroPoint()) * in.scale();
      auto y = evalActivation(act.first, act.second, float(real));
      if (!y)
        return Value();
      double v = std::nearbyint(float(*y) / float(out.scale())) + double(out.zeroPoint());
      table[q + 128] = int8_t(std::min(127.0, std::max(-128.0, v)));
    }
    return LookupTableOp::create(rw, op->getLoc(), outType, x, rw.getDenseI8ArrayAttr(table),
                                 rw.getStringAttr(act.first));
  }
};

/// cast<i32>{pare.exact_integer}(conv / matmul of scale-1 dequantized
/// operands) -> qconv / qmatmul with i32 result (ConvInteger, MatMulInteger).
struct LowerExactInteger : OpRewritePattern<CastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CastOp op, PatternRewriter &rw) const override {
    if (!attrs::isExactInteger(op))
      return failure();
    Operation *def = op.getInput().getDefiningOp();
    if (!def || !def->hasOneUse())
      return failure();
    Value a = dqSource(def->getOperand(0)), b = dqSource(def->getOperand(1));
    if (!a || !b || !isPerTensorS8(a.getType()) || !isS8(b.getType()))
      return failure();
    Operation *q;
    if (isa<ConvOp>(def))
      q = rw.create(def->getLoc(), rw.getStringAttr(QConvOp::getOperationName()), ValueRange{a, b},
                    TypeRange{op.getType()}, def->getAttrs());
    else if (isa<MatMulOp>(def))
      q = QMatMulOp::create(rw, def->getLoc(), op.getType(), a, b);
    else
      return failure();
    rw.replaceOp(op, q->getResults());
    rw.eraseOp(def);
    return success();
  }
};

/// Weights left in float (their op has no int8 kernel): fold the dequantize.
struct FoldConstantDequantize : OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DequantizeOp op, PatternRewriter &rw) const override {
    DenseElementsAttr raw = quantConstant(op.getInput());
    if (!raw || !op.getType().getElementType().isF32())
      return failure();
    auto p = *qtype::params(op.getInput().getType());
    auto shape = op.getType().getShape();
    int64_t inner = 1;
    if (!p.perTensor())
      for (size_t d = p.axis + 1; d < shape.size(); ++d)
        inner *= shape[d];
    std::vector<float> vals;
    int64_t i = 0;
    for (APInt v : raw.getValues<APInt>()) {
      size_t c = p.perTensor() ? 0 : size_t((i / inner) % shape[p.axis]);
      int64_t q = p.isSigned ? v.getSExtValue() : int64_t(v.getZExtValue());
      vals.push_back(float(double(q - p.zeroPoint(c)) * p.scale(c)));
      ++i;
    }
    rw.replaceOpWithNewOp<ConstantOp>(op, op.getType(),
                                      DenseElementsAttr::get(op.getType(), ArrayRef<float>(vals)));
    return success();
  }
};

/// An int32 DequantizeLinear (a bias) with a nonzero zero point: onnxruntime's
/// DequantizeLinear kernel refuses it, and its QDQ -> QLinearConv fusion drops
/// the zero point; no answer would match, so pare refuses it too.
LogicalResult checkInt32ZeroPoints(func::FuncOp f) {
  WalkResult r = f.walk([](DequantizeOp dq) {
    auto p = qtype::params(dq.getInput().getType());
    if (!p || p->bits != 32)
      return WalkResult::advance();
    for (int64_t z : p->zeroPoints)
      if (z != 0) {
        dq.emitError() << "int32 DequantizeLinear with zero point " << z
                       << ": onnxruntime accepts only 0 for int32 (its DequantizeLinear refuses "
                          "other zero points, its QLinearConv fusion ignores them)";
        return WalkResult::interrupt();
      }
    return WalkResult::advance();
  });
  return failure(r.wasInterrupted());
}

/// Requantizations that run on TFLite's Q31 multiplier + shift must fit it:
/// a real multiplier of 2^30 or more saturates the multiplier, and a left
/// shift that overflows the int32 accumulator wraps. The limits below keep
/// (largest |accumulator|) * 2^shift within int32: |x - zp| <= 255 for a
/// requantize, |(a - za) (b - zb)| <= 2^16 for a mul, the ADD's 2^20 input
/// shift, and for conv / fully connected / average pools TFLite's own range.
/// (Under ONNX rounding only requantize uses it; the others compute in float32
/// as onnxruntime does, where any scale works.) Refuses the op otherwise,
/// naming the scales.
LogicalResult checkMultipliers(func::FuncOp f, bool onnxRounding) {
  auto str = [](double d) {
    std::ostringstream os;
    os << d;
    return os.str();
  };
  auto check = [&](Operation *op, double real, int limitLog2, const Twine &what) -> LogicalResult {
    if (real < std::ldexp(1.0, limitLog2) && real >= 0)
      return success();
    return op->emitError() << "int8 requantization multiplier " << str(real) << " (" << what
                           << ") is out of range for the fixed-point int8 kernels (Q31 multiplier "
                              "and shift: below 2^"
                           << limitLog2 << ")";
  };
  auto scale = [](Value v) { return qtype::params(v.getType()); };
  WalkResult r = f.walk([&](Operation *op) {
    LogicalResult ok = success();
    if (auto rq = dyn_cast<RequantizeOp>(op)) {
      auto a = scale(rq.getInput()), b = scale(rq.getOutput());
      if (a && b && a->perTensor() && b->perTensor())
        ok = check(op, a->scale() / b->scale(), 23,
                   "input scale " + str(a->scale()) + " / output scale " + str(b->scale()));
    } else if (auto ct = dyn_cast<QConvTransposeOp>(op)) {
      auto x = scale(ct.getInput()), w = scale(ct.getWeight()), y = scale(ct.getOutput());
      if (x && w && y)
        for (size_t c = 0; c < w->scales.size() && succeeded(ok); ++c)
          ok = check(op, x->scale() * w->scale(c) / y->scale(), 30,
                     "input scale " + str(x->scale()) + " x weight scale " + str(w->scale(c)) +
                         " / output scale " + str(y->scale()));
    } else if (!onnxRounding && isa<QConvOp, QFullyConnectedOp>(op)) {
      auto x = scale(op->getOperand(0)), w = scale(op->getOperand(1)), y = scale(op->getResult(0));
      if (x && w && y)
        for (size_t c = 0; c < w->scales.size() && succeeded(ok); ++c)
          ok = check(op, x->scale() * w->scale(c) / y->scale(), 30,
                     "input scale " + str(x->scale()) + " x weight scale " + str(w->scale(c)) +
                         " / output scale " + str(y->scale()));
      // The fixed-point kernels accumulate bias + sum (x - x_zp) w in int32
      // (as TFLite / CMSIS-NN): a bias near the int32 limits would overflow.
      // (The ONNX-rounding kernels wrap, as onnxruntime does.)
      DenseElementsAttr bias;
      if (succeeded(ok) && op->getNumOperands() > 2 &&
          matchPattern(op->getOperand(2), m_Constant(&bias))) {
        auto ws = cast<RankedTensorType>(op->getOperand(1).getType()).getShape();
        int64_t k = 1;
        for (size_t d = 1; d < ws.size(); ++d)
          k *= ws[d];
        double room = 2147483647.0 - 128.0 - double(k) * 255.0 * 128.0;
        for (APInt v : bias.getValues<APInt>())
          if (std::abs(double(v.getSExtValue())) > room) {
            ok = op->emitError()
                 << "int32 bias " << v.getSExtValue() << " with " << k
                 << " products per output can overflow the int32 accumulator of the fixed-point "
                    "int8 kernels (TFLite rounding); --int8-rounding onnx wraps as onnxruntime";
            break;
          }
      }
    } else if (!onnxRounding && isa<QMulOp>(op)) {
      auto a = scale(op->getOperand(0)), b = scale(op->getOperand(1)), y = scale(op->getResult(0));
      if (a && b && y)
        ok = check(op, a->scale() * b->scale() / y->scale(), 14,
                   "scales " + str(a->scale()) + " x " + str(b->scale()) + " / output scale " +
                       str(y->scale()));
    } else if (!onnxRounding && isa<QAddOp>(op)) {
      auto a = scale(op->getOperand(0)), b = scale(op->getOperand(1)), y = scale(op->getResult(0));
      if (a && b && y)
        ok = check(op,
                   2.0 * std::max(a->scale(), b->scale()) /
                       (double(1 << qmath::kAddLeftShift) * y->scale()),
                   1,
                   "input scales " + str(a->scale()) + ", " + str(b->scale()) + ", output scale " +
                       str(y->scale()));
    } else if (!onnxRounding && isa<QGlobalAveragePoolOp>(op)) {
      // TFLite's MEAN requantizes the whole sum (up to 255 per cell) before
      // dividing by the cell count: the left shift must keep it in int32.
      auto x = scale(op->getOperand(0)), y = scale(op->getResult(0));
      auto count = [](Value v) { return cast<RankedTensorType>(v.getType()).getNumElements(); };
      int64_t cells = count(op->getOperand(0)) / std::max<int64_t>(count(op->getResult(0)), 1);
      int room = 30 - int(std::ceil(std::log2(255.0 * double(std::max<int64_t>(cells, 1)))));
      if (x && y)
        ok = check(op, x->scale() / y->scale(), std::min(22, std::max(room, 0)),
                   "input scale " + str(x->scale()) + " / output scale " + str(y->scale()) +
                       ", " + std::to_string(cells) + " cells");
    }
    return failed(ok) ? WalkResult::interrupt() : WalkResult::advance();
  });
  return failure(r.wasInterrupted());
}

} // namespace

void pare::populateLowerQuantizePatterns(RewritePatternSet &patterns, bool islands) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<LowerQuantize>(ctx, islands);
  patterns.add<LowerExactInteger, DequantizeOfFlip>(ctx);
  RequantizeOp::getCanonicalizationPatterns(patterns, ctx);
}

namespace {

struct LowerQuantizedPass : pare::impl::LowerQuantizedPassBase<LowerQuantizedPass> {
  using Base::Base;
  void runOnOperation() override {
    func::FuncOp f = getOperation();
    if (failed(checkInt32ZeroPoints(f)) || failed(normaliseUnsigned(f)))
      return signalPassFailure();
    MLIRContext *ctx = &getContext();
    {
      RewritePatternSet patterns(ctx);
      populateLowerQuantizePatterns(patterns, /*islands=*/false);
      if (failed(applyPatternsGreedily(f, std::move(patterns))))
        return signalPassFailure();
    }
    // What is still float between dequantize and quantize, with
    // --int8-islands quantize.
    if (attrs::quantizesIslands(f) && failed(quantizeIslands(f)))
      return signalPassFailure();
    f.walk([](Operation *op) {
      if (isa<QConvOp, QFullyConnectedOp, QAddOp, QMulOp>(op))
        normaliseClamp(op);
    });
    bool onnxRounding = attrs::usesOnnxRounding(f);
    if (failed(checkMultipliers(f, onnxRounding)))
      return signalPassFailure();
    RewritePatternSet patterns(ctx);
    patterns.add<FoldConstantDequantize>(ctx);
    if (failed(applyPatternsGreedily(f, std::move(patterns))))
      return signalPassFailure();
    WalkResult r = f.walk([](CastOp c) {
      if (attrs::isExactInteger(c)) {
        c.emitError("this ConvInteger / MatMulInteger could not be lowered to integer "
                    "arithmetic (pare needs constant zero points and int8/uint8 operands)");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (r.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
