//===- QuantizeW4A16.h - pare-quantize-w4a16 with the driver's statistics --===//
#ifndef PARE_DIALECT_PARE_TRANSFORMS_QUANTIZEW4A16_H
#define PARE_DIALECT_PARE_TRANSFORMS_QUANTIZEW4A16_H

#include "dialects/Pare/Transforms/LinearStats.h"
#include "dialects/Pare/Transforms/Passes.h"

#include <memory>

namespace pare {

/// What one run of pare-quantize-w4a16 did (for the driver's summary).
struct W4A16Report {
  int64_t linears = 0;     ///< linears made pare.matmul_nbits
  int64_t scaleGroups = 0; ///< groups whose scales were searched
  /// Squared output error of the quantized linears on the sampled rows,
  /// summed over linears (0 when no statistics were given).
  double outputError = 0;
  double searchSeconds = 0;
};

/// The pass with the statistics of the step function's linears (keyed by
/// the pare.matmul ops of the module it will run on), as the driver
/// collects them from text; `report` (optional) receives the summary.
std::unique_ptr<mlir::Pass> createQuantizeW4A16Pass(const QuantizeW4A16PassOptions &options,
                                                    std::shared_ptr<const LinearStatsMap> stats,
                                                    W4A16Report *report = nullptr);

} // namespace pare

#endif // PARE_DIALECT_PARE_TRANSFORMS_QUANTIZEW4A16_H
