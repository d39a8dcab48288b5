//===- ShapeInference.cpp - shape helpers shared by pare ops --------------===//
#include "dialects/Pare/IR/ShapeInference.h"

#include <algorithm>

namespace pare::shape {

std::optional<Shape> broadcast(const Shape &a, const Shape &b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == db || db == 1)
      out[i] = da;
    else if (da == 1)
      out[i] = db;
    else
      return std::nullopt;
  }
  return out;
}

std::vector<int64_t> contiguousStrides(const Shape &s) {
  std::vector<int64_t> st(s.size(), 1);
  for (int64_t i = static_cast<int64_t>(s.size()) - 2; i >= 0; --i)
    st[i] = st[i + 1] * s[i + 1];
  return st;
}

std::vector<int64_t> broadcastStrides(const Shape &in, const Shape &out) {
  std::vector<int64_t> inStrides = contiguousStrides(in);
  std::vector<int64_t> st(out.size(), 0);
  size_t off = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i)
    st[off + i] = (in[i] == 1 && out[off + i] != 1) ? 0 : inStrides[i];
  for (size_t i = 0; i < out.size(); ++i)
    if (out[i] == 1)
      st[i] = 0;
  return st;
}

int64_t numElements(const Shape &s) {
  // Saturates instead of overflowing: shapes built from a model's values are
  // checked against the size limit before use, and a product that does not
  // fit must read as "too large", never wrap to something small.
  int64_t n = 1;
  for (int64_t d : s)
    if (__builtin_mul_overflow(n, d, &n))
      return INT64_MAX;
  return n;
}

std::optional<int64_t> checkedNumElements(const Shape &s) {
  int64_t n = 1;
  for (int64_t d : s)
    if (d < 0 || __builtin_mul_overflow(n, d, &n))
      return std::nullopt;
  return n;
}

int64_t windowOutput(int64_t in, int64_t kernel, int64_t stride, int64_t dilation, int64_t padBegin,
                     int64_t padEnd, bool ceilMode) {
  // Attributes come from the model: any overflow means "does not fit".
  int64_t span, avail;
  if (kernel < 1 || dilation < 1 || stride <= 0 ||
      __builtin_mul_overflow(dilation, kernel - 1, &span) ||
      __builtin_add_overflow(span, 1, &span) || __builtin_add_overflow(in, padBegin, &avail) ||
      __builtin_add_overflow(avail, padEnd, &avail) || __builtin_sub_overflow(avail, span, &avail))
    return 0;
  if (avail < 0)
    return 0;
  int64_t out = avail / stride + 1 + (ceilMode && avail % stride != 0 ? 1 : 0);
  // A window must start inside the input or the leading padding.
  // ((out - 1) * stride >= in + padBegin, without the product.)
  int64_t startLimit = in + padBegin;
  if (ceilMode &&
      (startLimit <= 0 || out - 1 >= startLimit / stride + (startLimit % stride != 0 ? 1 : 0)))
    --out;
  return out;
}

void clampSlice(int64_t dim, int64_t step, int64_t &start, int64_t &end) {
  if (start < 0)
    start += dim;
  if (end < 0)
    end += dim;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
  }
}

int64_t sliceLength(int64_t start, int64_t end, int64_t step) {
  if (step > 0)
    return end > start ? (end - start + step - 1) / step : 0;
  return start > end ? (start - end + (-step) - 1) / (-step) : 0;
}

std::string toString(const Shape &s) {
  if (s.empty())
    return "scalar";
  std::string r;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i)
      r += "x";
    r += std::to_string(s[i]);
  }
  return r;
}

std::optional<MatMulGeometry> matmulGeometry(Shape a, Shape b) {
  if (a.empty() || b.empty())
    return std::nullopt;
  if (a.size() == 1)
    a.insert(a.begin(), 1);
  if (b.size() == 1)
    b.push_back(1);
  MatMulGeometry g;
  g.m = a[a.size() - 2];
  g.k = a.back();
  g.n = b.back();
  if (b[b.size() - 2] != g.k)
    return std::nullopt;
  g.aBatch.assign(a.begin(), a.end() - 2);
  g.bBatch.assign(b.begin(), b.end() - 2);
  auto batch = broadcast(g.aBatch, g.bBatch);
  if (!batch)
    return std::nullopt;
  g.batch = *batch;
  g.aBatchStrides = broadcastStrides(g.aBatch, g.batch);
  g.bBatchStrides = broadcastStrides(g.bBatch, g.batch);
  for (auto &v : g.aBatchStrides)
    v *= g.m * g.k;
  for (auto &v : g.bBatchStrides)
    v *= g.k * g.n;
  return g;
}

AxisView axisView(const Shape &shape, int64_t axis) {
  AxisView v{1, shape[axis], 1};
  for (int64_t d = 0; d < axis; ++d)
    v.outer *= shape[d];
  for (size_t d = axis + 1; d < shape.size(); ++d)
    v.inner *= shape[d];
  return v;
}

} // namespace pare::shape
