//===- COpsData.cpp - C emitters: data movement ---------------------------===//
//
// The kernels of pare_k_data.c: they move bytes, so most take the element
// size and work for any element type.
//
//===----------------------------------------------------------------------===//

#include "codegen/c/CModule.h"

#include "dialects/Pare/IR/QuantUtils.h"
#include "dialects/Pare/IR/ResizeTaps.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringSwitch.h"

#include <cmath>

using namespace mlir;

namespace pare::codegen {

using shape::Shape;

namespace {

/// Expand: broadcast to the output shape.
LogicalResult emitExpand(CModule &m, Operation *op, const Operands &in, ArrayRef<std::string> out) {
  auto e = cast<ExpandOp>(op);
  Shape shape;
  m.line("  {\n");
  if (failed(m.emitBroadcastOperands(op, {e.getInput()}, {"x_strides"}, shape)))
    return failure();
  m.line("    " + m.call("pare_broadcast") + i32(elemBytes(elemOf(e.getInput()))) + ", " + in[0] +
         ", x_strides, " + out[0] + ", shape, " + i32(shape.size()) + ");\n  }\n");
  return success();
}

/// Transpose of any rank up to 8.
LogicalResult emitTranspose(CModule &m, Operation *op, const Operands &in,
                            ArrayRef<std::string> out) {
  auto t = cast<TransposeOp>(op);
  Shape x = shapeOf(t.getInput());
  if (x.size() > 8)
    return m.unsupported(op, "rank > 8");
  m.line("  {\n" + CModule::staticArray("in_shape", x) +
         CModule::staticArray("perm", Shape(t.getPerm().begin(), t.getPerm().end())) + "    " +
         m.call("pare_transpose") + i32(elemBytes(elemOf(t.getInput()))) + ", " + in[0] +
         ", in_shape, perm, " + i32(x.size()) + ", " + out[0] + ");\n  }\n");
  return success();
}

/// Concat as one row copy per input.
LogicalResult emitConcat(CModule &m, Operation *op, const Operands &in, ArrayRef<std::string> out) {
  auto c = cast<ConcatOp>(op);
  Shape os = shapeOf(op->getResult(0));
  int64_t axis = int64_t(c.getAxis());
  int64_t esz = elemBytes(elemOf(c.getResult()));
  AxisView view = axisView(os, axis);
  int64_t outer = view.outer, inner = view.inner;
  int64_t dstStride = os[axis] * inner * esz, offset = 0;
  for (size_t i = 0; i < c.getInputs().size(); ++i) {
    int64_t rowBytes = shapeOf(c.getInputs()[i])[axis] * inner * esz;
    if (rowBytes == 0)
      continue;
    m.line("  " + m.call("pare_copy_rows") + "(uint8_t *)" + out[0] + " + " + i32(offset) + ", " +
           i32(dstStride) + ", " + in[i] + ", " + i32(rowBytes) + ", " + i32(outer) + ", " +
           i32(rowBytes) + ");\n");
    offset += rowBytes;
  }
  return success();
}

/// Split as one row copy per output.
LogicalResult emitSplit(CModule &m, Operation *op, const Operands &in, ArrayRef<std::string> out) {
  auto s = cast<SplitOp>(op);
  Shape x = shapeOf(s.getInput());
  int64_t axis = int64_t(s.getAxis());
  int64_t esz = elemBytes(elemOf(s.getInput()));
  AxisView view = axisView(x, axis);
  int64_t outer = view.outer, inner = view.inner;
  int64_t srcStride = x[axis] * inner * esz, offset = 0;
  for (size_t i = 0; i < s.getNumResults(); ++i) {
    int64_t rowBytes = shapeOf(s.getResult(i))[axis] * inner * esz;
    if (rowBytes == 0)
      continue;
    m.line("  " + m.call("pare_copy_rows") + out[i] + ", " + i32(rowBytes) + ", (const uint8_t *)" +
           in[0] + " + " + i32(offset) + ", " + i32(srcStride) + ", " + i32(outer) + ", " +
           i32(rowBytes) + ");\n");
    offset += rowBytes;
  }
  return success();
}

/// Slice with starts and steps.
LogicalResult emitSlice(CModule &m, Operation *op, const Operands &in, ArrayRef<std::string> out) {
  auto s = cast<SliceOp>(op);
  Shape os = shapeOf(op->getResult(0));
  Shape x = shapeOf(s.getInput());
  if (x.size() > 8)
    return m.unsupported(op, "rank > 8");
  m.line("  {\n" + CModule::staticArray("in_shape", x) +
         CModule::staticArray("starts", Shape(s.getStarts().begin(), s.getStarts().end())) +
         CModule::staticArray("steps", Shape(s.getSteps().begin(), s.getSteps().end())) +
         CModule::staticArray("out_shape", os) + "    " + m.call("pare_slice") +
         i32(elemBytes(elemOf(s.getInput()))) + ", " + in[0] + ", in_shape, " + i32(x.size()) +
         ", starts, steps, " + out[0] + ", out_shape);\n  }\n");
  return success();
}

/// Pad (constant, reflect, edge, wrap).
LogicalResult emitPad(CModule &m, Operation *op, const Operands &in, ArrayRef<std::string> out) {
  auto p = cast<PadOp>(op);
  Shape os = shapeOf(op->getResult(0));
  Shape x = shapeOf(p.getInput());
  Type t = elemOf(p.getInput());
  std::string ct = cType(t);
  std::string value;
  if (auto f = dyn_cast<FloatAttr>(p.getValue()))
    value =
        t.isF32() ? floatLiteral(float(f.getValueAsDouble())) : doubleLiteral(f.getValueAsDouble());
  else if (auto i = dyn_cast<IntegerAttr>(p.getValue()))
    value = std::to_string(i.getValue().getSExtValue());
  else
    return m.unsupported(op, "pad value attribute");
  int mode = StringSwitch<int>(p.getMode())
                 .Case("constant", 0)
                 .Case("reflect", 1)
                 .Case("edge", 2)
                 .Default(3);
  m.line(
      "  {\n" + CModule::staticArray("in_shape", x) +
      CModule::staticArray("pads_begin", Shape(p.getPadsBegin().begin(), p.getPadsBegin().end())) +
      CModule::staticArray("out_shape", os) + "    static const " + ct + " value = " + value +
      ";\n    " + m.call("pare_pad") + i32(elemBytes(t)) + ", " + in[0] + ", in_shape, " +
      i32(x.size()) + ", pads_begin, " + std::to_string(mode) + ", &value, " + out[0] +
      ", out_shape);\n  }\n");
  return success();
}

/// Gather along one axis (int32 or int64 indices).
LogicalResult emitGather(CModule &m, Operation *op, const Operands &in, ArrayRef<std::string> out) {
  auto g = cast<GatherOp>(op);
  Shape x = shapeOf(g.getData());
  int64_t axis = int64_t(g.getAxis());
  AxisView view = axisView(x, axis);
  int64_t outer = view.outer, inner = view.inner;
  bool i32idx = elemOf(g.getIndices()).isInteger(32);
  m.line("  " + m.call(std::string("pare_gather") + (i32idx ? "_i32idx" : "")) +
         i32(elemBytes(elemOf(g.getData()))) + ", " + in[0] + ", " + i32(outer) + ", " +
         i32(x[axis]) + ", " + i32(inner) + ", " + in[1] + ", " + i32(numel(g.getIndices())) +
         ", " + out[0] + ");\n");
  return success();
}

/// GatherElements over the data and indices shapes (any rank up to 8).
LogicalResult emitGatherElements(CModule &m, Operation *op, const Operands &in,
                                 ArrayRef<std::string> out) {
  auto g = cast<GatherElementsOp>(op);
  Shape x = shapeOf(g.getData()), ind = shapeOf(g.getIndices());
  if (x.size() > 8)
    return m.unsupported(op, "gather_elements of rank > 8");
  bool i32idx = elemOf(g.getIndices()).isInteger(32);
  m.line("  {\n" + CModule::staticArray("data_shape", x) +
         CModule::staticArray("indices_shape", ind) + "    " +
         m.call(std::string("pare_gather_elements") + (i32idx ? "_i32idx" : "")) +
         i32(elemBytes(elemOf(g.getData()))) + ", " + in[0] + ", data_shape, " + i32(x.size()) +
         ", " + i32(int64_t(g.getAxis())) + ", " + in[1] + ", indices_shape, " + out[0] +
         ");\n  }\n");
  return success();
}

/// ScatterND with an optional reduction.
LogicalResult emitScatterND(CModule &m, Operation *op, const Operands &in,
                            ArrayRef<std::string> out) {
  auto s = cast<ScatterNDOp>(op);
  auto count = [&]() { return std::to_string(numel(op->getResult(0))); };
  Type t = elemOf(s.getData());
  if (cType(t).empty())
    return m.unsupported(op, "scatter_nd of this element type");
  Shape x = shapeOf(s.getData()), ind = shapeOf(s.getIndices());
  int64_t depth = ind.back();
  int64_t updates = shape::numElements(Shape(ind.begin(), ind.end() - 1));
  int64_t slice = shape::numElements(Shape(x.begin() + depth, x.end()));
  int reduction = StringSwitch<int>(s.getReduction())
                      .Case("add", 1)
                      .Case("mul", 2)
                      .Case("max", 3)
                      .Case("min", 4)
                      .Default(0);
  m.line("  {\n" + CModule::staticArray("dims", Shape(x.begin(), x.begin() + depth)) + "    " +
         m.call("pare_scatter_nd") + dtypeEnum(t) + ", " + in[0] + ", " + count() + ", " + in[1] +
         ", " + i32(updates) + ", " + i32(depth) + ", dims, " + i32(slice) + ", " + in[2] + ", " +
         std::to_string(reduction) + ", " + out[0] + ");\n  }\n");
  return success();
}

/// Cast between element types.
LogicalResult emitCast(CModule &m, Operation *op, const Operands &in, ArrayRef<std::string> out) {
  auto c = cast<CastOp>(op);
  auto count = [&]() { return std::to_string(numel(op->getResult(0))); };
  Type from = elemOf(c.getInput()), to = elemOf(c.getResult());
  if (cType(from).empty() || cType(to).empty())
    return m.unsupported(op, "cast between these element types");
  m.line("  " + m.call("pare_cast") + dtypeEnum(from) + ", " + in[0] + ", " + dtypeEnum(to) + ", " +
         out[0] + ", " + count() + ");\n");
  return success();
}

/// Resize: the sampling tables of each dim (resizeDims) in the weights file,
/// copied dims merged (leading ones into one dim, trailing ones into the
/// kernels' contiguous inner block), then pare_resize_f32, or
/// pare_resize_nearest for any element type. The int8 linear resize is
/// COpsInt8's.
LogicalResult emitResize(CModule &m, Operation *op, const Operands &in, ArrayRef<std::string> out) {
  auto r = cast<ResizeOp>(op);
  Type t = elemOf(r.getInput());
  bool nearest = r.getMode() == "nearest";
  if (!nearest && !t.isF32())
    return m.unsupported(op, "a linear or cubic resize of non-float32 tensors");
  std::string ct = cType(t);
  if (ct.empty())
    return m.unsupported(op, "resize of this element type");
  if (numel(r.getResult()) == 0)
    return success();
  ResizeKernelDims k = resizeKernelDims(r);
  if (k.dims.size() > 8)
    return m.unsupported(op, "more than 8 resized dims");
  std::string layer = sanitizeIdentifier(nodeName(op));
  std::string table;
  for (size_t i = 0; i < k.dims.size(); ++i) {
    const ResizeDim &rd = k.dims[i];
    size_t d = k.firstDim[i];
    std::string index = "NULL", weight = "NULL";
    if (rd.taps > 0) {
      std::vector<std::string> iv, wv;
      for (int32_t i : rd.index)
        iv.push_back(std::to_string(i));
      std::string what = layer + ": dim " + std::to_string(d) + ", " + std::to_string(rd.taps) +
                         " input coordinate(s) per output coordinate";
      index = m.constArray(layer + "_resize_index_" + std::to_string(d), "int32_t", iv, what);
      if (!nearest) {
        for (float w : rd.weight)
          wv.push_back(floatLiteral(w));
        weight = m.constArray(layer + "_resize_weight_" + std::to_string(d), "float", wv,
                              layer + ": dim " + std::to_string(d) + ", their weights");
      }
    }
    table += "      {" + i32(rd.inSize) + ", " + i32(rd.outSize) + ", " + i32(rd.taps) + ", " +
             index + ", " + weight + "},\n";
  }
  int64_t rank = int64_t(k.dims.size()), inner = k.inner;
  m.line("  {\n    static const pare_resize_dim_t dims[" + std::to_string(std::max<int64_t>(rank, 1)) +
         "] = {\n" + (rank ? table : std::string("      {1, 1, 0, NULL, NULL}\n")) + "    };\n");
  double e = r.getExtrapolationValue().convertToDouble();
  if (!nearest) {
    m.line("    " + m.call("pare_resize_f32") + in[0] + ", " + out[0] + ", dims, " + i32(rank) +
           ", " + i32(inner) + ", " + floatLiteral(float(e)) + ");\n  }\n");
    return success();
  }
  std::string value;
  if (t.isF32()) {
    value = floatLiteral(float(e));
  } else if (auto p = qtype::params(t)) {
    // The extrapolation value of a quantized tensor, quantized.
    double q = std::nearbyint(e / p->scale()) + double(p->zeroPoint());
    double lo = p->isSigned ? -128.0 : 0.0, hi = p->isSigned ? 127.0 : 255.0;
    value = std::to_string(int64_t(std::min(hi, std::max(lo, q))));
  } else if (isa<FloatType>(t)) {
    value = doubleLiteral(e);
  } else {
    value = std::to_string(int64_t(e));
  }
  m.line("    static const " + ct + " extrapolation = " + value + ";\n    " +
         m.call("pare_resize_nearest") + i32(elemBytes(t)) + ", " + in[0] + ", " + out[0] +
         ", dims, " + i32(rank) + ", " + i32(inner) + ", &extrapolation);\n  }\n");
  return success();
}

} // namespace

void registerDataMovementOps(OpTable &table) {
  table.add<ExpandOp>(emitExpand);
  table.add<TransposeOp>(emitTranspose);
  table.add<ConcatOp>(emitConcat);
  table.add<SplitOp>(emitSplit);
  table.add<SliceOp>(emitSlice);
  table.add<PadOp>(emitPad);
  table.add<GatherOp>(emitGather);
  table.add<GatherElementsOp>(emitGatherElements);
  table.add<ScatterNDOp>(emitScatterND);
  table.add<CastOp>(emitCast);
  table.add<ResizeOp>(emitResize);
}

} // namespace pare::codegen
