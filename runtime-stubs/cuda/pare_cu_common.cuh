/*
 * Helpers shared by pare's CUDA kernel files (included by each; everything is
 * in an anonymous namespace, so every translation unit has its own copy).
 */
#ifndef PARE_CU_COMMON_CUH
#define PARE_CU_COMMON_CUH

#include "pare_cuda.cuh"

#include <math.h>
#include <stdint.h>

namespace {

constexpr int kBlock = 256;       /* threads per block of the 1-D kernels */
constexpr int kMaxBlocks = 65536; /* grid-stride loops cover the rest */

/* ------------------------------------------------------------ helpers -- */

__device__ __forceinline__ float to_f(float v) { return v; }
__device__ __forceinline__ float to_f(__half v) { return __half2float(v); }

template <typename T> __device__ __forceinline__ T from_f(float v);
template <> __device__ __forceinline__ float from_f<float>(float v) { return v; }
template <> __device__ __forceinline__ __half from_f<__half>(float v)
{
  return __float2half_rn(v);
}

/* N elements loaded / stored as one aligned vector access. */
template <typename T, int N> struct alignas(sizeof(T) * N) Pack {
  T v[N];
};

/* Elements per 16-byte pack. */
template <typename T> constexpr int vec_width() { return 16 / (int)sizeof(T); }

inline bool aligned16(const void *p) { return ((uintptr_t)p & 15u) == 0; }

inline unsigned grid_for(size_t work)
{
  size_t blocks = (work + kBlock - 1) / kBlock;
  return (unsigned)(blocks < (size_t)kMaxBlocks ? (blocks > 0 ? blocks : 1) : kMaxBlocks);
}

/* ---------------------------------------------------------- activation -- */

__device__ __forceinline__ float softplus_f(float x)
{
  return x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x));
}

/* Same formulas as pare_act_f32 (runtime-stubs/c), with ONNX's (onnxruntime's)
 * edge cases: Relu and Clip keep NaN (the comparisons are written so that a
 * NaN x falls through to x), Clip is min(max(x, a), b) in that order (min >
 * max gives max everywhere; a NaN bound is ignored), Celu keeps NaN. */
__device__ __forceinline__ float act_f(float x, pare_act_t act, float a, float b)
{
  switch (act) {
  case PARE_ACT_NONE: return x;
  case PARE_ACT_RELU: return x < 0.0f ? 0.0f : x;
  case PARE_ACT_CLIP: {
    const float t = x < a ? a : x;
    return t > b ? b : t;
  }
  case PARE_ACT_LEAKY_RELU: return x >= 0.0f ? x : a * x;
  case PARE_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
  case PARE_ACT_HARD_SIGMOID: {
    float t = a * x + b;
    return t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
  }
  case PARE_ACT_HARD_SWISH: {
    float t = x * (1.0f / 6.0f) + 0.5f;
    return x * (t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t));
  }
  case PARE_ACT_TANH: return tanhf(x);
  case PARE_ACT_GELU: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
  case PARE_ACT_GELU_TANH:
    return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
  case PARE_ACT_ELU: return x >= 0.0f ? x : a * expm1f(x);
  case PARE_ACT_SELU: return b * (x > 0.0f ? x : a * expm1f(x));
  case PARE_ACT_SOFTPLUS: return softplus_f(x);
  case PARE_ACT_SOFTSIGN: return x / (1.0f + fabsf(x));
  case PARE_ACT_THRESHOLDED_RELU: return x > a ? x : 0.0f;
  case PARE_ACT_CELU: {
    if (x != x) return x;
    float neg = a * expm1f(x / a);
    return (x > 0.0f ? x : 0.0f) + (neg < 0.0f ? neg : 0.0f);
  }
  case PARE_ACT_MISH: return x * tanhf(softplus_f(x));
  }
  return x;
}

} // namespace

#endif /* PARE_CU_COMMON_CUH */
