//===- ShapeInference.h - shape helpers shared by pare ops ----------------===//
//
// Plain shape arithmetic used by the op shape functions, the ONNX importer and
// the code generators. No IR here, so it is unit-testable with Catch2.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_DIALECT_PARE_IR_SHAPEINFERENCE_H
#define PARE_DIALECT_PARE_IR_SHAPEINFERENCE_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pare::shape {

using Shape = std::vector<int64_t>;

/// NumPy / ONNX multidirectional broadcasting of two shapes. Returns
/// std::nullopt when a dimension pair is neither equal nor contains a 1.
std::optional<Shape> broadcast(const Shape &a, const Shape &b);

/// Element strides of `in` (contiguous, row-major) when read through the
/// broadcast to `out` (rank(out) >= rank(in)): 0 on broadcast dims.
std::vector<int64_t> broadcastStrides(const Shape &in, const Shape &out);

/// Row-major contiguous strides.
std::vector<int64_t> contiguousStrides(const Shape &s);

/// Elements of `s`; INT64_MAX when the product does not fit int64.
int64_t numElements(const Shape &s);

/// Elements of `s`, or nullopt when a dim is negative or the product does not
/// fit int64 (shapes from a model are checked with this before any size is
/// computed from them).
std::optional<int64_t> checkedNumElements(const Shape &s);

/// Output length of a sliding window (conv / pool) along one dim.
/// Returns a value < 1 when the window does not fit.
int64_t windowOutput(int64_t in, int64_t kernel, int64_t stride, int64_t dilation, int64_t padBegin,
                     int64_t padEnd, bool ceilMode);

/// Number of elements ONNX Slice selects along one dim, with start / end
/// already clamped.
int64_t sliceLength(int64_t start, int64_t end, int64_t step);

/// Clamps an ONNX Slice (start, end) pair for a dim of `dim` elements, as the
/// ONNX spec does (negative values count from the end).
void clampSlice(int64_t dim, int64_t step, int64_t &start, int64_t &end);

/// [outer][len][inner] view of a shape around `axis` (softmax, gather, ...).
struct AxisView {
  int64_t outer, len, inner;
};
AxisView axisView(const Shape &shape, int64_t axis);

/// A batched matrix product A[..., m, k] x B[..., k, n] (ONNX MatMul; a
/// rank-1 A is [1, k], a rank-1 B is [k, 1]).
struct MatMulGeometry {
  int64_t m = 0, n = 0, k = 0;
  Shape aBatch, bBatch; ///< each operand's own batch dims
  Shape batch;          ///< their broadcast
  /// Element offset of each operand's matrix per step of a batch dim (0 on
  /// broadcast dims), as pare_matmul_f32 takes them.
  std::vector<int64_t> aBatchStrides, bBatchStrides;
};

/// nullopt when an operand is a scalar, the inner dims differ, or the batch
/// dims do not broadcast.
std::optional<MatMulGeometry> matmulGeometry(Shape a, Shape b);

/// "1x3x224x224" style rendering for messages.
std::string toString(const Shape &s);

} // namespace pare::shape

#endif // PARE_DIALECT_PARE_IR_SHAPEINFERENCE_H
