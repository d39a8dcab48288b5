//===- OnnxImporter.h - ONNX ModelProto -> pare IR ------------------------===//
//
// Reads an ONNX model (binary .onnx, or textual .onnxtext parsed with the ONNX
// parser) and builds a `func.func @main` of pare ops with static shapes.
// Errors are reported through MLIR diagnostics at the node's location.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_FRONTENDS_ONNX_ONNXIMPORTER_H
#define PARE_FRONTENDS_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LogicalResult.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace pare::onnx_frontend {

struct ImportOptions {
  /// Shapes for graph inputs, overriding symbolic (or checking static) dims.
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// When > 0, dim 0 of every input without an --input-shape (symbolic or
  /// equal to it; a different fixed size is an error).
  int64_t batch = 0;
  /// When > 0 (pare compile --max-context), a decoder's symbolic dims are
  /// imported at probe lengths: its token ids' sequence at this one, cached
  /// positions (past_key_values) at pastProbe, an attention mask over both
  /// at their sum, batch dims at 1 (GraphImporter::decoderProbeDims).
  int64_t sequenceProbe = 0;
  int64_t pastProbe = 0;
};

/// Imports the model at `path` (.onnx or .onnxtext): a regular file of at
/// most 2 GiB (input::readRegularFile).
mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>>
importModelFile(mlir::MLIRContext &ctx, const std::string &path, const ImportOptions &options);

/// Imports a model held in memory; `path` is its name in messages, decides
/// binary or textual ONNX by its extension, and is where external data is
/// looked up (its directory). The fuzz target calls this.
mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>> importModelBuffer(mlir::MLIRContext &ctx,
                                                                     llvm::StringRef data,
                                                                     const std::string &path,
                                                                     const ImportOptions &options);

/// One line per supported op type: "OpType v1,v2,..." (since-versions).
std::vector<std::string> supportedOps();

/// Lowest and highest default-domain opset the importer accepts. Opsets 7 to
/// 23 are the supported range (22 and 23 added element types to existing ops,
/// and 23 the decoder ops of HandlersLlm.cpp); older models import when every
/// op they use has a handler for its version (checked per node).
constexpr int kMinOpset = 1;
constexpr int kMaxOpset = 23;

} // namespace pare::onnx_frontend

#endif // PARE_FRONTENDS_ONNX_ONNXIMPORTER_H
