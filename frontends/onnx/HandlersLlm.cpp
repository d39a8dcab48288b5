//===- HandlersLlm.cpp - ONNX opset-23 decoder ops -----------------------===//
//
// RMSNormalization, RotaryEmbedding and Attention (opset 23) become the ops
// the recognisers raise exported subgraphs to: pare.rms_norm, pare.rotary and
// pare.attention on [S, heads * head_dim] rows (batch 1). The linked ONNX
// library's schemas stop at opset 17, so these handlers check the attributes
// themselves; whatever pare's ops cannot express (masks, past keys, softcap,
// caches that are not a rotary table) is an error naming the node.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/HandlerUtils.h"

#include "dialects/Pare/IR/PareOps.h"

#include <cmath>

using namespace mlir;

namespace pare::onnx_frontend {
namespace {

/// A [1, S, H*D] or [1, H, S, D] tensor as [S, H*D] rows.
FailureOr<Value> toRows(NodeImporter &ni, Value x, int64_t heads, bool headsFirst) {
  auto s = shapeOf(x);
  Type f = elemOf(x);
  if (headsFirst) {
    int64_t h = s[1], n = s[2], d = s[3];
    Value v = ni.reshape(x, {h, n, d});
    auto t = ni.create<pare::TransposeOp>(
        {v}, {ni.named("perm", ni.builder().getDenseI64ArrayAttr({1, 0, 2}))});
    if (failed(t))
      return failure();
    (void)f;
    return ni.reshape(*t, {n, h * d});
  }
  (void)heads;
  return ni.reshape(x, {s[1], s[2]});
}

/// [S, H*D] rows back to the layout of `like`.
FailureOr<Value> fromRows(NodeImporter &ni, Value rows, Value like, bool headsFirst) {
  auto s = shapeOf(like);
  if (!headsFirst)
    return ni.reshape(rows, s);
  int64_t h = s[1], n = s[2], d = s[3];
  Value v = ni.reshape(rows, {n, h, d});
  auto t = ni.create<pare::TransposeOp>(
      {v}, {ni.named("perm", ni.builder().getDenseI64ArrayAttr({1, 0, 2}))});
  if (failed(t))
    return failure();
  return ni.reshape(*t, s);
}

/// Batch 1, static, rank 3 or 4 float.
LogicalResult checkBatchOne(NodeImporter &ni, Value v, StringRef what) {
  auto t = cast<RankedTensorType>(v.getType());
  if (!t.hasStaticShape() || (t.getRank() != 3 && t.getRank() != 4) || t.getDimSize(0) != 1 ||
      !isa<FloatType>(t.getElementType()))
    return ni.error(what + " must be a float [1, S, H * D] or [1, H, S, D] tensor (batch 1)");
  return success();
}

LogicalResult importRmsNormalization(NodeImporter &ni) {
  auto x = need(ni, 0), scale = need(ni, 1);
  if (failed(x) || failed(scale))
    return failure();
  auto xs = shapeOf(*x);
  if (xs.empty() || !isa<FloatType>(elemOf(*x)))
    return ni.error("RMSNormalization needs a float input of rank >= 1");
  auto axis = normAxis(ni, ni.getInt("axis", -1), int64_t(xs.size()));
  if (failed(axis))
    return failure();
  if (ni.getInt("stash_type", 1) != 1)
    return ni.error("RMSNormalization: only stash_type 1 (float32 statistics) is supported");
  // The normalised dims become one [F] dim (a scale broadcast to fewer
  // elements than F would need a copy per dim: refused).
  int64_t f = 1;
  for (size_t d = size_t(*axis); d < xs.size(); ++d)
    f *= xs[d];
  if (shape::numElements(shapeOf(*scale)) != f)
    return ni.error("RMSNormalization: scale has " + Twine(shape::numElements(shapeOf(*scale))) +
                    " elements, expected " + Twine(f) +
                    " (the normalised dims; broadcasting a smaller scale is not "
                    "supported)");
  std::vector<int64_t> flat(xs.begin(), xs.begin() + *axis);
  flat.push_back(f);
  Value in = flat == xs ? *x : ni.reshape(*x, flat);
  Value w = ni.reshape(*scale, {f});
  auto y = ni.create<pare::RmsNormOp>(
      {in, w}, {ni.named("epsilon", ni.builder().getF32FloatAttr(ni.getFloat("epsilon", 1e-5f)))});
  if (failed(y))
    return failure();
  return bind(ni, flat == xs ? *y : ni.reshape(*y, xs));
}

/// inv_freq of cos / sin caches whose row p holds the angles p * inv_freq
/// (every entry checked, as cosf / sinf of the float product give them).
FailureOr<std::vector<float>> invFreqOfCaches(NodeImporter &ni, size_t cosIdx, size_t sinIdx,
                                              int64_t rows, int64_t half) {
  auto c = ni.constFloats(cosIdx, "cos_cache"), s = ni.constFloats(sinIdx, "sin_cache");
  if (failed(c) || failed(s))
    return failure();
  if (int64_t(c->size()) < rows * half || int64_t(s->size()) < rows * half || rows < 2)
    return ni.error("RotaryEmbedding: the caches need at least 2 positions of " + Twine(half) +
                    " angles");
  std::vector<float> inv(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; ++i) {
    double f = std::atan2((*s)[size_t(half + i)], (*c)[size_t(half + i)]);
    if (rows > 2) { // refined at the last row: (rows - 1) * f = angle + 2 pi k
      double n = double(rows - 1);
      double last =
          std::atan2((*s)[size_t((rows - 1) * half + i)], (*c)[size_t((rows - 1) * half + i)]);
      f = (last + 2.0 * M_PI * std::round((n * f - last) / (2.0 * M_PI))) / n;
    }
    inv[size_t(i)] = float(f);
  }
  for (int64_t p = 0; p < rows; ++p)
    for (int64_t i = 0; i < half; ++i) {
      float a = float(p) * inv[size_t(i)];
      if (std::fabs(std::cos(a) - (*c)[size_t(p * half + i)]) > 1e-5 ||
          std::fabs(std::sin(a) - (*s)[size_t(p * half + i)]) > 1e-5)
        return ni.error("RotaryEmbedding: cos_cache / sin_cache at position " + Twine(p) +
                        " are not the rotary angles position * inv_freq of their position 1 "
                        "(only such tables are supported)");
    }
  return inv;
}

LogicalResult importRotaryEmbedding(NodeImporter &ni) {
  auto x = need(ni, 0), cosC = need(ni, 1), sinC = need(ni, 2);
  if (failed(x) || failed(cosC) || failed(sinC) || failed(checkBatchOne(ni, *x, "X")))
    return failure();
  auto xs = shapeOf(*x);
  bool headsFirst = xs.size() == 4;
  int64_t numHeads = ni.getInt("num_heads", 0);
  int64_t heads = headsFirst ? xs[1] : numHeads;
  if (headsFirst && numHeads != 0 && numHeads != heads)
    return ni.error("RotaryEmbedding: num_heads " + Twine(numHeads) + " but X has " + Twine(heads) +
                    " heads");
  if (heads < 1 || (!headsFirst && xs[2] % heads != 0))
    return ni.error("RotaryEmbedding: a 3-D input needs num_heads dividing its hidden size");
  int64_t seq = headsFirst ? xs[2] : xs[1], d = headsFirst ? xs[3] : xs[2] / heads;
  int64_t rot = ni.getInt("rotary_embedding_dim", 0);
  rot = rot == 0 ? d : rot;
  if (rot < 2 || rot > d || rot % 2 != 0)
    return ni.error("RotaryEmbedding: rotary_embedding_dim " + Twine(rot) +
                    " must be even and at most the head size " + Twine(d));
  int64_t half = rot / 2;
  auto cs = shapeOf(*cosC);
  if (cs.empty() || cs.back() != half || shapeOf(*sinC) != cs)
    return ni.error("RotaryEmbedding: cos_cache and sin_cache must be [..., " + Twine(half) + "]");
  auto &b = ni.builder();
  Value positions;
  int64_t tableRows;
  if (ni.hasInput(3)) {
    // Caches [max_position, half], read at position_ids [1, S].
    Value pid = ni.input(3);
    if (shape::numElements(shapeOf(pid)) != seq || !elemOf(pid).isInteger(64))
      return ni.error("RotaryEmbedding: position_ids must be int64 [1, " + Twine(seq) + "]");
    positions = ni.reshape(pid, {seq});
    tableRows = cs.size() == 2 ? cs[0] : -1;
  } else {
    // Caches [1, S, half]: row s is position s.
    std::vector<int64_t> iota(static_cast<size_t>(seq));
    for (int64_t i = 0; i < seq; ++i)
      iota[size_t(i)] = i;
    positions = ni.constant(
        DenseElementsAttr::get(RankedTensorType::get({seq}, b.getI64Type()), ArrayRef(iota)));
    tableRows = cs.size() == 3 && cs[0] == 1 && cs[1] == seq ? seq : -1;
  }
  if (tableRows < 0)
    return ni.error("RotaryEmbedding: caches must be [max_position, " + Twine(half) +
                    "] with position_ids, else [1, S, " + Twine(half) + "]");
  auto inv = invFreqOfCaches(ni, 1, 2, tableRows, half);
  if (failed(inv))
    return failure();
  auto rows = toRows(ni, *x, heads, headsFirst);
  if (failed(rows))
    return failure();
  auto r = ni.create<pare::RotaryOp>(
      {*rows, positions},
      {ni.named("head_dim", b.getI64IntegerAttr(d)),
       ni.named("inv_freq", b.getDenseF32ArrayAttr(*inv)),
       ni.named("interleaved", b.getBoolAttr(ni.getInt("interleaved", 0) != 0))});
  if (failed(r))
    return failure();
  return bind(ni, fromRows(ni, *r, *x, headsFirst));
}

LogicalResult importAttention(NodeImporter &ni) {
  auto q = need(ni, 0), k = need(ni, 1), v = need(ni, 2);
  if (failed(q) || failed(k) || failed(v) || failed(checkBatchOne(ni, *q, "Q")) ||
      failed(checkBatchOne(ni, *k, "K")) || failed(checkBatchOne(ni, *v, "V")))
    return failure();
  for (size_t i : {3, 4, 5})
    if (ni.hasInput(i))
      return ni.error(std::string("Attention: input ") +
                      (i == 3   ? "attn_mask"
                       : i == 4 ? "past_key"
                                : "past_value") +
                      " is not supported (causal or full attention of one sequence only)");
  for (size_t i : {1, 2, 3})
    if (ni.outputUsed(i))
      return ni.error("Attention: only output Y is supported (present_key, present_value and "
                      "qk_matmul_output are not)");
  if (ni.getInt("qk_matmul_output_mode", 0) != 0 || ni.getFloat("softcap", 0.0f) != 0.0f)
    return ni.error("Attention: softcap and qk_matmul_output_mode are not supported");
  (void)ni.getInt("softmax_precision", 1); // float32 throughout
  auto qs = shapeOf(*q), ks = shapeOf(*k), vs = shapeOf(*v);
  bool headsFirst = qs.size() == 4;
  if (ks.size() != qs.size() || vs.size() != qs.size())
    return ni.error("Attention: Q, K and V must all be 3-D or all 4-D");
  int64_t qAttr = ni.getInt("q_num_heads", 0), kvAttr = ni.getInt("kv_num_heads", 0);
  int64_t heads = headsFirst ? qs[1] : qAttr;
  int64_t kvHeads = headsFirst ? ks[1] : kvAttr;
  if (headsFirst && ((qAttr && qAttr != heads) || (kvAttr && kvAttr != kvHeads)))
    return ni.error("Attention: q_num_heads / kv_num_heads disagree with Q / K");
  if (heads < 1 || kvHeads < 1 || heads % kvHeads != 0 ||
      (!headsFirst && (qs[2] % heads != 0 || ks[2] % kvHeads != 0)))
    return ni.error("Attention: q_num_heads / kv_num_heads missing or not dividing (3-D inputs "
                    "need both; kv_num_heads must divide q_num_heads)");
  int64_t sq = headsFirst ? qs[2] : qs[1], sk = headsFirst ? ks[2] : ks[1];
  int64_t d = headsFirst ? qs[3] : qs[2] / heads;
  int64_t dv = headsFirst ? vs[3] : vs[2] / kvHeads;
  if (dv != d)
    return ni.error("Attention: V's head size " + Twine(dv) + " differs from Q's " + Twine(d) +
                    " (not supported)");
  bool causal = ni.getInt("is_causal", 0) != 0;
  if (causal && sq != sk)
    return ni.error("Attention: is_causal with " + Twine(sq) + " queries and " + Twine(sk) +
                    " keys (ONNX aligns the mask top-left) is not supported");
  float scale =
      ni.hasAttr("scale") ? ni.getFloat("scale", 1.0f) : float(1.0 / std::sqrt(double(d)));
  auto qr = toRows(ni, *q, heads, headsFirst), kr = toRows(ni, *k, kvHeads, headsFirst),
       vr = toRows(ni, *v, kvHeads, headsFirst);
  if (failed(qr) || failed(kr) || failed(vr))
    return failure();
  auto &b = ni.builder();
  SmallVector<NamedAttribute> attrs{ni.named("heads", b.getI64IntegerAttr(heads)),
                                    ni.named("kv_heads", b.getI64IntegerAttr(kvHeads)),
                                    ni.named("head_dim", b.getI64IntegerAttr(d)),
                                    ni.named("scale", b.getF32FloatAttr(scale))};
  if (causal)
    attrs.push_back(ni.named("causal", b.getUnitAttr()));
  auto y = ni.create<pare::AttentionOp>({*qr, *kr, *vr}, attrs);
  if (failed(y))
    return failure();
  return bind(ni, fromRows(ni, *y, *q, headsFirst));
}

} // namespace

void registerLlmHandlers() {
  registerHandler("RMSNormalization", 23, importRmsNormalization);
  registerHandler("RotaryEmbedding", 23, importRotaryEmbedding);
  registerHandler("Attention", 23, importAttention);
}

} // namespace pare::onnx_frontend
