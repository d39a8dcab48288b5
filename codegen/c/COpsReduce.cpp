//===- COpsReduce.cpp - C emitters: reductions, norms and pools -----------===//
//
// The float kernels of pare_k_reduce.c (int8 pools and softmax are in
// COpsInt8.cpp).
//
//===----------------------------------------------------------------------===//

#include "codegen/c/CModule.h"

#include "dialects/Pare/IR/RuntimeOpcodes.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace pare::codegen {

using shape::Shape;

namespace {

/// NHWC max / average pooling.
LogicalResult emitPool(CModule &m, Operation *op, const Operands &in, ArrayRef<std::string> out) {
  Shape os = shapeOf(op->getResult(0));
  if (failed(m.requireF32(op)))
    return failure();
  if (!op->hasAttr("channels_last"))
    return m.unsupported(op, "NCHW pooling (run pare-convert-to-nhwc)");
  Shape x = shapeOf(op->getOperand(0));
  auto k = op->getAttrOfType<DenseI64ArrayAttr>("kernel_shape").asArrayRef();
  auto s = op->getAttrOfType<DenseI64ArrayAttr>("strides").asArrayRef();
  auto d = op->getAttrOfType<DenseI64ArrayAttr>("dilations").asArrayRef();
  auto p = op->getAttrOfType<DenseI64ArrayAttr>("pads").asArrayRef();
  bool avg = isa<AveragePoolOp>(op);
  std::string call =
      "  " + m.call(std::string("pare_") + (avg ? "avgpool2d" : "maxpool2d") + "_f32") + in[0] +
      ", " + i32(x[0]) + ", " + m.geo(x[1], "ih") + ", " + m.geo(x[2], "iw") + ", " + i32(x[3]) +
      ",\n      " + out[0] + ", /* out h, w */ " + m.geo(os[1], "oh") + ", " + m.geo(os[2], "ow") +
      ",\n      " +
      windowArgs(i32(k[0]), i32(k[1]), s, d, m.geo(p[0], "pad_top"), m.geo(p[1], "pad_left")) +
      ", /* bottom, right */ " + m.geo(p[2], "pad_bottom") + ", " + m.geo(p[3], "pad_right");
  if (avg)
    call += ", /* count pads */ " +
            std::string(cast<AveragePoolOp>(op).getCountIncludePad() ? "1" : "0");
  m.line(call + ");\n");
  return success();
}

/// Global average / max pooling (NHWC, or a reduction for NCx...).
LogicalResult emitGlobalPool(CModule &m, Operation *op, const Operands &in,
                             ArrayRef<std::string> out) {
  if (failed(m.requireF32(op)))
    return failure();
  Shape x = shapeOf(op->getOperand(0));
  bool cl = op->hasAttr("channels_last");
  std::string fn = isa<GlobalAveragePoolOp>(op) ? "avgpool" : "maxpool";
  if (cl) {
    int64_t spatial = shape::numElements(Shape(x.begin() + 1, x.end() - 1));
    m.line("  " + m.call("pare_global_" + fn + "_f32") + in[0] + ", " + i32(x[0]) + ", " +
           i32(spatial) + ", " + i32(x.back()) + ", " + out[0] + ");\n");
    return success();
  }
  // NCx...: reduce over the trailing spatial dims.
  std::vector<int64_t> mask(x.size(), 0);
  for (size_t i = 2; i < x.size(); ++i)
    mask[i] = 1;
  m.line("  {\n" + CModule::staticArray("in_shape", x) +
         CModule::staticArray("mask", mask, "uint8_t") + "    " + m.call("pare_reduce_f32") +
         std::string(isa<GlobalAveragePoolOp>(op) ? "PARE_RED_MEAN" : "PARE_RED_MAX") + ", " +
         in[0] + ", in_shape, " + i32(x.size()) + ", mask, " + out[0] + ");\n  }\n");
  return success();
}

/// Inference batch norm as a per-channel affine map.
LogicalResult emitBatchNorm(CModule &m, Operation *op, const Operands &in,
                            ArrayRef<std::string> out) {
  auto bn = cast<BatchNormOp>(op);
  if (failed(m.requireF32(op)))
    return failure();
  std::vector<float> scale, shift;
  if (!batchNormAffine(op, scale, shift))
    return m.unsupported(op, "batch norm with parameters computed at run time");
  Shape x = shapeOf(bn.getInput());
  bool cl = bn.getChannelsLast();
  int64_t c = cl ? x.back() : x[1];
  int64_t outer = cl ? shape::numElements(x) / c : x[0];
  int64_t inner = cl ? 1 : shape::numElements(x) / (x[0] * c);
  m.line("  {\n    static const float scale[" + i32(c) + "] = {");
  for (size_t i = 0; i < scale.size(); ++i)
    m.line((i ? ", " : "") + floatLiteral(scale[i]));
  m.line("};\n    static const float shift[" + i32(c) + "] = {");
  for (size_t i = 0; i < shift.size(); ++i)
    m.line((i ? ", " : "") + floatLiteral(shift[i]));
  m.line("};\n    " + m.call("pare_channel_affine_f32") + in[0] + ", scale, shift, " + out[0] +
         ", " + i32(outer) + ", " + i32(c) + ", " + i32(inner) +
         ", PARE_ACT_NONE, 0.0f, 0.0f);\n  }\n");
  return success();
}

/// Layer normalization over the trailing dims from `axis`.
LogicalResult emitLayerNorm(CModule &m, Operation *op, const Operands &in,
                            ArrayRef<std::string> out) {
  auto ln = cast<LayerNormOp>(op);
  if (failed(m.requireF32(op)))
    return failure();
  Shape x = shapeOf(ln.getInput());
  int64_t axis = int64_t(ln.getAxis());
  int64_t inner = shape::numElements(Shape(x.begin() + axis, x.end()));
  int64_t outer = shape::numElements(x) / std::max<int64_t>(inner, 1);
  m.line("  " + m.call("pare_layernorm_f32") + in[0] + ", " + in[1] + ", " +
         (ln.getBias() ? in[2] : std::string("NULL")) + ", " + out[0] + ", " + i32(outer) + ", " +
         i32(inner) + ", " + floatLiteral(ln.getEpsilon().convertToFloat()) + ");\n");
  return success();
}

/// Softmax / log-softmax along one axis.
LogicalResult emitSoftmax(CModule &m, Operation *op, const Operands &in,
                          ArrayRef<std::string> out) {
  if (failed(m.requireF32(op)))
    return failure();
  Shape x = shapeOf(op->getOperand(0));
  int64_t axis = op->getAttrOfType<IntegerAttr>("axis").getInt();
  AxisView view = axisView(x, axis);
  int64_t outer = view.outer, inner = view.inner;
  m.line("  " + m.call("pare_softmax_f32") + in[0] + ", " + out[0] + ", " + i32(outer) + ", " +
         i32(x[axis]) + ", " + i32(inner) + ", " + (isa<LogSoftmaxOp>(op) ? "1" : "0") + ");\n");
  return success();
}

/// Reductions over a set of axes.
LogicalResult emitReduce(CModule &m, Operation *op, const Operands &in, ArrayRef<std::string> out) {
  Type t = elemOf(op->getOperand(0));
  std::string suffix = t.isF32() ? "f32" : t.isInteger(64) ? "i64" : "";
  if (suffix.empty())
    return m.unsupported(op, "reduction of this element type");
  Shape x = shapeOf(op->getOperand(0));
  if (x.empty())
    x = {1};
  std::vector<int64_t> mask(x.size(), 0);
  for (int64_t a : op->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef())
    mask[a] = 1;
  m.line("  {\n" + CModule::staticArray("in_shape", x) +
         CModule::staticArray("mask", mask, "uint8_t") + "    " + m.call("pare_reduce_" + suffix) +
         runtimeOpcode(op)->enumerator.str() + ", " + in[0] + ", in_shape, " + i32(x.size()) +
         ", mask, " + out[0] + ");\n  }\n");
  return success();
}

/// ArgMax / ArgMin along one axis.
LogicalResult emitArgReduce(CModule &m, Operation *op, const Operands &in,
                            ArrayRef<std::string> out) {
  if (failed(m.requireF32(op)))
    return failure();
  Shape x = shapeOf(op->getOperand(0));
  int64_t axis = op->getAttrOfType<IntegerAttr>("axis").getInt();
  AxisView view = axisView(x, axis);
  int64_t outer = view.outer, inner = view.inner;
  bool last = op->getAttrOfType<BoolAttr>("select_last_index").getValue();
  m.line("  " + m.call("pare_argreduce_f32") + in[0] + ", " + out[0] + ", " + i32(outer) + ", " +
         i32(x[axis]) + ", " + i32(inner) + ", " + (isa<ArgMinOp>(op) ? "1" : "0") + ", " +
         (last ? "1" : "0") + ");\n");
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
  table.add<ArgMaxOp, ArgMinOp>(emitArgReduce);
}

} // namespace pare::codegen
