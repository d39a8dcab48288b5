//===- LinearStats.h - activation statistics of a decoder's linears --------===//
//
// Weight quantization that looks at activations (AWQ, issue 18; SmoothQuant,
// issue 19) needs, for the input of every linear layer (pare.matmul by a
// constant [K, N] weight) of a decoder step function: per-channel mean |x|
// and max |x| over the calibration tokens, and a bounded random sample of
// the input rows. collectLinearStats runs the step function on windows of
// token ids in the host evaluator and gathers them.
//
// A window is evaluated as a prefill from an empty KV cache: ids = the
// window, positions 0..L-1, which is full causal attention over the window.
// The step function itself has a dynamic row count and KV-cache attentions
// that the evaluator does not run; a scratch copy with L rows and plain
// causal attention is evaluated instead (same ops, same weights).
//
//===----------------------------------------------------------------------===//
#ifndef PARE_DIALECT_PARE_TRANSFORMS_LINEARSTATS_H
#define PARE_DIALECT_PARE_TRANSFORMS_LINEARSTATS_H

#include "dialects/Pare/IR/PareOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

namespace pare {

/// The statistics of one linear input (shared by the linears that read the
/// same value, as q / k / v do).
struct LinearStats {
  int64_t channels = 0;
  int64_t tokens = 0;         ///< rows seen
  std::vector<double> sumAbs; ///< [channels]: sum of |x|
  std::vector<float> maxAbs;  ///< [channels]: max |x|
  std::vector<float> sample;  ///< [sampleRows][channels]: sampled rows
  int64_t sampleRows = 0;
  /// [keptWindows][windowLength][channels]: the input on whole windows
  /// (positions 0 .. windowLength - 1), for objectives that need every row
  /// of a sequence (an attention block's).
  std::vector<float> windows;
  int64_t keptWindows = 0, windowLength = 0;
  /// [wideRows][channels]: a larger sample (its own reservoir), for searches
  /// whose cost barely grows with the rows (the clipping search's Gram
  /// matrices); empty unless StatsOptions::wideRows asks for it.
  std::vector<float> wideSample;
  int64_t wideRows = 0;

  /// mean |x| per channel.
  std::vector<float> meanAbs() const;
};

/// Statistics by linear (the pare.matmul op of the step function).
using LinearStatsMap = std::map<mlir::Operation *, std::shared_ptr<const LinearStats>>;

/// The linears weight quantization applies to: pare.matmul of a 2-D input
/// by a 2-D float32 pare.constant, except the one whose result the function
/// returns (the LM head stays in float, as AWQ keeps it), in block order.
std::vector<MatMulOp> quantizableLinears(mlir::func::FuncOp func);

struct StatsOptions {
  int64_t sampleRows = 256; ///< rows kept per linear input (reservoir, seeded)
  uint64_t seed = 0;
  /// Whole windows kept per linear input, spread evenly over the windows:
  /// as many as hold windowRows rows (at least one).
  bool keepWindows = false;
  int64_t windowRows = 256; ///< rows of whole windows kept (rounded up to a window)
  int64_t wideRows = 0;     ///< rows of the wide sample (0: none)
  /// Called after each window with (windows done, windows in all).
  llvm::function_ref<void(size_t, size_t)> progress = nullptr;
};

/// Runs `step` (a decoder step function: ids, positions -> logits) on each
/// window (ids in [0, vocabulary), all of one length) and returns the
/// statistics of every quantizable linear's input. Errors are reported at
/// the op the evaluator could not run.
mlir::FailureOr<LinearStatsMap> collectLinearStats(mlir::func::FuncOp step,
                                                   const std::vector<std::vector<int64_t>> &windows,
                                                   const StatsOptions &options = {});

} // namespace pare

#endif // PARE_DIALECT_PARE_TRANSFORMS_LINEARSTATS_H
