//===- QuantMath.h - integer arithmetic of the int8 contract --------------===//
//
// TFLite's quantization arithmetic, which CMSIS-NN and pare's int8 kernels
// implement bit for bit: a real multiplier M is stored as a Q31 fixed-point
// multiplier and a power-of-two shift, and an int32 accumulator is scaled by
// SaturatingRoundingDoublingHighMul followed by RoundingDivideByPOT. No IR here
// (unit-tested with Catch2); the compiler uses it to precompute kernel
// parameters and the calibration evaluator to run int8 layers.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_DIALECT_PARE_IR_QUANTMATH_H
#define PARE_DIALECT_PARE_IR_QUANTMATH_H

#include <cmath>
#include <cstdint>
#include <limits>

namespace pare::qmath {

/// TFLite QuantizeMultiplier: real = mult * 2^(shift - 31), mult in
/// [2^30, 2^31) (or 0). shift > 0 shifts left.
inline void quantizeMultiplier(double real, int32_t &mult, int32_t &shift) {
  if (real == 0.0) {
    mult = 0;
    shift = 0;
    return;
  }
  int exp = 0;
  double q = std::frexp(real, &exp);
  int64_t qFixed = static_cast<int64_t>(std::llround(q * (1LL << 31)));
  if (qFixed == (1LL << 31)) {
    qFixed /= 2;
    ++exp;
  }
  if (exp < -31) { // too small to represent: flush to zero, as TFLite does
    exp = 0;
    qFixed = 0;
  }
  if (exp > 30) { // saturate; never happens for sane scales
    exp = 30;
    qFixed = (1LL << 31) - 1;
  }
  mult = static_cast<int32_t>(qFixed);
  shift = exp;
}

inline int32_t saturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  if (a == b && a == std::numeric_limits<int32_t>::min())
    return std::numeric_limits<int32_t>::max();
  int64_t ab = int64_t(a) * int64_t(b);
  int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  return static_cast<int32_t>((ab + nudge) / (1LL << 31));
}

inline int32_t roundingDivideByPOT(int32_t x, int exponent) {
  if (exponent == 0)
    return x;
  int32_t mask = int32_t((1LL << exponent) - 1);
  int32_t remainder = x & mask;
  int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/// TFLite MultiplyByQuantizedMultiplier (the "double rounding" form, which is
/// CMSIS-NN's arm_nn_requantize by default).
inline int32_t requantize(int32_t acc, int32_t mult, int32_t shift) {
  int left = shift > 0 ? shift : 0;
  int right = shift > 0 ? 0 : -shift;
  int64_t shifted = int64_t(acc) * (int64_t(1) << left);
  if (shifted > std::numeric_limits<int32_t>::max())
    shifted = std::numeric_limits<int32_t>::max();
  if (shifted < std::numeric_limits<int32_t>::min())
    shifted = std::numeric_limits<int32_t>::min();
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(int32_t(shifted), mult), right);
}

/// ONNX QuantizeLinear rounding: half to even.
inline double roundHalfEven(double x) { return std::nearbyint(x); }

inline int32_t clampI32(int64_t v, int64_t lo, int64_t hi) {
  return int32_t(v < lo ? lo : (v > hi ? hi : v));
}

/// ONNX QuantizeLinear of one float value (computed in float32 as the spec's
/// reference does; x / scale may overflow to +-inf, which saturates). NaN
/// gives qmin, as onnxruntime's MLAS does (and the generated C).
inline int32_t quantizeValue(float x, float scale, int32_t zp, int32_t qmin, int32_t qmax) {
  float q = std::nearbyint(x / scale);
  double v = double(q) + zp;
  if (!(v >= qmin))
    return qmin;
  if (v > qmax)
    return qmax;
  return int32_t(v);
}

/// TFLite's input left shift for int8 ADD.
constexpr int32_t kAddLeftShift = 20;

} // namespace pare::qmath

#endif // PARE_DIALECT_PARE_IR_QUANTMATH_H
