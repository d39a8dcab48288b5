//===- FuseTemporalShift.cpp - read a temporal shift through 1x1 convs ----===//
//
// pare-fuse-temporal-shift: a temporal shift whose every user is a pointwise
// channels-last convolution is folded into them (the pare.shift_* attributes),
// so that the shifted tensor is never written.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Transforms/Passes.h"

#include "dialects/Pare/Analysis/MemoryPlan.h"
#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/IR/PareOps.h"

namespace pare {
#define GEN_PASS_DEF_FUSETEMPORALSHIFTPASS
#include "dialects/Pare/Transforms/Passes.h.inc"
} // namespace pare

using namespace mlir;
using namespace pare;

namespace {

ArrayRef<int64_t> dims(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }

bool fusableConv(Operation *op, Value shifted) {
  if (op->getNumOperands() < 1 || op->getOperand(0) != shifted)
    return false;
  auto isPointwise = [&](Value w, ArrayRef<int64_t> s, ArrayRef<int64_t> p, int64_t g) {
    auto wd = dims(w);
    return wd[1] == 1 && wd[2] == 1 && llvm::all_of(s, [](int64_t v) { return v == 1; }) &&
           llvm::all_of(p, [](int64_t v) { return v == 0; }) && g == 1;
  };
  if (auto c = dyn_cast<ConvOp>(op))
    return c.getChannelsLast() &&
           isPointwise(c.getWeight(), c.getStrides(), c.getPads(), int64_t(c.getGroup()));
  if (auto c = dyn_cast<QConvOp>(op))
    return c.getChannelsLast() && !planning::usesGenericInt8Kernel(op) &&
           isPointwise(c.getWeight(), c.getStrides(), c.getPads(), int64_t(c.getGroup()));
  return false;
}

struct FuseTemporalShiftPass : pare::impl::FuseTemporalShiftPassBase<FuseTemporalShiftPass> {
  void runOnOperation() override {
    SmallVector<TemporalShiftOp> shifts;
    getOperation().walk([&](TemporalShiftOp s) { shifts.push_back(s); });
    for (TemporalShiftOp s : shifts) {
      if (s.getStreaming() || !s.getChannelsLast() || s.getOutput().use_empty())
        continue;
      if (!llvm::all_of(s.getOutput().getUsers(),
                        [&](Operation *u) { return fusableConv(u, s.getOutput()); }))
        continue;
      for (Operation *u : llvm::make_early_inc_range(s.getOutput().getUsers())) {
        u->setOperand(0, s.getInput());
        attrs::setShift(u, int64_t(s.getFrames()), int64_t(s.getFold()), s.getMode());
      }
      s->erase();
    }
  }
};

} // namespace
