//===- EvalReduce.cpp - evaluator: reductions, norms, pools ---------------===//
//
// Pooling (NHWC, NCHW through transposed copies; max pool also on quantized
// storage, exactly through float), global pooling, batch and layer norm,
// softmax / log_softmax, the reductions and arg_max / arg_min.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Eval/EvalContext.h"

#include <cmath>

using namespace mlir;

namespace pare::eval {
namespace {

LogicalResult evalPool(EvalContext &cx, Operation *op, Results &out) {
  const Tensor &x0 = cx.in(op->getOperand(0));
  bool avg = isa<AveragePoolOp>(op);
  Tensor conv; // integer (quantized) max pool: exact through float
  if (!x0.isFloat()) {
    if (avg)
      return fail(op, "integer average pooling");
    for (int64_t v : x0.i)
      if (v < -(int64_t(1) << 24) || v > (int64_t(1) << 24))
        return fail(op, "integer values beyond float precision");
    conv.shape = x0.shape;
    conv.f.assign(x0.i.begin(), x0.i.end());
  }
  const Tensor &x = x0.isFloat() ? x0 : conv;
  if (x.shape.size() != 4)
    return fail(op, "only 2-D pooling is supported");
  auto k = op->getAttrOfType<DenseI64ArrayAttr>("kernel_shape").asArrayRef();
  auto s = op->getAttrOfType<DenseI64ArrayAttr>("strides").asArrayRef();
  auto d = op->getAttrOfType<DenseI64ArrayAttr>("dilations").asArrayRef();
  auto p = op->getAttrOfType<DenseI64ArrayAttr>("pads").asArrayRef();
  if (k.size() != 2 || s.size() != 2 || d.size() != 2 || p.size() != 4)
    return fail(op, "only 2-D pooling is supported");
  bool cl = op->hasAttr("channels_last");
  auto y = std::make_shared<Tensor>();
  y->shape = shapeOf(op->getResult(0));
  y->f.assign(shape::numElements(y->shape), 0.0f);
  if (y->f.empty()) {
    out.push_back(cx.newLike(op->getResult(0)));
    return success();
  }
  Shape xs = cl ? x.shape : permuted(x.shape, kToNHWC);
  Shape ys = cl ? y->shape : permuted(y->shape, kToNHWC);
  std::vector<float> xt, yt;
  const float *xp = x.f.data();
  float *yp = y->f.data();
  if (!cl) {
    xt = transposeF(x.f, x.shape, kToNHWC);
    yt.resize(y->f.size());
    xp = xt.data();
    yp = yt.data();
  }
  if (avg)
    pare_avgpool2d_f32(xp, int(xs[0]), int(xs[1]), int(xs[2]), int(xs[3]), yp, int(ys[1]),
                       int(ys[2]), int(k[0]), int(k[1]), int(s[0]), int(s[1]), int(d[0]), int(d[1]),
                       int(p[0]), int(p[1]), int(p[2]), int(p[3]),
                       cast<AveragePoolOp>(op).getCountIncludePad() ? 1 : 0);
  else
    pare_maxpool2d_f32(xp, int(xs[0]), int(xs[1]), int(xs[2]), int(xs[3]), yp, int(ys[1]),
                       int(ys[2]), int(k[0]), int(k[1]), int(s[0]), int(s[1]), int(d[0]), int(d[1]),
                       int(p[0]), int(p[1]), int(p[2]), int(p[3]));
  if (!cl)
    y->f = transposeF(yt, ys, kToNCHW);
  if (!x0.isFloat()) {
    y->i.assign(y->f.begin(), y->f.end());
    y->f.clear();
  }
  out.push_back(y);
  return success();
}

LogicalResult evalGlobalPool(EvalContext &cx, Operation *op, Results &out) {
  if (failed(cx.requireFloat(op)))
    return failure();
  const Tensor &x = cx.in(op->getOperand(0));
  if (x.shape.size() < 3)
    return fail(op, "input rank below 3");
  auto y = cx.newFloat(op->getResult(0));
  bool avg = isa<GlobalAveragePoolOp>(op);
  if (y->f.empty() || x.f.empty()) {
    out.push_back(y);
    return success();
  }
  if (op->hasAttr("channels_last")) {
    int64_t spatial = shape::numElements(Shape(x.shape.begin() + 1, x.shape.end() - 1));
    if (avg)
      pare_global_avgpool_f32(x.f.data(), int(x.shape[0]), int(spatial), int(x.shape.back()),
                              y->f.data());
    else
      pare_global_maxpool_f32(x.f.data(), int(x.shape[0]), int(spatial), int(x.shape.back()),
                              y->f.data());
  } else {
    if (x.shape.size() > 8)
      return fail(op, "rank > 8");
    std::vector<uint8_t> mask(x.shape.size(), 0);
    for (size_t a = 2; a < x.shape.size(); ++a)
      mask[a] = 1;
    auto sh = i32s(x.shape);
    pare_reduce_f32(avg ? PARE_RED_MEAN : PARE_RED_MAX, x.f.data(), sh.data(), int(sh.size()),
                    mask.data(), y->f.data());
  }
  out.push_back(y);
  return success();
}

LogicalResult evalBatchNorm(EvalContext &cx, Operation *op, Results &out) {
  auto bn = cast<BatchNormOp>(op);
  if (failed(cx.requireFloat(op)))
    return failure();
  const Tensor &x = cx.in(bn.getInput()), &sc = cx.in(bn.getScale()), &bi = cx.in(bn.getBias()),
               &mean = cx.in(bn.getMean()), &var = cx.in(bn.getVariance());
  bool cl = bn.getChannelsLast();
  if (x.shape.size() < 2)
    return fail(op, "input rank below 2");
  int64_t c = cl ? x.shape.back() : x.shape[1];
  if (int64_t(sc.f.size()) != c || int64_t(bi.f.size()) != c || int64_t(mean.f.size()) != c ||
      int64_t(var.f.size()) != c)
    return fail(op, "parameters do not have one value per channel");
  float eps = bn.getEpsilon().convertToFloat();
  std::vector<float> scale(c), shift(c);
  for (int64_t k = 0; k < c; ++k) {
    scale[k] = sc.f[k] / std::sqrt(var.f[k] + eps);
    shift[k] = bi.f[k] - mean.f[k] * scale[k];
  }
  int64_t total = x.numElements();
  auto y = cx.newFloat(bn.getResult());
  if (total == 0 || c == 0) {
    out.push_back(y);
    return success();
  }
  int64_t outer = cl ? total / c : x.shape[0];
  int64_t inner = cl ? 1 : total / (x.shape[0] * c);
  pare_channel_affine_f32(x.f.data(), scale.data(), shift.data(), y->f.data(), int(outer), int(c),
                          int(inner), PARE_ACT_NONE, 0.0f, 0.0f);
  out.push_back(y);
  return success();
}

LogicalResult evalLayerNorm(EvalContext &cx, Operation *op, Results &out) {
  auto ln = cast<LayerNormOp>(op);
  if (failed(cx.requireFloat(op)))
    return failure();
  const Tensor &x = cx.in(ln.getInput()), &sc = cx.in(ln.getScale());
  int64_t axis = int64_t(ln.getAxis());
  if (axis < 0)
    axis += int64_t(x.shape.size());
  int64_t inner = shape::numElements(Shape(x.shape.begin() + axis, x.shape.end()));
  int64_t outer = x.numElements() / std::max<int64_t>(inner, 1);
  if (int64_t(sc.f.size()) != inner)
    return fail(op, "scale must have the normalised dims' size (no broadcasting)");
  const float *bias = nullptr;
  if (ln.getBias()) {
    const Tensor &b = cx.in(ln.getBias());
    if (int64_t(b.f.size()) != inner)
      return fail(op, "bias must have the normalised dims' size (no broadcasting)");
    bias = b.f.data();
  }
  auto y = cx.newFloat(ln.getResult());
  if (!y->f.empty())
    pare_layernorm_f32(x.f.data(), sc.f.data(), bias, y->f.data(), int(outer), int(inner),
                       ln.getEpsilon().convertToFloat());
  out.push_back(y);
  return success();
}

LogicalResult evalSoftmax(EvalContext &cx, Operation *op, Results &out) {
  if (failed(cx.requireFloat(op)))
    return failure();
  const Tensor &x = cx.in(op->getOperand(0));
  int64_t axis = op->getAttrOfType<IntegerAttr>("axis").getInt();
  if (axis < 0)
    axis += int64_t(x.shape.size());
  if (axis < 0 || axis >= int64_t(x.shape.size()))
    return fail(op, "axis out of range");
  auto [outer, len, inner] = shape::axisView(x.shape, axis);
  auto y = cx.newFloat(op->getResult(0));
  if (!y->f.empty())
    pare_softmax_f32(x.f.data(), y->f.data(), int(outer), int(len), int(inner),
                     isa<LogSoftmaxOp>(op) ? 1 : 0);
  out.push_back(y);
  return success();
}

LogicalResult evalReduce(EvalContext &cx, Operation *op, Results &out) {
  auto code = *opcodeOf<pare_redop_t>(op, RuntimeOpFamily::Reduce);
  const Tensor &x = cx.in(op->getOperand(0));
  Shape xs = x.shape.empty() ? Shape{1} : x.shape;
  if (xs.size() > 8)
    return fail(op, "rank > 8");
  std::vector<uint8_t> mask(xs.size(), 0);
  for (int64_t a : op->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef()) {
    if (a < 0)
      a += int64_t(xs.size());
    if (a < 0 || a >= int64_t(xs.size()))
      return fail(op, "axis out of range");
    mask[a] = 1;
  }
  auto sh = i32s(xs);
  auto y = cx.newLike(op->getResult(0));
  if (y->numElements() == 0) {
    out.push_back(y);
    return success();
  }
  if (x.isFloat() && y->isFloat())
    pare_reduce_f32(code, x.f.data(), sh.data(), int(sh.size()), mask.data(), y->f.data());
  else if (!x.isFloat() && !y->isFloat())
    pare_reduce_i64(code, x.i.data(), sh.data(), int(sh.size()), mask.data(), y->i.data());
  else
    return fail(op, "operand types");
  out.push_back(y);
  return success();
}

LogicalResult evalArgReduce(EvalContext &cx, Operation *op, Results &out) {
  if (failed(cx.requireFloat(op)))
    return failure();
  const Tensor &x = cx.in(op->getOperand(0));
  int64_t axis = op->getAttrOfType<IntegerAttr>("axis").getInt();
  if (axis < 0)
    axis += int64_t(x.shape.size());
  if (axis < 0 || axis >= int64_t(x.shape.size()))
    return fail(op, "axis out of range");
  auto [outer, len, inner] = shape::axisView(x.shape, axis);
  auto y = cx.newInt(op->getResult(0));
  bool last = op->getAttrOfType<BoolAttr>("select_last_index").getValue();
  if (!y->i.empty())
    pare_argreduce_f32(x.f.data(), y->i.data(), int(outer), int(len), int(inner),
                       isa<ArgMinOp>(op) ? 1 : 0, last ? 1 : 0);
  out.push_back(y);
  return success();
}

} // namespace

void addReduceOps(OpTable &table) {
  table.add<MaxPoolOp, AveragePoolOp>(evalPool);
  table.add<GlobalAveragePoolOp, GlobalMaxPoolOp>(evalGlobalPool);
  table.add<BatchNormOp>(evalBatchNorm);
  table.add<LayerNormOp>(evalLayerNorm);
  table.add<SoftmaxOp, LogSoftmaxOp>(evalSoftmax);
  table.add<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp, ReduceL1Op,
            ReduceL2Op, ReduceSumSquareOp, ReduceLogSumExpOp>(evalReduce);
  table.add<ArgMaxOp, ArgMinOp>(evalArgReduce);
}

} // namespace pare::eval
