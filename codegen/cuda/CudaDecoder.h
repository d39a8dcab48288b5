//===- CudaDecoder.h - decoder step function -> CUDA C++ ------------------===//
//
// The CUDA target of an LLM decoder (issue 16): from the decoder step function
// that pare-derive-decoder makes (docs/architecture.md), CUDA C++ with the same
// C-callable API as the C target (<name>_init / _prefill / _decode ...), so one
// runner links against either. One device allocation holds the weights (read
// from <name>_weights.bin, codegen/WeightsFile.h), the activations of a
// prefill chunk (planned by the ArenaPlanner), the KV cache and the step's
// token ids and positions; the whole decode step is one CUDA graph replay that
// reads the id and position from device memory. With --max-batch N >= 2 the
// caches hold N sequences (KV-cache slots) and <name>_decode_batch advances up
// to N of them in one step (a graph per row count), every weight read once.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_CODEGEN_CUDA_CUDADECODER_H
#define PARE_CODEGEN_CUDA_CUDADECODER_H

#include "codegen/cuda/CudaEmitter.h"

#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace pare::codegen {

/// <name>.h (the decoder API), <name>.cu, <name>_weights.bin, <name>.mk and
/// the decoder kernels (runtime-stubs/cuda-llm). Errors (an op the decoder
/// kernels lack, a --max-context whose KV cache does not fit in the GPU's
/// memory) are reported at the op / the function.
mlir::FailureOr<std::vector<EmittedFile>> emitDecoderCuda(mlir::ModuleOp module,
                                                          const CudaEmitOptions &options);

/// GPU memory assumed for a --cuda-arch when no size is given: 80 GB (80e9
/// bytes) for sm_80 (A100 80GB) and sm_90 (H100 80GB), 24 GB for sm_86 (A10,
/// RTX 3090) and sm_89 (L4, RTX 4090). Decimal GB stay under the cards' GiB,
/// leaving room for the CUDA context.
int64_t defaultGpuMemoryBytes(llvm::StringRef arch);

/// The decoder kernel files (runtime-stubs/cuda-llm) copied next to the
/// generated code.
const std::vector<EmittedFile> &cudaDecoderRuntimeFiles();

/// Whether a decoder runtime file belongs to the library-GEMM prefill
/// (pare_cu_llm_blas*: cuBLAS / cuBLASLt), shipped only with --cuda-gemm
/// cublas.
bool isLibraryGemmFile(llvm::StringRef path);

} // namespace pare::codegen

#endif // PARE_CODEGEN_CUDA_CUDADECODER_H
