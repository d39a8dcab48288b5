//===- StreamTemporalShift.cpp - a T-frame TSM model -> a one-frame step --===//
//
// pare-stream-temporal-shift: divides dim 0 of every tensor by the clip's
// frame count and makes every temporal shift keep the previous frame's
// channels in its state, so that the model runs one frame per call.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Transforms/Passes.h"

#include "dialects/Pare/Analysis/MemoryPlan.h"
#include "dialects/Pare/IR/PareOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"

namespace pare {
#define GEN_PASS_DEF_STREAMTEMPORALSHIFTPASS
#include "dialects/Pare/Transforms/Passes.h.inc"
} // namespace pare

using namespace mlir;
using namespace pare;

namespace {

ArrayRef<int64_t> dims(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }

/// Ops that treat dim 0 as independent samples (so a T-frame batch can run
/// one frame at a time).
bool perSample(Operation *op) {
  if (isa<ConstantOp, func::ReturnOp>(op))
    return true;
  if (auto t = dyn_cast<TransposeOp>(op))
    return !t.getPerm().empty() && t.getPerm()[0] == 0;
  if (auto r = dyn_cast<ReshapeOp>(op))
    return !dims(r.getInput()).empty() && !dims(r.getOutput()).empty() &&
           dims(r.getInput())[0] == dims(r.getOutput())[0];
  if (auto c = dyn_cast<ConcatOp>(op))
    return c.getAxis() != 0;
  if (auto g = dyn_cast<GemmOp>(op))
    return !g.getTransA() && matchPattern(g.getB(), m_Constant());
  if (isa<ConvOp, QConvOp, MaxPoolOp, AveragePoolOp, GlobalAveragePoolOp, GlobalMaxPoolOp,
          QGlobalAveragePoolOp, QFullyConnectedOp, QuantizeOp, DequantizeOp, RequantizeOp,
          StorageCastOp, LookupTableOp, TemporalShiftOp, IdentityOp, FlattenOp>(op))
    return true;
  // Reductions and softmax over axes other than dim 0.
  if (auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes");
      axes && op->getNumOperands() == 1 && !axes.empty()) {
    int64_t rank = int64_t(dims(op->getOperand(0)).size());
    return llvm::none_of(axes.asArrayRef(), [&](int64_t a) { return a == 0 || a == -rank; });
  }
  if (auto axis = op->getAttrOfType<IntegerAttr>("axis");
      axis && isa<SoftmaxOp, LogSoftmaxOp>(op)) {
    int64_t rank = int64_t(dims(op->getOperand(0)).size());
    return axis.getInt() != 0 && axis.getInt() != -rank;
  }
  // Elementwise ops whose operands all have the result's rank and dim 0 (or
  // are constants broadcast over dim 0).
  if (op->getNumResults() == 1 && op->getNumOperands() >= 1 && op->getNumOperands() <= 3 &&
      (isa<AddOp, SubOp, MulOp, DivOp, ReluOp, SigmoidOp, TanhOp, ClipOp, HardSwishOp,
           HardSigmoidOp, LeakyReluOp, QAddOp, QMulOp, MaxOp, MinOp>(op))) {
    auto r = dims(op->getResult(0));
    for (Value o : op->getOperands()) {
      auto od = dims(o);
      bool constant = matchPattern(o, m_Constant());
      if (!constant && (od.size() != r.size() || od.empty() || od[0] != r[0]))
        return false;
      if (constant && od.size() == r.size() && !od.empty() && od[0] != 1)
        return false;
    }
    return true;
  }
  return false;
}

struct StreamTemporalShiftPass : pare::impl::StreamTemporalShiftPassBase<StreamTemporalShiftPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    int64_t frames = 0;
    bool ok = true;
    func.walk([&](TemporalShiftOp s) {
      if (s.getStreaming())
        return;
      if (s.isBidirectional()) {
        s.emitError("--streaming needs a unidirectional (online) temporal shift: this one "
                    "also takes channels from the next frame");
        ok = false;
      }
      if (frames && frames != int64_t(s.getFrames())) {
        s.emitError("--streaming needs one number of frames for every temporal shift");
        ok = false;
      }
      frames = s.getFrames();
    });
    if (!ok)
      return signalPassFailure();
    if (frames == 0) {
      func.emitError("--streaming needs a model with temporal shifts (none was recognised)");
      return signalPassFailure();
    }
    for (Operation &op : func.getBody().front())
      if (!perSample(&op)) {
        op.emitError("--streaming: '")
            << op.getName() << "' does not treat dim 0 as independent frames";
        return signalPassFailure();
      }
    auto perFrame = [&](Type t, Location loc) -> FailureOr<Type> {
      auto rt = dyn_cast<RankedTensorType>(t);
      if (!rt || rt.getRank() == 0 || rt.getDimSize(0) % frames != 0)
        return emitError(loc, "--streaming: a tensor of type ")
               << t << " does not hold " << frames << " frames along dim 0";
      SmallVector<int64_t> s(rt.getShape());
      s[0] /= frames;
      return Type(RankedTensorType::get(s, rt.getElementType()));
    };
    Block &body = func.getBody().front();
    for (BlockArgument a : body.getArguments()) {
      auto t = perFrame(a.getType(), func.getLoc());
      if (failed(t))
        return signalPassFailure();
      a.setType(*t);
    }
    for (Operation &op : body) {
      if (isa<func::ReturnOp>(op) || planning::isWeight(&op))
        continue;
      for (Value r : op.getResults()) {
        auto t = perFrame(r.getType(), op.getLoc());
        if (failed(t))
          return signalPassFailure();
        r.setType(*t);
      }
      if (auto s = dyn_cast<TemporalShiftOp>(op)) {
        Builder b(s);
        s.setFramesAttr(b.getI64IntegerAttr(1));
        s.setStreaming(true);
      }
    }
    SmallVector<Type> results;
    for (Value v : body.getTerminator()->getOperands())
      results.push_back(v.getType());
    func.setType(FunctionType::get(&getContext(), body.getArgumentTypes(), results));
  }
};

} // namespace
