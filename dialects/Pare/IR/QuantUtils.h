//===- QuantUtils.h - quantized element types of the pare dialect ---------===//
//
// pare tensors carry their quantization in MLIR's quant element types. These
// helpers build and read them (per tensor, or per channel along one axis).
//
//===----------------------------------------------------------------------===//
#ifndef PARE_DIALECT_PARE_IR_QUANTUTILS_H
#define PARE_DIALECT_PARE_IR_QUANTUTILS_H

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinTypes.h"

#include <optional>
#include <vector>

namespace pare::qtype {

/// Quantization parameters of a tensor, whatever the MLIR form.
struct Params {
  std::vector<double> scales;      ///< one per tensor, or one per channel
  std::vector<int64_t> zeroPoints; ///< same length as scales
  int32_t axis = -1;               ///< channel axis, -1 per tensor
  int64_t qmin = -128, qmax = 127;
  bool isSigned = true;
  unsigned bits = 8;

  bool perTensor() const { return axis < 0; }
  double scale(size_t c = 0) const { return scales[perTensor() ? 0 : c]; }
  int64_t zeroPoint(size_t c = 0) const { return zeroPoints[perTensor() ? 0 : c]; }
};

/// The element type of a tensor type, or the type itself.
mlir::Type elementOf(mlir::Type t);

/// True for a quant.uniform element type (or a tensor of one).
bool isQuantized(mlir::Type t);

/// True for a per-channel quantized type (or a tensor of one).
bool isPerAxis(mlir::Type t);

/// Parameters of a quantized type (element or tensor); nullopt otherwise.
std::optional<Params> params(mlir::Type t);

/// Per-tensor int8/uint8 quant.uniform type, expressed in f32.
mlir::quant::UniformQuantizedType perTensor(mlir::MLIRContext *ctx, double scale, int64_t zeroPoint,
                                            bool isSigned = true, unsigned bits = 8);

/// Asymmetric per-tensor int8 parameters covering [lo, hi] and 0 (TFLite's
/// activations: scale (hi - lo) / 255, zero point mapping lo to -128).
mlir::quant::UniformQuantizedType forRange(mlir::MLIRContext *ctx, double lo, double hi);

/// Per-channel type along `axis`.
mlir::quant::UniformQuantizedPerAxisType perAxis(mlir::MLIRContext *ctx,
                                                 llvm::ArrayRef<double> scales,
                                                 llvm::ArrayRef<int64_t> zeroPoints, int32_t axis,
                                                 bool isSigned = true, unsigned bits = 8);

/// `like` with its element type replaced.
mlir::RankedTensorType withElement(mlir::Type like, mlir::Type element);

/// Integer storage type of a quantized type (i8, ui8 ...).
mlir::Type storageOf(mlir::Type quantized);

/// Same quantization (ignoring the tensor shape).
bool sameParams(mlir::Type a, mlir::Type b);

} // namespace pare::qtype

#endif // PARE_DIALECT_PARE_IR_QUANTUTILS_H
