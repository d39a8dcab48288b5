//===- ConstantComputed.h - values the folders left computed from constants ===//
//
// The recognisers (RecognizeTemporalShift, RecognizeDecoderPatterns) probe a
// region by cloning it into a scratch function and running the evaluator.
// The values a region reads that depend on constants only (shape
// arithmetic, cos / sin tables, masks, zeros of ConstantOfShape) go along
// with it: these helpers find and clone them.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_DIALECT_PARE_TRANSFORMS_CONSTANTCOMPUTED_H
#define PARE_DIALECT_PARE_TRANSFORMS_CONSTANTCOMPUTED_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseMap.h"

namespace pare {

/// True when `v` is computed from constants only, by pure region-free ops at
/// most `maxDepth` deep; results are kept in `memo`.
bool isConstantComputed(mlir::Value v, llvm::DenseMap<mlir::Value, bool> &memo, int maxDepth,
                        int depth = 0);

/// Clones the ops computing the constant-computed `v` into `b` (in operand
/// order, each once), recording them in `map`.
void cloneConstantComputed(mlir::OpBuilder &b, mlir::Value v, mlir::IRMapping &map);

} // namespace pare

#endif // PARE_DIALECT_PARE_TRANSFORMS_CONSTANTCOMPUTED_H
