//===- EvalDataMovement.cpp - evaluator: data movement --------------------===//
//
// Ops that move or select elements without computing: the reshapes,
// transpose, concat, split, slice, pad, gather, scatter_nd, expand and
// resize. All work on float and integer storage alike (resize: nearest).
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Eval/EvalContext.h"
#include "dialects/Pare/IR/ResizeTaps.h"

#include "llvm/ADT/StringSwitch.h"

using namespace mlir;

namespace pare::eval {
namespace {

/// identity, reshape, flatten, squeeze, unsqueeze, storage_cast: the same
/// data under the result's shape.
LogicalResult evalReshape(EvalContext &cx, Operation *op, Results &out) {
  const Tensor &x = cx.in(op->getOperand(0));
  auto y = std::make_shared<Tensor>(x);
  y->shape = shapeOf(op->getResult(0));
  if (shape::numElements(y->shape) != x.numElements())
    return fail(op, "element count differs from the input's");
  out.push_back(y);
  return success();
}

LogicalResult evalTranspose(EvalContext &cx, Operation *op, Results &out) {
  auto t = cast<TransposeOp>(op);
  const Tensor &x = cx.in(t.getInput());
  if (x.shape.size() > 8)
    return fail(op, "rank > 8");
  auto y = cx.newLike(t.getResult());
  if (y->isFloat() != x.isFloat())
    return fail(op, "operand types");
  auto sh = i32s(x.shape), pm = i32s(t.getPerm());
  if (y->numElements() > 0)
    pare_transpose(storageBytes(x), dataOf(x), sh.data(), pm.data(), int(sh.size()),
                   y->isFloat() ? (void *)y->f.data() : (void *)y->i.data());
  out.push_back(y);
  return success();
}

LogicalResult evalConcat(EvalContext &cx, Operation *op, Results &out) {
  auto c = cast<ConcatOp>(op);
  auto y = cx.newLike(c.getResult());
  int64_t axis = int64_t(c.getAxis());
  const Shape &os = y->shape;
  if (axis < 0 || axis >= int64_t(os.size()))
    return fail(op, "axis out of range");
  size_t esz = y->isFloat() ? sizeof(float) : sizeof(int64_t);
  int64_t outer = 1, inner = 1;
  for (int64_t a = 0; a < axis; ++a)
    outer *= os[a];
  for (size_t a = axis + 1; a < os.size(); ++a)
    inner *= os[a];
  int64_t dstStride = os[axis] * inner * esz, offset = 0;
  char *dst = y->isFloat() ? (char *)y->f.data() : (char *)y->i.data();
  for (Value v : c.getInputs()) {
    const Tensor &x = cx.in(v);
    if (x.isFloat() != y->isFloat())
      return fail(op, "operand types");
    int64_t rowBytes = x.shape[axis] * inner * esz;
    if (rowBytes == 0 || outer == 0)
      continue;
    pare_copy_rows(dst + offset, dstStride, dataOf(x), rowBytes, outer, rowBytes);
    offset += rowBytes;
  }
  out.push_back(y);
  return success();
}

LogicalResult evalSplit(EvalContext &cx, Operation *op, Results &out) {
  auto s = cast<SplitOp>(op);
  const Tensor &x = cx.in(s.getInput());
  int64_t axis = int64_t(s.getAxis());
  if (axis < 0 || axis >= int64_t(x.shape.size()))
    return fail(op, "axis out of range");
  size_t esz = storageBytes(x);
  auto [outer, len, inner] = shape::axisView(x.shape, axis);
  int64_t srcStride = len * inner * esz, offset = 0;
  const char *src = static_cast<const char *>(dataOf(x));
  for (Value r : s.getResults()) {
    auto y = cx.newLike(r);
    if (y->isFloat() != x.isFloat())
      return fail(op, "operand types");
    int64_t rowBytes = y->shape[axis] * inner * esz;
    if (rowBytes > 0 && outer > 0)
      pare_copy_rows(y->isFloat() ? (void *)y->f.data() : (void *)y->i.data(), rowBytes,
                     src + offset, srcStride, outer, rowBytes);
    offset += rowBytes;
    out.push_back(y);
  }
  return success();
}

LogicalResult evalSlice(EvalContext &cx, Operation *op, Results &out) {
  auto s = cast<SliceOp>(op);
  const Tensor &x = cx.in(s.getInput());
  if (x.shape.size() > 8)
    return fail(op, "rank > 8");
  auto y = cx.newLike(s.getResult());
  if (y->isFloat() != x.isFloat())
    return fail(op, "operand types");
  auto sh = i32s(x.shape), st = i32s(s.getStarts()), sp = i32s(s.getSteps()), os = i32s(y->shape);
  if (y->numElements() > 0)
    pare_slice(storageBytes(x), dataOf(x), sh.data(), int(sh.size()), st.data(), sp.data(),
               y->isFloat() ? (void *)y->f.data() : (void *)y->i.data(), os.data());
  out.push_back(y);
  return success();
}

LogicalResult evalPad(EvalContext &cx, Operation *op, Results &out) {
  auto p = cast<PadOp>(op);
  const Tensor &x = cx.in(p.getInput());
  if (x.shape.size() > 8)
    return fail(op, "rank > 8");
  auto y = cx.newLike(p.getResult());
  if (y->isFloat() != x.isFloat())
    return fail(op, "operand types");
  float fv = 0.0f;
  int64_t iv = 0;
  if (auto f = dyn_cast<FloatAttr>(p.getValue())) {
    fv = float(f.getValueAsDouble());
    iv = int64_t(f.getValueAsDouble());
  } else if (auto i = dyn_cast<IntegerAttr>(p.getValue())) {
    iv = i.getValue().getSExtValue();
    fv = float(iv);
  } else {
    return fail(op, "pad value attribute");
  }
  int mode = llvm::StringSwitch<int>(p.getMode())
                 .Case("constant", 0)
                 .Case("reflect", 1)
                 .Case("edge", 2)
                 .Case("wrap", 3)
                 .Default(-1);
  if (mode < 0)
    return fail(op, "pad mode '" + p.getMode() + "'");
  auto sh = i32s(x.shape), pb = i32s(p.getPadsBegin()), os = i32s(y->shape);
  if (y->numElements() > 0)
    pare_pad(storageBytes(x), dataOf(x), sh.data(), int(sh.size()), pb.data(), mode,
             y->isFloat() ? (const void *)&fv : (const void *)&iv,
             y->isFloat() ? (void *)y->f.data() : (void *)y->i.data(), os.data());
  out.push_back(y);
  return success();
}

LogicalResult evalGather(EvalContext &cx, Operation *op, Results &out) {
  auto g = cast<GatherOp>(op);
  const Tensor &x = cx.in(g.getData()), &idx = cx.in(g.getIndices());
  if (idx.isFloat() && !idx.f.empty())
    return fail(op, "float indices");
  int64_t axis = int64_t(g.getAxis());
  if (axis < 0 || axis >= int64_t(x.shape.size()))
    return fail(op, "axis out of range");
  auto [outer, len, inner] = shape::axisView(x.shape, axis);
  for (int64_t v : idx.i)
    if (v < -len || v >= len)
      return fail(op, "index out of range");
  auto y = cx.newLike(g.getResult());
  if (y->isFloat() != x.isFloat())
    return fail(op, "operand types");
  if (y->numElements() > 0)
    pare_gather(storageBytes(x), dataOf(x), int(outer), int(len), int(inner), idx.i.data(),
                int(idx.i.size()), y->isFloat() ? (void *)y->f.data() : (void *)y->i.data());
  out.push_back(y);
  return success();
}

LogicalResult evalGatherElements(EvalContext &cx, Operation *op, Results &out) {
  auto g = cast<GatherElementsOp>(op);
  const Tensor &x = cx.in(g.getData()), &idx = cx.in(g.getIndices());
  if (idx.isFloat() && !idx.f.empty())
    return fail(op, "float indices");
  int64_t axis = int64_t(g.getAxis());
  if (axis < 0 || axis >= int64_t(x.shape.size()) || x.shape.size() > 8 ||
      idx.shape.size() != x.shape.size())
    return fail(op, "axis or ranks out of range");
  int64_t len = x.shape[axis];
  for (int64_t v : idx.i)
    if (v < -len || v >= len)
      return fail(op, "index out of range");
  auto y = cx.newLike(g.getResult());
  if (y->isFloat() != x.isFloat())
    return fail(op, "operand types");
  auto xs = i32s(x.shape), is = i32s(idx.shape);
  if (y->numElements() > 0)
    pare_gather_elements(storageBytes(x), dataOf(x), xs.data(), int(xs.size()), int(axis),
                         idx.i.data(), is.data(),
                         y->isFloat() ? (void *)y->f.data() : (void *)y->i.data());
  out.push_back(y);
  return success();
}

LogicalResult evalScatterND(EvalContext &cx, Operation *op, Results &out) {
  auto s = cast<ScatterNDOp>(op);
  const Tensor &x = cx.in(s.getData()), &idx = cx.in(s.getIndices()), &u = cx.in(s.getUpdates());
  if (idx.isFloat() && !idx.f.empty())
    return fail(op, "float indices");
  if (x.isFloat() != u.isFloat() && u.numElements() > 0)
    return fail(op, "operand types");
  Shape ind = shapeOf(s.getIndices());
  int64_t depth = ind.back();
  Shape dims(x.shape.begin(), x.shape.begin() + depth);
  for (size_t k = 0; k < idx.i.size(); ++k) {
    int64_t v = idx.i[k], len = dims[k % size_t(depth)];
    if (v < -len || v >= len)
      return fail(op, "index out of range");
  }
  int reduction = llvm::StringSwitch<int>(s.getReduction())
                      .Case("add", 1)
                      .Case("mul", 2)
                      .Case("max", 3)
                      .Case("min", 4)
                      .Default(0);
  auto y = cx.newLike(s.getResult());
  if (y->isFloat() != x.isFloat())
    return fail(op, "operand types");
  auto d32 = i32s(dims);
  int64_t count = shape::numElements(Shape(ind.begin(), ind.end() - 1));
  int64_t slice = shape::numElements(Shape(x.shape.begin() + depth, x.shape.end()));
  if (y->numElements() > 0)
    pare_scatter_nd(x.isFloat() ? PARE_F32 : PARE_I64, dataOf(x), size_t(x.numElements()),
                    idx.i.data(), int(count), int(depth), d32.data(), size_t(slice), dataOf(u),
                    reduction, y->isFloat() ? (void *)y->f.data() : (void *)y->i.data());
  // Integer storage is int64 here: wrap the combined values to the element type.
  if (!y->isFloat() && reduction != 0)
    for (int64_t &v : y->i)
      v = wrapTo(v, elemOf(s.getResult()));
  out.push_back(y);
  return success();
}

LogicalResult evalExpand(EvalContext &cx, Operation *op, Results &out) {
  auto e = cast<ExpandOp>(op);
  const Tensor &x = cx.in(e.getInput());
  Shape shape = shapeOf(e.getResult());
  if (shape.size() > 8)
    return fail(op, "tensors of rank > 8");
  if (shape.empty())
    shape = {1};
  auto xs = i32s(shape::broadcastStrides(x.shape, shape));
  auto sh = i32s(shape);
  auto y = cx.newLike(e.getResult());
  if (y->isFloat() != x.isFloat())
    return fail(op, "operand types");
  if (y->numElements() > 0)
    pare_broadcast(storageBytes(x), dataOf(x), xs.data(),
                   y->isFloat() ? (void *)y->f.data() : (void *)y->i.data(), sh.data(),
                   int(shape.size()));
  out.push_back(y);
  return success();
}

/// resize: the C kernels on the sampling tables the C emitter computes
/// (resizeDims).
LogicalResult evalResize(EvalContext &cx, Operation *op, Results &out) {
  auto r = cast<ResizeOp>(op);
  const Tensor &x = cx.in(r.getInput());
  if (x.shape.size() > 8)
    return fail(op, "rank > 8");
  bool nearest = r.getMode() == "nearest";
  if (!nearest && !x.isFloat())
    return fail(op, "linear and cubic resize of integer tensors");
  auto y = cx.newLike(r.getResult());
  if (y->isFloat() != x.isFloat())
    return fail(op, "operand types");
  std::vector<ResizeDim> dims = resizeDims(r);
  std::vector<pare_resize_dim_t> table;
  for (const ResizeDim &d : dims)
    table.push_back({int32_t(d.inSize), int32_t(d.outSize), int32_t(d.taps), d.index.data(),
                     d.weight.data()});
  double extrapolation = r.getExtrapolationValue().convertToDouble();
  if (y->numElements() > 0) {
    if (!nearest) {
      pare_resize_f32(x.f.data(), y->f.data(), table.data(), int(table.size()), 1,
                      float(extrapolation));
    } else if (x.isFloat()) {
      float e = float(extrapolation);
      pare_resize_nearest(sizeof(float), x.f.data(), y->f.data(), table.data(),
                          int(table.size()), 1, &e);
    } else {
      int64_t e = wrapTo(int64_t(extrapolation), elemOf(r.getResult()));
      pare_resize_nearest(sizeof(int64_t), x.i.data(), y->i.data(), table.data(),
                          int(table.size()), 1, &e);
    }
  }
  out.push_back(y);
  return success();
}

} // namespace

void addDataMovementOps(OpTable &table) {
  table.add<IdentityOp, ReshapeOp, FlattenOp, SqueezeOp, UnsqueezeOp, StorageCastOp>(evalReshape);
  table.add<TransposeOp>(evalTranspose);
  table.add<ConcatOp>(evalConcat);
  table.add<SplitOp>(evalSplit);
  table.add<SliceOp>(evalSlice);
  table.add<PadOp>(evalPad);
  table.add<GatherOp>(evalGather);
  table.add<GatherElementsOp>(evalGatherElements);
  table.add<ScatterNDOp>(evalScatterND);
  table.add<ExpandOp>(evalExpand);
  table.add<ResizeOp>(evalResize);
}

} // namespace pare::eval
