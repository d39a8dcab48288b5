//===- InsertQDQ.cpp - post-training int8 quantization --------------------===//

#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/IR/QuantUtils.h"
#include "dialects/Pare/IR/ResizeTaps.h"
#include "dialects/Pare/Transforms/ActivationUtils.h"
#include "dialects/Pare/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"

#include <cmath>

namespace pare {
#define GEN_PASS_DEF_INSERTQDQPASS
#include "dialects/Pare/Transforms/Passes.h.inc"
} // namespace pare

using namespace mlir;
using namespace pare;

namespace {

using Range = std::pair<float, float>;

/// TFLite-style asymmetric int8 parameters for a range (always containing 0).
quant::UniformQuantizedType activationType(MLIRContext *ctx, Range r) {
  return qtype::forRange(ctx, r.first, r.second);
}

/// Ops with an int8 lowering whose float operands get quantized.
bool isQuantizable(Operation *op) {
  if (isa<ConvOp, AddOp, MulOp, GlobalAveragePoolOp, MaxPoolOp, AveragePoolOp, ReshapeOp, FlattenOp,
          SqueezeOp, UnsqueezeOp, TransposeOp, ConcatOp, TemporalShiftOp>(op))
    return true;
  // TFLite's TRANSPOSE_CONV has no groups; grouped ones stay in float.
  if (auto ct = dyn_cast<ConvTransposeOp>(op))
    return ct.getGroup() == 1 && matchPattern(ct.getWeight(), m_Constant());
  if (auto g = dyn_cast<GemmOp>(op))
    return !g.getTransA() && g.getAlpha().convertToFloat() == 1.0f &&
           matchPattern(g.getB(), m_Constant());
  // A mean over height and width (TFLite's MEAN: LowerQuantized makes it the
  // int8 global average pool).
  if (auto mean = dyn_cast<ReduceMeanOp>(op)) {
    auto axes = mean.getAxes();
    return cast<RankedTensorType>(mean.getInput().getType()).getRank() == 4 && axes.size() == 2 &&
           axes[1] == axes[0] + 1 && (axes[0] == 1 || axes[0] == 2);
  }
  if (auto m = dyn_cast<MatMulOp>(op))
    return matchPattern(m.getB(), m_Constant()) &&
           cast<RankedTensorType>(m.getB().getType()).getRank() == 2 &&
           cast<RankedTensorType>(m.getA().getType()).getRank() == 2;
  if (auto act = activationOf(op))
    return evalActivation(act->first, act->second, 0.0).has_value();
  // Resize: nearest copies values; linear where TFLite's integer bilinear
  // samples as the float model does (cubic stays in float).
  if (auto r = dyn_cast<ResizeOp>(op))
    return r.getMode() == "nearest" || tfliteBilinear(r).has_value();
  return false;
}

/// Layout ops and average pools (a mean stays within its inputs' range):
/// their result reuses the input's parameters, so the int8 kernel needs no
/// requantization (LowerQuantized keeps an average pool that would need one
/// in float).
bool keepsParams(Operation *op) {
  return isa<MaxPoolOp, AveragePoolOp, ReshapeOp, FlattenOp, SqueezeOp, UnsqueezeOp, TransposeOp,
             TemporalShiftOp, ResizeOp>(op);
}

/// Index of the constant weight operand quantized per channel, and its axis.
std::optional<std::pair<unsigned, int32_t>> weightOperand(Operation *op) {
  if (isa<ConvOp>(op))
    return std::make_pair(1u, 0);
  // [C_in, C_out, kh, kw], channels-last [C_in, kh, kw, C_out]: per output channel.
  if (auto ct = dyn_cast<ConvTransposeOp>(op))
    return std::make_pair(1u, ct.getChannelsLast() ? 3 : 1);
  if (auto g = dyn_cast<GemmOp>(op))
    return std::make_pair(1u, g.getTransB() ? 0 : 1);
  if (isa<MatMulOp>(op))
    return std::make_pair(1u, 1);
  return std::nullopt;
}

struct InsertQDQPass : pare::impl::InsertQDQPassBase<InsertQDQPass> {
  using Base::Base;

  DenseMap<Value, Range> ranges;

  std::optional<Range> rangeOf(Value v) {
    auto it = ranges.find(v);
    if (it == ranges.end())
      return std::nullopt;
    return it->second;
  }

  void collectRanges(func::FuncOp f) {
    for (BlockArgument a : f.getArguments())
      if (auto r = attrs::getArgRange(f, a.getArgNumber()))
        if (r.size() == 2)
          ranges[a] = {r[0], r[1]};
    f.walk([&](Operation *op) {
      auto r = attrs::getRanges(op);
      if (!r || r.size() != 2 * int64_t(op->getNumResults()))
        return;
      for (unsigned i = 0; i < op->getNumResults(); ++i)
        ranges[op->getResult(i)] = {r[2 * i], r[2 * i + 1]};
    });
  }

  /// dequantize(quantize(v)) with parameters `q`.
  Value qdq(OpBuilder &b, Location loc, Value v, Type q) {
    auto qt = qtype::withElement(v.getType(), q);
    Value qv = QuantizeOp::create(b, loc, qt, v);
    return DequantizeOp::create(b, loc, v.getType(), qv);
  }

  /// The weight as dequantize(storage_cast(int8 constant)), symmetric per channel.
  Value quantizeWeight(OpBuilder &b, Location loc, DenseElementsAttr w, int32_t axis) {
    auto type = cast<RankedTensorType>(w.getType());
    auto shape = type.getShape();
    int64_t channels = shape[axis];
    int64_t inner = 1;
    for (size_t d = axis + 1; d < shape.size(); ++d)
      inner *= shape[d];
    std::vector<float> vals(w.getValues<float>().begin(), w.getValues<float>().end());
    std::vector<double> scales(channels, 0.0);
    for (size_t i = 0; i < vals.size(); ++i) {
      int64_t c = (int64_t(i) / inner) % channels;
      scales[c] = std::max(scales[c], double(std::fabs(vals[i])));
    }
    for (double &s : scales)
      s = s > 0 ? s / 127.0 : 1.0;
    std::vector<int8_t> q(vals.size());
    for (size_t i = 0; i < vals.size(); ++i) {
      int64_t c = (int64_t(i) / inner) % channels;
      double v = std::nearbyint(vals[i] / scales[c]);
      q[i] = int8_t(std::min(127.0, std::max(-127.0, v)));
    }
    auto rawType = RankedTensorType::get(shape, b.getIntegerType(8));
    Value raw =
        ConstantOp::create(b, loc, rawType, DenseElementsAttr::get(rawType, ArrayRef<int8_t>(q)));
    Type qe = qtype::perAxis(b.getContext(), scales, std::vector<int64_t>(channels, 0), axis);
    Value qv = StorageCastOp::create(b, loc, qtype::withElement(rawType, qe), raw);
    return DequantizeOp::create(b, loc, type, qv);
  }

  /// Range of a constant's values.
  static Range constRange(DenseElementsAttr c) {
    Range r{0.0f, 0.0f};
    for (float v : c.getValues<float>()) {
      r.first = std::min(r.first, v);
      r.second = std::max(r.second, v);
    }
    return r;
  }

  void runOnOperation() override {
    func::FuncOp f = getOperation();
    MLIRContext *ctx = &getContext();
    collectRanges(f);
    // Parameters chosen for a value (layout ops pass theirs on).
    DenseMap<Value, Type> chosen;
    auto paramsFor = [&](Value v) -> std::optional<Type> {
      if (auto it = chosen.find(v); it != chosen.end())
        return it->second;
      auto r = rangeOf(v);
      if (!r)
        return std::nullopt;
      Type t = activationType(ctx, *r);
      chosen[v] = t;
      return t;
    };

    SmallVector<Operation *> ops;
    f.walk([&](Operation *op) {
      if (isQuantizable(op) && op->getNumResults() == 1 &&
          isa<FloatType>(qtype::elementOf(op->getResult(0).getType())))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      OpBuilder b(op);
      Location loc = op->getLoc();
      auto weight = weightOperand(op);
      // Every input of a quantized op needs parameters; skip the op otherwise.
      bool ok = true;
      for (auto [i, v] : llvm::enumerate(op->getOperands())) {
        if (weight && i == weight->first)
          continue;
        if (isa<ConvOp, ConvTransposeOp, GemmOp>(op) && i == 2)
          continue; // bias
        DenseElementsAttr c;
        if (!matchPattern(v, m_Constant(&c)) && !paramsFor(v) && !v.getDefiningOp<DequantizeOp>())
          ok = false;
      }
      if (!ok || !rangeOf(op->getResult(0))) {
        op->emitWarning("no calibration range; left in float");
        continue;
      }
      for (auto [i, v] : llvm::enumerate(op->getOperands())) {
        if (!isa<FloatType>(qtype::elementOf(v.getType())) || v.getDefiningOp<DequantizeOp>())
          continue;
        DenseElementsAttr c;
        bool isConst = matchPattern(v, m_Constant(&c));
        if (weight && i == weight->first) {
          if (isConst)
            op->setOperand(i, quantizeWeight(b, loc, c, weight->second));
          continue;
        }
        if (isa<ConvOp, ConvTransposeOp, GemmOp>(op) && i == 2)
          continue;
        Type q = isConst ? Type(activationType(ctx, constRange(c))) : *paramsFor(v);
        op->setOperand(i, qdq(b, loc, v, q));
      }
      // The result: layout ops keep the input's parameters; concat the union.
      Value r = op->getResult(0);
      Type q;
      if (keepsParams(op)) {
        auto in = op->getOperand(0).getDefiningOp<DequantizeOp>();
        q = qtype::elementOf(in.getInput().getType());
        chosen[r] = q;
      } else {
        q = *paramsFor(r);
      }
      b.setInsertionPointAfter(op);
      Value out = qdq(b, loc, r, q);
      r.replaceAllUsesExcept(out, out.getDefiningOp()->getOperand(0).getDefiningOp());
      // Later consumers see `out` (a dequantize) and reuse these parameters.
    }
    // The ranges have done their job.
    f.walk([](Operation *op) { attrs::removeRanges(op); });
    for (unsigned i = 0; i < f.getNumArguments(); ++i)
      attrs::removeArgRange(f, i);
  }
};

} // namespace
