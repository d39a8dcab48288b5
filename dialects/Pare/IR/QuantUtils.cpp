//===- QuantUtils.cpp - quantized element types of the pare dialect -------===//
#include "dialects/Pare/IR/QuantUtils.h"

#include <algorithm>
#include <cmath>

using namespace mlir;

namespace pare::qtype {

Type elementOf(Type t) {
  if (auto st = dyn_cast<ShapedType>(t))
    return st.getElementType();
  return t;
}

bool isQuantized(Type t) {
  return isa<quant::UniformQuantizedType, quant::UniformQuantizedPerAxisType>(elementOf(t));
}

bool isPerAxis(Type t) { return isa<quant::UniformQuantizedPerAxisType>(elementOf(t)); }

std::optional<Params> params(Type t) {
  Type e = elementOf(t);
  Params p;
  auto fill = [&](quant::QuantizedType q) {
    p.qmin = q.getStorageTypeMin();
    p.qmax = q.getStorageTypeMax();
    p.isSigned = q.isSigned();
    p.bits = q.getStorageTypeIntegralWidth();
  };
  if (auto u = dyn_cast<quant::UniformQuantizedType>(e)) {
    fill(u);
    p.scales = {u.getScale()};
    p.zeroPoints = {u.getZeroPoint()};
    return p;
  }
  if (auto a = dyn_cast<quant::UniformQuantizedPerAxisType>(e)) {
    fill(a);
    p.scales.assign(a.getScales().begin(), a.getScales().end());
    p.zeroPoints.assign(a.getZeroPoints().begin(), a.getZeroPoints().end());
    p.axis = a.getQuantizedDimension();
    return p;
  }
  return std::nullopt;
}

// quant types keep a signless storage type and say signedness in their flags.
static Type storageType(MLIRContext *ctx, bool, unsigned bits) {
  return IntegerType::get(ctx, bits);
}

quant::UniformQuantizedType perTensor(MLIRContext *ctx, double scale, int64_t zeroPoint,
                                      bool isSigned, unsigned bits) {
  int64_t lo = isSigned ? -(int64_t(1) << (bits - 1)) : 0;
  int64_t hi = isSigned ? (int64_t(1) << (bits - 1)) - 1 : (int64_t(1) << bits) - 1;
  return quant::UniformQuantizedType::get(isSigned ? quant::QuantizationFlags::Signed : 0,
                                          storageType(ctx, isSigned, bits), Float32Type::get(ctx),
                                          scale, zeroPoint, lo, hi);
}

quant::UniformQuantizedType forRange(MLIRContext *ctx, double lo, double hi) {
  lo = std::min(0.0, lo);
  hi = std::max(0.0, hi);
  double scale = (hi - lo) / 255.0;
  if (!(scale > 0) || !std::isfinite(scale))
    scale = 1.0 / 255.0;
  double zp = std::nearbyint(-128.0 - lo / scale);
  zp = std::min(127.0, std::max(-128.0, zp));
  return perTensor(ctx, scale, int64_t(zp));
}

quant::UniformQuantizedPerAxisType perAxis(MLIRContext *ctx, ArrayRef<double> scales,
                                           ArrayRef<int64_t> zeroPoints, int32_t axis,
                                           bool isSigned, unsigned bits) {
  int64_t lo = isSigned ? -(int64_t(1) << (bits - 1)) : 0;
  int64_t hi = isSigned ? (int64_t(1) << (bits - 1)) - 1 : (int64_t(1) << bits) - 1;
  return quant::UniformQuantizedPerAxisType::get(
      isSigned ? quant::QuantizationFlags::Signed : 0, storageType(ctx, isSigned, bits),
      Float32Type::get(ctx), scales, zeroPoints, axis, lo, hi);
}

RankedTensorType withElement(Type like, Type element) {
  return RankedTensorType::get(cast<RankedTensorType>(like).getShape(), element);
}

Type storageOf(Type quantized) {
  return cast<quant::QuantizedType>(elementOf(quantized)).getStorageType();
}

bool sameParams(Type a, Type b) { return elementOf(a) == elementOf(b); }

} // namespace pare::qtype
