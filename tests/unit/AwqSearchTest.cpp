//===- AwqSearchTest.cpp - the arithmetic of pare-quantize-w4a16 ----------===//

#include "dialects/Pare/Transforms/AwqSearch.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>

using namespace pare::awq;
using Catch::Matchers::WithinAbs;

namespace {

/// [rows][k] Gaussian rows; channel `salient` (if >= 0) `boost` times larger.
std::vector<float> gaussianRows(int64_t rows, int64_t k, int64_t salient, float boost,
                                uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(rows * k));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < k; ++i)
      x[r * k + i] = nd(rng) * (i == salient ? boost : 1.0f);
  return x;
}

std::vector<float> meanAbsOf(const std::vector<float> &x, int64_t rows, int64_t k) {
  std::vector<float> m(static_cast<size_t>(k), 0.0f);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < k; ++i)
      m[i] += std::fabs(x[r * k + i]) / float(rows);
  return m;
}

} // namespace

TEST_CASE("roundToHalf gives float16 values", "[awq]") {
  CHECK(roundToHalf(0.1f) == 0.0999755859375f);
  CHECK(roundToHalf(1.0f) == 1.0f);
  CHECK(roundToHalf(1e6f) == 65504.0f);
  CHECK(roundToHalf(-1e6f) == -65504.0f);
  // 1 + 2^-11 is halfway between 1 and the next half (1 + 2^-10): to even.
  CHECK(roundToHalf(1.0f + 1.0f / 2048.0f) == 1.0f);
}

TEST_CASE("quantize follows the matmul_nbits contract (asymmetric, per group)", "[awq]") {
  QuantSpec spec;
  spec.groupSize = 16;
  // One channel, two groups: 0, 0.1, ..., 1.5 and -1.5 ... 0 (in steps of 0.1).
  std::vector<float> w(32);
  for (int i = 0; i < 16; ++i) {
    w[i] = 0.1f * float(i);
    w[16 + i] = -1.5f + 0.1f * float(i);
  }
  Quantized q = quantize(w.data(), 1, 32, spec);
  REQUIRE(q.scales.size() == 2);
  CHECK(q.scales[0] == roundToHalf(1.5f / 15.0f));
  CHECK(q.zeros[0] == 0);
  CHECK(q.zeros[1] == 15);
  for (int i = 0; i < 16; ++i) {
    CHECK(q.codes[i] == i);
    CHECK(q.codes[16 + i] == i);
  }
  std::vector<float> deq = dequantize(q, 1, 32, spec);
  for (int i = 0; i < 32; ++i)
    CHECK_THAT(deq[i], WithinAbs(w[i], 1e-3));
  // Every code and zero point is a 4-bit value.
  std::vector<float> x = gaussianRows(8, 64, -1, 1.0f, 3);
  Quantized r = quantize(x.data(), 8, 64, spec);
  for (int8_t c : r.codes)
    CHECK((c >= 0 && c <= 15));
  for (int8_t z : r.zeros)
    CHECK((z >= 0 && z <= 15));
}

TEST_CASE("outputError is the squared error of the outputs", "[awq]") {
  std::vector<float> x = {1, 2, -1, 0.5f}; // 2 rows of 2
  std::vector<float> w = {1, 0, 0, 1};     // [N=2][K=2]
  std::vector<float> wq = {1.5f, 0, 0, 0}; // change: channel 0 +0.5 on k0; channel 1 -1 on k1
  // Row 0: (0.5 * 1)^2 + (-1 * 2)^2 = 4.25; row 1: (0.5 * -1)^2 + (-1 * 0.5)^2 = 0.5.
  CHECK_THAT(outputError(x.data(), 2, w.data(), wq.data(), 2, 2), WithinAbs(4.75, 1e-6));
}

TEST_CASE("scalesFor normalises as AWQ does", "[awq]") {
  std::vector<float> m = {4.0f, 1.0f, 0.25f};
  std::vector<float> s0 = scalesFor(m, 0.0);
  for (float v : s0)
    CHECK(v == 1.0f);
  std::vector<float> s1 = scalesFor(m, 1.0);
  // max * min = 1 after normalisation: 4 / 1, 1 / 1, 0.25 / 1.
  CHECK_THAT(s1[0] * s1[2], WithinAbs(1.0, 1e-6));
  CHECK_THAT(s1[0] / s1[1], WithinAbs(4.0, 1e-5));
}

TEST_CASE("the scale search protects a salient input channel", "[awq]") {
  // One input channel 30x larger than the others: round to nearest loses its
  // weights' precision where it matters most; scaling them up keeps it.
  const int64_t rows = 128, k = 64, n = 48;
  QuantSpec spec;
  spec.groupSize = 32;
  std::vector<float> x = gaussianRows(rows, k, 7, 30.0f, 1);
  std::vector<float> w = gaussianRows(n, k, -1, 1.0f, 2);
  GroupProblem p;
  p.k = k;
  p.weights = {w.data()};
  p.outs = {n};
  p.rows = x.data();
  p.numRows = rows;
  p.meanAbs = meanAbsOf(x, rows, k);
  ScaleSearch s = searchScales(p, spec);
  REQUIRE(s.errors.size() == 21);
  CHECK(s.alpha > 0.0);
  CHECK(s.error() < 0.7 * s.errors.front());
  // alpha = 0 is round to nearest: the error of quantize() unscaled.
  std::vector<float> rtn = dequantize(quantize(w.data(), n, k, spec), n, k, spec);
  CHECK_THAT(s.errors.front(), WithinAbs(outputError(x.data(), rows, w.data(), rtn.data(), n, k),
                                         1e-6 * s.errors.front()));
  // The chosen scales, applied by hand, give the error the search reports.
  std::vector<float> scaled(w), xs(x);
  for (int64_t c = 0; c < n; ++c)
    for (int64_t i = 0; i < k; ++i)
      scaled[c * k + i] *= s.scales[i];
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < k; ++i)
      xs[r * k + i] /= s.scales[i];
  std::vector<float> deq = dequantize(quantize(scaled.data(), n, k, spec), n, k, spec);
  CHECK_THAT(outputError(xs.data(), rows, scaled.data(), deq.data(), n, k),
             WithinAbs(s.error(), 1e-4 * s.error()));
}

TEST_CASE("uniform activations keep alpha's error flat and pick the smallest alpha on ties",
          "[awq]") {
  const int64_t rows = 16, k = 32, n = 4;
  QuantSpec spec;
  spec.groupSize = 16;
  std::vector<float> x = gaussianRows(rows, k, -1, 1.0f, 5);
  std::vector<float> w = gaussianRows(n, k, -1, 1.0f, 6);
  GroupProblem p;
  p.k = k;
  p.weights = {w.data()};
  p.outs = {n};
  p.rows = x.data();
  p.numRows = rows;
  p.meanAbs.assign(k, 1.0f); // every channel alike: s = 1 for every alpha
  ScaleSearch s = searchScales(p, spec);
  CHECK(s.alpha == 0.0);
  for (double e : s.errors)
    CHECK(e == s.errors.front());
}

TEST_CASE("the clipping search never increases a group's output error", "[awq]") {
  // One group per channel (K = G): the search's per-group error is the whole
  // output error, so the chosen ratios must do at least as well as none.
  const int64_t rows = 64, k = 32, n = 16;
  QuantSpec spec;
  spec.groupSize = 32;
  std::vector<float> x = gaussianRows(rows, k, -1, 1.0f, 7);
  std::vector<float> w = gaussianRows(n, k, -1, 1.0f, 8);
  // Heavy-tailed weights: one outlier per channel makes clipping pay.
  for (int64_t c = 0; c < n; ++c)
    w[c * k + (c % k)] *= 6.0f;
  std::vector<float> clip = searchClip(w.data(), n, k, x.data(), rows, spec);
  REQUIRE(clip.size() == size_t(n));
  bool shrunk = false;
  for (float r : clip) {
    CHECK((r <= 1.0f && r > 0.5f));
    shrunk |= r < 1.0f;
  }
  CHECK(shrunk);
  std::vector<float> plain = dequantize(quantize(w.data(), n, k, spec), n, k, spec);
  std::vector<float> clipped = dequantize(quantize(w.data(), n, k, spec, clip.data()), n, k, spec);
  CHECK(outputError(x.data(), rows, w.data(), clipped.data(), n, k) <
        outputError(x.data(), rows, w.data(), plain.data(), n, k));
  // The pass's grid of 40 (steps of 0.025 down to 0.525) holds the grid of
  // 20's ratios: its choice is never worse, and some lands between them.
  std::vector<float> fine = searchClip(w.data(), n, k, x.data(), rows, spec, 40);
  bool between = false;
  for (size_t c = 0; c < fine.size(); ++c) {
    double steps = (1.0 - double(fine[c])) * 40.0;
    CHECK_THAT(steps, WithinAbs(std::round(steps), 1e-4));
    CHECK(fine[c] > 0.5f);
    between |= std::lround(steps) % 2 == 1;
    std::vector<float> one(w.begin() + c * k, w.begin() + (c + 1) * k);
    auto err = [&](float r) {
      std::vector<float> d = dequantize(quantize(one.data(), 1, k, spec, &r), 1, k, spec);
      return outputError(x.data(), rows, one.data(), d.data(), 1, k);
    };
    CHECK(err(fine[c]) <= err(clip[c]) * (1 + 1e-6));
  }
  CHECK(between);
}

TEST_CASE("a gated MLP's group is searched on the MLP's output", "[awq]") {
  const int64_t rows = 32, k = 32, inner = 48, outs = 16;
  QuantSpec spec;
  spec.groupSize = 16;
  std::vector<float> x = gaussianRows(rows, k, 3, 10.0f, 11);
  std::vector<float> gate = gaussianRows(inner, k, -1, 0.3f, 12);
  std::vector<float> up = gaussianRows(inner, k, -1, 0.3f, 13);
  std::vector<float> down = gaussianRows(outs, inner, -1, 0.3f, 14);
  // matmulNT is x . w^T.
  std::vector<float> y = matmulNT(x.data(), rows, gate.data(), inner, k);
  double direct = 0;
  for (int64_t i = 0; i < k; ++i)
    direct += double(x[5 * k + i]) * double(gate[7 * k + i]);
  CHECK_THAT(y[5 * inner + 7], WithinAbs(direct, 1e-4));

  GroupProblem p;
  p.k = k;
  p.weights = {up.data(), gate.data()};
  p.outs = {inner, inner};
  p.rows = x.data();
  p.numRows = rows;
  p.meanAbs = meanAbsOf(x, rows, k);
  p.gated = GroupProblem::Gated{1, 0, down.data(), outs};
  ScaleSearch s = searchScales(p, spec);
  // alpha = 0: the MLP's output error with gate and up rounded to nearest.
  auto mlp = [&](const std::vector<float> &g, const std::vector<float> &u) {
    std::vector<float> a = matmulNT(x.data(), rows, g.data(), inner, k);
    std::vector<float> b = matmulNT(x.data(), rows, u.data(), inner, k);
    for (size_t i = 0; i < a.size(); ++i)
      a[i] = a[i] / (1.0f + std::exp(-a[i])) * b[i];
    return matmulNT(a.data(), rows, down.data(), outs, inner);
  };
  std::vector<float> ref = mlp(gate, up);
  std::vector<float> q = mlp(dequantize(quantize(gate.data(), inner, k, spec), inner, k, spec),
                             dequantize(quantize(up.data(), inner, k, spec), inner, k, spec));
  double rtn = 0;
  for (size_t i = 0; i < ref.size(); ++i)
    rtn += double(q[i] - ref[i]) * double(q[i] - ref[i]);
  CHECK_THAT(s.errors.front(), WithinAbs(rtn, 1e-4 * rtn));
  CHECK(s.alpha > 0.0);
  CHECK(s.error() < s.errors.front());
}

TEST_CASE("matmulNT and outputError agree with plain loops on ragged shapes", "[awq]") {
  // Rows, channels and K that are not multiples of the kernels' 2 x 4 tiles
  // and 4-wide vectors.
  const int64_t rows = 7, n = 37, k = 13;
  std::vector<float> x = gaussianRows(rows, k, -1, 1.0f, 21);
  std::vector<float> w = gaussianRows(n, k, -1, 1.0f, 22);
  std::vector<float> wq = gaussianRows(n, k, -1, 0.1f, 23);
  for (size_t i = 0; i < wq.size(); ++i)
    wq[i] += w[i];
  std::vector<float> y = matmulNT(x.data(), rows, w.data(), n, k);
  REQUIRE(y.size() == size_t(rows * n));
  double expected = 0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < n; ++c) {
      double dot = 0, err = 0;
      for (int64_t i = 0; i < k; ++i) {
        dot += double(x[r * k + i]) * double(w[c * k + i]);
        err += double(x[r * k + i]) * (double(wq[c * k + i]) - double(w[c * k + i]));
      }
      CHECK_THAT(y[r * n + c], WithinAbs(dot, 1e-4));
      expected += err * err;
    }
  CHECK_THAT(outputError(x.data(), rows, w.data(), wq.data(), n, k),
             WithinAbs(expected, 1e-5 * expected));
}
