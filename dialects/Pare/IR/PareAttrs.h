//===- PareAttrs.h - typed access to pare's discardable attributes --------===//
//
// The "pare.*" attributes one stage leaves for the next are declared on the
// dialect (`discardableAttrs` in PareOps.td, which documents who writes each
// one). These functions are the only way the rest of the compiler reads and
// writes them: the name and the attribute type come from the helpers that
// ODS generates, the setters build the attribute the way the IR has always
// printed it (i64 integers, f64 scales), and the getters return std::nullopt
// (or a null attribute) when it is absent or of another type.
//
// hasX / isX test for the name alone, whatever the type, so that a reader
// that finds an attribute of the wrong type in hand-written IR can report it
// instead of silently ignoring it.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_DIALECT_PARE_IR_PAREATTRS_H
#define PARE_DIALECT_PARE_IR_PAREATTRS_H

#include "dialects/Pare/IR/PareDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

#include <cstdint>
#include <optional>

namespace pare::attrs {

namespace detail {

template <typename Helper> Helper helper(mlir::Operation *op) { return Helper(op->getContext()); }

template <typename Helper> bool has(mlir::Operation *op) {
  return op->hasAttr(Helper::getNameStr());
}

template <typename Helper> std::optional<int64_t> getInt(mlir::Operation *op) {
  if (mlir::IntegerAttr a = helper<Helper>(op).getAttr(op))
    return a.getInt();
  return std::nullopt;
}

template <typename Helper> void setInt(mlir::Operation *op, int64_t value) {
  mlir::MLIRContext *ctx = op->getContext();
  helper<Helper>(op).setAttr(op, mlir::IntegerAttr::get(mlir::IntegerType::get(ctx, 64), value));
}

template <typename Helper> std::optional<llvm::StringRef> getString(mlir::Operation *op) {
  if (mlir::StringAttr a = helper<Helper>(op).getAttr(op))
    return a.getValue();
  return std::nullopt;
}

template <typename Helper> void setString(mlir::Operation *op, llvm::StringRef value) {
  helper<Helper>(op).setAttr(op, mlir::StringAttr::get(op->getContext(), value));
}

template <typename Helper> void setUnit(mlir::Operation *op) {
  helper<Helper>(op).setAttr(op, mlir::UnitAttr::get(op->getContext()));
}

} // namespace detail

//===----------------------------------------------------------------------===//
// Importer and driver: the module, function arguments and results
//===----------------------------------------------------------------------===//

/// The ONNX opset the model was imported from (on the module).
inline std::optional<int64_t> getOpset(mlir::Operation *module) {
  return detail::getInt<PareDialect::OpsetAttrHelper>(module);
}
inline void setOpset(mlir::Operation *module, int64_t opset) {
  detail::setInt<PareDialect::OpsetAttrHelper>(module, opset);
}

/// The ONNX producer name (on the module).
inline std::optional<llvm::StringRef> getProducer(mlir::Operation *module) {
  return detail::getString<PareDialect::ProducerAttrHelper>(module);
}
inline void setProducer(mlir::Operation *module, llvm::StringRef producer) {
  detail::setString<PareDialect::ProducerAttrHelper>(module, producer);
}

/// The int8 arithmetic the module asks for: "onnx" or "tflite".
inline std::optional<llvm::StringRef> getInt8Rounding(mlir::Operation *module) {
  return detail::getString<PareDialect::Int8RoundingAttrHelper>(module);
}
inline void setInt8Rounding(mlir::Operation *module, llvm::StringRef rounding) {
  detail::setString<PareDialect::Int8RoundingAttrHelper>(module, rounding);
}
/// Whether the module around `op` asks for onnxruntime's int8 arithmetic
/// (models that arrive quantized) rather than TFLite's.
inline bool usesOnnxRounding(mlir::Operation *op) {
  auto module = op->getParentOfType<mlir::ModuleOp>();
  return module && getInt8Rounding(module) == llvm::StringRef("onnx");
}

/// What happens to ops a quantized model leaves in float between dequantize
/// and quantize (on the module): "keep" or "quantize".
inline std::optional<llvm::StringRef> getInt8Islands(mlir::Operation *module) {
  return detail::getString<PareDialect::Int8IslandsAttrHelper>(module);
}
inline void setInt8Islands(mlir::Operation *module, llvm::StringRef mode) {
  detail::setString<PareDialect::Int8IslandsAttrHelper>(module, mode);
}
/// Whether the module around `op` asks for float islands to become int8.
inline bool quantizesIslands(mlir::Operation *op) {
  auto module = op->getParentOfType<mlir::ModuleOp>();
  return module && getInt8Islands(module) == llvm::StringRef("quantize");
}

/// A dequantize that UniqueDequantize split off one feeding several ops.
inline bool isSharedDequantize(mlir::Operation *op) {
  return detail::has<PareDialect::SharedDequantizeAttrHelper>(op);
}
inline void setSharedDequantize(mlir::Operation *op) {
  detail::setUnit<PareDialect::SharedDequantizeAttrHelper>(op);
}

/// The island nodes quantizeIslands made int8 (on the function): one
/// dictionary each with string entries "node", "op" and "scales".
inline mlir::ArrayAttr getIslands(mlir::Operation *func) {
  return detail::helper<PareDialect::IslandsAttrHelper>(func).getAttr(func);
}
inline void setIslands(mlir::Operation *func, mlir::ArrayAttr islands) {
  detail::helper<PareDialect::IslandsAttrHelper>(func).setAttr(func, islands);
}

/// The ONNX name of function argument / result `i`.
inline std::optional<llvm::StringRef> getArgName(mlir::FunctionOpInterface func, unsigned i) {
  if (auto a =
          func.getArgAttrOfType<mlir::StringAttr>(i, PareDialect::NameAttrHelper::getNameStr()))
    return a.getValue();
  return std::nullopt;
}
inline void setArgName(mlir::FunctionOpInterface func, unsigned i, llvm::StringRef name) {
  func.setArgAttr(i, PareDialect::NameAttrHelper::getNameStr(),
                  mlir::StringAttr::get(func.getContext(), name));
}
inline std::optional<llvm::StringRef> getResultName(mlir::FunctionOpInterface func, unsigned i) {
  if (auto a =
          func.getResultAttrOfType<mlir::StringAttr>(i, PareDialect::NameAttrHelper::getNameStr()))
    return a.getValue();
  return std::nullopt;
}
inline void setResultName(mlir::FunctionOpInterface func, unsigned i, llvm::StringRef name) {
  func.setResultAttr(i, PareDialect::NameAttrHelper::getNameStr(),
                     mlir::StringAttr::get(func.getContext(), name));
}

/// A cast of a ConvInteger / MatMulInteger operand whose integer arithmetic
/// must be lowered exactly.
inline bool isExactInteger(mlir::Operation *op) {
  return detail::has<PareDialect::ExactIntegerAttrHelper>(op);
}
inline void setExactInteger(mlir::Operation *op) {
  detail::setUnit<PareDialect::ExactIntegerAttrHelper>(op);
}

//===----------------------------------------------------------------------===//
// Calibration
//===----------------------------------------------------------------------===//

/// [min, max] of function argument `i`.
inline mlir::DenseF32ArrayAttr getArgRange(mlir::FunctionOpInterface func, unsigned i) {
  return func.getArgAttrOfType<mlir::DenseF32ArrayAttr>(i,
                                                        PareDialect::RangeAttrHelper::getNameStr());
}
inline void setArgRange(mlir::FunctionOpInterface func, unsigned i, float min, float max) {
  func.setArgAttr(i, PareDialect::RangeAttrHelper::getNameStr(),
                  mlir::DenseF32ArrayAttr::get(func.getContext(), {min, max}));
}
inline void removeArgRange(mlir::FunctionOpInterface func, unsigned i) {
  func.removeArgAttr(i, PareDialect::RangeAttrHelper::getNameStr());
}

/// [min, max] of each result of `op`, NaN for a result without a range.
inline mlir::DenseF32ArrayAttr getRanges(mlir::Operation *op) {
  return detail::helper<PareDialect::RangesAttrHelper>(op).getAttr(op);
}
inline void setRanges(mlir::Operation *op, llvm::ArrayRef<float> minMax) {
  detail::helper<PareDialect::RangesAttrHelper>(op).setAttr(
      op, mlir::DenseF32ArrayAttr::get(op->getContext(), minMax));
}
inline void removeRanges(mlir::Operation *op) {
  op->removeAttr(PareDialect::RangesAttrHelper::getNameStr());
}

//===----------------------------------------------------------------------===//
// Graph passes
//===----------------------------------------------------------------------===//

/// Output scale / zero point of an int8 op whose result type does not carry
/// them (LowerQuantized).
inline std::optional<double> getOutScale(mlir::Operation *op) {
  if (mlir::FloatAttr a = detail::helper<PareDialect::OutScaleAttrHelper>(op).getAttr(op))
    return a.getValueAsDouble();
  return std::nullopt;
}
inline bool hasOutScale(mlir::Operation *op) {
  return detail::has<PareDialect::OutScaleAttrHelper>(op);
}
inline void setOutScale(mlir::Operation *op, double scale) {
  detail::helper<PareDialect::OutScaleAttrHelper>(op).setAttr(
      op, mlir::FloatAttr::get(mlir::Float64Type::get(op->getContext()), scale));
}
inline std::optional<int64_t> getOutZeroPoint(mlir::Operation *op) {
  return detail::getInt<PareDialect::OutZeroPointAttrHelper>(op);
}
inline void setOutZeroPoint(mlir::Operation *op, int64_t zeroPoint) {
  detail::setInt<PareDialect::OutZeroPointAttrHelper>(op, zeroPoint);
}

/// The producer's kernel adds the residual of the following add
/// (FuseResidualAdd).
inline bool hasResidualAdd(mlir::Operation *op) {
  return detail::has<PareDialect::ResidualAddAttrHelper>(op);
}
inline void setResidualAdd(mlir::Operation *op) {
  detail::setUnit<PareDialect::ResidualAddAttrHelper>(op);
}

/// A 1x1 convolution that reads its input through a temporal shift of
/// `frames` frames, `fold` channels and `mode` "bidirectional" or
/// "unidirectional" (FuseTemporalShift). hasShiftFrames marks such a conv.
inline bool hasShiftFrames(mlir::Operation *op) {
  return detail::has<PareDialect::ShiftFramesAttrHelper>(op);
}
inline std::optional<int64_t> getShiftFrames(mlir::Operation *op) {
  return detail::getInt<PareDialect::ShiftFramesAttrHelper>(op);
}
inline std::optional<int64_t> getShiftFold(mlir::Operation *op) {
  return detail::getInt<PareDialect::ShiftFoldAttrHelper>(op);
}
inline std::optional<llvm::StringRef> getShiftMode(mlir::Operation *op) {
  return detail::getString<PareDialect::ShiftModeAttrHelper>(op);
}
inline void setShift(mlir::Operation *op, int64_t frames, int64_t fold, llvm::StringRef mode) {
  detail::setInt<PareDialect::ShiftFramesAttrHelper>(op, frames);
  detail::setInt<PareDialect::ShiftFoldAttrHelper>(op, fold);
  detail::setString<PareDialect::ShiftModeAttrHelper>(op, mode);
}

//===----------------------------------------------------------------------===//
// Memory plan (PlanMemory), per op
//===----------------------------------------------------------------------===//

/// Arena byte offset of each result, -1 for values outside the arena.
inline mlir::DenseI64ArrayAttr getOffsets(mlir::Operation *op) {
  return detail::helper<PareDialect::OffsetsAttrHelper>(op).getAttr(op);
}
inline void setOffsets(mlir::Operation *op, llvm::ArrayRef<int64_t> offsets) {
  detail::helper<PareDialect::OffsetsAttrHelper>(op).setAttr(
      op, mlir::DenseI64ArrayAttr::get(op->getContext(), offsets));
}

/// Bytes live while the op runs.
inline std::optional<int64_t> getLiveBytes(mlir::Operation *op) {
  return detail::getInt<PareDialect::LiveBytesAttrHelper>(op);
}
inline void setLiveBytes(mlir::Operation *op, int64_t bytes) {
  detail::setInt<PareDialect::LiveBytesAttrHelper>(op, bytes);
}

/// Arena offset of the op's scratch buffer.
inline std::optional<int64_t> getScratchOffset(mlir::Operation *op) {
  return detail::getInt<PareDialect::ScratchOffsetAttrHelper>(op);
}
inline void setScratchOffset(mlir::Operation *op, int64_t offset) {
  detail::setInt<PareDialect::ScratchOffsetAttrHelper>(op, offset);
}

/// The operand the op overwrites (it runs in place).
inline bool hasInPlace(mlir::Operation *op) {
  return detail::has<PareDialect::InPlaceAttrHelper>(op);
}
inline std::optional<int64_t> getInPlace(mlir::Operation *op) {
  return detail::getInt<PareDialect::InPlaceAttrHelper>(op);
}
inline void setInPlace(mlir::Operation *op, int64_t operand) {
  detail::setInt<PareDialect::InPlaceAttrHelper>(op, operand);
}

/// The op runs tile by tile in the patch stage.
inline bool isPatchStage(mlir::Operation *op) {
  return detail::has<PareDialect::PatchStageAttrHelper>(op);
}
inline void setPatchStage(mlir::Operation *op) {
  detail::setUnit<PareDialect::PatchStageAttrHelper>(op);
}

/// Arena offset of a stage op's tile buffer.
inline std::optional<int64_t> getTileOffset(mlir::Operation *op) {
  return detail::getInt<PareDialect::TileOffsetAttrHelper>(op);
}
inline void setTileOffset(mlir::Operation *op, int64_t offset) {
  detail::setInt<PareDialect::TileOffsetAttrHelper>(op, offset);
}

/// Arena offset of the crop a stage op reads from a whole outside tensor.
inline std::optional<int64_t> getCropOffset(mlir::Operation *op) {
  return detail::getInt<PareDialect::CropOffsetAttrHelper>(op);
}
inline void setCropOffset(mlir::Operation *op, int64_t offset) {
  detail::setInt<PareDialect::CropOffsetAttrHelper>(op, offset);
}

//===----------------------------------------------------------------------===//
// Memory plan (PlanMemory), per function
//===----------------------------------------------------------------------===//

/// Bytes of the arena.
inline std::optional<int64_t> getArenaBytes(mlir::Operation *func) {
  return detail::getInt<PareDialect::ArenaBytesAttrHelper>(func);
}
inline void setArenaBytes(mlir::Operation *func, int64_t bytes) {
  detail::setInt<PareDialect::ArenaBytesAttrHelper>(func, bytes);
}

/// The largest sum of bytes live at one op: a lower bound for any placement.
inline std::optional<int64_t> getLiveBytesBound(mlir::Operation *func) {
  return detail::getInt<PareDialect::LiveBytesBoundAttrHelper>(func);
}
inline void setLiveBytesBound(mlir::Operation *func, int64_t bytes) {
  detail::setInt<PareDialect::LiveBytesBoundAttrHelper>(func, bytes);
}

/// The ops were reordered for a lower peak.
inline bool isReordered(mlir::Operation *func) {
  return detail::has<PareDialect::ReorderedAttrHelper>(func);
}
inline void setReordered(mlir::Operation *func) {
  detail::setUnit<PareDialect::ReorderedAttrHelper>(func);
}

/// n of the n x n patch grid (absent: no patches).
inline std::optional<int64_t> getPatchGrid(mlir::Operation *func) {
  return detail::getInt<PareDialect::PatchGridAttrHelper>(func);
}
inline void setPatchGrid(mlir::Operation *func, int64_t grid) {
  detail::setInt<PareDialect::PatchGridAttrHelper>(func, grid);
}

/// The MACs that recomputed halos add.
inline std::optional<int64_t> getPatchExtraMacs(mlir::Operation *func) {
  return detail::getInt<PareDialect::PatchExtraMacsAttrHelper>(func);
}
inline void setPatchExtraMacs(mlir::Operation *func, int64_t macs) {
  detail::setInt<PareDialect::PatchExtraMacsAttrHelper>(func, macs);
}

//===----------------------------------------------------------------------===//
// pare inspect
//===----------------------------------------------------------------------===//

/// The op's index in the per-layer report.
inline std::optional<int64_t> getLayer(mlir::Operation *op) {
  return detail::getInt<PareDialect::LayerAttrHelper>(op);
}
inline void setLayer(mlir::Operation *op, int64_t layer) {
  detail::setInt<PareDialect::LayerAttrHelper>(op, layer);
}

//===----------------------------------------------------------------------===//
// pare-derive-decoder: the decoder step function
//===----------------------------------------------------------------------===//

/// The module holds a decoder step function (pare.decoder = {layers,
/// max_context}): its ops work on [rows, width] values with a run-time row
/// count, its attentions on a KV cache.
inline bool isDecoder(mlir::Operation *module) {
  return detail::has<PareDialect::DecoderAttrHelper>(module);
}
inline std::optional<int64_t> getDecoderField(mlir::Operation *module, llvm::StringRef field) {
  if (mlir::DictionaryAttr d = detail::helper<PareDialect::DecoderAttrHelper>(module).getAttr(module))
    if (auto a = d.getAs<mlir::IntegerAttr>(field))
      return a.getInt();
  return std::nullopt;
}
/// Positions the KV cache holds (the generated code's MAX_CONTEXT).
inline std::optional<int64_t> getDecoderMaxContext(mlir::Operation *module) {
  return getDecoderField(module, "max_context");
}
/// KV cache layers (one per pare.attention).
inline std::optional<int64_t> getDecoderLayers(mlir::Operation *module) {
  return getDecoderField(module, "layers");
}
inline void setDecoder(mlir::Operation *module, int64_t maxContext, int64_t layers) {
  mlir::MLIRContext *ctx = module->getContext();
  mlir::Builder b(ctx);
  detail::helper<PareDialect::DecoderAttrHelper>(module).setAttr(
      module, b.getDictionaryAttr({b.getNamedAttr("layers", b.getI64IntegerAttr(layers)),
                                   b.getNamedAttr("max_context", b.getI64IntegerAttr(maxContext))}));
}
/// Why a module compiled with --max-context was not derived into a decoder
/// (it compiles as a plain full-sequence graph).
inline std::optional<llvm::StringRef> getNotDecoder(mlir::Operation *module) {
  return detail::getString<PareDialect::NotDecoderAttrHelper>(module);
}
inline void setNotDecoder(mlir::Operation *module, llvm::StringRef why) {
  detail::setString<PareDialect::NotDecoderAttrHelper>(module, why);
}
/// The KV cache layer of a pare.attention in a decoder step function.
inline std::optional<int64_t> getKvLayer(mlir::Operation *op) {
  return detail::getInt<PareDialect::KvLayerAttrHelper>(op);
}
inline void setKvLayer(mlir::Operation *op, int64_t layer) {
  detail::setInt<PareDialect::KvLayerAttrHelper>(op, layer);
}
/// The op feeds no attention: prefill may compute it for the last row only.
inline bool isTail(mlir::Operation *op) { return detail::has<PareDialect::TailAttrHelper>(op); }
inline void setTail(mlir::Operation *op) { detail::setUnit<PareDialect::TailAttrHelper>(op); }

} // namespace pare::attrs

#endif // PARE_DIALECT_PARE_IR_PAREATTRS_H
