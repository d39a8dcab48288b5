//===- BindDecoderInputs.cpp - a decode-step export as a full sequence ----===//
//
// pare-bind-decoder-inputs: exporters also write a decoder as one step of
// generation with an explicit cache (the transformers / optimum form:
// input_ids, attention_mask, position_ids and past_key_values.N.key/value
// in; logits and present.N.key/value out, each present the concat of its
// past and the step's keys or values along the sequence). Imported with no
// past (the driver's probe gives cached positions length 0), an unpadded
// mask of ones and positions 0..S-1, that graph computes a whole sequence
// from nothing, as a full-sequence export does, and its presents are the
// keys and values its attentions read: the cache pare derives
// (pare-derive-decoder). This pass binds those inputs to those constants,
// so the recognisers and the derivation see the full-sequence form.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Transforms/Passes.h"

#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/IR/PareOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/BitVector.h"

namespace pare {
#define GEN_PASS_DEF_BINDDECODERINPUTSPASS
#include "dialects/Pare/Transforms/Passes.h.inc"
} // namespace pare

using namespace mlir;
using namespace pare;

namespace {

struct BindDecoderInputsPass : pare::impl::BindDecoderInputsPassBase<BindDecoderInputsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> fns(module.getOps<func::FuncOp>());
    if (fns.size() != 1 || fns[0].getNumArguments() < 2)
      return;
    func::FuncOp fn = fns[0];
    Block &body = fn.getBody().front();
    auto typeOf = [&](unsigned i) { return cast<RankedTensorType>(fn.getArgument(i).getType()); };
    auto nameOf = [&](unsigned i) {
      return attrs::getArgName(fn, i).value_or(StringRef()).str();
    };

    // The token ids: `input_ids`, else the first integer input.
    std::optional<unsigned> ids;
    for (unsigned i = 0; i < fn.getNumArguments(); ++i)
      if (typeOf(i).getElementType().isInteger() && (!ids || nameOf(i) == "input_ids"))
        ids = i;
    if (!ids)
      return;
    int64_t seq = typeOf(*ids).getShape().empty() ? 0 : typeOf(*ids).getShape().back();

    // Every binding is decided before any is made: an input that cannot be
    // bound leaves the function as it was.
    SmallVector<std::pair<unsigned, ElementsAttr>> bindings;
    for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
      if (i == *ids)
        continue;
      RankedTensorType t = typeOf(i);
      std::string name = nameOf(i);
      if (isa<FloatType>(t.getElementType()) && t.getNumElements() == 0) {
        bindings.push_back({i, DenseElementsAttr::get(t, ArrayRef<float>())});
      } else if (t.getElementType().isInteger() && t.getNumElements() == seq &&
                 name == "attention_mask") {
        // Every position present: the derived decoder does not pad.
        bindings.push_back({i, DenseElementsAttr::get(t, IntegerAttr::get(t.getElementType(), 1))});
      } else if (t.getElementType().isInteger() && t.getNumElements() == seq &&
                 name == "position_ids") {
        SmallVector<APInt> iota;
        for (int64_t p = 0; p < seq; ++p)
          iota.push_back(APInt(t.getElementType().getIntOrFloatBitWidth(), uint64_t(p)));
        bindings.push_back({i, DenseElementsAttr::get(t, iota)});
      } else {
        attrs::setNotDecoder(module, "input '" + name +
                                         "' is neither the token ids, an attention_mask, "
                                         "position_ids nor an empty past_key_values");
        return;
      }
    }
    OpBuilder b(&body, body.begin());
    llvm::BitVector erase(fn.getNumArguments());
    for (auto &[i, value] : bindings) {
      Value c = ConstantOp::create(b, fn.getLoc(), value.getType(), value);
      fn.getArgument(i).replaceAllUsesWith(c);
      erase.set(i);
    }
    if (failed(fn.eraseArguments(erase)))
      return signalPassFailure();
  }
};

} // namespace
