//===- Budget.h - SRAM and flash budgets of a compiled model --------------===//
//
// What a compiled model costs on a microcontroller, from the memory plan and
// the emitted code: SRAM = the arena (activations and kernel scratch, one
// static buffer) + a stack estimate + the state of streaming temporal shifts
// (static buffers that persist between calls); flash = weights (const arrays, exact) +
// code (estimated). `--sram` / `--flash` turn these into hard limits: over
// budget, compilation fails with the layers that set the peak.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_COMPILER_BUDGET_H
#define PARE_COMPILER_BUDGET_H

#include "codegen/c/CEmitter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <optional>
#include <string>
#include <vector>

namespace pare::budget {

/// Stack the generated code needs on top of the caller's (kernels keep their
/// buffers in the arena; this covers their frames and the call chain).
constexpr int64_t kStackEstimate = 2048;

struct Layer {
  std::string name, kind;
  int64_t liveBytes = 0;   ///< arena bytes live while it runs
  int64_t weightBytes = 0; ///< constant operands (as stored in IR)
};

/// A node of a float island that --int8-islands quantize made int8.
struct IslandNode {
  std::string name, kind;
  std::string scales; ///< each scale and where it came from
};

/// The function's pare.islands (the island nodes made int8), in order.
std::vector<IslandNode> islandNodes(mlir::func::FuncOp func);

struct Report {
  int64_t arenaBytes = 0, stackBytes = kStackEstimate;
  /// The plan's lower bound (largest sum of bytes live at one op).
  int64_t arenaLowerBound = 0;
  /// Static state of streaming temporal shifts (outside the arena).
  int64_t stateBytes = 0;
  int64_t weightBytes = 0, codeBytes = 0;
  std::vector<Layer> layers; ///< in execution order
  /// Island nodes made int8 (the function's pare.islands), in order.
  std::vector<IslandNode> islands;
  /// Patch-based inference in the plan (PlanMemory): grid n, the last
  /// layer of the patch stage, and the MACs its recomputed halos add.
  int64_t patchGrid = 0, patchExtraMacs = 0;
  std::string patchSplit;
  bool patchesTried = false; ///< the driver let the planner try patches
  /// The model already runs quantized (--quantize int8 or a quantized
  /// model): the advice does not suggest int8 again.
  bool int8 = false;
  int64_t sram() const { return arenaBytes + stackBytes + stateBytes; }
  int64_t flash() const { return weightBytes + codeBytes; }
};

Report build(mlir::func::FuncOp func, const codegen::CEmitStats &stats);

/// "320K", "320KiB", "1M", "1MiB", "4096": bytes (K = 1024). nullopt when
/// malformed.
std::optional<int64_t> parseSize(const std::string &text);

/// JSON of the report and the budgets (0 = none).
std::string toJson(const Report &r, int64_t sramBudget, int64_t flashBudget);

/// Prints an error with the layers that set the peak when a budget is
/// exceeded; returns false then.
bool check(const Report &r, int64_t sramBudget, int64_t flashBudget);

} // namespace pare::budget

#endif // PARE_COMPILER_BUDGET_H
