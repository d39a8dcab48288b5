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

/* The formulas are in pare_activation.h (shared with the C kernels). */
__device__ __forceinline__ float act_f(float x, pare_act_t act, float a, float b)
{
  return pare_activation(x, act, a, b);
}

} // namespace

#endif /* PARE_CU_COMMON_CUH */
