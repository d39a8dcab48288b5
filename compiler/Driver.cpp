//===- Driver.cpp - pare compile / list-ops and shared driver code --------===//

#include "compiler/Driver.h"
#include "compiler/Budget.h"
#include "compiler/DriverCommon.h"
#include "dialects/Pare/Transforms/Pipelines.h"

#include "codegen/c/CEmitter.h"
#include "codegen/cuda/CudaEmitter.h"
#include "codegen/EmitterSupport.h"
#include "dialects/Pare/IR/PareOps.h"
#include "frontends/InputFiles.h"
#include "frontends/onnx/OnnxImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/raw_ostream.h"

#include <fstream>

using namespace mlir;

namespace pare::driver {

std::string version() { return PARE_VERSION; }

const std::vector<std::string> &phases() {
  static const std::vector<std::string> p = {"import", "graph", "plan", "c"};
  return p;
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
        std::string tok = rest.substr(pos, comma == std::string::npos ? std::string::npos
                                                                      : comma - pos);
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
                                           int64_t batch) {
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

LogicalResult runPhases(ModuleOp module, const std::string &lastPhase, bool fp16,
                        bool residualFusion, const QuantizeConfig *quantize,
                        const PlanPipelineOptions &plan, bool streaming, bool fuseShifts) {
  if (lastPhase == "import")
    return success();
  MLIRContext *ctx = module.getContext();
  {
    PassManager pm(ctx);
    buildGraphPipeline(pm);
    if (quantize)
      buildCalibrationPrepPipeline(pm);
    if (failed(pm.run(module)))
      return failure();
  }
  if (quantize) {
    if (failed(calibrate(module, *quantize)))
      return failure();
    PassManager pm(ctx);
    buildInsertQDQPipeline(pm);
    if (failed(pm.run(module)))
      return failure();
  }
  PassManager pm(ctx);
  buildLowerQuantizedPipeline(pm);
  if (fp16)
    buildFP16Pipeline(pm);
  if (lastPhase != "graph") {
    buildTemporalShiftPipeline(pm, streaming, fuseShifts && !residualFusion);
    if (residualFusion)
      buildResidualFusionPipeline(pm);
    buildPlanPipeline(pm, plan);
  }
  return pm.run(module);
}

/// Writes `contents` to a new temporary file beside `dest`; its path goes to
/// `tmp`. Prints the error and returns false on failure (leaving no file).
static bool writeTemporary(const std::string &dest, llvm::StringRef contents,
                           std::string &tmp, const std::string &what = "") {
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

int compile(const CompileOptions &o) {
  bool cortexM = !codegen::cortexMFlags(o.target).empty();
  if (o.target != "host" && o.target != "generic-c" && o.target != "cuda" && !cortexM) {
    printError("--target '" + o.target +
               "' is not supported; supported targets: host, generic-c, cortex-m4, "
               "cortex-m7, cortex-m33, cortex-m55, cuda");
    return 1;
  }
  bool cuda = o.target == "cuda";
  if (o.precision != "fp32" && o.precision != "fp16") {
    printError("--precision '" + o.precision + "' is not supported; use fp32 or fp16");
    return 1;
  }
  if (o.precision == "fp16" && !cuda) {
    printError("--precision fp16 needs --target cuda (the C target computes in fp32)");
    return 1;
  }
  if (o.cudaArch != "sm_80" && o.cudaArch != "sm_86" && o.cudaArch != "sm_89" &&
      o.cudaArch != "sm_90") {
    printError("--cuda-arch '" + o.cudaArch + "' is not supported; use sm_80, sm_86, sm_89 or sm_90");
    return 1;
  }
  if (o.batch < 0) {
    printError("--batch must be positive");
    return 1;
  }
  if (!o.quantize.empty() && o.quantize != "none" && o.quantize != "int8") {
    printError("--quantize '" + o.quantize + "' is not supported; use int8 (or none)");
    return 1;
  }
  int64_t sramBudget = 0, flashBudget = 0;
  if (!parseSizeFlag("--sram", o.sram, sramBudget) ||
      !parseSizeFlag("--flash", o.flash, flashBudget))
    return 1;
  if ((sramBudget || flashBudget || !o.memoryReport.empty()) && cuda) {
    printError("--sram, --flash and --memory-report apply to the C targets, not --target cuda");
    return 1;
  }
  if (o.int8Rounding != "auto" && o.int8Rounding != "tflite" && o.int8Rounding != "onnx") {
    printError("--int8-rounding '" + o.int8Rounding + "' is not supported; use auto, tflite or onnx");
    return 1;
  }
  if (o.shiftFusion != "on" && o.shiftFusion != "off") {
    printError("--shift-fusion '" + o.shiftFusion + "' is not supported; use on or off");
    return 1;
  }
  if (o.streaming && cuda) {
    printError("--streaming applies to the C targets, not --target cuda");
    return 1;
  }
  if (o.planner != "pare" && o.planner != "greedy-by-size") {
    printError("--planner '" + o.planner + "' is not supported; use pare or greedy-by-size");
    return 1;
  }
  if (o.patches != "auto" && o.patches != "off" && o.patches != "min") {
    printError("--patches '" + o.patches + "' is not supported; use auto, off or min");
    return 1;
  }
  if (!checkPatchFlags(o.maxRecompute, o.patchGrid))
    return 1;
  if (o.kernels != "specialized" && o.kernels != "generic") {
    printError("--kernels '" + o.kernels + "' is not supported; use specialized or generic");
    return 1;
  }
  if (o.quantize == "int8" && o.calibration.empty()) {
    printError("--quantize int8 needs --calibration DIR (input samples as .npy or .pb files)");
    return 1;
  }
  if (o.quantize != "int8" && !o.calibration.empty()) {
    printError("--calibration is only used with --quantize int8");
    return 1;
  }
  if (o.calibrationMethod != "minmax" && o.calibrationMethod != "percentile") {
    printError("--calibration-method '" + o.calibrationMethod +
               "' is not supported; use minmax or percentile");
    return 1;
  }
  if (!(o.percentile > 50.0 && o.percentile <= 100.0)) {
    printError("--percentile must be in (50, 100]");
    return 1;
  }
  if (o.quantize == "int8" && cuda) {
    printError("--quantize int8 targets the C backends; --target cuda has no int8 kernels yet");
    return 1;
  }
  if (o.emit != "c" && o.emit != "mlir") {
    printError("--emit '" + o.emit + "' is not supported; use --emit c or --emit mlir");
    return 1;
  }
  std::string last = o.compileTo.empty() ? (o.emit == "mlir" ? "plan" : "c") : o.compileTo;
  auto ph = phases();
  if (std::find(ph.begin(), ph.end(), last) == ph.end()) {
    printError("--compile-to '" + last + "' is not a phase; phases: import, graph, plan, c");
    return 1;
  }
  // The prefix of every file and symbol: it may name none of pare's own
  // files (pare_kernels.h, pare_k_*.c, runner.c) nor a reserved identifier.
  std::string name = o.name;
  if (name.empty()) {
    name = codegen::sanitizeIdentifier(llvm::sys::path::stem(o.model).str());
    std::string why = codegen::modelNameError(name);
    if (!why.empty()) {
      printError("the model file's name gives the prefix '" + name + "', which " + why +
                 "; pass --name");
      return 1;
    }
  } else if (std::string why = codegen::modelNameError(name); !why.empty()) {
    printError("--name '" + codegen::displayText(name) + "' " + why);
    return 1;
  }
  if (o.outDir.empty()) {
    printError("no output directory: pass -o DIR (or -o - to print IR)");
    return 1;
  }
  if (last == "c" && o.outDir == "-") {
    printError("-o - prints IR only; C output needs a directory (-o DIR)");
    return 1;
  }

  auto ctx = makeContext();
  auto module = loadModel(*ctx, o.model, o.inputShapes, o.batch);
  if (failed(module))
    return 1;
  std::string runTo = last == "c" ? "plan" : last;
  std::optional<QuantizeConfig> quantize;
  if (o.quantize == "int8") {
    quantize.emplace();
    quantize->calibrationDir = o.calibration;
    quantize->options.method = o.calibrationMethod == "percentile" ? calib::Method::Percentile
                                                                   : calib::Method::MinMax;
    quantize->options.percentile = o.percentile;
    quantize->quiet = o.quiet;
  }
  // int8 arithmetic follows the reference of the model's source: TFLite /
  // CMSIS-NN rounding for pare's own quantization, onnxruntime's (float
  // requantization, ties to even) for models that arrive quantized.
  std::string rounding = o.int8Rounding;
  if (rounding == "auto")
    rounding = quantize ? "tflite" : "onnx";
  bool hasQuantized = quantize.has_value();
  (**module)->walk([&](Operation *op) {
    if (isa<pare::QuantizeOp, pare::DequantizeOp>(op))
      hasQuantized = true;
  });
  if (hasQuantized)
    (**module)->setAttr("pare.int8_rounding", StringAttr::get(ctx.get(), rounding));
  PlanPipelineOptions plan;
  plan.planner = o.planner;
  plan.patches = cuda ? "off" : o.patches;
  plan.arenaBudget = sramBudget ? std::max<int64_t>(1, sramBudget - budget::kStackEstimate) : 0;
  plan.maxRecompute = o.maxRecompute / 100.0;
  plan.patchGrid = o.patchGrid;
  if (failed(runPhases(**module, runTo, o.precision == "fp16", cuda,
                       quantize ? &*quantize : nullptr, plan, o.streaming,
                       o.shiftFusion == "on")))
    return 1;

  if (last != "c") {
    std::string text;
    llvm::raw_string_ostream os(text);
    OpPrintingFlags flags;
    if (o.outDir == "-")
      flags.elideLargeElementsAttrs(16); // readable on a terminal; files keep every weight
    (**module)->print(os, flags);
    if (o.outDir == "-") {
      llvm::outs() << text;
      return 0;
    }
    if (!writeAllOrNothing(o.outDir, {{name + ".mlir", text}}))
      return 1;
    if (!o.quiet)
      llvm::outs() << "pare: wrote " << o.outDir << "/" << name << ".mlir\n";
    return 0;
  }

  FailureOr<std::vector<codegen::EmittedFile>> files;
  codegen::CEmitStats stats;
  if (cuda) {
    codegen::CudaEmitOptions copts;
    copts.name = name;
    copts.sourceModel = llvm::sys::path::filename(o.model).str();
    copts.version = version();
    copts.arch = o.cudaArch;
    copts.emitRunner = o.emitRunner;
    files = codegen::emitCuda(**module, copts);
  } else {
    codegen::CEmitOptions copts;
    copts.name = name;
    copts.sourceModel = llvm::sys::path::filename(o.model).str();
    copts.version = version();
    copts.emitRunner = o.emitRunner;
    copts.cpuFlags = codegen::cortexMFlags(o.target);
    copts.targetName = o.target;
    copts.specializeKernels = o.kernels == "specialized";
    copts.stats = &stats;
    files = codegen::emitC(**module, copts);
  }
  if (failed(files))
    return 1;
  if (!cuda) {
    auto mainOr = codegen::mainFunction(**module);
    if (failed(mainOr))
      return 1;
    budget::Report report = budget::build(*mainOr, stats);
    report.patchesTried = o.patches != "off";
    if (!o.memoryReport.empty() &&
        !writeFileAtomically(o.memoryReport, budget::toJson(report, sramBudget, flashBudget),
                             "--memory-report"))
      return 1;
    if (!budget::check(report, sramBudget, flashBudget))
      return 1;
    if (o.patchGrid > 0 && !report.patchGrid)
      llvm::errs() << "pare: note: --patch-grid " << o.patchGrid
                   << (o.patches == "off" ? " has no effect with --patches off"
                       : o.patches == "auto" && !sramBudget
                           ? " has no effect: --patches auto patches only to meet --sram (use "
                             "--patches min)"
                           : " gave no patched plan with a lower peak (the grid must fit the "
                             "split layer's output and --max-recompute)")
                   << "; compiled layer by layer\n";
    if (!o.quiet && report.patchGrid)
      llvm::outs() << "pare: patch-based inference: " << report.patchGrid << " x "
                   << report.patchGrid << " patches up to " << report.patchSplit << " (+"
                   << report.patchExtraMacs << " MACs of recomputed halos)\n";
    if (!o.quiet && (sramBudget || flashBudget))
      llvm::outs() << "pare: SRAM " << report.sram() << " of " << sramBudget
                   << " bytes (arena " << report.arenaBytes << " + stack estimate "
                   << report.stackBytes
                   << (report.stateBytes ? " + streaming state " + std::to_string(report.stateBytes)
                                         : std::string())
                   << "), flash " << report.flash() << " of " << flashBudget
                   << " bytes (weights " << report.weightBytes << " + code estimate "
                   << report.codeBytes << ")\n";
  }
  if (!writeAllOrNothing(o.outDir, *files))
    return 1;
  if (!o.quiet) {
    int64_t arena = 0;
    (**module)->walk([&](func::FuncOp f) {
      if (auto a = f->getAttrOfType<IntegerAttr>("pare.arena_bytes"))
        arena = a.getInt();
    });
    llvm::outs() << "pare: wrote " << files->size() << " files to " << o.outDir
                 << " (arena " << arena << " bytes)\n";
  }
  return 0;
}

int listOps() {
  for (const std::string &line : onnx_frontend::supportedOps())
    llvm::outs() << line << "\n";
  return 0;
}

} // namespace pare::driver
