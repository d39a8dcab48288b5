//===- HandlerUtils.h - small helpers shared by the ONNX op handlers ------===//
#ifndef PARE_FRONTENDS_ONNX_HANDLERUTILS_H
#define PARE_FRONTENDS_ONNX_HANDLERUTILS_H

#include "dialects/Pare/IR/ShapeInference.h"
#include "frontends/onnx/NodeImporter.h"

namespace pare::onnx_frontend {

inline std::vector<int64_t> shapeOf(mlir::Value v) {
  auto s = mlir::cast<mlir::RankedTensorType>(v.getType()).getShape();
  return std::vector<int64_t>(s.begin(), s.end());
}

inline mlir::Type elemOf(mlir::Value v) {
  return mlir::cast<mlir::RankedTensorType>(v.getType()).getElementType();
}

/// Normalises a possibly negative axis; fails with a message at the node.
inline mlir::FailureOr<int64_t> normAxis(NodeImporter &ni, int64_t axis, int64_t rank) {
  int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    (void)ni.error("axis " + llvm::Twine(axis) + " is out of range for rank " + llvm::Twine(rank));
    return mlir::failure();
  }
  return a;
}

/// Binds output 0 when `v` succeeded.
inline mlir::LogicalResult bind(NodeImporter &ni, mlir::FailureOr<mlir::Value> v) {
  if (mlir::failed(v))
    return mlir::failure();
  ni.setOutput(0, *v);
  return mlir::success();
}

/// Requires input `i`, with a message naming the node when it is missing.
inline mlir::FailureOr<mlir::Value> need(NodeImporter &ni, size_t i) {
  mlir::Value v = ni.input(i);
  if (!v) {
    (void)ni.error("required input " + llvm::Twine(i) + " is missing");
    return mlir::failure();
  }
  return v;
}

/// Pads [top, left, bottom, right] of a 2-D window op from ONNX attributes
/// (pads / auto_pad).
mlir::FailureOr<std::vector<int64_t>> windowPads(NodeImporter &ni, const std::vector<int64_t> &in,
                                                 const std::vector<int64_t> &kernel,
                                                 const std::vector<int64_t> &strides,
                                                 const std::vector<int64_t> &dilations);

/// Conv of `x` and `w` (+ `bias`, may be null) with the node's Conv attributes
/// (strides, pads, auto_pad, dilations, group); 1-D convs go through 2-D.
mlir::FailureOr<mlir::Value> buildConv(NodeImporter &ni, mlir::Value x, mlir::Value w,
                                       mlir::Value bias);

/// MatMul(a, b) as pare.matmul_nbits when `b` is the float weight a blocked
/// DequantizeLinear computed from 4-bit values [K, N] in blocks along K
/// (HandlersQuant.cpp); a null Value when it is not (the float matmul).
mlir::FailureOr<mlir::Value> importNBitsMatMul(NodeImporter &ni, mlir::Value a, mlir::Value b);

} // namespace pare::onnx_frontend

#endif // PARE_FRONTENDS_ONNX_HANDLERUTILS_H
