//===- Pipelines.cpp - pass pipelines per phase ---------------------------===//
#include "dialects/Pare/Transforms/Pipelines.h"

#include "dialects/Pare/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

namespace pare {

void buildGraphPipeline(mlir::OpPassManager &pm) {
  auto &f = pm.nest<mlir::func::FuncOp>();
  f.addPass(mlir::createCanonicalizerPass());
  f.addPass(createRecognizeTemporalShiftPass());
  f.addPass(mlir::createCanonicalizerPass());
  f.addPass(createFoldBatchNormPass());
  f.addPass(mlir::createCanonicalizerPass());
  f.addPass(createConvertToNHWCPass());
  f.addPass(mlir::createCanonicalizerPass());
  f.addPass(createFuseActivationsPass());
  f.addPass(mlir::createCanonicalizerPass());
  f.addPass(mlir::createCSEPass());
}

void buildCalibrationPrepPipeline(mlir::OpPassManager &pm) {
  auto &f = pm.nest<mlir::func::FuncOp>();
  f.addPass(createSplitActivationsPass());
}

void buildInsertQDQPipeline(mlir::OpPassManager &pm) {
  auto &f = pm.nest<mlir::func::FuncOp>();
  f.addPass(createInsertQDQPass());
  f.addPass(mlir::createCSEPass());
}

void buildLowerQuantizedPipeline(mlir::OpPassManager &pm) {
  auto &f = pm.nest<mlir::func::FuncOp>();
  f.addPass(createLowerQuantizedPass());
  f.addPass(mlir::createCanonicalizerPass());
  f.addPass(mlir::createCSEPass());
}

void buildFP16Pipeline(mlir::OpPassManager &pm) {
  auto &f = pm.nest<mlir::func::FuncOp>();
  f.addPass(createConvertToFP16Pass());
  f.addPass(mlir::createCanonicalizerPass());
}

void buildTemporalShiftPipeline(mlir::OpPassManager &pm, bool streaming, bool fuse) {
  auto &f = pm.nest<mlir::func::FuncOp>();
  if (streaming)
    f.addPass(createStreamTemporalShiftPass());
  if (fuse)
    f.addPass(createFuseTemporalShiftPass());
}

void buildResidualFusionPipeline(mlir::OpPassManager &pm) {
  pm.nest<mlir::func::FuncOp>().addPass(createFuseResidualAddPass());
}

void buildPlanPipeline(mlir::OpPassManager &pm, const PlanPipelineOptions &o) {
  PlanMemoryPassOptions p;
  p.planner = o.planner;
  p.patches = o.patches;
  p.arenaBudget = o.arenaBudget;
  p.maxRecompute = o.maxRecompute;
  p.patchGrid = o.patchGrid;
  pm.nest<mlir::func::FuncOp>().addPass(createPlanMemoryPass(p));
}

void registerPipelines() {
  mlir::PassPipelineRegistration<>("pare-graph-pipeline",
                                   "pare's graph passes (phase 'graph')",
                                   buildGraphPipeline);
  mlir::PassPipelineRegistration<>("pare-plan-pipeline",
                                   "pare's scheduling passes (phase 'plan')",
                                   [](mlir::OpPassManager &pm) { buildPlanPipeline(pm); });
}

} // namespace pare
