//===- ResizeTaps.cpp - pare.resize: shape function and sampling tables ---===//
//
// The coordinate arithmetic follows the ONNX reference implementation
// (onnx/reference/ops/op_resize.py), from which the ONNX backend tests' data
// are generated: double precision, the "output width" of align_corners and
// tf_crop_and_resize is scale * input size (not the rounded output size),
// neighbours outside the input read its edge. One difference: a scale that
// comes from sizes divides as the exact ratio output / input, as onnxruntime
// (in float32) rounds nearest ties.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/IR/ResizeTaps.h"

#include "llvm/ADT/StringSwitch.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace pare;

namespace {

bool isOneOf(StringRef s, std::initializer_list<const char *> names) {
  for (const char *n : names)
    if (s == n)
      return true;
  return false;
}

/// The input coordinate of output coordinate `x`, or nullopt outside
/// tf_crop_and_resize's crop.
std::optional<double> sourceCoordinate(StringRef mode, int64_t x, int64_t inSize, int64_t outSize,
                                       double scale, double roiStart, double roiEnd) {
  double in = double(inSize), outWidth = scale * in, xd = double(x);
  // A scale that is output / input size (the model gave sizes) divides as
  // the ratio of integers it is: (x + 0.5) * 5 / 9 is exactly 2.5 at x = 4,
  // where dividing by the rounded 1.8 gives 2.4999999999999996, and a
  // nearest tie would round the other way than onnxruntime's and exact
  // arithmetic's.
  bool ratio = outSize > 0 && scale == double(outSize) / in;
  auto divide = [&](double v) { return ratio ? v * in / double(outSize) : v / scale; };
  if (ratio)
    outWidth = double(outSize);
  if (mode == "align_corners")
    return outWidth == 1 ? 0.0 : xd * (in - 1) / (outWidth - 1);
  if (mode == "asymmetric")
    return divide(xd);
  if (mode == "tf_crop_and_resize") {
    double c = outWidth == 1 ? (roiEnd - roiStart) * (in - 1) / 2
                             : xd * (roiEnd - roiStart) * (in - 1) / (outWidth - 1);
    c += roiStart * (in - 1);
    if (c < 0 || c > in - 1)
      return std::nullopt;
    return c;
  }
  if (mode == "pytorch_half_pixel")
    return outWidth == 1 ? -0.5 : divide(xd + 0.5) - 0.5;
  if (mode == "half_pixel_symmetric") {
    double adjustment = double(outSize) / outWidth;
    double offset = in / 2 * (1 - adjustment);
    return offset + divide(xd + 0.5) - 0.5;
  }
  if (mode == "tf_half_pixel_for_nn")
    return divide(xd + 0.5);
  return divide(xd + 0.5) - 0.5; // half_pixel
}

/// The nearest input coordinate (before clamping) of source coordinate `c`.
int64_t nearestIndex(StringRef mode, double c, double scale) {
  double base = std::floor(c);
  if (c == base)
    return int64_t(base);
  double ratio = c - base;
  bool up = llvm::StringSwitch<bool>(mode)
                .Case("round_prefer_floor", ratio > 0.5)
                .Case("round_prefer_ceil", ratio >= 0.5)
                .Case("floor", false)
                .Case("ceil", true)
                // Resize-10 and Upsample (onnxruntime's "simple"): ceil where
                // the dim shrinks, else floor.
                .Default(scale < 1);
  return int64_t(base) + (up ? 1 : 0);
}

/// Keys' cubic convolution kernel with parameter a.
double cubicKernel(double x, double a) {
  x = std::fabs(x);
  double x2 = x * x, x3 = x2 * x;
  if (x <= 1)
    return (a + 2) * x3 - (a + 3) * x2 + 1;
  if (x < 2)
    return a * x3 - 5 * a * x2 + 8 * a * x - 4 * a;
  return 0.0;
}

ResizeDim sampleDim(ResizeOp op, size_t d, int64_t inSize) {
  ResizeDim r;
  r.inSize = inSize;
  r.outSize = op.getSizes()[d];
  double scale = op.getScales()[d];
  size_t rank = op.getSizes().size();
  ArrayRef<double> roi = op.getRoi();
  double roiStart = roi.empty() ? 0.0 : roi[d], roiEnd = roi.empty() ? 1.0 : roi[rank + d];
  StringRef ctm = op.getCoordinateTransformationMode(), mode = op.getMode();
  bool nearest = mode == "nearest", cubic = mode == "cubic";
  // Taps k in [start, 1 - start] around the coordinate's integer part: 2
  // for linear, 4 for cubic, more where an antialias filter shrinks a dim.
  double filterScale = op.getAntialias() ? std::min(scale, 1.0) : 1.0;
  int64_t start = nearest ? 0 : int64_t(std::floor((cubic ? -2.0 : -1.0) / filterScale)) + 1;
  r.taps = nearest ? 1 : 2 - 2 * start;
  double a = op.getCubicCoeffA().convertToDouble();
  bool identity = r.inSize == r.outSize;
  // onnxruntime copies a dim of scale 1 in nearest mode, which differs from
  // sampling it only for tf_half_pixel_for_nn (x + 0.5 would round up).
  if (nearest && identity && scale == 1 && ctm != "tf_crop_and_resize") {
    r.taps = 0;
    return r;
  }
  for (int64_t j = 0; j < r.outSize; ++j) {
    std::optional<double> c = sourceCoordinate(ctm, j, inSize, r.outSize, scale, roiStart, roiEnd);
    if (!c) {
      r.index.insert(r.index.end(), r.taps, -1);
      r.weight.insert(r.weight.end(), r.taps, 0.0f);
      identity = false;
      continue;
    }
    auto clampIndex = [&](int64_t i) { return int32_t(std::clamp<int64_t>(i, 0, inSize - 1)); };
    if (nearest) {
      int32_t i = clampIndex(nearestIndex(op.getNearestMode(), *c, scale));
      r.index.push_back(i);
      r.weight.push_back(1.0f);
      identity &= i == j;
      continue;
    }
    // The reference's ratio is in (0, 1]: an integer coordinate is the
    // right-hand neighbour of its left one.
    double base = std::floor(*c);
    if (base == *c)
      base -= 1;
    double ratio = *c - base;
    std::vector<double> w(r.taps);
    if (!op.getAntialias() && !cubic) {
      w = {1 - ratio, ratio};
    } else if (!op.getAntialias()) {
      w = {((a * (ratio + 1) - 5 * a) * (ratio + 1) + 8 * a) * (ratio + 1) - 4 * a,
           ((a + 2) * ratio - (a + 3)) * ratio * ratio + 1,
           ((a + 2) * (1 - ratio) - (a + 3)) * (1 - ratio) * (1 - ratio) + 1,
           ((a * ((1 - ratio) + 1) - 5 * a) * ((1 - ratio) + 1) + 8 * a) * ((1 - ratio) + 1) -
               4 * a};
    } else {
      double sum = 0;
      for (int64_t t = 0; t < r.taps; ++t) {
        double x = (double(start + t) - ratio) * filterScale;
        w[t] = cubic ? cubicKernel(x, a) : std::clamp(1 - std::fabs(x), 0.0, 1.0);
        sum += w[t];
      }
      for (double &v : w)
        v /= sum;
    }
    if (op.getExcludeOutside()) {
      double sum = 0;
      for (int64_t t = 0; t < r.taps; ++t) {
        int64_t i = int64_t(base) + start + t;
        if (i < 0 || i >= inSize)
          w[t] = 0;
        sum += w[t];
      }
      if (sum != 0)
        for (double &v : w)
          v /= sum;
    }
    double onSelf = 0, elsewhere = 0;
    for (int64_t t = 0; t < r.taps; ++t) {
      int32_t i = clampIndex(int64_t(base) + start + t);
      r.index.push_back(i);
      r.weight.push_back(float(w[t]));
      (i == j ? onSelf : elsewhere) += std::fabs(w[t]);
    }
    identity &= std::fabs(onSelf - 1) < 1e-12 && elsewhere < 1e-12;
  }
  if (identity) {
    r.taps = 0;
    r.index.clear();
    r.weight.clear();
  }
  return r;
}

} // namespace

LogicalResult ResizeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         ResizeOp::Adaptor a, SmallVectorImpl<Type> &types) {
  auto fail = [&](const Twine &msg) { return emitOptionalError(loc, "resize: " + msg); };
  auto in = cast<RankedTensorType>(a.getInput().getType());
  size_t rank = in.getRank();
  ArrayRef<int64_t> sizes = a.getSizes();
  ArrayRef<double> scales = a.getScales(), roi = a.getRoi();
  if (sizes.size() != rank || scales.size() != rank)
    return fail("needs one size and one scale per dim");
  if (!roi.empty() && roi.size() != 2 * rank)
    return fail("roi needs 2 * rank numbers (starts, then ends)");
  for (size_t d = 0; d < rank; ++d) {
    if (sizes[d] < 0)
      return fail("negative output size");
    if (!(scales[d] > 0) || !std::isfinite(scales[d]))
      return fail("scales must be positive and finite");
    if (in.getDimSize(d) == 0 && sizes[d] > 0)
      return fail("cannot resize an empty dim to a non-empty one");
  }
  for (double v : roi)
    if (!std::isfinite(v))
      return fail("roi must be finite");
  StringRef mode = a.getMode(), ctm = a.getCoordinateTransformationMode();
  if (!isOneOf(mode, {"nearest", "linear", "cubic"}))
    return fail("unknown mode '" + mode + "'");
  if (!isOneOf(ctm, {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
                     "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"}))
    return fail("unknown coordinate_transformation_mode '" + ctm + "'");
  if (!isOneOf(a.getNearestMode(), {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil",
                                    "simple"}))
    return fail("unknown nearest_mode '" + a.getNearestMode() + "'");
  if (ctm == "tf_crop_and_resize" && roi.empty())
    return fail("tf_crop_and_resize needs a roi");
  if (mode == "nearest" && a.getAntialias())
    return fail("antialias applies to linear and cubic modes only");
  types.push_back(RankedTensorType::get(sizes, in.getElementType()));
  return success();
}

std::vector<ResizeDim> pare::resizeDims(ResizeOp op) {
  auto shape = cast<RankedTensorType>(op.getInput().getType()).getShape();
  std::vector<ResizeDim> dims;
  for (size_t d = 0; d < shape.size(); ++d)
    dims.push_back(sampleDim(op, d, shape[d]));
  return dims;
}

ResizeKernelDims pare::resizeKernelDims(ResizeOp op) {
  std::vector<ResizeDim> all = resizeDims(op);
  ResizeKernelDims k;
  size_t last = all.size();
  while (last > 0 && all[last - 1].taps == 0)
    k.inner *= all[--last].inSize;
  for (size_t d = 0; d < last; ++d) {
    if (all[d].taps == 0 && !k.dims.empty() && k.dims.back().taps == 0) {
      k.dims.back().inSize *= all[d].inSize;
      k.dims.back().outSize *= all[d].outSize;
      continue;
    }
    k.dims.push_back(std::move(all[d]));
    k.firstDim.push_back(d);
  }
  return k;
}

std::optional<ResizeBilinearS8> pare::tfliteBilinear(ResizeOp op) {
  StringRef ctm = op.getCoordinateTransformationMode();
  if (op.getMode() != "linear" || !isOneOf(ctm, {"half_pixel", "pytorch_half_pixel",
                                                 "align_corners", "asymmetric"}))
    return std::nullopt;
  auto shape = cast<RankedTensorType>(op.getInput().getType()).getShape();
  int64_t rank = int64_t(shape.size());
  std::vector<ResizeDim> dims = resizeDims(op);
  std::vector<int64_t> resized;
  for (int64_t d = 0; d < rank; ++d) {
    if (shape[d] == 0 || op.getSizes()[d] == 0)
      return std::nullopt;
    if (dims[d].taps == 0)
      continue;
    double in = double(shape[d]), out = double(op.getSizes()[d]), scale = op.getScales()[d];
    // TFLite derives its scale from the sizes; a scale that does not give
    // the output size exactly samples elsewhere. pytorch_half_pixel maps a
    // size-1 output to -0.5, not to half_pixel's centre.
    if (std::fabs(scale * in / out - 1) > 1e-6 || (op.getAntialias() && scale < 1) ||
        (ctm == "pytorch_half_pixel" && scale * in == 1))
      return std::nullopt;
    resized.push_back(d);
  }
  if (resized.size() > 2 || (resized.size() == 2 && resized[1] != resized[0] + 1))
    return std::nullopt;
  // The interpolated pair (h, w): the resized dims, completed by a copied
  // neighbour (TFLite's arithmetic copies a dim of equal sizes exactly) or by
  // a dim of size 1 outside the shape.
  int64_t h = resized.empty() ? rank - 2 : resized.back() - 1;
  ResizeBilinearS8 r;
  auto size = [&](int64_t d, ArrayRef<int64_t> s) { return d >= 0 && d < rank ? s[d] : 1; };
  r.inH = size(h, shape);
  r.inW = size(h + 1, shape);
  r.outH = size(h, op.getSizes());
  r.outW = size(h + 1, op.getSizes());
  for (int64_t d = 0; d < h; ++d)
    r.outer *= shape[d];
  for (int64_t d = h + 2; d < rank; ++d)
    r.inner *= shape[d];
  bool alignCorners = ctm == "align_corners";
  r.halfPixelCenters = ctm == "half_pixel" || ctm == "pytorch_half_pixel";
  auto scale10 = [&](int64_t in, int64_t out) {
    if (alignCorners && out > 1)
      return int32_t(((int64_t(1) << 10) * (in - 1) + (out - 1) / 2) / (out - 1));
    return int32_t(((int64_t(1) << 10) * in + out / 2) / out);
  };
  r.scaleH10 = scale10(r.inH, r.outH);
  r.scaleW10 = scale10(r.inW, r.outW);
  return r;
}
