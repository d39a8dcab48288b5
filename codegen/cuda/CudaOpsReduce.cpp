//===- CudaOpsReduce.cpp - CUDA emitter: reductions, norms, pools ---------===//
//
// Max / average pooling and global pooling (NHWC), batch norm as a
// per-channel affine with compiler-computed factors, layer norm, softmax /
// log_softmax and the reductions.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/CudaModule.h"

#include "dialects/Pare/IR/RuntimeOpcodes.h"

using namespace mlir;

namespace pare::codegen::cuda {
namespace {

LogicalResult emitPool(CudaModule &m, CudaOp &o) {
  Operation *op = o.op;
  auto &in = o.in;
  const auto &out = o.out;
  const Shape &os = o.os;
  const std::string &sfx = o.sfx;
  if (failed(o.needFloat(m)))
    return failure();
  if (!op->hasAttr("channels_last"))
    return m.unsupported(op, "NCHW pooling");
  Shape x = shapeOf(op->getOperand(0));
  auto k = op->getAttrOfType<DenseI64ArrayAttr>("kernel_shape").asArrayRef();
  auto s = op->getAttrOfType<DenseI64ArrayAttr>("strides").asArrayRef();
  auto d = op->getAttrOfType<DenseI64ArrayAttr>("dilations").asArrayRef();
  auto p = op->getAttrOfType<DenseI64ArrayAttr>("pads").asArrayRef();
  bool avg = isa<AveragePoolOp>(op);
  std::string call = std::string("pare_cu_") + (avg ? "avgpool2d_" : "maxpool2d_") + sfx + "(" +
                     in[0] + ", " + i32(x[0]) + ", " + i32(x[1]) + ", " + i32(x[2]) + ", " +
                     i32(x[3]) + ", " + out[0] + ", " + i32(os[1]) + ", " + i32(os[2]) + ", " +
                     i32(k[0]) + ", " + i32(k[1]) + ", " + i32(s[0]) + ", " + i32(s[1]) + ", " +
                     i32(d[0]) + ", " + i32(d[1]) + ", " + i32(p[0]) + ", " + i32(p[1]);
  if (avg)
    call += cast<AveragePoolOp>(op).getCountIncludePad() ? ", 1" : ", 0";
  m.body += m.launch(call + ", stream");
  return success();
}

LogicalResult emitGlobalPool(CudaModule &m, CudaOp &o) {
  Operation *op = o.op;
  auto &in = o.in;
  const auto &out = o.out;
  const std::string &sfx = o.sfx;
  if (failed(o.needFloat(m)))
    return failure();
  if (!op->hasAttr("channels_last"))
    return m.unsupported(op, "NCHW global pooling");
  Shape x = shapeOf(op->getOperand(0));
  int64_t spatial = shape::numElements(Shape(x.begin() + 1, x.end() - 1));
  m.body +=
      m.launch(std::string("pare_cu_global_") +
               (isa<GlobalAveragePoolOp>(op) ? "avgpool_" : "maxpool_") + sfx + "(" + in[0] + ", " +
               i32(x[0]) + ", " + i32(spatial) + ", " + i32(x.back()) + ", " + out[0] + ", stream");
  return success();
}

LogicalResult emitBatchNorm(CudaModule &m, CudaOp &o) {
  auto bn = cast<BatchNormOp>(o.op);
  Operation *op = o.op;
  auto &in = o.in;
  const auto &out = o.out;
  const std::string &sfx = o.sfx;
  if (failed(o.needFloat(m)))
    return failure();
  std::vector<float> scale, shift;
  if (!batchNormAffine(op, scale, shift))
    return m.unsupported(op, "batch norm with run-time parameters");
  std::string base = sanitizeIdentifier(nodeName(op));
  std::string sc = m.floatTable(base + "_scale", scale), sh = m.floatTable(base + "_shift", shift);
  Shape x = shapeOf(bn.getInput());
  bool cl = bn.getChannelsLast();
  int64_t c = cl ? x.back() : x[1];
  int64_t outer = cl ? shape::numElements(x) / c : x[0];
  int64_t inner = cl ? 1 : shape::numElements(x) / (x[0] * c);
  m.body += m.launch("pare_cu_channel_affine_" + sfx + "(" + in[0] + ", " + sc + ", " + sh + ", " +
                     out[0] + ", " + i32(outer) + ", " + i32(c) + ", " + i32(inner) +
                     ", PARE_ACT_NONE, 0.0f, 0.0f, stream");
  return success();
}

LogicalResult emitLayerNorm(CudaModule &m, CudaOp &o) {
  auto ln = cast<LayerNormOp>(o.op);
  auto &in = o.in;
  const auto &out = o.out;
  const std::string &sfx = o.sfx;
  if (failed(o.needFloat(m)))
    return failure();
  Shape x = shapeOf(ln.getInput());
  int64_t inner = shape::numElements(Shape(x.begin() + ln.getAxis(), x.end()));
  int64_t outer = shape::numElements(x) / std::max<int64_t>(inner, 1);
  m.body += m.launch("pare_cu_layernorm_" + sfx + "(" + in[0] + ", " + in[1] + ", " +
                     (ln.getBias() ? in[2] : std::string("nullptr")) + ", " + out[0] + ", " +
                     i32(outer) + ", " + i32(inner) + ", " +
                     floatLiteral(ln.getEpsilon().convertToFloat()) + ", 0, stream");
  return success();
}

LogicalResult emitSoftmax(CudaModule &m, CudaOp &o) {
  Operation *op = o.op;
  auto &in = o.in;
  const auto &out = o.out;
  const std::string &sfx = o.sfx;
  if (failed(o.needFloat(m)))
    return failure();
  Shape x = shapeOf(op->getOperand(0));
  int64_t axis = op->getAttrOfType<IntegerAttr>("axis").getInt();
  AxisView view = axisView(x, axis);
  int64_t outer = view.outer, inner = view.inner;
  m.body += m.launch("pare_cu_softmax_" + sfx + "(" + in[0] + ", " + out[0] + ", " + i32(outer) +
                     ", " + i32(x[axis]) + ", " + i32(inner) + ", " +
                     (isa<LogSoftmaxOp>(op) ? "1" : "0") + ", stream");
  return success();
}

LogicalResult emitReduce(CudaModule &m, CudaOp &o) {
  Operation *op = o.op;
  auto &in = o.in;
  const auto &out = o.out;
  const std::string &sfx = o.sfx;
  if (failed(o.needFloat(m)))
    return failure();
  Shape x = shapeOf(op->getOperand(0));
  unsigned mask = 0;
  for (int64_t a : op->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef())
    mask |= 1u << a;
  m.body +=
      m.launch("pare_cu_reduce_" + sfx + "(" + runtimeOpcode(op)->enumerator.str() + ", " + in[0] +
               ", " + cuShape(x, {}) + ", " + i32(mask) + "u, " + out[0] + ", stream");
  return success();
}

} // namespace

void registerReductionOps(OpTable &table) {
  table.add<MaxPoolOp, AveragePoolOp>(emitPool);
  table.add<GlobalAveragePoolOp, GlobalMaxPoolOp>(emitGlobalPool);
  table.add<BatchNormOp>(emitBatchNorm);
  table.add<LayerNormOp>(emitLayerNorm);
  table.add<SoftmaxOp, LogSoftmaxOp>(emitSoftmax);
  table.add<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp, ReduceL1Op,
            ReduceL2Op, ReduceSumSquareOp, ReduceLogSumExpOp>(emitReduce);
}

} // namespace pare::codegen::cuda
