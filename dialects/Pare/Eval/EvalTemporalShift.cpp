//===- EvalTemporalShift.cpp - evaluator: TSM temporal shift --------------===//
//
// The temporal_shift op of offline (clip) models, and the shift a conv reads
// its input through after FuseTemporalShift (EvalConvGemm.cpp calls
// temporalShift). A streaming shift keeps state between calls and is not
// evaluated.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Eval/EvalContext.h"

#include "dialects/Pare/IR/QuantUtils.h"

using namespace mlir;

namespace pare::eval {

/// TSM temporal shift of x (float or integer storage) into y, by the C
/// kernel: frames per clip, fold, `mode` (0 unidirectional, 1 bidirectional,
/// 2 bidirectional_reversed), NHWC or NCHW; `zero` (the zero point of
/// quantized storage) where no frame exists.
void temporalShift(const Tensor &x, Tensor &y, int64_t frames, int64_t fold, int mode,
                   bool channelsLast, int64_t zero) {
  y.shape = x.shape;
  y.f.clear();
  y.i.clear();
  if (x.isFloat())
    y.f.assign(x.f.size(), 0.0f);
  else
    y.i.assign(x.i.size(), 0);
  int64_t c = channelsLast ? x.shape.back() : x.shape[1];
  int64_t n = x.numElements();
  if (n == 0)
    return;
  float zf = 0.0f;
  const void *z = x.isFloat() ? static_cast<const void *>(&zf) : static_cast<const void *>(&zero);
  pare_temporal_shift(storageBytes(x), dataOf(x),
                      x.isFloat() ? static_cast<void *>(y.f.data())
                                  : static_cast<void *>(y.i.data()),
                      int(x.shape[0]), int(frames), int(c), size_t(n / (x.shape[0] * c)), int(fold),
                      mode, channelsLast ? 1 : 0, z);
}

namespace {

/// The zero of a temporal shift on `t`'s elements: its zero point when quantized.
int64_t shiftZero(Type t) {
  auto p = qtype::params(t);
  return p ? p->zeroPoint() : 0;
}

LogicalResult evalTemporalShift(EvalContext &cx, Operation *op, Results &out) {
  auto ts = cast<TemporalShiftOp>(op);
  if (ts.getStreaming())
    return fail(op, "a streaming temporal shift keeps state between calls; run the "
                    "offline (clip) model");
  const Tensor &x = cx.in(ts.getInput());
  auto y = cx.newLike(ts.getOutput());
  if (y->isFloat() != x.isFloat())
    return fail(op, "operand types");
  temporalShift(x, *y, int64_t(ts.getFrames()), int64_t(ts.getFold()), ts.kernelMode(),
                ts.getChannelsLast(), shiftZero(ts.getInput().getType()));
  out.push_back(y);
  return success();
}

} // namespace

void addTemporalShiftOps(OpTable &table) { table.add<TemporalShiftOp>(evalTemporalShift); }

} // namespace pare::eval
