//===- AwqSearch.cpp - AWQ's weight quantization and its searches ----------===//
//
// The loops run over output channels in parallel (llvm::parallelFor); each
// channel's error lands in its own slot and the slots are summed in order,
// so the results do not depend on the thread count.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Transforms/AwqSearch.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/Support/Parallel.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace pare::awq {

float roundToHalf(float v) {
  llvm::APFloat h(v);
  bool lost;
  h.convert(llvm::APFloat::IEEEhalf(), llvm::APFloat::rmNearestTiesToEven, &lost);
  if (h.isInfinity())
    return std::copysign(65504.0f, v);
  h.convert(llvm::APFloat::IEEEsingle(), llvm::APFloat::rmNearestTiesToEven, &lost);
  return h.convertToFloat();
}

namespace {

/// x . y over n floats with eight partial sums, so that the compiler
/// vectorizes it without reassociating a single float sum.
float dot(const float *x, const float *y, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j)
      acc[j] += x[i + j] * y[i + j];
  float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; i < n; ++i)
    s += x[i] * y[i];
  return s;
}

typedef float V4 __attribute__((vector_size(16)));

inline V4 load4(const float *p) {
  V4 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline float sum4(V4 v) { return (v[0] + v[1]) + (v[2] + v[3]); }

/// The dots of 2 rows (x0, x1) with 4 weight rows (w[0..3]) of k floats:
/// out[i][j] = x_i . w_j, each a 4-lane partial sum over k (then a tail),
/// so a dot's value does not depend on the rows or weights beside it.
void dots2x4(const float *x0, const float *x1, const float *const w[4], int64_t k,
             float out[2][4]) {
  V4 a[2][4] = {};
  int64_t i = 0;
  for (; i + 4 <= k; i += 4) {
    V4 p = load4(x0 + i), q = load4(x1 + i);
    for (int j = 0; j < 4; ++j) {
      V4 v = load4(w[j] + i);
      a[0][j] += p * v;
      a[1][j] += q * v;
    }
  }
  for (int j = 0; j < 4; ++j) {
    out[0][j] = sum4(a[0][j]);
    out[1][j] = sum4(a[1][j]);
    for (int64_t t = i; t < k; ++t) {
      out[0][j] += x0[t] * w[j][t];
      out[1][j] += x1[t] * w[j][t];
    }
  }
}

/// Calls visit(row, channel, x_row . w_channel) for every row of `x`
/// [R][K] and channel of `wt` [N][K], the channels in parallel blocks of
/// 16 (each block's calls in row order, one thread each), the rows in
/// blocks that stay in cache.
template <typename Visit>
void forEachDot(const float *x, int64_t rows, const float *wt, int64_t n, int64_t k,
                Visit visit) {
  constexpr int64_t chunk = 16, rowBlock = 32;
  int64_t chunks = (n + chunk - 1) / chunk;
  llvm::parallelFor(0, size_t(chunks), [&](size_t b) {
    int64_t c0 = int64_t(b) * chunk, c1 = std::min(n, c0 + chunk);
    for (int64_t r0 = 0; r0 < rows; r0 += rowBlock) {
      int64_t r1 = std::min(rows, r0 + rowBlock);
      for (int64_t c = c0; c < c1; c += 4) {
        const float *w[4];
        for (int j = 0; j < 4; ++j)
          w[j] = wt + std::min(c + j, c1 - 1) * k;
        for (int64_t r = r0; r < r1; r += 2) {
          float out[2][4];
          dots2x4(x + r * k, x + std::min(r + 1, r1 - 1) * k, w, k, out);
          for (int i = 0; i < 2 && r + i < r1; ++i)
            for (int j = 0; j < 4 && c + j < c1; ++j)
              visit(r + i, c + j, out[i][j]);
        }
      }
    }
  });
}

/// One group's scale and zero point for the range [lo, hi] (AWQ's:
/// (hi - lo) / levels, at least 1e-5, rounded to fp16).
void groupParams(float lo, float hi, int64_t levels, float &scale, int &zero) {
  scale = roundToHalf(std::max((hi - lo) / float(levels), 1e-5f));
  zero = int(std::clamp(-std::nearbyint(lo / scale), 0.0f, float(levels)));
}

/// Quantizes w[0..g) after clamping it to ratio * its range: codes, scale,
/// zero; `deq` (optional) receives the weights the codes stand for.
void quantizeGroup(const float *w, int64_t g, float ratio, int64_t levels, int8_t *codes,
                   float &scale, int &zero, float *deq) {
  float lo = w[0], hi = w[0];
  for (int64_t i = 1; i < g; ++i) {
    lo = std::min(lo, w[i]);
    hi = std::max(hi, w[i]);
  }
  lo *= ratio;
  hi *= ratio;
  groupParams(lo, hi, levels, scale, zero);
  for (int64_t i = 0; i < g; ++i) {
    float c = std::clamp(std::nearbyint(std::clamp(w[i], lo, hi) / scale) + float(zero), 0.0f,
                         float(levels));
    if (codes)
      codes[i] = int8_t(c);
    if (deq)
      deq[i] = (c - float(zero)) * scale;
  }
}

} // namespace

Quantized quantize(const float *wt, int64_t n, int64_t k, const QuantSpec &spec,
                   const float *clip) {
  int64_t g = spec.groupSize, groups = k / g;
  Quantized q;
  q.codes.resize(size_t(n * k));
  q.scales.resize(size_t(n * groups));
  q.zeros.resize(size_t(n * groups));
  llvm::parallelFor(0, size_t(n), [&](size_t c) {
    for (int64_t j = 0; j < groups; ++j) {
      size_t slot = c * size_t(groups) + size_t(j);
      int zero;
      quantizeGroup(wt + c * k + j * g, g, clip ? clip[slot] : 1.0f, spec.levels(),
                    q.codes.data() + c * k + j * g, q.scales[slot], zero, nullptr);
      q.zeros[slot] = int8_t(zero);
    }
  });
  return q;
}

std::vector<float> dequantize(const Quantized &q, int64_t n, int64_t k, const QuantSpec &spec) {
  int64_t g = spec.groupSize, groups = k / g;
  std::vector<float> w(static_cast<size_t>(n * k));
  for (int64_t c = 0; c < n; ++c)
    for (int64_t i = 0; i < k; ++i) {
      int64_t slot = c * groups + i / g;
      w[c * k + i] = (float(q.codes[c * k + i]) - float(q.zeros[slot])) * q.scales[slot];
    }
  return w;
}

double outputError(const float *x, int64_t rows, const float *wt, const float *wq, int64_t n,
                   int64_t k) {
  std::vector<float> d(static_cast<size_t>(n * k));
  for (int64_t i = 0; i < n * k; ++i)
    d[i] = wq[i] - wt[i];
  std::vector<double> perChannel(static_cast<size_t>(n), 0.0);
  forEachDot(x, rows, d.data(), n, k, [&](int64_t, int64_t c, float e) {
    perChannel[c] += double(e) * double(e);
  });
  double total = 0;
  for (double e : perChannel)
    total += e;
  return total;
}

double ScaleSearch::error() const {
  return errors.empty() ? 0.0 : errors[size_t(std::lround(alpha * double(errors.size() - 1)))];
}

std::vector<float> scalesFor(const std::vector<float> &meanAbs, double alpha) {
  std::vector<float> s(meanAbs.size());
  float mx = 0, mn = INFINITY;
  for (size_t i = 0; i < s.size(); ++i) {
    s[i] = std::max(float(std::pow(double(meanAbs[i]), alpha)), 1e-4f);
    mx = std::max(mx, s[i]);
    mn = std::min(mn, s[i]);
  }
  float norm = std::sqrt(mx * mn);
  for (float &v : s)
    v /= norm;
  return s;
}

std::vector<float> matmulNT(const float *x, int64_t rows, const float *wt, int64_t n, int64_t k) {
  std::vector<float> y(static_cast<size_t>(rows * n));
  forEachDot(x, rows, wt, n, k, [&](int64_t r, int64_t c, float v) { y[r * n + c] = v; });
  return y;
}

namespace {

/// down(silu(x . gate^T) * (x . up^T)) on rows [R][K]: [R][H].
std::vector<float> gatedMlp(const float *x, int64_t rows, int64_t k, const float *gate,
                            const float *up, int64_t inner, const float *down, int64_t outs) {
  std::vector<float> g = matmulNT(x, rows, gate, inner, k);
  std::vector<float> u = matmulNT(x, rows, up, inner, k);
  for (size_t i = 0; i < g.size(); ++i)
    g[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
  return matmulNT(g.data(), rows, down, outs, inner);
}

} // namespace

ScaleSearch searchScales(const GroupProblem &p, const QuantSpec &spec, int grid) {
  ScaleSearch best;
  int64_t k = p.k;
  std::vector<float> reference;
  if (p.gated)
    reference = gatedMlp(p.rows, p.numRows, k, p.weights[p.gated->gate], p.weights[p.gated->up],
                         p.outs[p.gated->gate], p.gated->down, p.gated->downOuts);
  std::vector<float> xs(static_cast<size_t>(p.numRows * k));
  double bestError = INFINITY;
  for (int step = 0; step <= grid; ++step) {
    double alpha = double(step) / double(grid);
    std::vector<float> s = scalesFor(p.meanAbs, alpha);
    // The rows as the scaled linears see them: x / s.
    for (int64_t r = 0; r < p.numRows; ++r)
      for (int64_t i = 0; i < k; ++i)
        xs[r * k + i] = p.rows[r * k + i] / s[i];
    double error = 0;
    std::vector<std::vector<float>> deqs(p.weights.size());
    for (size_t l = 0; l < p.weights.size(); ++l) {
      int64_t n = p.outs[l];
      std::vector<float> scaled(static_cast<size_t>(n * k));
      for (int64_t c = 0; c < n; ++c)
        for (int64_t i = 0; i < k; ++i)
          scaled[c * k + i] = p.weights[l][c * k + i] * s[i];
      deqs[l] = dequantize(quantize(scaled.data(), n, k, spec), n, k, spec);
      // x/s . (W s)_q - x . W = (x/s) . ((W s)_q - W s).
      if (!p.gated)
        error += outputError(xs.data(), p.numRows, scaled.data(), deqs[l].data(), n, k);
    }
    if (p.gated) {
      std::vector<float> y = gatedMlp(xs.data(), p.numRows, k, deqs[p.gated->gate].data(),
                                      deqs[p.gated->up].data(), p.outs[p.gated->gate],
                                      p.gated->down, p.gated->downOuts);
      for (size_t i = 0; i < y.size(); ++i)
        error += double(y[i] - reference[i]) * double(y[i] - reference[i]);
    }
    best.errors.push_back(error);
    if (error < bestError) {
      bestError = error;
      best.alpha = alpha;
      best.scales = std::move(s);
    }
  }
  return best;
}

std::vector<float> searchClip(const float *wt, int64_t n, int64_t k, const float *rows,
                              int64_t numRows, const QuantSpec &spec, int grid, double maxShrink) {
  int64_t g = spec.groupSize, groups = k / g;
  // Each group's Gram matrix H = X_g^T X_g: the error of a weight change d
  // within the group is d^T H d, summed over the rows.
  std::vector<float> gram(static_cast<size_t>(groups * g * g), 0.0f);
  llvm::parallelFor(0, size_t(groups), [&](size_t j) {
    float *h = gram.data() + j * g * g;
    std::vector<std::vector<float>> cols(static_cast<size_t>(g),
                                         std::vector<float>(static_cast<size_t>(numRows)));
    for (int64_t a = 0; a < g; ++a)
      for (int64_t r = 0; r < numRows; ++r)
        cols[a][r] = rows[r * k + int64_t(j) * g + a];
    for (int64_t a = 0; a < g; ++a)
      for (int64_t b = a; b < g; ++b)
        h[a * g + b] = h[b * g + a] = dot(cols[a].data(), cols[b].data(), numRows);
  });
  int steps = std::max(1, int(maxShrink * grid));
  std::vector<float> ratios(static_cast<size_t>(n * groups), 1.0f);
  llvm::parallelFor(0, size_t(n), [&](size_t c) {
    std::vector<float> deq(static_cast<size_t>(g)), d(static_cast<size_t>(g)),
        hd(static_cast<size_t>(g));
    for (int64_t j = 0; j < groups; ++j) {
      const float *w = wt + c * k + j * g;
      const float *h = gram.data() + j * g * g;
      double bestError = INFINITY;
      for (int step = 0; step < steps; ++step) {
        float ratio = 1.0f - float(step) / float(grid);
        float scale;
        int zero;
        quantizeGroup(w, g, ratio, spec.levels(), nullptr, scale, zero, deq.data());
        for (int64_t a = 0; a < g; ++a)
          d[a] = deq[a] - w[a];
        for (int64_t a = 0; a < g; ++a)
          hd[a] = dot(h + a * g, d.data(), g);
        double error = dot(d.data(), hd.data(), g);
        if (error < bestError) {
          bestError = error;
          ratios[c * groups + j] = ratio;
        }
      }
    }
  });
  return ratios;
}

} // namespace pare::awq
