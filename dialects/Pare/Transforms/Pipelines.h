//===- Pipelines.h - pass pipelines per phase -----------------------------===//
#ifndef PARE_DIALECTS_PARE_TRANSFORMS_PIPELINES_H
#define PARE_DIALECTS_PARE_TRANSFORMS_PIPELINES_H

#include "mlir/Pass/PassManager.h"

#include <cstdint>
#include <string>

namespace pare {

/// Canonicalisation (constant folding, Identity/Dropout removal, DCE), batch
/// norm folding, NHWC layout, activation fusion.
void buildGraphPipeline(mlir::OpPassManager &pm);

/// int8 post-training quantization, in three steps around calibration
/// (which executes the model, in the driver): split activations that int8
/// kernels cannot fuse; after calibration, insert quantize/dequantize pairs;
/// then lower dequantize -> op -> quantize patterns to int8 ops (this last
/// step also runs for models that arrive quantized: QDQ or QOperator ONNX).
void buildCalibrationPrepPipeline(mlir::OpPassManager &pm);
void buildInsertQDQPipeline(mlir::OpPassManager &pm);
void buildLowerQuantizedPipeline(mlir::OpPassManager &pm);

/// fp16 storage for the GPU target (after the graph passes, before planning).
void buildFP16Pipeline(mlir::OpPassManager &pm);

/// Temporal shifts after quantization: `streaming` turns a T-frame model
/// into a one-frame step with state; `fuse` folds shifts into the 1x1
/// convolutions that read them (C targets).
void buildTemporalShiftPipeline(mlir::OpPassManager &pm, bool streaming, bool fuse);

/// Residual adds done by the producers' kernels (targets whose kernels take a
/// residual: CUDA).
void buildResidualFusionPipeline(mlir::OpPassManager &pm);

/// Options of the memory planning phase (pare-plan-memory's options).
struct PlanPipelineOptions {
  std::string planner = "pare";  ///< pare | greedy-by-size
  std::string patches = "off";   ///< off | auto | min
  int64_t arenaBudget = 0;       ///< bytes (patches=auto)
  double maxRecompute = 0.10;    ///< fraction of the model's MACs
  int64_t patchGrid = 0;         ///< 0: try 2..8
};

/// Static memory planning of the arena (and patch-based inference).
void buildPlanPipeline(mlir::OpPassManager &pm, const PlanPipelineOptions &options = {});

/// Registers the pipelines with pare-opt (`--pare-graph-pipeline` ...).
void registerPipelines();

} // namespace pare

#endif // PARE_DIALECTS_PARE_TRANSFORMS_PIPELINES_H
