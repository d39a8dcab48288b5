//===- PlanMemory.cpp - static arena placement, with patches --------------===//
//
// Tensor lifetimes over the op order, in-place ops, placement in one arena
// and, when asked, patch-based inference for the first layers. The plan is
// written to the IR so that every code generator reads the same plan.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Analysis/MemoryPlan.h"
#include "dialects/Pare/Analysis/Patches.h"
#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"

namespace pare {
#define GEN_PASS_DEF_PLANMEMORYPASS
#include "dialects/Pare/Transforms/Passes.h.inc"
} // namespace pare

using namespace mlir;
using namespace pare;

namespace {

struct PlanMemoryPass : pare::impl::PlanMemoryPassBase<PlanMemoryPass> {
  using Base::Base;
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (alignment <= 0 || (alignment & (alignment - 1)) != 0) {
      func.emitError("alignment must be a power of two, got ") << static_cast<int64_t>(alignment);
      return signalPassFailure();
    }
    planning::PlanOptions options;
    options.alignment = alignment;
    options.planner = planner;
    // Operator reordering where branches allow a lower peak.
    if (options.planner == planning::Planner::Pare && planning::reorderForMemory(func, options))
      attrs::setReordered(func);
    std::optional<planning::PatchStage> stage;
    if (patches != planning::PatchMode::Off) {
      planning::PatchSearch search;
      search.maxRecompute = maxRecompute;
      search.grid = patchGrid;
      bool wanted = patches == planning::PatchMode::Min;
      if (patches == planning::PatchMode::Auto)
        wanted = arenaBudget > 0 && planning::planFunction(func, options).arenaBytes > arenaBudget;
      if (wanted)
        stage = planning::choosePatchStage(func, options, search).stage;
    }
    planning::FunctionPlan plan = planning::planFunction(func, options, stage ? &*stage : nullptr);
    for (auto &[op, offsets] : plan.offsets)
      attrs::setOffsets(op, offsets);
    for (auto &[op, bytes] : plan.liveBytes)
      if (bytes > 0)
        attrs::setLiveBytes(op, bytes);
    for (auto &[op, offset] : plan.scratch)
      attrs::setScratchOffset(op, offset);
    for (auto &[op, operand] : plan.inPlace)
      attrs::setInPlace(op, operand);
    if (stage) {
      for (Operation *op : stage->ops)
        attrs::setPatchStage(op);
      for (auto &[op, offset] : plan.tileOffsets)
        attrs::setTileOffset(op, offset);
      for (auto &[op, offset] : plan.cropOffsets)
        attrs::setCropOffset(op, offset);
      attrs::setPatchGrid(func, stage->grid);
      attrs::setPatchExtraMacs(func, stage->patchedMacs - stage->stageMacs);
    }
    attrs::setArenaBytes(func, plan.arenaBytes);
    attrs::setLiveBytesBound(func, plan.lowerBound);
  }
};

} // namespace
