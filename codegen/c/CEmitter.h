//===- CEmitter.h - pare IR -> standalone C99 -----------------------------===//
//
// Prints a planned pare function (after PlanMemory) as C99 source files:
// <name>.h (API, shape and arena macros), <name>.c (one kernel call per op,
// commented with its ONNX node), <name>_weights.c (const arrays), the runtime
// kernels, a CMake fragment and a Make snippet, and optionally runner.c.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_CODEGEN_C_CEMITTER_H
#define PARE_CODEGEN_C_CEMITTER_H

#include "codegen/EmittedFile.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"

#include <string>
#include <vector>

namespace pare::codegen {

/// What the emitted code costs, for memory budgets.
struct CEmitStats {
  int64_t weightBytes = 0;       ///< const data in <name>_weights.c (flash)
  int64_t codeBytesEstimate = 0; ///< model code + kernels linked, estimated
  int64_t specializedLayers = 0;
  /// Static state of streaming temporal shifts (SRAM outside the arena,
  /// persisting between calls).
  int64_t stateBytes = 0;
};

struct CEmitOptions {
  std::string name = "model"; ///< C identifier prefix of every symbol
  std::string sourceModel;    ///< file name cited in the header comment
  std::string version;        ///< pare version cited in the header comment
  bool emitRunner = false;    ///< also write runner.c (host .npy runner)
  /// Compiler flags for the target CPU (-mcpu=... -mthumb -mfloat-abi ...),
  /// written into the CMake and Make fragments; empty for host / generic C.
  std::vector<std::string> cpuFlags;
  std::string targetName = "generic-c"; ///< cited in the fragments
  /// int8 conv / depthwise / fully connected / add / mul as per-layer
  /// functions with constant shapes (faster, more code); else one generic
  /// kernel for all layers.
  bool specializeKernels = true;
  /// Decoders: rows of one prefill step (--prefill-chunk), at most the
  /// context; 0 takes decoderPrefillChunk (CDecoder.h).
  int64_t prefillChunk = 0;
  /// Decoders: KV-cache slots (--max-batch): sequences one decode_batch step
  /// advances together; 1 emits the single-sequence API only.
  int64_t maxBatch = 1;
  CEmitStats *stats = nullptr; ///< filled in when set
};

/// The -mcpu/-mfpu/-mfloat-abi flags of a Cortex-M target name
/// (cortex-m4, cortex-m7, cortex-m33, cortex-m55); empty when unknown.
/// Code bytes of a compiled model, estimated from its per-layer kernel
/// functions, the distinct shared kernels it links and its kernel calls
/// (checked against .text by the budgets test).
inline int64_t codeBytesEstimate(int64_t specializedLayers, int64_t kernels, int64_t calls) {
  return 1024 + 1280 * specializedLayers + 2048 * kernels + 40 * calls;
}

std::vector<std::string> cortexMFlags(const std::string &target);

/// Emits the files; reports unsupported ops / types with emitError at the op.
mlir::FailureOr<std::vector<EmittedFile>> emitC(mlir::ModuleOp module, const CEmitOptions &options);

/// The runtime kernel files copied next to the generated code.
const std::vector<EmittedFile> &runtimeFiles();

} // namespace pare::codegen

#endif // PARE_CODEGEN_C_CEMITTER_H
