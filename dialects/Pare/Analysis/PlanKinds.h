//===- PlanKinds.h - the arena planner's choices --------------------------===//
//
// Plain C++ (no MLIR): pare-plan-memory's options and the driver's flags
// (compiler/Driver.h, included by the CLI built with RTTI and exceptions)
// are these types.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_DIALECTS_PARE_ANALYSIS_PLANKINDS_H
#define PARE_DIALECTS_PARE_ANALYSIS_PLANKINDS_H

namespace pare::planning {

enum class Planner {
  Pare,        ///< in-place ops, several orders and a local search
  GreedyBySize ///< TFLite Micro's: largest first, no in-place (a baseline)
};

/// Patch-based inference for the first layers.
enum class PatchMode {
  Off,  ///< layer by layer
  Auto, ///< only when the unpatched arena exceeds the budget
  Min,  ///< the smallest arena within the recompute limit
};

} // namespace pare::planning

#endif // PARE_DIALECTS_PARE_ANALYSIS_PLANKINDS_H
