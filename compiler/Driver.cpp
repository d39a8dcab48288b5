//===- Driver.cpp - pare compile / list-ops and shared driver code --------===//

#include "compiler/Driver.h"
#include "compiler/Budget.h"
#include "compiler/DriverCommon.h"
#include "compiler/LlmCalibration.h"
#include "dialects/Pare/Transforms/QuantizeW4A16.h"
#include "dialects/Pare/Transforms/QuantizeW8A8.h"
#include "dialects/Pare/Transforms/Pipelines.h"

#include "codegen/EmitterSupport.h"
#include "codegen/c/CEmitter.h"
#include "codegen/cuda/CudaEmitter.h"
#include "codegen/c/CDecoder.h"
#include "codegen/cuda/CudaDecoder.h"
#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/IR/PareOps.h"
#include "frontends/InputFiles.h"
#include "frontends/onnx/OnnxImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/raw_ostream.h"

#include <fstream>

using namespace mlir;

namespace pare::driver {

std::string version() { return PARE_VERSION; }

const Choices<Target> &targets() {
  static const Choices<Target> c = {{"host", Target::Host},
                                    {"generic-c", Target::GenericC},
                                    {"cortex-m4", Target::CortexM4},
                                    {"cortex-m7", Target::CortexM7},
                                    {"cortex-m33", Target::CortexM33},
                                    {"cortex-m55", Target::CortexM55},
                                    {"cuda", Target::Cuda}};
  return c;
}

const Choices<Target> &profileTargets() {
  static const Choices<Target> c = {{"cortex-m4", Target::CortexM4},
                                    {"cortex-m7", Target::CortexM7},
                                    {"cortex-m33", Target::CortexM33},
                                    {"cortex-m55", Target::CortexM55}};
  return c;
}

const Choices<CudaArch> &cudaArchs() {
  static const Choices<CudaArch> c = {{"sm_80", CudaArch::Sm80},
                                      {"sm_86", CudaArch::Sm86},
                                      {"sm_89", CudaArch::Sm89},
                                      {"sm_90", CudaArch::Sm90}};
  return c;
}

const Choices<Precision> &precisions() {
  static const Choices<Precision> c = {{"fp32", Precision::FP32}, {"fp16", Precision::FP16}};
  return c;
}

const Choices<Emit> &emits() {
  static const Choices<Emit> c = {{"c", Emit::C}, {"mlir", Emit::Mlir}};
  return c;
}

const Choices<Phase> &phases() {
  static const Choices<Phase> c = {{"import", Phase::Import},
                                   {"graph", Phase::Graph},
                                   {"quantize", Phase::Quantize},
                                   {"plan", Phase::Plan},
                                   {"c", Phase::Emit}};
  return c;
}

const Choices<Quantize> &quantizeModes() {
  static const Choices<Quantize> c = {{"none", Quantize::None}, {"int8", Quantize::Int8}};
  return c;
}

const Choices<Quantize> &compileQuantizeModes() {
  static const Choices<Quantize> c = {
      {"none", Quantize::None},
      {"int8", Quantize::Int8},
      {"w4a16", Quantize::W4A16},
      {"w8a8", Quantize::W8A8}};
  return c;
}

const Choices<ActQuant> &actQuantModes() {
  static const Choices<ActQuant> c = {{"per-token", ActQuant::PerToken},
                                      {"per-tensor", ActQuant::PerTensor}};
  return c;
}

const Choices<CalibrationMethod> &calibrationMethods() {
  static const Choices<CalibrationMethod> c = {{"minmax", CalibrationMethod::MinMax},
                                               {"percentile", CalibrationMethod::Percentile}};
  return c;
}

const Choices<Kernels> &kernelKinds() {
  static const Choices<Kernels> c = {{"specialized", Kernels::Specialized},
                                     {"generic", Kernels::Generic}};
  return c;
}

const Choices<Int8Rounding> &int8Roundings() {
  static const Choices<Int8Rounding> c = {
      {"auto", Int8Rounding::Auto}, {"tflite", Int8Rounding::TFLite}, {"onnx", Int8Rounding::Onnx}};
  return c;
}

const Choices<Int8Islands> &int8IslandModes() {
  static const Choices<Int8Islands> c = {
      {"auto", Int8Islands::Auto}, {"keep", Int8Islands::Keep}, {"quantize", Int8Islands::Quantize}};
  return c;
}

const Choices<planning::Planner> &planners() {
  static const Choices<planning::Planner> c = {{"pare", planning::Planner::Pare},
                                               {"greedy-by-size", planning::Planner::GreedyBySize}};
  return c;
}

const Choices<planning::PatchMode> &patchModes() {
  static const Choices<planning::PatchMode> c = {{"auto", planning::PatchMode::Auto},
                                                 {"off", planning::PatchMode::Off},
                                                 {"min", planning::PatchMode::Min}};
  return c;
}

const Choices<bool> &onOff() {
  static const Choices<bool> c = {{"on", true}, {"off", false}};
  return c;
}

const Choices<CudaGemm> &cudaGemms() {
  static const Choices<CudaGemm> c = {{"pare", CudaGemm::Pare}, {"cublas", CudaGemm::Cublas}};
  return c;
}

void printError(const std::string &msg) { llvm::errs() << "pare: error: " << msg << "\n"; }

bool parseSizeFlag(const std::string &flag, const std::string &text, int64_t &out) {
  out = 0;
  if (text.empty())
    return true;
  auto v = budget::parseSize(text);
  if (!v) {
    printError(flag + " '" + text +
               "' is not a size; use bytes or K / KiB / M / MiB (for example 320K, 1M)");
    return false;
  }
  out = *v;
  return true;
}

bool checkPatchFlags(double maxRecompute, int64_t patchGrid) {
  if (!(maxRecompute >= 0.0 && maxRecompute <= 1000.0)) {
    printError("--max-recompute must be a percentage in [0, 1000]");
    return false;
  }
  if (patchGrid < 0 || patchGrid == 1 || patchGrid > 64) {
    printError("--patch-grid must be 2..64 (or 0 for automatic)");
    return false;
  }
  return true;
}

/// "model.onnx: node 'conv1'" for importer locations, "file:line:col" else.
/// Names and file names are model text: escaped to one line and cut at
/// codegen::kMaxQuotedName bytes (displayText).
static std::string formatLoc(Location loc) {
  if (auto n = dyn_cast<NameLoc>(loc)) {
    std::string child = formatLoc(n.getChildLoc());
    return (child.empty() ? "" : child + ": ") + "node '" +
           codegen::displayText(n.getName().getValue()) + "'";
  }
  if (auto f = dyn_cast<FileLineColLoc>(loc)) {
    std::string file = codegen::displayText(f.getFilename().getValue(), 4096);
    if (f.getLine() == 0)
      return file;
    return file + ":" + std::to_string(f.getLine()) + ":" + std::to_string(f.getColumn());
  }
  if (auto f = dyn_cast<FusedLoc>(loc)) {
    std::string s;
    for (Location l : f.getLocations()) {
      std::string part = formatLoc(l);
      if (!part.empty())
        s += (s.empty() ? "" : " + ") + part;
    }
    return s;
  }
  return "";
}

std::unique_ptr<MLIRContext> makeContext() {
  auto ctx = std::make_unique<MLIRContext>();
  ctx->loadDialect<pare::PareDialect, func::FuncDialect, quant::QuantDialect>();
  ctx->printOpOnDiagnostic(false);
  ctx->getDiagEngine().registerHandler([](Diagnostic &d) {
    const char *sev = d.getSeverity() == DiagnosticSeverity::Error     ? "error"
                      : d.getSeverity() == DiagnosticSeverity::Warning ? "warning"
                                                                       : "note";
    // One line per diagnostic, whatever names the message quotes.
    std::string where = formatLoc(d.getLocation());
    llvm::errs() << (where.empty() ? "pare" : where) << ": " << sev << ": "
                 << codegen::displayText(d.str(), 4096) << "\n";
    for (Diagnostic &note : d.getNotes())
      llvm::errs() << formatLoc(note.getLocation())
                   << ": note: " << codegen::displayText(note.str(), 4096) << "\n";
    return success();
  });
  return ctx;
}

FailureOr<std::map<std::string, std::vector<int64_t>>>
parseInputShapes(const std::vector<std::string> &flags) {
  std::map<std::string, std::vector<int64_t>> out;
  for (const std::string &f : flags) {
    size_t eq = f.rfind('=');
    bool ok = eq != std::string::npos && eq > 0 && eq + 1 < f.size();
    std::vector<int64_t> dims;
    if (ok) {
      std::string rest = f.substr(eq + 1);
      size_t pos = 0;
      while (ok && pos <= rest.size()) {
        size_t comma = rest.find_first_of(",x", pos);
        std::string tok =
            rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        ok = !tok.empty() && tok.find_first_not_of("0123456789") == std::string::npos &&
             tok.size() < 10;
        if (ok)
          dims.push_back(std::stoll(tok));
        if (comma == std::string::npos)
          break;
        pos = comma + 1;
      }
    }
    if (!ok) {
      printError("--input-shape '" + f +
                 "' is malformed; expected NAME=D0,D1,... (for example "
                 "input=1,3,224,224)");
      return failure();
    }
    out[f.substr(0, eq)] = dims;
  }
  return out;
}

FailureOr<OwningOpRef<ModuleOp>> loadModel(MLIRContext &ctx, const std::string &path,
                                           const std::vector<std::string> &inputShapes,
                                           int64_t batch, int64_t sequenceProbe) {
  if (!llvm::sys::fs::exists(path)) {
    printError("model file '" + path + "' does not exist");
    return failure();
  }
  if (llvm::sys::fs::is_directory(path)) {
    printError("'" + path + "' is a directory, not a model file");
    return failure();
  }
  if (batch > 0 && !inputShapes.empty()) {
    printError("--batch and --input-shape cannot be combined: give the batch size as dim 0 "
               "in --input-shape");
    return failure();
  }
  if (llvm::StringRef(path).ends_with(".mlir")) {
    if (!inputShapes.empty()) {
      printError("--input-shape applies to ONNX models, not to .mlir input");
      return failure();
    }
    // Through the same reader as ONNX models: a FIFO or a device named
    // x.mlir is refused, not read forever.
    std::string text, error;
    if (!input::readRegularFile(path, input::kMaxModelFileBytes, text, error)) {
      printError("cannot read the model: " + error);
      return failure();
    }
    OwningOpRef<ModuleOp> m = parseSourceString<ModuleOp>(text, ParserConfig(&ctx), path);
    if (!m)
      return failure();
    return m;
  }
  auto shapes = parseInputShapes(inputShapes);
  if (failed(shapes))
    return failure();
  onnx_frontend::ImportOptions options;
  options.inputShapes = *shapes;
  options.batch = batch;
  options.sequenceProbe = sequenceProbe;
  return onnx_frontend::importModelFile(ctx, path, options);
}

/// Calibrates @main on the samples in `dir` and stores the ranges in the IR.
LogicalResult calibrate(ModuleOp module, const QuantizeConfig &q,
                        std::vector<std::vector<eval::Tensor>> *samplesOut) {
  auto mainOr = codegen::mainFunction(module);
  if (failed(mainOr))
    return failure();
  func::FuncOp main = *mainOr;
  auto samples = calib::loadSamples(main, q.calibrationDir);
  if (failed(samples))
    return failure();
  if (samples->empty()) {
    printError("--calibration '" + q.calibrationDir + "' holds no samples (.npy or .pb files)");
    return failure();
  }
  auto ranges = calib::collectRanges(main, *samples, q.options);
  if (failed(ranges))
    return failure();
  calib::attachRanges(main, *ranges);
  if (!q.quiet)
    llvm::errs() << "pare: calibrated on " << samples->size() << " sample"
                 << (samples->size() == 1 ? "" : "s") << "\n";
  if (samplesOut)
    *samplesOut = std::move(*samples);
  return success();
}

calib::Options calibrationOptions(CalibrationMethod method, double percentile) {
  calib::Options options;
  options.method =
      method == CalibrationMethod::Percentile ? calib::Method::Percentile : calib::Method::MinMax;
  options.percentile = percentile;
  return options;
}

LogicalResult runPhases(ModuleOp module, Phase last, const PipelineOptions &options) {
  PassManager pm(module.getContext());
  buildPipeline(pm, last, options);
  return pm.run(module);
}

/// Writes `contents` to a new temporary file beside `dest`; its path goes to
/// `tmp`. Prints the error and returns false on failure (leaving no file).
static bool writeTemporary(const std::string &dest, llvm::StringRef contents, std::string &tmp,
                           const std::string &what = "") {
  std::string named = what.empty() ? "'" + dest + "'" : what + " '" + dest + "'";
  llvm::SmallString<256> path;
  int fd;
  if (auto ec = llvm::sys::fs::createUniqueFile(dest + ".tmp-%%%%%%", fd, path)) {
    printError("cannot write " + named + ": " + ec.message());
    return false;
  }
  tmp = std::string(path);
  llvm::sys::RemoveFileOnSignal(tmp); // an interrupted compile leaves no temporary
  llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
  os << contents;
  os.close();
  if (os.has_error()) {
    printError("cannot write " + named + ": " + os.error().message());
    os.clear_error();
    llvm::sys::fs::remove(tmp);
    return false;
  }
  return true;
}

bool writeFileAtomically(const std::string &path, llvm::StringRef contents,
                         const std::string &what) {
  if (llvm::sys::fs::is_directory(path)) {
    printError("cannot write " + what + " '" + path + "': it is a directory");
    return false;
  }
  std::string tmp;
  if (!writeTemporary(path, contents, tmp, what))
    return false;
  llvm::sys::DontRemoveFileOnSignal(tmp);
  if (auto ec = llvm::sys::fs::rename(tmp, path)) {
    printError("cannot write " + what + " '" + path + "': " + ec.message());
    llvm::sys::fs::remove(tmp);
    return false;
  }
  return true;
}

/// Writes `files` into `dir` all or nothing: each to a temporary name beside
/// its destination, renamed into place once every one is written. A
/// directory pare created is removed again on failure.
static bool writeAllOrNothing(const std::string &dir,
                              const std::vector<codegen::EmittedFile> &files) {
  namespace fs = llvm::sys::fs;
  std::vector<std::string> dests;
  for (const auto &f : files) {
    llvm::SmallString<256> p(dir);
    llvm::sys::path::append(p, f.path);
    dests.push_back(std::string(p));
    if (fs::is_directory(dests.back())) {
      printError("cannot write '" + dests.back() + "': it is a directory");
      return false;
    }
  }
  bool created = !fs::exists(dir);
  if (auto ec = fs::create_directories(dir)) {
    printError("cannot create output directory '" + dir + "': " + ec.message());
    return false;
  }
  std::vector<std::string> temps;
  auto undo = [&](size_t renamed) {
    for (size_t i = renamed; i < temps.size(); ++i)
      fs::remove(temps[i]);
    if (created && renamed == 0)
      fs::remove(dir);
    return false;
  };
  for (size_t i = 0; i < files.size(); ++i) {
    std::string tmp;
    if (!writeTemporary(dests[i], files[i].contents, tmp))
      return undo(0);
    temps.push_back(tmp);
  }
  for (size_t i = 0; i < files.size(); ++i) {
    llvm::sys::DontRemoveFileOnSignal(temps[i]);
    if (auto ec = fs::rename(temps[i], dests[i])) {
      printError("cannot write '" + dests[i] + "': " + ec.message());
      return undo(i);
    }
  }
  return true;
}

namespace {

/// `pare compile`'s options checked against each other and turned into what
/// the phases and the emitters take.
struct CompileJob {
  std::string name;         ///< the prefix of every file and symbol
  Phase last = Phase::Emit; ///< Emit: C / CUDA files; else the IR after this phase
  bool cuda = false;
  int64_t sramBudget = 0, flashBudget = 0;
  /// Arithmetic of int8 models (pare.int8_rounding): TFLite or onnxruntime.
  Int8Rounding int8Rounding = Int8Rounding::Auto;
  /// Float islands of models that arrive quantized become int8
  /// (pare.int8_islands = "quantize").
  bool islands = false;
  std::optional<QuantizeConfig> quantize;
  PipelineOptions pipeline;
};

/// The prefix of every file and symbol: it may name none of pare's own
/// files (pare_kernels.h, pare_k_*.c, runner.c) nor a reserved identifier.
std::optional<std::string> modelName(const CompileOptions &o) {
  if (!o.name.empty()) {
    if (std::string why = codegen::modelNameError(o.name); !why.empty()) {
      printError("--name '" + codegen::displayText(o.name) + "' " + why);
      return std::nullopt;
    }
    return o.name;
  }
  std::string name = codegen::sanitizeIdentifier(llvm::sys::path::stem(o.model).str());
  if (std::string why = codegen::modelNameError(name); !why.empty()) {
    printError("the model file's name gives the prefix '" + name + "', which " + why +
               "; pass --name");
    return std::nullopt;
  }
  return name;
}

/// Resolves the options: the combinations of flags no single flag's values
/// exclude (each flag's own values are the CLI's, tools/pare/pare.cpp).
/// Prints the error and returns nothing when they do not go together.
std::optional<CompileJob> resolveOptions(const CompileOptions &o) {
  CompileJob job;
  job.cuda = o.target == Target::Cuda;
  auto refuse = [](const std::string &msg) {
    printError(msg);
    return std::nullopt;
  };
  bool int8 = o.quantize == Quantize::Int8;
  if (o.precision == Precision::FP16 && !job.cuda)
    return refuse("--precision fp16 needs --target cuda (the C target computes in fp32)");
  if (!parseSizeFlag("--sram", o.sram, job.sramBudget) ||
      !parseSizeFlag("--flash", o.flash, job.flashBudget))
    return std::nullopt;
  if ((job.sramBudget || job.flashBudget || !o.memoryReport.empty()) && job.cuda)
    return refuse("--sram, --flash and --memory-report apply to the C targets, not --target cuda");
  if (o.streaming && job.cuda)
    return refuse("--streaming applies to the C targets, not --target cuda");
  if (o.gpuMemoryGB > 0 && !job.cuda)
    return refuse("--gpu-memory applies to decoders (--max-context) on --target cuda");
  if (!o.cudaFusion && !job.cuda)
    return refuse("--cuda-fusion applies to decoders (--max-context) on --target cuda");
  if (o.cudaGemm != CudaGemm::Pare && !job.cuda)
    return refuse("--cuda-gemm applies to decoders (--max-context) on --target cuda");
  bool w4a16 = o.quantize == Quantize::W4A16;
  bool w8a8 = o.quantize == Quantize::W8A8;
  // Both decoder quantizations calibrate on text (w8a8 unless it needs no
  // statistics: --smooth-alpha off with per-token activations).
  bool llmQuant = w4a16 || w8a8;
  bool w8a8Calibrates = w8a8 && (o.smoothAlpha != "off" || o.actQuant == ActQuant::PerTensor);
  if (o.maxContext > 0 && (int8 || o.streaming || o.batch > 0))
    return refuse("--max-context (a decoder) cannot be combined with --quantize int8, --streaming "
                  "or --batch");
  if ((!w4a16 && (o.groupSize || o.awq)) ||
      (!llmQuant && (!o.tokenizer.empty() || o.calibrationWindows || o.calibrationLength)))
    return refuse("--group-size, --awq, --tokenizer, --calibration-windows and "
                  "--calibration-length apply to --quantize w4a16 (the last three also to w8a8)");
  if (!w8a8 && (!o.smoothAlpha.empty() || o.actQuant))
    return refuse("--smooth-alpha and --act-quant apply to --quantize w8a8");
  if (llmQuant && o.maxContext <= 0)
    return refuse(std::string("--quantize ") + (w4a16 ? "w4a16" : "w8a8") +
                  " quantizes decoders (LLMs): it needs --max-context N");
  if (w4a16 && o.groupSize && (o.groupSize < 16 || (o.groupSize & (o.groupSize - 1)) != 0))
    return refuse("--group-size must be a power of two >= 16, not " +
                  std::to_string(o.groupSize));
  if (w4a16 && o.awq.value_or(true) && o.calibration.empty())
    return refuse("--quantize w4a16 needs --calibration FILE|DIR (text, or token ids as .npy) for "
                  "its AWQ search; --awq off quantizes without it (round to nearest)");
  if (o.awqSearchRows && (!w4a16 || !o.awq.value_or(true)))
    return refuse("--awq-search-rows applies to --quantize w4a16 with AWQ (not --awq off)");
  if (w4a16 && !o.awq.value_or(true) && !o.calibration.empty())
    return refuse("--calibration is not used with --awq off (round to nearest)");
  if (w8a8Calibrates && o.calibration.empty())
    return refuse("--quantize w8a8 needs --calibration FILE|DIR (text, or token ids as .npy) for "
                  "its smoothing scales and per-tensor activation scales; --smooth-alpha off "
                  "with --act-quant per-token quantizes without it");
  if (w8a8 && !w8a8Calibrates && !o.calibration.empty())
    return refuse("--calibration is not used with --smooth-alpha off and --act-quant per-token");
  if (llmQuant && !o.calibration.empty() && !llvm::sys::fs::exists(o.calibration))
    return refuse("--calibration '" + o.calibration + "' does not exist");
  if (llmQuant && !o.tokenizer.empty() && !llvm::sys::fs::exists(o.tokenizer))
    return refuse("--tokenizer '" + o.tokenizer + "' does not exist");
  if (!checkPatchFlags(o.maxRecompute, o.patchGrid))
    return std::nullopt;
  if (int8 && o.calibration.empty())
    return refuse("--quantize int8 needs --calibration DIR (input samples as .npy or .pb files)");
  // Float islands: a microcontroller wants the whole model in int8; the
  // host and CUDA keep onnxruntime's float ops (outputs equal onnxruntime's).
  bool cortexM = o.target == Target::CortexM4 || o.target == Target::CortexM7 ||
                 o.target == Target::CortexM33 || o.target == Target::CortexM55;
  job.islands = o.int8Islands == Int8Islands::Quantize ||
                (o.int8Islands == Int8Islands::Auto && cortexM);
  if (o.int8Islands == Int8Islands::Quantize && job.cuda)
    return refuse("--int8-islands quantize applies to the C targets; --target cuda has no int8 "
                  "kernels yet");
  if (!int8 && !llmQuant && !o.calibration.empty() && !job.islands)
    return refuse("--calibration is only used with --quantize int8, or with --int8-islands "
                  "quantize for the float islands of a quantized model");
  if (!(o.percentile > 50.0 && o.percentile <= 100.0))
    return refuse("--percentile must be in (50, 100]");
  if (int8 && job.cuda)
    return refuse("--quantize int8 targets the C backends; --target cuda has no int8 kernels yet");
  job.last = o.compileTo.value_or(o.emit == Emit::Mlir ? Phase::Plan : Phase::Emit);
  std::optional<std::string> name = modelName(o);
  if (!name)
    return std::nullopt;
  job.name = *name;
  if (job.last == Phase::Emit && o.outDir == "-")
    return refuse("-o - prints IR only; C output needs a directory (-o DIR)");

  // int8 arithmetic follows the reference of the model's source: TFLite /
  // CMSIS-NN rounding for pare's own quantization, onnxruntime's (float
  // requantization, ties to even) for models that arrive quantized.
  job.int8Rounding = o.int8Rounding;
  if (job.int8Rounding == Int8Rounding::Auto)
    job.int8Rounding = int8 ? Int8Rounding::TFLite : Int8Rounding::Onnx;
  if (int8) {
    job.quantize.emplace();
    job.quantize->calibrationDir = o.calibration;
    job.quantize->options = calibrationOptions(o.calibrationMethod, o.percentile);
    job.quantize->quiet = o.quiet;
    job.pipeline.int8 = true;
    // The rounding is set with the ranges, in the quantize phase: the graph
    // phase's IR is the same for float and int8.
    job.pipeline.calibrate = [q = *job.quantize, r = job.int8Rounding](ModuleOp m) {
      attrs::setInt8Rounding(m, spelling(int8Roundings(), r));
      return calibrate(m, q);
    };
  } else if (!o.calibration.empty()) {
    // The ranges of a quantized model's float islands (values inside an
    // island that no quantize covers), measured on the graph phase's IR.
    QuantizeConfig q;
    q.calibrationDir = o.calibration;
    q.options = calibrationOptions(o.calibrationMethod, o.percentile);
    q.quiet = o.quiet;
    job.pipeline.calibrate = [q](ModuleOp m) { return calibrate(m, q); };
  }
  PipelineOptions &p = job.pipeline;
  p.maxContext = o.maxContext;
  p.fp16 = o.precision == Precision::FP16;
  p.streaming = o.streaming;
  p.fuseShifts = o.shiftFusion;
  p.residualFusion = job.cuda;
  p.planner = o.planner;
  p.patches = job.cuda ? planning::PatchMode::Off : o.patches;
  p.arenaBudget =
      job.sramBudget ? std::max<int64_t>(1, job.sramBudget - budget::kStackEstimate) : 0;
  p.maxRecompute = o.maxRecompute / 100.0;
  p.patchGrid = o.patchGrid;
  return job;
}

/// Marks models that arrive quantized (QDQ or QOperator ONNX) with the
/// rounding their int8 kernels follow.
void setInt8Rounding(ModuleOp module, const CompileJob &job) {
  bool hasQuantized = false;
  module->walk([&](Operation *op) {
    if (isa<pare::QuantizeOp, pare::DequantizeOp>(op))
      hasQuantized = true;
  });
  if (hasQuantized)
    attrs::setInt8Rounding(module, spelling(int8Roundings(), job.int8Rounding));
  if (hasQuantized && job.islands)
    attrs::setInt8Islands(module, "quantize");
}

/// --calibration without --quantize int8 measures the float islands of a
/// model that arrives quantized; a float model has none.
bool checkIslandCalibration(ModuleOp module, const CompileOptions &o, const CompileJob &job) {
  if (job.quantize || o.calibration.empty() || attrs::getInt8Islands(module))
    return true;
  printError("--calibration without --quantize int8 applies to models that arrive quantized "
             "(the float islands of QDQ / QOperator models); '" +
             codegen::displayText(o.model) + "' has no quantized tensors");
  return false;
}

/// -v: the island nodes --int8-islands quantize made int8, one line each.
void printIslands(ModuleOp module, const CompileJob &job) {
  if (job.quantize || !attrs::getInt8Rounding(module))
    return; // not a model that arrived quantized
  auto mainOr = codegen::mainFunction(module);
  if (failed(mainOr))
    return;
  if (!job.islands || !attrs::getInt8Islands(module)) {
    llvm::errs() << "pare: int8 islands: kept in float (--int8-islands keep)\n";
    return;
  }
  std::vector<budget::IslandNode> nodes = budget::islandNodes(*mainOr);
  llvm::errs() << "pare: int8 islands: " << nodes.size() << " node(s) made int8\n";
  for (const budget::IslandNode &n : nodes)
    llvm::errs() << "pare: int8 island: node '" << codegen::displayText(n.name) << "' (" << n.kind
                 << "): " << n.scales << "\n";
}

/// --compile-to PHASE / --emit mlir: the IR on stdout (-o -, large constants
/// elided) or in DIR/NAME.mlir (every weight).
int writeIR(ModuleOp module, const CompileOptions &o, const CompileJob &job) {
  std::string text;
  llvm::raw_string_ostream os(text);
  OpPrintingFlags flags;
  if (o.outDir == "-")
    flags.elideLargeElementsAttrs(16); // readable on a terminal; files keep every weight
  module->print(os, flags);
  if (o.outDir == "-") {
    llvm::outs() << text;
    return 0;
  }
  if (!writeAllOrNothing(o.outDir, {{job.name + ".mlir", text}}))
    return 1;
  if (!o.quiet)
    llvm::outs() << "pare: wrote " << o.outDir << "/" << job.name << ".mlir\n";
  return 0;
}

/// The options both CUDA emitters (graphs and decoders) take from the flags.
codegen::CudaEmitOptions cudaEmitOptions(const CompileOptions &o, const CompileJob &job) {
  codegen::CudaEmitOptions copts;
  copts.name = job.name;
  copts.sourceModel = llvm::sys::path::filename(o.model).str();
  copts.version = version();
  copts.arch = spelling(cudaArchs(), o.cudaArch);
  copts.emitRunner = o.emitRunner;
  return copts;
}

/// The options both C emitters (graphs and decoders) take from the flags.
codegen::CEmitOptions cEmitOptions(const CompileOptions &o, const CompileJob &job) {
  codegen::CEmitOptions copts;
  copts.name = job.name;
  copts.sourceModel = llvm::sys::path::filename(o.model).str();
  copts.version = version();
  copts.emitRunner = o.emitRunner;
  copts.targetName = spelling(targets(), o.target);
  copts.cpuFlags = codegen::cortexMFlags(copts.targetName);
  return copts;
}

/// The C or CUDA files of the planned module.
FailureOr<std::vector<codegen::EmittedFile>> emitFiles(ModuleOp module, const CompileOptions &o,
                                                       const CompileJob &job,
                                                       codegen::CEmitStats &stats) {
  if (job.cuda && o.cudaGemm != CudaGemm::Pare) {
    printError("--cuda-gemm " + spelling(cudaGemms(), o.cudaGemm) +
               " applies to decoders (--max-context); this model compiles as a plain graph");
    return failure();
  }
  if (o.prefillChunk > 0) {
    printError("--prefill-chunk applies to decoders (--max-context); this model compiles as a "
               "plain graph");
    return failure();
  }
  if (o.maxBatch > 1) {
    printError("--max-batch applies to decoders (--max-context); this model compiles as a "
               "plain graph");
    return failure();
  }
  if (job.cuda)
    return codegen::emitCuda(module, cudaEmitOptions(o, job));
  codegen::CEmitOptions copts = cEmitOptions(o, job);
  copts.specializeKernels = o.kernels == Kernels::Specialized;
  copts.stats = &stats;
  return codegen::emitC(module, copts);
}

/// C targets: the memory report, the --sram / --flash check and what the
/// patch search gave. Returns false when a budget is exceeded.
bool reportMemory(ModuleOp module, const CompileOptions &o, const CompileJob &job,
                  const codegen::CEmitStats &stats) {
  auto mainOr = codegen::mainFunction(module);
  if (failed(mainOr))
    return false;
  budget::Report report = budget::build(*mainOr, stats);
  report.patchesTried = o.patches != planning::PatchMode::Off;
  if (!o.memoryReport.empty() &&
      !writeFileAtomically(o.memoryReport, budget::toJson(report, job.sramBudget, job.flashBudget),
                           "--memory-report"))
    return false;
  if (!budget::check(report, job.sramBudget, job.flashBudget))
    return false;
  if (o.patchGrid > 0 && !report.patchGrid)
    llvm::errs() << "pare: note: --patch-grid " << o.patchGrid
                 << (o.patches == planning::PatchMode::Off ? " has no effect with --patches off"
                     : o.patches == planning::PatchMode::Auto && !job.sramBudget
                         ? " has no effect: --patches auto patches only to meet --sram (use "
                           "--patches min)"
                         : " gave no patched plan with a lower peak (the grid must fit the "
                           "split layer's output and --max-recompute)")
                 << "; compiled layer by layer\n";
  if (!o.quiet && report.patchGrid)
    llvm::outs() << "pare: patch-based inference: " << report.patchGrid << " x " << report.patchGrid
                 << " patches up to " << report.patchSplit << " (+" << report.patchExtraMacs
                 << " MACs of recomputed halos)\n";
  if (!o.quiet && (job.sramBudget || job.flashBudget))
    llvm::outs() << "pare: SRAM " << report.sram() << " of " << job.sramBudget << " bytes (arena "
                 << report.arenaBytes << " + stack estimate " << report.stackBytes
                 << (report.stateBytes ? " + streaming state " + std::to_string(report.stateBytes)
                                       : std::string())
                 << "), flash " << report.flash() << " of " << job.flashBudget << " bytes (weights "
                 << report.weightBytes << " + code estimate " << report.codeBytes << ")\n";
  return true;
}

/// Phase::Emit: the files, checked against the budgets, written all or
/// nothing.
int writeCode(ModuleOp module, const CompileOptions &o, const CompileJob &job) {
  codegen::CEmitStats stats;
  FailureOr<std::vector<codegen::EmittedFile>> files = emitFiles(module, o, job, stats);
  if (failed(files))
    return 1;
  if (!job.cuda && !reportMemory(module, o, job, stats))
    return 1;
  if (!writeAllOrNothing(o.outDir, *files))
    return 1;
  if (!o.quiet) {
    int64_t arena = 0;
    module->walk([&](func::FuncOp f) {
      if (auto a = attrs::getArenaBytes(f))
        arena = *a;
    });
    llvm::outs() << "pare: wrote " << files->size() << " files to " << o.outDir << " (arena "
                 << arena << " bytes)\n";
  }
  return 0;
}

/// The decoder emitters' files (the module holds a decoder step function).
FailureOr<std::vector<codegen::EmittedFile>> emitDecoderFiles(ModuleOp module,
                                                              const CompileOptions &o,
                                                              const CompileJob &job) {
  if (job.cuda) {
    codegen::CudaEmitOptions copts = cudaEmitOptions(o, job);
    copts.fp16 = o.precision == Precision::FP16;
    copts.gpuMemoryBytes = int64_t(o.gpuMemoryGB * 1e9);
    copts.fusion = o.cudaFusion;
    copts.cublas = o.cudaGemm == CudaGemm::Cublas;
    copts.prefillChunk = o.prefillChunk;
    copts.maxBatch = o.maxBatch;
    return codegen::emitDecoderCuda(module, copts);
  }
  codegen::CEmitOptions copts = cEmitOptions(o, job);
  copts.prefillChunk = o.prefillChunk;
  copts.maxBatch = o.maxBatch;
  return codegen::emitDecoderC(module, copts);
}

/// The linear-input statistics of the --calibration text (the --tokenizer,
/// --calibration-windows and --calibration-length flags), shared by
/// --quantize w4a16 and w8a8.
LogicalResult calibrateDecoder(func::FuncOp step, const CompileOptions &o,
                               llmcalib::Summary &used,
                               std::shared_ptr<const LinearStatsMap> &stats) {
  llmcalib::Options c;
  c.path = o.calibration;
  c.tokenizer = o.tokenizer;
  if (o.calibrationWindows)
    c.windows = o.calibrationWindows;
  if (o.calibrationLength)
    c.length = o.calibrationLength;
  if (o.quantize == Quantize::W4A16)
    c.sampleRows = o.awqSearchRows ? o.awqSearchRows : kAwqSearchRows;
  c.quiet = o.quiet;
  auto collected = llmcalib::calibrate(step, c, used);
  if (failed(collected))
    return failure();
  stats = std::make_shared<const LinearStatsMap>(std::move(*collected));
  return success();
}

/// --quantize w4a16: the decoder's linears to pare.matmul_nbits, AWQ's
/// search on the --calibration text unless --awq off.
LogicalResult quantizeDecoder(ModuleOp module, const CompileOptions &o) {
  auto mainOr = codegen::mainFunction(module);
  if (failed(mainOr))
    return failure();
  bool awq = o.awq.value_or(true);
  std::shared_ptr<const LinearStatsMap> stats;
  llmcalib::Summary used;
  if (awq) {
    if (failed(calibrateDecoder(*mainOr, o, used, stats)))
      return failure();
  }
  QuantizeW4A16PassOptions options;
  options.groupSize = o.groupSize ? o.groupSize : 128;
  options.awq = awq;
  options.verbose = o.verbose;
  W4A16Report report;
  PassManager pm(module.getContext());
  pm.addPass(createQuantizeW4A16Pass(options, stats, &report));
  if (failed(pm.run(module)))
    return failure();
  if (!o.quiet) {
    llvm::errs() << "pare: w4a16 g" << options.groupSize << " ("
                 << (awq ? "AWQ" : "round to nearest") << "): " << report.linears
                 << " linears to 4 bits";
    if (awq)
      llvm::errs() << ", " << report.scaleGroups << " scale groups; calibration " << used.windows
                   << " windows x " << used.length << " tokens (of " << used.tokens
                   << " tokens in " << used.files << " file" << (used.files == 1 ? "" : "s")
                   << ") in " << llvm::format("%.1f", used.seconds) << " s, search on "
                   << used.sampleRows << " rows per linear input in "
                   << llvm::format("%.1f", report.searchSeconds) << " s";
    llvm::errs() << "\n";
  }
  return success();
}

/// --quantize w8a8: SmoothQuant, the decoder's linears to pare.matmul_w8a8;
/// calibrated on the --calibration text unless neither smoothing nor
/// per-tensor scales need statistics.
LogicalResult quantizeDecoderW8A8(ModuleOp module, const CompileOptions &o) {
  auto mainOr = codegen::mainFunction(module);
  if (failed(mainOr))
    return failure();
  std::string alpha = o.smoothAlpha.empty() ? "0.5" : o.smoothAlpha;
  bool perTensor = o.actQuant == ActQuant::PerTensor;
  std::shared_ptr<const LinearStatsMap> stats;
  llmcalib::Summary used;
  if (alpha != "off" || perTensor) {
    if (failed(calibrateDecoder(*mainOr, o, used, stats)))
      return failure();
  }
  QuantizeW8A8PassOptions options;
  options.alpha = alpha;
  options.actQuant = perTensor ? "per-tensor" : "per-token";
  options.verbose = o.verbose;
  W8A8Report report;
  PassManager pm(module.getContext());
  pm.addPass(createQuantizeW8A8Pass(options, stats, &report));
  if (failed(pm.run(module)))
    return failure();
  if (!o.quiet) {
    llvm::errs() << "pare: w8a8 (smoothing alpha " << alpha << ", activations "
                 << options.actQuant << "): " << report.linears << " linears to int8, "
                 << report.smoothGroups << " smoothing groups folded";
    if (stats)
      llvm::errs() << "; calibration " << used.windows << " windows x " << used.length
                   << " tokens (of " << used.tokens << " tokens in " << used.files << " file"
                   << (used.files == 1 ? "" : "s") << ") in "
                   << llvm::format("%.1f", used.seconds) << " s, smoothing "
                   << llvm::format("%.1f", report.searchSeconds) << " s";
    llvm::errs() << "\n";
  }
  return success();
}

/// --max-context: the graph phase derives the decode step (or says why it
/// cannot, and the model compiles as a plain full-sequence graph). A
/// decoder leaves the phase pipeline there: its emitter stores the weights
/// in the target's precision and plans the arena for a chunk of rows.
int compileDecoder(ModuleOp module, const CompileOptions &o, const CompileJob &job) {
  bool derived = attrs::isDecoder(module);
  if (!derived) {
    if (failed(runPhases(module, std::min(job.last, Phase::Graph), job.pipeline)))
      return 1;
    derived = attrs::isDecoder(module);
  }
  if (!derived && (o.quantize == Quantize::W4A16 || o.quantize == Quantize::W8A8)) {
    std::optional<llvm::StringRef> why = attrs::getNotDecoder(module);
    printError(std::string("--quantize ") + (o.quantize == Quantize::W4A16 ? "w4a16" : "w8a8") +
               " quantizes decoders; '" + codegen::displayText(o.model) +
               "' is not one (" + why.value_or("no decoder found").str() + ")");
    return 1;
  }
  if (!derived) {
    std::optional<llvm::StringRef> why = attrs::getNotDecoder(module);
    llvm::errs() << "pare: warning: --max-context: not compiled as a decoder ("
                 << (o.verbose ? why.value_or("no decoder found").str() : "-v says why")
                 << "); compiling the plain full-sequence graph\n";
    CompileOptions plain = o;
    plain.maxContext = 0;
    std::optional<CompileJob> plainJob = resolveOptions(plain);
    if (!plainJob)
      return 1;
    // The graph phase has run: the phases after it, as for any model.
    PassManager pm(module.getContext());
    for (Phase phase : {Phase::Quantize, Phase::Plan})
      if (phase <= plainJob->last)
        buildPhasePipeline(pm, phase, plainJob->pipeline);
    if (failed(pm.run(module)))
      return 1;
    if (plainJob->last != Phase::Emit)
      return writeIR(module, o, *plainJob);
    return writeCode(module, o, *plainJob);
  }
  if (o.verbose)
    llvm::errs() << "pare: decoder: " << attrs::getDecoderLayers(module).value_or(0)
                 << " attention layers, KV cache of " << attrs::getDecoderMaxContext(module).value_or(0)
                 << " positions\n";
  if (o.quantize == Quantize::W4A16 && job.last >= Phase::Quantize &&
      failed(quantizeDecoder(module, o)))
    return 1;
  if (o.quantize == Quantize::W8A8 && job.last >= Phase::Quantize &&
      failed(quantizeDecoderW8A8(module, o)))
    return 1;
  if (job.last != Phase::Emit)
    return writeIR(module, o, job);
  FailureOr<std::vector<codegen::EmittedFile>> files = emitDecoderFiles(module, o, job);
  if (failed(files) || !writeAllOrNothing(o.outDir, *files))
    return 1;
  if (!o.quiet)
    llvm::outs() << "pare: wrote " << files->size() << " files to " << o.outDir << " (decoder, "
                 << attrs::getDecoderLayers(module).value_or(0) << " layers, max context "
                 << attrs::getDecoderMaxContext(module).value_or(0) << ")\n";
  return 0;
}

} // namespace

int compile(const CompileOptions &o) {
  std::optional<CompileJob> job = resolveOptions(o);
  if (!job)
    return 1;
  auto ctx = makeContext();
  auto module = loadModel(*ctx, o.model, o.inputShapes, o.batch,
                          o.maxContext > 0 ? o.sequenceProbe : 0);
  if (failed(module))
    return 1;
  if (o.maxContext > 0 || attrs::isDecoder(**module))
    return compileDecoder(**module, o, *job);
  setInt8Rounding(**module, *job);
  if (!checkIslandCalibration(**module, o, *job))
    return 1;
  if (failed(runPhases(**module, std::min(job->last, Phase::Plan), job->pipeline)))
    return 1;
  if (o.verbose && job->last >= Phase::Quantize)
    printIslands(**module, *job);
  if (job->last != Phase::Emit)
    return writeIR(**module, o, *job);
  return writeCode(**module, o, *job);
}

int listOps() {
  for (const std::string &line : onnx_frontend::supportedOps())
    llvm::outs() << line << "\n";
  return 0;
}

} // namespace pare::driver
