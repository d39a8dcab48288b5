//===- EvalQuant.cpp - evaluator: quantization ops ------------------------===//
//
// quantize, dequantize and requantize (per tensor or per axis, with the
// rounding of the int8 kernels: qmath::quantizeValue) and lookup_table. The
// int8 compute ops (qconv, qadd, ...) have no evaluator: calibration runs the
// float model.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Eval/EvalContext.h"

#include "dialects/Pare/IR/QuantMath.h"
#include "dialects/Pare/IR/QuantUtils.h"

using namespace mlir;

namespace pare::eval {
namespace {

LogicalResult evalQuant(EvalContext &cx, Operation *op, Results &out) {
  Value input = op->getOperand(0), res = op->getResult(0);
  const Tensor &x = cx.in(input);
  // Channel index of element k for a per-axis type on `shape`.
  auto channelOf = [](const qtype::Params &q, const Shape &shape) {
    int64_t inner = 1, dim = 1;
    if (!q.perTensor()) {
      dim = shape[q.axis];
      for (size_t a = q.axis + 1; a < shape.size(); ++a)
        inner *= shape[a];
    }
    return [inner, dim](int64_t k) { return dim == 1 ? 0 : (k / inner) % dim; };
  };
  auto quantize = [&](const std::vector<float> &src, const qtype::Params &q, Tensor &dst) {
    auto ch = channelOf(q, dst.shape);
    for (size_t k = 0; k < src.size(); ++k) {
      int64_t c = ch(int64_t(k));
      dst.i[k] = qmath::quantizeValue(src[k], float(q.scale(c)), int32_t(q.zeroPoint(c)),
                                      int32_t(q.qmin), int32_t(q.qmax));
    }
  };
  auto dequantize = [&](const Tensor &src, const qtype::Params &q) {
    std::vector<float> r(src.i.size());
    auto ch = channelOf(q, src.shape);
    for (size_t k = 0; k < r.size(); ++k) {
      int64_t c = ch(int64_t(k));
      r[k] = float(src.i[k] - q.zeroPoint(c)) * float(q.scale(c));
    }
    return r;
  };
  auto checkAxis = [&](const qtype::Params &q, const Shape &shape) {
    return q.perTensor() ||
           (q.axis < int32_t(shape.size()) && int64_t(q.scales.size()) == shape[q.axis] &&
            q.zeroPoints.size() == q.scales.size());
  };

  if (isa<QuantizeOp>(op)) {
    auto q = qtype::params(res.getType());
    if (!q || !x.isFloat() || !checkAxis(*q, x.shape))
      return fail(op, "expects float input and a quantized result");
    auto y = cx.newInt(res);
    quantize(x.f, *q, *y);
    out.push_back(y);
    return success();
  }
  if (isa<DequantizeOp>(op)) {
    auto q = qtype::params(input.getType());
    if (!q || x.isFloat() || !checkAxis(*q, x.shape))
      return fail(op, "expects a quantized input");
    auto y = cx.newFloat(res);
    y->f = dequantize(x, *q);
    out.push_back(y);
    return success();
  }
  if (isa<RequantizeOp>(op)) {
    auto qi = qtype::params(input.getType()), qo = qtype::params(res.getType());
    if (!qi || !qo || x.isFloat() || !checkAxis(*qi, x.shape) || !checkAxis(*qo, x.shape))
      return fail(op, "expects quantized input and result");
    auto y = cx.newInt(res);
    quantize(dequantize(x, *qi), *qo, *y);
    out.push_back(y);
    return success();
  }
  if (auto lut = dyn_cast<LookupTableOp>(op)) {
    auto table = lut.getTable();
    if (x.isFloat() || table.size() != 256)
      return fail(op, "expects int8 input and a 256-entry table");
    auto y = cx.newInt(res);
    for (size_t k = 0; k < x.i.size(); ++k) {
      int64_t idx = x.i[k] + 128;
      if (idx < 0 || idx > 255)
        return fail(op, "input value outside int8");
      y->i[k] = table[idx];
    }
    out.push_back(y);
    return success();
  }
  return fail(op, "no evaluator for this op");
}

} // namespace

void addQuantOps(OpTable &table) {
  table.add<QuantizeOp, DequantizeOp, RequantizeOp, LookupTableOp>(evalQuant);
}

} // namespace pare::eval
