/*
 * pare CUDA decoder kernels: pare.matmul_w8a8, SmoothQuant W8A8 (int8
 * weights, int8 activations quantized at run time; issue 19). See
 * pare_cu_llm.cuh for the launch functions, the arithmetic and the weights'
 * layout; it is the C target's (runtime-stubs/c/pare_llm_w8.c) code for
 * code, so the two targets differ only by the epilogue's float rounding.
 *
 * A call is two launches (decode rows whose codes fit in shared memory: one,
 * see w8_gemv_fused_kernel):
 *  1. quantize: a block per row reads x (with the RMS-norm prologue: the
 *     row's inverse RMS first, then xn = (T)(x * inv * norm_w) as
 *     pare_llm_rms_norm stores it), takes the row's largest |xn| (per-token
 *     scale) and writes the int8 codes, zero-padded to the weights' padded
 *     row, and the row scale into the caller's workspace. Codes use an IEEE
 *     division and roundf (half away from zero), as the C target does.
 *  2. the int8 product on those codes:
 *     - rows <= PARE_LLM_W8_GEMV_ROWS (decode): a GEMV, a warp per pair of
 *       output rows, each lane streaming 16-byte weight chunks (4 a row in
 *       flight, bypassing L1 so the codes stay there) into __dp4a with the
 *       matching 16 bytes of each x row; int32 sums reduced by shuffles.
 *     - more rows (prefill): an int8 tensor-core GEMM, 128 x 128 outputs a
 *       block of 8 warps (64 x 32 each; PARE_LLM_W8_GEMM_WN=64: 4 warps of
 *       64 x 64), 128 bytes of K a stage, a 3-stage cp.async ring in shared
 *       memory (16-byte chunks XOR-swizzled by row so ldmatrix reads are
 *       conflict free), ldmatrix.x4 fragments and mma.sync m16n8k32 s8 x s8
 *       -> s32 (sm_80+). Blocks walk the grid in groups of 8 row tiles so a
 *       wave shares its weight tiles in L2; the scaled tile is parked in the
 *       ring and written in rows of 8 outputs.
 *     Both end in the same epilogue: act((float)acc * s_r * w_scale[j]),
 *     then the residual, stored as T. Products and sums are exact int32, so
 *     the GEMV and the GEMM agree bit for bit with each other.
 * Before sm_80 (no int8 mma) the GEMV serves every row count, four rows a
 * pass. Built for sm_90a with -DPARE_LLM_W8_WGMMA, the GEMM runs on wgmma
 * instead (w8_gemm_wgmma_kernel; an experiment, not the default).
 */
#include "pare_cu_llm.cuh"
#include "pare_cu_llm_device.cuh"
#include "pare_cu_llm_w8_impl.cuh"

#include <math.h>

namespace {

using namespace pare_llm_device; /* to_f, from_f, warp_sum, warp_max, kWarp, aligned16 */

/* ------------------------------------------------------------ quantize -- */

constexpr int kQuantThreads = 256;
constexpr int kGroup = 8; /* values a thread handles at once (one 8-byte store of codes) */

/* v rounded to T and back (what a stored xn would read). */
__device__ __forceinline__ float round_to(float v, float) { return v; }
__device__ __forceinline__ float round_to(float v, __half)
{
  return __half2float(__float2half_rn(v));
}

/* Values g * 8 .. g * 8 + 7 of a row as floats, zero past k. VEC: 16-byte
 * loads (row and pointer aligned, k a multiple of 8; the caller checks). */
template <typename T, bool VEC>
__device__ __forceinline__ void load_group(const T *p, int g, int k, float *f)
{
  const int k0 = g * kGroup;
  if constexpr (VEC) {
    if (k0 >= k) {
#pragma unroll
      for (int e = 0; e < kGroup; ++e)
        f[e] = 0.0f;
      return;
    }
    constexpr int per = 16 / (int)sizeof(T);
#pragma unroll
    for (int i = 0; i < kGroup / per; ++i) {
      uint4 raw = *reinterpret_cast<const uint4 *>(p + k0 + i * per);
      const T *e = reinterpret_cast<const T *>(&raw);
#pragma unroll
      for (int j = 0; j < per; ++j)
        f[i * per + j] = to_f(e[j]);
    }
  } else {
#pragma unroll
    for (int e = 0; e < kGroup; ++e)
      f[e] = k0 + e < k ? to_f(p[k0 + e]) : 0.0f;
  }
}

/* Sum (MAX false) or max (MAX true) of v over the block; every thread gets
 * it. `part` holds a value a warp; the first barrier lets a previous
 * reduction's readers finish before it is overwritten. */
template <bool MAX> __device__ __forceinline__ float block_reduce(float v, float *part)
{
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int warps = blockDim.x / kWarp;
  v = MAX ? warp_max(v) : warp_sum(v);
  __syncthreads(); /* part may still be read by a previous reduction */
  if (lane == 0)
    part[warp] = v;
  __syncthreads();
  float r = 0.0f; /* the max is over magnitudes */
  for (int w = 0; w < warps; ++w)
    r = MAX ? fmaxf(r, part[w]) : r + part[w];
  return r;
}

/* The whole block quantizes row xr into dst[0 .. kp - 1] (zeros past k;
 * global or shared memory, 8-byte aligned) and returns the row's scale (0
 * for a row of zeros) to every thread. part: shared scratch of a float a
 * warp. The codes are visible to the other threads after a barrier. */
template <typename T, bool VEC>
__device__ __forceinline__ float quantize_row(const T *xr, const T *norm_w, float eps, int k,
                                              int kp, float act_scale, int8_t *dst, float *part)
{
  const int groups = kp / kGroup;
  float inv = 1.0f;
  if (norm_w) {
    float ss = 0.0f;
    for (int g = threadIdx.x; g < groups; g += blockDim.x) {
      float f[kGroup];
      load_group<T, VEC>(xr, g, k, f);
#pragma unroll
      for (int e = 0; e < kGroup; ++e)
        ss = fmaf(f[e], f[e], ss);
    }
    inv = rsqrtf(block_reduce<false>(ss, part) / (float)k + eps);
  }
  /* xn of group g (the norm rounded to T, as pare_llm_rms_norm stores it). */
  auto xn = [&](int g, float *f) {
    load_group<T, VEC>(xr, g, k, f);
    if (norm_w) {
      float w[kGroup];
      load_group<T, VEC>(norm_w, g, k, w);
#pragma unroll
      for (int e = 0; e < kGroup; ++e)
        f[e] = round_to(f[e] * inv * w[e], T());
    }
  };
  /* The C target's pare_quantize_row_s8: act_scale <= 0 is per token (a NaN
   * act_scale is kept and gives zero codes there too). */
  float s = act_scale;
  if (s <= 0.0f) {
    float m = 0.0f;
    for (int g = threadIdx.x; g < groups; g += blockDim.x) {
      float f[kGroup];
      xn(g, f);
#pragma unroll
      for (int e = 0; e < kGroup; ++e)
        m = fmaxf(m, fabsf(f[e])); /* fmaxf drops a NaN, as the C loop's `a > m` does */
    }
    s = __fdiv_rn(block_reduce<true>(m, part), 127.0f);
  }
  const bool zero = !(s > 0.0f);
  for (int g = threadIdx.x; g < groups; g += blockDim.x) {
    float f[kGroup];
    xn(g, f);
    unsigned word[2] = {0u, 0u};
#pragma unroll
    for (int e = 0; e < kGroup; ++e) {
      /* pare_quantize_row_s8's steps: roundf of the IEEE quotient, clamp,
       * a NaN (0 / 0, inf / inf, NaN input) to code 0. */
      const float v = roundf(__fdiv_rn(f[e], s));
      const int c = zero || !(v == v) ? 0 : (int)fminf(fmaxf(v, -127.0f), 127.0f);
      word[e / 4] |= ((unsigned)c & 0xFFu) << (8 * (e % 4));
    }
    *reinterpret_cast<uint2 *>(dst + (size_t)g * kGroup) = make_uint2(word[0], word[1]);
  }
  return zero ? 0.0f : s;
}

/* One block a row: codes q[r][0 .. kp - 1] and scale sx[r]. */
template <typename T, bool VEC>
__global__ void __launch_bounds__(kQuantThreads)
    w8_quant_kernel(const T *x, const T *norm_w, float eps, int k, int kp, float act_scale,
                    int8_t *q, float *sx)
{
  __shared__ float part[kWarp];
  const float s = quantize_row<T, VEC>(x + (size_t)blockIdx.x * k, norm_w, eps, k, kp, act_scale,
                                       q + (size_t)blockIdx.x * kp, part);
  if (threadIdx.x == 0)
    sx[blockIdx.x] = s;
}

/* ------------------------------------------------------------ epilogue -- */

/* y[r][j] = act((float)acc * s_r * w_scale[j]) (+ residual[r][j]). The
 * products are rounded one by one, in the C target's order (no contraction
 * into the residual's add). */
template <typename T> struct Epilogue {
  const float *sx;     /* row scales [rows] */
  const float *wscale; /* [n] */
  const T *residual;
  T *y;
  int n;
  pare_act_t act;
  float act_a, act_b;
  __device__ __forceinline__ float scaled(int r, int j, int acc) const
  {
    return w8_scaled(acc, sx[r], wscale[j]);
  }
  /* v: scaled()'s value. The residual is read before y is written (it may
   * be y). */
  __device__ __forceinline__ void finish(int r, int j, float v) const
  {
    const size_t at = (size_t)r * n + j;
    y[at] = from_f<T>(w8_finish(v, act, act_a, act_b, residual != nullptr,
                                residual ? to_f(residual[at]) : 0.0f));
  }
  /* finish() of outputs j .. j + 7 (16-byte aligned in y and residual). */
  __device__ __forceinline__ void finish8(int r, int j, const float *v) const
  {
    const size_t at = (size_t)r * n + j;
    float o[8], res[8];
    if (residual) {
#pragma unroll
      for (int i = 0; i < 8; i += 16 / (int)sizeof(T)) {
        const uint4 raw = *reinterpret_cast<const uint4 *>(residual + at + i);
        const T *e = reinterpret_cast<const T *>(&raw);
#pragma unroll
        for (int u = 0; u < 16 / (int)sizeof(T); ++u)
          res[i + u] = to_f(e[u]);
      }
    }
#pragma unroll
    for (int e = 0; e < 8; ++e)
      o[e] = w8_finish(v[e], act, act_a, act_b, residual != nullptr, residual ? res[e] : 0.0f);
#pragma unroll
    for (int i = 0; i < 8; i += 16 / (int)sizeof(T)) {
      Pack<T> p;
#pragma unroll
      for (int u = 0; u < Pack<T>::N; ++u)
        p.v[u] = from_f<T>(o[i + u]);
      *reinterpret_cast<Pack<T> *>(y + at + i) = p;
    }
  }
  __device__ __forceinline__ void put(int r, int j, int acc) const
  {
    finish(r, j, scaled(r, j, acc));
  }
};

/* ---------------------------------------------------------------- gemv -- */

constexpr int kGemvThreads = 128; /* 4 warps */
constexpr int kGemvRows = 2;      /* output rows a warp */
constexpr int kGemvUnroll = 4;    /* 16-byte chunks a lane has in flight per output row */

/* A 16-byte weight load that does not allocate in L1: each weight is read
 * once per step, the codes (read by every warp) should stay cached. */
__device__ __forceinline__ uint4 load_stream(const int8_t *p)
{
  uint4 v;
  asm("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
      : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
      : "l"(p));
  return v;
}

__device__ __forceinline__ int dot16(const uint4 &a, const uint4 &b, int acc)
{
  acc = __dp4a((int)a.x, (int)b.x, acc);
  acc = __dp4a((int)a.y, (int)b.y, acc);
  acc = __dp4a((int)a.z, (int)b.z, acc);
  return __dp4a((int)a.w, (int)b.w, acc);
}

__device__ __forceinline__ int warp_sum_i(int v)
{
#pragma unroll
  for (int o = kWarp / 2; o > 0; o >>= 1)
    v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

/* Warp w of block b: output rows (b * WARPS + w) * kGemvRows ..; x rows in
 * passes of MT. q: codes [rows][kp] in global memory, or (SHARED) in the
 * block's shared memory; w: [n][kp]. */
template <typename T, int MT, int WARPS, bool SHARED>
__device__ __forceinline__ void gemv_rows(const int8_t *q, const int8_t *w, const Epilogue<T> &epi,
                                          int rows, int kp, int n)
{
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int j0 = (blockIdx.x * WARPS + warp) * kGemvRows;
  if (j0 >= n)
    return;
  const int chunks = kp / 16;
  const int8_t *wr[kGemvRows];
#pragma unroll
  for (int r = 0; r < kGemvRows; ++r)
    wr[r] = w + (size_t)(j0 + r < n ? j0 + r : n - 1) * kp; /* past n: recomputes row n - 1 */
  for (int m0 = 0; m0 < rows; m0 += MT) {
    int acc[MT][kGemvRows];
#pragma unroll
    for (int m = 0; m < MT; ++m)
#pragma unroll
      for (int r = 0; r < kGemvRows; ++r)
        acc[m][r] = 0;
    for (int c0 = lane; c0 < chunks; c0 += kWarp * kGemvUnroll) {
      uint4 wv[kGemvUnroll][kGemvRows];
#pragma unroll
      for (int u = 0; u < kGemvUnroll; ++u) {
        const int c = c0 + u * kWarp;
#pragma unroll
        for (int r = 0; r < kGemvRows; ++r)
          wv[u][r] = c < chunks ? load_stream(wr[r] + (size_t)c * 16) : make_uint4(0u, 0u, 0u, 0u);
      }
#pragma unroll
      for (int u = 0; u < kGemvUnroll; ++u) {
        const int c = c0 + u * kWarp;
        if (c < chunks) {
#pragma unroll
          for (int m = 0; m < MT; ++m) {
            if (m0 + m < rows) {
              const uint4 *src = reinterpret_cast<const uint4 *>(q + (size_t)(m0 + m) * kp) + c;
              const uint4 a = SHARED ? *src : __ldg(src);
#pragma unroll
              for (int r = 0; r < kGemvRows; ++r)
                acc[m][r] = dot16(a, wv[u][r], acc[m][r]);
            }
          }
        }
      }
    }
    /* Every lane gets every sum; lane m * kGemvRows + r stores (m, r). */
#pragma unroll
    for (int m = 0; m < MT; ++m)
#pragma unroll
      for (int r = 0; r < kGemvRows; ++r) {
        const int s = warp_sum_i(acc[m][r]);
        if (lane == m * kGemvRows + r && m0 + m < rows && j0 + r < n)
          epi.put(m0 + m, j0 + r, s);
      }
  }
}

/* The GEMV on codes the quantize pass left in the workspace. */
template <typename T, int MT>
__global__ void __launch_bounds__(kGemvThreads)
    w8_gemv_kernel(const int8_t *q, const int8_t *w, Epilogue<T> epi, int rows, int kp, int n)
{
  gemv_rows<T, MT, kGemvThreads / kWarp, false>(q, w, epi, rows, kp, n);
}

/* Decode in one launch (rows <= MT <= PARE_LLM_W8_GEMV_ROWS): every block
 * quantizes the rows itself into shared memory (rows x kp bytes, dynamic),
 * which costs each block a read of x from L2 but saves the quantize launch
 * and its round trip; block 0 also leaves codes and scales in the workspace,
 * as the two-launch path does. Wider blocks than the plain GEMV's, so that
 * fewer of them repeat the quantization. */
constexpr int kFusedThreads = 256;
constexpr int kFusedMaxBytes = 46 * 1024; /* codes in static-limit shared memory */

template <typename T, int MT, bool VEC>
__global__ void __launch_bounds__(kFusedThreads)
    w8_gemv_fused_kernel(const T *x, const T *norm_w, float eps, float act_scale, const int8_t *w,
                         Epilogue<T> epi, int rows, int k, int kp, int n, int8_t *ws_q,
                         float *ws_s)
{
  extern __shared__ __align__(16) unsigned char codes[];
  __shared__ float part[kWarp];
  __shared__ float scale[MT];
  {
    /* While x is quantized, memory already streams the start of this warp's
     * weight rows (what its first pass of loads reads) into L2. */
    const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
    const int j0 = (blockIdx.x * (kFusedThreads / kWarp) + warp) * kGemvRows;
    constexpr int lines = kWarp * kGemvUnroll * 16 / 128; /* 128-byte lines a row */
    for (int i = lane; i < kGemvRows * lines; i += kWarp) {
      const int j = j0 + i / lines, at = (i % lines) * 128;
      if (j < n && at < kp)
        asm volatile("prefetch.global.L2 [%0];" ::"l"(w + (size_t)j * kp + at));
    }
  }
  for (int m = 0; m < rows; ++m) {
    const float s = quantize_row<T, VEC>(x + (size_t)m * k, norm_w, eps, k, kp, act_scale,
                                         reinterpret_cast<int8_t *>(codes) + (size_t)m * kp, part);
    if (threadIdx.x == 0)
      scale[m] = s;
  }
  __syncthreads();
  if (blockIdx.x == 0) {
    for (int i = threadIdx.x; i < rows * kp / 16; i += blockDim.x)
      reinterpret_cast<uint4 *>(ws_q)[i] = reinterpret_cast<const uint4 *>(codes)[i];
    if (threadIdx.x < rows)
      ws_s[threadIdx.x] = scale[threadIdx.x];
  }
  Epilogue<T> e = epi;
  e.sx = scale;
  gemv_rows<T, MT, kFusedThreads / kWarp, true>(reinterpret_cast<const int8_t *>(codes), w, e,
                                                rows, kp, n);
}

/* ---------------------------------------------------------------- gemm -- */

constexpr int kBM = 128, kBN = 128; /* outputs of a block tile */
constexpr int kBK = 128;            /* bytes (= values) of K a stage: 8 chunks of 16 */
constexpr int kStages = 3;
/* Warps of a block: 2 along M by kBN / WN along N, each 64 x WN outputs.
 * WN = 32 (8 warps, 64 accumulators a thread) is the default; 64 (4 warps,
 * 128 accumulators) reads 25% less shared memory per multiply-add, with half
 * the warps to hide latency: -DPARE_LLM_W8_GEMM_WN=64 selects it, so the two
 * can be timed against each other (tests/cuda/run_w8_check.sh does). */
#ifndef PARE_LLM_W8_GEMM_WN
#define PARE_LLM_W8_GEMM_WN 32
#endif
constexpr int kWarpN = PARE_LLM_W8_GEMM_WN;
static_assert(kWarpN == 32 || kWarpN == 64, "PARE_LLM_W8_GEMM_WN is 32 or 64");
constexpr int kGemmThreads = 2 * (128 / kWarpN) * 32;
constexpr int kNJ = kWarpN / 8; /* n8 tiles a warp */
constexpr int kTileBytes = kBM * kBK;
constexpr int kGemmSmem = kStages * 2 * kTileBytes; /* 96 KiB: A and B tiles a stage */
constexpr int kGroupM = 8;          /* row tiles a group of the block walk */
constexpr int kLdC = kBN + 4;       /* floats a row of the epilogue's tile (in the ring) */
static_assert(kBM * kLdC * 4 <= kGemmSmem, "the epilogue tile fits the ring");
static_assert(kBM == kBN, "the A and B tiles share the stage layout");

__device__ __forceinline__ uint32_t smem_u32(const void *p)
{
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

/* Byte offset of chunk c (16 bytes) of tile row `row`: chunks XOR-swizzled
 * by row, so the 8 rows an ldmatrix phase reads (same c) hit 8 distinct
 * bank groups. */
__device__ __forceinline__ uint32_t swz(int row, int c)
{
  return (uint32_t)(row * kBK + ((c ^ (row & 7)) << 4));
}

/* 16 bytes global -> shared, bypassing L1; valid false fills zeros. */
__device__ __forceinline__ void cp_async16(uint32_t dst, const void *src, bool valid)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src),
               "r"(valid ? 16 : 0)
               : "memory");
#endif
}
__device__ __forceinline__ void cp_async_commit()
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.commit_group;\n" ::: "memory");
#endif
}
template <int N> __device__ __forceinline__ void cp_async_wait()
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
#endif
}

__device__ __forceinline__ void ldmatrix_x4(uint32_t addr, uint32_t *r)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
#endif
}

/* d += a (16 x 32, row) . b (32 x 8, col), int8 in, int32 accumulators. */
__device__ __forceinline__ void mma_s8(int *d, const uint32_t *a, const uint32_t *b)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0, %1, %2, %3}, "
               "{%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
               : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
}

/* Tile rows r0.. of src ([limit][kp] int8), bytes k0 .. k0 + kBK - 1, into
 * the swizzled tile at dst; rows past limit and chunks past kp are zeros. */
template <int THREADS = kGemmThreads>
__device__ __forceinline__ void load_tile(uint32_t dst, const int8_t *src, int r0, int limit,
                                          int k0, int kp)
{
#pragma unroll
  for (int t = 0; t < kTileBytes / 16 / THREADS; ++t) {
    const int i = threadIdx.x + t * THREADS;
    const int row = i / (kBK / 16), c = i % (kBK / 16);
    const bool valid = r0 + row < limit && k0 + c * 16 < kp;
    const int8_t *p = valid ? src + (size_t)(r0 + row) * kp + k0 + c * 16 : src;
    cp_async16(dst + swz(row, c), p, valid);
  }
}

/* The tile (m0, n0) of block blockIdx.x. Grouped walk: kGroupM row tiles by
 * every column tile, then the next group (consecutive blocks share weight
 * tiles while they are in L2). */
__device__ __forceinline__ void tile_origin(int tiles_m, int tiles_n, int *m0, int *n0)
{
  const int per_group = kGroupM * tiles_n;
  const int group = blockIdx.x / per_group, first_m = group * kGroupM;
  const int group_m = tiles_m - first_m < kGroupM ? tiles_m - first_m : kGroupM;
  const int in_group = blockIdx.x % per_group;
  *m0 = (first_m + in_group % group_m) * kBM;
  *n0 = (in_group / group_m) * kBN;
}

/* The epilogue's second half: the scaled tile ct (kBM x kBN floats, rows of
 * kLdC, in shared memory) through the activation and the residual into y,
 * eight outputs a step (vec8: 16-byte loads and stores). */
template <int THREADS, typename T>
__device__ __forceinline__ void store_tile(const float *ct, const Epilogue<T> &epi, int m0, int n0,
                                           int rows, int n, bool vec8)
{
#pragma unroll 1
  for (int i = threadIdx.x; i < kBM * (kBN / 8); i += THREADS) {
    const int tr = i / (kBN / 8), tc = (i % (kBN / 8)) * 8;
    const int r = m0 + tr, j = n0 + tc;
    if (r >= rows || j >= n)
      continue;
    const float *c = ct + tr * kLdC + tc;
    if (vec8 && j + 8 <= n)
      epi.finish8(r, j, c);
    else
      for (int e = 0; e < 8 && j + e < n; ++e)
        epi.finish(r, j + e, c[e]);
  }
}

/* y tile (m0, n0) = epilogue(q[m0..] . w[n0..]^T). vec8: n a multiple of 8,
 * y and the residual 16-byte aligned (eight outputs a load / store). */
template <typename T>
__global__ void __launch_bounds__(kGemmThreads, 2)
    w8_gemm_kernel(const int8_t *q, const int8_t *w, Epilogue<T> epi, int rows, int kp, int n,
                   int tiles_m, int tiles_n, bool vec8)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  extern __shared__ __align__(128) unsigned char smem[];
  int m0, n0;
  tile_origin(tiles_m, tiles_n, &m0, &n0);

  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int wm = (warp / (kBN / kWarpN)) * 64, wn = (warp % (kBN / kWarpN)) * kWarpN;
  const uint32_t base = smem_u32(smem);
  const int kt_count = (kp + kBK - 1) / kBK;

  int acc[4][kNJ][4];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < kNJ; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e)
        acc[i][j][e] = 0;

  auto stage_a = [&](int s) { return base + (uint32_t)(s * 2 * kTileBytes); };
  auto stage_b = [&](int s) { return base + (uint32_t)(s * 2 * kTileBytes + kTileBytes); };

#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < kt_count) {
      load_tile(stage_a(s), q, m0, rows, s * kBK, kp);
      load_tile(stage_b(s), w, n0, n, s * kBK, kp);
    }
    cp_async_commit(); /* empty groups keep the count of the wait below */
  }

  for (int kt = 0; kt < kt_count; ++kt) {
    cp_async_wait<kStages - 2>(); /* this thread's copies of stage kt landed */
    __syncthreads();              /* everyone's did, and stage kt - 1 is free */
    {
      const int next = kt + kStages - 1;
      if (next < kt_count) {
        load_tile(stage_a(next % kStages), q, m0, rows, next * kBK, kp);
        load_tile(stage_b(next % kStages), w, n0, n, next * kBK, kp);
      }
      cp_async_commit();
    }
    const uint32_t a_s = stage_a(kt % kStages), b_s = stage_b(kt % kStages);
#pragma unroll
    for (int ks = 0; ks < kBK / 32; ++ks) {
      /* A fragments (16 x 32 each): matrices (rows 0-7 | 8-15) x (k 0-15 |
       * 16-31), lane l addresses row l % 16, chunk 2 ks + l / 16. */
      uint32_t a[4][4], b[kNJ][2];
#pragma unroll
      for (int mi = 0; mi < 4; ++mi)
        ldmatrix_x4(a_s + swz(wm + mi * 16 + (lane & 15), 2 * ks + (lane >> 4)), a[mi]);
      /* B fragments, two n8 tiles a load: matrices (n 0-7, k 0-15), (n 0-7,
       * k 16-31), (n 8-15, k 0-15), (n 8-15, k 16-31). */
#pragma unroll
      for (int nj = 0; nj < kNJ; nj += 2) {
        uint32_t r[4];
        ldmatrix_x4(b_s + swz(wn + nj * 8 + (lane & 7) + ((lane >> 4) << 3),
                              2 * ks + ((lane >> 3) & 1)),
                    r);
        b[nj][0] = r[0];
        b[nj][1] = r[1];
        b[nj + 1][0] = r[2];
        b[nj + 1][1] = r[3];
      }
#pragma unroll
      for (int mi = 0; mi < 4; ++mi)
#pragma unroll
        for (int nj = 0; nj < kNJ; ++nj)
          mma_s8(acc[mi][nj], a[mi], b[nj]);
    }
  }
  cp_async_wait<0>();

  __syncthreads(); /* every warp is done with the ring: it now holds the scaled tile */

  /* Accumulator e of (mi, nj) is row (lane / 4) + 8 (e / 2), column 2 (lane
   * % 4) + e % 2 of its 16 x 8 tile; scaled, it goes to the float tile ct
   * (rows of kLdC), so that the activation is inlined once and y is written
   * in whole rows. */
  float *ct = reinterpret_cast<float *>(smem);
#pragma unroll
  for (int mi = 0; mi < 4; ++mi)
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int tr = wm + mi * 16 + (lane >> 2) + 8 * h;
      const int r = m0 + tr < rows ? m0 + tr : rows - 1; /* past rows: never stored */
#pragma unroll
      for (int nj = 0; nj < kNJ; ++nj) {
        const int tc = wn + nj * 8 + 2 * (lane & 3);
        const int j0 = min(n0 + tc, n - 1), j1 = min(n0 + tc + 1, n - 1); /* likewise */
        const float2 v = make_float2(epi.scaled(r, j0, acc[mi][nj][2 * h]),
                                     epi.scaled(r, j1, acc[mi][nj][2 * h + 1]));
        *reinterpret_cast<float2 *>(ct + tr * kLdC + tc) = v;
      }
    }
  __syncthreads();
  store_tile<kGemmThreads>(ct, epi, m0, n0, rows, n, vec8);
#else
  (void)q, (void)w, (void)epi, (void)rows, (void)kp, (void)n, (void)tiles_m, (void)tiles_n;
  (void)vec8;
  __trap(); /* never launched: the host takes the GEMV below sm_80 */
#endif
}

/* ------------------------------------------------------- gemm, sm_90a -- */

/* Hopper's wgmma on the same tiles (-DPARE_LLM_W8_WGMMA, a build for sm_90a
 * only; an experiment next to the mma.sync GEMM, which stays the default):
 * the cp.async ring above already has wgmma's 128-byte-swizzle K-major
 * layout (16-byte chunk c of row r at c ^ (r % 8), rows of 128 bytes, 8-row
 * groups 1024 bytes apart, stages 1 KiB aligned), so two warpgroups each
 * multiply their 64 rows of a stage by its 128 columns with four
 * wgmma.mma_async m64n128k32 s8 (one per 32 bytes of K: the descriptor's
 * start moves 32 bytes), int32 accumulators in registers. A stage's wgmmas
 * run while the threads wait for the next stage's copies; a stage is
 * refilled once both warpgroups' wgmmas on it have completed. */
#if defined(PARE_LLM_W8_WGMMA)
constexpr int kWgThreads = 256;
constexpr int kWgSmem = kGemmSmem + 1024; /* the ring, 1 KiB aligned */

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
/* Matrix descriptor of a 128-byte-swizzled K-major tile at shared address a:
 * start >> 4, leading offset 16 bytes (unused by the swizzled K-major
 * layout), stride 1024 bytes between 8-row groups, swizzle mode 128 B. */
__device__ __forceinline__ uint64_t wg_desc(uint32_t a)
{
  return (uint64_t)((a & 0x3FFFF) >> 4) | (1ull << 16) | (64ull << 32) | (1ull << 62);
}

#define W8_D8(o)                                                                             \
  "+r"(d[(o)]), "+r"(d[(o) + 1]), "+r"(d[(o) + 2]), "+r"(d[(o) + 3]), "+r"(d[(o) + 4]),      \
      "+r"(d[(o) + 5]), "+r"(d[(o) + 6]), "+r"(d[(o) + 7])
#define W8_D32(o) W8_D8(o), W8_D8((o) + 8), W8_D8((o) + 16), W8_D8((o) + 24)

/* D (64 x 128, s32) += A (64 x 32, s8) B (32 x 128, s8), both K-major in
 * shared memory. */
__device__ __forceinline__ void wg_mma_s8(int (&d)[64], uint64_t da, uint64_t db)
{
  /* scale-d is a predicate: true accumulates into d. */
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
               "wgmma.mma_async.sync.aligned.m64n128k32.s32.s8.s8 {"
               "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
               "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
               "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
               "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63"
               "}, %64, %65, p;\n}\n"
               : W8_D32(0), W8_D32(32)
               : "l"(da), "l"(db), "r"(1));
}
#undef W8_D32
#undef W8_D8
#endif

template <typename T>
__global__ void __launch_bounds__(kWgThreads, 1)
    w8_gemm_wgmma_kernel(const int8_t *q, const int8_t *w, Epilogue<T> epi, int rows, int kp,
                         int n, int tiles_m, int tiles_n, bool vec8)
{
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  extern __shared__ __align__(128) unsigned char smem_raw[];
  const uint32_t raw = smem_u32(smem_raw);
  const uint32_t base = (raw + 1023u) & ~1023u;
  int m0, n0;
  tile_origin(tiles_m, tiles_n, &m0, &n0);
  const int wg = threadIdx.x / 128; /* warpgroup: rows wg * 64 .. of the tile */
  const int kt_count = (kp + kBK - 1) / kBK;
  int d[64];
#pragma unroll
  for (int i = 0; i < 64; ++i)
    d[i] = 0;
  auto stage_a = [&](int s) { return base + (uint32_t)(s * 2 * kTileBytes); };
  auto stage_b = [&](int s) { return base + (uint32_t)(s * 2 * kTileBytes + kTileBytes); };
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < kt_count) {
      load_tile<kWgThreads>(stage_a(s), q, m0, rows, s * kBK, kp);
      load_tile<kWgThreads>(stage_b(s), w, n0, n, s * kBK, kp);
    }
    cp_async_commit();
  }
  for (int kt = 0; kt < kt_count; ++kt) {
    cp_async_wait<kStages - 2>();
    /* The copies were generic-proxy writes; wgmma reads through the async
     * proxy. */
    asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
    asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory"); /* stage kt - 1 read */
    __syncthreads();
    const int next = kt + kStages - 1;
    if (next < kt_count) {
      load_tile<kWgThreads>(stage_a(next % kStages), q, m0, rows, next * kBK, kp);
      load_tile<kWgThreads>(stage_b(next % kStages), w, n0, n, next * kBK, kp);
    }
    cp_async_commit();
    const uint32_t a_s = stage_a(kt % kStages) + (uint32_t)(wg * 64 * kBK);
    const uint32_t b_s = stage_b(kt % kStages);
    asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#pragma unroll
    for (int ks = 0; ks < kBK / 32; ++ks)
      wg_mma_s8(d, wg_desc(a_s + 32u * ks), wg_desc(b_s + 32u * ks));
    asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
  }
  asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
#pragma unroll
  for (int i = 0; i < 64; ++i)
    asm volatile("" : "+r"(d[i])::"memory");
  cp_async_wait<0>();
  __syncthreads(); /* the ring now holds the scaled tile */

  /* Accumulator i of thread t: row 16 (t % 128 / 32) + (t % 32) / 4 + 8 ((i
   * / 2) % 2) of the warpgroup's 64, column 8 (i / 4) + 2 (t % 4) + i % 2. */
  float *ct = reinterpret_cast<float *>(smem_raw + (base - raw));
  const int lane = threadIdx.x % kWarp, wq = (threadIdx.x % 128) / kWarp;
#pragma unroll
  for (int i = 0; i < 64; i += 2) {
    const int tr = wg * 64 + wq * 16 + lane / 4 + 8 * ((i / 2) % 2);
    const int tc = 8 * (i / 4) + 2 * (lane % 4);
    const int r = m0 + tr < rows ? m0 + tr : rows - 1; /* past rows / n: never stored */
    const int j0 = min(n0 + tc, n - 1), j1 = min(n0 + tc + 1, n - 1);
    *reinterpret_cast<float2 *>(ct + tr * kLdC + tc) =
        make_float2(epi.scaled(r, j0, d[i]), epi.scaled(r, j1, d[i + 1]));
  }
  __syncthreads();
  store_tile<kWgThreads>(ct, epi, m0, n0, rows, n, vec8);
#else
  (void)q, (void)w, (void)epi, (void)rows, (void)kp, (void)n, (void)tiles_m, (void)tiles_n;
  (void)vec8;
  __trap(); /* a pass without sm_90a's features (an sm_90a build runs its own) */
#endif
}
#endif /* PARE_LLM_W8_WGMMA */

/* ------------------------------------------------------------- launches -- */

/* Per-device facts, looked up once (bit d: device d done). */
struct DeviceFacts {
  /* known: looked up; mma: sm_80+; hopper: compute capability 9.0 (what an
   * sm_90a build's wgmma kernel runs on); smem_set[T is half][wgmma]: the
   * GEMM kernel's shared-memory opt-in done. */
  unsigned long long known = 0, mma = 0, hopper = 0, smem_set[2][2] = {{0, 0}, {0, 0}};
};
DeviceFacts g_facts;

/* The facts of the current device (bit: its bit in the masks). */
inline cudaError_t device_facts(unsigned long long *bit)
{
  int dev = 0;
  cudaError_t e = cudaGetDevice(&dev);
  if (e != cudaSuccess)
    return e;
  *bit = dev >= 0 && dev < 64 ? 1ull << dev : 0;
  if (!(g_facts.known & *bit)) {
    int major = 0, minor = 0;
    e = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev);
    if (e == cudaSuccess)
      e = cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev);
    if (e != cudaSuccess)
      return e;
    if (major >= 8)
      g_facts.mma |= *bit;
    if (major == 9 && minor == 0)
      g_facts.hopper |= *bit;
    g_facts.known |= *bit;
  }
  return cudaSuccess;
}

/* One GEMM kernel launch; the 96 KiB (+1 KiB) of dynamic shared memory
 * needs the opt-in, once per device and kernel (the attribute stays set; it
 * is no stream operation, so a graph capture may include the first call). */
template <typename T>
cudaError_t launch_gemm_kernel(void (*kernel)(const int8_t *, const int8_t *, Epilogue<T>, int,
                                              int, int, int, int, bool),
                               int threads, int smem_bytes, bool wgmma, unsigned long long bit,
                               const int8_t *q, const int8_t *w, const Epilogue<T> &epi, int rows,
                               int kp, int n, cudaStream_t stream)
{
  unsigned long long &set = g_facts.smem_set[sizeof(T) == 2][wgmma];
  if (!(set & bit)) {
    cudaError_t e =
        cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem_bytes);
    if (e != cudaSuccess)
      return e;
    set |= bit;
  }
  const int tiles_m = (rows + kBM - 1) / kBM, tiles_n = (n + kBN - 1) / kBN;
  const bool vec8 = n % 8 == 0 && aligned16(epi.y) && (!epi.residual || aligned16(epi.residual));
  kernel<<<(unsigned)(tiles_m * tiles_n), threads, smem_bytes, stream>>>(q, w, epi, rows, kp, n,
                                                                      tiles_m, tiles_n, vec8);
  return cudaGetLastError();
}

template <typename T>
cudaError_t launch_gemm(const int8_t *q, const int8_t *w, const Epilogue<T> &epi, int rows, int kp,
                        int n, unsigned long long bit, cudaStream_t stream)
{
#if defined(PARE_LLM_W8_WGMMA)
  if (g_facts.hopper & bit)
    return launch_gemm_kernel<T>(w8_gemm_wgmma_kernel<T>, kWgThreads, kWgSmem, true, bit, q, w,
                                 epi, rows, kp, n, stream);
#endif
  return launch_gemm_kernel<T>(w8_gemm_kernel<T>, kGemmThreads, kGemmSmem, false, bit, q, w, epi,
                               rows, kp, n, stream);
}

template <typename T>
cudaError_t launch_gemv(const int8_t *q, const int8_t *w, const Epilogue<T> &epi, int rows, int kp,
                        int n, cudaStream_t stream)
{
  constexpr int per_block = kGemvThreads / kWarp * kGemvRows;
  const unsigned grid = (unsigned)((n + per_block - 1) / per_block);
  if (rows == 1)
    w8_gemv_kernel<T, 1><<<grid, kGemvThreads, 0, stream>>>(q, w, epi, rows, kp, n);
  else
    w8_gemv_kernel<T, PARE_LLM_W8_GEMV_ROWS><<<grid, kGemvThreads, 0, stream>>>(q, w, epi, rows,
                                                                                kp, n);
  return cudaGetLastError();
}

/* The one-launch decode GEMV (w8_gemv_fused_kernel); 0 at build time
 * selects the two launches (quantize, GEMV) for every row count. */
#ifndef PARE_LLM_W8_FUSED_GEMV
#define PARE_LLM_W8_FUSED_GEMV 1
#endif

template <typename T, int MT>
cudaError_t launch_fused(const T *x, const T *norm_w, float eps, float act_scale, const int8_t *w,
                         const Epilogue<T> &epi, int rows, int k, int kp, int n, int8_t *q,
                         float *sx, bool vec, cudaStream_t stream)
{
  constexpr int per_block = kFusedThreads / kWarp * kGemvRows;
  const unsigned grid = (unsigned)((n + per_block - 1) / per_block);
  const size_t smem = (size_t)rows * kp;
  if (vec)
    w8_gemv_fused_kernel<T, MT, true><<<grid, kFusedThreads, smem, stream>>>(
        x, norm_w, eps, act_scale, w, epi, rows, k, kp, n, q, sx);
  else
    w8_gemv_fused_kernel<T, MT, false><<<grid, kFusedThreads, smem, stream>>>(
        x, norm_w, eps, act_scale, w, epi, rows, k, kp, n, q, sx);
  return cudaGetLastError();
}

/* The quantize pass: a block a row, codes q [rows][kp] and scales sx [rows].
 * vec: x and norm_w 16-byte aligned and k a multiple of kGroup. */
template <typename T>
cudaError_t launch_quantize(const T *x, const T *norm_w, float norm_eps, int rows, int k, int kp,
                            float act_scale, int8_t *q, float *sx, bool vec, cudaStream_t stream)
{
  if (vec)
    w8_quant_kernel<T, true><<<(unsigned)rows, kQuantThreads, 0, stream>>>(
        x, norm_w, norm_eps, k, kp, act_scale, q, sx);
  else
    w8_quant_kernel<T, false><<<(unsigned)rows, kQuantThreads, 0, stream>>>(
        x, norm_w, norm_eps, k, kp, act_scale, q, sx);
  return cudaGetLastError();
}

/* pare_llm_w8_quantize_* (pare_cu_llm_w8_impl.cuh): the pass alone, into
 * caller-placed codes and scales. */
template <typename T>
cudaError_t quantize_w8(const T *x, const T *norm_w, float norm_eps, int rows, int k,
                        float act_scale, int8_t *q, float *sx, cudaStream_t stream)
{
  if (rows <= 0)
    return cudaSuccess;
  if (k <= 0 || !x || !q || !sx || !aligned16(q) || ((uintptr_t)sx & 3u))
    return cudaErrorInvalidValue;
  const bool vec = aligned16(x) && (!norm_w || aligned16(norm_w)) && k % kGroup == 0;
  return launch_quantize(x, norm_w, norm_eps, rows, k, (int)PARE_LLM_W8_ROW_BYTES(k), act_scale,
                         q, sx, vec, stream);
}

template <typename T>
cudaError_t linear_w8a8(const T *x, const T *norm_w, float norm_eps, const int8_t *w,
                        const float *w_scale, const T *residual, T *y, int rows, int k, int n,
                        float act_scale, pare_act_t act, float act_a, float act_b,
                        void *workspace, cudaStream_t stream)
{
  if (rows <= 0)
    return cudaSuccess;
  if (k <= 0 || n <= 0 || !x || !w || !w_scale || !y || !workspace || !aligned16(w) ||
      (const void *)y == (const void *)x)
    return cudaErrorInvalidValue;
  const int kp = (int)PARE_LLM_W8_ROW_BYTES(k);
  /* Workspace: the codes [rows][kp] from the first 16-byte boundary (the
   * contract's 256 spare bytes cover the shift), then the row scales. */
  int8_t *q = reinterpret_cast<int8_t *>(((uintptr_t)workspace + 15) & ~(uintptr_t)15);
  float *sx = reinterpret_cast<float *>(q + (size_t)rows * kp);

  const bool vec = aligned16(x) && (!norm_w || aligned16(norm_w)) && k % kGroup == 0;
  Epilogue<T> epi{sx, w_scale, residual, y, n, act, act_a, act_b};
  if (PARE_LLM_W8_FUSED_GEMV && rows <= PARE_LLM_W8_GEMV_ROWS &&
      (size_t)rows * kp <= (size_t)kFusedMaxBytes) {
    if (rows == 1)
      return launch_fused<T, 1>(x, norm_w, norm_eps, act_scale, w, epi, rows, k, kp, n, q, sx, vec,
                                stream);
    return launch_fused<T, PARE_LLM_W8_GEMV_ROWS>(x, norm_w, norm_eps, act_scale, w, epi, rows, k,
                                                  kp, n, q, sx, vec, stream);
  }
  cudaError_t e = launch_quantize(x, norm_w, norm_eps, rows, k, kp, act_scale, q, sx, vec, stream);
  if (e != cudaSuccess)
    return e;

  if (rows > PARE_LLM_W8_GEMV_ROWS) {
    unsigned long long bit = 0;
    e = device_facts(&bit);
    if (e != cudaSuccess)
      return e;
    if (g_facts.mma & bit)
      return launch_gemm(q, w, epi, rows, kp, n, bit, stream);
  }
  return launch_gemv(q, w, epi, rows, kp, n, stream);
}

} // namespace

cudaError_t pare_llm_linear_w8a8_f32(const float *x, const float *norm_w, float norm_eps,
                                     const int8_t *w, const float *w_scale, const float *residual,
                                     float *y, int rows, int k, int n, float act_scale,
                                     pare_act_t act, float act_a, float act_b, void *workspace,
                                     cudaStream_t stream)
{
  return linear_w8a8<float>(x, norm_w, norm_eps, w, w_scale, residual, y, rows, k, n, act_scale,
                            act, act_a, act_b, workspace, stream);
}

cudaError_t pare_llm_linear_w8a8_f16(const pare_half *x, const pare_half *norm_w, float norm_eps,
                                     const int8_t *w, const float *w_scale,
                                     const pare_half *residual, pare_half *y, int rows, int k,
                                     int n, float act_scale, pare_act_t act, float act_a,
                                     float act_b, void *workspace, cudaStream_t stream)
{
  return linear_w8a8<__half>(x, norm_w, norm_eps, w, w_scale, residual, y, rows, k, n,
                             act_scale, act, act_a, act_b, workspace, stream);
}

cudaError_t pare_llm_w8_quantize_f32(const float *x, const float *norm_w, float norm_eps,
                                     int rows, int k, float act_scale, int8_t *q, float *sx,
                                     cudaStream_t stream)
{
  return quantize_w8<float>(x, norm_w, norm_eps, rows, k, act_scale, q, sx, stream);
}

cudaError_t pare_llm_w8_quantize_f16(const pare_half *x, const pare_half *norm_w, float norm_eps,
                                     int rows, int k, float act_scale, int8_t *q, float *sx,
                                     cudaStream_t stream)
{
  return quantize_w8<__half>(x, norm_w, norm_eps, rows, k, act_scale, q, sx, stream);
}
