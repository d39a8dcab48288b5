//===- PlanMemory.cpp - static arena placement ----------------------------===//
//
// Tensor lifetimes over the op order, then first-fit placement in one arena.
// The plan is written to the IR (pare.offsets / pare.arena_bytes) so that
// every code generator reads the same plan.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Transforms/Passes.h"
#include "compiler/MemoryPlan.h"

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
    planning::FunctionPlan plan = planning::planFunction(func, alignment);
    Builder b(&getContext());
    for (auto &[op, offsets] : plan.offsets)
      op->setAttr("pare.offsets", b.getDenseI64ArrayAttr(offsets));
    for (auto &[op, bytes] : plan.liveBytes)
      if (bytes > 0)
        op->setAttr("pare.live_bytes", b.getI64IntegerAttr(bytes));
    for (auto &[op, offset] : plan.scratch)
      op->setAttr("pare.scratch_offset", b.getI64IntegerAttr(offset));
    func->setAttr("pare.arena_bytes", b.getI64IntegerAttr(plan.arenaBytes));
    func->setAttr("pare.live_bytes_bound", b.getI64IntegerAttr(plan.lowerBound));
  }
};

} // namespace
