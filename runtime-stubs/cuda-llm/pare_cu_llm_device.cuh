/*
 * pare CUDA decoder kernels: the small device helpers the kernel files share
 * (storage conversions, 16-byte packs, warp reductions). Header-only; every
 * function is inline, so each kernel file that includes it gets its own copy
 * without clashing at link time. Shipped with the decoder next to
 * pare_cu_llm.cuh.
 */
#ifndef PARE_CU_LLM_DEVICE_CUH
#define PARE_CU_LLM_DEVICE_CUH

#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdint.h>

namespace pare_llm_device {

constexpr int kWarp = 32;

/* Storage to float and back (round to nearest for half). */
__device__ __forceinline__ float to_f(float v) { return v; }
__device__ __forceinline__ float to_f(__half v) { return __half2float(v); }

template <typename T> __device__ __forceinline__ T from_f(float v);
template <> __device__ __forceinline__ float from_f<float>(float v) { return v; }
template <> __device__ __forceinline__ __half from_f<__half>(float v)
{
  return __float2half_rn(v);
}

/* N elements loaded as one aligned 16-byte access. */
template <typename T> struct alignas(16) Pack {
  static constexpr int N = 16 / (int)sizeof(T);
  T v[N];
};

/* Sum and max over the 32 lanes of a warp (every lane gets the result). */
__device__ __forceinline__ float warp_sum(float v)
{
#pragma unroll
  for (int o = kWarp / 2; o > 0; o >>= 1)
    v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ __forceinline__ float warp_max(float v)
{
#pragma unroll
  for (int o = kWarp / 2; o > 0; o >>= 1)
    v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

/* Whether a pointer allows 16-byte loads. */
inline bool aligned16(const void *p) { return ((uintptr_t)p & 15u) == 0; }

} // namespace pare_llm_device

#endif /* PARE_CU_LLM_DEVICE_CUH */
