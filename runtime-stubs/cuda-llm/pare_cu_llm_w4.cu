/*
 * pare CUDA decoder kernels: pare.matmul_nbits, 4-bit weights with fp16 or
 * float activations (W4A16 / W4A32; issue 18). See pare_cu_llm.cuh for the
 * launch function and the weights' layout.
 *
 * Decode (rows <= PARE_LLM_W4_GEMV_ROWS): a GEMV that streams the packed
 * weights once. Thread t of a block takes 16-byte chunks t, t + blockDim, ...
 * of the block's output rows (32 weights of one row each, so a warp reads
 * 512 contiguous bytes of a row per load, bypassing L1 so that x stays
 * there), unpacks them in registers and accumulates in float; the block
 * reduces each row with warp shuffles and one shared-memory step. Launched
 * with programmatic dependent launch (pare_cu_llm_device.cuh): each thread
 * loads its first chunk before pdl_wait(), x only after it.
 *
 * Unpacking without conversions: for nibble q at bits 4p..4p+3 of a word u
 * (p < 4), the float whose bits are 0x4B000000 | (u & (0xF << 4p)) is exactly
 * 2^23 + q 16^p, so subtracting 2^23 + z 16^p gives (q - z) 16^p exactly (one
 * LOP3 and one FADD). Nibbles 4..7 of the word take the same path after one
 * shift by 16. Four accumulators, one per p, collect (q - z) 16^p x; the
 * chunk's sum is a0 + a1 / 16 + a2 / 256 + a3 / 4096 (exact power-of-two
 * scalings), times the group's scale. So every weight is dequantized exactly
 * as the op defines it and the products and sums are float.
 *
 * Prefill (more rows): a tiled GEMM, 64 x 64 outputs a block, 32 of K a step.
 * Each step dequantizes the 64 x 32 weight tile into shared memory, ((q - z)
 * s in float, then stored as the activations' type), next to the 64 x 32 tile
 * of x: for fp16 the tiles feed tensor cores (WMMA 16x16x16, float
 * accumulators), for float a 16 x 16 thread grid of 4 x 4 FMA blocks. The
 * existing sm_90a TMA/wgmma GEMM (runtime-stubs/cuda) reads its B operand
 * from global memory by TMA, so it cannot take weights dequantized on the fly
 * in shared memory without being rewritten; this kernel trades its pipelining
 * for simplicity (one tile in flight; tests/cuda/test_w4_kernels.cu --bench
 * times it against the fp16 decoder matmul).
 */
#include "pare_cu_llm.cuh"
#include "pare_cu_llm_device.cuh"

#include <mma.h>

namespace {

using namespace pare_llm_device; /* to_f, from_f, warp_sum, kWarp, aligned16, pdl_* */

constexpr int kGemvMaxThreads = 512; /* one chunk per thread for K <= 16384 */
constexpr int kChunk = 32;           /* weights of one 16-byte load */
constexpr int kTile = 64;            /* prefill: rows and outputs of a block tile */

/* A 16-byte weight load that does not allocate in L1: weights are read once
 * per token, x (read by every block) should stay cached instead. */
__device__ __forceinline__ uint4 load_stream(const uint8_t *p)
{
  uint4 v;
  asm("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
      : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
      : "l"(p));
  return v;
}

/* The (scale, zero) pair of row `row`, group `g`, as floats. */
__device__ __forceinline__ float2 load_sz(const float *sz, size_t at)
{
  return *reinterpret_cast<const float2 *>(sz + at);
}
__device__ __forceinline__ float2 load_sz(const __half *sz, size_t at)
{
  return __half22float2(*reinterpret_cast<const __half2 *>(sz + at));
}

/* x[k0 .. k0 + 31] of one row as float, zero past k. VEC: 16-byte loads
 * (row and pointer aligned; the caller checks). */
template <typename T, bool VEC>
__device__ __forceinline__ void load_x32(const T *xr, int k0, int k, float *xv)
{
  if (VEC && k0 + kChunk <= k) {
    constexpr int per = 16 / (int)sizeof(T);
#pragma unroll
    for (int i = 0; i < kChunk / per; ++i) {
      uint4 raw = *reinterpret_cast<const uint4 *>(xr + k0 + i * per);
      const T *e = reinterpret_cast<const T *>(&raw);
#pragma unroll
      for (int j = 0; j < per; ++j)
        xv[i * per + j] = to_f(e[j]);
    }
  } else {
#pragma unroll
    for (int i = 0; i < kChunk; ++i)
      xv[i] = k0 + i < k ? to_f(xr[k0 + i]) : 0.0f;
  }
}

/* Magic numbers 2^23 + z 16^p (p = 0..3) of zero point z. */
struct Magic {
  float m[4];
  __device__ __forceinline__ explicit Magic(float z)
  {
    m[0] = 8388608.0f + z;
    m[1] = 8388608.0f + z * 16.0f;
    m[2] = 8388608.0f + z * 256.0f;
    m[3] = 8388608.0f + z * 4096.0f;
  }
};

/* Adds (q - z) 16^p x for the 8 weights of word u (nibble e = weight e)
 * into a[p]. */
__device__ __forceinline__ void dot_word(unsigned u, const float *xv, const Magic &mg, float *a)
{
  unsigned hi = u >> 16;
#pragma unroll
  for (int p = 0; p < 4; ++p) {
    float lo_w = __uint_as_float(0x4B000000u | (u & (0xFu << (4 * p)))) - mg.m[p];
    float hi_w = __uint_as_float(0x4B000000u | (hi & (0xFu << (4 * p)))) - mg.m[p];
    a[p] = fmaf(lo_w, xv[p], a[p]);
    a[p] = fmaf(hi_w, xv[4 + p], a[p]);
  }
}

__device__ __forceinline__ float combine(const float *a)
{
  return fmaf(a[3], 1.0f / 4096.0f, fmaf(a[2], 1.0f / 256.0f, fmaf(a[1], 1.0f / 16.0f, a[0])));
}

/* The 32 weights of chunk w (groups of >= 32: one (scale, zero) pair; of 16:
 * words 0-1 and 2-3 have their own) times xv, dequantized exactly. */
template <bool SMALLG>
__device__ __forceinline__ float dot_chunk(uint4 w, const float *xv, float2 sz0, float2 sz1)
{
  if (SMALLG) {
    float a[4] = {0.0f, 0.0f, 0.0f, 0.0f}, b[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    Magic m0(sz0.y), m1(sz1.y);
    dot_word(w.x, xv, m0, a);
    dot_word(w.y, xv + 8, m0, a);
    dot_word(w.z, xv + 16, m1, b);
    dot_word(w.w, xv + 24, m1, b);
    return fmaf(combine(a), sz0.x, combine(b) * sz1.x);
  }
  float a[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  Magic m(sz0.y);
  dot_word(w.x, xv, m, a);
  dot_word(w.y, xv + 8, m, a);
  dot_word(w.z, xv + 16, m, a);
  dot_word(w.w, xv + 24, m, a);
  return combine(a) * sz0.x;
}

/* ------------------------------------------------------------------ gemv -- */

/* Block: output rows n0 .. n0 + R - 1, every x row in passes of MT rows. */
template <typename T, int R, int MT, bool SMALLG, bool VEC>
__global__ void __launch_bounds__(kGemvMaxThreads)
    w4_gemv_kernel(const T *x, const uint8_t *qw, const T *sz, T *y, int rows, int k, int n,
                   int groups, int gshift, pare_act_t act, float act_a, float act_b)
{
  __shared__ float partial[MT * R][kGemvMaxThreads / kWarp];
  const int n0 = blockIdx.x * R;
  const int chunks = (k + kChunk - 1) / kChunk;
  const size_t row_bytes = (size_t)chunks * 16;
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int warps = blockDim.x / kWarp;
  /* The weights and (scale, zero) pairs of chunk c of the block's rows. */
  auto load_w = [&](int c, uint4 *w, float2 *s0, float2 *s1) {
    const int k0 = c * kChunk;
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const int row = n0 + r < n ? n0 + r : n - 1; /* past n: recomputes row n - 1 */
      w[r] = load_stream(qw + (size_t)row * row_bytes + (size_t)c * 16);
      const size_t g0 = (size_t)row * groups + (size_t)(k0 >> gshift);
      s0[r] = load_sz(sz, 2 * g0);
      s1[r] = SMALLG ? load_sz(sz, 2 * (g0 + 1)) : s0[r];
    }
  };
  /* The thread's first chunk is loaded before pdl_wait(): launched with PDL,
   * the kernel streams it in while its predecessor finishes (weights, which
   * no kernel writes; with K <= 16384 it is the thread's only chunk). */
  uint4 w_first[R];
  float2 s0_first[R], s1_first[R];
  if ((int)threadIdx.x < chunks)
    load_w((int)threadIdx.x, w_first, s0_first, s1_first);
  pdl_wait();
  pdl_trigger();
  for (int m0 = 0; m0 < rows; m0 += MT) {
    float acc[MT][R];
#pragma unroll
    for (int mm = 0; mm < MT; ++mm)
#pragma unroll
      for (int r = 0; r < R; ++r)
        acc[mm][r] = 0.0f;
    for (int c = threadIdx.x; c < chunks; c += blockDim.x) {
      const int k0 = c * kChunk;
      uint4 w[R];
      float2 s0[R], s1[R];
      if (c == (int)threadIdx.x) {
#pragma unroll
        for (int r = 0; r < R; ++r) {
          w[r] = w_first[r];
          s0[r] = s0_first[r];
          s1[r] = s1_first[r];
        }
      } else {
        load_w(c, w, s0, s1);
      }
#pragma unroll
      for (int mm = 0; mm < MT; ++mm) {
        if (m0 + mm < rows) {
          float xv[kChunk];
          load_x32<T, VEC>(x + (size_t)(m0 + mm) * k, k0, k, xv);
#pragma unroll
          for (int r = 0; r < R; ++r)
            acc[mm][r] += dot_chunk<SMALLG>(w[r], xv, s0[r], s1[r]);
        }
      }
    }
#pragma unroll
    for (int mm = 0; mm < MT; ++mm)
#pragma unroll
      for (int r = 0; r < R; ++r) {
        float s = warp_sum(acc[mm][r]);
        if (lane == 0)
          partial[mm * R + r][warp] = s;
      }
    __syncthreads();
    for (int i = threadIdx.x; i < MT * R; i += blockDim.x) {
      const int mm = i / R, r = i % R;
      float s = 0.0f;
      for (int j = 0; j < warps; ++j)
        s += partial[i][j];
      if (m0 + mm < rows && n0 + r < n)
        y[(size_t)(m0 + mm) * n + n0 + r] = from_f<T>(pare_activation(s, act, act_a, act_b));
    }
    __syncthreads();
  }
}

/* ------------------------------------------------------------------ gemm -- */

/* Dequantizes the 64 x 32 weight tile of outputs n0.., k0.. into
 * wt[kTile][ld] (row = output, 32 values along K; rows past n are zeros).
 * `threads` threads, each a word (8 weights) at a time. */
template <typename T>
__device__ __forceinline__ void dequant_tile(const uint8_t *qw, const T *sz, T *wt, int ld, int n0,
                                             int k0, int n, int chunks, int groups, int gshift,
                                             int threads)
{
  for (int i = threadIdx.x; i < kTile * 4; i += threads) {
    const int r = i / 4, word = i % 4, row = n0 + r;
    T *dst = wt + r * ld + word * 8;
    if (row >= n) {
#pragma unroll
      for (int e = 0; e < 8; ++e)
        dst[e] = from_f<T>(0.0f);
      continue;
    }
    const unsigned u =
        *reinterpret_cast<const unsigned *>(qw + ((size_t)row * chunks + k0 / kChunk) * 16 + word * 4);
    const float2 s = load_sz(sz, 2 * ((size_t)row * groups + ((k0 + word * 8) >> gshift)));
#pragma unroll
    for (int e = 0; e < 8; ++e)
      dst[e] = from_f<T>((float)((int)((u >> (4 * e)) & 0xFu) - (int)s.y) * s.x);
  }
}

/* x rows m0.., columns k0 .. k0 + 31 into xt (row-major, ld), zeros outside. */
template <typename T>
__device__ __forceinline__ void load_x_tile(const T *x, T *xt, int ld, int m0, int k0, int rows,
                                            int k, int threads)
{
  for (int i = threadIdx.x; i < kTile * kChunk; i += threads) {
    const int r = i / kChunk, c = i % kChunk;
    xt[r * ld + c] = m0 + r < rows && k0 + c < k ? x[(size_t)(m0 + r) * k + k0 + c] : from_f<T>(0.0f);
  }
}

/* load_x_tile for half; VEC (x 16-byte aligned, k a multiple of 8): 8 halves
 * a load (xt's rows are 16-byte multiples). */
template <bool VEC>
__device__ __forceinline__ void load_x_tile_h(const __half *x, __half *xt, int ld, int m0, int k0,
                                              int rows, int k, int threads)
{
  if constexpr (!VEC) {
    load_x_tile(x, xt, ld, m0, k0, rows, k, threads);
  } else {
    /* k is a multiple of 8: a load is wholly inside the row or past it. */
    for (int i = threadIdx.x; i < kTile * (kChunk / 8); i += threads) {
      const int r = i / (kChunk / 8), c = (i % (kChunk / 8)) * 8;
      uint4 v = make_uint4(0u, 0u, 0u, 0u);
      if (m0 + r < rows && k0 + c < k)
        v = *reinterpret_cast<const uint4 *>(x + (size_t)(m0 + r) * k + k0 + c);
      *reinterpret_cast<uint4 *>(xt + r * ld + c) = v;
    }
  }
}

/* fp16: 4 warps, each a 32 x 32 quarter of the tile as 2 x 2 WMMA
 * accumulators. VEC: x rows 16-byte aligned. */
constexpr int kMmaThreads = 128;
constexpr int kLdH = kChunk + 8;   /* halves per row of the K-tiles (16-byte multiple) */
constexpr int kLdC = kTile + 4;    /* floats per row of the output tile */

template <bool VEC>
__global__ void __launch_bounds__(kMmaThreads)
    w4_gemm_f16_kernel(const __half *x, const uint8_t *qw, const __half *sz, __half *y, int rows,
                       int k, int n, int groups, int gshift, pare_act_t act, float act_a,
                       float act_b)
{
  using namespace nvcuda;
  __shared__ __align__(32) __half xs[kTile * kLdH];
  __shared__ __align__(32) __half ws[kTile * kLdH];
  __shared__ __align__(32) float cs[kTile * kLdC];
  const int n0 = blockIdx.x * kTile, m0 = blockIdx.y * kTile;
  const int chunks = (k + kChunk - 1) / kChunk;
  const int warp = threadIdx.x / kWarp;
  const int wm = (warp / 2) * 32, wn = (warp % 2) * 32;
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[2][2];
#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j)
      wmma::fill_fragment(acc[i][j], 0.0f);
  for (int c = 0; c < chunks; ++c) {
    const int k0 = c * kChunk;
    load_x_tile_h<VEC>(x, xs, kLdH, m0, k0, rows, k, kMmaThreads);
    dequant_tile(qw, sz, ws, kLdH, n0, k0, n, chunks, groups, gshift, kMmaThreads);
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kChunk; kk += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> a[2];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::col_major> b[2];
#pragma unroll
      for (int i = 0; i < 2; ++i)
        wmma::load_matrix_sync(a[i], xs + (wm + 16 * i) * kLdH + kk, kLdH);
      /* B (k, j) = W tile row j, column k: column-major with ld kLdH. */
#pragma unroll
      for (int j = 0; j < 2; ++j)
        wmma::load_matrix_sync(b[j], ws + (wn + 16 * j) * kLdH + kk, kLdH);
#pragma unroll
      for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j)
          wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j)
      wmma::store_matrix_sync(cs + (wm + 16 * i) * kLdC + wn + 16 * j, acc[i][j], kLdC,
                              wmma::mem_row_major);
  __syncthreads();
  for (int i = threadIdx.x; i < kTile * kTile; i += kMmaThreads) {
    const int r = i / kTile, j = i % kTile;
    if (m0 + r < rows && n0 + j < n)
      y[(size_t)(m0 + r) * n + n0 + j] =
          __float2half_rn(pare_activation(cs[r * kLdC + j], act, act_a, act_b));
  }
}

/* float: 16 x 16 threads, thread (ty, tx) owns outputs (ty + 16 i, tx + 16 j),
 * i, j < 4; the tiles are stored K-major so each step reads 4 + 4 values. */
constexpr int kFmaThreads = 256;
constexpr int kLdF = kChunk + 1; /* odd: column walks hit every bank */

__global__ void __launch_bounds__(kFmaThreads)
    w4_gemm_f32_kernel(const float *x, const uint8_t *qw, const float *sz, float *y, int rows,
                       int k, int n, int groups, int gshift, pare_act_t act, float act_a,
                       float act_b)
{
  __shared__ float xs[kTile * kLdF];
  __shared__ float ws[kTile * kLdF];
  const int n0 = blockIdx.x * kTile, m0 = blockIdx.y * kTile;
  const int chunks = (k + kChunk - 1) / kChunk;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  float acc[4][4];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j)
      acc[i][j] = 0.0f;
  for (int c = 0; c < chunks; ++c) {
    const int k0 = c * kChunk;
    load_x_tile(x, xs, kLdF, m0, k0, rows, k, kFmaThreads);
    dequant_tile(qw, sz, ws, kLdF, n0, k0, n, chunks, groups, gshift, kFmaThreads);
    __syncthreads();
#pragma unroll 8
    for (int kk = 0; kk < kChunk; ++kk) {
      float a[4], b[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        a[i] = xs[(ty + 16 * i) * kLdF + kk];
        b[i] = ws[(tx + 16 * i) * kLdF + kk];
      }
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j)
          acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int r = m0 + ty + 16 * i, col = n0 + tx + 16 * j;
      if (r < rows && col < n)
        y[(size_t)r * n + col] = pare_activation(acc[i][j], act, act_a, act_b);
    }
}

/* ------------------------------------------------------------- launches -- */

/* Threads of a GEMV block: one chunk each when the row has at most 512,
 * else as few idle threads in the last pass as a multiple of 32 allows. */
inline int gemv_threads(int chunks)
{
  int passes = (chunks + kGemvMaxThreads - 1) / kGemvMaxThreads;
  int per = (chunks + passes - 1) / passes;
  return (per + kWarp - 1) / kWarp * kWarp;
}

template <typename T, int R, int MT, bool SMALLG>
cudaError_t launch_gemv(const T *x, const uint8_t *qw, const T *sz, T *y, int rows, int k, int n,
                        int groups, int gshift, pare_act_t act, float act_a, float act_b,
                        cudaStream_t stream)
{
  const unsigned grid = (unsigned)((n + R - 1) / R);
  const int threads = gemv_threads((k + kChunk - 1) / kChunk);
  auto kernel = aligned16(x) && (k * sizeof(T)) % 16 == 0
                    ? w4_gemv_kernel<T, R, MT, SMALLG, true>
                    : w4_gemv_kernel<T, R, MT, SMALLG, false>;
  return pdl_launch(kernel, grid, threads, 0, stream, x, qw, sz, y, rows, k, n, groups, gshift,
                    act, act_a, act_b);
}

template <typename T, bool SMALLG>
cudaError_t gemv(const T *x, const uint8_t *qw, const T *sz, T *y, int rows, int k, int n,
                 int groups, int gshift, pare_act_t act, float act_a, float act_b,
                 cudaStream_t stream)
{
  /* One row: 8 output rows a block (8 loads in flight a thread). A few rows:
   * 4 output rows, all x rows (up to 4) sharing each weight load. */
  if (rows == 1)
    return launch_gemv<T, 8, 1, SMALLG>(x, qw, sz, y, rows, k, n, groups, gshift, act, act_a,
                                        act_b, stream);
  return launch_gemv<T, 4, PARE_LLM_W4_GEMV_ROWS, SMALLG>(x, qw, sz, y, rows, k, n, groups,
                                                          gshift, act, act_a, act_b, stream);
}

cudaError_t gemm(const float *x, const uint8_t *qw, const float *sz, float *y, int rows, int k,
                 int n, int groups, int gshift, pare_act_t act, float act_a, float act_b,
                 cudaStream_t stream)
{
  dim3 grid((unsigned)((n + kTile - 1) / kTile), (unsigned)((rows + kTile - 1) / kTile));
  w4_gemm_f32_kernel<<<grid, kFmaThreads, 0, stream>>>(x, qw, sz, y, rows, k, n, groups, gshift,
                                                      act, act_a, act_b);
  return cudaGetLastError();
}

cudaError_t gemm(const __half *x, const uint8_t *qw, const __half *sz, __half *y, int rows, int k,
                 int n, int groups, int gshift, pare_act_t act, float act_a, float act_b,
                 cudaStream_t stream)
{
  dim3 grid((unsigned)((n + kTile - 1) / kTile), (unsigned)((rows + kTile - 1) / kTile));
  if (aligned16(x) && k % 8 == 0)
    w4_gemm_f16_kernel<true><<<grid, kMmaThreads, 0, stream>>>(x, qw, sz, y, rows, k, n, groups,
                                                               gshift, act, act_a, act_b);
  else
    w4_gemm_f16_kernel<false><<<grid, kMmaThreads, 0, stream>>>(x, qw, sz, y, rows, k, n, groups,
                                                                gshift, act, act_a, act_b);
  return cudaGetLastError();
}

template <typename T>
cudaError_t matmul_w4(const T *x, const uint8_t *qw, const T *sz, T *y, int rows, int k, int n,
                      int group, pare_act_t act, float act_a, float act_b, cudaStream_t stream)
{
  if (rows <= 0)
    return cudaSuccess;
  if (k <= 0 || n <= 0 || group < 16 || (group & (group - 1)) || !aligned16(qw))
    return cudaErrorInvalidValue;
  int gshift = 0;
  while ((1 << gshift) < group)
    ++gshift;
  const int groups = PARE_LLM_W4_GROUPS(k, group);
  if (rows > PARE_LLM_W4_GEMV_ROWS)
    return gemm(x, qw, sz, y, rows, k, n, groups, gshift, act, act_a, act_b, stream);
  if (group == 16)
    return gemv<T, true>(x, qw, sz, y, rows, k, n, groups, gshift, act, act_a, act_b, stream);
  return gemv<T, false>(x, qw, sz, y, rows, k, n, groups, gshift, act, act_a, act_b, stream);
}

} // namespace

cudaError_t pare_llm_matmul_w4_f32(const float *x, const uint8_t *qw, const float *sz, float *y,
                                   int rows, int k, int n, int group, pare_act_t act, float act_a,
                                   float act_b, cudaStream_t stream)
{
  return matmul_w4<float>(x, qw, sz, y, rows, k, n, group, act, act_a, act_b, stream);
}

cudaError_t pare_llm_matmul_w4_f16(const pare_half *x, const uint8_t *qw, const pare_half *sz,
                                   pare_half *y, int rows, int k, int n, int group, pare_act_t act,
                                   float act_a, float act_b, cudaStream_t stream)
{
  return matmul_w4<__half>(x, qw, sz, y, rows, k, n, group, act, act_a, act_b, stream);
}
