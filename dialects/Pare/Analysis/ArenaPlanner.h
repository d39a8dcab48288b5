//===- ArenaPlanner.h - place buffers with lifetimes in one arena ---------===//
//
// Pure placement logic (no IR), shared by the PlanMemory pass and tested with
// Catch2 on randomised interval sets.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_DIALECTS_PARE_ANALYSIS_ARENAPLANNER_H
#define PARE_DIALECTS_PARE_ANALYSIS_ARENAPLANNER_H

#include <cstdint>
#include <vector>

namespace pare::planning {

/// A buffer live over the op steps [first, last] (inclusive). `alias` >= 0
/// names an earlier buffer that this one must share its offset with (an op
/// that runs in place: its output starts where its input lies, and the two
/// may be live at the same step); buffers chained by alias form one group.
struct Buffer {
  int64_t size = 0;
  int64_t first = 0;
  int64_t last = 0;
  int64_t alias = -1;
};

struct Placement {
  std::vector<int64_t> offsets; ///< one per buffer, in input order
  int64_t arenaBytes = 0;       ///< end of the highest buffer
};

/// Largest sum of (aligned) sizes of buffers live at one step, a group of
/// in-place buffers counting as its largest member live then: no placement
/// of these lifetimes can use less.
int64_t liveBytesLowerBound(const std::vector<Buffer> &buffers, int64_t alignment);

/// Bytes live at each step 0..lastStep (as liveBytesLowerBound counts them).
std::vector<int64_t> liveBytesPerStep(const std::vector<Buffer> &buffers, int64_t alignment);

/// First-fit: buffers in order of first use, each at the lowest aligned
/// offset that does not overlap a buffer live at the same time.
Placement placeFirstFit(const std::vector<Buffer> &buffers, int64_t alignment);

/// TFLite Micro's greedy-by-size: largest buffers first, each at the lowest
/// aligned offset free during its lifetime.
Placement placeGreedyBySize(const std::vector<Buffer> &buffers, int64_t alignment);

/// The smaller of first-fit and greedy-by-size (first-fit on a tie).
Placement placeBest(const std::vector<Buffer> &buffers, int64_t alignment);

/// pare's planner: several greedy orders (by size, by first use, by the
/// breadth of the step where a buffer is live, by size x lifetime), then a
/// deterministic local search over the order of the best one (swaps and
/// moves, kept when the arena does not grow) until the arena reaches the
/// lower bound or `iterations` are spent. Never worse than placeBest.
Placement placeSearch(const std::vector<Buffer> &buffers, int64_t alignment, int iterations = 400);

/// True when no two buffers that are live at the same step overlap in memory
/// (unless they are in one alias group and share their offset) and all lie
/// inside the arena.
bool isValidPlacement(const std::vector<Buffer> &buffers, const Placement &p);

inline int64_t alignTo(int64_t v, int64_t a) { return (v + a - 1) / a * a; }

} // namespace pare::planning

#endif // PARE_DIALECTS_PARE_ANALYSIS_ARENAPLANNER_H
