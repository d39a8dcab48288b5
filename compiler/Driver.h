//===- Driver.h - pare's commands, callable from the CLI ------------------===//
//
// Plain C++ (no MLIR types) so that the CLI, built with RTTI and exceptions
// for CLI11, does not include MLIR headers. Every command prints its
// diagnostics to stderr and returns the process exit code (0 ok, 1 error).
//
//===----------------------------------------------------------------------===//
#ifndef PARE_COMPILER_DRIVER_H
#define PARE_COMPILER_DRIVER_H

#include <string>
#include <vector>

namespace pare::driver {

/// Phases of `pare compile`, in order; --compile-to stops after one and
/// prints the IR.
///   import : pare IR as imported from ONNX
///   graph  : after graph passes (folding, BN folding, NHWC, fusion)
///   plan   : after memory planning (offsets in the IR)
///   c      : emit C files (the default)
const std::vector<std::string> &phases();

struct CompileOptions {
  std::string model;
  std::string outDir;
  std::string name;          ///< default: model file stem
  std::string target = "host"; ///< host | generic-c | cuda
  std::string cudaArch = "sm_90";
  std::string precision = "fp32"; ///< fp32 | fp16 (cuda)
  int64_t batch = 0;             ///< > 0: batch size of every input
  std::vector<std::string> inputShapes; ///< "NAME=1,3,224,224"
  std::string emit = "c";    ///< c | mlir
  std::string compileTo;     ///< a phase, or empty
  bool emitRunner = false;
  bool quiet = false;
  std::string quantize;          ///< "" | none | int8
  std::string calibration;       ///< directory of calibration samples
  std::string calibrationMethod = "minmax"; ///< minmax | percentile
  double percentile = 99.99;
  std::string kernels = "specialized"; ///< specialized | generic (int8 kernels)
  std::string int8Rounding = "auto";   ///< auto | tflite | onnx
  std::string sram, flash;   ///< budgets, e.g. "320K", "1M" (C targets)
  std::string memoryReport;  ///< write the SRAM / flash report (JSON) here
  std::string planner = "pare"; ///< pare | greedy-by-size
  std::string patches = "auto"; ///< auto (when --sram needs them) | off | min
  double maxRecompute = 10.0;   ///< % of the model's MACs halos may add
  int64_t patchGrid = 0;        ///< 0: automatic
  bool streaming = false;       ///< TSM: one frame per call, shift state kept
  std::string shiftFusion = "on"; ///< fold temporal shifts into 1x1 convs
};

struct InspectOptions {
  std::string model;
  std::vector<std::string> inputShapes;
  int64_t batch = 0;
  bool json = false;
  std::string quantize;    ///< int8: also report each layer's int8 error (SQNR)
  std::string calibration; ///< calibration samples for --quantize int8
  std::string calibrationMethod = "minmax";
  double percentile = 99.99;
};

/// `pare profile`: per-layer MACs, weights, activations and live arena bytes
/// (per-layer plan and patched), peak SRAM under each planner, flash and
/// latency estimates for a Cortex-M target, without generating code.
struct ProfileOptions {
  std::string model;
  std::vector<std::string> inputShapes;
  int64_t batch = 0;
  std::string target = "cortex-m4"; ///< cortex-m4 | cortex-m7 | cortex-m33 | cortex-m55
  std::string sram;                 ///< budget drawn in the SVG and checked, e.g. "320K"
  std::string quantize;             ///< "" | none | int8
  std::string calibration;          ///< int8 ranges; default: one seeded random input
  bool json = false;
  std::string svg;                  ///< write the memory timeline here
  double maxRecompute = 10.0;       ///< % of the model's MACs halos may add
  int64_t patchGrid = 0;            ///< 0: the best of 2..8
  bool patches = true;              ///< false: skip the patch search (--no-patches)
};

struct ValidateOptions {
  std::string model;
  std::vector<std::string> inputShapes;
  std::string inputsDir;
  std::string referenceDir;
  double rtol = 1e-4;
  double atol = 1e-5;
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
