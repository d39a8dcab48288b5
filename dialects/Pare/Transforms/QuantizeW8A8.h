//===- QuantizeW8A8.h - pare-quantize-w8a8 with the driver's statistics ----===//
#ifndef PARE_DIALECT_PARE_TRANSFORMS_QUANTIZEW8A8_H
#define PARE_DIALECT_PARE_TRANSFORMS_QUANTIZEW8A8_H

#include "dialects/Pare/Transforms/LinearStats.h"
#include "dialects/Pare/Transforms/Passes.h"

#include <memory>

namespace pare {

/// What one run of pare-quantize-w8a8 did (for the driver's summary).
struct W8A8Report {
  int64_t linears = 0;     ///< linears made pare.matmul_w8a8
  int64_t smoothGroups = 0; ///< groups whose scales were folded
  /// Squared output error of the quantized linears on the sampled rows,
  /// summed over linears (0 when no statistics were given).
  double outputError = 0;
  double searchSeconds = 0;
};

/// The pass with the statistics of the step function's linears (keyed by
/// the pare.matmul ops of the module it will run on), as the driver
/// collects them from text; `report` (optional) receives the summary.
std::unique_ptr<mlir::Pass> createQuantizeW8A8Pass(const QuantizeW8A8PassOptions &options,
                                                   std::shared_ptr<const LinearStatsMap> stats,
                                                   W8A8Report *report = nullptr);

} // namespace pare

#endif // PARE_DIALECT_PARE_TRANSFORMS_QUANTIZEW8A8_H
