//===- UniqueDequantize.cpp - one dequantize per user ---------------------===//
//
// onnxruntime's quantizer writes one DequantizeLinear per tensor, shared by
// all of the tensor's consumers; onnxruntime itself first gives each consumer
// its own (EnsureUniqueDQForNodeUnit). pare does the same before the layout
// pass: a transpose can only move past a dequantize that feeds nothing else,
// so a shared one left a residual add's consumers in NCHW with transposes
// around them, and the convolution after it in float.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/Transforms/Passes.h"

namespace pare {
#define GEN_PASS_DEF_UNIQUEDEQUANTIZEPASS
#include "dialects/Pare/Transforms/Passes.h.inc"
} // namespace pare

using namespace mlir;
using namespace pare;

namespace {

struct UniqueDequantizePass : pare::impl::UniqueDequantizePassBase<UniqueDequantizePass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<DequantizeOp> shared;
    getOperation().walk([&](DequantizeOp dq) {
      if (!dq->hasOneUse() && !dq->use_empty())
        shared.push_back(dq);
    });
    for (DequantizeOp dq : shared) {
      // Uses by function results stay on the original (as onnxruntime keeps
      // a graph output on it); every op operand gets a clone placed right
      // after it, so that the clones keep the original's order.
      SmallVector<OpOperand *> uses;
      bool feedsResult = false;
      for (OpOperand &use : dq->getUses()) {
        if (use.getOwner()->hasTrait<OpTrait::IsTerminator>())
          feedsResult = true;
        else
          uses.push_back(&use);
      }
      if (uses.size() + (feedsResult ? 1 : 0) < 2)
        continue;
      attrs::setSharedDequantize(dq);
      OpBuilder b(dq);
      b.setInsertionPointAfter(dq);
      // The original serves the first user when no result needs it.
      for (size_t i = feedsResult ? 0 : 1; i < uses.size(); ++i) {
        Operation *clone = b.clone(*dq);
        uses[i]->set(clone->getResult(0));
      }
    }
  }
};

} // namespace
