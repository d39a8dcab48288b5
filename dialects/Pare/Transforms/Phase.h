//===- Phase.h - the phases of a compile, in order ------------------------===//
//
// Plain C++ (no MLIR): the CLI, built with RTTI and exceptions for CLI11,
// names phases through compiler/Driver.h, and the pipelines build them.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_DIALECTS_PARE_TRANSFORMS_PHASE_H
#define PARE_DIALECTS_PARE_TRANSFORMS_PHASE_H

namespace pare {

/// The phases of `pare compile`, in order, as IREE's IREEVMPipelinePhase.
/// `--compile-to PHASE` stops after one and prints its IR; for every phase
/// with passes, `pare-opt --pare-PHASE-pipeline` runs the same passes on the
/// previous phase's IR (buildPhasePipeline, dialects/Pare/Transforms/Pipelines.h).
enum class Phase {
  Import,   ///< pare IR as imported from ONNX (or read from .mlir)
  Graph,    ///< folding, temporal shifts found, batch norms folded, NHWC, fused
            ///< activations: the same for every precision
  Quantize, ///< int8 (post-training quantization and models that arrive
            ///< quantized) and fp16 storage
  Plan,     ///< temporal shifts streamed / fused, residual adds fused, arena planned
  Emit,     ///< C or CUDA files (the driver's; no IR)
};

} // namespace pare

#endif // PARE_DIALECTS_PARE_TRANSFORMS_PHASE_H
