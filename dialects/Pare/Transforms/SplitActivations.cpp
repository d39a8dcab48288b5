//===- SplitActivations.cpp - unfuse non-clamp activations ----------------===//

#include "dialects/Pare/Transforms/ActivationUtils.h"
#include "dialects/Pare/Transforms/Passes.h"

namespace pare {
#define GEN_PASS_DEF_SPLITACTIVATIONSPASS
#include "dialects/Pare/Transforms/Passes.h.inc"
} // namespace pare

using namespace mlir;
using namespace pare;

namespace {

struct SplitActivationsPass : pare::impl::SplitActivationsPassBase<SplitActivationsPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (auto a = op->getAttrOfType<StringAttr>("activation"))
        if (!isClampActivation(a.getValue()))
          ops.push_back(op);
    });
    for (Operation *op : ops) {
      StringRef name = op->getAttrOfType<StringAttr>("activation").getValue();
      SmallVector<float> params;
      if (auto p = op->getAttrOfType<DenseF32ArrayAttr>("activation_params"))
        params.assign(p.asArrayRef().begin(), p.asArrayRef().end());
      OpBuilder b(op->getContext());
      b.setInsertionPointAfter(op);
      Value r = op->getResult(0);
      Value act = createActivation(b, op->getLoc(), name, params, r);
      if (!act) {
        // The verifier knows every name; hand-written IR can still omit
        // activation_params.
        op->emitError("cannot split fused activation '")
            << name << "': it takes " << activationParamCount(name).value_or(0)
            << " activation_params, the op has " << params.size();
        return signalPassFailure();
      }
      r.replaceAllUsesExcept(act, act.getDefiningOp());
      op->removeAttr("activation");
      op->removeAttr("activation_params");
    }
  }
};

} // namespace
