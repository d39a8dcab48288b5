//===- CFiles.cpp - the C target's output files ---------------------------===//
//
// Turns a finished CModule into the files of the output: <name>.h (API,
// shape and arena macros), <name>.c (the plan, the per-layer kernels, the
// run function), <name>_weights.c (the weights the code reads), the CMake
// and Make fragments, runner.c and the runtime kernels.
//
//===----------------------------------------------------------------------===//

#include "codegen/c/CModule.h"

#include "dialects/Pare/IR/PareAttrs.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Regex.h"

using namespace mlir;

namespace pare::codegen {

using shape::Shape;

namespace {

/// The runtime files the code needs, in runtimeFiles() order: the headers the
/// model's .c includes, each .c file defining a kernel it calls, and what
/// those include or call in turn. A float model gets no int8 kernels.
std::vector<const EmittedFile *> runtimeFilesUsed(const CModule &m) {
  static const llvm::Regex include("^#include \"([A-Za-z0-9_.]+)\"");
  static const llvm::Regex definition("^[A-Za-z_][A-Za-z0-9_ *]* (pare_[A-Za-z0-9_]+)\\(");
  static const llvm::Regex call("(pare_[A-Za-z0-9_]+)\\(");
  const std::vector<EmittedFile> &all = runtimeFiles();
  llvm::StringMap<size_t> byPath, definedIn;
  for (size_t i = 0; i < all.size(); ++i) {
    byPath[all[i].path] = i;
    if (!llvm::StringRef(all[i].path).ends_with(".c"))
      continue;
    for (llvm::StringRef line : llvm::split(all[i].contents, '\n')) {
      SmallVector<llvm::StringRef> match;
      if (!line.rtrim().ends_with(";") && definition.match(line, &match))
        definedIn.try_emplace(match[1], i);
    }
  }
  std::vector<bool> needed(all.size(), false);
  std::vector<size_t> work;
  auto need = [&](llvm::StringRef path) {
    auto it = byPath.find(path);
    if (it != byPath.end() && !needed[it->second]) {
      needed[it->second] = true;
      work.push_back(it->second);
    }
  };
  auto needKernel = [&](llvm::StringRef kernel) {
    auto it = definedIn.find(kernel);
    if (it != definedIn.end())
      need(all[it->second].path);
  };
  need("pare_kernels.h");
  if (m.usesInt8)
    need("pare_kernels_s8.h");
  if (m.usesSpecialized)
    need("pare_k_s8_impl.h");
  for (const std::string &kernel : m.kernelsCalled)
    needKernel(kernel);
  while (!work.empty()) {
    const EmittedFile &f = all[work.back()];
    work.pop_back();
    bool source = llvm::StringRef(f.path).ends_with(".c");
    for (llvm::StringRef line : llvm::split(f.contents, '\n')) {
      SmallVector<llvm::StringRef> match;
      if (include.match(line, &match))
        need(match[1]);
      // Kernels a source file calls (headers only declare them, or call
      // their own inline helpers).
      for (llvm::StringRef rest = line; source && call.match(rest, &match);
           rest = rest.substr(rest.find(match[0]) + match[0].size()))
        needKernel(match[1]);
    }
  }
  std::vector<const EmittedFile *> used;
  for (size_t i = 0; i < all.size(); ++i)
    if (needed[i])
      used.push_back(&all[i]);
  return used;
}

/// The text of the files, from the module's state.
class CFiles {
public:
  CFiles(CModule &m, bool hasPatchStage);
  std::vector<EmittedFile> files();

private:
  /// Weights the code reads (a conv's original layout is replaced by its
  /// packed copy, for example); the rest would only waste flash. Fills the
  /// stats.
  void collectWeights();
  /// Streaming temporal shifts: their state buffers persist between calls,
  /// outside the arena; <name>_reset() clears them (zero, or the zero point).
  void stateScope();
  std::string header();
  std::string source();
  std::string weightsFile();
  std::string cmakeFragment();
  std::string makeFragment();
  std::string runnerFile();

  CModule &m;
  bool hasPatchStage;
  func::FuncOp func;
  const CEmitOptions &opts;
  const std::string &prefix, &upper;
  const std::vector<std::string> &inNames, &outNames, &inOrig, &outOrig;
  std::string banner, sig, args, weightDecls, weightDefs;
  std::vector<const EmittedFile *> runtime; ///< the runtime files copied
  std::vector<std::string> sources;         ///< of the build fragments
  int64_t arenaBytes = 0, stateBytes = 0;
  bool stateNeedsInit = false; ///< a state buffer resets to a value other than zero
};

CFiles::CFiles(CModule &m, bool hasPatchStage)
    : m(m), hasPatchStage(hasPatchStage), func(m.func), opts(m.opts), prefix(m.prefix),
      upper(m.upper), inNames(m.storage.inNames), outNames(m.storage.outNames),
      inOrig(m.storage.inOrig), outOrig(m.storage.outOrig) {
  if (auto a = attrs::getArenaBytes(func))
    arenaBytes = *a;
  std::vector<std::string> params;
  for (unsigned i = 0; i < inNames.size(); ++i)
    params.push_back("const " + cType(elemOf(func.getArgument(i))) + " *" + inNames[i]);
  for (unsigned i = 0; i < outNames.size(); ++i)
    params.push_back(cType(cast<RankedTensorType>(func.getResultTypes()[i]).getElementType()) +
                     " *" + outNames[i]);
  for (size_t i = 0; i < params.size(); ++i)
    sig += (i ? ", " : "") + params[i];
  for (auto &n : inNames)
    args += (args.empty() ? "" : ", ") + n;
  for (auto &n : outNames)
    args += (args.empty() ? "" : ", ") + n;
  banner = "/* Generated by pare " + opts.version + " from " + commentText(opts.sourceModel) +
           ". Do not edit; recompile the model instead. */\n";
  runtime = runtimeFilesUsed(m);
  sources = {prefix + ".c", prefix + "_weights.c"};
  for (const EmittedFile *rf : runtime)
    if (llvm::StringRef(rf->path).ends_with(".c"))
      sources.push_back(rf->path);
}

void CFiles::collectWeights() {
  for (const CModule::Weight &w : m.weights) {
    if (!w.used)
      continue;
    weightDecls += w.decl;
    weightDefs += w.def;
    if (opts.stats)
      opts.stats->weightBytes += w.bytes;
  }
  if (!opts.stats)
    return;
  // Code size estimate (bytes of Thumb-2 at -O3, measured on Cortex-M7 with
  // arm-none-eabi-gcc 12): each specialised layer function, each distinct
  // kernel linked in, each call, and the run function itself.
  opts.stats->specializedLayers = m.specializedLayers;
  opts.stats->codeBytesEstimate =
      codeBytesEstimate(m.specializedLayers, int64_t(m.kernelsCalled.size()), m.kernelCalls);
}

void CFiles::stateScope() {
  // Streaming temporal shifts: their state buffers persist between calls,
  // outside the arena; <name>_reset() clears them (zero, or the zero point).
  if (!m.stateBuffers.empty()) {
    std::string defs, reset;
    for (const CModule::StateBuffer &b : m.stateBuffers) {
      stateBytes += b.bytes;
      bool zeroFill = b.fill == "0" || b.fill == "0.0f" || b.fill == "0.0";
      stateNeedsInit |= !zeroFill;
      std::string n = std::to_string(std::max<int64_t>(b.count, 1));
      defs += "static " + b.ctype + " " + b.name + "[" + n + "];\n";
      reset += "  for (i = 0; i < " + n + "; ++i)\n    " + b.name + "[i] = " + b.fill + ";\n";
    }
    m.fileScope += "/* Streaming state (pare.temporal_shift, streaming): the previous frame's\n"
                   " * shifted channels of each stream, kept between calls (" +
                   std::to_string(stateBytes) + " bytes, not in the arena). */\n" + defs;
    if (stateNeedsInit)
      m.fileScope += "static int " + prefix + "_state_ready; /* reset before the first frame */\n";
    m.fileScope += "\nvoid " + prefix + "_reset(void) {\n  size_t i;\n" + reset;
    if (stateNeedsInit)
      m.fileScope += "  " + prefix + "_state_ready = 1;\n";
    m.fileScope += "}\n\n";
  }
}

std::string CFiles::header() {
  std::string guard = upper + "_H";
  std::string h = banner;
  h += "#ifndef " + guard + "\n#define " + guard +
       "\n\n#include <stddef.h>\n#include <stdint.h>\n\n";
  h += "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  h += "/* Bytes of scratch memory one inference needs (activations). */\n";
  h += "#define " + upper + "_ARENA_BYTES " + std::to_string(arenaBytes) + "\n";
  h += "/* Alignment the arena must have, in bytes. */\n";
  h += "#define " + upper + "_ARENA_ALIGN 16\n\n";
  auto shapeMacros = [&](const std::string &kind, unsigned idx, const std::string &orig,
                         const std::string &cname, Type t) {
    auto rt = cast<RankedTensorType>(t);
    std::string m = upper + "_" + llvm::StringRef(cname).upper();
    h += "/* " + kind + " " + std::to_string(idx) + ": \"" + commentText(orig) + "\", " +
         cType(rt.getElementType()) + " " +
         shape::toString(Shape(rt.getShape().begin(), rt.getShape().end())) + " */\n";
    h += "#define " + m + "_RANK " + std::to_string(rt.getRank()) + "\n";
    h += "#define " + m + "_SHAPE " + intArray(Shape(rt.getShape().begin(), rt.getShape().end())) +
         "\n";
    h += "#define " + m + "_SIZE " + std::to_string(rt.getNumElements()) + "\n";
  };
  h += "#define " + upper + "_NUM_INPUTS " + std::to_string(inNames.size()) + "\n";
  h += "#define " + upper + "_NUM_OUTPUTS " + std::to_string(outNames.size()) + "\n\n";
  for (unsigned i = 0; i < inNames.size(); ++i)
    shapeMacros("input", i, inOrig[i], inNames[i], func.getArgument(i).getType());
  for (unsigned i = 0; i < outNames.size(); ++i)
    shapeMacros("output", i, outOrig[i], outNames[i], func.getResultTypes()[i]);
  h += "\n/* Runs the model with a caller-provided arena of at least " + upper +
       "_ARENA_BYTES bytes,\n * aligned to " + upper +
       "_ARENA_ALIGN. Inputs are read, outputs written, in the model's own\n"
       " * layout. Returns 0 on success, 1 when the arena is misaligned. */\n";
  h += "int " + prefix + "_run_with_arena(" + sig + ", void *arena);\n\n";
  h += "#ifndef " + upper + "_NO_STATIC_ARENA\n";
  h += "/* Runs the model with a static arena inside the library (define " + upper +
       "_NO_STATIC_ARENA\n * to leave it out). Not reentrant. Returns 0 on success. */\n";
  h += "int " + prefix + "_run(" + sig + ");\n#endif\n\n";
  if (!m.stateBuffers.empty()) {
    h += "/* This model is streaming: its temporal shifts keep the previous frame's\n"
         " * shifted channels in static state buffers (" +
         upper +
         "_STATE_BYTES bytes, outside the\n * arena) between calls, so each call consumes the "
         "next frame of a stream.\n * Not reentrant: one stream at a time (the state is "
         "shared by " +
         prefix + "_run,\n * " + prefix + "_run_with_arena and " + prefix + "_step). Call " +
         prefix + "_reset() before a new stream. */\n";
    h += "#define " + upper + "_STREAMING 1\n";
    h += "#define " + upper + "_STATE_BYTES " + std::to_string(stateBytes) + "\n\n";
    h += "/* Clears the state: the next frame starts a new stream. */\n";
    h += "void " + prefix + "_reset(void);\n\n";
    h += "#ifndef " + upper + "_NO_STATIC_ARENA\n";
    h += "/* Runs the model on one frame of the stream (as " + prefix +
         "_run). Returns 0 on success. */\n";
    h += "int " + prefix + "_step(" + sig + ");\n#endif\n\n";
  }
  h += "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " + guard + " */\n";
  return h;
}

std::string CFiles::source() {
  std::string c = banner;
  c += "#include \"" + prefix + ".h\"\n#include \"pare_kernels.h\"\n";
  if (m.usesInt8)
    c += "#include \"pare_kernels_s8.h\"\n";
  if (m.usesSpecialized)
    c += "#include \"pare_k_s8_impl.h\"\n";
  // The decoder ops' row kernels (COpsLlm.cpp; pare_llm.h declares the 4-bit
  // matmul of pare_llm_w4.c and the int8 one of pare_llm_w8.c too).
  if (llvm::any_of(m.kernelsCalled, [](const std::string &k) {
        return k == "pare_rms_norm_f32" || k == "pare_rotary_f32" || k == "pare_attention_f32" ||
               k == "pare_matmul_nbits_f32" || k == "pare_matmul_w8a8_f32";
      }))
    c += "#include \"pare_llm.h\"\n";
  c += "\n#include <math.h>\n\n";
  if (!weightDecls.empty())
    c += "/* Weights, defined in " + prefix + "_weights.c. */\n" + weightDecls + "\n";
  if (!m.specialized.empty())
    c += "/* int8 kernels specialised per layer: shapes, strides and zero points are\n"
         " * constants, so the C compiler unrolls and simplifies each one. Kept out of\n"
         " * line: inlined all into one function, GCC schedules them worse. */\n"
         "#if defined(__GNUC__)\n#define " +
         upper +
         "_LAYER static __attribute__((noinline))\n"
         "#else\n#define " +
         upper + "_LAYER static\n#endif\n\n" + m.specialized;
  if (!m.planEntries.empty()) {
    c += "/* Memory plan (pare-plan-memory): byte offset of each tensor" +
         std::string(hasPatchStage ? " and patch tile" : "") + " in the arena. */\n";
    for (auto &[n, off, bytes] : m.planEntries)
      c += "#define " + upper + "_OFFSET_" + n + " " + std::to_string(off) + "\n";
    // The entry that ends last: if it fits, every one does.
    auto last = m.planEntries.begin();
    for (auto it = m.planEntries.begin(); it != m.planEntries.end(); ++it)
      if (std::get<1>(*it) + std::get<2>(*it) > std::get<1>(*last) + std::get<2>(*last))
        last = it;
    auto &[n, off, bytes] = *last;
    c += "\n/* Compile-time check: " + n +
         " ends last, so all of them lie inside the arena (a\n * negative array size stops the "
         "build otherwise). */\n";
    c += "typedef char " + prefix + "_arena_fits[" + upper + "_OFFSET_" + n + " + " +
         std::to_string(bytes) + " <= " + upper + "_ARENA_BYTES ? 1 : -1];\n\n";
  }
  c += m.fileScope;
  c += "#ifndef " + upper + "_NO_STATIC_ARENA\n";
  c += "#if defined(__GNUC__)\n#define " + upper + "_ALIGNED __attribute__((aligned(" + upper +
       "_ARENA_ALIGN)))\n#else\n#define " + upper + "_ALIGNED\n#endif\n";
  c += "static uint8_t " + prefix + "_arena[" + upper + "_ARENA_BYTES > 0 ? " + upper +
       "_ARENA_BYTES : 1] " + upper + "_ALIGNED;\n#endif\n\n";
  c += "int " + prefix + "_run_with_arena(" + sig + ", void *arena_memory) {\n";
  c += "  uint8_t *arena = (uint8_t *)arena_memory;\n";
  c += m.localDecls;
  c += "  if (((uintptr_t)arena_memory % " + upper + "_ARENA_ALIGN) != 0)\n    return 1;\n";
  c += "  (void)arena;\n";
  if (stateNeedsInit)
    c += "  if (!" + prefix + "_state_ready)\n    " + prefix + "_reset();\n";
  for (auto &n : inNames)
    c += "  (void)" + n + ";\n";
  for (auto &n : outNames)
    c += "  (void)" + n + ";\n";
  c += "\n" + m.body + "  return 0;\n}\n\n";
  c += "#ifndef " + upper + "_NO_STATIC_ARENA\n";
  c += "int " + prefix + "_run(" + sig + ") {\n  return " + prefix + "_run_with_arena(" + args +
       ", " + prefix + "_arena);\n}\n#endif\n";
  if (!m.stateBuffers.empty())
    c += "\n#ifndef " + upper + "_NO_STATIC_ARENA\nint " + prefix + "_step(" + sig +
         ") {\n  return " + prefix + "_run(" + args + ");\n}\n#endif\n";
  return c;
}

std::string CFiles::weightsFile() {
  std::string w = banner + "#include <stdint.h>\n";
  w += "#include <math.h> /* INFINITY, NAN */\n";
  w += "\n/* Every array is const so that it stays in flash (.rodata). */\n\n";
  w += weightDefs.empty()
           ? "/* This model has no weights. */\ntypedef int " + prefix + "_no_weights;\n"
           : weightDefs;
  return w;
}

std::string CFiles::cmakeFragment() {
  std::string cm =
      "# Generated by pare " + opts.version + " from " + commentText(opts.sourceModel) + ".\n";
  cm += "# Add the model to a CMake project with one line:\n#   include(path/to/" + prefix +
        ".cmake)\n# then link the target: target_link_libraries(app PRIVATE " + prefix + ")\n";
  cm += "add_library(" + prefix + " STATIC\n";
  for (auto &s : sources)
    cm += "  ${CMAKE_CURRENT_LIST_DIR}/" + s + "\n";
  cm += ")\ntarget_include_directories(" + prefix + " PUBLIC ${CMAKE_CURRENT_LIST_DIR})\n";
  cm += "set_target_properties(" + prefix + " PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON)\n";
  cm += "if(NOT CMAKE_C_COMPILER_ID STREQUAL \"MSVC\")\n  target_link_libraries(" + prefix +
        " PUBLIC m)\nendif()\n";
  if (!opts.cpuFlags.empty()) {
    std::string flags;
    for (auto &f : opts.cpuFlags)
      flags += " " + f;
    cm += "# Compiled for --target " + opts.targetName +
          ": the whole firmware must use the same CPU and ABI flags.\n";
    cm += "set(" + upper + "_CPU_FLAGS" + flags + ")\n";
    cm += "target_compile_options(" + prefix + " PUBLIC ${" + upper + "_CPU_FLAGS} -O3)\n";
    cm += "target_link_options(" + prefix + " PUBLIC ${" + upper + "_CPU_FLAGS})\n";
  }
  return cm;
}

std::string CFiles::makeFragment() {
  std::string mk =
      "# Generated by pare " + opts.version + " from " + commentText(opts.sourceModel) + ".\n";
  mk += "# Add the model to a Makefile with one line:\n#   include path/to/" + prefix +
        ".mk\n# then add $(" + upper + "_SRCS) to your sources and $(" + upper +
        "_CFLAGS) to CFLAGS (link with -lm).\n";
  mk += upper + "_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))\n";
  mk += upper + "_SRCS :=";
  for (auto &s : sources)
    mk += " $(" + upper + "_DIR)/" + s;
  mk += "\n" + upper + "_CFLAGS := -I$(" + upper + "_DIR)";
  for (auto &f : opts.cpuFlags)
    mk += " " + f;
  mk += "\n";
  return mk;
}

std::string CFiles::runnerFile() {
  std::string r = banner;
  r += "/* Host runner: reads the inputs as .npy files (in model input order), runs\n"
       " * the model, writes each output as OUTDIR/<output name>.npy.\n"
       " *   runner [-o OUTDIR] [-n REPEAT] IN0.npy [IN1.npy ...]\n"
       " * With -n it also times REPEAT runs and prints the median latency. */\n";
  r += "#define _POSIX_C_SOURCE 199309L\n#include <stdio.h>\n#include <stdlib.h>\n"
       "#include <string.h>\n#include <time.h>\n\n#include \"" +
       prefix + ".h\"\n\n";
  r += "#define RUNNER_HAS_INPUTS " + std::string(inNames.empty() ? "0" : "1") + "\n\n";
  r += runnerHelpers();
  r += "int main(int argc, char **argv) {\n  const char *runner_outdir = \".\";\n  int "
       "runner_repeat = 0, "
       "runner_argi = 1, runner_status;\n";
  for (unsigned i = 0; i < inNames.size(); ++i)
    r += "  " + cType(elemOf(func.getArgument(i))) + " *" + inNames[i] + ";\n";
  for (unsigned i = 0; i < outNames.size(); ++i) {
    Type t = cast<RankedTensorType>(func.getResultTypes()[i]).getElementType();
    std::string m = upper + "_" + llvm::StringRef(outNames[i]).upper();
    r += "  static const long runner_shape_" + outNames[i] + "[" +
         std::to_string(
             std::max<int64_t>(1, cast<RankedTensorType>(func.getResultTypes()[i]).getRank())) +
         "] = " + m + "_SHAPE;\n";
    r += "  " + cType(t) + " *" + outNames[i] + " = (" + cType(t) + " *)calloc(" + m +
         "_SIZE + 1, sizeof(" + cType(t) + "));\n";
  }
  r += "  while (runner_argi < argc && argv[runner_argi][0] == '-') {\n"
       "    if (strcmp(argv[runner_argi], \"-o\") == 0 && runner_argi + 1 < argc)\n"
       "      runner_outdir = argv[runner_argi + 1];\n"
       "    else if (strcmp(argv[runner_argi], \"-n\") == 0 && runner_argi + 1 < argc)\n"
       "      runner_repeat = atoi(argv[runner_argi + 1]);\n"
       "    else\n      return fail(\"usage: runner [-o OUTDIR] [-n REPEAT] INPUTS.npy...\", "
       "NULL);\n"
       "    runner_argi += 2;\n  }\n";
  r += "  if (argc - runner_argi != " + upper + "_NUM_INPUTS)\n    return fail(\"expected " +
       std::to_string(inNames.size()) + " input .npy file(s)\", NULL);\n";
  for (unsigned i = 0; i < inNames.size(); ++i) {
    Type t = elemOf(func.getArgument(i));
    std::string m = upper + "_" + llvm::StringRef(inNames[i]).upper();
    r += "  " + inNames[i] + " = (" + cType(t) + " *)read_npy(argv[runner_argi + " +
         std::to_string(i) + "], \"'" + npyDescr(t) + "'\", " + m + "_SIZE, sizeof(" + cType(t) +
         "));\n  if (!" + inNames[i] + ") return 1;\n";
  }
  r += "  runner_status = " + prefix + "_run(" + args + ");\n";
  r += "  if (runner_status != 0) return fail(\"model returned an error\", NULL);\n";
  r += "  if (runner_repeat > 0) {\n"
       "    double *runner_times = (double *)malloc(sizeof(double) * runner_repeat);\n"
       "    int runner_k;\n    for (runner_k = 0; runner_k < runner_repeat; ++runner_k) {\n"
       "      double runner_t0 = now_ms();\n      " +
       prefix + "_run(" + args +
       ");\n      runner_times[runner_k] = now_ms() - runner_t0;\n    }\n"
       "    qsort(runner_times, runner_repeat, sizeof(double), cmp_double);\n"
       "    printf(\"latency_ms: %.6f\\n\", runner_times[runner_repeat / 2]);\n"
       "    free(runner_times);\n  }\n";
  std::vector<std::string> fileNames = npyFileNames(outOrig);
  for (unsigned i = 0; i < outNames.size(); ++i) {
    Type t = cast<RankedTensorType>(func.getResultTypes()[i]).getElementType();
    std::string m = upper + "_" + llvm::StringRef(outNames[i]).upper();
    r += "  if (write_output(runner_outdir, " + cStringLiteral(fileNames[i] + ".npy") + ", \"" +
         npyDescr(t) + "\", runner_shape_" + outNames[i] + ", " + m + "_RANK, " + outNames[i] +
         ", sizeof(" + cType(t) + ") * " + m + "_SIZE)) return 1;\n";
  }
  for (auto &n : inNames)
    r += "  free(" + n + ");\n";
  for (auto &n : outNames)
    r += "  free(" + n + ");\n";
  r += "  return 0;\n}\n";
  return r;
}

std::vector<EmittedFile> CFiles::files() {
  collectWeights();
  stateScope();
  if (opts.stats)
    opts.stats->stateBytes = stateBytes;
  std::vector<EmittedFile> files;
  files.push_back({prefix + ".h", header()});
  files.push_back({prefix + ".c", source()});
  files.push_back({prefix + "_weights.c", weightsFile()});
  files.push_back({prefix + ".cmake", cmakeFragment()});
  files.push_back({prefix + ".mk", makeFragment()});
  if (opts.emitRunner)
    files.push_back({"runner.c", runnerFile()});
  for (const EmittedFile *rf : runtime)
    files.push_back(*rf);
  return files;
}

} // namespace

std::vector<EmittedFile> emitFiles(CModule &m, bool hasPatchStage) {
  return CFiles(m, hasPatchStage).files();
}

} // namespace pare::codegen
