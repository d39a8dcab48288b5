//===- CudaEmitter.h - pare IR -> standalone CUDA C++ ---------------------===//
//
// Prints a planned pare function as CUDA C++ that needs only the CUDA
// runtime: <name>.cuh (C API + a thin C++ wrapper), <name>.cu (one launch per
// op, captured into a CUDA graph), <name>_weights.bin (the weights, uploaded
// once by <name>_create), the runtime kernels, a CMake fragment, and
// optionally runner.cu.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_CODEGEN_CUDA_CUDAEMITTER_H
#define PARE_CODEGEN_CUDA_CUDAEMITTER_H

#include "codegen/EmittedFile.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"

#include <cstdint>
#include <string>
#include <vector>

namespace pare::codegen {

struct CudaEmitOptions {
  std::string name = "model";
  std::string sourceModel;
  std::string version;
  std::string arch = "sm_90"; ///< cited in the build fragment
  bool emitRunner = false;
  /// Decoders (emitDecoderCuda): fp16 storage of weights, activations and the
  /// KV cache (--precision fp16); the IR stays float32.
  bool fp16 = false;
  /// Decoders: bytes of GPU memory that weights, activations and the KV cache
  /// must fit in; 0 takes defaultGpuMemoryBytes(arch) (CudaDecoder.h).
  int64_t gpuMemoryBytes = 0;
  /// Decoders: one fused launch per norm + linear (+ residual), gated MLP
  /// half and QKV (+ rotary + cache write) group (codegen/cuda/DecoderFusion.h,
  /// issue 17); false keeps one launch per op (--cuda-fusion off).
  bool fusion = true;
  /// Decoders: prefill products (steps of more than PARE_LLM_GEMV_ROWS rows)
  /// on cuBLAS / cuBLASLt through pare_cu_llm_blas.cuh (--cuda-gemm cublas);
  /// false keeps pare's kernels and the CUDA runtime as the only dependency.
  bool cublas = false;
  /// Decoders: rows of one prefill step (--prefill-chunk), at most the
  /// context; 0 takes the default, 512.
  int64_t prefillChunk = 0;
  /// Decoders: KV-cache slots (--max-batch): sequences one decode_batch step
  /// advances together; 1 emits the single-sequence API only.
  int64_t maxBatch = 1;
};

mlir::FailureOr<std::vector<EmittedFile>> emitCuda(mlir::ModuleOp module,
                                                   const CudaEmitOptions &options);

/// The CUDA runtime kernel files copied next to the generated code.
const std::vector<EmittedFile> &cudaRuntimeFiles();

} // namespace pare::codegen

#endif // PARE_CODEGEN_CUDA_CUDAEMITTER_H
