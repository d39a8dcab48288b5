/*
 * pare CUDA runtime: batched matrix multiply
 *   y[b] = act(alpha * A[b] B[b] + beta * C + residual[b]).
 *
 * Paths, in order of preference:
 *  - m <= PCG_GEMV_MAX_M (decode-style GEMV, memory bound): B is streamed
 *    exactly once with 16-byte loads, all m rows of A at a time.
 *      gemv_nk_kernel: B(k,j) contiguous along k (b_rs == 1, Linear / transB
 *        weights): a block per 4 output columns, its 256 threads split K
 *        with 8 independent 16-byte loads in flight each.
 *      gemv_kn_kernel: B(k,j) contiguous along j (b_cs == 1): each thread
 *        owns 16 bytes of columns and a slice of K; the K slices of a block
 *        are summed through shared memory.
 *  - otherwise the tiled GEMM of pare_cu_conv_gemm_impl.cuh: tensor cores for
 *    half (16-byte cp.async loaders for A row- or column-major and B
 *    [N][K] or [K][N], element-wise loaders for any other strides), the SIMT
 *    kernel for float.
 */
#include "pare_cu_conv_gemm_impl.cuh"
#include "pare_cu_gemm_sm90.cuh"

namespace {

#define PCG_GEMV_MAX_M 8

/* y rows i < m of column j from the per-row sums. */
template <class T>
__device__ __forceinline__ void gemv_store(const PcgGemm<T> &p, int z, int i, int j, float acc)
{
  const long long yo = z * p.y_zs + i * p.y_rs + j;
  pcg_st(p.y + yo, pcg_epilogue(p, z, i, j, acc, yo));
}

/* 16 bytes of B, read once: no L1 allocation (A stays cached there). */
__device__ __forceinline__ uint4 gemv_ld_stream(const void *p)
{
  uint4 r;
  asm volatile("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
               : "=r"(r.x), "=r"(r.y), "=r"(r.z), "=r"(r.w)
               : "l"(p));
  return r;
}

__device__ __forceinline__ void gemv_unpack(const uint4 &u, float *o, const float *)
{
  o[0] = __uint_as_float(u.x); o[1] = __uint_as_float(u.y);
  o[2] = __uint_as_float(u.z); o[3] = __uint_as_float(u.w);
}

__device__ __forceinline__ void gemv_unpack(const uint4 &u, float *o, const __half *)
{
  const __half2 *h = reinterpret_cast<const __half2 *>(&u);
#pragma unroll
  for (int q = 0; q < 4; q++) {
    const float2 f = __half22float2(h[q]);
    o[2 * q] = f.x; o[2 * q + 1] = f.y;
  }
}

#define PCG_GEMV_NK_WARPS 8  /* warps per block, splitting K */
#define PCG_GEMV_NK_COLS 4   /* output columns per block */
#define PCG_GEMV_NK_UNROLL 2 /* K chunks per thread per step (x COLS loads) */

/* b_rs == 1 and a_cs == 1, MR == p.M rows: block (x, z) computes columns
 * x * COLS .. of batch z. Its 256 threads split K in 16-byte chunks (thread t
 * takes chunks t, t + 256, ..), each step issuing UNROLL * COLS independent
 * 16-byte loads of B before using them; every B chunk meets all MR rows of A
 * (B is read once). The MR * COLS partial sums are reduced within each warp
 * by a halving butterfly, then across the warps in shared memory. Needs K,
 * a_rs, b_cs, a_zs, b_zs multiples of V and 16-byte aligned a / b. */
template <class T, int MR>
__global__ void __launch_bounds__(32 * PCG_GEMV_NK_WARPS)
    gemv_nk_kernel(const PcgGemm<T> p)
{
  constexpr int V = 16 / sizeof(T), C = PCG_GEMV_NK_COLS, U = PCG_GEMV_NK_UNROLL;
  constexpr int NT = 32 * PCG_GEMV_NK_WARPS;
  constexpr int NO = MR * C;                       /* sums per thread */
  constexpr int NV = NO <= 4 ? 4 : NO <= 8 ? 8 : NO <= 16 ? 16 : 32;
  __shared__ float red[PCG_GEMV_NK_WARPS][NV];
  const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32, z = blockIdx.y;
  const int j0 = blockIdx.x * C;
  const int kc = p.K / V; /* 16-byte chunks along K */
  const T *bcol[C];
#pragma unroll
  for (int c = 0; c < C; c++) /* columns past N re-read column N-1, unused */
    bcol[c] = p.b + z * p.b_zs + (long long)min(j0 + c, p.N - 1) * p.b_cs;
  const T *arow = p.a + z * p.a_zs;

  float acc[NV];
#pragma unroll
  for (int o = 0; o < NV; o++) acc[o] = 0.0f;

  for (int q0 = tid; q0 < kc; q0 += U * NT) {
    uint4 braw[U][C];
#pragma unroll
    for (int u = 0; u < U; u++) {
      const int q = q0 + u * NT;
#pragma unroll
      for (int c = 0; c < C; c++)
        braw[u][c] = q < kc ? gemv_ld_stream(bcol[c] + (long long)q * V) : make_uint4(0, 0, 0, 0);
    }
#pragma unroll
    for (int u = 0; u < U; u++) {
      const int q = q0 + u * NT;
      if (q < kc) {
#pragma unroll
        for (int i = 0; i < MR; i++) {
          float av[V];
          pcg_ldv<V>(arow + i * p.a_rs + (long long)q * V, av);
#pragma unroll
          for (int c = 0; c < C; c++) {
            float bv[V];
            gemv_unpack(braw[u][c], bv, (const T *)nullptr);
#pragma unroll
            for (int v = 0; v < V; v++) acc[i * C + c] = fmaf(av[v], bv[v], acc[i * C + c]);
          }
        }
      }
    }
  }

  /* Halving butterfly: after the step with offset o, lanes with bit o set
   * hold the upper half of the remaining sums; at the end lane l holds the
   * warp total of sum l >> (5 - log2 NV). */
  int n = NV;
#pragma unroll
  for (int o = 16; o > 0; o /= 2) {
    if (n > 1) {
      const bool up = (lane & o) != 0;
#pragma unroll
      for (int t = 0; t < NV / 2; t++) {
        if (t < n / 2) {
          const float keep = up ? acc[t + n / 2] : acc[t];
          const float send = up ? acc[t] : acc[t + n / 2];
          acc[t] = keep + __shfl_xor_sync(0xffffffffu, send, o);
        }
      }
      n /= 2;
    } else {
      acc[0] += __shfl_xor_sync(0xffffffffu, acc[0], o);
    }
  }
  constexpr int SH = NV == 4 ? 3 : NV == 8 ? 2 : NV == 16 ? 1 : 0;
  if ((lane & ((1 << SH) - 1)) == 0) red[warp][lane >> SH] = acc[0];
  __syncthreads();
  if (tid < NO) {
    float s = 0.0f;
#pragma unroll
    for (int w = 0; w < PCG_GEMV_NK_WARPS; w++) s += red[w][tid];
    const int i = tid / C, j = j0 + tid % C;
    if (j < p.N) gemv_store(p, z, i, j, s);
  }
}

/* b_cs == 1: thread (tx, ty) of a (cx, 256/cx) block owns the V columns
 * n0 + tx*V.. and the K slice ty, ty + blockDim.y, ..; the slices are summed
 * in shared memory row by row. Needs N, b_rs, b_zs multiples of V and a
 * 16-byte aligned b; A is read element-wise with any strides. */
template <class T>
__global__ void __launch_bounds__(256) gemv_kn_kernel(const PcgGemm<T> p)
{
  constexpr int V = 16 / sizeof(T);
  __shared__ float red[256 * V];
  const int tx = threadIdx.x, ty = threadIdx.y, z = blockIdx.y;
  const int j0 = (blockIdx.x * blockDim.x + tx) * V;
  const bool live = j0 < p.N;
  float acc[PCG_GEMV_MAX_M][V];
#pragma unroll
  for (int i = 0; i < PCG_GEMV_MAX_M; i++)
#pragma unroll
    for (int v = 0; v < V; v++) acc[i][v] = 0.0f;

  if (live) {
    const T *bz = p.b + z * p.b_zs + j0;
    const T *az = p.a + z * p.a_zs;
#pragma unroll 4
    for (int k = ty; k < p.K; k += blockDim.y) {
      float bv[V];
      pcg_ldv<V>(bz + k * p.b_rs, bv);
#pragma unroll
      for (int i = 0; i < PCG_GEMV_MAX_M; i++) {
        if (i < p.M) {
          const float av = to_f(az[i * p.a_rs + k * p.a_cs]);
#pragma unroll
          for (int v = 0; v < V; v++) acc[i][v] = fmaf(av, bv[v], acc[i][v]);
        }
      }
    }
  }
  /* Per row: every thread parks its V sums, the ty == 0 row adds them up. */
  for (int i = 0; i < p.M; i++) {
#pragma unroll
    for (int v = 0; v < V; v++) red[(ty * blockDim.x + tx) * V + v] = acc[i][v];
    __syncthreads();
    if (ty == 0 && live) {
      for (int v = 0; v < V && j0 + v < p.N; v++) {
        float s = 0.0f;
        for (int t = 0; t < (int)blockDim.y; t++) s += red[(t * blockDim.x + tx) * V + v];
        gemv_store(p, z, i, j0 + v, s);
      }
    }
    __syncthreads();
  }
}

/* Selects the GEMV kernel when m is small and B allows 16-byte streaming;
 * returns false when neither applies. */
template <class T>
bool gemv_launch(const PcgGemm<T> &p, int batch, cudaStream_t stream)
{
  constexpr int V = 16 / sizeof(T);
  if (p.M > PCG_GEMV_MAX_M || !pcg_aligned(p.b, 16) || batch > 65535) return false;
  if (p.b_rs == 1 && p.a_cs == 1 && p.K % V == 0 && p.a_rs % V == 0 && p.b_cs % V == 0 &&
      p.a_zs % V == 0 && p.b_zs % V == 0 && pcg_aligned(p.a, 16)) {
    const dim3 grid((p.N + PCG_GEMV_NK_COLS - 1) / PCG_GEMV_NK_COLS, batch);
    const int nt = 32 * PCG_GEMV_NK_WARPS;
    switch (p.M) {
      case 1: gemv_nk_kernel<T, 1><<<grid, nt, 0, stream>>>(p); break;
      case 2: gemv_nk_kernel<T, 2><<<grid, nt, 0, stream>>>(p); break;
      case 3: gemv_nk_kernel<T, 3><<<grid, nt, 0, stream>>>(p); break;
      case 4: gemv_nk_kernel<T, 4><<<grid, nt, 0, stream>>>(p); break;
      case 5: gemv_nk_kernel<T, 5><<<grid, nt, 0, stream>>>(p); break;
      case 6: gemv_nk_kernel<T, 6><<<grid, nt, 0, stream>>>(p); break;
      case 7: gemv_nk_kernel<T, 7><<<grid, nt, 0, stream>>>(p); break;
      default: gemv_nk_kernel<T, 8><<<grid, nt, 0, stream>>>(p); break;
    }
    return true;
  }
  if (p.b_cs == 1 && p.N % V == 0 && p.b_rs % V == 0 && p.b_zs % V == 0) {
    /* Fewest columns per block that still gives ~2 blocks per SM. */
    const long long chunks = p.N / V, want = 2LL * pcg_num_sms();
    int cx = 32;
    while (cx > 2 && (chunks + cx - 1) / cx * batch < want) cx /= 2;
    const dim3 grid((unsigned)((chunks + cx - 1) / cx), batch), block(cx, 256 / cx);
    gemv_kn_kernel<T><<<grid, block, 0, stream>>>(p);
    return true;
  }
  return false;
}

#if defined(PARE_CU_SM90A)
/* Hopper kernel (pare_cu_gemm_sm90.cuh). */
/* Matmul: A row-major, B [N][K] (Linear weights), one batch or a batch that
 * folds into M (shared B, contiguous A, C without row dependence). Returns
 * false (nothing launched) when the problem does not fit this kernel. */
inline bool pcw_matmul(PcgGemm<__half> p, int batch, cudaStream_t stream, cudaError_t *err)
{
  if (batch > 1) {
    if (p.b_zs != 0 || p.a_zs != (long long)p.M * p.a_rs || (p.c && p.c_rs != 0)) return false;
    p.M *= batch;
    p.a_zs = p.y_zs = 0;
  }
  if (p.a_cs != 1 || p.b_rs != 1 || p.K % 8 != 0 || !pcw_worth_it(p.M, p.N, p.K) ||
      !pcw_device_ok())
    return false;
  CUtensorMap ta, tb;
  const int bn = pcw_pick_bn(p.M, p.N, p.K);
  if (bn == 0 || !pcw_map(&ta, p.a, p.K, p.M, p.a_rs, PCW_BM) || !pcw_map(&tb, p.b, p.K, p.N, p.b_cs, bn))
    return false;
  return pcw_run<PCW_A_TMA>(p, bn, ta, tb, stream, err);
}
#endif

template <class T>
PcgGemm<T> matmul_problem(const T *a, const T *b, const T *c, const T *residual, T *y, int m,
                          int n, int k, int a_rs, int a_cs, int b_rs, int b_cs, int c_rs,
                          int c_cs, long long a_bs, long long b_bs, float alpha, float beta,
                          pare_act_t act, float act_a, float act_b)
{
  PcgGemm<T> p = {};
  p.M = m; p.N = n; p.K = k;
  p.a = a; p.a_rs = a_rs; p.a_cs = a_cs; p.a_zs = a_bs;
  p.b = b; p.b_rs = b_rs; p.b_cs = b_cs; p.b_zs = b_bs;
  p.y = y; p.res = residual; p.y_rs = n; p.y_zs = (long long)m * n;
  p.c = c; p.c_rs = c_rs; p.c_cs = c_cs; p.c_zs = 0;
  p.alpha = alpha; p.beta = beta;
  p.act = act; p.act_a = act_a; p.act_b = act_b;
  p.vec_out = n % 8 == 0 && pcg_aligned(y, 16) && pcg_aligned(residual, 16);
  return p;
}

} // namespace

cudaError_t pare_cu_matmul_f32(const float *a, const float *b, const float *c,
                               const float *residual, float *y, int m, int n, int k, int a_rs,
                               int a_cs, int b_rs, int b_cs, int c_rs, int c_cs, int batch,
                               long long a_bs, long long b_bs, float alpha, float beta,
                               pare_act_t act, float act_a, float act_b, cudaStream_t stream)
{
  const PcgGemm<float> p = matmul_problem(a, b, c, residual, y, m, n, k, a_rs, a_cs, b_rs,
                                          b_cs, c_rs, c_cs, a_bs, b_bs, alpha, beta, act,
                                          act_a, act_b);
  if (m == 0 || n == 0 || batch == 0) return cudaGetLastError();
  if (gemv_launch(p, batch, stream)) return cudaGetLastError();
  return pcg_simt_dispatch<PCG_A_MAT>(p, batch, stream);
}

cudaError_t pare_cu_matmul_f16(const pare_half *a, const pare_half *b, const pare_half *c,
                               const pare_half *residual, pare_half *y, int m, int n, int k,
                               int a_rs, int a_cs, int b_rs, int b_cs, int c_rs, int c_cs,
                               int batch, long long a_bs, long long b_bs, float alpha,
                               float beta, pare_act_t act, float act_a, float act_b,
                               cudaStream_t stream)
{
  const PcgGemm<__half> p = matmul_problem(a, b, c, residual, y, m, n, k, a_rs, a_cs, b_rs,
                                           b_cs, c_rs, c_cs, a_bs, b_bs, alpha, beta, act,
                                           act_a, act_b);
  if (m == 0 || n == 0 || batch == 0) return cudaGetLastError();
  if (gemv_launch(p, batch, stream)) return cudaGetLastError();
#if defined(PARE_CU_SM90A)
  cudaError_t sm90_err;
  if (pcw_matmul(p, batch, stream, &sm90_err)) return sm90_err;
#endif

  /* 16-byte cp.async chunks need the contiguous extent, the other stride and
   * the batch stride to be multiples of 8 halves. */
  const bool a16 = pcg_aligned(a, 16) && a_bs % 8 == 0, b16 = pcg_aligned(b, 16) && b_bs % 8 == 0;
  const int am = a16 && a_cs == 1 && k % 8 == 0 && a_rs % 8 == 0   ? PCG_A_MAT_MK
                 : a16 && a_rs == 1 && m % 8 == 0 && a_cs % 8 == 0 ? PCG_A_MAT_KM
                                                                   : PCG_A_MAT;
  const int bm = b16 && b_rs == 1 && k % 8 == 0 && b_cs % 8 == 0   ? PCG_B_MAT_NK
                 : b16 && b_cs == 1 && n % 8 == 0 && b_rs % 8 == 0 ? PCG_B_MAT_KN
                                                                   : PCG_B_MAT;
#define PCG_CASE(A, B) \
  if (am == A && bm == B) return pcg_tc_dispatch<A, B>(p, batch, stream);
  PCG_CASE(PCG_A_MAT_MK, PCG_B_MAT_NK)
  PCG_CASE(PCG_A_MAT_MK, PCG_B_MAT_KN)
  PCG_CASE(PCG_A_MAT_KM, PCG_B_MAT_NK)
  PCG_CASE(PCG_A_MAT_KM, PCG_B_MAT_KN)
  PCG_CASE(PCG_A_MAT_MK, PCG_B_MAT)
  PCG_CASE(PCG_A_MAT_KM, PCG_B_MAT)
  PCG_CASE(PCG_A_MAT, PCG_B_MAT_NK)
  PCG_CASE(PCG_A_MAT, PCG_B_MAT_KN)
#undef PCG_CASE
  return pcg_tc_dispatch<PCG_A_MAT, PCG_B_MAT>(p, batch, stream);
}
