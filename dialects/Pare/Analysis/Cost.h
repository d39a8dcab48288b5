//===- Cost.h - per-op cost figures (MACs) ---------------------------------===//
//
// Multiply-accumulates of one op, for inspect, profile and the patch planner
// (which weighs recomputed halos in MACs). Float and int8 ops alike.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_DIALECTS_PARE_ANALYSIS_COST_H
#define PARE_DIALECTS_PARE_ANALYSIS_COST_H

#include "mlir/IR/Operation.h"

#include <cstdint>

namespace pare::cost {

/// Multiply-accumulates of the op: convolutions, GEMM / fully connected and
/// matmuls (float or int8). 0 for every other op.
int64_t macs(mlir::Operation *op);

/// MACs per output element of a convolution (float or int8): (ic/g)*kh*kw.
/// 0 for other ops.
int64_t macsPerConvOutput(mlir::Operation *op);

} // namespace pare::cost

#endif // PARE_DIALECTS_PARE_ANALYSIS_COST_H
