//===- HandlersNN.cpp - ONNX neural-network op handlers -------------------===//
//
// Conv, pooling, normalisation, softmax, reductions. 1-D convolution and
// pooling are imported as 2-D ops over a height of 1.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/HandlerUtils.h"

using namespace mlir;

namespace pare::onnx_frontend {

/// The `pads` attribute (begins then ends, n spatial dims; zeros when absent)
/// into begin / end, refusing a wrong length or negative pads at the node.
static LogicalResult explicitPads(NodeImporter &ni, size_t n, std::vector<int64_t> &begin,
                                  std::vector<int64_t> &end) {
  std::vector<int64_t> pads = ni.getInts("pads", std::vector<int64_t>(2 * n, 0));
  if (pads.size() != 2 * n)
    return ni.error("pads has " + Twine(pads.size()) + " entries, expected " + Twine(2 * n));
  for (size_t i = 0; i < n; ++i) {
    begin[i] = pads[i];
    end[i] = pads[n + i];
    if (begin[i] < 0 || end[i] < 0)
      return ni.error("negative pads are not supported");
  }
  return success();
}

FailureOr<std::vector<int64_t>> windowPads(NodeImporter &ni, const std::vector<int64_t> &in,
                                           const std::vector<int64_t> &kernel,
                                           const std::vector<int64_t> &strides,
                                           const std::vector<int64_t> &dilations) {
  size_t n = kernel.size();
  std::string autoPad = ni.getString("auto_pad", "NOTSET");
  std::vector<int64_t> begin(n, 0), end(n, 0);
  if (autoPad == "NOTSET") {
    if (failed(explicitPads(ni, n, begin, end)))
      return failure();
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (size_t i = 0; i < n; ++i) {
      int64_t out = (in[i] + strides[i] - 1) / strides[i];
      int64_t total =
          std::max<int64_t>(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - in[i]);
      begin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      end[i] = total - begin[i];
    }
  } else if (autoPad != "VALID") {
    return ni.error("unknown auto_pad '" + autoPad + "'");
  }
  // 2-D order: top, left, bottom, right.
  if (n == 1)
    return std::vector<int64_t>{0, begin[0], 0, end[0]};
  return std::vector<int64_t>{begin[0], begin[1], end[0], end[1]};
}

namespace {

/// Spatial attributes of a window op, widened to 2-D.
struct Window {
  std::vector<int64_t> kernel, strides, dilations, pads;
  bool oneD = false;
};

FailureOr<Window> windowAttrs(NodeImporter &ni, const std::vector<int64_t> &x,
                              std::vector<int64_t> kernel) {
  size_t n = x.size() - 2;
  if (n != 1 && n != 2)
    return ni.error(Twine(n) + "-D " + ni.getNode().op_type() +
                    " is not supported (pare supports 1-D and 2-D)");
  if (kernel.size() != n)
    return ni.error("kernel_shape has " + Twine(kernel.size()) + " entries for " + Twine(n) +
                    " spatial dims");
  Window w;
  w.strides = ni.getInts("strides", std::vector<int64_t>(n, 1));
  w.dilations = ni.getInts("dilations", std::vector<int64_t>(n, 1));
  if (w.strides.size() != n || w.dilations.size() != n)
    return ni.error("strides / dilations have the wrong number of entries");
  // The generated kernels take every window parameter as an int, and the
  // padded extent and the dilated kernel must fit one too.
  const int64_t maxInt = INT32_MAX;
  for (size_t i = 0; i < n; ++i) {
    if (w.strides[i] < 1 || w.dilations[i] < 1 || kernel[i] < 1)
      return ni.error("kernel, strides and dilations must be positive");
    if (w.strides[i] > maxInt || w.dilations[i] > maxInt || kernel[i] > maxInt ||
        (kernel[i] - 1) > (maxInt - 1) / w.dilations[i])
      return ni.error("kernel " + Twine(kernel[i]) + ", stride " + Twine(w.strides[i]) +
                      " or dilation " + Twine(w.dilations[i]) +
                      " does not fit the int the generated kernels take");
  }
  std::vector<int64_t> spatial(x.begin() + 2, x.end());
  auto pads = windowPads(ni, spatial, kernel, w.strides, w.dilations);
  if (failed(pads))
    return failure();
  for (size_t i = 0; i < n; ++i) {
    int64_t before = n == 1 ? (*pads)[1] : (*pads)[i];
    int64_t after = n == 1 ? (*pads)[3] : (*pads)[2 + i];
    if (before > maxInt || after > maxInt || spatial[i] + before + after > maxInt)
      return ni.error("pads " + Twine(before) + " and " + Twine(after) + " around a dim of " +
                      Twine(spatial[i]) + " do not fit the int the generated kernels take");
  }
  w.pads = *pads;
  w.kernel = kernel;
  if (n == 1) {
    w.oneD = true;
    w.kernel.insert(w.kernel.begin(), 1);
    w.strides.insert(w.strides.begin(), 1);
    w.dilations.insert(w.dilations.begin(), 1);
  }
  return w;
}

} // namespace

FailureOr<Value> buildConv(NodeImporter &ni, Value x, Value w, Value bias) {
  auto xs = shapeOf(x), ws = shapeOf(w);
  if (xs.size() < 3 || ws.size() != xs.size()) {
    (void)ni.error("Conv expects input and weight of the same rank >= 3, got " +
                   shape::toString(xs) + " and " + shape::toString(ws));
    return failure();
  }
  std::vector<int64_t> kernel(ws.begin() + 2, ws.end());
  if (ni.hasAttr("kernel_shape") && ni.getInts("kernel_shape") != kernel) {
    (void)ni.error("kernel_shape attribute disagrees with the weight shape " + shape::toString(ws));
    return failure();
  }
  auto win = windowAttrs(ni, xs, kernel);
  if (failed(win))
    return failure();
  Value input = x, weight = w;
  if (win->oneD) {
    input = ni.reshape(input, {xs[0], xs[1], 1, xs[2]});
    weight = ni.reshape(weight, {ws[0], ws[1], 1, ws[2]});
  }
  SmallVector<Value> operands{input, weight};
  if (bias)
    operands.push_back(bias);
  auto &b = ni.builder();
  auto conv = ni.create<pare::ConvOp>(
      operands, {ni.named("strides", b.getDenseI64ArrayAttr(win->strides)),
                 ni.named("dilations", b.getDenseI64ArrayAttr(win->dilations)),
                 ni.named("pads", b.getDenseI64ArrayAttr(win->pads)),
                 ni.named("group", b.getI64IntegerAttr(ni.getInt("group", 1)))});
  if (failed(conv))
    return failure();
  Value out = *conv;
  if (win->oneD) {
    auto os = shapeOf(out);
    out = ni.reshape(out, {os[0], os[1], os[3]});
  }
  return out;
}

namespace {

LogicalResult importConv(NodeImporter &ni) {
  auto x = need(ni, 0), w = need(ni, 1);
  if (failed(x) || failed(w))
    return failure();
  return bind(ni, buildConv(ni, *x, *w, ni.input(2)));
}

/// ConvTranspose: auto_pad and output_shape resolve, as onnxruntime does, into
/// pads (cropped from the full output) and output_padding (rows / columns
/// added at the end); 1-D goes through 2-D over a height of 1.
LogicalResult importConvTranspose(NodeImporter &ni) {
  auto x = need(ni, 0), w = need(ni, 1);
  if (failed(x) || failed(w))
    return failure();
  Value bias = ni.input(2);
  auto xs = shapeOf(*x), ws = shapeOf(*w);
  if (xs.size() < 3 || ws.size() != xs.size())
    return ni.error("ConvTranspose expects input and weight of the same rank >= 3, got " +
                    shape::toString(xs) + " and " + shape::toString(ws));
  size_t n = xs.size() - 2;
  if (n > 2)
    return ni.error(Twine(n) + "-D ConvTranspose is not supported (pare supports 1-D and 2-D)");
  std::vector<int64_t> kernel(ws.begin() + 2, ws.end());
  if (ni.hasAttr("kernel_shape") && ni.getInts("kernel_shape") != kernel)
    return ni.error("kernel_shape attribute disagrees with the weight shape " +
                    shape::toString(ws));
  int64_t group = ni.getInt("group", 1);
  if (group < 1 || xs[1] % group != 0 || ws[0] != xs[1])
    return ni.error("ConvTranspose weight " + shape::toString(ws) + " does not match an input of " +
                    Twine(xs[1]) + " channels with group " + Twine(group) +
                    " (expected [C_in, C_out / group, k...])");
  auto strides = ni.getInts("strides", std::vector<int64_t>(n, 1));
  auto dilations = ni.getInts("dilations", std::vector<int64_t>(n, 1));
  auto outPad = ni.getInts("output_padding", std::vector<int64_t>(n, 0));
  if (strides.size() != n || dilations.size() != n || outPad.size() != n)
    return ni.error("strides / dilations / output_padding have the wrong number of entries");
  // The generated kernels take every window parameter as an int.
  const int64_t maxInt = INT32_MAX;
  for (size_t i = 0; i < n; ++i) {
    if (strides[i] < 1 || dilations[i] < 1 || kernel[i] < 1 || outPad[i] < 0)
      return ni.error("kernel, strides and dilations must be positive and output_padding "
                      "non-negative");
    if (strides[i] > maxInt || dilations[i] > maxInt || kernel[i] > maxInt ||
        outPad[i] > maxInt || (kernel[i] - 1) > (maxInt - 1) / dilations[i] ||
        xs[2 + i] - 1 > (maxInt - 1) / strides[i])
      return ni.error("kernel " + Twine(kernel[i]) + ", stride " + Twine(strides[i]) +
                      " or dilation " + Twine(dilations[i]) +
                      " does not fit the int the generated kernels take");
  }
  std::string autoPad = ni.getString("auto_pad", "NOTSET");
  if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" &&
      autoPad != "SAME_LOWER")
    return ni.error("unknown auto_pad '" + autoPad + "'");
  std::vector<int64_t> begin(n, 0), end(n, 0);
  std::vector<int64_t> outShape;
  if (ni.hasAttr("output_shape")) {
    outShape = ni.getInts("output_shape");
    // The spatial sizes, or (as onnxruntime accepts) the whole output shape.
    if (outShape.size() == n + 2)
      outShape.erase(outShape.begin(), outShape.begin() + 2);
    if (outShape.size() != n)
      return ni.error("output_shape has " + Twine(ni.getInts("output_shape").size()) +
                      " entries, expected " + Twine(n));
    // output_shape determines the pads; onnxruntime ignores a pads attribute.
    (void)ni.getInts("pads");
  } else if (autoPad == "NOTSET") { // (the importer refuses pads with auto_pad)
    if (failed(explicitPads(ni, n, begin, end)))
      return failure();
  }
  for (size_t i = 0; i < n; ++i) {
    int64_t full = strides[i] * (xs[2 + i] - 1) + outPad[i] + dilations[i] * (kernel[i] - 1) + 1;
    int64_t target = 0;
    if (!outShape.empty())
      target = outShape[i];
    else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER")
      target = xs[2 + i] * strides[i];
    else
      continue;
    if (target < 1 || target > maxInt)
      return ni.error("output size " + Twine(target) + " is out of range");
    // The padding that crops the full output to the target: SAME_UPPER puts
    // the odd one at the end, everything else at the beginning. An
    // output_shape beyond the full output extends it at the end (nothing
    // reaches those positions but the bias); auto_pad never does.
    int64_t total = full - target;
    if (total >= 0) {
      begin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      end[i] = total - begin[i];
    } else if (!outShape.empty()) {
      outPad[i] -= total;
    }
  }
  Value input = *x, weight = *w;
  std::vector<int64_t> pads;
  if (n == 1) {
    input = ni.reshape(input, {xs[0], xs[1], 1, xs[2]});
    weight = ni.reshape(weight, {ws[0], ws[1], 1, ws[2]});
    strides.insert(strides.begin(), 1);
    dilations.insert(dilations.begin(), 1);
    outPad.insert(outPad.begin(), 0);
    pads = {0, begin[0], 0, end[0]};
  } else {
    pads = {begin[0], begin[1], end[0], end[1]};
  }
  SmallVector<Value> operands{input, weight};
  if (bias)
    operands.push_back(bias);
  auto &b = ni.builder();
  auto conv = ni.create<pare::ConvTransposeOp>(
      operands, {ni.named("strides", b.getDenseI64ArrayAttr(strides)),
                 ni.named("dilations", b.getDenseI64ArrayAttr(dilations)),
                 ni.named("pads", b.getDenseI64ArrayAttr(pads)),
                 ni.named("output_padding", b.getDenseI64ArrayAttr(outPad)),
                 ni.named("group", b.getI64IntegerAttr(group))});
  if (failed(conv))
    return failure();
  Value out = *conv;
  if (n == 1) {
    auto os = shapeOf(out);
    out = ni.reshape(out, {os[0], os[1], os[3]});
  }
  ni.setOutput(0, out);
  return success();
}

template <typename PoolOp> LogicalResult importPool(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  if (ni.outputUsed(1))
    return ni.error("MaxPool's Indices output is not supported");
  auto xs = shapeOf(*x);
  if (xs.size() < 3)
    return ni.error("pooling expects a rank >= 3 input, got " + shape::toString(xs));
  auto win = windowAttrs(ni, xs, ni.getInts("kernel_shape"));
  if (failed(win))
    return failure();
  Value input = *x;
  if (win->oneD)
    input = ni.reshape(input, {xs[0], xs[1], 1, xs[2]});
  auto &b = ni.builder();
  auto pool = ni.create<PoolOp>(
      {input},
      {ni.named("kernel_shape", b.getDenseI64ArrayAttr(win->kernel)),
       ni.named("strides", b.getDenseI64ArrayAttr(win->strides)),
       ni.named("dilations", b.getDenseI64ArrayAttr(win->dilations)),
       ni.named("pads", b.getDenseI64ArrayAttr(win->pads)),
       ni.named("ceil_mode", b.getBoolAttr(ni.getInt("ceil_mode", 0) != 0)),
       ni.named("count_include_pad", b.getBoolAttr(ni.getInt("count_include_pad", 0) != 0))});
  if (failed(pool))
    return failure();
  Value out = *pool;
  if (win->oneD) {
    auto os = shapeOf(out);
    out = ni.reshape(out, {os[0], os[1], os[3]});
  }
  ni.setOutput(0, out);
  return success();
}

template <typename OpTy> LogicalResult importGlobalPool(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  return bind(ni, ni.create<OpTy>({*x}));
}

LogicalResult importBatchNorm(NodeImporter &ni) {
  if (ni.getInt("training_mode", 0) != 0 || ni.outputUsed(1) || ni.outputUsed(2))
    return ni.error("BatchNormalization in training mode is not supported");
  SmallVector<Value> ops;
  bool allConst = true;
  for (size_t i = 0; i < 5; ++i) {
    auto v = need(ni, i);
    if (failed(v))
      return failure();
    ops.push_back(*v);
    allConst &= i == 0 || bool(ni.constInput(i));
  }
  float eps = ni.getFloat("epsilon", 1e-5f);
  if (!allConst) {
    // Parameters computed at run time: (x - mean) * scale / sqrt(var + eps) + bias,
    // with the [C] parameters reshaped to broadcast over dim 1.
    auto xs = shapeOf(ops[0]);
    if (xs.size() < 2)
      return ni.error("BatchNormalization input must have rank >= 2");
    std::vector<int64_t> pshape(xs.size() - 1, 1);
    pshape[0] = xs[1];
    SmallVector<Value> p;
    for (size_t i = 1; i < 5; ++i) {
      if (shapeOf(ops[i]) != std::vector<int64_t>{xs[1]})
        return ni.error("BatchNormalization parameter " + Twine(i) + " must have shape [" +
                        Twine(xs[1]) + "]");
      p.push_back(ni.reshape(ops[i], pshape));
    }
    Value epsC = ni.constant(DenseElementsAttr::get(
        RankedTensorType::get({}, elemOf(ops[0])), FloatAttr::get(elemOf(ops[0]), eps).getValue()));
    auto ve = ni.create<pare::AddOp>({p[3], epsC});
    if (failed(ve))
      return failure();
    auto sd = ni.create<pare::SqrtOp>({*ve});
    auto xc = ni.create<pare::SubOp>({ops[0], p[2]});
    if (failed(sd) || failed(xc))
      return failure();
    auto norm = ni.create<pare::DivOp>({*xc, *sd});
    if (failed(norm))
      return failure();
    auto scaled = ni.create<pare::MulOp>({*norm, p[0]});
    if (failed(scaled))
      return failure();
    return bind(ni, ni.create<pare::AddOp>({*scaled, p[1]}));
  }
  return bind(ni, ni.create<pare::BatchNormOp>(
                      ops, {ni.named("epsilon", ni.builder().getF32FloatAttr(eps))}));
}

LogicalResult importLayerNorm(NodeImporter &ni) {
  auto x = need(ni, 0), scale = need(ni, 1);
  if (failed(x) || failed(scale))
    return failure();
  int64_t rank = shapeOf(*x).size();
  auto axis = normAxis(ni, ni.getInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  if (ni.outputUsed(1) || ni.outputUsed(2)) {
    // Mean and InvStdDev (shapes keep the normalised dims as 1): computed
    // beside the fused layer_norm that gives Y.
    if (!isa<FloatType>(elemOf(*x)))
      return ni.error("LayerNormalization needs a float input");
    auto &b = ni.builder();
    std::vector<int64_t> axes;
    for (int64_t d = *axis; d < rank; ++d)
      axes.push_back(d);
    SmallVector<NamedAttribute> red{ni.named("axes", b.getDenseI64ArrayAttr(axes)),
                                    ni.named("keepdims", b.getBoolAttr(true))};
    auto mean = ni.create<pare::ReduceMeanOp>({*x}, red);
    if (failed(mean))
      return failure();
    auto centered = ni.create<pare::SubOp>({*x, *mean});
    if (failed(centered))
      return failure();
    auto square = ni.create<pare::MulOp>({*centered, *centered});
    if (failed(square))
      return failure();
    auto var = ni.create<pare::ReduceMeanOp>({*square}, red);
    if (failed(var))
      return failure();
    Value eps = ni.constant(DenseElementsAttr::get(
        RankedTensorType::get({}, elemOf(*x)),
        FloatAttr::get(elemOf(*x), ni.getFloat("epsilon", 1e-5f)).getValue()));
    auto varEps = ni.create<pare::AddOp>({*var, eps});
    if (failed(varEps))
      return failure();
    auto stddev = ni.create<pare::SqrtOp>({*varEps});
    if (failed(stddev))
      return failure();
    auto inv = ni.create<pare::ReciprocalOp>({*stddev});
    if (failed(inv))
      return failure();
    ni.setOutput(1, *mean);
    ni.setOutput(2, *inv);
  }
  SmallVector<Value> ops{*x, *scale};
  if (Value bias = ni.input(2))
    ops.push_back(bias);
  auto &b = ni.builder();
  return bind(ni,
              ni.create<pare::LayerNormOp>(
                  ops, {ni.named("axis", b.getI64IntegerAttr(*axis)),
                        ni.named("epsilon", b.getF32FloatAttr(ni.getFloat("epsilon", 1e-5f)))}));
}

/// Softmax / LogSoftmax. Before opset 13 the input is coerced to 2-D at
/// `axis` (default 1) and normalised over the flattened tail.
template <typename OpTy> LogicalResult importSoftmax(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  auto xs = shapeOf(*x);
  int64_t rank = xs.size();
  bool legacy = ni.getOpset() < 13;
  auto axis = normAxis(ni, ni.getInt("axis", legacy ? 1 : -1), rank);
  if (failed(axis))
    return failure();
  auto &b = ni.builder();
  if (!legacy || *axis == rank - 1)
    return bind(ni, ni.create<OpTy>({*x}, {ni.named("axis", b.getI64IntegerAttr(*axis))}));
  int64_t outer = shape::numElements({xs.begin(), xs.begin() + *axis});
  int64_t inner = shape::numElements({xs.begin() + *axis, xs.end()});
  Value flat = ni.reshape(*x, {outer, inner});
  auto sm = ni.create<OpTy>({flat}, {ni.named("axis", b.getI64IntegerAttr(1))});
  if (failed(sm))
    return failure();
  ni.setOutput(0, ni.reshape(*sm, xs));
  return success();
}

/// Reductions: axes from the attribute (before the opset that moved them to
/// an input) or from input 1.
template <typename OpTy> LogicalResult importReduce(NodeImporter &ni, int axesInputSince) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  int64_t rank = shapeOf(*x).size();
  std::vector<int64_t> axes;
  if (ni.getOpset() >= axesInputSince) {
    if (ni.hasInput(1)) {
      auto a = ni.constInts(1, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
  } else {
    if (ni.hasInput(1))
      return ni.error(ni.getNode().op_type() + " at opset " + Twine(ni.getOpset()) +
                      " takes its axes as an attribute; an axes input needs opset " +
                      Twine(axesInputSince));
    axes = ni.getInts("axes");
  }
  if (axes.empty()) {
    if (ni.getInt("noop_with_empty_axes", 0)) {
      ni.setOutput(0, *x);
      return success();
    }
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  for (auto &a : axes) {
    auto n = normAxis(ni, a, rank);
    if (failed(n))
      return failure();
    a = *n;
  }
  std::sort(axes.begin(), axes.end());
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  auto &b = ni.builder();
  SmallVector<NamedAttribute> attrs{
      ni.named("axes", b.getDenseI64ArrayAttr(axes)),
      ni.named("keepdims", b.getBoolAttr(ni.getInt("keepdims", 1) != 0))};
  if (elemOf(*x).isInteger(1)) {
    // Boolean max / min (any / all): reduce as int64, convert back.
    auto wide = ni.create<pare::CastOp>({*x}, {ni.named("to", TypeAttr::get(b.getI64Type()))});
    if (failed(wide))
      return failure();
    auto r = ni.create<OpTy>({*wide}, attrs);
    if (failed(r))
      return failure();
    return bind(ni, ni.create<pare::CastOp>({*r}, {ni.named("to", TypeAttr::get(b.getI1Type()))}));
  }
  return bind(ni, ni.create<OpTy>({*x}, attrs));
}

template <typename OpTy> LogicalResult importArgReduce(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  auto axis = normAxis(ni, ni.getInt("axis", 0), shapeOf(*x).size());
  if (failed(axis))
    return failure();
  auto &b = ni.builder();
  return bind(ni,
              ni.create<OpTy>({*x}, {ni.named("axis", b.getI64IntegerAttr(*axis)),
                                     ni.named("keepdims", b.getBoolAttr(ni.getInt("keepdims", 1))),
                                     ni.named("select_last_index",
                                              b.getBoolAttr(ni.getInt("select_last_index", 0)))}));
}

} // namespace

void registerNNHandlers() {
  for (int v : {1, 11})
    registerHandler("Conv", v, importConv);
  for (int v : {1, 11})
    registerHandler("ConvTranspose", v, importConvTranspose);
  for (int v : {1, 8, 10, 11, 12})
    registerHandler("MaxPool", v, importPool<pare::MaxPoolOp>);
  for (int v : {1, 7, 10, 11, 19})
    registerHandler("AveragePool", v, importPool<pare::AveragePoolOp>);
  registerHandler("GlobalAveragePool", 1, importGlobalPool<pare::GlobalAveragePoolOp>);
  registerHandler("GlobalMaxPool", 1, importGlobalPool<pare::GlobalMaxPoolOp>);
  for (int v : {7, 9, 14, 15})
    registerHandler("BatchNormalization", v, importBatchNorm);
  registerHandler("LayerNormalization", 17, importLayerNorm);
  for (int v : {1, 11, 13}) {
    registerHandler("Softmax", v, importSoftmax<pare::SoftmaxOp>);
    registerHandler("LogSoftmax", v, importSoftmax<pare::LogSoftmaxOp>);
  }
  // ReduceSum moved axes to an input at opset 13, the others at 18.
  for (int v : {1, 11, 13})
    registerHandler("ReduceSum", v,
                    [](NodeImporter &ni) { return importReduce<pare::ReduceSumOp>(ni, 13); });
#define PARE_REDUCE(NAME, OP)                                                                      \
  for (int v : {1, 11, 13, 18})                                                                    \
    registerHandler(NAME, v, [](NodeImporter &ni) { return importReduce<OP>(ni, 18); });
  PARE_REDUCE("ReduceMean", pare::ReduceMeanOp)
  PARE_REDUCE("ReduceMax", pare::ReduceMaxOp)
  PARE_REDUCE("ReduceMin", pare::ReduceMinOp)
  // Opset 20 only added boolean inputs to ReduceMax / ReduceMin.
  registerHandler("ReduceMax", 20,
                  [](NodeImporter &ni) { return importReduce<pare::ReduceMaxOp>(ni, 18); });
  registerHandler("ReduceMin", 20,
                  [](NodeImporter &ni) { return importReduce<pare::ReduceMinOp>(ni, 18); });
  PARE_REDUCE("ReduceProd", pare::ReduceProdOp)
  PARE_REDUCE("ReduceL1", pare::ReduceL1Op)
  PARE_REDUCE("ReduceL2", pare::ReduceL2Op)
  PARE_REDUCE("ReduceSumSquare", pare::ReduceSumSquareOp)
  PARE_REDUCE("ReduceLogSumExp", pare::ReduceLogSumExpOp)
#undef PARE_REDUCE
  for (int v : {1, 11, 12, 13}) {
    registerHandler("ArgMax", v, importArgReduce<pare::ArgMaxOp>);
    registerHandler("ArgMin", v, importArgReduce<pare::ArgMinOp>);
  }
}

} // namespace pare::onnx_frontend
