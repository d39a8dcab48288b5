/*
 * pare CUDA decoder kernels: the small device helpers the kernel files share
 * (storage conversions, 16-byte packs, warp reductions). Header-only; every
 * function is inline, so each kernel file that includes it gets its own copy
 * without clashing at link time, except w4_dequantize, declared at the end
 * and defined in pare_cu_llm.cu. Shipped with the decoder next to
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

/* ---- Programmatic dependent launch (PDL, compute capability 9.0+) -------
 * The decode step is a chain of small kernels, each latency bound. A kernel
 * launched through pdl_launch may start while its predecessor in the stream
 * (or its graph's predecessor node: stream capture turns the attribute into a
 * programmatic edge) is still running. Every kernel launched that way obeys
 * one rule, which keeps it correct whether it starts early or not:
 *  - before pdl_wait() it reads only what no kernel writes: weights, norm
 *    weights, rotary frequencies (the GEMVs issue their first weight loads
 *    there);
 *  - pdl_wait() (griddepcontrol.wait) returns once the predecessor grid has
 *    completed and its memory is visible; the predecessor completed only
 *    after its own wait, so every earlier kernel has too;
 *  - after it, everything else: activations, caches, positions, KV-cache
 *    slots, ids, the attention workspace and its tickets, and EVERY global
 *    write (a write before it could race a predecessor still reading the
 *    location).
 * Every thread calls pdl_wait() before it touches such data or exits early
 * (so no grid completes before its predecessor), and pdl_trigger()
 * (griddepcontrol.launch_dependents) once it has waited: the successor's
 * blocks are then scheduled while this grid works, take the SMs this one
 * frees, and stream their weights in before they wait in turn. Both are
 * no-ops for a kernel launched without the attribute, in device code for
 * compute capability < 9.0, and with PARE_CU_NO_PDL. */
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900 && !defined(PARE_CU_NO_PDL)
#define PARE_LLM_PDL_DEVICE 1
#endif

__device__ __forceinline__ void pdl_wait()
{
#if defined(PARE_LLM_PDL_DEVICE)
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

__device__ __forceinline__ void pdl_trigger()
{
#if defined(PARE_LLM_PDL_DEVICE)
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

/* *p read with a load the memory model orders (ld.global.ca, never
 * ld.global.nc), for small data another kernel may write: positions, KV-cache
 * slots, token ids (int32 or int64). Where no store of a kernel can alias a const pointer
 * (another type: int32 positions next to half stores), the compiler may read
 * it through the non-coherent path, which pdl_wait() does not order and
 * which may be moved above it. Weights may take that path (they never
 * change). */
template <typename P> __device__ __forceinline__ P ld_dep(const P *p) { return __ldca(p); }

/* Row r's offset, in elements, into the KV caches of a call with per-row
 * slots (pare_cu_llm.cuh): slots[r] * slot_stride, read with ld_dep (so after
 * pdl_wait, like positions); 0 when slots is NULL, one uniform branch. */
__device__ __forceinline__ long long slot_offset(const int32_t *slots, long long slot_stride, int r)
{
  return slots ? (long long)ld_dep(slots + r) * slot_stride : 0;
}

/* The run-time switch: 1 (the default) launches with the attribute where the
 * device and the kernels' code allow it, 0 never (the tests compare both; a
 * decoder never changes it). One value for the whole program: an inline
 * function's static is shared by every kernel file. */
inline int &pdl_mode()
{
  static int mode = 1;
  return mode;
}

/* What follows is private to each kernel file (static): the answer depends
 * on how that file was compiled. */

/* A kernel of this file, whose attributes tell how the file was compiled. */
static __global__ void pdl_probe_kernel() {}

/* Whether this file's kernels may start early on the current device: its
 * compute capability is 9.0+ and the code that runs there was compiled from
 * PTX for 9.0+ (an sm_80 build running on an H100 has no griddepcontrol, so
 * its kernels must not overlap). Asked once per device (bit d of two masks);
 * a failed query answers no and is asked again next time. */
static inline bool pdl_device_ok()
{
#if defined(PARE_CU_NO_PDL)
  return false;
#else
  static unsigned long long known = 0, ok = 0;
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess || dev < 0 || dev >= 64)
    return false;
  const unsigned long long bit = 1ull << dev;
  if (!(known & bit)) {
    int major = 0;
    cudaFuncAttributes fa;
    if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess ||
        cudaFuncGetAttributes(&fa, pdl_probe_kernel) != cudaSuccess) {
      (void)cudaGetLastError(); /* not a launch's error */
      return false;
    }
    if (major >= 9 && fa.ptxVersion >= 90)
      ok |= bit;
    known |= bit;
  }
  return (ok & bit) != 0;
#endif
}

/* kernel<<<grid, block, smem, stream>>>(args...), with the programmatic
 * stream serialization attribute when PDL is on (pdl_mode() and
 * pdl_device_ok()). Returns the launch's error and clears it, as
 * cudaGetLastError() after a <<<>>> launch would. Only kernels that follow
 * the rule above may be launched through it. */
template <typename... KArgs, typename... Args>
static inline cudaError_t pdl_launch(void (*kernel)(KArgs...), dim3 grid, dim3 block, size_t smem,
                              cudaStream_t stream, Args &&...args)
{
  cudaLaunchAttribute attr[1];
  attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attr[0].val.programmaticStreamSerializationAllowed = 1;
  cudaLaunchConfig_t cfg = {};
  cfg.gridDim = grid;
  cfg.blockDim = block;
  cfg.dynamicSmemBytes = smem;
  cfg.stream = stream;
  cfg.attrs = attr;
  cfg.numAttrs = pdl_mode() && pdl_device_ok() ? 1 : 0;
  cudaError_t e = cudaLaunchKernelEx(&cfg, kernel, static_cast<Args &&>(args)...);
  cudaError_t last = cudaGetLastError();
  return e != cudaSuccess ? e : last;
}

/* Dequantizes n int4 rows in pare_llm_matmul_w4's layout (packed rows of
 * PARE_LLM_W4_ROW_BYTES(k) bytes, 16-byte aligned; a (scale, zero) pair of T
 * per group of `group`, a power of two >= 16) into w [n][k] of T: (q - z) * s
 * in float, rounded to T, as pare_cu_llm_w4.cu's tiled GEMM stages its tiles.
 * Asynchronous on `stream`. Defined in pare_cu_llm.cu (the fused int4 prefill)
 * and used by pare_cu_llm_blas.cu too, so there is one dequantizer. */
cudaError_t w4_dequantize(const uint8_t *qw, const float *sz, float *w, int n, int k, int group,
                          cudaStream_t stream);
cudaError_t w4_dequantize(const uint8_t *qw, const __half *sz, __half *w, int n, int k, int group,
                          cudaStream_t stream);

} // namespace pare_llm_device

#endif /* PARE_CU_LLM_DEVICE_CUH */
