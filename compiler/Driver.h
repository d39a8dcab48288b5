//===- Driver.h - pare's commands, callable from the CLI ------------------===//
//
// Plain C++ (no MLIR types) so that the CLI, built with RTTI and exceptions
// for CLI11, does not include MLIR headers. Every command prints its
// diagnostics to stderr and returns the process exit code (0 ok, 1 error).
//
//===----------------------------------------------------------------------===//
#ifndef PARE_COMPILER_DRIVER_H
#define PARE_COMPILER_DRIVER_H

#include "dialects/Pare/Analysis/PlanKinds.h"
#include "dialects/Pare/Transforms/Phase.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pare::driver {

/// The values of a choice flag: each spelling and its enum value, in the
/// order help and errors list them. The CLI parses flags with these tables
/// (tools/pare/pare.cpp) and the driver names values with them (spelling).
template <typename E> using Choices = std::vector<std::pair<std::string, E>>;

/// The spelling of `value` in `choices`.
template <typename E> const std::string &spelling(const Choices<E> &choices, E value) {
  for (const auto &[name, v] : choices)
    if (v == value)
      return name;
  static const std::string none;
  return none;
}

enum class Target { Host, GenericC, CortexM4, CortexM7, CortexM33, CortexM55, Cuda };
enum class CudaArch { Sm80, Sm86, Sm89, Sm90 };
enum class Precision { FP32, FP16 };
enum class Emit { C, Mlir };
enum class Quantize { None, Int8, W4A16, W8A8 };

/// --quantize w4a16: the rows AWQ's searches sample per linear input unless
/// --awq-search-rows says otherwise (every token of 16 windows of 128; on
/// SmolLM2-135M, perplexity 78.7 against 79.0 with 256 rows, docs/benchmarks.md).
constexpr int64_t kAwqSearchRows = 2048;

enum class ActQuant { PerToken, PerTensor };
enum class CalibrationMethod { MinMax, Percentile };
enum class Kernels { Specialized, Generic };
enum class Int8Rounding { Auto, TFLite, Onnx };
enum class Int8Islands { Auto, Keep, Quantize };
enum class CudaGemm { Pare, Cublas };

const Choices<Target> &targets();        ///< --target of pare compile
const Choices<Target> &profileTargets(); ///< --target of pare profile (Cortex-M)
const Choices<CudaArch> &cudaArchs();
const Choices<Precision> &precisions();
const Choices<Emit> &emits();
/// --compile-to: import, graph, quantize, plan, c (Phase::Emit).
const Choices<Phase> &phases();
const Choices<Quantize> &quantizeModes();        ///< inspect, profile: none, int8
const Choices<Quantize> &compileQuantizeModes(); ///< compile: also w4a16, w8a8 (decoders)
const Choices<ActQuant> &actQuantModes();       ///< --act-quant of --quantize w8a8
const Choices<CalibrationMethod> &calibrationMethods();
const Choices<Kernels> &kernelKinds();
const Choices<Int8Rounding> &int8Roundings();
const Choices<Int8Islands> &int8IslandModes();
const Choices<planning::Planner> &planners();
const Choices<planning::PatchMode> &patchModes();
const Choices<bool> &onOff();
const Choices<CudaGemm> &cudaGemms(); ///< --cuda-gemm of CUDA decoders

struct CompileOptions {
  std::string model;
  std::string outDir; ///< a directory, or "-" (IR on stdout); never empty (the CLI checks)
  std::string name;   ///< default: model file stem
  Target target = Target::Host;
  CudaArch cudaArch = CudaArch::Sm90;
  Precision precision = Precision::FP32; ///< fp16: --target cuda
  int64_t batch = 0;                     ///< > 0: batch size of every input
  std::vector<std::string> inputShapes;  ///< "NAME=1,3,224,224"
  Emit emit = Emit::C;
  std::optional<Phase> compileTo; ///< default: Emit (Plan with --emit mlir)
  bool emitRunner = false;
  bool quiet = false;
  Quantize quantize = Quantize::None;
  std::string calibration; ///< directory of calibration samples (w4a16: text or token ids)
  CalibrationMethod calibrationMethod = CalibrationMethod::MinMax;
  double percentile = 99.99;
  /// --quantize w4a16 (decoders): inputs per quantization group (0: 128),
  /// the AWQ search (unset: on), the tokenizer of text calibration, and the
  /// calibration windows (count x tokens; 0: AWQ's 128 x 512).
  int64_t groupSize = 0;
  std::optional<bool> awq;
  std::string tokenizer;
  int64_t calibrationWindows = 0, calibrationLength = 0;
  /// --awq-search-rows: calibration rows (tokens) per linear input that AWQ's
  /// searches measure their error on (0: kAwqSearchRows).
  int64_t awqSearchRows = 0;
  /// --quantize w8a8 (SmoothQuant): the migration strength ("0.5" if
  /// unset; a number in [0, 1], "auto" or "off", as the CLI checks) and the
  /// activation quantization (unset: per token).
  std::string smoothAlpha;
  std::optional<ActQuant> actQuant;
  Kernels kernels = Kernels::Specialized; ///< int8 kernels
  Int8Rounding int8Rounding = Int8Rounding::Auto;
  /// Ops a quantized model leaves in float between dequantize and quantize:
  /// keep (as onnxruntime runs them) or quantize (int8); auto: quantize for
  /// the Cortex-M targets, keep for the others.
  Int8Islands int8Islands = Int8Islands::Auto;
  bool verbose = false;     ///< -v: also print the island nodes made int8
  std::string sram, flash;  ///< budgets, e.g. "320K", "1M" (C targets)
  std::string memoryReport; ///< write the SRAM / flash report (JSON) here
  planning::Planner planner = planning::Planner::Pare;
  planning::PatchMode patches = planning::PatchMode::Auto; ///< auto: when --sram needs them
  double maxRecompute = 10.0;                              ///< % of the model's MACs halos may add
  int64_t patchGrid = 0;                                   ///< 0: automatic
  bool streaming = false;  ///< TSM: one frame per call, shift state kept
  /// > 0: a decoder (LLM) compiled to a KV-cache step API with a cache of
  /// this many positions (pare-derive-decoder); 0: a plain graph.
  int64_t maxContext = 0;
  /// The sequence length a decoder's symbolic sequence dim is imported at
  /// (recognition and derivation probe the graph at it): prime, so that it
  /// is unlikely to equal a head count or head size.
  int64_t sequenceProbe = 11;
  /// --target cuda decoders: the GPU memory the weights, arena and KV cache
  /// must fit (decimal GB); 0: the --cuda-arch default.
  double gpuMemoryGB = 0;
  /// --target cuda decoders: fused decode-step launches (issue 17); off keeps
  /// one launch per op (--cuda-fusion off).
  bool cudaFusion = true;
  /// --target cuda decoders: the prefill products on pare's kernels (the
  /// default, CUDA runtime only) or on cuBLAS / cuBLASLt (--cuda-gemm cublas).
  CudaGemm cudaGemm = CudaGemm::Pare;
  /// Decoders: rows of one prefill step (--prefill-chunk); 0: the target's
  /// default (CUDA 512, C min(64, context / 2)), at most the context.
  int64_t prefillChunk = 0;
  /// Decoders: KV-cache slots, sequences decoded together (--max-batch);
  /// 1 is the single-sequence API.
  int64_t maxBatch = 1;
  bool shiftFusion = true; ///< fold temporal shifts into 1x1 convs
};

struct InspectOptions {
  std::string model;
  std::vector<std::string> inputShapes;
  int64_t batch = 0;
  bool json = false;
  Quantize quantize = Quantize::None; ///< int8: also report each layer's int8 error (SQNR)
  std::string calibration;            ///< calibration samples for --quantize int8
  CalibrationMethod calibrationMethod = CalibrationMethod::MinMax;
  double percentile = 99.99;
};

/// `pare profile`: per-layer MACs, weights, activations and live arena bytes
/// (per-layer plan and patched), peak SRAM under each planner, flash and
/// latency estimates for a Cortex-M target, without generating code.
struct ProfileOptions {
  std::string model;
  std::vector<std::string> inputShapes;
  int64_t batch = 0;
  Target target = Target::CortexM4; ///< one of profileTargets()
  std::string sram;                 ///< budget drawn in the SVG and checked, e.g. "320K"
  Quantize quantize = Quantize::None;
  std::string calibration; ///< int8 ranges; default: one seeded random input
  bool json = false;
  std::string svg;            ///< write the memory timeline here
  double maxRecompute = 10.0; ///< % of the model's MACs halos may add
  int64_t patchGrid = 0;      ///< 0: the best of 2..8
  bool patches = true;        ///< false: skip the patch search (--no-patches)
};

struct ValidateOptions {
  std::string model;
  std::vector<std::string> inputShapes;
  std::string inputsDir;
  std::string referenceDir;
  double rtol = 1e-4; ///< finite, >= 0 (the CLI checks)
  double atol = 1e-5; ///< finite, >= 0 (the CLI checks)
  unsigned seed = 0;
  std::string python = "python3";
  std::string cc = "cc";
  bool keep = false;
};

int compile(const CompileOptions &options);
int inspect(const InspectOptions &options);
int profile(const ProfileOptions &options);
int validate(const ValidateOptions &options);
int listOps();
std::string version();

} // namespace pare::driver

#endif // PARE_COMPILER_DRIVER_H
