//===- CDecoder.h - decoder step function -> C99 with a KV cache ----------===//
//
// Prints the decoder step function of pare-derive-decoder (module attribute
// pare.decoder) as C99: <name>.h (the decoder API, shared with the CUDA
// target), <name>.c (one static arena for a chunk of rows, the KV cache as
// state, one step function both prefill and decode run), <name>_weights.bin
// (codegen/WeightsFile.h), the pare_llm kernels, <name>.mk, and with
// --emit-runner the generate.c runner and its tokenizer.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_CODEGEN_C_CDECODER_H
#define PARE_CODEGEN_C_CDECODER_H

#include "codegen/EmittedFile.h"
#include "codegen/c/CEmitter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"

#include <vector>

namespace pare::codegen {

/// Rows one prefill step of a decoder with `maxContext` positions computes
/// unless --prefill-chunk says: half the context, at most 64 (the arena holds
/// this many rows of every intermediate).
int64_t decoderPrefillChunk(int64_t maxContext);

/// Emits the files; reports what it cannot emit with emitError at the op.
mlir::FailureOr<std::vector<EmittedFile>> emitDecoderC(mlir::ModuleOp module,
                                                       const CEmitOptions &options);

} // namespace pare::codegen

#endif // PARE_CODEGEN_C_CDECODER_H
