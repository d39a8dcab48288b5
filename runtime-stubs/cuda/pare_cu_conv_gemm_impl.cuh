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
 *  - pcg_tc_kernel: half inputs on tensor cores (mma.sync m16n8k16, float
 *    accumulate, fragments through ldmatrix), a 4-stage cp.async pipeline of
 *    32-deep K slices through shared memory, block tiles 64..128 x 64..256,
 *    warp tiles of 32x32, 64x32 or 64x64; operand loaders chosen at compile
 *    time (16-byte cp.async chunks when layout and alignment allow,
 *    element-wise loads with any strides otherwise; K/M/N edges are
 *    zero-filled). Grids that would leave most SMs idle split K across
 *    blocks (fp32 partials in a static workspace, then
 *    pcg_splitk_reduce_kernel applies the epilogue).
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
#include "pare_cu_common.cuh"

#include <cstdint>

namespace {

/* ------------------------------------------------------------ scalars -- */

__device__ __forceinline__ void pcg_st(float *p, float v) { *p = v; }
__device__ __forceinline__ void pcg_st(__half *p, float v) { *p = __float2half_rn(v); }

/* Activations: act_f of pare_cu_common.cuh (the C target's formulas). */

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
  /* Tensor-core split K (set by pcg_tc_dispatch): `splits` blocks per output
   * tile, each over `kchunk` (a multiple of PCG_TC_BK) values of K. */
  int splits, kchunk;
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
  if (p.c) v += p.beta * to_f(p.c[z * p.c_zs + i * p.c_rs + j * p.c_cs]);
  if (p.res) v += to_f(p.res[yo]);
  return act_f(v, p.act, p.act_a, p.act_b);
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
 * tile of m16n8 fp32 accumulators computed by mma.sync m16n8k16 (f16 inputs,
 * f32 accumulate); operand fragments come from shared memory through
 * ldmatrix.x4 (.trans for the M- or N-contiguous layouts). K advances
 * PCG_TC_BK at a time through a PCG_TC_STAGES-deep ring of shared-memory
 * slices filled by cp.async (the element-wise loaders store synchronously into
 * the same ring). Shared layouts (rows padded by 8 halves: the 8 row addresses
 * of every ldmatrix 8x8 matrix then fall in 8 distinct 16-byte bank groups, so
 * the fragment loads and the cp.async stores are free of bank conflicts):
 *   A: [BM][BK] (K contiguous) or [BK][BM] for PCG_A_MAT_KM;
 *   B: [BN][BK] (K contiguous) or [BK][BN] for PCG_B_MAT_KN.
 * The accumulators finally go through shared memory (as float, reusing the
 * ring) so that the epilogue reads and writes rows of 8 contiguous outputs.
 *
 * Split K (p.splits > 1): blockIdx.z = z * splits + ks, block ks covers the K
 * range [ks * kchunk, (ks + 1) * kchunk) (kchunk a multiple of PCG_TC_BK) and
 * writes its raw fp32 partial tile to pcg_splitk_ws[blockIdx.z][M][N];
 * pcg_splitk_reduce_kernel then sums the splits and applies the epilogue. */

#define PCG_TC_BK 32
#define PCG_TC_STAGES 4
#define PCG_TC_PAD 8

/* Split-K workspace: PCG_SPLITK_WS_FLOATS fp32 partial sums (16 MiB) per
 * translation unit (pare_cu_gemm.cu and pare_cu_conv.cu each own one). It is
 * written by one launch and read by the reduction kernel that follows it on
 * the same stream, so consecutive launches on one stream (and CUDA-graph
 * replays) reuse it safely; split-K launches of the same unit running
 * concurrently on different streams would race, and problems that do not fit
 * fall back to no split. */
#define PCG_SPLITK_WS_FLOATS (4 * 1024 * 1024)
__device__ float pcg_splitk_ws[PCG_SPLITK_WS_FLOATS];

template <int BM, int BN, int AM, int BMODE> struct PcgTcSmem {
  static constexpr int A_ELEMS = AM == PCG_A_MAT_KM ? PCG_TC_BK * (BM + PCG_TC_PAD)
                                                    : BM * (PCG_TC_BK + PCG_TC_PAD);
  static constexpr int B_ELEMS = BMODE == PCG_B_MAT_KN ? PCG_TC_BK * (BN + PCG_TC_PAD)
                                                       : BN * (PCG_TC_BK + PCG_TC_PAD);
  static constexpr int RING_BYTES = PCG_TC_STAGES * (A_ELEMS + B_ELEMS) * 2;
  static constexpr int C_LD = BN + 8; /* floats; 8 keeps float2 stores conflict-free */
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

/* ldmatrix / mma.sync wrappers (sm_80+). */
__device__ __forceinline__ void pcg_ldsm_x4(unsigned addr, unsigned &r0, unsigned &r1,
                                            unsigned &r2, unsigned &r3)
{
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
               : "r"(addr));
}
__device__ __forceinline__ void pcg_ldsm_x4_t(unsigned addr, unsigned &r0, unsigned &r1,
                                              unsigned &r2, unsigned &r3)
{
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
               : "r"(addr));
}
__device__ __forceinline__ void pcg_mma16816(float *c, const unsigned *a, const unsigned *b)
{
  /* Not volatile: a pure register operation, free to be scheduled between
   * the fragment loads. */
  asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, "
               "{%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

/* Final values of Y(z, gi, gj..gj+7) (gi < M, gj < N) from 8 accumulators. */
__device__ __forceinline__ void pcg_tc_out8(const PcgGemm<__half> &p, int z, int gi, int gj,
                                            const float *src)
{
  const long long yo = z * p.y_zs + gi * p.y_rs + gj;
  if (p.vec_out && gj + 8 <= p.N) {
    float v[8], rv[8];
    if (p.res) pcg_ldv<8>(p.res + yo, rv);
#pragma unroll
    for (int t = 0; t < 8; t++) {
      float x = p.alpha * src[t];
      if (p.c) x += p.beta * to_f(p.c[z * p.c_zs + gi * p.c_rs + (gj + t) * p.c_cs]);
      if (p.res) x += rv[t];
      v[t] = act_f(x, p.act, p.act_a, p.act_b);
    }
    pcg_stv<8>(p.y + yo, v);
  } else {
    for (int t = 0; t < 8 && gj + t < p.N; t++)
      pcg_st(p.y + yo + t, pcg_epilogue(p, z, gi, gj + t, src[t], yo + t));
  }
}

template <int BM, int BN, int WM, int WN, int AM, int BMODE>
__global__ void __launch_bounds__(WM *WN * 32, BM *BN >= 128 * 256 ? 1 : 2)
    pcg_tc_kernel(const PcgGemm<__half> p)
{
  using Smem = PcgTcSmem<BM, BN, AM, BMODE>;
  constexpr int NT = WM * WN * 32, BK = PCG_TC_BK, S = PCG_TC_STAGES;
  constexpr int WTM = BM / WM, WTN = BN / WN, FM = WTM / 16, FN = WTN / 8;
  constexpr int LDK = BK + PCG_TC_PAD, LDM = BM + PCG_TC_PAD, LDN = BN + PCG_TC_PAD;
  static_assert(WTM % 16 == 0 && WTN % 16 == 0, "warp tile: m16 x n16 multiples");
  extern __shared__ __align__(128) unsigned char pcg_smem[];
  __half *ring = reinterpret_cast<__half *>(pcg_smem);

  const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
  const int z = blockIdx.z / p.splits, ks = blockIdx.z % p.splits;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, wm = warp / WN, wn = warp % WN;

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

  float acc[FM][FN][4];
#pragma unroll
  for (int i = 0; i < FM; i++)
#pragma unroll
    for (int j = 0; j < FN; j++)
#pragma unroll
      for (int t = 0; t < 4; t++) acc[i][j][t] = 0.0f;

  /* K range of this block (the whole K without split). */
  const int kbeg = ks * p.kchunk;
  const int kend = min(p.K, kbeg + p.kchunk);
  const int KT = kend > kbeg ? (kend - kbeg + BK - 1) / BK : 0;
  auto stage_a = [&](int s) { return ring + s * (Smem::A_ELEMS + Smem::B_ELEMS); };
  auto stage_b = [&](int s) { return stage_a(s) + Smem::A_ELEMS; };

  /* Per-lane byte offsets of the ldmatrix row addresses inside a stage. With
   * q = lane / 8 (which 8x8 matrix) and r = lane % 8 (its row):
   *  A [m][k]: matrices (m0-7,k0-7) (m8-15,k0-7) (m0-7,k8-15) (m8-15,k8-15);
   *  A [k][m] (.trans): the same matrices, rows are k;
   *  B [n][k]: (n0-7,k0-7) (n0-7,k8-15) (n8-15,k0-7) (n8-15,k8-15), i.e. the
   *    b0 b1 halves of two adjacent n8 fragments;
   *  B [k][n] (.trans): the same, rows are k. */
  const int q = lane / 8, r = lane % 8;
  unsigned a_off, b_off;
  if constexpr (AM == PCG_A_MAT_KM)
    a_off = ((r + (q / 2) * 8) * LDM + wm * WTM + (q % 2) * 8) * 2;
  else
    a_off = ((wm * WTM + lane % 16) * LDK + (lane / 16) * 8) * 2;
  if constexpr (BMODE == PCG_B_MAT_KN)
    b_off = ((r + (q % 2) * 8) * LDN + wn * WTN + (q / 2) * 8) * 2;
  else
    b_off = ((wn * WTN + r + (q / 2) * 8) * LDK + (q % 2) * 8) * 2;
  const unsigned ring_s = static_cast<unsigned>(__cvta_generic_to_shared(ring));
  constexpr unsigned STAGE_BYTES = (Smem::A_ELEMS + Smem::B_ELEMS) * 2;

#pragma unroll
  for (int s = 0; s < S - 1; s++) {
    if (s < KT) {
      pcg_tc_load_a<BM, NT, AM>(p, stage_a(s), z, m0, kbeg + s * BK, cbase, cy, cx);
      pcg_tc_load_b<BN, NT, BMODE>(p, stage_b(s), z, n0, kbeg + s * BK);
    }
    pcg_cp_async_commit();
  }

  for (int kt = 0; kt < KT; kt++) {
    pcg_cp_async_wait<S - 2>();
    __syncthreads(); /* slice kt landed; slice kt-1 is free for reuse */
    const int pf = kt + S - 1;
    if (pf < KT) {
      pcg_tc_load_a<BM, NT, AM>(p, stage_a(pf % S), z, m0, kbeg + pf * BK, cbase, cy, cx);
      pcg_tc_load_b<BN, NT, BMODE>(p, stage_b(pf % S), z, n0, kbeg + pf * BK);
    }
    pcg_cp_async_commit();

    const unsigned sa = ring_s + (kt % S) * STAGE_BYTES, sb = sa + Smem::A_ELEMS * 2;
#pragma unroll
    for (int kk = 0; kk < BK; kk += 16) {
      unsigned af[FM][4], bf[FN][2];
#pragma unroll
      for (int i = 0; i < FM; i++) {
        if constexpr (AM == PCG_A_MAT_KM)
          pcg_ldsm_x4_t(sa + a_off + (kk * LDM + i * 16) * 2, af[i][0], af[i][1], af[i][2],
                        af[i][3]);
        else
          pcg_ldsm_x4(sa + a_off + (i * 16 * LDK + kk) * 2, af[i][0], af[i][1], af[i][2],
                      af[i][3]);
      }
#pragma unroll
      for (int j = 0; j < FN; j += 2) {
        if constexpr (BMODE == PCG_B_MAT_KN)
          pcg_ldsm_x4_t(sb + b_off + (kk * LDN + j * 8) * 2, bf[j][0], bf[j][1], bf[j + 1][0],
                        bf[j + 1][1]);
        else
          pcg_ldsm_x4(sb + b_off + (j * 8 * LDK + kk) * 2, bf[j][0], bf[j][1], bf[j + 1][0],
                      bf[j + 1][1]);
      }
#pragma unroll
      for (int i = 0; i < FM; i++)
#pragma unroll
        for (int j = 0; j < FN; j++) pcg_mma16816(acc[i][j], af[i], bf[j]);
    }
  }
  pcg_cp_async_wait<0>();
  __syncthreads(); /* the ring becomes the float output tile */

  /* Accumulator (i, j): c0 c1 at row lane/4, columns 2*(lane%4) + 0..1;
   * c2 c3 eight rows below. */
  float *cs = reinterpret_cast<float *>(pcg_smem);
#pragma unroll
  for (int i = 0; i < FM; i++)
#pragma unroll
    for (int j = 0; j < FN; j++) {
      float *d = cs + (wm * WTM + i * 16 + lane / 4) * Smem::C_LD + wn * WTN + j * 8 +
                 (lane % 4) * 2;
      *reinterpret_cast<float2 *>(d) = make_float2(acc[i][j][0], acc[i][j][1]);
      *reinterpret_cast<float2 *>(d + 8 * Smem::C_LD) = make_float2(acc[i][j][2], acc[i][j][3]);
    }
  __syncthreads();

  if (p.splits > 1) {
    /* Raw partial sums to the workspace (float4 stores when N % 4 == 0). */
    float *ws = pcg_splitk_ws + (long long)blockIdx.z * p.M * p.N;
    for (int e = threadIdx.x; e < BM * BN / 4; e += NT) {
      const int row = e / (BN / 4), c4 = (e % (BN / 4)) * 4;
      const int gi = m0 + row, gj = n0 + c4;
      if (gi >= p.M || gj >= p.N) continue;
      const float *src = cs + row * Smem::C_LD + c4;
      float *dst = ws + (long long)gi * p.N + gj;
      if (p.N % 4 == 0) {
        *reinterpret_cast<float4 *>(dst) = *reinterpret_cast<const float4 *>(src);
      } else {
        for (int t = 0; t < 4 && gj + t < p.N; t++) dst[t] = src[t];
      }
    }
    return;
  }

  /* Epilogue: each thread finishes runs of 8 outputs of a row. */
  for (int e = threadIdx.x; e < BM * BN / 8; e += NT) {
    const int row = e / (BN / 8), c8 = (e % (BN / 8)) * 8;
    const int gi = m0 + row, gj = n0 + c8;
    if (gi >= p.M || gj >= p.N) continue;
    pcg_tc_out8(p, z, gi, gj, cs + row * Smem::C_LD + c8);
  }
}

/* Sums the p.splits partial tiles of pcg_splitk_ws and applies the epilogue;
 * one thread per run of 8 outputs of a row, batch*M*ceil(N/8) in all. */
__global__ void __launch_bounds__(256) pcg_splitk_reduce_kernel(const PcgGemm<__half> p,
                                                                int batch)
{
  const int n8 = (p.N + 7) / 8;
  const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= (long long)batch * p.M * n8) return;
  const int gj = (int)(idx % n8) * 8;
  const long long t = idx / n8;
  const int gi = (int)(t % p.M), z = (int)(t / p.M);
  const long long mn = (long long)p.M * p.N;
  const float *src = pcg_splitk_ws + (long long)z * p.splits * mn + (long long)gi * p.N + gj;
  float v[8];
#pragma unroll
  for (int u = 0; u < 8; u++) v[u] = 0.0f;
  if (p.N % 4 == 0 && gj + 8 <= p.N) {
    for (int s = 0; s < p.splits; s++) {
      const float4 x = __ldcg(reinterpret_cast<const float4 *>(src + s * mn));
      const float4 y = __ldcg(reinterpret_cast<const float4 *>(src + s * mn + 4));
      v[0] += x.x; v[1] += x.y; v[2] += x.z; v[3] += x.w;
      v[4] += y.x; v[5] += y.y; v[6] += y.z; v[7] += y.w;
    }
  } else {
    for (int s = 0; s < p.splits; s++)
      for (int u = 0; u < 8 && gj + u < p.N; u++) v[u] += __ldcg(src + s * mn + u);
  }
  pcg_tc_out8(p, z, gi, gj, v);
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

/* Launches the tiled kernel over batch z with p.splits K splits (followed by
 * the reduction when p.splits > 1). */
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
  const dim3 grid((p.M + BM - 1) / BM, (p.N + BN - 1) / BN, z * p.splits);
  kernel<<<grid, WM * WN * 32, smem, stream>>>(p);
  if (p.splits > 1) {
    const long long threads = (long long)z * p.M * ((p.N + 7) / 8);
    pcg_splitk_reduce_kernel<<<(unsigned)((threads + 255) / 256), 256, 0, stream>>>(p, z);
  }
  return cudaGetLastError();
}

/* Tile configurations of the vectorised loaders: block tile, warps, resident
 * blocks per SM (shared memory / registers) and a relative per-SM efficiency
 * (bigger warp tiles reuse each fragment more). */
struct PcgTcCfg {
  int bm, bn, occ;
  float eff;
};

/* Split-K factor for a grid of `tiles` blocks of `occ` per SM: enough splits
 * to fill about one wave, each split at least 4 K slices deep, the partial
 * sums within the workspace; 1 when no split is needed or possible. */
inline int pcg_splitk(const PcgGemm<__half> &p, int z, long long tiles, int occ, long long sms)
{
  const long long slots = sms * occ;
  if (tiles * 2 > slots) return 1;
  const int kt = (p.K + PCG_TC_BK - 1) / PCG_TC_BK;
  long long s = (slots + tiles - 1) / tiles;
  s = s < kt / 4 ? s : kt / 4;
  s = s < 32 ? s : 32;
  while (s > 1 && (long long)z * s * p.M * p.N > PCG_SPLITK_WS_FLOATS) s--;
  if (s > 1 && (long long)z * s > 65535) s = 1;
  return s > 1 ? (int)s : 1;
}

/* Tile choice: the configuration with the lowest estimated time (waves of
 * resident blocks times per-block work over efficiency), then split K when
 * even that leaves most of the machine idle. Element-wise loaders (odd
 * layouts) only use the small tile. */
template <int AM, int BMODE>
cudaError_t pcg_tc_dispatch(PcgGemm<__half> p, int z, cudaStream_t stream)
{
  p.splits = 1;
  p.kchunk = p.K;
  const long long sms = pcg_num_sms();
  auto tiles = [&](int bm, int bn) {
    return (long long)((p.M + bm - 1) / bm) * ((p.N + bn - 1) / bn) * z;
  };
  int best = 4; /* 64x64 */
  if constexpr (!(AM == PCG_A_MAT || AM == PCG_A_CONV || BMODE == PCG_B_MAT)) {
    const PcgTcCfg cfgs[5] = {
        {128, 256, 1, 1.0f}, {128, 128, 2, 0.9f}, {64, 128, 2, 0.75f}, {128, 64, 2, 0.75f},
        {64, 64, 4, 0.6f}};
    double best_t = 0.0;
    for (int c = 0; c < 5; c++) {
      if (cfgs[c].bn > 64 && p.N <= 64) continue;
      const long long t = tiles(cfgs[c].bm, cfgs[c].bn);
      long long conc = (t + sms - 1) / sms;
      conc = conc < cfgs[c].occ ? conc : cfgs[c].occ;
      const long long waves = (t + sms * conc - 1) / (sms * conc);
      const double est = (double)waves * cfgs[c].bm * cfgs[c].bn * conc / cfgs[c].eff;
      if (c == 0 || est < best_t) { best_t = est; best = c; }
    }
  }
  static const int occ[5] = {1, 2, 2, 2, 4};
  static const int bms[5] = {128, 128, 64, 128, 64}, bns[5] = {256, 128, 128, 64, 64};
  const int s = pcg_splitk(p, z, tiles(bms[best], bns[best]), occ[best], sms);
  if (s > 1) {
    const int kt = (p.K + PCG_TC_BK - 1) / PCG_TC_BK;
    p.kchunk = (kt + s - 1) / s * PCG_TC_BK;
    p.splits = (p.K + p.kchunk - 1) / p.kchunk; /* no empty split */
  }
  if constexpr (AM == PCG_A_MAT || AM == PCG_A_CONV || BMODE == PCG_B_MAT) {
    return pcg_tc_launch<64, 64, 2, 2, AM, BMODE>(p, z, stream);
  } else {
    switch (best) {
    case 0: return pcg_tc_launch<128, 256, 2, 4, AM, BMODE>(p, z, stream);
    case 1: return pcg_tc_launch<128, 128, 2, 4, AM, BMODE>(p, z, stream);
    case 2: return pcg_tc_launch<64, 128, 2, 4, AM, BMODE>(p, z, stream);
    case 3: return pcg_tc_launch<128, 64, 4, 2, AM, BMODE>(p, z, stream);
    default: return pcg_tc_launch<64, 64, 2, 2, AM, BMODE>(p, z, stream);
    }
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
