//===- Patches.h - patch-based inference: stages, regions, halos ----------===//
//
// MCUNetV2-style patch-based inference. The first layers of a CNN (the
// "stage", from the model's input up to a split op) run patch by patch: the
// split op's output is cut into an n x n grid and, for each patch, every
// stage layer computes only the part of its output that the patch needs
// (receptive-field maths below), in small tile buffers. Only the split op's
// output exists whole; the rest of the network runs layer by layer. Halos
// of neighbouring patches overlap and are recomputed: that costs MACs.
//
// The interval maths is plain C++ (tested with Catch2); the stage builder
// reads pare IR (NHWC convolutions, pools, elementwise ops, the input's
// quantize and layout transpose).
//
//===----------------------------------------------------------------------===//
#ifndef PARE_DIALECTS_PARE_ANALYSIS_PATCHES_H
#define PARE_DIALECTS_PARE_ANALYSIS_PATCHES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pare::planning {

/// Rows (or columns) [begin, end).
struct Interval {
  int64_t begin = 0, end = 0;
  int64_t size() const { return end - begin; }
  bool operator==(const Interval &o) const { return begin == o.begin && end == o.end; }
  bool operator!=(const Interval &o) const { return !(*this == o); }
};

/// A sliding window along one axis (conv / pool).
struct Window {
  int64_t kernel = 1, stride = 1, dilation = 1, padBegin = 0, inSize = 0;
};

/// The input rows that output rows `out` read, clipped to [0, inSize).
Interval inputInterval(const Window &w, Interval out);

/// Padding a tile kernel sees before its first input row when it computes
/// output rows `out` from input rows `in` (= inputInterval(w, out)): the
/// window of output row out.begin starts at out.begin*stride - padBegin.
inline int64_t tilePadBegin(const Window &w, Interval out, Interval in) {
  return in.begin - (out.begin * w.stride - w.padBegin);
}

/// [0, size) cut into n consecutive parts whose sizes differ by at most one.
std::vector<Interval> splitEvenly(int64_t size, int64_t n);

/// The union (bounding interval) of two intervals; an empty one is ignored.
Interval hull(Interval a, Interval b);

struct Region {
  Interval rows, cols;
  int64_t area() const { return rows.size() * cols.size(); }
  bool operator==(const Region &o) const { return rows == o.rows && cols == o.cols; }
  bool operator!=(const Region &o) const { return !(*this == o); }
};

/// A patch stage: ops[0..] in block order, the last one the split op.
struct PatchStage {
  int64_t grid = 0;                     ///< n: n x n patches
  std::vector<mlir::Operation *> ops;   ///< stage ops, block order
  std::vector<std::array<int, 2>> axes; ///< per op: (row, col) axes of its result
  /// [patch][op]: the part of op's result the patch computes.
  std::vector<std::vector<Region>> out;
  /// [patch][op]: the part of op's operand 0 that it reads (window maths
  /// for convolutions and pools, = out for elementwise ops).
  std::vector<std::vector<Region>> in;
  std::vector<int64_t> tileBytes;   ///< per op: largest result tile
  std::vector<int64_t> tileInBytes; ///< per op: largest operand-0 region
  int64_t stageMacs = 0;            ///< MACs of the stage ops, run once
  int64_t patchedMacs = 0;          ///< MACs with every patch's halo recomputed
  int64_t modelMacs = 0;            ///< MACs of the whole function, unpatched

  mlir::Operation *split() const { return ops.back(); }
  int64_t patches() const { return grid * grid; }
  /// Extra MACs of the recomputed halos as a fraction of the model's MACs.
  double extraMacFraction() const {
    return modelMacs ? double(patchedMacs - stageMacs) / double(modelMacs) : 0.0;
  }
};

/// True when `op` can run on a spatial tile inside a patch stage.
bool isPatchable(mlir::Operation *op);

/// True for stage ops that only re-label their operand's storage (reshapes
/// between NCHW and NHWC with one channel, storage casts): no tile, no code.
bool isTileAlias(mlir::Operation *op);

/// Ops after which the stage may end: every op before them (constants
/// aside) is patchable and only their result is used later on.
std::vector<mlir::Operation *> splitCandidates(mlir::func::FuncOp func);

/// The stage ending at `split` with an n x n grid; nullopt (and `why`) when
/// the ops before it cannot be run patch by patch.
std::optional<PatchStage> buildPatchStage(mlir::func::FuncOp func, mlir::Operation *split,
                                          int64_t grid, std::string *why = nullptr);

struct PlanOptions;

struct PatchSearch {
  double maxRecompute = 0.10; ///< extra MACs allowed, as a fraction of the model's
  int64_t maxGrid = 8;        ///< grids tried: 2x2 .. maxGrid x maxGrid
  int64_t grid = 0;           ///< > 0: only this grid
};

struct PatchChoice {
  std::optional<PatchStage> stage; ///< set when patches lower the peak
  int64_t unpatchedArena = 0;
  int64_t patchedArena = 0; ///< with `stage` (= unpatchedArena without)
};

/// Tries every split candidate and grid within the recompute limit and
/// keeps the stage with the smallest arena (fewer MACs on a tie); never
/// one whose arena is not below the unpatched plan's.
PatchChoice choosePatchStage(mlir::func::FuncOp func, const PlanOptions &plan,
                             const PatchSearch &search);

} // namespace pare::planning

#endif // PARE_DIALECTS_PARE_ANALYSIS_PATCHES_H
