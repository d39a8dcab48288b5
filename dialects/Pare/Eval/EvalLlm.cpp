//===- EvalLlm.cpp - evaluator: decoder (LLM) ops --------------------------===//
//
// rms_norm, rotary and attention with their full-sequence semantics (the KV
// cache of a decoder step is state between calls and is not evaluated), and
// matmul_nbits by the C target's kernel (pare_llm_w4.c) on weights packed as
// the emitted code reads them, so that both give the same bits; matmul_w8a8
// likewise by pare_llm_w8.c's kernel. The
// recognition passes probe candidate subgraphs against these definitions, so
// they follow the ops' descriptions in PareOps.td literally. The shapes come
// from the operands: dim 0 may be dynamic in the IR.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Eval/EvalContext.h"

#include "runtime-stubs/c/pare_llm.h"

#include "mlir/IR/Matchers.h"

#include <algorithm>
#include <cmath>

using namespace mlir;

namespace pare::eval {

void rmsNorm(const float *x, const float *w, float *y, int64_t rows, int64_t features, float eps) {
  for (int64_t r = 0; r < rows; ++r) {
    const float *xr = x + r * features;
    float *yr = y + r * features;
    float sum = 0.0f;
    for (int64_t f = 0; f < features; ++f)
      sum += xr[f] * xr[f];
    float inv = 1.0f / std::sqrt(sum / float(features) + eps);
    for (int64_t f = 0; f < features; ++f)
      yr[f] = xr[f] * inv * w[f];
  }
}

void rotary(const float *x, float *y, const int64_t *positions, int64_t rows, int64_t heads,
            int64_t headDim, ArrayRef<float> invFreq, bool interleaved) {
  int64_t half = int64_t(invFreq.size()), width = heads * headDim;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t h = 0; h < heads; ++h) {
      const float *xh = x + r * width + h * headDim;
      float *yh = y + r * width + h * headDim;
      for (int64_t d = 2 * half; d < headDim; ++d)
        yh[d] = xh[d];
      for (int64_t i = 0; i < half; ++i) {
        float angle = float(positions[r]) * invFreq[i];
        float c = std::cos(angle), s = std::sin(angle);
        int64_t ia = interleaved ? 2 * i : i, ib = interleaved ? 2 * i + 1 : i + half;
        float a = xh[ia], b = xh[ib];
        yh[ia] = a * c - b * s;
        yh[ib] = b * c + a * s;
      }
    }
  }
}

void attention(const float *q, const float *k, const float *v, float *out, int64_t rows,
               int64_t keys, int64_t heads, int64_t kvHeads, int64_t headDim, float scale,
               bool causal) {
  int64_t qWidth = heads * headDim, kvWidth = kvHeads * headDim, group = heads / kvHeads;
  std::vector<float> p(size_t(std::max<int64_t>(keys, 1)));
  for (int64_t r = 0; r < rows; ++r) {
    int64_t seen = causal ? std::min(keys, r + 1 + (keys - rows)) : keys;
    for (int64_t h = 0; h < heads; ++h) {
      const float *qh = q + r * qWidth + h * headDim;
      int64_t g = h / group;
      float mx = -INFINITY;
      for (int64_t t = 0; t < seen; ++t) {
        const float *kt = k + t * kvWidth + g * headDim;
        float dot = 0.0f;
        for (int64_t d = 0; d < headDim; ++d)
          dot += qh[d] * kt[d];
        p[t] = dot * scale;
        mx = std::max(mx, p[t]);
      }
      float sum = 0.0f;
      for (int64_t t = 0; t < seen; ++t) {
        p[t] = std::exp(p[t] - mx);
        sum += p[t];
      }
      float *oh = out + r * qWidth + h * headDim;
      for (int64_t d = 0; d < headDim; ++d)
        oh[d] = 0.0f;
      for (int64_t t = 0; t < seen; ++t) {
        const float *vt = v + t * kvWidth + g * headDim;
        float w = p[t] / sum;
        for (int64_t d = 0; d < headDim; ++d)
          oh[d] += w * vt[d];
      }
    }
  }
}

namespace {

/// A float result tensor shaped as `shape` (the operand's: the IR's dim 0 may
/// be dynamic).
std::shared_ptr<Tensor> floatsLike(const Shape &shape) {
  auto t = std::make_shared<Tensor>();
  t->shape = shape;
  t->f.assign(size_t(shape::numElements(shape)), 0.0f);
  return t;
}

LogicalResult evalRmsNorm(EvalContext &cx, Operation *op, Results &out) {
  auto rn = cast<RmsNormOp>(op);
  if (failed(cx.requireFloat(op)))
    return failure();
  const Tensor &x = cx.in(rn.getInput()), &w = cx.in(rn.getWeight());
  if (x.shape.empty() || int64_t(w.f.size()) != x.shape.back())
    return fail(op, "operand shapes");
  auto y = floatsLike(x.shape);
  int64_t features = x.shape.back();
  rmsNorm(x.f.data(), w.f.data(), y->f.data(), features ? x.numElements() / features : 0, features,
          rn.getEpsilon().convertToFloat());
  out.push_back(y);
  return success();
}

LogicalResult evalRotary(EvalContext &cx, Operation *op, Results &out) {
  auto ro = cast<RotaryOp>(op);
  const Tensor &x = cx.in(ro.getInput()), &p = cx.in(ro.getPositions());
  int64_t hd = int64_t(ro.getHeadDim());
  if (!x.isFloat() || p.isFloat() || x.shape.size() != 2 || p.shape.size() != 1 ||
      p.shape[0] != x.shape[0] || x.shape[1] % hd != 0)
    return fail(op, "operand shapes or types");
  auto y = floatsLike(x.shape);
  rotary(x.f.data(), y->f.data(), p.i.data(), x.shape[0], x.shape[1] / hd, hd, ro.getInvFreq(),
         ro.getInterleaved());
  out.push_back(y);
  return success();
}

LogicalResult evalAttention(EvalContext &cx, Operation *op, Results &out) {
  auto at = cast<AttentionOp>(op);
  if (failed(cx.requireFloat(op)))
    return failure();
  if (op->hasAttr("pare.kv_layer"))
    return fail(op, "attention on a KV cache keeps state between calls; run the full-sequence "
                    "model");
  const Tensor &q = cx.in(at.getQ()), &k = cx.in(at.getK()), &v = cx.in(at.getV());
  int64_t heads = int64_t(at.getHeads()), kvHeads = int64_t(at.getKvHeads()),
          hd = int64_t(at.getHeadDim());
  if (q.shape.size() != 2 || k.shape != v.shape || k.shape.size() != 2 ||
      q.shape[1] != heads * hd || k.shape[1] != kvHeads * hd ||
      (at.getCausal() && k.shape[0] < q.shape[0]))
    return fail(op, "operand shapes");
  auto y = floatsLike(q.shape);
  attention(q.f.data(), k.f.data(), v.f.data(), y->f.data(), q.shape[0], k.shape[0], heads, kvHeads,
            hd, at.getScale().convertToFloat(), at.getCausal());
  out.push_back(y);
  return success();
}

/// Integer storage as bytes for the 4-bit kernel, each value checked to lie
/// in 0 .. 15 (`what` names the operand in the error).
FailureOr<std::vector<uint8_t>> nibbles(Operation *op, const Tensor &t, const char *what) {
  if (t.isFloat() && t.numElements() > 0)
    return fail(op, std::string(what) + " must hold integers");
  std::vector<uint8_t> out(t.i.size());
  for (size_t j = 0; j < t.i.size(); ++j) {
    if (t.i[j] < 0 || t.i[j] > 15)
      return fail(op, std::string(what) + " value " + std::to_string(t.i[j]) + " at " +
                          std::to_string(j) + " is outside 0 .. 15");
    out[j] = uint8_t(t.i[j]);
  }
  return out;
}

LogicalResult evalMatMulNBits(EvalContext &cx, Operation *op, Results &out) {
  auto mm = cast<MatMulNBitsOp>(op);
  const Tensor &x = cx.in(mm.getInput()), &q = cx.in(mm.getQweight()),
               &s = cx.in(mm.getScales()), &z = cx.in(mm.getZeroPoints());
  int64_t group = int64_t(mm.getGroupSize());
  if (!x.isFloat() || !s.isFloat() || x.shape.empty() || q.shape.size() != 2 ||
      x.shape.back() != q.shape[1] || group < 16 || mm.getBits() != 4)
    return fail(op, "operand shapes or types");
  int64_t n = q.shape[0], k = q.shape[1], groups = (k + group - 1) / group;
  if (int64_t(s.f.size()) != n * groups || int64_t(z.i.size()) != n * groups)
    return fail(op, "scales / zero points are not [N, ceil(K / group_size)]");
  // Packed once per op when the weight is a constant (it is, after import).
  bool constant = matchPattern(mm.getQweight(), m_Constant()) &&
                  matchPattern(mm.getZeroPoints(), m_Constant());
  std::shared_ptr<std::vector<uint8_t>> packed = constant ? cx.nbitsWeights.lookup(op) : nullptr,
                                        zeros = constant ? cx.nbitsZeros.lookup(op) : nullptr;
  if (!packed) {
    auto values = nibbles(op, q, "qweight");
    auto zs = nibbles(op, z, "zero_points");
    if (failed(values) || failed(zs))
      return failure();
    std::vector<int8_t> signedValues(values->begin(), values->end());
    packed = std::make_shared<std::vector<uint8_t>>(size_t(n * ((k + 1) / 2)));
    pare_pack_u4(signedValues.data(), packed->data(), int32_t(n), int32_t(k));
    zeros = std::make_shared<std::vector<uint8_t>>(std::move(*zs));
    if (constant) {
      cx.nbitsWeights[op] = packed;
      cx.nbitsZeros[op] = zeros;
    }
  }
  FailureOr<Act> act = fusedAct(op);
  if (failed(act))
    return failure();
  Shape shape = x.shape;
  shape.back() = n;
  auto y = floatsLike(shape);
  int64_t rows = k ? x.numElements() / k : 0;
  pare_matmul_nbits_f32(x.f.data(), packed->data(), s.f.data(), zeros->data(), y->f.data(),
                        int32_t(rows), int32_t(k), int32_t(n), int32_t(group), act->kind, act->a,
                        act->b);
  out.push_back(y);
  return success();
}

LogicalResult evalMatMulW8A8(EvalContext &cx, Operation *op, Results &out) {
  auto mm = cast<MatMulW8A8Op>(op);
  const Tensor &x = cx.in(mm.getInput()), &w = cx.in(mm.getWeight()),
               &s = cx.in(mm.getWeightScales());
  if (!x.isFloat() || !s.isFloat() || x.shape.empty() || w.shape.size() != 2 ||
      x.shape.back() != w.shape[1] || int64_t(s.f.size()) != w.shape[0])
    return fail(op, "operand shapes or types");
  int64_t n = w.shape[0], k = w.shape[1];
  // The kernel reads int8 codes; a code outside [-127, 127] is not one this
  // op's definition (symmetric int8) produces. Converted once per op when the
  // weight is a constant (it is, after quantization), as matmul_nbits packs.
  bool constant = matchPattern(mm.getWeight(), m_Constant());
  std::shared_ptr<std::vector<int8_t>> codes = constant ? cx.w8Weights.lookup(op) : nullptr;
  if (!codes) {
    codes = std::make_shared<std::vector<int8_t>>(w.i.size());
    for (size_t j = 0; j < w.i.size(); ++j) {
      if (w.i[j] < -127 || w.i[j] > 127)
        return fail(op, "weight value " + std::to_string(w.i[j]) + " at " + std::to_string(j) +
                            " is outside -127 .. 127");
      (*codes)[j] = int8_t(w.i[j]);
    }
    if (constant)
      cx.w8Weights[op] = codes;
  }
  // The kernel's per-token mode is act_scale <= 0 (the shape function has
  // checked that per-tensor carries a positive one).
  FloatAttr given = mm.getActScaleAttr();
  float actScale =
      mm.getActQuant() == "per-tensor" && given ? float(given.getValueAsDouble()) : 0.0f;
  Shape shape = x.shape;
  shape.back() = n;
  auto y = floatsLike(shape);
  int64_t rows = k ? x.numElements() / k : 0;
  std::vector<int8_t> scratch(std::max<size_t>(PARE_LLM_W8_SCRATCH(rows, k), 1));
  pare_matmul_w8a8_f32(x.f.data(), codes->data(), s.f.data(), y->f.data(), int32_t(rows),
                       int32_t(k), int32_t(n), actScale, scratch.data());
  out.push_back(y);
  return success();
}

} // namespace

void addLlmOps(OpTable &table) {
  table.add<RmsNormOp>(evalRmsNorm);
  table.add<RotaryOp>(evalRotary);
  table.add<AttentionOp>(evalAttention);
  table.add<MatMulNBitsOp>(evalMatMulNBits);
  table.add<MatMulW8A8Op>(evalMatMulW8A8);
}

} // namespace pare::eval
