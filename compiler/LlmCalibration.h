//===- LlmCalibration.h - calibration of a decoder on text ----------------===//
//
// --quantize w4a16 (issue 18) measures each linear's input on text: a text
// file, a directory of them, or token-id .npy files, tokenized with the
// model's tokenizer (runtime-stubs/llm/pare_tokenizer.c, linked into the
// compiler), concatenated in file-name order and cut into windows of L
// tokens; each window runs through the decoder step function in the host
// evaluator as a prefill from an empty cache (collectLinearStats).
//
//===----------------------------------------------------------------------===//
#ifndef PARE_COMPILER_LLMCALIBRATION_H
#define PARE_COMPILER_LLMCALIBRATION_H

#include "dialects/Pare/Transforms/LinearStats.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LogicalResult.h"

#include <cstdint>
#include <string>
#include <vector>

namespace pare::llmcalib {

struct Options {
  std::string path;      ///< --calibration: text file, directory, or .npy of token ids
  std::string tokenizer; ///< --tokenizer: tokenizer.json (needed for text)
  int64_t windows = 128; ///< --calibration-windows (AWQ's default)
  int64_t length = 512;  ///< --calibration-length: tokens per window
  int64_t sampleRows = 256;
  bool quiet = false;
};

/// What the calibration used.
struct Summary {
  int64_t files = 0;
  int64_t tokens = 0; ///< tokens read
  int64_t windows = 0;
  int64_t length = 0;
  int64_t sampleRows = 0; ///< rows sampled per linear input (Options::sampleRows, at most all)
  double seconds = 0;
};

/// The token ids of the calibration set, every id checked against the
/// model's vocabulary. Prints the error (naming the file or flag) and
/// fails on bad input.
mlir::FailureOr<std::vector<int64_t>> loadTokens(const Options &options, int64_t vocabulary,
                                                 int64_t &files);

/// Up to `count` windows of `length` tokens, spread evenly over `tokens`
/// (fewer when the text is short; none when it is shorter than one window).
std::vector<std::vector<int64_t>> cutWindows(const std::vector<int64_t> &tokens, int64_t count,
                                             int64_t length);

/// Loads, tokenizes and runs the calibration set through `step` (a decoder
/// step function); prints progress on stderr unless quiet.
mlir::FailureOr<LinearStatsMap> calibrate(mlir::func::FuncOp step, const Options &options,
                                          Summary &summary);

} // namespace pare::llmcalib

#endif // PARE_COMPILER_LLMCALIBRATION_H
