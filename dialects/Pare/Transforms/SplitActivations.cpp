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
      if (splitFusedActivation(op))
        continue;
      // The verifier knows every name; hand-written IR can still omit
      // activation_params.
      StringRef name = op->getAttrOfType<StringAttr>("activation").getValue();
      auto params = op->getAttrOfType<DenseF32ArrayAttr>("activation_params");
      op->emitError("cannot split fused activation '")
          << name << "': it takes " << activationParamCount(name).value_or(0)
          << " activation_params, the op has " << (params ? params.size() : 0);
      return signalPassFailure();
    }
  }
};

} // namespace
