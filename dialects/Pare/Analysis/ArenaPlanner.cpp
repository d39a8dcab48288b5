//===- ArenaPlanner.cpp - place buffers with lifetimes in one arena -------===//
#include "dialects/Pare/Analysis/ArenaPlanner.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>

namespace pare::planning {

static bool overlapsInTime(const Buffer &a, const Buffer &b) {
  return a.first <= b.last && b.first <= a.last;
}

namespace {
/// Buffers chained by `alias` (in-place ops) share one offset: a group.
struct Groups {
  std::vector<size_t> groupOf;              ///< buffer -> group
  std::vector<std::vector<size_t>> members; ///< group -> buffers, in input order
};
} // namespace

static Groups groupsOf(const std::vector<Buffer> &buffers) {
  std::vector<size_t> parent(buffers.size());
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](size_t i) {
    while (parent[i] != i)
      i = parent[i] = parent[parent[i]];
    return i;
  };
  for (size_t i = 0; i < buffers.size(); ++i)
    if (buffers[i].alias >= 0 && size_t(buffers[i].alias) < buffers.size())
      parent[find(i)] = find(size_t(buffers[i].alias));
  Groups g;
  g.groupOf.assign(buffers.size(), 0);
  std::map<size_t, size_t> index;
  for (size_t i = 0; i < buffers.size(); ++i) {
    size_t r = find(i);
    auto [it, added] = index.try_emplace(r, g.members.size());
    if (added)
      g.members.emplace_back();
    g.groupOf[i] = it->second;
    g.members[it->second].push_back(i);
  }
  return g;
}

std::vector<int64_t> liveBytesPerStep(const std::vector<Buffer> &buffers, int64_t alignment) {
  int64_t lastStep = -1;
  for (const Buffer &b : buffers)
    lastStep = std::max(lastStep, b.last);
  std::vector<int64_t> live(size_t(lastStep + 1), 0);
  Groups g = groupsOf(buffers);
  for (const auto &members : g.members) {
    // A group occupies, at each step, its largest member live then.
    std::map<int64_t, int64_t> at;
    for (size_t i : members)
      for (int64_t t = buffers[i].first; t <= buffers[i].last; ++t)
        at[t] = std::max(at[t], alignTo(buffers[i].size, alignment));
    for (auto &[t, bytes] : at)
      live[size_t(t)] += bytes;
  }
  return live;
}

int64_t liveBytesLowerBound(const std::vector<Buffer> &buffers, int64_t alignment) {
  std::vector<int64_t> live = liveBytesPerStep(buffers, alignment);
  return live.empty() ? 0 : *std::max_element(live.begin(), live.end());
}

/// Places groups in the given order, each at the lowest aligned offset where
/// none of its members overlaps a placed buffer live at the same time.
static Placement placeGroups(const std::vector<Buffer> &buffers, const Groups &g,
                             const std::vector<size_t> &order, int64_t alignment,
                             int64_t topLimit = 0) {
  Placement p;
  p.offsets.assign(buffers.size(), 0);
  std::vector<char> placed(buffers.size(), 0);
  struct Busy {
    int64_t lo, hi, size; ///< a placed buffer's bytes, against a member of `size`
  };
  std::vector<Busy> busy;
  std::vector<int64_t> candidates;
  for (size_t k = 0; k < order.size(); ++k) {
    size_t gi = order[k];
    busy.clear();
    candidates.assign(1, 0);
    for (size_t m : g.members[gi]) {
      if (buffers[m].size == 0)
        continue;
      for (size_t o = 0; o < buffers.size(); ++o) {
        if (!placed[o] || buffers[o].size == 0 || !overlapsInTime(buffers[o], buffers[m]))
          continue;
        busy.push_back({p.offsets[o], p.offsets[o] + buffers[o].size, buffers[m].size});
        candidates.push_back(alignTo(p.offsets[o] + buffers[o].size, alignment));
      }
    }
    auto fits = [&](int64_t c) {
      return std::all_of(busy.begin(), busy.end(),
                         [&](const Busy &b) { return c + b.size <= b.lo || b.hi <= c; });
    };
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    int64_t offset = candidates.back();
    for (int64_t c : candidates) {
      if (fits(c)) {
        offset = c;
        break;
      }
    }
    // Two-ended placement: every other group goes as high as it fits under
    // topLimit (chains then ping-pong between the ends of the arena).
    int64_t size = 0;
    for (size_t m : g.members[gi])
      size = std::max(size, buffers[m].size);
    if (topLimit > 0 && k % 2 == 1 && size <= topLimit) {
      std::vector<int64_t> tops = {(topLimit - size) / alignment * alignment};
      for (const Busy &b : busy)
        if (b.lo - b.size >= 0)
          tops.push_back((b.lo - b.size) / alignment * alignment);
      std::sort(tops.rbegin(), tops.rend());
      for (int64_t c : tops)
        if (c >= 0 && c + size <= topLimit && fits(c)) {
          offset = c;
          break;
        }
    }
    for (size_t m : g.members[gi]) {
      p.offsets[m] = offset;
      placed[m] = 1;
      p.arenaBytes = std::max(p.arenaBytes, offset + buffers[m].size);
    }
  }
  p.arenaBytes = alignTo(p.arenaBytes, alignment);
  return p;
}

namespace {
struct GroupKeys {
  std::vector<int64_t> size, first, span, breadth;
};
} // namespace

static GroupKeys keysOf(const std::vector<Buffer> &buffers, const Groups &g, int64_t alignment) {
  GroupKeys k;
  std::vector<int64_t> live = liveBytesPerStep(buffers, alignment);
  for (const auto &members : g.members) {
    int64_t size = 0, first = INT64_MAX, last = INT64_MIN, breadth = 0;
    for (size_t i : members) {
      size = std::max(size, buffers[i].size);
      first = std::min(first, buffers[i].first);
      last = std::max(last, buffers[i].last);
      for (int64_t t = buffers[i].first; t <= buffers[i].last; ++t)
        breadth = std::max(breadth, live[size_t(t)]);
    }
    k.size.push_back(size);
    k.first.push_back(first);
    k.span.push_back(last - first + 1);
    k.breadth.push_back(breadth);
  }
  return k;
}

template <typename Less> static std::vector<size_t> sortedGroups(size_t n, Less less) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), less);
  return order;
}

Placement placeFirstFit(const std::vector<Buffer> &buffers, int64_t alignment) {
  Groups g = groupsOf(buffers);
  GroupKeys k = keysOf(buffers, g, alignment);
  return placeGroups(
      buffers, g,
      sortedGroups(g.members.size(), [&](size_t a, size_t b) { return k.first[a] < k.first[b]; }),
      alignment);
}

Placement placeGreedyBySize(const std::vector<Buffer> &buffers, int64_t alignment) {
  Groups g = groupsOf(buffers);
  GroupKeys k = keysOf(buffers, g, alignment);
  return placeGroups(buffers, g,
                     sortedGroups(g.members.size(),
                                  [&](size_t a, size_t b) {
                                    if (k.size[a] != k.size[b])
                                      return k.size[a] > k.size[b];
                                    return k.first[a] < k.first[b];
                                  }),
                     alignment);
}

Placement placeBest(const std::vector<Buffer> &buffers, int64_t alignment) {
  Placement a = placeFirstFit(buffers, alignment);
  Placement b = placeGreedyBySize(buffers, alignment);
  return b.arenaBytes < a.arenaBytes ? b : a;
}

Placement placeSearch(const std::vector<Buffer> &buffers, int64_t alignment, int iterations) {
  Groups g = groupsOf(buffers);
  GroupKeys k = keysOf(buffers, g, alignment);
  size_t n = g.members.size();
  int64_t bound = liveBytesLowerBound(buffers, alignment);
  std::vector<std::vector<size_t>> starts = {
      sortedGroups(n, [&](size_t a, size_t b) { return k.first[a] < k.first[b]; }),
      sortedGroups(n,
                   [&](size_t a, size_t b) {
                     if (k.size[a] != k.size[b])
                       return k.size[a] > k.size[b];
                     return k.first[a] < k.first[b];
                   }),
      sortedGroups(n,
                   [&](size_t a, size_t b) {
                     if (k.breadth[a] != k.breadth[b])
                       return k.breadth[a] > k.breadth[b];
                     return k.size[a] > k.size[b];
                   }),
      sortedGroups(
          n, [&](size_t a, size_t b) { return k.size[a] * k.span[a] > k.size[b] * k.span[b]; })};
  std::vector<size_t> bestOrder;
  Placement best;
  best.arenaBytes = INT64_MAX;
  for (auto &order : starts) {
    Placement p = placeGroups(buffers, g, order, alignment);
    if (p.arenaBytes < best.arenaBytes) {
      best = p;
      bestOrder = order;
    }
  }
  // Two-ended in order of first use, aiming at the bound.
  if (best.arenaBytes > bound) {
    Placement p = placeGroups(buffers, g, starts[0], alignment, alignTo(bound, alignment));
    if (p.arenaBytes < best.arenaBytes)
      best = p;
  }
  // Local search on the order: a fixed-seed generator keeps plans
  // reproducible. Equal arenas are accepted so that plateaus are crossed.
  uint64_t state = 0x9e3779b97f4a7c15ull;
  auto next = [&]() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  std::vector<size_t> order = bestOrder;
  for (int it = 0; it < iterations && n > 1 && best.arenaBytes > bound; ++it) {
    std::vector<size_t> trial = order;
    size_t i = next() % n, j = next() % n;
    if (i == j)
      continue;
    if (next() % 2)
      std::swap(trial[i], trial[j]);
    else {
      size_t v = trial[i];
      trial.erase(trial.begin() + long(i));
      trial.insert(trial.begin() + long(j), v);
    }
    Placement p = placeGroups(buffers, g, trial, alignment);
    if (p.arenaBytes <= best.arenaBytes) {
      best = p;
      order = trial;
    }
  }
  return best;
}

bool isValidPlacement(const std::vector<Buffer> &buffers, const Placement &p) {
  Groups g = groupsOf(buffers);
  for (size_t i = 0; i < buffers.size(); ++i) {
    if (p.offsets[i] < 0 || p.offsets[i] + buffers[i].size > p.arenaBytes)
      return false;
    for (size_t j = i + 1; j < buffers.size(); ++j) {
      if (!overlapsInTime(buffers[i], buffers[j]) || !buffers[i].size || !buffers[j].size)
        continue;
      if (g.groupOf[i] == g.groupOf[j] && p.offsets[i] == p.offsets[j])
        continue; // in place
      bool disjoint = p.offsets[i] + buffers[i].size <= p.offsets[j] ||
                      p.offsets[j] + buffers[j].size <= p.offsets[i];
      if (!disjoint)
        return false;
    }
  }
  return true;
}

} // namespace pare::planning
