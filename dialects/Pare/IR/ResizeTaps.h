//===- ResizeTaps.h - what the kernels of pare.resize read ----------------===//
//
// pare.resize keeps ONNX's description of a resize (modes, scales, sizes);
// its kernels read per dim tables instead: for every output coordinate, the
// input coordinates it reads and their weights. Computing them here, once
// and at compile time, puts all of ONNX's coordinate arithmetic in one place
// that the evaluator, the C and the CUDA emitters share, and leaves the
// kernels a weighted gather.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_DIALECT_PARE_IR_RESIZETAPS_H
#define PARE_DIALECT_PARE_IR_RESIZETAPS_H

#include "dialects/Pare/IR/PareOps.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace pare {

/// One dim of a resize as the kernels read it.
struct ResizeDim {
  int64_t inSize = 0, outSize = 0;
  /// Input coordinates read per output coordinate; 0 when the dim is copied
  /// (every output coordinate is its own input coordinate).
  int64_t taps = 0;
  /// index[j * taps + t]: the input coordinate of tap t of output coordinate
  /// j, clamped to the dim (ONNX's edge padding); -1 in every tap of a j
  /// outside tf_crop_and_resize's crop, whose outputs are the extrapolation
  /// value. weight[j * taps + t]: its weight.
  std::vector<int32_t> index;
  std::vector<float> weight;
};

/// The tables of every dim of `op`, as the ONNX reference implementation
/// samples (onnx/reference/ops/op_resize.py): coordinate transformation in
/// double precision (a scale from sizes as the exact ratio), ties of
/// nearest_mode, cubic and antialias filters, exclude_outside.
std::vector<ResizeDim> resizeDims(ResizeOp op);

/// The dims as the C and CUDA kernels take them: the copied dims after the
/// last interpolated one folded into `inner` (contiguous elements moved
/// together), consecutive copied dims before it merged into one.
struct ResizeKernelDims {
  std::vector<ResizeDim> dims;
  std::vector<size_t> firstDim; ///< the op's dim where each of `dims` starts
  int64_t inner = 1;
};
ResizeKernelDims resizeKernelDims(ResizeOp op);

/// An int8 linear resize in the shape of TFLite's RESIZE_BILINEAR: the input
/// seen as [outer][inH][inW][inner] (two adjacent dims interpolated, the
/// rest copied), with TFLite's 10-bit fixed-point scales.
struct ResizeBilinearS8 {
  int64_t outer = 1, inH = 1, inW = 1, outH = 1, outW = 1, inner = 1;
  int32_t scaleH10 = 1 << 10, scaleW10 = 1 << 10;
  bool halfPixelCenters = false;
};

/// The TFLite form of `op` when its sampling is TFLite's: mode linear without
/// a shrinking antialias filter, at most two adjacent dims resized, each by
/// exactly its output / input size, and a coordinate transformation TFLite
/// has (half_pixel and pytorch_half_pixel: half_pixel_centers;
/// align_corners; asymmetric: neither). Otherwise nullopt.
std::optional<ResizeBilinearS8> tfliteBilinear(ResizeOp op);

} // namespace pare

#endif // PARE_DIALECT_PARE_IR_RESIZETAPS_H
