//===- ArenaPlannerTest.cpp - first-fit arena placement -------------------===//
//
// Properties of compiler/ArenaPlanner.h checked on hand-made and randomised
// interval sets, with an independent overlap check and an independent
// peak-live-bytes computation (the planner's own isValidPlacement and
// liveBytesLowerBound are tested against them, not trusted). Both checkers
// understand in-place alias groups on their own (root of the alias chain):
// members of a group must share one offset and may overlap each other in
// time and memory, never another buffer; a group counts, at each step, as
// its largest member live then.
//
//===----------------------------------------------------------------------===//

#include "compiler/ArenaPlanner.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using pare::planning::alignTo;
using pare::planning::Buffer;
using pare::planning::isValidPlacement;
using pare::planning::liveBytesLowerBound;
using pare::planning::Placement;
using pare::planning::liveBytesPerStep;
using pare::planning::placeBest;
using pare::planning::placeFirstFit;
using pare::planning::placeGreedyBySize;
using pare::planning::placeSearch;

namespace {

bool liveTogether(const Buffer &a, const Buffer &b) {
  return a.first <= b.last && b.first <= a.last;
}

/// The first buffer of i's alias chain (aliases point to earlier buffers);
/// -1 when the chain is malformed (forward, self or out-of-range alias).
int64_t aliasRoot(const std::vector<Buffer> &bufs, size_t i) {
  int64_t r = int64_t(i);
  while (bufs[size_t(r)].alias >= 0) {
    if (bufs[size_t(r)].alias >= r)
      return -1;
    r = bufs[size_t(r)].alias;
  }
  return r;
}

/// Independent check: every buffer inside the arena, aligned, members of one
/// alias group at one offset, and no two buffers of different groups live at
/// the same step share a byte. Returns a description of the first violation,
/// or "" when the placement is sound.
std::string violation(const std::vector<Buffer> &bufs, const Placement &p,
                      int64_t alignment) {
  if (p.offsets.size() != bufs.size())
    return "one offset per buffer expected";
  for (size_t i = 0; i < bufs.size(); ++i) {
    int64_t r = aliasRoot(bufs, i);
    if (r < 0)
      return "buffer " + std::to_string(i) + " has a malformed alias chain";
    if (p.offsets[i] != p.offsets[size_t(r)])
      return "buffer " + std::to_string(i) + " is not at the offset of its alias group (root " +
             std::to_string(r) + ")";
  }
  if (p.arenaBytes % alignment != 0)
    return "arena size " + std::to_string(p.arenaBytes) + " is not aligned";
  for (size_t i = 0; i < bufs.size(); ++i) {
    if (p.offsets[i] < 0 || p.offsets[i] + bufs[i].size > p.arenaBytes)
      return "buffer " + std::to_string(i) + " lies outside the arena";
    if (p.offsets[i] % alignment != 0)
      return "buffer " + std::to_string(i) + " is misaligned";
    for (size_t j = 0; j < i; ++j) {
      if (!liveTogether(bufs[i], bufs[j]) || bufs[i].size == 0 || bufs[j].size == 0)
        continue;
      if (aliasRoot(bufs, i) == aliasRoot(bufs, j))
        continue; // one in-place group: shares its offset by design
      int64_t lo = std::max(p.offsets[i], p.offsets[j]);
      int64_t hi = std::min(p.offsets[i] + bufs[i].size, p.offsets[j] + bufs[j].size);
      if (lo < hi)
        return "buffers " + std::to_string(j) + " and " + std::to_string(i) +
               " are live together and overlap in memory";
    }
  }
  return "";
}

/// Independent bytes live at step t: per alias group (by root), the largest
/// aligned member live at t; summed over groups.
int64_t liveBytesAt(const std::vector<Buffer> &bufs, int64_t alignment, int64_t t) {
  std::vector<int64_t> groupBytes(bufs.size(), 0);
  for (size_t i = 0; i < bufs.size(); ++i)
    if (bufs[i].first <= t && t <= bufs[i].last) {
      size_t r = size_t(aliasRoot(bufs, i));
      groupBytes[r] = std::max(groupBytes[r], alignTo(bufs[i].size, alignment));
    }
  int64_t live = 0;
  for (int64_t g : groupBytes)
    live += g;
  return live;
}

/// Independent peak: the largest sum of aligned sizes live at one step (an
/// alias group counting as its largest member live then).
int64_t peakLiveBytes(const std::vector<Buffer> &bufs, int64_t alignment) {
  int64_t lastStep = 0;
  for (const Buffer &b : bufs)
    lastStep = std::max(lastStep, b.last);
  int64_t peak = 0;
  for (int64_t t = 0; t <= lastStep; ++t)
    peak = std::max(peak, liveBytesAt(bufs, alignment, t));
  return peak;
}

std::string describe(const std::vector<Buffer> &bufs) {
  std::ostringstream os;
  for (const Buffer &b : bufs)
    os << "{" << b.size << ", [" << b.first << ", " << b.last << "]"
       << (b.alias >= 0 ? ", alias " + std::to_string(b.alias) : std::string()) << "} ";
  return os.str();
}

std::vector<Buffer> randomIntervals(std::mt19937 &rng, int count, int64_t maxSize,
                                    int64_t steps, int64_t maxLife) {
  std::uniform_int_distribution<int64_t> size(0, maxSize), first(0, steps),
      life(0, maxLife);
  std::vector<Buffer> bufs;
  for (int i = 0; i < count; ++i) {
    Buffer b;
    b.size = size(rng);
    b.first = first(rng);
    b.last = b.first + life(rng);
    bufs.push_back(b);
  }
  return bufs;
}

/// A chain: buffer i is produced at step i and read at step i + 1 only.
std::vector<Buffer> chain(const std::vector<int64_t> &sizes) {
  std::vector<Buffer> bufs;
  for (size_t i = 0; i < sizes.size(); ++i)
    bufs.push_back({sizes[i], int64_t(i), int64_t(i) + 1});
  return bufs;
}

} // namespace

TEST_CASE("alignTo rounds up to a multiple", "[arena]") {
  CHECK(alignTo(0, 16) == 0);
  CHECK(alignTo(1, 16) == 16);
  CHECK(alignTo(16, 16) == 16);
  CHECK(alignTo(17, 16) == 32);
  CHECK(alignTo(5, 1) == 5);
  CHECK(alignTo(12, 4) == 12);
}

TEST_CASE("empty and single buffers", "[arena]") {
  SECTION("no buffers: an empty arena") {
    Placement p = placeFirstFit({}, 16);
    CHECK(p.offsets.empty());
    CHECK(p.arenaBytes == 0);
    CHECK(liveBytesLowerBound({}, 16) == 0);
  }
  SECTION("one buffer sits at 0; the arena is its aligned size") {
    std::vector<Buffer> bufs = {{100, 3, 7}};
    Placement p = placeFirstFit(bufs, 16);
    REQUIRE(p.offsets.size() == 1);
    CHECK(p.offsets[0] == 0);
    CHECK(p.arenaBytes == 112);
    CHECK(liveBytesLowerBound(bufs, 16) == 112);
  }
  SECTION("zero-size buffers take no space") {
    std::vector<Buffer> bufs = {{0, 0, 5}, {64, 0, 5}, {0, 2, 3}};
    Placement p = placeFirstFit(bufs, 16);
    CHECK(violation(bufs, p, 16) == "");
    CHECK(p.arenaBytes == 64);
    CHECK(liveBytesLowerBound(bufs, 16) == 64);
  }
}

TEST_CASE("hand-made layouts", "[arena]") {
  SECTION("buffers live at disjoint times share offset 0") {
    std::vector<Buffer> bufs = {{64, 0, 1}, {64, 2, 3}, {32, 4, 4}};
    Placement p = placeFirstFit(bufs, 16);
    CHECK(p.offsets == std::vector<int64_t>{0, 0, 0});
    CHECK(p.arenaBytes == 64);
  }
  SECTION("buffers live together are stacked in order of first use") {
    std::vector<Buffer> bufs = {{48, 0, 3}, {16, 1, 3}, {32, 2, 3}};
    Placement p = placeFirstFit(bufs, 16);
    CHECK(p.offsets == std::vector<int64_t>{0, 48, 64});
    CHECK(p.arenaBytes == 96);
    CHECK(liveBytesLowerBound(bufs, 16) == 96);
  }
  SECTION("a freed hole is reused by a buffer that fits it") {
    // a [0,64) dies at 1; b [64,128) lives on; c fits a's hole.
    std::vector<Buffer> bufs = {{64, 0, 1}, {64, 0, 3}, {48, 2, 3}};
    Placement p = placeFirstFit(bufs, 16);
    CHECK(p.offsets == std::vector<int64_t>{0, 64, 0});
    CHECK(p.arenaBytes == 128);
  }
  SECTION("a buffer too big for the hole goes above") {
    std::vector<Buffer> bufs = {{64, 0, 1}, {64, 0, 3}, {80, 2, 3}};
    Placement p = placeFirstFit(bufs, 16);
    CHECK(p.offsets == std::vector<int64_t>{0, 64, 128});
    CHECK(p.arenaBytes == 208);
    CHECK(liveBytesLowerBound(bufs, 16) == 144);
  }
  SECTION("alignment rounds offsets, not the sizes used for fitting") {
    std::vector<Buffer> bufs = {{10, 0, 2}, {10, 0, 2}, {10, 0, 2}};
    Placement p = placeFirstFit(bufs, 64);
    CHECK(p.offsets == std::vector<int64_t>{0, 64, 128});
    CHECK(p.arenaBytes == 192);
    CHECK(liveBytesLowerBound(bufs, 64) == 192);
    Placement q = placeFirstFit(bufs, 1);
    CHECK(q.offsets == std::vector<int64_t>{0, 10, 20});
    CHECK(q.arenaBytes == 30);
  }
  SECTION("inputs in any order: offsets come back in input order") {
    std::vector<Buffer> bufs = {{32, 4, 5}, {32, 0, 5}, {32, 2, 5}};
    Placement p = placeFirstFit(bufs, 16);
    // Placed by first use: #1 at 0, #2 at 32, #0 at 64.
    CHECK(p.offsets == std::vector<int64_t>{64, 0, 32});
  }
}

TEST_CASE("isValidPlacement agrees with an independent check", "[arena]") {
  std::vector<Buffer> bufs = {{64, 0, 2}, {64, 1, 3}, {64, 3, 4}};
  Placement good;
  good.offsets = {0, 64, 0};
  good.arenaBytes = 128;
  CHECK(isValidPlacement(bufs, good));
  CHECK(violation(bufs, good, 16) == "");

  Placement overlap = good;
  overlap.offsets = {0, 32, 0}; // #0 and #1 live together at steps 1..2
  CHECK_FALSE(isValidPlacement(bufs, overlap));
  CHECK(violation(bufs, overlap, 16) != "");

  Placement outside = good;
  outside.arenaBytes = 100; // #1 ends at 128
  CHECK_FALSE(isValidPlacement(bufs, outside));

  Placement negative = good;
  negative.offsets = {-64, 64, 0};
  CHECK_FALSE(isValidPlacement(bufs, negative));
}

TEST_CASE("liveBytesLowerBound is the peak of live bytes", "[arena]") {
  // Steps:      0    1    2    3
  //   a 100     x    x
  //   b  50          x    x
  //   c  30               x    x
  std::vector<Buffer> bufs = {{100, 0, 1}, {50, 1, 2}, {30, 2, 3}};
  CHECK(liveBytesLowerBound(bufs, 1) == 150);
  CHECK(liveBytesLowerBound(bufs, 16) == 112 + 64);
  CHECK(liveBytesLowerBound(bufs, 16) == peakLiveBytes(bufs, 16));
  // A buffer ending at step s and one starting at s + 1 never add up.
  std::vector<Buffer> apart = {{100, 0, 1}, {100, 2, 3}};
  CHECK(liveBytesLowerBound(apart, 1) == 100);
}

TEST_CASE("randomised interval sets: sound placements above the bound", "[arena]") {
  std::mt19937 rng(20240607);
  int64_t alignment = GENERATE(1, 4, 16, 64);
  for (int trial = 0; trial < 300; ++trial) {
    int count = 1 + trial % 60;
    auto bufs = randomIntervals(rng, count, /*maxSize=*/trial % 3 ? 4096 : 40,
                                /*steps=*/count, /*maxLife=*/1 + trial % 12);
    INFO("alignment " << alignment << ", buffers " << describe(bufs));
    Placement p = placeFirstFit(bufs, alignment);
    REQUIRE(violation(bufs, p, alignment) == "");
    CHECK(isValidPlacement(bufs, p));
    int64_t bound = liveBytesLowerBound(bufs, alignment);
    CHECK(bound == peakLiveBytes(bufs, alignment));
    CHECK(p.arenaBytes >= bound);
    // First fit never needs more than every buffer side by side.
    int64_t total = 0;
    for (const Buffer &b : bufs)
      total += alignTo(b.size, alignment);
    CHECK(p.arenaBytes <= total);
  }
}

TEST_CASE("randomised: buffers live at the same step never overlap", "[arena]") {
  // Many buffers over few steps: heavy contention.
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    auto bufs = randomIntervals(rng, 40, 1000, /*steps=*/6, /*maxLife=*/3);
    INFO("buffers " << describe(bufs));
    Placement p = placeFirstFit(bufs, 16);
    for (int64_t t = 0; t <= 9; ++t) {
      std::vector<std::pair<int64_t, int64_t>> live;
      for (size_t i = 0; i < bufs.size(); ++i)
        if (bufs[i].first <= t && t <= bufs[i].last && bufs[i].size > 0)
          live.push_back({p.offsets[i], p.offsets[i] + bufs[i].size});
      std::sort(live.begin(), live.end());
      for (size_t k = 1; k < live.size(); ++k)
        REQUIRE(live[k - 1].second <= live[k].first);
    }
  }
}

TEST_CASE("placement is deterministic", "[arena]") {
  std::mt19937 rng(99);
  auto bufs = randomIntervals(rng, 50, 2048, 50, 10);
  Placement a = placeFirstFit(bufs, 16), b = placeFirstFit(bufs, 16);
  CHECK(a.offsets == b.offsets);
  CHECK(a.arenaBytes == b.arenaBytes);
}

TEST_CASE("chains of equal or shrinking tensors reach the bound exactly", "[arena]") {
  SECTION("equal sizes ping-pong between two slots") {
    auto bufs = chain({64, 64, 64, 64, 64});
    Placement p = placeFirstFit(bufs, 16);
    CHECK(p.offsets == std::vector<int64_t>{0, 64, 0, 64, 0});
    CHECK(p.arenaBytes == 128);
    CHECK(p.arenaBytes == liveBytesLowerBound(bufs, 16));
  }
  SECTION("randomised non-increasing chains") {
    std::mt19937 rng(3);
    std::uniform_int_distribution<int64_t> size(1, 5000);
    int64_t alignment = GENERATE(1, 16, 64);
    for (int trial = 0; trial < 200; ++trial) {
      std::vector<int64_t> sizes(1 + trial % 30);
      for (auto &s : sizes)
        s = size(rng);
      std::sort(sizes.rbegin(), sizes.rend());
      auto bufs = chain(sizes);
      INFO("alignment " << alignment << ", buffers " << describe(bufs));
      Placement p = placeFirstFit(bufs, alignment);
      REQUIRE(violation(bufs, p, alignment) == "");
      CHECK(p.arenaBytes == liveBytesLowerBound(bufs, alignment));
    }
  }
}

// On a chain whose tensors grow, first fit puts each buffer beside its
// predecessor and cannot reuse the bytes of the one before (64, 128, 192 need
// 384 bytes); greedy-by-size reaches the bound of 320, and placeBest (what the
// PlanMemory pass uses) keeps the smaller plan.
TEST_CASE("chains of growing tensors reach the bound with placeBest", "[arena]") {
  auto bufs = chain({64, 128, 192});
  CHECK(liveBytesLowerBound(bufs, 16) == 320);
  Placement ff = placeFirstFit(bufs, 16);
  CHECK(violation(bufs, ff, 16) == "");
  CHECK(ff.arenaBytes == 384);
  Placement gs = placeGreedyBySize(bufs, 16);
  CHECK(violation(bufs, gs, 16) == "");
  CHECK(gs.arenaBytes == 320);
  Placement best = placeBest(bufs, 16);
  CHECK(violation(bufs, best, 16) == "");
  CHECK(best.arenaBytes == 320);
}

TEST_CASE("placeBest is valid and never worse than either strategy", "[arena]") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<Buffer> bufs;
    int n = 1 + int(rng() % 30);
    for (int i = 0; i < n; ++i) {
      int64_t first = rng() % 40;
      bufs.push_back({int64_t(1 + rng() % 5000), first, first + int64_t(rng() % 10)});
    }
    Placement best = placeBest(bufs, 16);
    CHECK(violation(bufs, best, 16) == "");
    CHECK(best.arenaBytes <= placeFirstFit(bufs, 16).arenaBytes);
    CHECK(best.arenaBytes <= placeGreedyBySize(bufs, 16).arenaBytes);
    CHECK(best.arenaBytes >= liveBytesLowerBound(bufs, 16));
  }
}
