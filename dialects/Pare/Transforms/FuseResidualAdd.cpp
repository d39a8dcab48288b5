//===- FuseResidualAdd.cpp - mark producers that add their residual -------===//

#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/Transforms/Passes.h"

namespace pare {
#define GEN_PASS_DEF_FUSERESIDUALADDPASS
#include "dialects/Pare/Transforms/Passes.h.inc"
} // namespace pare

using namespace mlir;
using namespace pare;

namespace {

bool computes(Operation &op) { return !isa<ConstantOp, ReshapeOp, IdentityOp, func::ReturnOp>(op); }

struct FuseResidualAddPass : pare::impl::FuseResidualAddPassBase<FuseResidualAddPass> {
  using Base::Base;
  void runOnOperation() override {
    for (Operation &op : getOperation().getBody().front()) {
      if (!isa<ConvOp, GemmOp, MatMulOp>(op) || op.hasAttr("activation") || !op.hasOneUse())
        continue;
      Operation *next = op.getNextNode();
      while (next && !computes(*next))
        next = next->getNextNode();
      auto add = dyn_cast_or_null<AddOp>(next);
      if (!add)
        continue;
      Value produced = op.getResult(0);
      Operation *user = *produced.getUsers().begin();
      if (auto r = dyn_cast<ReshapeOp>(user)) {
        if (!r->hasOneUse() || *r->getUsers().begin() != add)
          continue;
        produced = r.getResult();
      } else if (user != add) {
        continue;
      }
      Value other = add.getLhs() == produced ? add.getRhs() : add.getLhs();
      if (other == produced || other.getType() != add.getType())
        continue;
      attrs::setResidualAdd(&op);
    }
  }
};

} // namespace
