//===- DriverCommon.h - shared by the driver's commands -------------------===//
#ifndef PARE_COMPILER_DRIVERCOMMON_H
#define PARE_COMPILER_DRIVERCOMMON_H

#include "compiler/Calibration.h"
#include "compiler/Driver.h"
#include "dialects/Pare/Transforms/Pipelines.h"

#include "codegen/TextEscape.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/Support/JSON.h"

#include <cmath>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace pare::driver {

/// An MLIRContext with pare's dialects loaded and a diagnostic handler that
/// prints "FILE: node 'NAME': error: MESSAGE" to stderr.
std::unique_ptr<mlir::MLIRContext> makeContext();

/// Parses repeated "NAME=D0,D1,..." flags; reports a bad one on stderr.
mlir::FailureOr<std::map<std::string, std::vector<int64_t>>>
parseInputShapes(const std::vector<std::string> &flags);

/// Loads .onnx / .onnxtext (import) or .mlir (parse). `sequenceProbe` > 0:
/// a decoder's symbolic sequence dim is imported at that length.
mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>>
loadModel(mlir::MLIRContext &ctx, const std::string &path,
          const std::vector<std::string> &inputShapes, int64_t batch = 0,
          int64_t sequenceProbe = 0);

/// int8 post-training quantization settings (`--quantize int8`).
struct QuantizeConfig {
  std::string calibrationDir;
  calib::Options options;
  bool quiet = false;
};

/// Calibrates @main on q.calibrationDir and stores the ranges in the IR;
/// hands the samples read to `samplesOut` when given.
mlir::LogicalResult calibrate(mlir::ModuleOp module, const QuantizeConfig &q,
                              std::vector<std::vector<eval::Tensor>> *samplesOut = nullptr);

/// --calibration-method and --percentile as calibration takes them.
calib::Options calibrationOptions(CalibrationMethod method, double percentile);

/// Runs the phase pipelines from Graph up to and including `last` (none for
/// Import).
mlir::LogicalResult runPhases(mlir::ModuleOp module, Phase last,
                              const PipelineOptions &options = {});

void printError(const std::string &msg);

/// A JSON number, or null for NaN and +-inf: JSON has no spelling for them
/// (README, "JSON output").
inline llvm::json::Value jsonNumber(double v) {
  return std::isfinite(v) ? llvm::json::Value(v) : llvm::json::Value(nullptr);
}

/// Model or command-line text as a JSON string value: invalid UTF-8 bytes
/// become U+FFFD (llvm::json escapes the rest).
inline llvm::json::Value jsonText(llvm::StringRef s) { return codegen::validUtf8(s); }

/// Writes `contents` to `path` all or nothing: into a temporary file beside
/// it, renamed over `path` once complete. `what` names the file in the error
/// ("--memory-report"). Prints the error and returns false on failure.
bool writeFileAtomically(const std::string &path, llvm::StringRef contents,
                         const std::string &what);

/// A size flag (--sram, --flash: bytes, K / KiB / M / MiB) into `out`; an
/// empty text leaves it 0. Prints the error and returns false when malformed.
bool parseSizeFlag(const std::string &flag, const std::string &text, int64_t &out);

/// --max-recompute (percent) and --patch-grid, shared by compile and
/// profile. Prints the error and returns false when out of range.
bool checkPatchFlags(double maxRecompute, int64_t patchGrid);

} // namespace pare::driver

#endif // PARE_COMPILER_DRIVERCOMMON_H
