//===- PatchesTest.cpp - receptive-field maths of patch-based inference ---===//
//
// The plain interval maths of dialects/Pare/Analysis/Patches.h: inputInterval (the input
// rows a run of output rows reads, clipped to the input), tilePadBegin,
// splitEvenly and hull, on hand-computed cases and against a brute-force
// walk over every window tap. The IR parts (stages, split candidates) are
// covered by lit tests.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Analysis/Patches.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

using pare::planning::hull;
using pare::planning::inputInterval;
using pare::planning::Interval;
using pare::planning::splitEvenly;
using pare::planning::tilePadBegin;
using pare::planning::Window;

namespace {

Window window(int64_t kernel, int64_t stride, int64_t dilation, int64_t padBegin, int64_t inSize) {
  Window w;
  w.kernel = kernel;
  w.stride = stride;
  w.dilation = dilation;
  w.padBegin = padBegin;
  w.inSize = inSize;
  return w;
}

/// Output rows of a window over inSize rows with padEnd rows of padding after.
int64_t outSize(const Window &w, int64_t padEnd) {
  int64_t extent = (w.kernel - 1) * w.dilation + 1;
  int64_t span = w.inSize + w.padBegin + padEnd - extent;
  return span < 0 ? 0 : span / w.stride + 1;
}

/// Brute force: every input row a tap of one of `out`'s windows reads.
/// Returns {min, max + 1}, or an empty interval when no tap reads a row.
Interval touchedRows(const Window &w, Interval out) {
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (int64_t o = out.begin; o < out.end; ++o)
    for (int64_t k = 0; k < w.kernel; ++k) {
      int64_t r = o * w.stride - w.padBegin + k * w.dilation;
      if (r >= 0 && r < w.inSize) {
        lo = std::min(lo, r);
        hi = std::max(hi, r);
      }
    }
  if (lo > hi)
    return {0, 0};
  return {lo, hi + 1};
}

} // namespace

namespace Catch {
template <> struct StringMaker<Interval> {
  static std::string convert(const Interval &i) {
    return "[" + std::to_string(i.begin) + ", " + std::to_string(i.end) + ")";
  }
};
} // namespace Catch

TEST_CASE("inputInterval: kernel 3, stride 1, pad 1", "[patches]") {
  Window w = window(3, 1, 1, 1, 10);
  // First row: its window starts in the padding, clipped at 0.
  CHECK(inputInterval(w, {0, 1}) == Interval{0, 2});
  CHECK(inputInterval(w, {0, 4}) == Interval{0, 5});
  // Inside: one halo row on each side.
  CHECK(inputInterval(w, {1, 2}) == Interval{0, 3});
  CHECK(inputInterval(w, {4, 6}) == Interval{3, 7});
  CHECK(inputInterval(w, {5, 8}) == Interval{4, 9});
  // Last row: its window ends in the padding, clipped at inSize.
  CHECK(inputInterval(w, {9, 10}) == Interval{8, 10});
  CHECK(inputInterval(w, {6, 10}) == Interval{5, 10});
  // The whole output reads the whole input.
  CHECK(inputInterval(w, {0, 10}) == Interval{0, 10});
}

TEST_CASE("inputInterval: stride 2", "[patches]") {
  Window w = window(3, 2, 1, 1, 10); // 5 output rows
  REQUIRE(outSize(w, 0) == 5);
  CHECK(inputInterval(w, {0, 1}) == Interval{0, 2});
  CHECK(inputInterval(w, {1, 2}) == Interval{1, 4});
  CHECK(inputInterval(w, {1, 3}) == Interval{1, 6});
  CHECK(inputInterval(w, {4, 5}) == Interval{7, 10});
  CHECK(inputInterval(w, {0, 5}) == Interval{0, 10});
  // No padding, kernel 2 stride 2: tiles of a 2x2 pool read disjoint rows.
  Window pool = window(2, 2, 1, 0, 8);
  CHECK(inputInterval(pool, {0, 2}) == Interval{0, 4});
  CHECK(inputInterval(pool, {2, 4}) == Interval{4, 8});
}

TEST_CASE("inputInterval: dilation 2", "[patches]") {
  Window w = window(3, 1, 2, 2, 10); // extent 5, "same" padding
  REQUIRE(outSize(w, 2) == 10);
  CHECK(inputInterval(w, {0, 1}) == Interval{0, 3});
  CHECK(inputInterval(w, {5, 6}) == Interval{3, 8});
  CHECK(inputInterval(w, {2, 5}) == Interval{0, 7});
  CHECK(inputInterval(w, {9, 10}) == Interval{7, 10});
  Window valid = window(3, 1, 2, 0, 10); // 6 output rows
  CHECK(inputInterval(valid, {0, 1}) == Interval{0, 5});
  CHECK(inputInterval(valid, {5, 6}) == Interval{5, 10});
}

TEST_CASE("inputInterval: kernel 1 and empty output", "[patches]") {
  Window w = window(1, 1, 1, 0, 10);
  CHECK(inputInterval(w, {3, 7}) == Interval{3, 7});
  CHECK(inputInterval(w, {0, 10}) == Interval{0, 10});
  Window s2 = window(1, 2, 1, 0, 10);
  CHECK(inputInterval(s2, {2, 4}) == Interval{4, 7});
  CHECK(inputInterval(s2, {4, 5}) == Interval{8, 9});
  // No output rows: no input rows.
  CHECK(inputInterval(window(3, 1, 1, 1, 10), {4, 4}).size() == 0);
  CHECK(inputInterval(window(3, 2, 1, 1, 10), {0, 0}).size() == 0);
}

TEST_CASE("tilePadBegin", "[patches]") {
  Window w = window(3, 1, 1, 1, 12);
  auto pad = [](const Window &w, Interval out) {
    return tilePadBegin(w, out, inputInterval(w, out));
  };
  // First tile of a padded conv sees the pad; interior and last tiles none.
  CHECK(pad(w, {0, 4}) == 1);
  CHECK(pad(w, {4, 8}) == 0);
  CHECK(pad(w, {8, 12}) == 0);
  CHECK(pad(window(3, 2, 1, 1, 12), {0, 3}) == 1);
  CHECK(pad(window(3, 2, 1, 1, 12), {3, 6}) == 0);
  CHECK(pad(window(5, 1, 1, 2, 12), {0, 6}) == 2);
  CHECK(pad(window(5, 1, 1, 2, 12), {1, 6}) == 1);
  CHECK(pad(window(5, 1, 1, 2, 12), {2, 6}) == 0);
  CHECK(pad(window(3, 1, 2, 2, 12), {0, 6}) == 2);
  CHECK(pad(window(3, 1, 1, 0, 12), {0, 5}) == 0);
  CHECK(pad(window(1, 1, 1, 0, 12), {3, 5}) == 0);
}

TEST_CASE("splitEvenly covers [0, size) in near-equal parts", "[patches]") {
  int64_t cases = 0;
  for (int64_t size = 0; size <= 130; ++size)
    for (int64_t n = 1; n <= 17; ++n) {
      std::vector<Interval> parts = splitEvenly(size, n);
      INFO("size " << size << ", n " << n);
      REQUIRE(int64_t(parts.size()) == n);
      bool covers = parts.front().begin == 0 && parts.back().end == size;
      int64_t lo = INT64_MAX, hi = INT64_MIN;
      for (size_t i = 0; i < parts.size(); ++i) {
        covers = covers && parts[i].size() >= 0 && (i == 0 || parts[i].begin == parts[i - 1].end);
        lo = std::min(lo, parts[i].size());
        hi = std::max(hi, parts[i].size());
      }
      CHECK(covers);
      CHECK(hi - lo <= 1);
      ++cases;
    }
  CHECK(cases == 131 * 17);
  CHECK(splitEvenly(10, 3) ==
        std::vector<Interval>{Interval{0, 3}, Interval{3, 6}, Interval{6, 10}});
  CHECK(splitEvenly(4, 4) ==
        std::vector<Interval>{Interval{0, 1}, Interval{1, 2}, Interval{2, 3}, Interval{3, 4}});
}

TEST_CASE("hull ignores empty intervals", "[patches]") {
  CHECK(hull({1, 3}, {6, 8}) == Interval{1, 8});
  CHECK(hull({6, 8}, {1, 3}) == Interval{1, 8});
  CHECK(hull({2, 9}, {4, 5}) == Interval{2, 9});
  CHECK(hull({2, 5}, {0, 0}) == Interval{2, 5});
  CHECK(hull({0, 0}, {3, 4}) == Interval{3, 4});
  // Empty intervals away from 0 do not drag the hull there.
  CHECK(hull({7, 7}, {1, 3}) == Interval{1, 3});
  CHECK(hull({1, 3}, {9, 9}) == Interval{1, 3});
  CHECK(hull({5, 2}, {3, 4}) == Interval{3, 4}); // inverted counts as empty
  CHECK(hull({0, 0}, {4, 4}).size() == 0);
  // Folding hull over a split gives back the whole range.
  Interval all{0, 0};
  for (Interval part : splitEvenly(37, 5))
    all = hull(all, part);
  CHECK(all == Interval{0, 37});
}

TEST_CASE("inputInterval agrees with a brute-force walk over the taps", "[patches]") {
  std::mt19937 rng(4242);
  int64_t checked = 0, dilatedClipped = 0;
  for (int trial = 0; trial < 5000; ++trial) {
    int64_t kernel = 1 + int64_t(rng() % 7), stride = 1 + int64_t(rng() % 3),
            dilation = trial % 2 ? 1 : 1 + int64_t(rng() % 3);
    int64_t extent = (kernel - 1) * dilation + 1;
    // Pads shorter than the window extent (ONNX convs and pools).
    int64_t padBegin = int64_t(rng() % uint64_t(extent)),
            padEnd = int64_t(rng() % uint64_t(extent));
    Window w = window(kernel, stride, dilation, padBegin, 1 + int64_t(rng() % 40));
    int64_t rows = outSize(w, padEnd);
    if (rows <= 0)
      continue;
    int64_t b = int64_t(rng() % uint64_t(rows));
    int64_t e = b + 1 + int64_t(rng() % uint64_t(rows - b));
    Interval out{b, e};
    Interval got = inputInterval(w, out);
    Interval touched = touchedRows(w, out);
    INFO("kernel " << kernel << ", stride " << stride << ", dilation " << dilation << ", padBegin "
                   << padBegin << ", padEnd " << padEnd << ", inSize " << w.inSize << ", out [" << b
                   << ", " << e << ")");
    if (dilation == 1) {
      // Contiguous taps: exactly the rows read.
      CHECK(got == touched);
    } else {
      // Dilated taps skip rows; when the first (last) window starts (ends)
      // in the padding, the interval is clipped at the input's border rather
      // than at the first (last) row read, so that the tile keeps the
      // window's layout (tilePadBegin). Otherwise it is exact.
      int64_t firstTap = b * stride - padBegin;
      int64_t lastTap = (e - 1) * stride - padBegin + (kernel - 1) * dilation;
      if (touched.size() > 0) {
        CHECK(got.begin == (firstTap < 0 ? 0 : touched.begin));
        CHECK(got.end == (lastTap >= w.inSize ? w.inSize : touched.end));
        dilatedClipped += got != touched;
      }
    }
    // Either way: inside the input, and the tile's layout matches the window.
    CHECK(got.begin >= 0);
    CHECK(got.end <= w.inSize);
    CHECK(tilePadBegin(w, out, got) == std::max<int64_t>(0, padBegin - b * stride));
    ++checked;
  }
  CHECK(checked > 3000);
  CHECK(dilatedClipped > 0);
}
