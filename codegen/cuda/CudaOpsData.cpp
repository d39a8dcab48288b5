//===- CudaOpsData.cpp - CUDA emitter: data movement ----------------------===//
//
// Transpose, concat and split (2-D device copies), slice, pad, gather,
// gather_elements, expand, nearest resize and temporal shift, on any element
// type; linear and cubic resize on float types.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/CudaModule.h"

#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/IR/ResizeTaps.h"

#include "llvm/ADT/StringSwitch.h"

using namespace mlir;

namespace pare::codegen::cuda {
namespace {

LogicalResult emitTranspose(CudaModule &m, CudaOp &o) {
  auto tr = cast<TransposeOp>(o.op);
  auto &in = o.in;
  const auto &out = o.out;
  Type t = o.t;
  Shape x = shapeOf(tr.getInput());
  Shape perm(tr.getPerm().begin(), tr.getPerm().end());
  m.body += "  {\n    static const int perm[] = " + intArray(perm) + ";\n  " +
            m.launch("pare_cu_transpose(" + i32(elemBytes(t)) + ", " + in[0] + ", " +
                     cuShape(x, {}) + ", perm, " + out[0] + ", stream") +
            "  }\n";
  return success();
}

LogicalResult emitConcat(CudaModule &m, CudaOp &o) {
  auto c = cast<ConcatOp>(o.op);
  auto &in = o.in;
  const auto &out = o.out;
  const Shape &os = o.os;
  Type t = o.t;
  int64_t axis = int64_t(c.getAxis()), esz = elemBytes(t);
  AxisView view = axisView(os, axis);
  int64_t outer = view.outer, inner = view.inner;
  int64_t dstStride = os[axis] * inner * esz, offset = 0;
  for (size_t i = 0; i < c.getInputs().size(); ++i) {
    int64_t rowBytes = shapeOf(c.getInputs()[i])[axis] * inner * esz;
    if (rowBytes == 0)
      continue;
    m.body += m.launch("cudaMemcpy2DAsync((char *)" + out[0] + " + " + i32(offset) + ", " +
                       i32(dstStride) + ", " + in[i] + ", " + i32(rowBytes) + ", " + i32(rowBytes) +
                       ", " + i32(outer) + ", cudaMemcpyDeviceToDevice, stream");
    offset += rowBytes;
  }
  return success();
}

LogicalResult emitSplit(CudaModule &m, CudaOp &o) {
  auto s = cast<SplitOp>(o.op);
  auto &in = o.in;
  const auto &out = o.out;
  Shape x = shapeOf(s.getInput());
  int64_t axis = int64_t(s.getAxis()), esz = elemBytes(elemOf(s.getInput()));
  AxisView view = axisView(x, axis);
  int64_t outer = view.outer, inner = view.inner;
  int64_t srcStride = x[axis] * inner * esz, offset = 0;
  for (size_t i = 0; i < s.getNumResults(); ++i) {
    int64_t rowBytes = shapeOf(s.getResult(i))[axis] * inner * esz;
    if (rowBytes == 0)
      continue;
    m.body += m.launch("cudaMemcpy2DAsync(" + out[i] + ", " + i32(rowBytes) + ", (const char *)" +
                       in[0] + " + " + i32(offset) + ", " + i32(srcStride) + ", " + i32(rowBytes) +
                       ", " + i32(outer) + ", cudaMemcpyDeviceToDevice, stream");
    offset += rowBytes;
  }
  return success();
}

LogicalResult emitSlice(CudaModule &m, CudaOp &o) {
  auto s = cast<SliceOp>(o.op);
  auto &in = o.in;
  const auto &out = o.out;
  const Shape &os = o.os;
  Type t = o.t;
  Shape x = shapeOf(s.getInput());
  m.body += "  {\n    static const int starts[] = " +
            intArray(Shape(s.getStarts().begin(), s.getStarts().end())) +
            ";\n    static const int steps[] = " +
            intArray(Shape(s.getSteps().begin(), s.getSteps().end())) + ";\n  " +
            m.launch("pare_cu_slice(" + i32(elemBytes(t)) + ", " + in[0] + ", " +
                     cuShape(os, {shape::contiguousStrides(x)}) + ", starts, steps, " + out[0] +
                     ", stream") +
            "  }\n";
  return success();
}

LogicalResult emitPad(CudaModule &m, CudaOp &o) {
  auto p = cast<PadOp>(o.op);
  Operation *op = o.op;
  auto &in = o.in;
  const auto &out = o.out;
  const Shape &os = o.os;
  Type t = o.t;
  Shape x = shapeOf(p.getInput());
  std::string ct = cudaType(t), value;
  if (auto f = dyn_cast<FloatAttr>(p.getValue()))
    value = t.isF16() ? "__float2half(" + floatLiteral(float(f.getValueAsDouble())) + ")"
                      : floatLiteral(float(f.getValueAsDouble()));
  else if (auto i = dyn_cast<IntegerAttr>(p.getValue()))
    value = std::to_string(i.getValue().getSExtValue());
  else
    return m.unsupported(op, "pad value");
  int mode = StringSwitch<int>(p.getMode())
                 .Case("constant", 0)
                 .Case("reflect", 1)
                 .Case("edge", 2)
                 .Default(3);
  m.body +=
      "  {\n    static const int in_dims[] = " + intArray(x) +
      ";\n    static const int pads_begin[] = " +
      intArray(Shape(p.getPadsBegin().begin(), p.getPadsBegin().end())) + ";\n    const " + ct +
      " value = " + value + ";\n  " +
      m.launch("pare_cu_pad(" + i32(elemBytes(t)) + ", " + in[0] + ", in_dims, " + cuShape(os, {}) +
               ", pads_begin, " + std::to_string(mode) + ", &value, " + out[0] + ", stream") +
      "  }\n";
  return success();
}

LogicalResult emitGather(CudaModule &m, CudaOp &o) {
  auto g = cast<GatherOp>(o.op);
  Operation *op = o.op;
  auto &in = o.in;
  const auto &out = o.out;
  Type t = o.t;
  if (!elemOf(g.getIndices()).isInteger(64))
    return m.unsupported(op, "int32 gather indices");
  Shape x = shapeOf(g.getData());
  int64_t axis = int64_t(g.getAxis());
  AxisView view = axisView(x, axis);
  int64_t outer = view.outer, inner = view.inner;
  m.body += m.launch("pare_cu_gather(" + i32(elemBytes(t)) + ", " + in[0] + ", " + i32(outer) +
                     ", " + i32(x[axis]) + ", " + i32(inner) + ", " + in[1] + ", " +
                     i32(numel(g.getIndices())) + ", " + out[0] + ", stream");
  return success();
}

/// GatherElements: both shapes as host arrays, int32 or int64 indices.
LogicalResult emitGatherElements(CudaModule &m, CudaOp &o) {
  auto g = cast<GatherElementsOp>(o.op);
  Shape x = shapeOf(g.getData()), ind = shapeOf(g.getIndices());
  if (x.size() > 8)
    return m.unsupported(o.op, "gather_elements of rank > 8");
  int64_t indexBytes = elemOf(g.getIndices()).isInteger(32) ? 4 : 8;
  m.body += "  {\n    static const int data_dims[" + std::to_string(x.size()) +
            "] = " + intArray(x) + ";\n    static const int index_dims[" +
            std::to_string(ind.size()) + "] = " + intArray(ind) + ";\n  " +
            m.launch("pare_cu_gather_elements(" + i32(elemBytes(o.t)) + ", " + o.in[0] +
                     ", data_dims, index_dims, " + i32(x.size()) + ", " +
                     i32(int64_t(g.getAxis())) + ", " + o.in[1] + ", " + i32(indexBytes) + ", " +
                     o.out[0] + ", stream") +
            "  }\n";
  return success();
}

LogicalResult emitExpand(CudaModule &m, CudaOp &o) {
  auto e = cast<ExpandOp>(o.op);
  auto &in = o.in;
  const auto &out = o.out;
  const Shape &os = o.os;
  Type t = o.t;
  auto st = shape::broadcastStrides(shapeOf(e.getInput()), os);
  m.body += m.launch("pare_cu_broadcast(" + i32(elemBytes(t)) + ", " + in[0] + ", " +
                     cuShape(os, {st}) + ", " + out[0] + ", stream");
  return success();
}

/// Resize: the sampling tables of the C target (resizeKernelDims) in the
/// weights blob, one launch of pare_cu_resize_<f32|f16> or, for nearest on
/// any element type, pare_cu_resize_nearest.
LogicalResult emitResize(CudaModule &m, CudaOp &o) {
  auto r = cast<ResizeOp>(o.op);
  Type t = o.t;
  bool nearest = r.getMode() == "nearest";
  if (!nearest && o.sfx.empty())
    return m.unsupported(o.op, "a linear or cubic resize of non-float tensors");
  if (numel(r.getResult()) == 0)
    return success();
  ResizeKernelDims k = resizeKernelDims(r);
  if (k.dims.size() > 8)
    return m.unsupported(o.op, "more than 8 resized dims");
  std::string layer = sanitizeIdentifier(nodeName(o.op));
  Shape in, out, taps, offset;
  std::vector<int32_t> index;
  std::vector<float> weight;
  for (const ResizeDim &d : k.dims) {
    in.push_back(d.inSize);
    out.push_back(d.outSize);
    taps.push_back(d.taps);
    offset.push_back(int64_t(index.size()));
    index.insert(index.end(), d.index.begin(), d.index.end());
    weight.insert(weight.end(), d.weight.begin(), d.weight.end());
  }
  std::string idx = index.empty() ? "nullptr" : m.int32Table(layer + "_resize_index", index);
  auto list = [](const Shape &v) { return v.empty() ? std::string("{0}") : intArray(v); };
  std::string geom = "{" + i32(int64_t(k.dims.size())) + ", " + i32(k.inner) + ", " + list(in) +
                     ", " + list(out) + ", " + list(taps) + ", " + list(offset) + "}";
  double e = r.getExtrapolationValue().convertToDouble();
  if (!nearest) {
    std::string w = weight.empty() ? "nullptr" : m.floatTable(layer + "_resize_weight", weight);
    m.body += "  {\n    const pare_cu_resize_geom g = " + geom + ";\n  " +
              m.launch("pare_cu_resize_" + o.sfx + "(" + o.in[0] + ", " + o.out[0] + ", g, " +
                       idx + ", " + w + ", " + floatLiteral(float(e)) + ", stream") +
              "  }\n";
    return success();
  }
  std::string ct = cudaType(t), value;
  if (ct.empty())
    return m.unsupported(o.op, "resize of this element type");
  if (t.isF16())
    value = "__float2half(" + floatLiteral(float(e)) + ")";
  else if (isa<FloatType>(t))
    value = floatLiteral(float(e));
  else
    value = std::to_string(int64_t(e));
  m.body += "  {\n    const pare_cu_resize_geom g = " + geom + ";\n    const " + ct +
            " extrapolation = " + value + ";\n  " +
            m.launch("pare_cu_resize_nearest(" + i32(elemBytes(t)) + ", " + o.in[0] + ", " +
                     o.out[0] + ", g, " + idx + ", &extrapolation, stream") +
            "  }\n";
  return success();
}

/// TSM: an offline pare.temporal_shift (the C target's pare_temporal_shift
/// arguments), one launch of pare_cu_temporal_shift. The CUDA pipeline
/// neither streams shifts (the driver refuses --streaming) nor fuses them
/// into convolutions (PipelineOptions: no fuseShifts with residualFusion),
/// so only this form reaches the emitter.
LogicalResult emitTemporalShift(CudaModule &m, CudaOp &o) {
  auto ts = cast<TemporalShiftOp>(o.op);
  if (ts.getStreaming())
    return m.unsupported(o.op, "a streaming temporal shift (--streaming is for the C targets)");
  if (attrs::hasInPlace(o.op))
    return m.unsupported(o.op, "an offline temporal shift in place");
  Type t = o.t;
  std::string ct = cudaType(t), zero;
  if (ct.empty())
    return m.unsupported(o.op, "a temporal shift of this element type");
  zero = t.isF16() ? "__float2half(0.0f)" : isa<FloatType>(t) ? "0.0f" : "0";
  Shape s = shapeOf(ts.getInput());
  int64_t c = ts.getChannelCount(), fold = int64_t(ts.getFold()),
          frames = int64_t(ts.getFrames());
  int64_t inner = numel(ts.getInput()) / (s[0] * c);
  bool bi = ts.isBidirectional();
  m.body += "  /* " + ts.getMode().str() + " shift of " + i32(fold) + " channel" +
            (fold == 1 ? "" : "s") + (bi ? " each way" : "") + " over clips of " + i32(frames) +
            " frames */\n";
  m.body += "  {\n    const " + ct + " tsm_zero = " + zero + ";\n  " +
            m.launch("pare_cu_temporal_shift(" + i32(elemBytes(t)) + ", " + o.in[0] + ", " +
                     o.out[0] + ", " + i32(s[0]) + ", " + i32(frames) + ", " + i32(c) + ", " +
                     i32(inner) + ", " + i32(fold) + ", " + i32(ts.kernelMode()) + ", " +
                     (ts.getChannelsLast() ? "1" : "0") + ", &tsm_zero, stream") +
            "  }\n";
  return success();
}

} // namespace

void registerDataMovementOps(OpTable &table) {
  table.add<TransposeOp>(emitTranspose);
  table.add<ConcatOp>(emitConcat);
  table.add<SplitOp>(emitSplit);
  table.add<SliceOp>(emitSlice);
  table.add<PadOp>(emitPad);
  table.add<ResizeOp>(emitResize);
  table.add<GatherOp>(emitGather);
  table.add<GatherElementsOp>(emitGatherElements);
  table.add<ExpandOp>(emitExpand);
  table.add<TemporalShiftOp>(emitTemporalShift);
}

} // namespace pare::codegen::cuda
