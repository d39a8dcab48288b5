//===- LowerDecoderOps.cpp - decoder ops back to generic ops --------------===//
//
// pare-lower-decoder-ops (pare-opt only: the C and CUDA targets have
// kernels for the three ops): rewrites pare.rms_norm, pare.rotary and
// pare.attention of a whole static sequence into the generic ops they are
// defined by, for a target without such kernels:
//   rms_norm:  x / sqrt(mean(x * x) + eps) * w
//   rotary:    x * C + gather(x, partner) * S with per-position tables C and
//              S (signed sine) computed from the constant positions
//   attention: per-head matmuls, the scale, an additive causal mask of
//              float32's lowest value, softmax; kv heads gathered for GQA.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Transforms/Passes.h"

#include "dialects/Pare/IR/PareOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <limits>

namespace pare {
#define GEN_PASS_DEF_LOWERDECODEROPSPASS
#include "dialects/Pare/Transforms/Passes.h.inc"
} // namespace pare

using namespace mlir;
using namespace pare;

namespace {

RankedTensorType f32(OpBuilder &b, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, b.getF32Type());
}
Value constF(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, ArrayRef<float> data) {
  auto t = f32(b, shape);
  return ConstantOp::create(b, loc, t, DenseElementsAttr::get(t, data));
}
Value constI(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, ArrayRef<int64_t> data) {
  auto t = RankedTensorType::get(shape, b.getI64Type());
  return ConstantOp::create(b, loc, t, DenseElementsAttr::get(t, data));
}
Value reshape(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  return ReshapeOp::create(b, loc, f32(b, shape), v);
}
Value transpose(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> perm) {
  return TransposeOp::create(b, loc, v, b.getDenseI64ArrayAttr(perm));
}

/// A binary op (or matmul) with no fused activation.
template <typename OpTy> Value bin(OpBuilder &b, Location loc, Value x, Value y) {
  return OpTy::create(b, loc, x, y, StringAttr(), DenseF32ArrayAttr());
}

LogicalResult lowerRmsNorm(RmsNormOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value x = op.getInput();
  auto xs = cast<RankedTensorType>(x.getType()).getShape();
  int64_t rank = int64_t(xs.size());
  Value sq = bin<MulOp>(b, loc, x, x);
  Value mean =
      ReduceMeanOp::create(b, loc, sq, b.getDenseI64ArrayAttr({rank - 1}), b.getBoolAttr(true));
  Value eps = constF(b, loc, {}, {op.getEpsilon().convertToFloat()});
  Value root = SqrtOp::create(b, loc, bin<AddOp>(b, loc, mean, eps));
  Value y = bin<MulOp>(b, loc, bin<DivOp>(b, loc, x, root), op.getWeight());
  op.getOutput().replaceAllUsesWith(y);
  op->erase();
  return success();
}

LogicalResult lowerRotary(RotaryOp op) {
  DenseIntElementsAttr pos;
  if (!matchPattern(op.getPositions(), m_Constant(&pos)))
    return op.emitError("rotary with run-time positions has no generic form (compile it as a "
                        "decoder with --max-context)");
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto xs = cast<RankedTensorType>(op.getInput().getType()).getShape();
  int64_t s = xs[0], d = int64_t(op.getHeadDim()), h = xs[1] / d;
  ArrayRef<float> inv = op.getInvFreq();
  int64_t half = int64_t(inv.size());
  bool il = op.getInterleaved();
  // partner[k], and per position the factors of x[k] and x[partner[k]].
  std::vector<int64_t> partner(static_cast<size_t>(d));
  for (int64_t k = 0; k < d; ++k)
    partner[size_t(k)] = k;
  for (int64_t i = 0; i < half; ++i) {
    int64_t a = il ? 2 * i : i, c = il ? 2 * i + 1 : i + half;
    partner[size_t(a)] = c;
    partner[size_t(c)] = a;
  }
  std::vector<float> cosT(static_cast<size_t>(s * d), 1.0f), sinT(static_cast<size_t>(s * d), 0.0f);
  std::vector<int64_t> p(pos.getValues<int64_t>().begin(), pos.getValues<int64_t>().end());
  for (int64_t r = 0; r < s; ++r)
    for (int64_t i = 0; i < half; ++i) {
      float angle = float(p[size_t(r)]) * inv[size_t(i)];
      int64_t a = il ? 2 * i : i, c = il ? 2 * i + 1 : i + half;
      cosT[size_t(r * d + a)] = cosT[size_t(r * d + c)] = std::cos(angle);
      sinT[size_t(r * d + a)] = -std::sin(angle);
      sinT[size_t(r * d + c)] = std::sin(angle);
    }
  Value x3 = reshape(b, loc, op.getInput(), {s, h, d});
  Value px = GatherOp::create(b, loc, x3, constI(b, loc, {d}, partner), b.getI64IntegerAttr(2));
  Value y = bin<AddOp>(b, loc, bin<MulOp>(b, loc, x3, constF(b, loc, {s, 1, d}, cosT)),
                       bin<MulOp>(b, loc, px, constF(b, loc, {s, 1, d}, sinT)));
  op.getOutput().replaceAllUsesWith(reshape(b, loc, y, xs));
  op->erase();
  return success();
}

LogicalResult lowerAttention(AttentionOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto qs = cast<RankedTensorType>(op.getQ().getType()).getShape();
  auto ks = cast<RankedTensorType>(op.getK().getType()).getShape();
  int64_t s = qs[0], t = ks[0], h = int64_t(op.getHeads()), g = int64_t(op.getKvHeads()),
          d = int64_t(op.getHeadDim());
  Value q = transpose(b, loc, reshape(b, loc, op.getQ(), {s, h, d}), {1, 0, 2});
  auto heads = [&](Value kv) -> Value {
    Value v = transpose(b, loc, reshape(b, loc, kv, {t, g, d}), {1, 0, 2});
    if (g == h)
      return v;
    std::vector<int64_t> idx(static_cast<size_t>(h));
    for (int64_t i = 0; i < h; ++i)
      idx[size_t(i)] = i / (h / g);
    return GatherOp::create(b, loc, v, constI(b, loc, {h}, idx), b.getI64IntegerAttr(0))
        .getResult();
  };
  Value k = heads(op.getK()), v = heads(op.getV());
  Value scores = bin<MatMulOp>(b, loc, q, transpose(b, loc, k, {0, 2, 1}));
  scores = bin<MulOp>(b, loc, scores, constF(b, loc, {}, {op.getScale().convertToFloat()}));
  if (op.getCausal()) {
    std::vector<float> mask(static_cast<size_t>(s * t), 0.0f);
    for (int64_t r = 0; r < s; ++r)
      for (int64_t c = r + 1 + (t - s); c < t; ++c)
        mask[size_t(r * t + c)] = std::numeric_limits<float>::lowest();
    scores = bin<AddOp>(b, loc, scores, constF(b, loc, {1, s, t}, mask));
  }
  Value probs = SoftmaxOp::create(b, loc, scores, b.getI64IntegerAttr(2));
  Value out = transpose(b, loc, bin<MatMulOp>(b, loc, probs, v), {1, 0, 2});
  op.getOutput().replaceAllUsesWith(reshape(b, loc, out, {s, h * d}));
  op->erase();
  return success();
}

struct LowerDecoderOpsPass : pare::impl::LowerDecoderOpsPassBase<LowerDecoderOpsPass> {
  void runOnOperation() override {
    // A decoder step function keeps its ops: the decoder emitters run them.
    if (auto m = getOperation()->getParentOfType<ModuleOp>(); m && m->hasAttr("pare.decoder"))
      return;
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<RmsNormOp, RotaryOp, AttentionOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      if (!cast<RankedTensorType>(op->getResult(0).getType()).hasStaticShape() ||
          op->hasAttr("pare.kv_layer")) {
        op->emitError("a decoder step op (run-time rows or a KV cache) has no generic form");
        return signalPassFailure();
      }
      LogicalResult r = TypeSwitch<Operation *, LogicalResult>(op)
                            .Case([](RmsNormOp o) { return lowerRmsNorm(o); })
                            .Case([](RotaryOp o) { return lowerRotary(o); })
                            .Case([](AttentionOp o) { return lowerAttention(o); });
      if (failed(r))
        return signalPassFailure();
    }
  }
};

} // namespace
