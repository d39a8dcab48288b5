//===- SmoothQuantTest.cpp - the arithmetic of pare-quantize-w8a8 ----------===//

#include "dialects/Pare/Transforms/SmoothQuant.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

using namespace pare::smooth;
using Catch::Matchers::WithinRel;

namespace {

/// [rows][k] Gaussian rows; channel `outlier` (if >= 0) `boost` times larger.
std::vector<float> rowsWithOutlier(int64_t rows, int64_t k, int64_t outlier, float boost,
                                   uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(rows * k));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < k; ++i)
      x[r * k + i] = nd(rng) * (i == outlier ? boost : 1.0f);
  return x;
}

std::vector<float> columnMaxAbs(const std::vector<float> &x, int64_t rows, int64_t k) {
  std::vector<float> m;
  mergeColumnMax(x.data(), rows, k, m);
  return m;
}

} // namespace

TEST_CASE("smoothing scales follow max|X|^alpha / max|W|^(1-alpha)", "[smoothquant]") {
  std::vector<float> s = smoothingScales({16.0f, 1.0f, 0.0f, 4.0f}, {0.25f, 1.0f, 2.0f, 0.0f}, 0.5);
  CHECK_THAT(s[0], WithinRel(8.0f, 1e-6f)); // sqrt(16) / sqrt(0.25)
  CHECK_THAT(s[1], WithinRel(1.0f, 1e-6f));
  CHECK(s[2] == 1.0f); // an all-zero activation channel keeps s = 1
  CHECK(s[3] == 1.0f); // so does an all-zero weight column
  std::vector<float> a1 = smoothingScales({16.0f}, {0.25f}, 1.0);
  CHECK_THAT(a1[0], WithinRel(16.0f, 1e-6f));
  std::vector<float> a0 = smoothingScales({16.0f}, {0.25f}, 0.0);
  CHECK_THAT(a0[0], WithinRel(4.0f, 1e-6f));
}

TEST_CASE("weights quantize symmetric per output channel", "[smoothquant]") {
  std::vector<float> w = {0.5f, -1.0f, 0.25f, 0.0f, 0.0f, 0.0f, 3.0f, -0.02f, 1.5f};
  Int8Weights q = quantizeWeights(w.data(), 3, 3);
  CHECK_THAT(q.scales[0], WithinRel(1.0f / 127.0f, 1e-6f));
  CHECK(q.codes[1] == -127);
  CHECK(q.codes[0] == 64); // 63.5 rounds half away from zero
  CHECK(q.scales[1] == 0.0f);
  CHECK((q.codes[3] == 0 && q.codes[4] == 0 && q.codes[5] == 0));
  CHECK(q.codes[6] == 127);
  CHECK(q.codes[7] == -1); // -0.02 / (3 / 127) = -0.85
}

TEST_CASE("smoothing cuts the per-tensor error of an outlier channel", "[smoothquant]") {
  const int64_t rows = 64, k = 32, n = 24;
  std::vector<float> x = rowsWithOutlier(rows, k, 5, 60.0f, 19);
  std::vector<float> w = rowsWithOutlier(n, k, -1, 1.0f, 7); // [N][K]
  GroupProblem p;
  p.k = k;
  p.weights = {w.data()};
  p.outs = {n};
  p.rows = x.data();
  p.numRows = rows;
  p.maxAbsX = columnMaxAbs(x, rows, k);
  p.perTensor = true;
  std::vector<float> ones(k, 1.0f);
  double none = groupError(p, ones);
  std::vector<float> maxW = columnMaxAbs(w, n, k);
  double half = groupError(p, smoothingScales(p.maxAbsX, maxW, 0.5));
  CHECK(half < 0.25 * none);
  AlphaSearch found = searchAlpha(p, 0.3, 0.9, 0.1);
  CHECK(found.grid.size() == 7);
  CHECK(found.unsmoothedError == none);
  CHECK(found.error <= half);
  CHECK(found.error == *std::min_element(found.errors.begin(), found.errors.end()));
  // Per token, the same rows lose less to quantization than per tensor.
  p.perTensor = false;
  CHECK(groupError(p, ones) < none);
}

TEST_CASE("the refined search tries the midpoints beside the grid's best", "[smoothquant]") {
  const int64_t rows = 64, k = 32, n = 24;
  std::vector<float> x = rowsWithOutlier(rows, k, 5, 60.0f, 19);
  std::vector<float> w = rowsWithOutlier(n, k, -1, 1.0f, 7);
  GroupProblem p;
  p.k = k;
  p.weights = {w.data()};
  p.outs = {n};
  p.rows = x.data();
  p.numRows = rows;
  p.maxAbsX = columnMaxAbs(x, rows, k);
  p.perTensor = true;
  AlphaSearch coarse = searchAlpha(p, 0.3, 1.0, 0.1);
  AlphaSearch fine = searchAlpha(p, 0.3, 1.0, 0.1, /*refine=*/true);
  REQUIRE(coarse.grid.size() == 8);
  // The grid as before, then the two midpoints (one when the best is at 1).
  size_t extra = coarse.alpha > 0.95 ? 1 : 2;
  REQUIRE(fine.grid.size() == 8 + extra);
  CHECK(std::equal(coarse.errors.begin(), coarse.errors.end(), fine.errors.begin()));
  CHECK_THAT(fine.grid[8], WithinRel(coarse.alpha - 0.05, 1e-9));
  CHECK(fine.error <= coarse.error);
  CHECK(fine.error == *std::min_element(fine.errors.begin(), fine.errors.end()));
  CHECK(std::fabs(fine.alpha - coarse.alpha) <= 0.05 + 1e-9);
}
