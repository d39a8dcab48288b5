//===- Pipelines.cpp - pass pipelines per phase ---------------------------===//
#include "dialects/Pare/Transforms/Pipelines.h"

#include "dialects/Pare/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace pare {
namespace {

/// Refuses constants whose data the printer elided (`dense_resource
/// <__elided__>`: what `pare compile -o -` prints for more than 16
/// elements): passes match constants by their values and would silently
/// leave such a model unfolded. Part of every phase pipeline, not a pass of
/// its own: it changes no IR.
struct CheckWeightsPass : PassWrapper<CheckWeightsPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CheckWeightsPass)

  StringRef getName() const final { return "CheckWeights"; }

  void runOnOperation() override {
    WalkResult r = getOperation().walk([](Operation *op) {
      for (NamedAttribute a : op->getAttrs()) {
        auto resource = dyn_cast<DenseResourceElementsAttr>(a.getValue());
        if (resource && !resource.getRawHandle().getBlob()) {
          op->emitError("constant data elided when the IR was printed (pare compile -o - "
                        "elides constants of more than 16 elements); write the IR with -o DIR");
          return WalkResult::interrupt();
        }
      }
      return WalkResult::advance();
    });
    if (r.wasInterrupted())
      signalPassFailure();
  }
};

/// Runs PipelineOptions::calibrate inside the quantize phase: calibration
/// executes the model on sample files, which the driver reads.
struct CalibratePass : PassWrapper<CalibratePass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CalibratePass)

  explicit CalibratePass(std::function<LogicalResult(ModuleOp)> calibrate)
      : calibrate(std::move(calibrate)) {}

  StringRef getName() const final { return "Calibrate"; }

  void runOnOperation() override {
    if (failed(calibrate(getOperation())))
      signalPassFailure();
  }

  std::function<LogicalResult(ModuleOp)> calibrate;
};

} // namespace

void buildGraphPipeline(OpPassManager &pm) {
  auto &f = pm.nest<func::FuncOp>();
  f.addPass(createCanonicalizerPass());
  f.addPass(createRecognizeDecoderPatternsPass());
  f.addPass(createRecognizeTemporalShiftPass());
  f.addPass(createCanonicalizerPass());
  f.addPass(createFoldBatchNormPass());
  f.addPass(createCanonicalizerPass());
  // Before NHWC: a pad folded away leaves no layout change around it.
  f.addPass(createFoldPadPass());
  // One dequantize per user first, so that each op's layout transposes can
  // move past its own.
  f.addPass(createUniqueDequantizePass());
  f.addPass(createConvertToNHWCPass());
  f.addPass(createCanonicalizerPass());
  f.addPass(createFuseActivationsPass());
  f.addPass(createCanonicalizerPass());
  f.addPass(createCSEPass());
}

void buildCalibrationPrepPipeline(OpPassManager &pm) {
  auto &f = pm.nest<func::FuncOp>();
  f.addPass(createSplitActivationsPass());
}

void buildInsertQDQPipeline(OpPassManager &pm) {
  auto &f = pm.nest<func::FuncOp>();
  f.addPass(createInsertQDQPass());
  f.addPass(createCSEPass());
}

void buildLowerQuantizedPipeline(OpPassManager &pm) {
  auto &f = pm.nest<func::FuncOp>();
  f.addPass(createLowerQuantizedPass());
  f.addPass(createCanonicalizerPass());
  f.addPass(createCSEPass());
}

void buildFP16Pipeline(OpPassManager &pm) {
  auto &f = pm.nest<func::FuncOp>();
  f.addPass(createConvertToFP16Pass());
  f.addPass(createCanonicalizerPass());
}

void buildQuantizePipeline(OpPassManager &pm, const PipelineOptions &o) {
  if (o.int8) {
    buildCalibrationPrepPipeline(pm);
    if (o.calibrate)
      pm.addPass(std::make_unique<CalibratePass>(o.calibrate));
    buildInsertQDQPipeline(pm);
  } else if (o.calibrate) {
    // A model that arrives quantized: ranges for its float islands
    // (LowerQuantized's quantizeIslands reads and drops them), with the
    // activations an int8 kernel cannot apply as a clamp split off, as
    // quantizeIslands splits them.
    buildCalibrationPrepPipeline(pm);
    pm.addPass(std::make_unique<CalibratePass>(o.calibrate));
  }
  buildLowerQuantizedPipeline(pm);
  if (o.fp16)
    buildFP16Pipeline(pm);
}

void buildTemporalShiftPipeline(OpPassManager &pm, bool streaming, bool fuse) {
  auto &f = pm.nest<func::FuncOp>();
  if (streaming)
    f.addPass(createStreamTemporalShiftPass());
  if (fuse)
    f.addPass(createFuseTemporalShiftPass());
}

void buildResidualFusionPipeline(OpPassManager &pm) {
  pm.nest<func::FuncOp>().addPass(createFuseResidualAddPass());
}

void buildPlanMemoryPipeline(OpPassManager &pm, const PipelineOptions &o) {
  PlanMemoryPassOptions p;
  p.planner = o.planner;
  p.patches = o.patches;
  p.arenaBudget = o.arenaBudget;
  p.maxRecompute = o.maxRecompute;
  p.patchGrid = o.patchGrid;
  pm.nest<func::FuncOp>().addPass(createPlanMemoryPass(p));
}

void buildPlanPipeline(OpPassManager &pm, const PipelineOptions &o) {
  buildTemporalShiftPipeline(pm, o.streaming, o.fuseShifts && !o.residualFusion);
  if (o.residualFusion)
    buildResidualFusionPipeline(pm);
  buildPlanMemoryPipeline(pm, o);
}

void buildPhasePipeline(OpPassManager &pm, Phase phase, const PipelineOptions &o) {
  if (phase == Phase::Import || phase == Phase::Emit)
    return;
  pm.addPass(std::make_unique<CheckWeightsPass>());
  switch (phase) {
  case Phase::Graph:
    if (o.maxContext > 0)
      pm.addPass(createBindDecoderInputsPass());
    buildGraphPipeline(pm);
    // Last: the recognisers have raised attention, and what is left of
    // position-dependent constants shows.
    if (o.maxContext > 0) {
      DeriveDecoderPassOptions d;
      d.maxContext = o.maxContext;
      pm.addPass(createDeriveDecoderPass(d));
      pm.nest<func::FuncOp>().addPass(createCanonicalizerPass());
    }
    return;
  case Phase::Quantize:
    return buildQuantizePipeline(pm, o);
  case Phase::Plan:
    return buildPlanPipeline(pm, o);
  case Phase::Import:
  case Phase::Emit:
    return;
  }
}

void buildPipeline(OpPassManager &pm, Phase last, const PipelineOptions &o) {
  for (Phase phase : {Phase::Graph, Phase::Quantize, Phase::Plan})
    if (phase <= last)
      buildPhasePipeline(pm, phase, o);
}

namespace {

// pare-opt's options of the phases: PipelineOptions less what needs the
// driver (calibration samples), so --pare-quantize-pipeline quantizes only
// models that arrive quantized.
struct GraphOptions : PassPipelineOptions<GraphOptions> {
  Option<int64_t> maxContext{*this, "max-context",
                             llvm::cl::desc("Derive a KV-cache decoder (--max-context)"),
                             llvm::cl::init(0)};
};

struct QuantizeOptions : PassPipelineOptions<QuantizeOptions> {
  Option<bool> fp16{*this, "fp16", llvm::cl::desc("fp16 storage (--precision fp16)"),
                    llvm::cl::init(false)};
};

struct TemporalShiftOptions : PassPipelineOptions<TemporalShiftOptions> {
  Option<bool> streaming{*this, "streaming", llvm::cl::desc("One frame per call (--streaming)"),
                         llvm::cl::init(false)};
  Option<bool> fuse{*this, "fuse", llvm::cl::desc("Fold shifts into 1x1 convolutions"),
                    llvm::cl::init(true)};
};

struct PlanOptions : PassPipelineOptions<PlanOptions> {
  Option<bool> streaming{*this, "streaming", llvm::cl::desc("One frame per call (--streaming)"),
                         llvm::cl::init(false)};
  Option<bool> fuseShifts{*this, "fuse-shifts",
                          llvm::cl::desc("Fold temporal shifts into 1x1 convolutions"),
                          llvm::cl::init(true)};
  Option<bool> residualFusion{*this, "residual-fusion",
                              llvm::cl::desc("Residual adds in the producers' kernels (CUDA)"),
                              llvm::cl::init(false)};
  Option<planning::Planner> planner{
      *this, "planner", llvm::cl::desc("Arena planner"), llvm::cl::init(planning::Planner::Pare),
      llvm::cl::values(
          clEnumValN(planning::Planner::Pare, "pare", "in-place ops and search"),
          clEnumValN(planning::Planner::GreedyBySize, "greedy-by-size", "TFLite Micro's"))};
  Option<planning::PatchMode> patches{
      *this, "patches", llvm::cl::desc("Patch-based inference"),
      llvm::cl::init(planning::PatchMode::Off),
      llvm::cl::values(
          clEnumValN(planning::PatchMode::Off, "off", "layer by layer"),
          clEnumValN(planning::PatchMode::Auto, "auto", "only when the arena exceeds arena-budget"),
          clEnumValN(planning::PatchMode::Min, "min", "the smallest arena"))};
  Option<int64_t> arenaBudget{*this, "arena-budget", llvm::cl::desc("Bytes (patches=auto)"),
                              llvm::cl::init(0)};
  Option<double> maxRecompute{*this, "max-recompute",
                              llvm::cl::desc("Fraction of the model's MACs halos may add"),
                              llvm::cl::init(0.10)};
  Option<int64_t> patchGrid{*this, "patch-grid", llvm::cl::desc("n x n patches; 0: try 2..8"),
                            llvm::cl::init(0)};

  PipelineOptions toPipelineOptions() const {
    PipelineOptions o;
    o.streaming = streaming;
    o.fuseShifts = fuseShifts;
    o.residualFusion = residualFusion;
    o.planner = planner;
    o.patches = patches;
    o.arenaBudget = arenaBudget;
    o.maxRecompute = maxRecompute;
    o.patchGrid = patchGrid;
    return o;
  }
};

} // namespace

void registerPipelines() {
  // The phases, as `pare compile --compile-to PHASE` runs them.
  PassPipelineRegistration<GraphOptions>(
      "pare-graph-pipeline", "pare's graph phase (--compile-to graph)",
      [](OpPassManager &pm, const GraphOptions &g) {
        PipelineOptions o;
        o.maxContext = g.maxContext;
        buildPhasePipeline(pm, Phase::Graph, o);
      });
  PassPipelineRegistration<QuantizeOptions>(
      "pare-quantize-pipeline",
      "pare's quantize phase (--compile-to quantize) for models that arrive quantized and "
      "fp16; --quantize int8 calibrates on sample files, in the driver",
      [](OpPassManager &pm, const QuantizeOptions &q) {
        PipelineOptions o;
        o.fp16 = q.fp16;
        buildPhasePipeline(pm, Phase::Quantize, o);
      });
  PassPipelineRegistration<PlanOptions>(
      "pare-plan-pipeline", "pare's plan phase (--compile-to plan)",
      [](OpPassManager &pm, const PlanOptions &p) {
        buildPhasePipeline(pm, Phase::Plan, p.toPipelineOptions());
      });

  // The steps of the phases.
  PassPipelineRegistration<>("pare-calibration-prep-pipeline",
                             "int8: split activations before calibration",
                             buildCalibrationPrepPipeline);
  PassPipelineRegistration<>("pare-insert-qdq-pipeline",
                             "int8: quantize / dequantize pairs from calibrated ranges",
                             buildInsertQDQPipeline);
  PassPipelineRegistration<>("pare-lower-quantized-pipeline",
                             "int8: dequantize -> op -> quantize patterns to int8 ops",
                             buildLowerQuantizedPipeline);
  PassPipelineRegistration<>("pare-fp16-pipeline", "fp16 storage (CUDA)", buildFP16Pipeline);
  PassPipelineRegistration<TemporalShiftOptions>(
      "pare-temporal-shift-pipeline", "temporal shifts streamed and / or fused",
      [](OpPassManager &pm, const TemporalShiftOptions &t) {
        buildTemporalShiftPipeline(pm, t.streaming, t.fuse);
      });
  PassPipelineRegistration<>("pare-residual-fusion-pipeline",
                             "residual adds in the producers' kernels (CUDA)",
                             buildResidualFusionPipeline);
  PassPipelineRegistration<PlanOptions>("pare-plan-memory-pipeline",
                                        "the arena plan alone (pare-plan-memory)",
                                        [](OpPassManager &pm, const PlanOptions &p) {
                                          buildPlanMemoryPipeline(pm, p.toPipelineOptions());
                                        });
}

} // namespace pare
