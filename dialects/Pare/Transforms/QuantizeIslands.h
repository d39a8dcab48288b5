//===- QuantizeIslands.h - float islands of quantized models to int8 ------===//
//
// A quantized model can leave ops in float between its dequantize and
// quantize nodes (an island): onnxruntime's own choices (average pools,
// bilinear resizes, a change of scale kept in float), or a value the
// quantizer never quantized (a conv whose output is quantized only after the
// add that follows it). LowerQuantizedPass calls quantizeIslands after its
// patterns when the module asks for it (`pare.int8_islands` = "quantize").
//
//===----------------------------------------------------------------------===//
#ifndef PARE_DIALECT_PARE_TRANSFORMS_QUANTIZEISLANDS_H
#define PARE_DIALECT_PARE_TRANSFORMS_QUANTIZEISLANDS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"

namespace pare {

/// LowerQuantized's patterns (quantize(op(dequantize ...)) -> int8 op).
/// `islands` lifts the exceptions that keep ops in float as onnxruntime runs
/// them under ONNX rounding (a change of scale, average pools, spatial means,
/// bilinear resizes) and lets an average pool requantize its output.
void populateLowerQuantizePatterns(mlir::RewritePatternSet &patterns, bool islands);

/// Makes the float islands of `f` int8: gives each value inside an island
/// that has no quantization parameters those of its calibrated range
/// (`pare.ranges`), else of the nearest quantize downstream through ops that
/// keep its range, then runs the patterns with `islands`. Records the nodes
/// made int8 in the function's `pare.islands`, warns about island ops that
/// have no int8 kernel (they stay float) and drops the calibration ranges.
/// Fails, naming the node, where a value has no parameters to take.
mlir::LogicalResult quantizeIslands(mlir::func::FuncOp f);

} // namespace pare

#endif // PARE_DIALECT_PARE_TRANSFORMS_QUANTIZEISLANDS_H
