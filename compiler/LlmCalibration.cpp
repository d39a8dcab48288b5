//===- LlmCalibration.cpp - calibration of a decoder on text --------------===//

#include "compiler/LlmCalibration.h"
#include "compiler/DriverCommon.h"
#include "compiler/Npy.h"

#include "frontends/InputFiles.h"
#include "runtime-stubs/llm/pare_tokenizer.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>

using namespace mlir;

namespace pare::llmcalib {
namespace {

/// The files of --calibration: the file itself, or a directory's regular
/// files in name order (hidden files skipped).
FailureOr<std::vector<std::string>> listFiles(const std::string &path) {
  namespace fs = llvm::sys::fs;
  if (!fs::exists(path)) {
    driver::printError("--calibration '" + path + "' does not exist");
    return failure();
  }
  if (!fs::is_directory(path))
    return std::vector<std::string>{path};
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(path, ec), end; it != end && !ec; it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    if (!name.starts_with(".") && fs::is_regular_file(it->path()))
      files.push_back(it->path());
  }
  if (ec) {
    driver::printError("cannot list --calibration '" + path + "': " + ec.message());
    return failure();
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    driver::printError("--calibration '" + path + "' holds no files (text or token-id .npy)");
    return failure();
  }
  return files;
}

struct TokenizerDeleter {
  void operator()(pare_tokenizer *t) const { pare_tokenizer_free(t); }
};

} // namespace

FailureOr<std::vector<int64_t>> loadTokens(const Options &options, int64_t vocabulary,
                                           int64_t &files) {
  auto paths = listFiles(options.path);
  if (failed(paths))
    return failure();
  files = int64_t(paths->size());
  std::unique_ptr<pare_tokenizer, TokenizerDeleter> tok;
  std::vector<int64_t> tokens;
  for (const std::string &file : *paths) {
    if (llvm::StringRef(file).ends_with(".npy")) {
      npy::Array a;
      std::string error;
      if (!npy::read(file, a, error)) {
        driver::printError("--calibration: " + error);
        return failure();
      }
      bool integer = a.descr.size() >= 2 && (a.descr[1] == 'i' || a.descr[1] == 'u');
      if (!integer || a.shape.size() > 2) {
        driver::printError("--calibration: '" + file +
                           "' is not token ids (a 1-D or 2-D integer "
                           "array); its dtype is " +
                           a.descr);
        return failure();
      }
      for (size_t i = 0; i < a.count(); ++i) {
        double id = a.at(i);
        if (id < 0 || id >= double(vocabulary)) {
          driver::printError("--calibration: '" + file + "' holds the id " +
                             std::to_string(int64_t(id)) + ", outside the model's vocabulary of " +
                             std::to_string(vocabulary));
          return failure();
        }
        tokens.push_back(int64_t(id));
      }
      continue;
    }
    if (!tok) {
      if (options.tokenizer.empty()) {
        driver::printError("--calibration '" + file +
                           "' is text: pass the model's tokenizer with --tokenizer "
                           "tokenizer.json (or give token ids as .npy files)");
        return failure();
      }
      char err[512];
      tok.reset(pare_tokenizer_load(options.tokenizer.c_str(), err, sizeof(err)));
      if (!tok) {
        driver::printError(std::string("--tokenizer: ") + err);
        return failure();
      }
      if (pare_tokenizer_check_vocab(tok.get(), vocabulary, err, sizeof(err)) != PARE_TOK_OK) {
        driver::printError(std::string("--tokenizer: ") + err);
        return failure();
      }
    }
    std::string text, error;
    if (!input::readRegularFile(file, input::kMaxModelFileBytes, text, error)) {
      driver::printError("--calibration: " + error);
      return failure();
    }
    if (text.find('\0') != std::string::npos) {
      driver::printError("--calibration: '" + file + "' is not a text file (it holds NUL bytes)");
      return failure();
    }
    int32_t *ids = nullptr;
    size_t n = 0;
    int rc = pare_tokenizer_encode(tok.get(), text.data(), text.size(), &ids, &n);
    if (rc != PARE_TOK_OK) {
      driver::printError("--calibration: cannot tokenize '" + file +
                         "': " + pare_tokenizer_strerror(rc));
      return failure();
    }
    tokens.insert(tokens.end(), ids, ids + n);
    std::free(ids);
  }
  return tokens;
}

std::vector<std::vector<int64_t>> cutWindows(const std::vector<int64_t> &tokens, int64_t count,
                                             int64_t length) {
  std::vector<std::vector<int64_t>> out;
  int64_t blocks = length > 0 ? int64_t(tokens.size()) / length : 0;
  int64_t n = std::min(count, blocks);
  for (int64_t i = 0; i < n; ++i) {
    int64_t block = i * blocks / n;
    out.emplace_back(tokens.begin() + block * length, tokens.begin() + (block + 1) * length);
  }
  return out;
}

FailureOr<LinearStatsMap> calibrate(func::FuncOp step, const Options &options, Summary &summary) {
  auto start = std::chrono::steady_clock::now();
  auto logits = dyn_cast<RankedTensorType>(step.getFunctionType().getResult(0));
  if (!logits || logits.getRank() != 2 || logits.isDynamicDim(1)) {
    driver::printError("--quantize w4a16: the decoder's step function does not return "
                       "[rows, vocabulary] logits");
    return failure();
  }
  int64_t vocabulary = logits.getDimSize(1);
  auto tokens = loadTokens(options, vocabulary, summary.files);
  if (failed(tokens))
    return failure();
  summary.tokens = int64_t(tokens->size());
  std::vector<std::vector<int64_t>> windows = cutWindows(*tokens, options.windows, options.length);
  if (windows.empty()) {
    driver::printError("--calibration '" + options.path + "' gives " +
                       std::to_string(tokens->size()) + " tokens, fewer than one window of " +
                       std::to_string(options.length) + " (--calibration-length)");
    return failure();
  }
  summary.windows = int64_t(windows.size());
  summary.length = options.length;
  summary.sampleRows = std::min<int64_t>(options.sampleRows, summary.windows * options.length);
  StatsOptions so;
  so.sampleRows = options.sampleRows;
  auto progress = [&](size_t done, size_t all) {
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    llvm::errs() << "\rpare: calibration: window " << done << "/" << all << " ("
                 << llvm::format("%.0f", s) << " s)";
    if (done == all)
      llvm::errs() << "\n";
  };
  if (!options.quiet)
    so.progress = progress;
  auto stats = collectLinearStats(step, windows, so);
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

} // namespace pare::llmcalib
