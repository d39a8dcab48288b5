//===- SmoothQuant.cpp - SmoothQuant's W8A8 arithmetic and alpha search ----===//
//
// The search's error runs the decoder's own kernel (pare_matmul_w8a8_f32)
// on the smoothed rows and the quantized smoothed weights, so per-token and
// per-tensor rounding, clamping and the int32 sums are scored as the C
// target computes them.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Transforms/SmoothQuant.h"

#include "runtime-stubs/c/pare_llm.h"

#include <algorithm>
#include <cmath>

namespace pare::smooth {

std::vector<float> smoothingScales(const std::vector<float> &maxAbsX,
                                   const std::vector<float> &maxAbsW, double alpha) {
  std::vector<float> s(maxAbsX.size(), 1.0f);
  for (size_t j = 0; j < s.size(); ++j) {
    double x = maxAbsX[j], w = maxAbsW[j];
    if (!(x > 0) || !(w > 0))
      continue;
    s[j] = float(std::max(std::pow(x, alpha) / std::pow(w, 1.0 - alpha), 1e-5));
  }
  return s;
}

void mergeColumnMax(const float *wt, int64_t n, int64_t k, std::vector<float> &into) {
  into.resize(size_t(k), 0.0f);
  for (int64_t c = 0; c < n; ++c)
    for (int64_t j = 0; j < k; ++j)
      into[j] = std::max(into[j], std::fabs(wt[c * k + j]));
}

Int8Weights quantizeWeights(const float *wt, int64_t n, int64_t k) {
  Int8Weights q;
  q.codes.assign(size_t(n * k), 0);
  q.scales.assign(size_t(n), 0.0f);
  for (int64_t c = 0; c < n; ++c) {
    float m = 0;
    for (int64_t j = 0; j < k; ++j)
      m = std::max(m, std::fabs(wt[c * k + j]));
    if (!(m > 0))
      continue;
    float scale = m / 127.0f;
    q.scales[c] = scale;
    for (int64_t j = 0; j < k; ++j) {
      float v = std::round(wt[c * k + j] / scale);
      q.codes[c * k + j] = int8_t(std::clamp(v, -127.0f, 127.0f));
    }
  }
  return q;
}

float perTensorScale(const std::vector<float> &maxAbsX, const std::vector<float> &inScale) {
  float m = 0;
  for (size_t j = 0; j < maxAbsX.size(); ++j)
    m = std::max(m, maxAbsX[j] / inScale[j]);
  return m > 0 ? m / 127.0f : 1.0f;
}

std::vector<std::vector<float>> floatOutputs(const GroupProblem &p) {
  std::vector<std::vector<float>> out;
  int64_t k = p.k, rows = p.numRows;
  for (size_t l = 0; l < p.weights.size(); ++l) {
    int64_t n = p.outs[l];
    std::vector<float> y(size_t(rows * n));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < n; ++c) {
        const float *xr = p.rows + r * k, *wc = p.weights[l] + c * k;
        float acc = 0;
        for (int64_t j = 0; j < k; ++j)
          acc += xr[j] * wc[j];
        y[r * n + c] = acc;
      }
    out.push_back(std::move(y));
  }
  return out;
}

double groupError(const GroupProblem &p, const std::vector<float> &s,
                  const std::vector<std::vector<float>> &reference) {
  int64_t k = p.k, rows = p.numRows;
  std::vector<float> x(p.rows, p.rows + rows * k);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < k; ++j)
      x[r * k + j] /= s[j];
  float actScale = p.perTensor ? perTensorScale(p.maxAbsX, s) : 0.0f;
  std::vector<int8_t> scratch(std::max<size_t>(PARE_LLM_W8_SCRATCH(rows, k), 1));
  double err = 0;
  for (size_t l = 0; l < p.weights.size(); ++l) {
    int64_t n = p.outs[l];
    const float *w = p.weights[l];
    std::vector<float> ws(w, w + n * k);
    for (int64_t c = 0; c < n; ++c)
      for (int64_t j = 0; j < k; ++j)
        ws[c * k + j] *= s[j];
    Int8Weights q = quantizeWeights(ws.data(), n, k);
    std::vector<float> y(size_t(rows * n));
    pare_matmul_w8a8_f32(x.data(), q.codes.data(), q.scales.data(), y.data(), int32_t(rows),
                         int32_t(k), int32_t(n), actScale, scratch.data());
    for (size_t i = 0; i < y.size(); ++i) {
      double d = double(y[i]) - double(reference[l][i]);
      err += d * d;
    }
  }
  return err;
}

double groupError(const GroupProblem &p, const std::vector<float> &s) {
  return groupError(p, s, floatOutputs(p));
}

AlphaSearch searchAlpha(const GroupProblem &p, double lo, double hi, double step, bool refine) {
  std::vector<float> maxW = p.maxAbsW;
  if (maxW.empty())
    for (size_t l = 0; l < p.weights.size(); ++l)
      mergeColumnMax(p.weights[l], p.outs[l], p.k, maxW);
  AlphaSearch found;
  std::vector<std::vector<float>> reference = floatOutputs(p);
  found.unsmoothedError = groupError(p, std::vector<float>(size_t(p.k), 1.0f), reference);
  bool first = true;
  auto evaluate = [&](double alpha) {
    double e = groupError(p, smoothingScales(p.maxAbsX, maxW, alpha), reference);
    found.grid.push_back(alpha);
    found.errors.push_back(e);
    if (first || e < found.error) {
      found.alpha = alpha;
      found.error = e;
      first = false;
    }
  };
  for (int i = 0;; ++i) {
    double alpha = lo + step * i;
    if (alpha > hi + 1e-9)
      break;
    evaluate(alpha);
  }
  // The grid's best is within a step of the optimum of a curve that is
  // mostly one valley; halving the step there costs two evaluations where a
  // finer grid would cost as many again as the grid.
  if (refine && !first) {
    double best = found.alpha;
    for (double alpha : {best - step / 2, best + step / 2})
      if (alpha >= -1e-9 && alpha <= 1.0 + 1e-9)
        evaluate(std::clamp(alpha, 0.0, 1.0));
  }
  return found;
}

} // namespace pare::smooth
