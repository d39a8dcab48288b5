//===- ConvertToFP16.cpp - fp16 storage for the GPU target ----------------===//

#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"

namespace pare {
#define GEN_PASS_DEF_CONVERTTOFP16PASS
#include "dialects/Pare/Transforms/Passes.h.inc"
} // namespace pare

using namespace mlir;
using namespace pare;

namespace {

Type toHalf(Type t) {
  auto rt = dyn_cast<RankedTensorType>(t);
  if (!rt || !rt.getElementType().isF32())
    return t;
  return RankedTensorType::get(rt.getShape(), Float16Type::get(t.getContext()));
}

struct ConvertToFP16Pass : pare::impl::ConvertToFP16PassBase<ConvertToFP16Pass> {
  using Base::Base;
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    Block &body = func.getBody().front();
    OpBuilder b(&getContext());
    Type f16 = b.getF16Type(), f32 = b.getF32Type();

    for (Operation &op : llvm::make_early_inc_range(body)) {
      if (auto c = dyn_cast<ConstantOp>(op)) {
        auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
        if (!dense || !dense.getElementType().isF32())
          continue;
        auto half = dense.mapValues(f16, [](const APFloat &v) {
          APFloat h = v;
          bool lost;
          h.convert(APFloat::IEEEhalf(), APFloat::rmNearestTiesToEven, &lost);
          return h.bitcastToAPInt();
        });
        c->setAttr("value", half);
        c.getResult().setType(cast<RankedTensorType>(half.getType()));
        continue;
      }
      if (auto cast = dyn_cast<CastOp>(op))
        if (cast.getTo().isF32())
          cast.setToAttr(TypeAttr::get(f16));
      if (auto pad = dyn_cast<PadOp>(op))
        if (auto fa = dyn_cast<FloatAttr>(pad.getValue()); fa && fa.getType().isF32())
          pad.setValueAttr(FloatAttr::get(f16, fa.getValueAsDouble()));
      if (isa<func::ReturnOp>(op))
        continue;
      for (Value r : op.getResults())
        r.setType(toHalf(r.getType()));
    }

    // The boundary keeps f32: cast the inputs in, the outputs out.
    // The casts are named after the tensors they convert ("x_fp16").
    auto named = [&](Location loc, std::optional<StringRef> name, StringRef suffix) -> Location {
      if (!name)
        return loc;
      return NameLoc::get(b.getStringAttr(*name + suffix), loc);
    };
    b.setInsertionPointToStart(&body);
    for (BlockArgument arg : func.getArguments()) {
      Type half = toHalf(arg.getType());
      if (half == arg.getType())
        continue;
      Location loc = named(arg.getLoc(), attrs::getArgName(func, arg.getArgNumber()), "_fp16");
      auto cast = CastOp::create(b, loc, half, arg, TypeAttr::get(f16));
      arg.replaceAllUsesExcept(cast.getResult(), cast);
    }
    Operation *ret = body.getTerminator();
    b.setInsertionPoint(ret);
    for (OpOperand &operand : ret->getOpOperands()) {
      auto rt = cast<RankedTensorType>(operand.get().getType());
      if (!rt.getElementType().isF16())
        continue;
      auto want = cast<RankedTensorType>(func.getResultTypes()[operand.getOperandNumber()]);
      if (!want.getElementType().isF32())
        continue;
      Location loc =
          named(ret->getLoc(), attrs::getResultName(func, operand.getOperandNumber()), "_fp32");
      operand.set(CastOp::create(b, loc, want, operand.get(), TypeAttr::get(f32)));
    }
  }
};

} // namespace
