//===- DecoderFusion.h - launch groups of a CUDA decoder step -----*- C++ -*-===//
//
// The decode step of a small model is launch bound (issue 17): one launch per
// op is 18 a Llama layer. This finds, on the decoder step function, the op
// groups that one fused kernel of runtime-stubs/cuda-llm/pare_cu_llm.cuh
// computes ("Fused decode-step kernels"):
//  - Qkv: [rms_norm ->] q, k, v matmuls of one input [-> rotary of q and k]
//    -> attention: pare_llm_qkv (the norm as prologue, k and v written to the
//    layer's KV cache, only the rotated q stored);
//  - Gated: [rms_norm ->] mul(mul(g, sigmoid(g)), u) with g and u matmuls of
//    one input (either operand order): pare_llm_gated with PARE_ACT_SILU;
//  - Linear: [rms_norm ->] matmul [-> add of another value of its width]:
//    pare_llm_linear (norm prologue, residual epilogue);
//  - Qkv, Gated and Linear also with int4 weights (issue 18): every matmul of
//    the group a pare.matmul_nbits of 4 bits with constant operands and one
//    group size (`int4`): pare_llm_qkv_w4 / gated_w4 / linear_w4. A group
//    never mixes dense and int4 matmuls;
//  - LinearW8A8: the same around a pare.matmul_w8a8 (SmoothQuant, issue 19):
//    pare_llm_linear_w8a8, whose prologue normalizes and quantizes each row;
//    or [rms_norm ->] int8 matmul g -> mul(g, sigmoid(g)), the SwiGLU gate,
//    with PARE_ACT_SILU as the epilogue (no int8 gated kernel: the up
//    projection and the product keep their launches).
// An intermediate is fused away only when the group holds all of its users;
// an rms_norm is absorbed only when every user is a matmul of one fused
// group (which recomputes it in its prologue), or every user is the int8
// matmul of a LinearW8A8 group: each of those recomputes the norm where it
// quantizes the row anyway (q, k and v: three prologues, no norm launch and
// no stored norm). Everything else (other activations, ops whose rows
// differ: pare.tail against not) keeps its own launch. The plan is pure
// analysis: CudaDecoder.cpp prints it.
//
//===----------------------------------------------------------------------===//

#ifndef PARE_CODEGEN_CUDA_DECODERFUSION_H
#define PARE_CODEGEN_CUDA_DECODERFUSION_H

#include "dialects/Pare/IR/PareOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"

namespace pare::codegen::cuda {

enum class LaunchKind { Linear, Gated, Qkv, LinearW8A8 };

/// One fused launch. It runs where its last op (`anchor`) stood in the op
/// order: every input is ready there, and no op before it reads a result of
/// the group (checked when the group is formed).
struct LaunchGroup {
  LaunchKind kind = LaunchKind::Linear;
  /// The ops it covers, in op order (their ONNX nodes are cited). A norm
  /// shared by several LinearW8A8 groups is among the ops of the one launched
  /// last (so its input lives until then) and the `norm` of each.
  llvm::SmallVector<mlir::Operation *, 8> ops;
  mlir::Operation *anchor = nullptr;
  /// The norm prologue (null: the matmuls read their input as it is).
  RmsNormOp norm;
  /// What the matmuls read: the norm's input when there is a norm.
  mlir::Value input;
  /// The matmuls are pare.matmul_nbits of 4 bits with group size `group`
  /// (else pare.matmul; LinearW8A8 aside).
  bool int4 = false;
  int64_t group = 0;
  /// Linear: the matmul (a pare.matmul or, with `int4`, a
  /// pare.matmul_nbits; LinearW8A8: `w8`), and the add whose other operand
  /// is `residual`. Every matmul's operand 0 is its input.
  mlir::Operation *matmul = nullptr;
  MatMulW8A8Op w8;
  /// LinearW8A8: the epilogue is SiLU (g * sigmoid(g) of the covered ops).
  bool silu = false;
  AddOp residualAdd;
  mlir::Value residual;
  /// Gated: gate and up matmuls, the final product.
  mlir::Operation *gate = nullptr, *up = nullptr;
  /// Qkv: the three matmuls, the rotaries (both null: no rotation) and the
  /// attention whose caches they fill.
  mlir::Operation *q = nullptr, *k = nullptr, *v = nullptr;
  RotaryOp qRotary, kRotary;
  AttentionOp attention;
  /// The value the launch stores: the linear's add (or matmul), the gated
  /// product, the rotated (or plain) q.
  mlir::Value out;
};

struct FusionPlan {
  std::vector<LaunchGroup> groups;
  /// Op -> index of the group covering it.
  llvm::DenseMap<mlir::Operation *, size_t> groupOf;
  /// Results the fused kernels never store (no arena buffer).
  llvm::DenseSet<mlir::Value> internal;

  const LaunchGroup *group(mlir::Operation *op) const {
    auto it = groupOf.find(op);
    return it == groupOf.end() ? nullptr : &groups[it->second];
  }
  /// The op a launch of `op` runs at: its group's anchor, or itself.
  mlir::Operation *anchor(mlir::Operation *op) const {
    const LaunchGroup *g = group(op);
    return g ? g->anchor : op;
  }
};

/// The launch groups of a decoder step function (an empty plan when
/// `enabled` is false: every op keeps its own launch); int4 groups only with
/// `int4`.
FusionPlan planDecoderFusion(mlir::func::FuncOp func, bool enabled, bool int4 = true);

} // namespace pare::codegen::cuda

#endif // PARE_CODEGEN_CUDA_DECODERFUSION_H
