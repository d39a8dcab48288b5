//===- ArenaPlanner.cpp - place buffers with lifetimes in one arena -------===//
#include "compiler/ArenaPlanner.h"

#include <algorithm>
#include <map>
#include <numeric>

namespace pare::planning {

static bool overlapsInTime(const Buffer &a, const Buffer &b) {
  return a.first <= b.last && b.first <= a.last;
}

int64_t liveBytesLowerBound(const std::vector<Buffer> &buffers, int64_t alignment) {
  std::map<int64_t, int64_t> delta;
  for (const Buffer &b : buffers) {
    delta[b.first] += alignTo(b.size, alignment);
    delta[b.last + 1] -= alignTo(b.size, alignment);
  }
  int64_t live = 0, peak = 0;
  for (auto &[step, d] : delta) {
    live += d;
    peak = std::max(peak, live);
  }
  return peak;
}

/// Places buffers in the given order, each at the lowest aligned offset that
/// does not overlap a placed buffer live at the same time.
static Placement placeInOrder(const std::vector<Buffer> &buffers,
                              const std::vector<size_t> &order, int64_t alignment) {
  Placement p;
  p.offsets.assign(buffers.size(), 0);
  std::vector<size_t> placed;
  for (size_t idx : order) {
    const Buffer &buf = buffers[idx];
    // Intervals [offset, end) of placed buffers alive at the same time.
    std::vector<std::pair<int64_t, int64_t>> busy;
    for (size_t o : placed)
      if (overlapsInTime(buffers[o], buf) && buffers[o].size > 0)
        busy.push_back({p.offsets[o], p.offsets[o] + buffers[o].size});
    std::sort(busy.begin(), busy.end());
    int64_t offset = 0;
    for (auto &[lo, hi] : busy) {
      if (offset + buf.size <= lo)
        break;
      offset = std::max(offset, alignTo(hi, alignment));
    }
    p.offsets[idx] = offset;
    p.arenaBytes = std::max(p.arenaBytes, offset + buf.size);
    placed.push_back(idx);
  }
  p.arenaBytes = alignTo(p.arenaBytes, alignment);
  return p;
}

Placement placeFirstFit(const std::vector<Buffer> &buffers, int64_t alignment) {
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return buffers[a].first < buffers[b].first;
  });
  return placeInOrder(buffers, order, alignment);
}

Placement placeGreedyBySize(const std::vector<Buffer> &buffers, int64_t alignment) {
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (buffers[a].size != buffers[b].size)
      return buffers[a].size > buffers[b].size;
    return buffers[a].first < buffers[b].first;
  });
  return placeInOrder(buffers, order, alignment);
}

Placement placeBest(const std::vector<Buffer> &buffers, int64_t alignment) {
  Placement a = placeFirstFit(buffers, alignment);
  Placement b = placeGreedyBySize(buffers, alignment);
  return b.arenaBytes < a.arenaBytes ? b : a;
}

bool isValidPlacement(const std::vector<Buffer> &buffers, const Placement &p) {
  for (size_t i = 0; i < buffers.size(); ++i) {
    if (p.offsets[i] < 0 || p.offsets[i] + buffers[i].size > p.arenaBytes)
      return false;
    for (size_t j = i + 1; j < buffers.size(); ++j) {
      if (!overlapsInTime(buffers[i], buffers[j]) || !buffers[i].size || !buffers[j].size)
        continue;
      bool disjoint = p.offsets[i] + buffers[i].size <= p.offsets[j] ||
                      p.offsets[j] + buffers[j].size <= p.offsets[i];
      if (!disjoint)
        return false;
    }
  }
  return true;
}

} // namespace pare::planning
