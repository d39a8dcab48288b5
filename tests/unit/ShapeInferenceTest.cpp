//===- ShapeInferenceTest.cpp - shape arithmetic of the pare ops ----------===//
//
// dialects/Pare/IR/ShapeInference.h: broadcasting, strides, sliding-window
// output sizes (floor and ceil mode) and ONNX Slice clamping, checked against
// hand-worked cases and against brute force.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/IR/ShapeInference.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <vector>

namespace shape = pare::shape;
using shape::Shape;

TEST_CASE("broadcast follows NumPy / ONNX rules", "[shape]") {
  using Opt = std::optional<Shape>;
  CHECK(shape::broadcast({2, 3}, {2, 3}) == Opt(Shape{2, 3}));
  CHECK(shape::broadcast({2, 3, 4}, {4}) == Opt(Shape{2, 3, 4}));
  CHECK(shape::broadcast({4}, {2, 3, 4}) == Opt(Shape{2, 3, 4}));
  CHECK(shape::broadcast({2, 1, 4}, {3, 1}) == Opt(Shape{2, 3, 4}));
  CHECK(shape::broadcast({1}, {5}) == Opt(Shape{5}));
  CHECK(shape::broadcast({}, {3, 2}) == Opt(Shape{3, 2}));
  CHECK(shape::broadcast({3, 2}, {}) == Opt(Shape{3, 2}));
  CHECK(shape::broadcast({}, {}) == Opt(Shape{}));
  CHECK(shape::broadcast({1, 1}, {1}) == Opt(Shape{1, 1}));
  SECTION("a zero-size dim broadcasts with 1 and with 0 only") {
    CHECK(shape::broadcast({0, 3}, {1, 3}) == Opt(Shape{0, 3}));
    CHECK(shape::broadcast({1}, {0}) == Opt(Shape{0}));
    CHECK(shape::broadcast({0}, {0}) == Opt(Shape{0}));
    CHECK_FALSE(shape::broadcast({0}, {2}).has_value());
  }
  SECTION("mismatched dims do not broadcast") {
    CHECK_FALSE(shape::broadcast({1, 3}, {1, 4}).has_value());
    CHECK_FALSE(shape::broadcast({2, 3, 4}, {3, 2}).has_value());
    CHECK_FALSE(shape::broadcast({2}, {3}).has_value());
  }
  SECTION("broadcast is symmetric") {
    std::vector<Shape> shapes = {{}, {1}, {3}, {2, 1}, {1, 3}, {2, 3}, {4, 1, 3}, {0, 1}};
    for (const Shape &a : shapes)
      for (const Shape &b : shapes)
        CHECK(shape::broadcast(a, b) == shape::broadcast(b, a));
  }
}

TEST_CASE("contiguousStrides and numElements", "[shape]") {
  CHECK(shape::contiguousStrides({2, 3, 4}) == std::vector<int64_t>{12, 4, 1});
  CHECK(shape::contiguousStrides({5}) == std::vector<int64_t>{1});
  CHECK(shape::contiguousStrides({}).empty());
  CHECK(shape::contiguousStrides({3, 0, 2}) == std::vector<int64_t>{0, 2, 1});
  CHECK(shape::numElements({2, 3, 4}) == 24);
  CHECK(shape::numElements({}) == 1);
  CHECK(shape::numElements({7, 0, 3}) == 0);
}

TEST_CASE("broadcastStrides reads an operand through a broadcast", "[shape]") {
  using V = std::vector<int64_t>;
  CHECK(shape::broadcastStrides({2, 3, 4}, {2, 3, 4}) == V{12, 4, 1});
  CHECK(shape::broadcastStrides({4}, {2, 3, 4}) == V{0, 0, 1});
  CHECK(shape::broadcastStrides({3, 1}, {2, 3, 4}) == V{0, 1, 0});
  CHECK(shape::broadcastStrides({2, 1, 4}, {2, 3, 4}) == V{4, 0, 1});
  CHECK(shape::broadcastStrides({}, {2, 3}) == V{0, 0});
  CHECK(shape::broadcastStrides({1}, {5}) == V{0});
  // Size-1 dims of the output get stride 0 whatever the input's stride.
  CHECK(shape::broadcastStrides({1, 3}, {1, 3}) == V{0, 1});

  SECTION("brute force: strided reads equal NumPy broadcasting") {
    // For in = 2x1x3 read as out = 4x2x5x3 (a new leading dim of 4, the 1
    // stretched to 5), element (a, b, c, d) of out must be in[b][0][d].
    Shape in = {2, 1, 3}, out = {4, 2, 5, 3};
    REQUIRE(shape::broadcast(in, out) == std::optional<Shape>(out));
    auto st4 = shape::broadcastStrides(in, out);
    REQUIRE(st4.size() == 4);
    for (int64_t a = 0; a < 4; ++a)
      for (int64_t b = 0; b < 2; ++b)
        for (int64_t c = 0; c < 5; ++c)
          for (int64_t d = 0; d < 3; ++d) {
            int64_t off = a * st4[0] + b * st4[1] + c * st4[2] + d * st4[3];
            CHECK(off == b * 3 + d);
          }
  }
}

TEST_CASE("windowOutput: floor mode", "[shape]") {
  // in, kernel, stride, dilation, padBegin, padEnd, ceil
  CHECK(shape::windowOutput(8, 3, 1, 1, 1, 1, false) == 8); // "same" 3x3
  CHECK(shape::windowOutput(8, 3, 1, 1, 0, 0, false) == 6);
  CHECK(shape::windowOutput(8, 3, 2, 1, 1, 1, false) == 4);
  CHECK(shape::windowOutput(7, 3, 2, 1, 0, 0, false) == 3);
  CHECK(shape::windowOutput(8, 2, 2, 1, 0, 0, false) == 4);
  CHECK(shape::windowOutput(9, 3, 1, 2, 0, 0, false) == 5); // span 5
  CHECK(shape::windowOutput(9, 3, 2, 2, 1, 2, false) == 4); // (9+3-5)/2+1
  CHECK(shape::windowOutput(224, 7, 2, 1, 3, 3, false) == 112);
  CHECK(shape::windowOutput(1, 1, 1, 1, 0, 0, false) == 1);
  SECTION("a window that does not fit gives < 1") {
    CHECK(shape::windowOutput(2, 3, 1, 1, 0, 0, false) < 1);
    CHECK(shape::windowOutput(3, 3, 1, 2, 0, 0, false) < 1); // span 5
    CHECK(shape::windowOutput(4, 3, 0, 1, 0, 0, false) < 1); // stride 0
  }
}

TEST_CASE("windowOutput: ceil mode", "[shape]") {
  // 8 wide, 3x3, stride 2: floor 3, ceil 4 (the last window starts at 6).
  CHECK(shape::windowOutput(8, 3, 2, 1, 0, 0, false) == 3);
  CHECK(shape::windowOutput(8, 3, 2, 1, 0, 0, true) == 4);
  // When the division is exact, ceil equals floor.
  CHECK(shape::windowOutput(7, 3, 2, 1, 0, 0, true) == 3);
  CHECK(shape::windowOutput(8, 2, 2, 1, 0, 0, true) == 4);
  // The classic 3x3 / 2 pool with pad 1 on 112: floor 56, ceil 57 (the
  // 57th window starts at 56 * 2 - 1 = 111, the last input row).
  CHECK(shape::windowOutput(112, 3, 2, 1, 1, 1, false) == 56);
  CHECK(shape::windowOutput(112, 3, 2, 1, 1, 1, true) == 57);
  // 6 + pads 1 + 1, 3x3 / 2: floor 3, ceil 4 (last start 6 < 6 + 1).
  CHECK(shape::windowOutput(6, 3, 2, 1, 1, 1, true) == 4);
  SECTION("a window may not start in the end padding only") {
    // in 6, kernel 3, stride 4, pads 0 / 2: span fits at 0 and 4; ceil would
    // add a window starting at 8 >= in + padBegin, which is dropped.
    CHECK(shape::windowOutput(6, 3, 4, 1, 0, 2, false) == 2);
    CHECK(shape::windowOutput(6, 3, 4, 1, 0, 2, true) == 2);
  }
  SECTION("brute force against the definition") {
    // Floor mode: windows start at 0, s, 2s, ... while the whole span fits
    // the padded extent. Ceil mode: one more start when the last step is
    // partial (starts up to the first multiple of s >= the room left), but
    // only starts inside the input or the leading padding count.
    for (int64_t in = 1; in <= 12; ++in)
      for (int64_t k = 1; k <= 4; ++k)
        for (int64_t s = 1; s <= 3; ++s)
          for (int64_t d = 1; d <= 2; ++d)
            for (int64_t pb = 0; pb < k; ++pb)
              for (int64_t pe = 0; pe < k; ++pe) {
                int64_t span = d * (k - 1) + 1;
                int64_t padded = in + pb + pe;
                INFO("in " << in << " k " << k << " s " << s << " d " << d << " pads " << pb << "/"
                           << pe);
                if (padded < span) {
                  CHECK(shape::windowOutput(in, k, s, d, pb, pe, false) < 1);
                  CHECK(shape::windowOutput(in, k, s, d, pb, pe, true) < 1);
                  continue;
                }
                int64_t room = padded - span;
                int64_t floorCount = 0, ceilCount = 0;
                for (int64_t st = 0; st <= room; st += s)
                  ++floorCount;
                for (int64_t st = 0; st < room + s; st += s)
                  ceilCount += st < in + pb;
                CHECK(shape::windowOutput(in, k, s, d, pb, pe, false) == floorCount);
                CHECK(shape::windowOutput(in, k, s, d, pb, pe, true) == ceilCount);
                CHECK(ceilCount >= floorCount);
                CHECK(ceilCount <= floorCount + 1);
              }
  }
}

TEST_CASE("sliceLength counts the selected elements", "[shape]") {
  CHECK(shape::sliceLength(0, 5, 1) == 5);
  CHECK(shape::sliceLength(0, 5, 2) == 3); // 0 2 4
  CHECK(shape::sliceLength(1, 5, 2) == 2); // 1 3
  CHECK(shape::sliceLength(2, 2, 1) == 0);
  CHECK(shape::sliceLength(3, 1, 1) == 0);   // start after end
  CHECK(shape::sliceLength(4, -1, -1) == 5); // 4 3 2 1 0
  CHECK(shape::sliceLength(4, -1, -2) == 3); // 4 2 0
  CHECK(shape::sliceLength(3, 0, -1) == 3);  // 3 2 1
  CHECK(shape::sliceLength(1, 3, -1) == 0);  // start before end, negative step
  CHECK(shape::sliceLength(0, 100, 7) == 15);
  SECTION("brute force") {
    for (int64_t start = -1; start <= 8; ++start)
      for (int64_t end = -1; end <= 8; ++end)
        for (int64_t step : {-3, -2, -1, 1, 2, 3}) {
          int64_t n = 0;
          if (step > 0)
            for (int64_t i = start; i < end; i += step)
              ++n;
          else
            for (int64_t i = start; i > end; i += step)
              ++n;
          INFO(start << ":" << end << ":" << step);
          CHECK(shape::sliceLength(start, end, step) == n);
        }
  }
}

TEST_CASE("clampSlice follows the ONNX Slice spec", "[shape]") {
  auto clamp = [](int64_t dim, int64_t step, int64_t start, int64_t end) {
    shape::clampSlice(dim, step, start, end);
    return std::make_pair(start, end);
  };
  using P = std::pair<int64_t, int64_t>;
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  SECTION("positive steps clamp to [0, dim]") {
    CHECK(clamp(5, 1, 0, 5) == P{0, 5});
    CHECK(clamp(5, 1, 1, kMax) == P{1, 5});
    CHECK(clamp(5, 1, -2, kMax) == P{3, 5}); // last two
    CHECK(clamp(5, 1, -10, 2) == P{0, 2});
    CHECK(clamp(5, 1, 0, -1) == P{0, 4}); // all but the last
    CHECK(clamp(5, 2, 7, 9) == P{5, 5});  // empty
    CHECK(clamp(5, 1, 0, kMin) == P{0, 0});
  }
  SECTION("negative steps clamp start to [0, dim-1], end to [-1, dim-1]") {
    CHECK(clamp(5, -1, -1, kMin) == P{4, -1}); // reverse everything
    CHECK(clamp(5, -1, kMax, kMin) == P{4, -1});
    CHECK(clamp(5, -2, 4, -6) == P{4, -1});     // -6 + 5 = -1: to the front
    CHECK(clamp(5, -1, 10, 0) == P{4, 0});      // 4 3 2 1
    CHECK(clamp(5, -1, 3, -1) == P{3, 4});      // end -1 means index 4: empty
    CHECK(clamp(5, -1, -10, kMin) == P{0, -1}); // start clamps to 0: one element
  }
  SECTION("with sliceLength: the element counts NumPy gives") {
    struct Case {
      int64_t dim, start, end, step, count;
    } cases[] = {
        {5, -1, kMin, -1, 5},  {5, 0, kMax, 1, 5},  {5, -2, kMax, 1, 2}, {5, 3, -1, -1, 0},
        {5, 10, 0, -1, 4},     {6, -4, kMax, 3, 2}, {4, 100, 0, -1, 3},  {4, 3, kMin, -2, 2},
        {5, -10, kMin, -1, 1}, {0, 0, kMax, 1, 0},
    };
    for (const Case &c : cases) {
      int64_t s = c.start, e = c.end;
      shape::clampSlice(c.dim, c.step, s, e);
      INFO("dim " << c.dim << " slice " << c.start << ":" << c.end << ":" << c.step);
      CHECK(shape::sliceLength(s, e, c.step) == c.count);
    }
  }
}

TEST_CASE("toString renders shapes for messages", "[shape]") {
  CHECK(shape::toString({1, 3, 224, 224}) == "1x3x224x224");
  CHECK(shape::toString({7}) == "7");
  CHECK(shape::toString({}) == "scalar");
  CHECK(shape::toString({2, 0}) == "2x0");
}

TEST_CASE("matmulGeometry: sizes, broadcast batch and batch strides", "[shape]") {
  auto g = shape::matmulGeometry({2, 1, 3, 4}, {5, 4, 6});
  REQUIRE(g);
  CHECK(g->m == 3);
  CHECK(g->k == 4);
  CHECK(g->n == 6);
  CHECK(g->batch == shape::Shape{2, 5});
  CHECK(g->aBatchStrides == std::vector<int64_t>{12, 0}); // A's dim 1 broadcasts
  CHECK(g->bBatchStrides == std::vector<int64_t>{0, 24}); // B has no dim 0
  auto v = shape::matmulGeometry({4}, {4});               // vector . vector
  REQUIRE(v);
  CHECK((v->m == 1 && v->k == 4 && v->n == 1 && v->batch.empty()));
  CHECK_FALSE(shape::matmulGeometry({3, 4}, {5, 6}));       // inner dims differ
  CHECK_FALSE(shape::matmulGeometry({2, 3, 4}, {3, 4, 5})); // batch does not broadcast
  CHECK_FALSE(shape::matmulGeometry({}, {4, 5}));           // scalar
}

TEST_CASE("axisView splits a shape around an axis", "[shape]") {
  auto v = shape::axisView({2, 3, 4, 5}, 2);
  CHECK((v.outer == 6 && v.len == 4 && v.inner == 5));
  auto first = shape::axisView({7, 2}, 0);
  CHECK((first.outer == 1 && first.len == 7 && first.inner == 2));
}
