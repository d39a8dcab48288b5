/*
 * pare CUDA runtime: the Hopper (sm_90a) building blocks of the warp-
 * specialised tensor-core GEMMs: shared-memory mbarriers, the producer
 * warpgroup's wait for a free slice, wgmma descriptors of K-major tiles
 * written with the 128-byte swizzle, and the m64nNk16 f16 wgmma with fp32
 * accumulators in registers; the 2-D TMA tile load and the host side of its
 * descriptors (cuTensorMapEncodeTiled, reached through
 * cudaGetDriverEntryPointByVersion: the CUDA runtime stays the only library
 * linked). Self-contained (CUDA toolkit headers only), so that both the
 * convolution / matmul GEMM (pare_cu_gemm_sm90.cuh) and the LLM decoder's
 * prefill GEMM (runtime-stubs/cuda-llm/pare_cu_llm.cu) can use it.
 * The wgmma instructions assemble only for sm_90a: call these from code
 * compiled under __CUDA_ARCH_FEAT_SM90_ALL.
 */
#ifndef PARE_CU_SM90_CUH
#define PARE_CU_SM90_CUH

#include <cuda.h>
#include <cudaTypedefs.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace {

__device__ __forceinline__ uint32_t pcw_smem(const void *p)
{
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

/* ------------------------------------------------------------ mbarrier -- */

__device__ __forceinline__ void pcw_bar_init(uint64_t *bar, unsigned count)
{
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(pcw_smem(bar)), "r"(count));
}
__device__ __forceinline__ void pcw_bar_expect_tx(uint64_t *bar, unsigned bytes)
{
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(pcw_smem(bar)),
               "r"(bytes)
               : "memory");
}
__device__ __forceinline__ void pcw_bar_arrive(uint64_t *bar)
{
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(pcw_smem(bar)) : "memory");
}
/* Arrives once every cp.async this thread issued so far has landed. */
__device__ __forceinline__ void pcw_bar_arrive_cp_async(uint64_t *bar)
{
  asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];\n" ::"r"(pcw_smem(bar))
               : "memory");
}
/* Waits until the phase of the given parity has completed. */
__device__ __forceinline__ void pcw_bar_wait(uint64_t *bar, unsigned parity)
{
  uint32_t done;
  do {
    asm volatile("{\n.reg .pred p;\n"
                 "mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n"
                 "selp.u32 %0, 1, 0, p;\n}\n"
                 : "=r"(done)
                 : "r"(pcw_smem(bar)), "r"(parity)
                 : "memory");
  } while (!done);
}

/* The producer warpgroup's wait for slice kt's slot (free from the start for
 * the first S slices): one warp polls, the others sleep at a named barrier
 * instead of taking issue slots from the consumers. */
__device__ __forceinline__ void pcw_producers_wait(uint64_t *empty, int kt, int S, int t)
{
  if (kt < S) return;
  if (t < 32) pcw_bar_wait(empty, ((kt / S) - 1) & 1);
  asm volatile("bar.sync 4, 128;\n" ::: "memory");
}

/* 2-D TMA tile load (coordinates: c0 along the contiguous dimension). */
__device__ __forceinline__ void pcw_tma_load(void *dst, const CUtensorMap *map, uint64_t *bar,
                                             int c0, int c1)
{
  asm volatile("cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes"
               " [%0], [%1, {%3, %4}], [%2];\n" ::"r"(pcw_smem(dst)),
               "l"(reinterpret_cast<uint64_t>(map)), "r"(pcw_smem(bar)), "r"(c0), "r"(c1)
               : "memory");
}

/* ---------------------------------------------------------------- wgmma -- */

/* Shared-memory matrix descriptor of a K-major tile written with the 128-byte
 * swizzle: rows of 128 bytes, 8-row groups 1024 bytes apart. */
__device__ __forceinline__ uint64_t pcw_desc(const void *p)
{
  return (uint64_t)((pcw_smem(p) & 0x3FFFF) >> 4) | (1ull << 16) | (64ull << 32) | (1ull << 62);
}
__device__ __forceinline__ void pcw_wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void pcw_wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void pcw_wgmma_wait0() { asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory"); }
template <int R> __device__ __forceinline__ void pcw_fence_regs(float (&d)[R])
{
#pragma unroll
  for (int i = 0; i < R; i++) asm volatile("" : "+f"(d[i])::"memory");
}

/* The accumulator operands of a wgmma: 32 fp32 registers from d[o]. */
#define PCW_D8(o)                                                                            \
  "+f"(d[(o)]), "+f"(d[(o) + 1]), "+f"(d[(o) + 2]), "+f"(d[(o) + 3]), "+f"(d[(o) + 4]),      \
      "+f"(d[(o) + 5]), "+f"(d[(o) + 6]), "+f"(d[(o) + 7])
#define PCW_D32(o) PCW_D8(o), PCW_D8((o) + 8), PCW_D8((o) + 16), PCW_D8((o) + 24)

/* D (64 x 64, fp32) += A (64 x 16) B (16 x 64); both operands K-major in
 * shared memory, 128-byte swizzle (descriptors from pcw_desc). */
__device__ __forceinline__ void pcw_mma_n64(float (&d)[32], uint64_t da, uint64_t db)
{
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 {"
      "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31"
      "}, %32, %33, p, 1, 1, 0, 0;\n}\n"
      : PCW_D32(0)
      : "l"(da), "l"(db), "r"(1));
}

/* D (64 x 128, fp32) += A (64 x 16) B (16 x 128); both operands K-major in
 * shared memory, 128-byte swizzle (descriptors from pcw_desc). */
__device__ __forceinline__ void pcw_mma_n128(float (&d)[64], uint64_t da, uint64_t db)
{
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 {"
      "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
      "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
      "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63"
      "}, %64, %65, p, 1, 1, 0, 0;\n}\n"
      : PCW_D32(0), PCW_D32(32)
      : "l"(da), "l"(db), "r"(1));
}

/* D (64 x 256, fp32) += A (64 x 16) B (16 x 256); both operands K-major in
 * shared memory, 128-byte swizzle (descriptors from pcw_desc). */
__device__ __forceinline__ void pcw_mma_n256(float (&d)[128], uint64_t da, uint64_t db)
{
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %130, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n256k16.f32.f16.f16 {"
      "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
      "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
      "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, "
      "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, "
      "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, "
      "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, "
      "%112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127"
      "}, %128, %129, p, 1, 1, 0, 0;\n}\n"
      : PCW_D32(0), PCW_D32(32), PCW_D32(64), PCW_D32(96)
      : "l"(da), "l"(db), "r"(1));
}

/* -------------------------------------------------------------- host -- */

/* True on a compute capability 9.0 device (sm_90a code runs there only). */
inline bool pcw_device_ok()
{
  int dev = 0, major = 0, minor = 0;
  return cudaGetDevice(&dev) == cudaSuccess &&
         cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) == cudaSuccess &&
         cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev) == cudaSuccess &&
         major == 9 && minor == 0;
}

inline PFN_cuTensorMapEncodeTiled_v12000 pcw_encode_fn()
{
  static PFN_cuTensorMapEncodeTiled_v12000 fn = nullptr;
  static bool tried = false;
  if (!tried) {
    void *f = nullptr;
    cudaDriverEntryPointQueryResult q;
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &f, 12000, cudaEnableDefault,
                                         &q) == cudaSuccess &&
        q == cudaDriverEntryPointSuccess)
      fn = reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(f);
    tried = true;
  }
  return fn;
}

/* TMA map of a [rows][inner] half matrix (row stride `ld` elements), boxes of
 * box_rows x 64 with the 128-byte swizzle (zeros past the edges); false when
 * not expressible. */
inline bool pcw_map(CUtensorMap *m, const void *base, long long inner, long long rows, long long ld,
                    int box_rows)
{
  PFN_cuTensorMapEncodeTiled_v12000 fn = pcw_encode_fn();
  if (!fn || (reinterpret_cast<uintptr_t>(base) & 15u) != 0 || ld % 8 != 0 || inner <= 0 ||
      rows <= 0)
    return false;
  const cuuint64_t dims[2] = {(cuuint64_t)inner, (cuuint64_t)rows};
  const cuuint64_t strides[1] = {(cuuint64_t)ld * 2};
  const cuuint32_t box[2] = {64u, (cuuint32_t)box_rows};
  const cuuint32_t estr[2] = {1, 1};
  return fn(m, CU_TENSOR_MAP_DATA_TYPE_FLOAT16, 2, const_cast<void *>(base), dims, strides, box,
            estr, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
            CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS;
}

} // namespace

#endif /* PARE_CU_SM90_CUH */
