/*
 * pare CUDA runtime: shared machinery of the convolution and matmul kernels
 * (pare_cu_conv.cu, pare_cu_gemm.cu).
 *
 * Both operations are one GEMM, Y(z)[i][j] = epilogue(sum_k A(z,i,k) B(z,k,j)),
 * described by a PcgGemm:
 *  - matmul: A and B are strided matrices, z the batch index;
 *  - convolution (implicit GEMM over NHWC): i = output pixel (img, oy, ox),
 *    j = output channel of group z, k = (r, s, ci) kernel tap and input channel
 *    of the group; A(z,i,k) is read from x on the fly (zero outside the
 *    image), B(z,k,j) = w[(z*ocg + j)*K + k] (OHWI weights, K contiguous).
 * The epilogue is act(alpha * acc + beta * C(z,i,j) + residual(z,i,j)); the
 * convolution bias is C with row stride 0.
 *
 * Kernels:
 *  - pcg_tc_kernel: half inputs on tensor cores (WMMA 16x16x16, float
 *    accumulate), a 4-stage cp.async pipeline of 32-deep K slices through
 *    shared memory, block tiles 64..128 x 64..128, warp tiles of 32x32 or
 *    64x32; operand loaders chosen at compile time (16-byte cp.async chunks
 *    when layout and alignment allow, element-wise loads with any strides
 *    otherwise; K/M/N edges are zero-filled).
 *  - pcg_simt_kernel: float inputs, classic shared-memory tiled SIMT GEMM
 *    (64x64 or 128x128 block tiles, 4x4 or 8x8 outputs per thread, 8-deep K
 *    slices double-buffered through registers), any strides.
 *
 * Everything lives in an anonymous namespace: each including .cu file gets
 * its own private instantiations.
 */
#ifndef PARE_CU_CONV_GEMM_IMPL_CUH
#define PARE_CU_CONV_GEMM_IMPL_CUH

#include "pare_cuda.cuh"

#include <mma.h>
#include <type_traits>

namespace {

/* ------------------------------------------------------------ scalars -- */

__device__ __forceinline__ float pcg_f(float v) { return v; }
__device__ __forceinline__ float pcg_f(__half v) { return __half2float(v); }
__device__ __forceinline__ void pcg_st(float *p, float v) { *p = v; }
__device__ __forceinline__ void pcg_st(__half *p, float v) { *p = __float2half_rn(v); }

/* log(1 + exp(x)) without overflow. */
__device__ __forceinline__ float pcg_softplus(float x)
{
  return x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x));
}

/* Same formulas as pare_act_f32 of the C target (pare_k_elementwise.c). */
__device__ __forceinline__ float pcg_act(float x, pare_act_t act, float a, float b)
{
  switch (act) {
  case PARE_ACT_NONE: return x;
  case PARE_ACT_RELU: return x > 0.0f ? x : 0.0f;
  case PARE_ACT_CLIP: return x < a ? a : (x > b ? b : x);
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
  case PARE_ACT_SOFTPLUS: return pcg_softplus(x);
  case PARE_ACT_SOFTSIGN: return x / (1.0f + fabsf(x));
  case PARE_ACT_THRESHOLDED_RELU: return x > a ? x : 0.0f;
  case PARE_ACT_CELU: {
    float neg = a * expm1f(x / a);
    return (x > 0.0f ? x : 0.0f) + (neg < 0.0f ? neg : 0.0f);
  }
  case PARE_ACT_MISH: return x * tanhf(pcg_softplus(x));
  }
  return x;
}

/* ------------------------------------------------------ short vectors --
 * V consecutive elements <-> V floats; the pointer must be aligned to the
 * whole vector (V * sizeof(T) bytes) when that is 4, 8 or 16 bytes. */

template <int V> __device__ __forceinline__ void pcg_ldv(const float *p, float *o)
{
  if constexpr (V == 4) {
    float4 t = __ldg(reinterpret_cast<const float4 *>(p));
    o[0] = t.x; o[1] = t.y; o[2] = t.z; o[3] = t.w;
  } else if constexpr (V == 2) {
    float2 t = __ldg(reinterpret_cast<const float2 *>(p));
    o[0] = t.x; o[1] = t.y;
  } else {
#pragma unroll
    for (int v = 0; v < V; v++) o[v] = __ldg(p + v);
  }
}

template <int V> __device__ __forceinline__ void pcg_ldv(const __half *p, float *o)
{
  if constexpr (V == 8) {
    uint4 u = __ldg(reinterpret_cast<const uint4 *>(p));
    const __half2 *h = reinterpret_cast<const __half2 *>(&u);
#pragma unroll
    for (int q = 0; q < 4; q++) {
      float2 f = __half22float2(h[q]);
      o[2 * q] = f.x; o[2 * q + 1] = f.y;
    }
  } else if constexpr (V == 2) {
    float2 f = __half22float2(__ldg(reinterpret_cast<const __half2 *>(p)));
    o[0] = f.x; o[1] = f.y;
  } else {
#pragma unroll
    for (int v = 0; v < V; v++) o[v] = __half2float(__ldg(p + v));
  }
}

template <int V> __device__ __forceinline__ void pcg_stv(float *p, const float *o)
{
  if constexpr (V == 4) {
    *reinterpret_cast<float4 *>(p) = make_float4(o[0], o[1], o[2], o[3]);
  } else {
#pragma unroll
    for (int v = 0; v < V; v++) p[v] = o[v];
  }
}

template <int V> __device__ __forceinline__ void pcg_stv(__half *p, const float *o)
{
  if constexpr (V == 8) {
    uint4 u;
    __half2 *h = reinterpret_cast<__half2 *>(&u);
#pragma unroll
    for (int q = 0; q < 4; q++) h[q] = __floats2half2_rn(o[2 * q], o[2 * q + 1]);
    *reinterpret_cast<uint4 *>(p) = u;
  } else if constexpr (V == 2) {
    *reinterpret_cast<__half2 *>(p) = __floats2half2_rn(o[0], o[1]);
  } else {
#pragma unroll
    for (int v = 0; v < V; v++) p[v] = __float2half_rn(o[v]);
  }
}

/* True when p is aligned to `bytes`. */
__host__ __device__ __forceinline__ bool pcg_aligned(const void *p, size_t bytes)
{
  return p == nullptr || (reinterpret_cast<uintptr_t>(p) % bytes) == 0;
}

/* ------------------------------------------------------ GEMM problem -- */

template <class T> struct PcgGemm {
  int M, N, K;
  /* A(z,i,k) = a[z*a_zs + i*a_rs + k*a_cs] (matmul); for convolution a = x
   * and a_zs = icg (channel offset of group z). */
  const T *a;
  long long a_rs, a_cs, a_zs;
  /* B(z,k,j) = b[z*b_zs + k*b_rs + j*b_cs]. */
  const T *b;
  long long b_rs, b_cs, b_zs;
  /* Convolution geometry (A loaders PCG_A_CONV*): input [img][ih][iw][ic]. */
  int ih, iw, ic, oh, ow, kw, icg, sh, sw, dh, dw, pt, pl;
  /* Y(z,i,j) = y[z*y_zs + i*y_rs + j]; residual (may be NULL) alike. */
  T *y;
  const T *res;
  long long y_rs, y_zs;
  /* C(z,i,j) = c[z*c_zs + i*c_rs + j*c_cs] (NULL: none). */
  const T *c;
  long long c_rs, c_cs, c_zs;
  float alpha, beta;
  pare_act_t act;
  float act_a, act_b;
  /* y / residual rows allow 16-byte vector stores (tensor-core epilogue). */
  int vec_out;
};

/* A loaders. */
enum {
  PCG_A_MAT = 0,      /* any strides, element by element */
  PCG_A_MAT_MK = 1,   /* a_cs == 1: 16-byte chunks along K */
  PCG_A_MAT_KM = 2,   /* a_rs == 1: 16-byte chunks along M */
  PCG_A_CONV = 3,     /* implicit im2col, element by element */
  PCG_A_CONV_VEC = 4  /* implicit im2col, icg % 8 == 0: 16-byte chunks */
};
/* B loaders. */
enum {
  PCG_B_MAT = 0,      /* any strides, element by element */
  PCG_B_MAT_NK = 1,   /* b_rs == 1: 16-byte chunks along K */
  PCG_B_MAT_KN = 2    /* b_cs == 1: 16-byte chunks along N */
};

/* Element A(z,i,k) of a convolution (i < M, k < K), 0 in the padding. */
template <class T>
__device__ __forceinline__ T pcg_conv_a(const PcgGemm<T> &p, int z, int i, int k)
{
  const int ci = k % p.icg, rs = k / p.icg, s = rs % p.kw, r = rs / p.kw;
  const int ox = i % p.ow, t = i / p.ow, oy = t % p.oh, img = t / p.oh;
  const int iy = oy * p.sh - p.pt + r * p.dh, ix = ox * p.sw - p.pl + s * p.dw;
  if (iy < 0 || iy >= p.ih || ix < 0 || ix >= p.iw) return T(0.0f);
  return p.a[((long long)(img * p.ih + iy) * p.iw + ix) * p.ic + z * p.a_zs + ci];
}

/* Element A(z,i,k) for the element-wise loaders. */
template <int AM, class T>
__device__ __forceinline__ T pcg_a_elem(const PcgGemm<T> &p, int z, int i, int k)
{
  if constexpr (AM == PCG_A_CONV || AM == PCG_A_CONV_VEC) return pcg_conv_a(p, z, i, k);
  return p.a[z * p.a_zs + i * p.a_rs + k * p.a_cs];
}

/* Final value of Y(z,i,j) from the accumulator; yo is its offset in y. */
template <class T>
__device__ __forceinline__ float pcg_epilogue(const PcgGemm<T> &p, int z, int i, int j,
                                              float acc, long long yo)
{
  float v = p.alpha * acc;
  if (p.c) v += p.beta * pcg_f(p.c[z * p.c_zs + i * p.c_rs + j * p.c_cs]);
  if (p.res) v += pcg_f(p.res[yo]);
  return pcg_act(v, p.act, p.act_a, p.act_b);
}

/* ------------------------------------------------------- cp.async ------ */

/* 16-byte global -> shared copy; when !valid the destination is zero-filled
 * and src (which must still be a mapped address) is not read. */
__device__ __forceinline__ void pcg_cp_async16(void *dst, const void *src, bool valid)
{
  const unsigned d = static_cast<unsigned>(__cvta_generic_to_shared(dst));
  const int n = valid ? 16 : 0;
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d), "l"(src), "r"(n));
}
__device__ __forceinline__ void pcg_cp_async_commit()
{
  asm volatile("cp.async.commit_group;\n" ::);
}
template <int N> __device__ __forceinline__ void pcg_cp_async_wait()
{
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

/* ---------------------------------------------- tensor-core GEMM (half) --
 * Block tile BM x BN, WM x WN warps, each warp owning a (BM/WM) x (BN/WN)
 * tile of 16x16 WMMA accumulators. K advances PCG_TC_BK at a time through a
 * PCG_TC_STAGES-deep ring of shared-memory slices filled by cp.async (the
 * element-wise loaders store synchronously into the same ring). Shared layouts
 * (rows padded by 8 halves against bank conflicts):
 *   A: [BM][BK] (K contiguous) or [BK][BM] for PCG_A_MAT_KM;
 *   B: [BN][BK] (K contiguous) or [BK][BN] for PCG_B_MAT_KN.
 * The accumulators finally go through shared memory (as float, reusing the
 * ring) so that the epilogue reads and writes rows of 8 contiguous outputs. */

#define PCG_TC_BK 32
#define PCG_TC_STAGES 4
#define PCG_TC_PAD 8

template <int BM, int BN, int AM, int BMODE> struct PcgTcSmem {
  static constexpr int A_ELEMS = AM == PCG_A_MAT_KM ? PCG_TC_BK * (BM + PCG_TC_PAD)
                                                    : BM * (PCG_TC_BK + PCG_TC_PAD);
  static constexpr int B_ELEMS = BMODE == PCG_B_MAT_KN ? PCG_TC_BK * (BN + PCG_TC_PAD)
                                                       : BN * (PCG_TC_BK + PCG_TC_PAD);
  static constexpr int RING_BYTES = PCG_TC_STAGES * (A_ELEMS + B_ELEMS) * 2;
  static constexpr int C_LD = BN + 4; /* floats */
  static constexpr int C_BYTES = BM * C_LD * 4;
  static constexpr int BYTES = RING_BYTES > C_BYTES ? RING_BYTES : C_BYTES;
};

/* Loads the A slice [m0, m0+BM) x [k0, k0+BK) of batch z into sa. The
 * PCG_A_CONV_VEC per-thread pixel data (rows fixed for the whole K loop) is
 * precomputed by the caller in cbase / cy / cx. */
template <int BM, int NT, int AM>
__device__ __forceinline__ void pcg_tc_load_a(const PcgGemm<__half> &p, __half *sa, int z,
                                              int m0, int k0, const long long *cbase,
                                              const int *cy, const int *cx)
{
  constexpr int BK = PCG_TC_BK, LD = BK + PCG_TC_PAD;
  const int tid = threadIdx.x;
  if constexpr (AM == PCG_A_MAT_MK) {
#pragma unroll
    for (int c = tid; c < BM * BK / 8; c += NT) {
      const int row = c / (BK / 8), kc = (c % (BK / 8)) * 8;
      const int gi = m0 + row, gk = k0 + kc;
      const bool ok = gi < p.M && gk < p.K;
      const __half *src = ok ? p.a + z * p.a_zs + gi * p.a_rs + gk : p.a;
      pcg_cp_async16(sa + row * LD + kc, src, ok);
    }
  } else if constexpr (AM == PCG_A_MAT_KM) {
    constexpr int LDM = BM + PCG_TC_PAD;
#pragma unroll
    for (int c = tid; c < BM * BK / 8; c += NT) {
      const int kr = c / (BM / 8), mc = (c % (BM / 8)) * 8;
      const int gi = m0 + mc, gk = k0 + kr;
      const bool ok = gi < p.M && gk < p.K;
      const __half *src = ok ? p.a + z * p.a_zs + gk * p.a_cs + gi : p.a;
      pcg_cp_async16(sa + kr * LDM + mc, src, ok);
    }
  } else if constexpr (AM == PCG_A_CONV_VEC) {
    /* Thread chunks share one K offset, so the tap is decoded once. */
    const int kc = (tid % (BK / 8)) * 8, gk = k0 + kc;
    const int ci = gk % p.icg, rs = gk / p.icg, s = rs % p.kw, r = rs / p.kw;
    const int dy = r * p.dh, dx = s * p.dw;
#pragma unroll
    for (int it = 0; it < BM * BK / 8 / NT; it++) {
      const int row = (tid + it * NT) / (BK / 8);
      const int iy = cy[it] + dy, ix = cx[it] + dx;
      const bool ok = gk < p.K && cbase[it] >= 0 && iy >= 0 && iy < p.ih && ix >= 0 &&
                      ix < p.iw;
      const __half *src =
          ok ? p.a + cbase[it] + ((long long)iy * p.iw + ix) * p.ic + ci : p.a;
      pcg_cp_async16(sa + row * LD + kc, src, ok);
    }
  } else {
    for (int e = tid; e < BM * BK; e += NT) {
      const int row = e / BK, kk = e % BK;
      const int gi = m0 + row, gk = k0 + kk;
      sa[row * LD + kk] =
          gi < p.M && gk < p.K ? pcg_a_elem<AM>(p, z, gi, gk) : __float2half(0.0f);
    }
  }
}

/* Loads the B slice [k0, k0+BK) x [n0, n0+BN) of batch z into sb. */
template <int BN, int NT, int BMODE>
__device__ __forceinline__ void pcg_tc_load_b(const PcgGemm<__half> &p, __half *sb, int z,
                                              int n0, int k0)
{
  constexpr int BK = PCG_TC_BK, LD = BK + PCG_TC_PAD;
  const int tid = threadIdx.x;
  if constexpr (BMODE == PCG_B_MAT_NK) {
#pragma unroll
    for (int c = tid; c < BN * BK / 8; c += NT) {
      const int row = c / (BK / 8), kc = (c % (BK / 8)) * 8;
      const int gj = n0 + row, gk = k0 + kc;
      const bool ok = gj < p.N && gk < p.K;
      const __half *src = ok ? p.b + z * p.b_zs + gj * p.b_cs + gk : p.b;
      pcg_cp_async16(sb + row * LD + kc, src, ok);
    }
  } else if constexpr (BMODE == PCG_B_MAT_KN) {
    constexpr int LDN = BN + PCG_TC_PAD;
#pragma unroll
    for (int c = tid; c < BN * BK / 8; c += NT) {
      const int kr = c / (BN / 8), nc = (c % (BN / 8)) * 8;
      const int gj = n0 + nc, gk = k0 + kr;
      const bool ok = gj < p.N && gk < p.K;
      const __half *src = ok ? p.b + z * p.b_zs + gk * p.b_rs + gj : p.b;
      pcg_cp_async16(sb + kr * LDN + nc, src, ok);
    }
  } else {
    for (int e = tid; e < BN * BK; e += NT) {
      const int row = e / BK, kk = e % BK;
      const int gj = n0 + row, gk = k0 + kk;
      sb[row * LD + kk] = gj < p.N && gk < p.K ? p.b[z * p.b_zs + gk * p.b_rs + gj * p.b_cs]
                                               : __float2half(0.0f);
    }
  }
}

template <int BM, int BN, int WM, int WN, int AM, int BMODE>
__global__ void __launch_bounds__(WM *WN * 32) pcg_tc_kernel(const PcgGemm<__half> p)
{
  using namespace nvcuda;
  using Smem = PcgTcSmem<BM, BN, AM, BMODE>;
  constexpr int NT = WM * WN * 32, BK = PCG_TC_BK, S = PCG_TC_STAGES;
  constexpr int WTM = BM / WM, WTN = BN / WN, FM = WTM / 16, FN = WTN / 16;
  using ALayout = typename std::conditional<AM == PCG_A_MAT_KM, wmma::col_major,
                                            wmma::row_major>::type;
  using BLayout = typename std::conditional<BMODE == PCG_B_MAT_KN, wmma::row_major,
                                            wmma::col_major>::type;
  extern __shared__ __align__(128) unsigned char pcg_smem[];
  __half *ring = reinterpret_cast<__half *>(pcg_smem);

  const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN, z = blockIdx.z;
  const int warp = threadIdx.x / 32, wm = warp / WN, wn = warp % WN;

  /* Implicit-im2col rows of this thread: image base offset (-1 past M) and
   * the input position of the kernel's top-left tap. */
  constexpr int CIT = AM == PCG_A_CONV_VEC ? BM * BK / 8 / NT : 1;
  long long cbase[CIT];
  int cy[CIT], cx[CIT];
#pragma unroll
  for (int it = 0; it < CIT; it++) {
    cbase[it] = -1; cy[it] = 0; cx[it] = 0;
    if constexpr (AM == PCG_A_CONV_VEC) {
      const int gi = m0 + (threadIdx.x + it * NT) / (BK / 8);
      if (gi < p.M) {
        const int ox = gi % p.ow, t = gi / p.ow, oy = t % p.oh, img = t / p.oh;
        cbase[it] = (long long)img * p.ih * p.iw * p.ic + z * p.a_zs;
        cy[it] = oy * p.sh - p.pt;
        cx[it] = ox * p.sw - p.pl;
      }
    }
  }

  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[FM][FN];
#pragma unroll
  for (int i = 0; i < FM; i++)
#pragma unroll
    for (int j = 0; j < FN; j++) wmma::fill_fragment(acc[i][j], 0.0f);

  const int KT = (p.K + BK - 1) / BK;
  auto stage_a = [&](int s) { return ring + s * (Smem::A_ELEMS + Smem::B_ELEMS); };
  auto stage_b = [&](int s) { return stage_a(s) + Smem::A_ELEMS; };

#pragma unroll
  for (int s = 0; s < S - 1; s++) {
    if (s < KT) {
      pcg_tc_load_a<BM, NT, AM>(p, stage_a(s), z, m0, s * BK, cbase, cy, cx);
      pcg_tc_load_b<BN, NT, BMODE>(p, stage_b(s), z, n0, s * BK);
    }
    pcg_cp_async_commit();
  }

  for (int kt = 0; kt < KT; kt++) {
    pcg_cp_async_wait<S - 2>();
    __syncthreads(); /* slice kt landed; slice kt-1 is free for reuse */
    const int pf = kt + S - 1;
    if (pf < KT) {
      pcg_tc_load_a<BM, NT, AM>(p, stage_a(pf % S), z, m0, pf * BK, cbase, cy, cx);
      pcg_tc_load_b<BN, NT, BMODE>(p, stage_b(pf % S), z, n0, pf * BK);
    }
    pcg_cp_async_commit();

    const __half *sa = stage_a(kt % S), *sb = stage_b(kt % S);
#pragma unroll
    for (int kk = 0; kk < BK; kk += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, ALayout> fa[FM];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, BLayout> fb[FN];
#pragma unroll
      for (int i = 0; i < FM; i++) {
        const int r = wm * WTM + i * 16;
        if constexpr (AM == PCG_A_MAT_KM)
          wmma::load_matrix_sync(fa[i], sa + kk * (BM + PCG_TC_PAD) + r, BM + PCG_TC_PAD);
        else
          wmma::load_matrix_sync(fa[i], sa + r * (BK + PCG_TC_PAD) + kk, BK + PCG_TC_PAD);
      }
#pragma unroll
      for (int j = 0; j < FN; j++) {
        const int cidx = wn * WTN + j * 16;
        if constexpr (BMODE == PCG_B_MAT_KN)
          wmma::load_matrix_sync(fb[j], sb + kk * (BN + PCG_TC_PAD) + cidx, BN + PCG_TC_PAD);
        else
          wmma::load_matrix_sync(fb[j], sb + cidx * (BK + PCG_TC_PAD) + kk, BK + PCG_TC_PAD);
      }
#pragma unroll
      for (int i = 0; i < FM; i++)
#pragma unroll
        for (int j = 0; j < FN; j++) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
    }
  }
  pcg_cp_async_wait<0>();
  __syncthreads(); /* the ring becomes the float output tile */

  float *cs = reinterpret_cast<float *>(pcg_smem);
#pragma unroll
  for (int i = 0; i < FM; i++)
#pragma unroll
    for (int j = 0; j < FN; j++)
      wmma::store_matrix_sync(cs + (wm * WTM + i * 16) * Smem::C_LD + wn * WTN + j * 16,
                              acc[i][j], Smem::C_LD, wmma::mem_row_major);
  __syncthreads();

  /* Epilogue: each thread finishes runs of 8 outputs of a row. */
  for (int e = threadIdx.x; e < BM * BN / 8; e += NT) {
    const int r = e / (BN / 8), c8 = (e % (BN / 8)) * 8;
    const int gi = m0 + r, gj = n0 + c8;
    if (gi >= p.M) continue;
    const long long yo = z * p.y_zs + gi * p.y_rs + gj;
    const float *src = cs + r * Smem::C_LD + c8;
    if (p.vec_out && gj + 8 <= p.N) {
      float v[8], rv[8];
      if (p.res) pcg_ldv<8>(p.res + yo, rv);
#pragma unroll
      for (int t = 0; t < 8; t++) {
        float x = p.alpha * src[t];
        if (p.c) x += p.beta * pcg_f(p.c[z * p.c_zs + gi * p.c_rs + (gj + t) * p.c_cs]);
        if (p.res) x += rv[t];
        v[t] = pcg_act(x, p.act, p.act_a, p.act_b);
      }
      pcg_stv<8>(p.y + yo, v);
    } else {
      for (int t = 0; t < 8 && gj + t < p.N; t++)
        pcg_st(p.y + yo + t, pcg_epilogue(p, z, gi, gj + t, src[t], yo + t));
    }
  }
}

/* Number of SMs of the current device (tile choice). */
inline int pcg_num_sms()
{
  int dev = 0, sms = 0;
  if (cudaGetDevice(&dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess)
    return 108;
  return sms;
}

template <int BM, int BN, int WM, int WN, int AM, int BMODE>
cudaError_t pcg_tc_launch(const PcgGemm<__half> &p, int z, cudaStream_t stream)
{
  constexpr int smem = PcgTcSmem<BM, BN, AM, BMODE>::BYTES;
  auto kernel = pcg_tc_kernel<BM, BN, WM, WN, AM, BMODE>;
  if (smem > 48 * 1024) {
    cudaError_t e =
        cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem);
    if (e != cudaSuccess) return e;
  }
  const dim3 grid((p.M + BM - 1) / BM, (p.N + BN - 1) / BN, z);
  kernel<<<grid, WM * WN * 32, smem, stream>>>(p);
  return cudaGetLastError();
}

/* Tile choice: the largest tile that still gives every SM work (large tiles
 * halve the shared-memory traffic per FLOP; small ones fill the machine).
 * Element-wise loaders (odd layouts) only use the small tile. */
template <int AM, int BMODE>
cudaError_t pcg_tc_dispatch(const PcgGemm<__half> &p, int z, cudaStream_t stream)
{
  if constexpr (AM == PCG_A_MAT || AM == PCG_A_CONV || BMODE == PCG_B_MAT) {
    return pcg_tc_launch<64, 64, 2, 2, AM, BMODE>(p, z, stream);
  } else {
    const long long sms = pcg_num_sms();
    auto tiles = [&](int bm, int bn) {
      return (long long)((p.M + bm - 1) / bm) * ((p.N + bn - 1) / bn) * z;
    };
    if (p.N > 64) {
      if (tiles(128, 128) >= 2 * sms) return pcg_tc_launch<128, 128, 2, 4, AM, BMODE>(p, z, stream);
      if (tiles(64, 128) >= sms) return pcg_tc_launch<64, 128, 2, 4, AM, BMODE>(p, z, stream);
    } else if (tiles(128, 64) >= 2 * sms) {
      return pcg_tc_launch<128, 64, 4, 2, AM, BMODE>(p, z, stream);
    }
    return pcg_tc_launch<64, 64, 2, 2, AM, BMODE>(p, z, stream);
  }
}

/* ----------------------------------------------------- SIMT GEMM (float) --
 * Block tile BM x BN, 256 threads each computing TM x TN outputs (rows
 * ty*TM.., columns tx*TN..) from 8-deep K slices held in shared memory as
 * [BK][BM] and [BK][BN]. The next slice is fetched into registers while the
 * current one is multiplied. Global reads follow the operand's contiguous
 * dimension (chosen at run time) so that warps read consecutive addresses. */

#define PCG_SIMT_BK 8

template <int BM, int BN, int TM, int TN, int AM>
__global__ void __launch_bounds__(256) pcg_simt_kernel(const PcgGemm<float> p)
{
  constexpr int BK = PCG_SIMT_BK, NT = 256, TX = BN / TN;
  constexpr int AL = BM * BK / NT, BL = BN * BK / NT; /* loads per thread */
  static_assert((BM / TM) * (BN / TN) == NT, "256 threads per block");
  __shared__ __align__(16) float sa[2][BK][BM + 4];
  __shared__ __align__(16) float sb[2][BK][BN + 4];

  const int tid = threadIdx.x, tx = tid % TX, ty = tid / TX;
  const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN, z = blockIdx.z;
  /* A contiguous along K (read row runs of BK) or along M (column runs). */
  const bool a_kfast = AM == PCG_A_CONV || p.a_cs == 1;
  const bool b_nfast = p.b_cs == 1;

  float ra[AL], rb[BL];
  auto fetch = [&](int k0) {
#pragma unroll
    for (int l = 0; l < AL; l++) {
      const int e = tid + l * NT;
      const int row = a_kfast ? e / BK : e % BM, kk = a_kfast ? e % BK : e / BM;
      const int gi = m0 + row, gk = k0 + kk;
      ra[l] = gi < p.M && gk < p.K ? pcg_a_elem<AM>(p, z, gi, gk) : 0.0f;
    }
#pragma unroll
    for (int l = 0; l < BL; l++) {
      const int e = tid + l * NT;
      const int col = b_nfast ? e % BN : e / BK, kk = b_nfast ? e / BN : e % BK;
      const int gj = n0 + col, gk = k0 + kk;
      rb[l] = gj < p.N && gk < p.K ? p.b[z * p.b_zs + gk * p.b_rs + gj * p.b_cs] : 0.0f;
    }
  };
  auto stash = [&](int buf) {
#pragma unroll
    for (int l = 0; l < AL; l++) {
      const int e = tid + l * NT;
      sa[buf][a_kfast ? e % BK : e / BM][a_kfast ? e / BK : e % BM] = ra[l];
    }
#pragma unroll
    for (int l = 0; l < BL; l++) {
      const int e = tid + l * NT;
      sb[buf][b_nfast ? e / BN : e % BK][b_nfast ? e % BN : e / BK] = rb[l];
    }
  };

  float acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; i++)
#pragma unroll
    for (int j = 0; j < TN; j++) acc[i][j] = 0.0f;

  const int KT = (p.K + BK - 1) / BK;
  fetch(0);
  stash(0);
  __syncthreads();
  for (int kt = 0; kt < KT; kt++) {
    const int buf = kt & 1;
    if (kt + 1 < KT) fetch((kt + 1) * BK);
#pragma unroll
    for (int kk = 0; kk < BK; kk++) {
      float av[TM], bv[TN];
#pragma unroll
      for (int i = 0; i < TM; i += 4) {
        const float4 t = *reinterpret_cast<const float4 *>(&sa[buf][kk][ty * TM + i]);
        av[i] = t.x; av[i + 1] = t.y; av[i + 2] = t.z; av[i + 3] = t.w;
      }
#pragma unroll
      for (int j = 0; j < TN; j += 4) {
        const float4 t = *reinterpret_cast<const float4 *>(&sb[buf][kk][tx * TN + j]);
        bv[j] = t.x; bv[j + 1] = t.y; bv[j + 2] = t.z; bv[j + 3] = t.w;
      }
#pragma unroll
      for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < TN; j++) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
    }
    if (kt + 1 < KT) {
      stash(buf ^ 1); /* the other buffer was last read before the previous barrier */
      __syncthreads();
    }
  }

#pragma unroll
  for (int i = 0; i < TM; i++) {
    const int gi = m0 + ty * TM + i;
    if (gi >= p.M) continue;
#pragma unroll
    for (int j = 0; j < TN; j++) {
      const int gj = n0 + tx * TN + j;
      if (gj >= p.N) continue;
      const long long yo = z * p.y_zs + gi * p.y_rs + gj;
      p.y[yo] = pcg_epilogue(p, z, gi, gj, acc[i][j], yo);
    }
  }
}

template <int AM>
cudaError_t pcg_simt_dispatch(const PcgGemm<float> &p, int z, cudaStream_t stream)
{
  const long long big = (long long)((p.M + 127) / 128) * ((p.N + 127) / 128) * z;
  if (big >= pcg_num_sms()) {
    const dim3 grid((p.M + 127) / 128, (p.N + 127) / 128, z);
    pcg_simt_kernel<128, 128, 8, 8, AM><<<grid, 256, 0, stream>>>(p);
  } else {
    const dim3 grid((p.M + 63) / 64, (p.N + 63) / 64, z);
    pcg_simt_kernel<64, 64, 4, 4, AM><<<grid, 256, 0, stream>>>(p);
  }
  return cudaGetLastError();
}

} // namespace

#endif /* PARE_CU_CONV_GEMM_IMPL_CUH */
