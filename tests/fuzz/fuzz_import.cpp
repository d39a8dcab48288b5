//===- fuzz_import.cpp - libFuzzer target: ONNX importer + graph passes ---===//
//
// Takes bytes, parses them as an onnx::ModelProto and runs pare's importer on
// what parses, then the graph pipeline, the quantized lowering and the memory
// planner (what `pare compile --compile-to plan` runs on a float model) on
// what imports. Diagnostics are swallowed: a clean error is a normal outcome.
// A crash, a sanitizer report, an uncaught exception, a leak, a timeout or an
// out-of-memory is a finding.
//
// Built only by the fuzz build (clang-22, -DPARE_FUZZ=ON, build-fuzz/); see
// tests/fuzz/README.md. Environment:
//   PARE_FUZZ_PHASES=import|graph|plan   last phase to run (default: plan)
//
//===----------------------------------------------------------------------===//
#include "dialects/Pare/IR/PareOps.h"
#include "dialects/Pare/Transforms/Pipelines.h"
#include "frontends/onnx/OnnxImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringRef.h"

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

namespace {

int lastPhase = 2;     // 0 import, 1 graph, 2 plan
std::string modelPath; // where the model is said to be (external data is looked up beside it)

[[maybe_unused]] bool writeFile(const std::string &path, const uint8_t *data, size_t size) {
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    return false;
  bool ok = std::fwrite(data, 1, size, f) == size;
  return std::fclose(f) == 0 && ok;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv) {
  if (const char *p = std::getenv("PARE_FUZZ_PHASES")) {
    std::string s = p;
    lastPhase = s == "import" ? 0 : s == "graph" ? 1 : 2;
  }
  // A private directory per process (libFuzzer -jobs/-workers run several):
  // external data named relative to the model resolves inside it.
  const char *tmp = std::getenv("TMPDIR");
  std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/pare-fuzz-XXXXXX";
  if (!mkdtemp(dir.data())) {
    std::perror("pare-fuzz: mkdtemp");
    std::abort();
  }
  modelPath = dir + "/model.onnx";
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // Bytes that are not a ModelProto with a graph never reach the importer's
  // interesting code: keep them out of the corpus (-1).
  {
    onnx::ModelProto model;
    if (size == 0 || size > (size_t)INT32_MAX ||
        !model.ParseFromArray(data, static_cast<int>(size)) || !model.has_graph())
      return -1;
  }

  mlir::MLIRContext ctx(mlir::MLIRContext::Threading::DISABLED);
  ctx.loadDialect<pare::PareDialect, mlir::func::FuncDialect, mlir::quant::QuantDialect>();
  ctx.printOpOnDiagnostic(false);
  ctx.getDiagEngine().registerHandler([](mlir::Diagnostic &) { return mlir::success(); });

  pare::onnx_frontend::ImportOptions options;
#ifdef PARE_FUZZ_HAVE_BUFFER_API
  auto module = pare::onnx_frontend::importModelBuffer(
      ctx, llvm::StringRef(reinterpret_cast<const char *>(data), size), modelPath, options);
#else
  if (!writeFile(modelPath, data, size)) {
    std::perror("pare-fuzz: cannot write the model");
    std::abort();
  }
  auto module = pare::onnx_frontend::importModelFile(ctx, modelPath, options);
#endif
  if (mlir::failed(module) || lastPhase == 0)
    return 0;

  // As compiler/Driver.cpp runPhases up to "plan" for a float model
  // (models that arrive quantized get the int8 lowering there too).
  mlir::PassManager pm(&ctx);
  pare::buildGraphPipeline(pm);
  pare::buildLowerQuantizedPipeline(pm);
  if (lastPhase >= 2)
    pare::buildPlanPipeline(pm);
  (void)pm.run(**module);
  return 0;
}
