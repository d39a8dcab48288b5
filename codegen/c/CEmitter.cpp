//===- CEmitter.cpp - pare IR -> standalone C99 ---------------------------===//
//
// The output is meant to be read, reviewed and committed by users: symbols are
// named after the model's layers, every call cites its ONNX node, and the
// order of ops, weights and files is stable, so the same model and flags give
// byte-identical files.
//
// This file walks the function: parameters and arena locals first, then each
// op through the emitter its family registered (CModule::emitOp), the patch
// stage as one loop, and the copies of outputs not computed in place;
// CFiles.cpp writes the files.
//
//===----------------------------------------------------------------------===//

#include "codegen/c/CEmitter.h"
#include "codegen/c/CModule.h"

#include "dialects/Pare/Analysis/MemoryPlan.h"
#include "dialects/Pare/Analysis/Patches.h"
#include "dialects/Pare/IR/PareAttrs.h"

using namespace mlir;

namespace pare::codegen {

namespace {

/// The patch stage of a function planned with patches (PlanMemory), rebuilt
/// from its attributes; std::nullopt without one.
FailureOr<std::optional<planning::PatchStage>> patchStage(func::FuncOp func) {
  std::optional<int64_t> grid = attrs::getPatchGrid(func);
  if (!grid)
    return std::optional<planning::PatchStage>();
  Operation *split = nullptr;
  for (Operation &op : func.getBody().front())
    if (attrs::isPatchStage(&op))
      split = &op;
  std::string why;
  std::optional<planning::PatchStage> stage;
  if (split)
    stage = planning::buildPatchStage(func, split, *grid, &why);
  if (!stage)
    return func.emitError("internal: the patch stage cannot be rebuilt: ") << why;
  return stage;
}

LogicalResult emitFunction(CModule &m, std::vector<EmittedFile> &files) {
  if (failed(m.storage.nameParameters(m.usedLocals, cType, "C")))
    return failure();
  m.usedLocals.insert("arena");

  // A patch stage (PlanMemory, patches): its ops live in tiles.
  auto stage = patchStage(m.func);
  if (failed(stage))
    return failure();
  auto staged = [&](Operation *op) {
    return *stage && attrs::isPatchStage(op) && op != (*stage)->split();
  };

  // Arena locals, in op order.
  auto arenaTensors = m.storage.nameArenaLocals(m.usedLocals, cType, "C", staged);
  if (failed(arenaTensors))
    return failure();
  for (const FunctionStorage::ArenaTensor &t : *arenaTensors)
    m.localDecls += "  " + t.ctype + " *" + t.name + " = (" + t.ctype + " *)(" +
                    m.arenaAt(t.name, t.offset, t.bytes) + ");\n";

  for (Operation &op : m.func.getBody().front()) {
    if (*stage && &op == (*stage)->ops.front()) {
      if (failed(emitPatchStage(m, **stage)))
        return failure();
      continue;
    }
    if (staged(&op) || (*stage && &op == (*stage)->split()))
      continue;
    if (failed(m.emitOp(&op)))
      return failure();
  }

  // Outputs not written in place: inputs, constants, duplicates.
  m.currentOp = nullptr; // a constant output keeps its own name
  for (const FunctionStorage::OutputCopy &copy : m.storage.outputCopies()) {
    std::string src;
    if (failed(m.ptr(copy.value, src)))
      return failure();
    if (copy.bytes == 0)
      continue;
    m.line(m.storage.outputCopyComment(copy.index));
    m.line("  " + m.call("pare_copy_rows") + m.storage.outNames[copy.index] + ", 0, " + m.use(src) +
           ", 0, 1, " + std::to_string(copy.bytes) + ");\n");
  }

  files = emitFiles(m, stage->has_value());
  return success();
}

} // namespace

std::vector<std::string> cortexMFlags(const std::string &target) {
  if (target == "cortex-m4")
    return {"-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"};
  if (target == "cortex-m7")
    return {"-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"};
  if (target == "cortex-m33")
    return {"-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"};
  if (target == "cortex-m55")
    return {"-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard"};
  return {};
}

FailureOr<std::vector<EmittedFile>> emitC(ModuleOp module, const CEmitOptions &options) {
  auto main = mainFunction(module);
  if (failed(main))
    return failure();
  std::vector<EmittedFile> files;
  CModule m(*main, options);
  if (failed(emitFunction(m, files)))
    return failure();
  return files;
}

} // namespace pare::codegen
