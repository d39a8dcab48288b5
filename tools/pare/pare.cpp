//===- pare.cpp - the pare command line -----------------------------------===//
#include "compiler/Driver.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <iostream>

namespace {

// Flag values CLI11 would accept but pare must not: an empty value is an
// error, never "unset" (`--sram ''`); counts are positive integers;
// tolerances finite and >= 0 (`--rtol nan`).
const CLI::Validator NonEmpty(
    [](std::string &s) { return s.empty() ? std::string("must not be empty") : std::string(); }, "",
    "NONEMPTY");

const CLI::Validator PositiveInteger(
    [](std::string &s) {
      errno = 0;
      char *end = nullptr;
      long long v = std::strtoll(s.c_str(), &end, 10);
      if (s.empty() || *end != '\0' || errno == ERANGE || v <= 0)
        return std::string("must be a positive integer, not '" + s + "'");
      return std::string();
    },
    "", "POSITIVE");

const CLI::Validator FiniteNonNegative(
    [](std::string &s) {
      char *end = nullptr;
      double v = std::strtod(s.c_str(), &end);
      if (s.empty() || *end != '\0' || !std::isfinite(v) || v < 0)
        return std::string("must be a finite number >= 0, not '" + s + "'");
      return std::string();
    },
    "", "FINITE>=0");

/// --smooth-alpha: a number in [0, 1], auto or off.
const CLI::Validator SmoothAlpha(
    [](std::string &s) {
      if (s == "auto" || s == "off")
        return std::string();
      char *end = nullptr;
      double v = std::strtod(s.c_str(), &end);
      if (s.empty() || *end != '\0' || !(v >= 0.0 && v <= 1.0))
        return std::string("must be a number in [0, 1], auto or off, not '" + s + "'");
      return std::string();
    },
    "", "ALPHA");

/// A choice flag: one of `choices`' spellings, stored as its enum value.
/// CLI11's IsMember refuses anything else in one line that names the flag
/// and the values ("--target: x not in {host,generic-c,...}"), then its
/// Transformer maps the spelling to the value.
template <typename E> CLI::Validator choice(const pare::driver::Choices<E> &choices) {
  std::vector<std::string> names;
  for (const auto &c : choices)
    names.push_back(c.first);
  const CLI::Validator known = CLI::IsMember(names);
  const CLI::Validator map = CLI::Transformer(choices);
  return CLI::Validator(
      [known, map](std::string &s) {
        if (s.empty())
          return std::string("must not be empty");
        std::string error = known(s);
        return error.empty() ? map(s) : error;
      },
      known.get_description(), "CHOICE");
}

const std::string kShapeHelp =
    "Fix an input's shape, e.g. --input-shape x=1,3,224,224 (repeatable; needed "
    "for inputs with symbolic dims)";

/// `pare compile` and its flags, parsed into `co`.
CLI::App *addCompile(CLI::App &app, pare::driver::CompileOptions &co) {
  auto *compile = app.add_subcommand("compile", "Compile an ONNX model to C files");
  compile->add_option("model", co.model, "Model file (.onnx, .onnxtext or pare .mlir)")
      ->required()
      ->check(NonEmpty);
  compile
      ->add_option("-o,--output", co.outDir,
                   "Output directory (created if missing); '-' prints IR to stdout")
      ->required()
      ->check(NonEmpty);
  compile
      ->add_option("--name", co.name,
                   "C prefix of every generated symbol and file (default: model file "
                   "stem)")
      ->check(NonEmpty);
  compile
      ->add_option(
          "--target", co.target,
          "Code generation target: host, generic-c (C99), cortex-m4, cortex-m7, cortex-m33, "
          "cortex-m55 (C99 with the CPU flags in the build fragments), cuda "
          "(CUDA C++)")
      ->transform(choice(pare::driver::targets()))
      ->default_val("host");
  compile
      ->add_option("--cuda-arch", co.cudaArch,
                   "GPU architecture for --target cuda: sm_80, sm_86, sm_89, sm_90 (built as "
                   "sm_90a with the Hopper TMA / wgmma kernels)")
      ->transform(choice(pare::driver::cudaArchs()))
      ->default_val("sm_90");
  compile
      ->add_option("--precision", co.precision,
                   "fp32, or fp16 storage with fp32 accumulation (--target cuda)")
      ->transform(choice(pare::driver::precisions()))
      ->default_val("fp32");
  compile
      ->add_option("--batch", co.batch, "Batch size: sets dim 0 of every input (symbolic or equal)")
      ->check(PositiveInteger);
  compile->add_option("--input-shape", co.inputShapes, kShapeHelp)->check(NonEmpty);
  compile->add_option("--emit", co.emit, "What to write: c (default) or mlir")
      ->transform(choice(pare::driver::emits()))
      ->default_val("c");
  compile
      ->add_option("--compile-to", co.compileTo,
                   "Stop after a phase and write its IR: import, graph, quantize (int8 "
                   "and fp16), plan, c")
      ->transform(choice(pare::driver::phases()));
  compile->add_flag("--emit-runner", co.emitRunner,
                    "Also write runner.c, a host program that runs the model on .npy "
                    "files");
  compile
      ->add_option("--quantize", co.quantize,
                   "int8: post-training quantization of a float model (needs "
                   "--calibration); quantized ONNX models (QDQ, QOperator) compile to "
                   "int8 without it. w4a16: decoders (--max-context): 4-bit weights in "
                   "groups (--group-size) with AWQ's activation-aware scales found on "
                   "--calibration text (--awq off: round to nearest). w8a8: decoders, "
                   "SmoothQuant: int8 weights and activations (--smooth-alpha, --act-quant), "
                   "C and CUDA targets")
      ->transform(choice(pare::driver::compileQuantizeModes()));
  compile
      ->add_option("--calibration", co.calibration,
                   "Directory of calibration inputs: one sample per .npy file (or ONNX "
                   "TensorProto .pb), names starting with the input's name when the model "
                   "has several inputs; for --quantize int8, or for the float islands of a "
                   "quantized model (--int8-islands quantize). --quantize w4a16, w8a8: a text "
                   "file, a directory of them, or token ids as .npy files")
      ->check(NonEmpty);
  compile
      ->add_option("--group-size", co.groupSize,
                   "--quantize w4a16: inputs per quantization group, a power of two >= 16 "
                   "dividing every linear's input width (default 128)")
      ->check(PositiveInteger);
  compile
      ->add_option("--awq", co.awq,
                   "--quantize w4a16: on (AWQ's scale and clipping search, default) or off "
                   "(round to nearest)")
      ->transform(choice(pare::driver::onOff()));
  compile
      ->add_option("--awq-search-rows", co.awqSearchRows,
                   "--quantize w4a16: calibration tokens per linear input, sampled from all "
                   "of them, on which AWQ's scale and clipping searches measure the output "
                   "error (default 2048; the search time and memory grow with it)")
      ->check(PositiveInteger);
  compile
      ->add_option("--tokenizer", co.tokenizer,
                   "--quantize w4a16, w8a8: the model's tokenizer.json, for text calibration")
      ->check(NonEmpty);
  compile
      ->add_option("--calibration-windows", co.calibrationWindows,
                   "--quantize w4a16, w8a8: windows of calibration text (default 128, fewer when "
                   "the text is short)")
      ->check(PositiveInteger);
  compile
      ->add_option("--calibration-length", co.calibrationLength,
                   "--quantize w4a16, w8a8: tokens per calibration window (default 512)")
      ->check(PositiveInteger);
  compile
      ->add_option("--smooth-alpha", co.smoothAlpha,
                   "--quantize w8a8: SmoothQuant's migration strength, a number in [0, 1] "
                   "(default 0.5), auto (searched per smoothing group on the calibration "
                   "set) or off (no smoothing)")
      ->check(SmoothAlpha);
  compile
      ->add_option("--act-quant", co.actQuant,
                   "--quantize w8a8: activation quantization, per-token (dynamic, default) "
                   "or per-tensor (static scale from --calibration)")
      ->transform(choice(pare::driver::actQuantModes()));
  compile
      ->add_option("--calibration-method", co.calibrationMethod,
                   "Activation ranges from calibration: minmax, or percentile")
      ->transform(choice(pare::driver::calibrationMethods()))
      ->default_val("minmax");
  compile
      ->add_option("--percentile", co.percentile,
                   "Percentile kept on each side with --calibration-method percentile")
      ->default_val(99.99);
  compile
      ->add_option("--kernels", co.kernels,
                   "int8 kernels: specialized (a function per layer with constant shapes: "
                   "faster, more flash) or generic (one shared kernel per op type)")
      ->transform(choice(pare::driver::kernelKinds()))
      ->default_val("specialized");
  compile
      ->add_option("--int8-rounding", co.int8Rounding,
                   "int8 requantization: tflite (Q31 multiplier, the TFLite / CMSIS-NN "
                   "contract; fast kernels), onnx (float32 scale, ties to even, as "
                   "onnxruntime), auto (tflite with --quantize, onnx for quantized ONNX "
                   "models)")
      ->transform(choice(pare::driver::int8Roundings()))
      ->default_val("auto");
  compile
      ->add_option("--int8-islands", co.int8Islands,
                   "Ops a quantized model leaves in float between dequantize and quantize "
                   "(float islands): quantize (int8 with the scales around them; a value "
                   "inside with no scale takes its --calibration range, else the next "
                   "quantize's downstream), keep (float, as onnxruntime runs them), auto "
                   "(quantize for cortex-m*, keep for host, generic-c and cuda)")
      ->transform(choice(pare::driver::int8IslandModes()))
      ->default_val("auto");
  compile
      ->add_option("--sram", co.sram,
                   "SRAM budget (e.g. 320K, 512KiB): fail, naming the layers that set the "
                   "peak, when arena + stack estimate exceed it")
      ->check(NonEmpty);
  compile
      ->add_option("--flash", co.flash,
                   "Flash budget (e.g. 1M): fail when weights + code estimate exceed it")
      ->check(NonEmpty);
  compile
      ->add_option("--memory-report", co.memoryReport,
                   "Write the SRAM / flash figures and per-layer live bytes as JSON")
      ->check(NonEmpty);
  compile
      ->add_option("--planner", co.planner,
                   "Arena planner: pare (in-place ops, search), or greedy-by-size "
                   "(TFLite Micro's, for comparison)")
      ->transform(choice(pare::driver::planners()))
      ->default_val("pare");
  compile
      ->add_option("--patches", co.patches,
                   "Patch-based inference for the first layers: auto (only when --sram "
                   "needs it), min (smallest peak), off")
      ->transform(choice(pare::driver::patchModes()))
      ->default_val("auto");
  compile
      ->add_option("--max-recompute", co.maxRecompute,
                   "Extra MACs that recomputed patch halos may add, in % of the model's")
      ->default_val(10.0);
  compile->add_option("--patch-grid", co.patchGrid,
                      "Patch grid n (n x n patches); default: the best of 2..8");
  compile->add_flag("--streaming", co.streaming,
                    "Temporal-shift (TSM) models: emit a per-frame step (<name>_step, "
                    "<name>_reset) that keeps the shifted channels of the previous frame in a "
                    "state buffer (unidirectional shifts)");
  compile
      ->add_option("--max-context", co.maxContext,
                   "Decoders (LLMs): emit a KV-cache step API (<name>_prefill, <name>_decode, "
                   "<name>_reset) whose cache holds this many positions; the weights go to "
                   "<name>_weights.bin")
      ->check(CLI::Range(int64_t(1), int64_t(1) << 20));
  compile
      ->add_option("--gpu-memory", co.gpuMemoryGB,
                   "--target cuda decoders: GPU memory in GB (10^9 bytes) that weights, arena and "
                   "KV cache must fit; a --max-context that does not is a compile error (default: "
                   "80 for sm_80 / sm_90, 24 for sm_86 / sm_89)")
      ->check(CLI::Range(0.001, 1.0e6));
  compile
      ->add_option("--cuda-fusion", co.cudaFusion,
                   "--target cuda decoders: one fused launch per norm + linear (+ residual add), "
                   "gated MLP half and q/k/v projection (+ rotary + KV-cache write), split "
                   "decode attention (issue 17): on, off (one launch per op, the kernels of "
                   "issue 16)")
      ->transform(choice(pare::driver::onOff()))
      ->default_val("on");
  compile
      ->add_option("--cuda-gemm", co.cudaGemm,
                   "--target cuda decoders: the library of the prefill products (steps of more "
                   "than 4 rows): pare (its own kernels; the output needs only the CUDA "
                   "runtime) or cublas (cuBLAS / cuBLASLt, linked with -lcublas -lcublasLt); "
                   "decode runs pare's kernels either way")
      ->transform(choice(pare::driver::cudaGemms()))
      ->default_val("pare");
  compile
      ->add_option("--prefill-chunk", co.prefillChunk,
                   "Decoders: rows (prompt tokens) of one prefill step; longer prompts run in "
                   "chunks, each reading every weight once (default: 512 for --target cuda, "
                   "min(64, context / 2) for the C targets; at most --max-context)")
      ->check(CLI::Range(int64_t(1), int64_t(1) << 20));
  compile
      ->add_option("--max-batch", co.maxBatch,
                   "Decoders: sequences held at once, each in its own KV-cache slot; "
                   "<name>_decode_batch advances up to this many together, reading every weight "
                   "once per step (batch serving). 1: the single-sequence API only")
      ->check(CLI::Range(int64_t(1), int64_t(256)))
      ->default_val(1);
  compile
      ->add_option("--shift-fusion", co.shiftFusion,
                   "Fold temporal shifts into the 1x1 convolutions that read them: on, off")
      ->transform(choice(pare::driver::onOff()))
      ->default_val("on");
  compile->add_flag("-q,--quiet", co.quiet, "Print nothing on success");
  compile->add_flag("-v,--verbose", co.verbose,
                    "Also print the island nodes --int8-islands quantize made int8 (one "
                    "line each: node, op, scales and where they came from), on stderr");
  return compile;
}

/// `pare validate` and its flags, parsed into `vo`.
CLI::App *addValidate(CLI::App &app, pare::driver::ValidateOptions &vo) {
  auto *validate = app.add_subcommand(
      "validate", "Compile for the host, build with the C compiler, run and compare "
                  "the outputs with reference files or onnxruntime");
  validate->add_option("model", vo.model, "Model file")->required()->check(NonEmpty);
  validate->add_option("--input-shape", vo.inputShapes, kShapeHelp)->check(NonEmpty);
  validate
      ->add_option("--inputs", vo.inputsDir,
                   "Directory with one NAME.npy per model input (default: seeded "
                   "random inputs)")
      ->check(NonEmpty);
  validate
      ->add_option("--reference", vo.referenceDir,
                   "Directory with one NAME.npy per model output (default: run "
                   "onnxruntime through python3)")
      ->check(NonEmpty);
  validate->add_option("--rtol", vo.rtol, "Relative tolerance")
      ->default_val(1e-4)
      ->check(FiniteNonNegative);
  validate->add_option("--atol", vo.atol, "Absolute tolerance")
      ->default_val(1e-5)
      ->check(FiniteNonNegative);
  validate->add_option("--seed", vo.seed, "Seed of the random inputs")->default_val(0);
  validate->add_option("--python", vo.python, "Python with onnxruntime for the reference")
      ->default_val("python3")
      ->check(NonEmpty);
  validate->add_option("--cc", vo.cc, "C compiler")->default_val("cc")->check(NonEmpty);
  validate->add_flag("--keep", vo.keep, "Keep the work directory");
  return validate;
}

/// `pare inspect` and its flags, parsed into `io`.
CLI::App *addInspect(CLI::App &app, pare::driver::InspectOptions &io) {
  auto *inspect = app.add_subcommand(
      "inspect", "Print ops, parameters, MACs, activation sizes and arena bytes");
  inspect->add_option("model", io.model, "Model file")->required()->check(NonEmpty);
  inspect->add_option("--input-shape", io.inputShapes, kShapeHelp)->check(NonEmpty);
  inspect->add_option("--batch", io.batch, "Batch size: sets dim 0 of every input")
      ->check(PositiveInteger);
  inspect->add_flag("--json", io.json, "Print JSON");
  inspect
      ->add_option("--quantize", io.quantize,
                   "int8: also print each layer's int8 error (SQNR against float) after "
                   "post-training quantization on --calibration")
      ->transform(choice(pare::driver::quantizeModes()));
  inspect->add_option("--calibration", io.calibration, "Calibration samples (see compile)")
      ->check(NonEmpty);
  inspect->add_option("--calibration-method", io.calibrationMethod, "minmax or percentile")
      ->transform(choice(pare::driver::calibrationMethods()))
      ->default_val("minmax");
  inspect
      ->add_option("--percentile", io.percentile,
                   "Percentile for --calibration-method "
                   "percentile")
      ->default_val(99.99);
  return inspect;
}

/// `pare profile` and its flags, parsed into `po`.
CLI::App *addProfile(CLI::App &app, pare::driver::ProfileOptions &po) {
  auto *profile = app.add_subcommand(
      "profile",
      "Microcontroller cost of a model without compiling it: per layer MACs, weight bytes, "
      "output bytes and live arena bytes (per-layer plan and with patch-based inference); "
      "total MACs, flash estimate (weights + code estimate), peak SRAM with greedy-by-size, "
      "pare's planner, the lower bound and patches; latency estimates per Cortex-M target. "
      "Latency is an estimate: instructions per MAC and per output element by op kind, fitted "
      "to QEMU instruction counts (docs/benchmarks.md), 1 cycle per instruction, clocks "
      "M4 100 MHz (STM32F411), M7 216 MHz (STM32F746), M33 160 MHz (STM32U585), M55 400 MHz "
      "(Alif E7; M33 / M55 reuse the M4 / M7 fit). Against QEMU's whole-model counts "
      "(docs/benchmarks.md): within 3.1% on MobileNetV2-0.35 / 0.3 and PaddleOCR (whose "
      "profile was fitted), 15-30% over on the small Fashion-MNIST CNN; real boards add wait "
      "states and stalls");
  profile->add_option("model", po.model, "Model file")->required()->check(NonEmpty);
  profile
      ->add_option("--target", po.target,
                   "Cortex-M core of the latency estimate: cortex-m4, cortex-m7, cortex-m33, "
                   "cortex-m55 (all four are printed)")
      ->transform(choice(pare::driver::profileTargets()))
      ->default_val("cortex-m4");
  profile
      ->add_option("--sram", po.sram,
                   "SRAM budget (e.g. 320K): said whether the patched peak + stack estimate "
                   "fits, and drawn in the --svg plot")
      ->check(NonEmpty);
  profile
      ->add_option("--quantize", po.quantize,
                   "int8: profile the int8 model (ranges from --calibration, or from one "
                   "seeded random input: memory figures do not depend on the values)")
      ->transform(choice(pare::driver::quantizeModes()));
  profile
      ->add_option("--calibration", po.calibration,
                   "Calibration samples for --quantize int8 (see compile); optional")
      ->check(NonEmpty);
  profile->add_flag("--json", po.json, "Print JSON");
  profile
      ->add_option("--svg", po.svg,
                   "Write a plot of the live arena bytes per layer (per-layer plan and "
                   "patched, KiB) as SVG")
      ->check(NonEmpty);
  profile
      ->add_option("--max-recompute", po.maxRecompute,
                   "Extra MACs that recomputed patch halos may add, in % of the model's")
      ->default_val(10.0);
  profile->add_option("--patch-grid", po.patchGrid,
                      "Patch grid n (n x n patches); default: the best of 2..8");
  profile->add_flag("--no-patches{false}", po.patches,
                    "Skip the patch search (per-layer plan only)");
  profile->add_option("--input-shape", po.inputShapes, kShapeHelp)->check(NonEmpty);
  profile->add_option("--batch", po.batch, "Batch size: sets dim 0 of every input")
      ->check(PositiveInteger);
  return profile;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"pare: an ahead-of-time compiler from ONNX models to standalone C.\n"
               "\n"
               "  pare compile model.onnx -o out/     write C files for the model\n"
               "  pare validate model.onnx            build, run and compare with onnxruntime\n"
               "  pare inspect model.onnx             ops, MACs, parameters, memory\n"
               "  pare profile model.onnx             MCU cost: SRAM per planner, patches, "
               "flash, latency\n"
               "  pare list-ops                       ONNX ops pare imports\n"
               "\n"
               "Run 'pare COMMAND --help' for the options of a command.",
               "pare"};
  app.set_version_flag("--version", "pare " + pare::driver::version());
  app.require_subcommand(1);
  // Flag errors in pare's one-line form: "pare: error: --sram: must not be empty".
  app.failure_message([](const CLI::App *, const CLI::Error &e) {
    return "pare: error: " + std::string(e.what()) + "\n";
  });

  pare::driver::CompileOptions co;
  pare::driver::ValidateOptions vo;
  pare::driver::InspectOptions io;
  pare::driver::ProfileOptions po;
  CLI::App *compile = addCompile(app, co);
  CLI::App *validate = addValidate(app, vo);
  CLI::App *inspect = addInspect(app, io);
  CLI::App *profile = addProfile(app, po);
  auto *listOps = app.add_subcommand("list-ops", "List the ONNX ops (and since-versions) "
                                                 "pare imports");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 1;
  }
  if (*compile)
    return pare::driver::compile(co);
  if (*validate)
    return pare::driver::validate(vo);
  if (*inspect)
    return pare::driver::inspect(io);
  if (*profile)
    return pare::driver::profile(po);
  if (*listOps)
    return pare::driver::listOps();
  return 1;
}
