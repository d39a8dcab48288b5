//===- Cost.cpp - per-op cost figures (MACs) -------------------------------===//
#include "dialects/Pare/Analysis/Cost.h"

#include "dialects/Pare/IR/PareOps.h"

using namespace mlir;

namespace pare::cost {

static ArrayRef<int64_t> dims(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }
static int64_t numel(Value v) { return cast<RankedTensorType>(v.getType()).getNumElements(); }

int64_t macsPerConvOutput(Operation *op) {
  Value w;
  if (auto c = dyn_cast<pare::ConvOp>(op))
    w = c.getWeight();
  else if (auto q = dyn_cast<pare::QConvOp>(op))
    w = q.getWeight();
  else
    return 0;
  auto s = dims(w);
  return s[1] * s[2] * s[3]; // (ic/g)*kh*kw in OIHW and OHWI alike
}

int64_t macs(Operation *op) {
  if (int64_t perOut = macsPerConvOutput(op))
    return numel(op->getResult(0)) * perOut;
  if (auto g = dyn_cast<pare::GemmOp>(op)) {
    auto a = dims(g.getA());
    return numel(g.getOutput()) * (g.getTransA() ? a[0] : a[1]);
  }
  if (auto fc = dyn_cast<pare::QFullyConnectedOp>(op))
    return numel(fc.getOutput()) * dims(fc.getWeight()).back();
  if (auto m = dyn_cast<pare::MatMulOp>(op))
    return numel(m.getOutput()) * dims(m.getA()).back();
  if (auto m = dyn_cast<pare::QMatMulOp>(op))
    return numel(m.getOutput()) * dims(m.getA()).back();
  return 0;
}

} // namespace pare::cost
