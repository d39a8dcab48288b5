//===- HandlersTensor.cpp - ONNX data-movement and shape op handlers ------===//
//
// Shape-computing ops (Shape, Size, ConstantOfShape, Range) produce constants
// directly: every tensor in pare is static, so a shape subgraph folds away on
// import and the ops it feeds (Reshape, Slice, Expand ...) see constants.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/HandlerUtils.h"

#include "mlir/IR/Matchers.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir;

namespace pare::onnx_frontend {
namespace {

Value i64Const(NodeImporter &ni, ArrayRef<int64_t> vals, bool scalar = false) {
  auto type =
      RankedTensorType::get(scalar ? ArrayRef<int64_t>{} : ArrayRef<int64_t>{int64_t(vals.size())},
                            ni.builder().getIntegerType(64));
  return ni.constant(DenseElementsAttr::get(type, vals));
}

LogicalResult importConstant(NodeImporter &ni) {
  auto &b = ni.builder();
  if (const auto *a = ni.attr("value")) {
    auto value = ni.tensorAttr(a->t());
    if (failed(value))
      return failure();
    ni.setOutput(0, ni.constant(*value));
    return success();
  }
  if (const auto *a = ni.attr("value_float")) {
    auto type = RankedTensorType::get({}, b.getF32Type());
    ni.setOutput(0, ni.constant(DenseElementsAttr::get(type, a->f())));
    return success();
  }
  if (const auto *a = ni.attr("value_floats")) {
    std::vector<float> v(a->floats().begin(), a->floats().end());
    auto type = RankedTensorType::get({int64_t(v.size())}, b.getF32Type());
    ni.setOutput(0, ni.constant(DenseElementsAttr::get(type, ArrayRef<float>(v))));
    return success();
  }
  if (const auto *a = ni.attr("value_int")) {
    ni.setOutput(0, i64Const(ni, {a->i()}, /*scalar=*/true));
    return success();
  }
  if (const auto *a = ni.attr("value_ints")) {
    std::vector<int64_t> v(a->ints().begin(), a->ints().end());
    ni.setOutput(0, i64Const(ni, v));
    return success();
  }
  return ni.error("Constant without a supported value attribute (sparse and "
                  "string constants are not supported)");
}

LogicalResult importIdentity(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  // Dropout (opset 12+): inference only; training_mode must be a constant false.
  if (ni.getNode().op_type() == "Dropout" && ni.hasInput(2)) {
    DenseElementsAttr t = ni.constInput(2);
    if (!t || !t.getElementType().isInteger(1) || t.getNumElements() != 1 || t.getValues<bool>()[0])
      return ni.error("Dropout in training mode (training_mode input not a constant "
                      "false) is not supported; pare compiles inference graphs");
  }
  if (ni.outputUsed(1)) {
    // Dropout's mask output: all true in inference.
    auto type = RankedTensorType::get(shapeOf(*x), ni.builder().getIntegerType(1));
    ni.setOutput(1, ni.constant(DenseElementsAttr::get(type, true)));
  }
  return bind(ni, ni.create<pare::IdentityOp>({*x}));
}

LogicalResult importReshape(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  std::vector<int64_t> target;
  if (ni.getOpset() < 5) {
    target = ni.getInts("shape");
  } else {
    auto s = ni.constInts(1, "Reshape shape");
    if (failed(s))
      return failure();
    target = *s;
  }
  auto in = shapeOf(*x);
  bool allowZero = ni.getInt("allowzero", 0) != 0;
  int64_t known = 1, inferAt = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == 0 && !allowZero) {
      if (i >= in.size())
        return ni.error("Reshape copies dim " + Twine(i) + " that the input lacks");
      target[i] = in[i];
    }
    if (target[i] == -1) {
      if (inferAt >= 0)
        return ni.error("Reshape shape has more than one -1");
      inferAt = i;
    } else if (target[i] < 0) {
      return ni.error("Reshape shape has a negative dim " + Twine(target[i]));
    } else if (__builtin_mul_overflow(known, target[i], &known)) {
      return ni.error("Reshape shape " + shape::toString(target) + " is too large");
    }
  }
  int64_t total = shape::numElements(in);
  if (inferAt >= 0) {
    if (known == 0 || total % known != 0)
      return ni.error("cannot reshape " + shape::toString(in) + " to " + shape::toString(target));
    target[inferAt] = total / known;
  }
  if (shape::numElements(target) != total)
    return ni.error("shape mismatch: cannot reshape " + shape::toString(in) + " (" + Twine(total) +
                    " elements) to " + shape::toString(target));
  // An empty tensor (allowzero) reshapes to any shape with a 0: its other
  // dims must still be ones the kernels can index.
  if (failed(ni.checkType(RankedTensorType::get(target, elemOf(*x)), "the Reshape result")))
    return failure();
  ni.setOutput(0, ni.reshape(*x, target));
  return success();
}

LogicalResult importFlatten(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  int64_t rank = shapeOf(*x).size();
  int64_t axis = ni.getInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return ni.error("Flatten axis out of range");
  return bind(ni, ni.create<pare::FlattenOp>(
                      {*x}, {ni.named("axis", ni.builder().getI64IntegerAttr(axis))}));
}

FailureOr<std::vector<int64_t>> axesOf(NodeImporter &ni, int inputSince, bool required) {
  if (ni.getOpset() >= inputSince) {
    if (!ni.hasInput(1)) {
      if (required)
        return ni.error("axes input is required");
      return std::vector<int64_t>{};
    }
    return ni.constInts(1, "axes");
  }
  return ni.getInts("axes");
}

LogicalResult importSqueeze(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  auto in = shapeOf(*x);
  auto axes = axesOf(ni, 13, false);
  if (failed(axes))
    return failure();
  std::vector<int64_t> norm;
  if (axes->empty()) {
    for (size_t d = 0; d < in.size(); ++d)
      if (in[d] == 1)
        norm.push_back(d);
  } else {
    for (int64_t a : *axes) {
      auto n = normAxis(ni, a, in.size());
      if (failed(n))
        return failure();
      norm.push_back(*n);
    }
  }
  return bind(ni, ni.create<pare::SqueezeOp>(
                      {*x}, {ni.named("axes", ni.builder().getDenseI64ArrayAttr(norm))}));
}

LogicalResult importUnsqueeze(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  auto axes = axesOf(ni, 13, true);
  if (failed(axes))
    return failure();
  int64_t rank = shapeOf(*x).size() + axes->size();
  std::vector<int64_t> norm;
  for (int64_t a : *axes) {
    auto n = normAxis(ni, a, rank);
    if (failed(n))
      return failure();
    norm.push_back(*n);
  }
  std::sort(norm.begin(), norm.end());
  if (std::adjacent_find(norm.begin(), norm.end()) != norm.end())
    return ni.error("Unsqueeze axes repeat");
  return bind(ni, ni.create<pare::UnsqueezeOp>(
                      {*x}, {ni.named("axes", ni.builder().getDenseI64ArrayAttr(norm))}));
}

LogicalResult importTranspose(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  int64_t rank = shapeOf(*x).size();
  std::vector<int64_t> perm = ni.getInts("perm");
  if (perm.empty())
    for (int64_t d = rank - 1; d >= 0; --d)
      perm.push_back(d);
  return bind(ni, ni.create<pare::TransposeOp>(
                      {*x}, {ni.named("perm", ni.builder().getDenseI64ArrayAttr(perm))}));
}

LogicalResult importConcat(NodeImporter &ni) {
  if (ni.numInputs() == 0)
    return ni.error("Concat needs at least one input");
  SmallVector<Value> ins;
  for (size_t i = 0; i < ni.numInputs(); ++i) {
    auto v = need(ni, i);
    if (failed(v))
      return failure();
    if (shape::numElements(shapeOf(*v)) != 0 || ni.numInputs() == 1)
      ins.push_back(*v);
  }
  if (ins.empty())
    ins.push_back(ni.input(0));
  auto axis = normAxis(ni, ni.getInt("axis", 0), shapeOf(ins[0]).size());
  if (failed(axis))
    return failure();
  return bind(ni, ni.create<pare::ConcatOp>(
                      ins, {ni.named("axis", ni.builder().getI64IntegerAttr(*axis))}));
}

LogicalResult importSlice(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  auto in = shapeOf(*x);
  int64_t rank = in.size();
  std::vector<int64_t> starts, ends, axes, steps;
  if (ni.getOpset() < 10) {
    starts = ni.getInts("starts");
    ends = ni.getInts("ends");
    axes = ni.getInts("axes");
  } else {
    auto s = ni.constInts(1, "Slice starts");
    auto e = ni.constInts(2, "Slice ends");
    if (failed(s) || failed(e))
      return failure();
    starts = *s;
    ends = *e;
    if (ni.hasInput(3)) {
      auto a = ni.constInts(3, "Slice axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
    if (ni.hasInput(4)) {
      auto st = ni.constInts(4, "Slice steps");
      if (failed(st))
        return failure();
      steps = *st;
    }
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    return ni.error("Slice starts, ends, axes and steps differ in length");
  std::vector<int64_t> fs(rank, 0), fe(in.begin(), in.end()), fst(rank, 1);
  std::vector<bool> seen(rank, false);
  for (size_t i = 0; i < starts.size(); ++i) {
    auto a = normAxis(ni, axes[i], rank);
    if (failed(a))
      return failure();
    if (seen[*a])
      return ni.error("Slice axes repeat axis " + Twine(*a));
    seen[*a] = true;
    if (steps[i] == 0)
      return ni.error("Slice step is 0");
    // A step longer than the dim picks at most one element, as a step of
    // the dim's length does; bounding it keeps every later product small.
    int64_t bound = std::max<int64_t>(in[*a], 1);
    if (steps[i] > bound)
      steps[i] = bound;
    else if (steps[i] < -bound)
      steps[i] = -bound;
    int64_t s = starts[i], e = ends[i];
    shape::clampSlice(in[*a], steps[i], s, e);
    fs[*a] = s;
    fe[*a] = e;
    fst[*a] = steps[i];
  }
  auto &b = ni.builder();
  return bind(ni, ni.create<pare::SliceOp>({*x}, {ni.named("starts", b.getDenseI64ArrayAttr(fs)),
                                                  ni.named("ends", b.getDenseI64ArrayAttr(fe)),
                                                  ni.named("steps", b.getDenseI64ArrayAttr(fst))}));
}

LogicalResult importSplit(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  auto in = shapeOf(*x);
  auto axis = normAxis(ni, ni.getInt("axis", 0), in.size());
  if (failed(axis))
    return failure();
  std::vector<int64_t> sizes;
  if (ni.getOpset() < 13) {
    sizes = ni.getInts("split");
  } else if (ni.hasInput(1)) {
    auto s = ni.constInts(1, "Split sizes");
    if (failed(s))
      return failure();
    sizes = *s;
  }
  if (sizes.empty()) {
    int64_t parts = ni.getOpset() >= 18 && ni.hasAttr("num_outputs") ? ni.getInt("num_outputs", 1)
                                                                     : int64_t(ni.numOutputs());
    if (parts <= 0)
      return ni.error("Split into " + Twine(parts) + " parts");
    // Checked before the chunk size is computed from it: a num_outputs near
    // INT64_MAX would overflow the rounding up and list that many sizes.
    if (parts != int64_t(ni.numOutputs()))
      return ni.error("Split makes " + Twine(parts) + " parts but the node has " +
                      Twine(ni.numOutputs()) + " outputs");
    int64_t chunk = (in[*axis] + parts - 1) / parts;
    int64_t left = in[*axis];
    for (int64_t p = 0; p < parts; ++p) {
      sizes.push_back(std::min(chunk, left));
      left -= sizes.back();
    }
  }
  auto &b = ni.builder();
  auto outs =
      ni.createMulti<pare::SplitOp>({*x}, {ni.named("axis", b.getI64IntegerAttr(*axis)),
                                           ni.named("sizes", b.getDenseI64ArrayAttr(sizes))});
  if (failed(outs))
    return failure();
  if (outs->size() != ni.numOutputs())
    return ni.error("Split makes " + Twine(outs->size()) + " parts but the node has " +
                    Twine(ni.numOutputs()) + " outputs");
  for (size_t i = 0; i < outs->size(); ++i)
    ni.setOutput(i, (*outs)[i]);
  return success();
}

LogicalResult importPad(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  auto in = shapeOf(*x);
  int64_t rank = in.size();
  std::vector<int64_t> pads;
  Attribute value;
  Type elem = elemOf(*x);
  auto &b = ni.builder();
  if (ni.getOpset() < 11) {
    pads = ni.getInts("pads");
    if (!isa<FloatType>(elem))
      return ni.error("Pad before opset 11 supports float tensors only");
    value = b.getFloatAttr(elem, ni.getFloat("value", 0.0f));
  } else {
    auto p = ni.constInts(1, "Pad pads");
    if (failed(p))
      return failure();
    pads = *p;
    if (DenseElementsAttr cv = ni.hasInput(2) ? ni.constInput(2) : DenseElementsAttr()) {
      value = *cv.value_begin<Attribute>();
    } else if (ni.hasInput(2)) {
      return ni.error("Pad constant_value must be known at compile time");
    } else {
      value = isa<FloatType>(elem) ? Attribute(b.getFloatAttr(elem, 0.0))
                                   : Attribute(b.getIntegerAttr(elem, 0));
    }
    if (ni.hasInput(3)) {
      auto axes = ni.constInts(3, "Pad axes");
      if (failed(axes))
        return failure();
      if (pads.size() != 2 * axes->size())
        return ni.error("Pad has " + Twine(pads.size()) + " pads for " + Twine(axes->size()) +
                        " axes (a begin and an end pad per axis)");
      std::vector<int64_t> full(2 * rank, 0);
      for (size_t i = 0; i < axes->size(); ++i) {
        auto a = normAxis(ni, (*axes)[i], rank);
        if (failed(a))
          return failure();
        full[*a] = pads[i];
        full[rank + *a] = pads[axes->size() + i];
      }
      pads = full;
    }
  }
  if (int64_t(pads.size()) != 2 * rank)
    return ni.error("Pad has " + Twine(pads.size()) + " pads for a rank-" + Twine(rank) + " input");
  std::string mode = ni.getString("mode", "constant");
  std::vector<int64_t> begin(pads.begin(), pads.begin() + rank),
      end(pads.begin() + rank, pads.end());
  return bind(ni, ni.create<pare::PadOp>(
                      {*x}, {ni.named("pads_begin", b.getDenseI64ArrayAttr(begin)),
                             ni.named("pads_end", b.getDenseI64ArrayAttr(end)),
                             ni.named("mode", b.getStringAttr(mode)), ni.named("value", value)}));
}

/// Constant indices (input 1) must lie in [-len, len); report it at the node
/// rather than at run time. Run-time indices are checked by the kernels.
static LogicalResult checkConstIndices(NodeImporter &ni, StringRef op, int64_t len) {
  if (DenseElementsAttr ci = ni.constInput(1); ci && isa<IntegerType>(ci.getElementType())) {
    for (APInt v : ci.getValues<APInt>()) {
      int64_t j = v.getSExtValue();
      if (j < -len || j >= len)
        return ni.error(op + " index " + Twine(j) + " is out of range for a dim of " + Twine(len));
    }
  }
  return success();
}

LogicalResult importGather(NodeImporter &ni) {
  auto data = need(ni, 0), idx = need(ni, 1);
  if (failed(data) || failed(idx))
    return failure();
  auto axis = normAxis(ni, ni.getInt("axis", 0), shapeOf(*data).size());
  if (failed(axis))
    return failure();
  if (failed(checkConstIndices(ni, "Gather", shapeOf(*data)[*axis])))
    return failure();
  return bind(ni, ni.create<pare::GatherOp>(
                      {*data, *idx}, {ni.named("axis", ni.builder().getI64IntegerAttr(*axis))}));
}

/// GatherElements: indices of data's rank, gathered one element at a time
/// along `axis`. Constant indices are range-checked here, as Gather's.
LogicalResult importGatherElements(NodeImporter &ni) {
  auto data = need(ni, 0), idx = need(ni, 1);
  if (failed(data) || failed(idx))
    return failure();
  auto axis = normAxis(ni, ni.getInt("axis", 0), shapeOf(*data).size());
  if (failed(axis))
    return failure();
  if (failed(checkConstIndices(ni, "GatherElements", shapeOf(*data)[*axis])))
    return failure();
  return bind(ni, ni.create<pare::GatherElementsOp>(
                      {*data, *idx}, {ni.named("axis", ni.builder().getI64IntegerAttr(*axis))}));
}

LogicalResult importScatterND(NodeImporter &ni) {
  auto data = need(ni, 0), idx = need(ni, 1), upd = need(ni, 2);
  if (failed(data) || failed(idx) || failed(upd))
    return failure();
  std::string reduction = ni.getString("reduction", "none");
  if (reduction != "none" && reduction != "add" && reduction != "mul" && reduction != "max" &&
      reduction != "min")
    return ni.error("ScatterND reduction '" + reduction + "' is not supported");
  // Constant indices must be in range; report it here rather than at run time.
  std::vector<int64_t> x = shapeOf(*data), ind = shapeOf(*idx);
  if (DenseElementsAttr ci = ni.constInput(1); ci && isa<IntegerType>(ci.getElementType()) &&
                                               !ind.empty() && ind.back() > 0 &&
                                               ind.back() <= int64_t(x.size())) {
    int64_t k = ind.back(), j = 0;
    for (APInt v : ci.getValues<APInt>()) {
      int64_t i = v.getSExtValue(), len = x[j++ % k];
      if (i < -len || i >= len)
        return ni.error("ScatterND index " + Twine(i) + " is out of range for a dim of " +
                        Twine(len));
    }
  }
  return bind(
      ni, ni.create<pare::ScatterNDOp>(
              {*data, *idx, *upd}, {ni.named("reduction", ni.builder().getStringAttr(reduction))}));
}

LogicalResult importCast(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  auto &b = ni.builder();
  // Cast-19's saturate applies to float8 targets only, which pare refuses
  // below: read (so it is known) and without effect.
  (void)ni.getInt("saturate", 1);
  Type to;
  switch (ni.getInt("to", 0)) {
  case onnx::TensorProto::FLOAT:
    to = b.getF32Type();
    break;
  case onnx::TensorProto::DOUBLE:
    to = b.getF64Type();
    break;
  case onnx::TensorProto::INT64:
    to = b.getIntegerType(64);
    break;
  case onnx::TensorProto::INT32:
    to = b.getIntegerType(32);
    break;
  case onnx::TensorProto::INT16:
    to = b.getIntegerType(16);
    break;
  case onnx::TensorProto::INT8:
    to = b.getIntegerType(8);
    break;
  case onnx::TensorProto::UINT8:
    to = b.getIntegerType(8, false);
    break;
  case onnx::TensorProto::UINT16:
    to = b.getIntegerType(16, false);
    break;
  case onnx::TensorProto::BOOL:
    to = b.getIntegerType(1);
    break;
  default:
    return ni.error("Cast to ONNX type " + Twine(ni.getInt("to", 0)) + " is not supported");
  }
  return bind(ni, ni.create<pare::CastOp>({*x}, {ni.named("to", TypeAttr::get(to))}));
}

/// CastLike(x, like): Cast to the element type of `like`.
LogicalResult importCastLike(NodeImporter &ni) {
  auto x = need(ni, 0), like = need(ni, 1);
  if (failed(x) || failed(like))
    return failure();
  (void)ni.getInt("saturate", 1); // float8 only, as in Cast
  return bind(ni, ni.create<pare::CastOp>({*x}, {ni.named("to", TypeAttr::get(elemOf(*like)))}));
}

/// Trilu(x, k): keep the upper (or lower) triangle of the last two dims, from
/// diagonal k; a constant mask selects between x and 0.
LogicalResult importTrilu(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  auto xs = shapeOf(*x);
  if (xs.size() < 2)
    return ni.error("Trilu needs a rank >= 2 input");
  int64_t k = 0;
  if (ni.hasInput(1)) {
    auto kv = ni.constScalarInt(1, "Trilu k");
    if (failed(kv))
      return failure();
    k = *kv;
  }
  bool upper = ni.getInt("upper", 1) != 0;
  int64_t rows = xs[xs.size() - 2], cols = xs.back();
  SmallVector<bool> mask;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      mask.push_back(upper ? j - i >= k : j - i <= k);
  auto &b = ni.builder();
  Value m = ni.constant(DenseElementsAttr::get(RankedTensorType::get({rows, cols}, b.getI1Type()),
                                               ArrayRef<bool>(mask)));
  Type e = elemOf(*x);
  Attribute zero =
      isa<FloatType>(e) ? Attribute(b.getFloatAttr(e, 0.0)) : Attribute(b.getIntegerAttr(e, 0));
  Value z = ni.constant(DenseElementsAttr::get(RankedTensorType::get({}, e), zero));
  return bind(ni, ni.create<pare::WhereOp>({m, *x, z}));
}

LogicalResult importExpand(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  auto s = ni.constInts(1, "Expand shape");
  if (failed(s))
    return failure();
  return bind(ni, ni.create<pare::ExpandOp>(
                      {*x}, {ni.named("shape", ni.builder().getDenseI64ArrayAttr(*s))}));
}

LogicalResult importShape(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  auto s = shapeOf(*x);
  int64_t rank = s.size();
  int64_t start = ni.getInt("start", 0), end = ni.getInt("end", rank);
  if (start < 0)
    start += rank;
  if (end < 0)
    end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  std::vector<int64_t> dims;
  for (int64_t d = start; d < end; ++d)
    dims.push_back(s[d]);
  ni.setOutput(0, i64Const(ni, dims));
  return success();
}

LogicalResult importSize(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  ni.setOutput(0, i64Const(ni, {shape::numElements(shapeOf(*x))}, true));
  return success();
}

LogicalResult importConstantOfShape(NodeImporter &ni) {
  auto s = ni.constInts(0, "ConstantOfShape shape");
  if (failed(s))
    return failure();
  for (int64_t d : *s)
    if (d < 0)
      return ni.error("ConstantOfShape shape " + shape::toString(*s) + " has a negative dim");
  auto &b = ni.builder();
  DenseElementsAttr value =
      DenseElementsAttr::get(RankedTensorType::get({1}, b.getF32Type()), 0.0f);
  if (const auto *a = ni.attr("value")) {
    auto v = ni.tensorAttr(a->t());
    if (failed(v))
      return failure();
    if (v->getNumElements() != 1)
      return ni.error("ConstantOfShape value must hold one element, not " +
                      Twine(v->getNumElements()));
    value = *v;
  }
  auto type = RankedTensorType::get(*s, value.getElementType());
  if (failed(ni.checkType(type, "the ConstantOfShape result")))
    return failure();
  ni.setOutput(0, ni.constant(DenseElementsAttr::get(type, *value.value_begin<Attribute>())));
  return success();
}

/// The longest Range materialized as a constant (2^24: 128 MiB of int64).
constexpr int64_t kMaxRangeLength = int64_t(1) << 24;

LogicalResult importRange(NodeImporter &ni) {
  auto x0 = need(ni, 0);
  if (failed(x0))
    return failure();
  Type elem = elemOf(*x0);
  int64_t n = 0;
  if (elem.isInteger(1))
    return ni.error("Range of booleans is not defined (ONNX Range takes numbers)");
  // The values go straight into the attribute's (little-endian) storage:
  // through APInt / APFloat, a Range of millions of elements took seconds.
  size_t width = elem.getIntOrFloatBitWidth() / 8;
  std::vector<char> raw;
  auto put = [&](int64_t i, const void *bytes) {
    std::memcpy(&raw[size_t(i) * width], bytes, width);
  };
  auto checkLength = [&](int64_t length) {
    n = length;
    if (failed(ni.checkType(RankedTensorType::get({n}, elem), "the Range result")))
      return failure();
    // Every value becomes a constant at compile time, from three numbers of
    // the model: a Range of hundreds of millions (allowed by the size
    // limit) would take the compiler gigabytes and fill the weights file.
    if (n > kMaxRangeLength)
      return ni.error("the Range result has " + Twine(n) + " elements; pare computes Range at " +
                      "compile time, up to " + Twine(kMaxRangeLength) + " elements");
    raw.resize(size_t(n) * width);
    return success();
  };
  if (isa<FloatType>(elem)) {
    auto start = ni.constScalarFloat(0, "Range start");
    auto limit = ni.constScalarFloat(1, "Range limit");
    auto delta = ni.constScalarFloat(2, "Range delta");
    if (failed(start) || failed(limit) || failed(delta))
      return failure();
    double s = *start, l = *limit, d = *delta;
    if (d == 0)
      return ni.error("Range delta is 0");
    double count = std::ceil((l - s) / d);
    if (!std::isfinite(count) || !std::isfinite(s))
      return ni.error("Range(" + Twine(std::to_string(s)) + ", " + Twine(std::to_string(l)) + ", " +
                      Twine(std::to_string(d)) + ") has no finite length");
    if (failed(checkLength(count <= 0 ? 0 : count > 1e18 ? INT64_MAX : int64_t(count))))
      return failure();
    const llvm::fltSemantics &sem = cast<FloatType>(elem).getFloatSemantics();
    for (int64_t i = 0; i < n; ++i) {
      // Computed in float32 like onnxruntime's float Range, then stored.
      float f = float(s + double(i) * d);
      if (elem.isF32()) {
        put(i, &f);
      } else if (elem.isF64()) {
        double wide = f;
        put(i, &wide);
      } else {
        APFloat v(f);
        bool lost;
        v.convert(sem, APFloat::rmNearestTiesToEven, &lost);
        uint64_t bits = v.bitcastToAPInt().getZExtValue();
        put(i, &bits);
      }
    }
  } else {
    auto start = ni.constScalarInt(0, "Range start");
    auto limit = ni.constScalarInt(1, "Range limit");
    auto delta = ni.constScalarInt(2, "Range delta");
    if (failed(start) || failed(limit) || failed(delta))
      return failure();
    __int128 s = *start, l = *limit, d = *delta;
    if (d == 0)
      return ni.error("Range delta is 0");
    __int128 count = d > 0 ? (l - s + d - 1) / d : (s - l - d - 1) / -d;
    if (failed(checkLength(count <= 0 ? 0 : count > INT64_MAX ? INT64_MAX : int64_t(count))))
      return failure();
    for (int64_t i = 0; i < n; ++i) {
      uint64_t bits = uint64_t(int64_t(s + i * d)); // (the low bytes: the element's width)
      put(i, &bits);
    }
  }
  auto type = RankedTensorType::get({n}, elem);
  ni.setOutput(0, ni.constant(DenseElementsAttr::getFromRawBuffer(type, raw)));
  return success();
}

/// Tile(x, reps): reshape x to interleave size-1 dims, expand them to the
/// repeats, reshape back. No dedicated kernel needed.
LogicalResult importTile(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  auto reps = ni.constInts(1, "Tile repeats");
  if (failed(reps))
    return failure();
  auto in = shapeOf(*x);
  if (reps->size() != in.size())
    return ni.error("Tile repeats has " + Twine(reps->size()) + " entries for rank " +
                    Twine(in.size()));
  std::vector<int64_t> inter, expanded, out;
  for (size_t d = 0; d < in.size(); ++d) {
    if ((*reps)[d] < 0)
      return ni.error("Tile repeats must be non-negative");
    inter.push_back(1);
    inter.push_back(in[d]);
    expanded.push_back((*reps)[d]);
    expanded.push_back(in[d]);
    int64_t tiled = 0;
    if (__builtin_mul_overflow((*reps)[d], in[d], &tiled))
      return ni.error("Tile repeats " + Twine((*reps)[d]) + " times dim " + Twine(d) + " (" +
                      Twine(in[d]) + ") overflow 64 bits");
    out.push_back(tiled);
  }
  Value r = ni.reshape(*x, inter);
  auto e = ni.create<pare::ExpandOp>(
      {r}, {ni.named("shape", ni.builder().getDenseI64ArrayAttr(expanded))});
  if (failed(e))
    return failure();
  ni.setOutput(0, ni.reshape(*e, out));
  return success();
}

/// Resize (10, 11, 13, 18, 19) and Upsample (7, 9) as pare.resize: the
/// output size and the scale of every dim from `scales` or `sizes` (with
/// opset 18's axes and keep_aspect_ratio_policy, as the ONNX reference
/// computes them), and the sampling attributes. Resize-10 and Upsample
/// predate coordinate_transformation_mode and nearest_mode: onnxruntime
/// samples them asymmetrically, rounding nearest coordinates down (up where
/// the dim shrinks).
LogicalResult importResize(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  bool upsample = ni.getNode().op_type() == "Upsample";
  int opset = ni.getOpset();
  bool legacy = upsample || opset < 11;
  std::vector<int64_t> in = shapeOf(*x);
  int64_t rank = int64_t(in.size());
  std::string op = upsample ? "Upsample" : "Resize";
  std::string mode = ni.getString("mode", "nearest");
  if (mode != "nearest" && !isa<FloatType>(elemOf(*x)))
    return ni.error(op + " mode '" + mode + "' supports float tensors only");

  std::vector<double> scales, roi;
  std::vector<int64_t> sizes;
  bool haveSizes = false;
  if (upsample && opset < 9) {
    for (float s : ni.getFloats("scales"))
      scales.push_back(s);
  } else if (legacy) {
    auto s = ni.constFloats(1, op + " scales");
    if (failed(s))
      return failure();
    scales = *s;
  } else {
    // Absent scales are an empty name (opset 13+) or an empty tensor.
    if (ni.hasInput(2)) {
      auto s = ni.constFloats(2, "Resize scales");
      if (failed(s))
        return failure();
      scales = *s;
    }
    if (ni.hasInput(3)) {
      auto s = ni.constInts(3, "Resize sizes");
      if (failed(s))
        return failure();
      sizes = *s;
      haveSizes = true;
    }
    if (!scales.empty() && haveSizes)
      return ni.error("Resize has both scales and sizes; ONNX allows one of them");
    if (scales.empty() && !haveSizes)
      return ni.error("Resize needs scales or sizes");
  }

  // axes (opset 18): scales / sizes / roi name only these dims.
  std::vector<int64_t> axes;
  if (opset >= 18 && !legacy && ni.hasAttr("axes")) {
    for (int64_t a : ni.getInts("axes")) {
      auto n = normAxis(ni, a, rank);
      if (failed(n))
        return failure();
      if (llvm::is_contained(axes, *n))
        return ni.error("Resize axes repeat axis " + Twine(a));
      axes.push_back(*n);
    }
  } else {
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  size_t given = haveSizes ? sizes.size() : scales.size();
  if (given != axes.size())
    return ni.error(op + " has " + Twine(given) + (haveSizes ? " sizes" : " scales") + " for " +
                    Twine(axes.size()) + " axes");

  std::vector<double> fullScale(rank, 1.0);
  std::vector<int64_t> out(in);
  std::string policy = opset >= 18 && !legacy ? ni.getString("keep_aspect_ratio_policy", "stretch")
                                              : std::string("stretch");
  if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller")
    return ni.error("Resize keep_aspect_ratio_policy '" + policy + "' is unknown");
  if (haveSizes) {
    for (size_t i = 0; i < axes.size(); ++i) {
      int64_t d = axes[i];
      if (sizes[i] < 0)
        return ni.error("Resize sizes must not be negative");
      if (in[d] == 0)
        return ni.error("Resize sizes cannot scale an empty dim");
      out[d] = sizes[i];
      fullScale[d] = double(sizes[i]) / double(in[d]);
    }
    if (policy != "stretch") {
      double s = fullScale[axes[0]];
      for (int64_t d : axes)
        s = policy == "not_larger" ? std::min(s, fullScale[d]) : std::max(s, fullScale[d]);
      for (int64_t d : axes) {
        fullScale[d] = s;
        // The scale of another axis can be large: bound it before the cast.
        double o = s * double(in[d]) + 0.5;
        if (o > double(std::numeric_limits<int32_t>::max()))
          return ni.error(op + " output dim " + Twine(d) + " is too large");
        out[d] = int64_t(o);
      }
    }
  } else {
    for (size_t i = 0; i < axes.size(); ++i) {
      int64_t d = axes[i];
      if (!(scales[i] > 0) || !std::isfinite(scales[i]))
        return ni.error(op + " scales must be positive and finite");
      double o = std::floor(scales[i] * double(in[d]));
      if (o > double(std::numeric_limits<int32_t>::max()))
        return ni.error(op + " output dim " + Twine(d) + " is too large");
      fullScale[d] = scales[i];
      out[d] = int64_t(o);
    }
  }

  std::string ctm = legacy ? "asymmetric"
                           : ni.getString("coordinate_transformation_mode", "half_pixel");
  if (ctm == "half_pixel_symmetric" && opset < 19)
    return ni.error("Resize coordinate_transformation_mode 'half_pixel_symmetric' needs opset 19");
  if (ctm == "tf_half_pixel_for_nn" && opset >= 18)
    return ni.error("Resize coordinate_transformation_mode 'tf_half_pixel_for_nn' was removed in "
                    "opset 18");
  if (ctm == "tf_crop_and_resize") {
    auto r = ni.constFloats(1, "Resize roi");
    if (failed(r))
      return failure();
    if (r->size() != 2 * axes.size())
      return ni.error("Resize roi has " + Twine(r->size()) + " values for " + Twine(axes.size()) +
                      " axes (starts, then ends)");
    roi.assign(rank, 0.0);
    roi.resize(2 * rank, 1.0);
    for (size_t i = 0; i < axes.size(); ++i) {
      roi[axes[i]] = (*r)[i];
      roi[rank + axes[i]] = (*r)[axes.size() + i];
    }
  }
  std::string nearestMode =
      legacy ? "simple" : ni.getString("nearest_mode", "round_prefer_floor");
  double cubicA = legacy ? -0.75 : ni.getFloat("cubic_coeff_a", -0.75f);
  bool excludeOutside = !legacy && ni.getInt("exclude_outside", 0) != 0;
  double extrapolation = legacy ? 0.0 : ni.getFloat("extrapolation_value", 0.0f);
  bool antialias = opset >= 18 && !legacy && ni.getInt("antialias", 0) != 0;

  auto &b = ni.builder();
  return bind(
      ni, ni.create<pare::ResizeOp>(
              {*x}, {ni.named("sizes", b.getDenseI64ArrayAttr(out)),
                     ni.named("scales", b.getDenseF64ArrayAttr(fullScale)),
                     ni.named("mode", b.getStringAttr(mode)),
                     ni.named("coordinate_transformation_mode", b.getStringAttr(ctm)),
                     ni.named("nearest_mode", b.getStringAttr(nearestMode)),
                     ni.named("cubic_coeff_a", b.getF64FloatAttr(cubicA)),
                     ni.named("exclude_outside", b.getBoolAttr(excludeOutside)),
                     ni.named("antialias", b.getBoolAttr(antialias)),
                     ni.named("roi", b.getDenseF64ArrayAttr(roi)),
                     ni.named("extrapolation_value", b.getF64FloatAttr(extrapolation))}));
}

} // namespace

void registerTensorHandlers() {
  for (int v : {1, 9, 11, 12, 13, 19, 21})
    registerHandler("Constant", v, importConstant);
  for (int v : {1, 13, 14, 16, 19, 21})
    registerHandler("Identity", v, importIdentity);
  for (int v : {7, 10, 12, 13})
    registerHandler("Dropout", v, importIdentity);
  for (int v : {5, 13, 14, 19, 21})
    registerHandler("Reshape", v, importReshape);
  for (int v : {1, 9, 11, 13, 21})
    registerHandler("Flatten", v, importFlatten);
  for (int v : {1, 11, 13, 21}) {
    registerHandler("Squeeze", v, importSqueeze);
    registerHandler("Unsqueeze", v, importUnsqueeze);
  }
  for (int v : {1, 13, 21})
    registerHandler("Transpose", v, importTranspose);
  for (int v : {4, 11, 13})
    registerHandler("Concat", v, importConcat);
  for (int v : {1, 10, 11, 13})
    registerHandler("Slice", v, importSlice);
  for (int v : {2, 11, 13, 18})
    registerHandler("Split", v, importSplit);
  for (int v : {2, 11, 13, 18, 19, 21})
    registerHandler("Pad", v, importPad);
  for (int v : {1, 11, 13})
    registerHandler("Gather", v, importGather);
  for (int v : {11, 13})
    registerHandler("GatherElements", v, importGatherElements);
  for (int v : {11, 13, 16, 18})
    registerHandler("ScatterND", v, importScatterND);
  for (int v : {6, 9, 13, 19, 21})
    registerHandler("Cast", v, importCast);
  for (int v : {8, 13})
    registerHandler("Expand", v, importExpand);
  for (int v : {15, 19, 21})
    registerHandler("CastLike", v, importCastLike);
  registerHandler("Trilu", 14, importTrilu);
  for (int v : {1, 13, 15, 19, 21})
    registerHandler("Shape", v, importShape);
  for (int v : {1, 13, 19, 21})
    registerHandler("Size", v, importSize);
  for (int v : {9, 20, 21})
    registerHandler("ConstantOfShape", v, importConstantOfShape);
  registerHandler("Range", 11, importRange);
  for (int v : {6, 13})
    registerHandler("Tile", v, importTile);
  for (int v : {10, 11, 13, 18, 19})
    registerHandler("Resize", v, importResize);
  for (int v : {7, 9})
    registerHandler("Upsample", v, importResize);
}

} // namespace pare::onnx_frontend
