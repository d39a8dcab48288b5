//===- CudaW4.h - pare.matmul_nbits weights for the CUDA kernels ----------===//
//
// The CUDA kernels of pare.matmul_nbits (runtime-stubs/cuda-llm/
// pare_cu_llm_w4.cu) read the 4-bit weights in a layout of their own: each
// output row of two weights a byte (low nibble first, as the weights file's
// "u4" blobs of the C target), zero-padded to a multiple of 32 weights, so
// that one 16-byte load is 32 weights of one row; and each group's scale and
// zero point side by side in the activations' type. Both the decoder
// (CudaDecoder.cpp) and the plain graph (CudaOpsLlm.cpp) pack them here.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_CODEGEN_CUDA_CUDAW4_H
#define PARE_CODEGEN_CUDA_CUDAW4_H

#include "dialects/Pare/IR/PareOps.h"

#include "mlir/Support/LogicalResult.h"

#include <cstdint>
#include <string>

namespace pare::codegen::cuda {

/// The packed weights of one pare.matmul_nbits.
struct W4Weights {
  int64_t k = 0, n = 0, group = 0;
  /// n rows of rowBytes(k) bytes (pare_cu_llm.cuh's PARE_LLM_W4_ROW_BYTES).
  std::string qweight;
  /// [n][paddedGroups(k, group)][2] scale, zero point: float, or IEEE half
  /// bits with `fp16`.
  std::string scaleZero;
};

/// Bytes of one packed row: k rounded up to 32 weights, two a byte.
int64_t w4RowBytes(int64_t k);
/// Groups of a packed row (its padding included): PARE_LLM_W4_GROUPS.
int64_t w4PaddedGroups(int64_t k, int64_t group);

/// Checks `op` for the CUDA kernels (4 bits, a group size that is a power of
/// two >= 16, constant qweight [N, K], scales and zero points [N, ceil(K /
/// group)], values 0..15) and packs its weights; errors name the op.
/// `what` names the target in the messages ("cuda decoder", "cuda target").
mlir::FailureOr<W4Weights> packW4(MatMulNBitsOp op, bool fp16, llvm::StringRef what);

} // namespace pare::codegen::cuda

#endif // PARE_CODEGEN_CUDA_CUDAW4_H
