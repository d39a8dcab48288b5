//===- ScaleGroups.h - linears whose input scale a producer can absorb ----===//
//
// Activation-aware weight quantization (AWQ, issue 18) and SmoothQuant
// (issue 19) both multiply the input channels of a linear's weight by a
// per-channel scale s and divide its input by s. The division costs nothing
// when the input's producer can absorb it: an RMS norm (its weight), the
// gated product of an MLP (the up linear's output channels), or an attention
// (the v linear's output channels, which its output copies). A scale group
// is such a producer with every linear it feeds, all of which must take the
// same s. findScaleGroups finds them in a decoder step function; folding the
// scales is the caller's.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_DIALECT_PARE_TRANSFORMS_SCALEGROUPS_H
#define PARE_DIALECT_PARE_TRANSFORMS_SCALEGROUPS_H

#include "dialects/Pare/IR/PareOps.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace pare {

/// What absorbs a group's 1 / s.
enum class ScaleGroupKind {
  Norm,   ///< pare.rms_norm: its weight (llm-awq's norm -> q/k/v, norm -> gate/up)
  UpDown, ///< pare.mul of a gated MLP: the up linear's output channels (up -> down)
  VO      ///< pare.attention: the v linear's output channels (v -> o)
};

/// A scale group: linears sharing an input whose producer can absorb 1 / s.
struct ScaleGroup {
  ScaleGroupKind kind;
  mlir::Operation *producer;
  /// The linears reading the producer's result, as indices of the array
  /// given to findScaleGroups; the producer feeds nothing else.
  std::vector<size_t> linears;
  size_t source = 0; ///< UpDown: the up linear; VO: the v linear (indices too)
  /// VO: the attention's heads; s must be equal on the channels of the
  /// query heads sharing one KV head (one v column feeds them all).
  int64_t heads = 1, kvHeads = 1, headDim = 0;
};

/// The scale groups among `linears` (pare.matmul by a constant [K, N] weight,
/// as quantizableLinears gives them), in the order of their inputs' first
/// use in `linears`. A producer qualifies when all its uses are operand 0 of
/// these linears and it is an RMS norm with K weights; a pare.mul without a
/// fused activation of two same-typed operands, one of them the sole use of
/// an up linear (no fused activation) with N = K; or an attention whose v is
/// the sole use of a linear with kv_heads * head_dim outputs, k not the same
/// value as v, and heads * head_dim = K.
std::vector<ScaleGroup> findScaleGroups(llvm::ArrayRef<MatMulOp> linears);

/// What absorbs the group's scale, as -v prints it ("rms_norm", ...).
const char *scaleGroupKindName(ScaleGroupKind kind);

/// Per-channel statistics `m` of a group's input with the channels of the
/// query heads sharing one KV head combined (their mean, or their max), so
/// scales derived from them are equal there, as a VO group needs; any other
/// group's `m` is returned as it is.
std::vector<float> tieKvHeadsMean(const std::vector<float> &m, const ScaleGroup &g);
std::vector<float> tieKvHeadsMax(const std::vector<float> &m, const ScaleGroup &g);

/// The ONNX node name of `op` (its first NameLoc), else its op name.
std::string nodeNameOf(mlir::Operation *op);

/// The values of a constant float tensor, or nothing when `v` is not one.
std::vector<float> constantFloats(mlir::Value v);

} // namespace pare

#endif // PARE_DIALECT_PARE_TRANSFORMS_SCALEGROUPS_H
