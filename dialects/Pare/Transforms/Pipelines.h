//===- Pipelines.h - pass pipelines per phase -----------------------------===//
//
// One pipeline per phase (Phase.h), built from one options struct, as
// IREE's buildIREEVMTransformPassPipeline; `pare compile` and pare-opt build
// the same ones. The steps a phase is made of are pipelines of their own
// (pare-opt registers every one) so that lit tests and tools can run a step.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_DIALECTS_PARE_TRANSFORMS_PIPELINES_H
#define PARE_DIALECTS_PARE_TRANSFORMS_PIPELINES_H

#include "dialects/Pare/Analysis/MemoryPlan.h"
#include "dialects/Pare/Transforms/Phase.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <cstdint>
#include <functional>

namespace pare {

/// What the phases' passes depend on besides the IR.
struct PipelineOptions {
  // Phase::Graph.
  /// > 0: derive the KV-cache decode step of a decoder (pare-derive-decoder)
  /// with a cache of this many positions. A module it derives leaves the
  /// phase pipeline there: the decoder emitters choose its storage
  /// precision and plan its arena.
  int64_t maxContext = 0;

  // Phase::Quantize.
  /// int8 post-training quantization of a float model: split the
  /// activations int8 kernels cannot fuse, `calibrate`, insert
  /// quantize / dequantize pairs. (Models that arrive quantized are lowered
  /// to int8 ops without it.)
  bool int8 = false;
  /// Stores each value's range (pare.range) in the IR, between the split and
  /// the quantize / dequantize pairs. Calibration executes the model on
  /// sample files: the driver's job (compiler/Calibration), not a pass's.
  /// Without int8 (a model that arrives quantized), it runs before the
  /// lowering, for the float islands' values that nothing quantizes.
  std::function<mlir::LogicalResult(mlir::ModuleOp)> calibrate;
  /// fp16 storage with fp32 accumulation (the CUDA target).
  bool fp16 = false;

  // Phase::Plan.
  /// Temporal-shift models: one frame per call, the shifted channels kept in
  /// a state buffer.
  bool streaming = false;
  /// Fold temporal shifts into the 1x1 convolutions that read them (C
  /// targets; never with residualFusion, whose kernels read no shift).
  bool fuseShifts = true;
  /// Residual adds done by the producers' kernels (CUDA).
  bool residualFusion = false;
  planning::Planner planner = planning::Planner::Pare;
  planning::PatchMode patches = planning::PatchMode::Off;
  int64_t arenaBudget = 0;    ///< bytes (patches=auto)
  double maxRecompute = 0.10; ///< fraction of the model's MACs halos may add
  int64_t patchGrid = 0;      ///< 0: try 2..8
};

/// The passes of one phase (none for Import and Emit). Each phase pipeline
/// starts by refusing constants whose data was elided when the IR was
/// printed: passes would silently skip them.
void buildPhasePipeline(mlir::OpPassManager &pm, Phase phase, const PipelineOptions &options = {});

/// The phase pipelines from Graph up to and including `last`.
void buildPipeline(mlir::OpPassManager &pm, Phase last, const PipelineOptions &options = {});

/// Phase::Graph: canonicalisation (constant folding, Identity / Dropout
/// removal, DCE), temporal shifts recognised, batch norms folded, NHWC
/// layout, activations fused.
void buildGraphPipeline(mlir::OpPassManager &pm);

/// Phase::Quantize: with options.int8, calibration prep, options.calibrate
/// and QDQ insertion; then int8 lowering (also for models that arrive
/// quantized: QDQ or QOperator ONNX); then fp16 with options.fp16.
void buildQuantizePipeline(mlir::OpPassManager &pm, const PipelineOptions &options = {});

/// Phase::Plan: temporal shifts streamed / fused, residual adds fused,
/// static memory planning of the arena (and patch-based inference).
void buildPlanPipeline(mlir::OpPassManager &pm, const PipelineOptions &options = {});

/// The steps of int8 post-training quantization around calibration (which
/// executes the model, in the driver): split activations that int8 kernels
/// cannot fuse; after calibration, insert quantize/dequantize pairs; then
/// lower dequantize -> op -> quantize patterns to int8 ops.
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

/// pare-plan-memory alone, with the planner options of `options`.
void buildPlanMemoryPipeline(mlir::OpPassManager &pm, const PipelineOptions &options = {});

/// Registers every pipeline above with pare-opt: the phases
/// (`--pare-graph-pipeline`, `--pare-quantize-pipeline`,
/// `--pare-plan-pipeline`, with the options of PipelineOptions that need no
/// driver) and their steps (`--pare-insert-qdq-pipeline` ...).
void registerPipelines();

} // namespace pare

#endif // PARE_DIALECTS_PARE_TRANSFORMS_PIPELINES_H
