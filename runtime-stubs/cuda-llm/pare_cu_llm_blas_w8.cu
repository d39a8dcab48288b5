/*
 * pare CUDA decoder, optional library GEMMs for prefill (--cuda-gemm cublas):
 * the int8 W8A8 linear, pare_llm_blas_linear_w8a8_f32 / _f16 (issue 19).
 * Same arguments and results as pare_llm_linear_w8a8_* (pare_cu_llm.cuh),
 * bit for bit:
 *  - rows <= PARE_LLM_W8_GEMV_ROWS (decode, the captured graph): pare's own
 *    call, unchanged;
 *  - more rows (prefill), three launches on `stream`:
 *    1. pare's quantize pass (pare_llm_w8_quantize_*, the very kernel of
 *       pare_cu_llm_w8.cu: norm prologue, per-token or per-tensor scale) into
 *       `workspace`: the codes [rows][PARE_LLM_W8_ROW_BYTES(k)] from its
 *       first 256-byte boundary (the contract's 256 spare bytes cover the
 *       shift), then the row scales;
 *    2. cuBLASLt: acc [rows][n] (int32, the context's) = codes . w^T, int8 x
 *       int8 -> int32 (CUBLAS_COMPUTE_32I, int32 scale, alpha 1, beta 0). In
 *       column-major terms acc^T (n x rows, ld n) = W (op T of the kp x n
 *       matrix w, ld kp) . Q (kp x rows, ld kp): the "TN" layout of the int8
 *       tensor-core kernels. K is the padded row kp: the padding is zero in
 *       the weights (their layout) and in the codes (the quantize pass writes
 *       it), so it adds nothing; int32 sums are exact (|sum| <= kp * 127^2 <
 *       2^31 for kp < 133,000), whatever the order cuBLASLt adds them in;
 *    3. the epilogue of pare's GEMM, y[r][j] = act((float)acc * s_r *
 *       w_scale[j]) (+ residual[r][j]), rounded one operation at a time in
 *       the same order (Epilogue::scaled / finish of pare_cu_llm_w8.cu).
 *    With -DPARE_LLM_BLAS_W8_CHUNK_BYTES=N (0, one product, by default), a
 *    product whose sums exceed N bytes runs as equal row chunks, 2 and 3
 *    per chunk, so that the epilogue reads sums still in L2.
 *    The product's plan (descriptors, layouts, the heuristic's algorithm) is
 *    made by the first call of a shape and alignment and kept in a small
 *    table in host memory (make it eagerly, before a capture of the shape); a
 *    shape cuBLASLt offers no algorithm for (its int8 kernels may want N a
 *    multiple of 4) runs pare's own call instead, with
 *    the same results, and so does a step beyond the context's sizes
 *    (max_rows, max_k, max_n, acc_elems) or a NULL context, as the other
 *    entry points of pare_cu_llm_blas.cu do. Nothing is allocated per call.
 * Calls on one context share its int32 sums and library workspace: issue
 * them on one stream (the context's), as the decoder does.
 */
#include "pare_cu_llm_blas_impl.cuh"
#include "pare_cu_llm_device.cuh"
#include "pare_cu_llm_w8_impl.cuh"

#include <mutex>

namespace {

using namespace pare_llm_device; /* to_f, from_f, aligned16 */

/* ------------------------------------------------------------ epilogue -- */

constexpr int kEpiThreads = 256;
constexpr int kMaxGridY = 65535;

/* y[r][j] from acc[r][j]: the epilogue of pare's GEMM (w8_scaled then
 * w8_finish, pare_cu_llm_w8_impl.cuh), the residual read before y is written
 * (it may be y), rounded to T. */
template <typename T>
__device__ __forceinline__ T finish(int32_t acc, float s, float ws, const T *residual, size_t at,
                                    pare_act_t act, float act_a, float act_b)
{
  return from_f<T>(w8_finish(w8_scaled(acc, s, ws), act, act_a, act_b, residual != nullptr,
                             residual ? to_f(residual[at]) : 0.0f));
}

/* Four outputs of T as one load / store (8 or 16 bytes). */
template <typename T> struct alignas(4 * sizeof(T)) Quad {
  T v[4];
};

/* Rows blockIdx.y, + gridDim.y, ...; each thread four consecutive outputs
 * (VEC: n a multiple of 4, acc rows 16-byte aligned, y and the residual
 * 4 * sizeof(T)-byte aligned) or one. */
template <typename T, bool VEC>
__global__ void __launch_bounds__(kEpiThreads)
    w8_blas_epilogue_kernel(const int32_t *acc, const float *sx, const float *w_scale,
                            const T *residual, T *y, int rows, int n, pare_act_t act, float act_a,
                            float act_b)
{
  const int per = VEC ? 4 : 1;
  const int j = (blockIdx.x * kEpiThreads + threadIdx.x) * per;
  if (j >= n)
    return;
  for (int r = blockIdx.y; r < rows; r += gridDim.y) {
    const size_t at = (size_t)r * n + j;
    const float s = sx[r];
    if constexpr (VEC) {
      const int4 a = *reinterpret_cast<const int4 *>(acc + at);
      const float4 ws = *reinterpret_cast<const float4 *>(w_scale + j);
      Quad<T> res, out;
      if (residual)
        res = *reinterpret_cast<const Quad<T> *>(residual + at);
      const int32_t av[4] = {a.x, a.y, a.z, a.w};
      const float wv[4] = {ws.x, ws.y, ws.z, ws.w};
#pragma unroll
      for (int e = 0; e < 4; ++e)
        out.v[e] = from_f<T>(w8_finish(w8_scaled(av[e], s, wv[e]), act, act_a, act_b,
                                       residual != nullptr, residual ? to_f(res.v[e]) : 0.0f));
      *reinterpret_cast<Quad<T> *>(y + at) = out;
    } else {
      y[at] = finish<T>(acc[at], s, w_scale[j], residual, at, act, act_a, act_b);
    }
  }
}

template <typename T>
cudaError_t launch_epilogue(const int32_t *acc, const float *sx, const float *w_scale,
                            const T *residual, T *y, int rows, int n, pare_act_t act, float act_a,
                            float act_b, cudaStream_t stream)
{
  const size_t quad = 4 * sizeof(T);
  const bool vec = n % 4 == 0 && aligned16(acc) && aligned16(w_scale) &&
                   ((uintptr_t)y % quad) == 0 && (!residual || ((uintptr_t)residual % quad) == 0);
  const int per = vec ? 4 : 1;
  const int cols = (n + per - 1) / per;
  const dim3 grid((unsigned)((cols + kEpiThreads - 1) / kEpiThreads),
                  (unsigned)(rows < kMaxGridY ? rows : kMaxGridY));
  if (vec)
    w8_blas_epilogue_kernel<T, true><<<grid, kEpiThreads, 0, stream>>>(
        acc, sx, w_scale, residual, y, rows, n, act, act_a, act_b);
  else
    w8_blas_epilogue_kernel<T, false><<<grid, kEpiThreads, 0, stream>>>(
        acc, sx, w_scale, residual, y, rows, n, act, act_a, act_b);
  return cudaGetLastError();
}

/* --------------------------------------------------------------- plans -- */

/* The largest power of two (<= 256) that divides p's address: the alignment
 * the heuristic may assume of a matrix. */
uint32_t alignment(const void *p)
{
  uint32_t a = 256;
  while (a > 1 && ((uintptr_t)p & (a - 1)))
    a >>= 1;
  return a;
}

/* One int8 product's cuBLASLt plan: what it was made for, and (ok) the
 * descriptors and the algorithm the heuristic chose; ok false: cuBLASLt
 * offered none (pare's GEMM runs those calls). */
struct Plan {
  bool used = false, ok = false;
  cublasLtHandle_t lt = nullptr;
  int device = -1, rows = 0, kp = 0, n = 0;
  uint32_t align_w = 0, align_q = 0, align_acc = 0;
  size_t workspace = 0;
  cublasLtMatmulDescOpaque_t desc;
  cublasLtMatrixLayoutOpaque_t a, b, c;
  cublasLtMatmulAlgo_t algo;
};

/* A prefill runs a handful of shapes (a few linears, by the chunk's rows and
 * the last chunk's); past kPlans the oldest plan is made again. */
constexpr int kPlans = 64;
Plan g_plans[kPlans];
int g_next_plan = 0;
std::mutex g_plans_mutex; /* guards g_plans from the lookup to the matmul's launch */

/* Makes plan p (its key already set): descriptors in p's own storage, the
 * heuristic's first algorithm (p.ok false: none). Returns false when a
 * descriptor cannot be made (a cuBLASLt error). */
bool make_plan(Plan &p)
{
  const cublasOperation_t op_t = CUBLAS_OP_T, op_n = CUBLAS_OP_N;
  cublasLtMatmulPreferenceOpaque_t pref;
  bool ok = cublasLtMatmulDescInit(&p.desc, CUBLAS_COMPUTE_32I, CUDA_R_32I) ==
                CUBLAS_STATUS_SUCCESS &&
            cublasLtMatmulDescSetAttribute(&p.desc, CUBLASLT_MATMUL_DESC_TRANSA, &op_t,
                                           sizeof op_t) == CUBLAS_STATUS_SUCCESS &&
            cublasLtMatmulDescSetAttribute(&p.desc, CUBLASLT_MATMUL_DESC_TRANSB, &op_n,
                                           sizeof op_n) == CUBLAS_STATUS_SUCCESS &&
            cublasLtMatrixLayoutInit(&p.a, CUDA_R_8I, (uint64_t)p.kp, (uint64_t)p.n,
                                     (int64_t)p.kp) == CUBLAS_STATUS_SUCCESS &&
            cublasLtMatrixLayoutInit(&p.b, CUDA_R_8I, (uint64_t)p.kp, (uint64_t)p.rows,
                                     (int64_t)p.kp) == CUBLAS_STATUS_SUCCESS &&
            cublasLtMatrixLayoutInit(&p.c, CUDA_R_32I, (uint64_t)p.n, (uint64_t)p.rows,
                                     (int64_t)p.n) == CUBLAS_STATUS_SUCCESS &&
            cublasLtMatmulPreferenceInit(&pref) == CUBLAS_STATUS_SUCCESS;
  auto set_pref = [&](cublasLtMatmulPreferenceAttributes_t attr, const void *v, size_t bytes) {
    ok = ok && cublasLtMatmulPreferenceSetAttribute(&pref, attr, v, bytes) == CUBLAS_STATUS_SUCCESS;
  };
  set_pref(CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &p.workspace, sizeof p.workspace);
  set_pref(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &p.align_w, sizeof p.align_w);
  set_pref(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &p.align_q, sizeof p.align_q);
  set_pref(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &p.align_acc, sizeof p.align_acc);
  set_pref(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &p.align_acc, sizeof p.align_acc);
  if (!ok)
    return false;
  cublasLtMatmulHeuristicResult_t heur;
  int found = 0;
  const cublasStatus_t st =
      cublasLtMatmulAlgoGetHeuristic(p.lt, &p.desc, &p.a, &p.b, &p.c, &p.c, &pref, 1, &heur, &found);
  /* No algorithm (NOT_SUPPORTED, found 0, or a shape the heuristic refuses,
   * say N = 1) is an answer, not an error: pare's own kernels take it. */
  p.ok = st == CUBLAS_STATUS_SUCCESS && found > 0 && heur.state == CUBLAS_STATUS_SUCCESS;
  if (p.ok)
    p.algo = heur.algo;
  return true;
}

/* The plan of this product (the caller holds g_plans_mutex); NULL on a
 * cuBLASLt error. A new plan never replaces `keep` (the call's other plan). */
Plan *find_plan(const pare_llm_blas *blas, int device, int rows, int kp, int n,
                const int8_t *w, const int8_t *q, const Plan *keep)
{
  const uint32_t aw = alignment(w), aq = alignment(q), ac = alignment(blas->acc);
  const size_t workspace = blas->lt_workspace ? blas->lt_workspace_bytes : 0;
  for (Plan &p : g_plans)
    if (p.used && p.lt == blas->lt && p.device == device && p.rows == rows && p.kp == kp &&
        p.n == n && p.align_w == aw && p.align_q == aq && p.align_acc == ac &&
        p.workspace == workspace)
      return &p;
  if (&g_plans[g_next_plan] == keep)
    g_next_plan = (g_next_plan + 1) % kPlans;
  Plan &p = g_plans[g_next_plan];
  g_next_plan = (g_next_plan + 1) % kPlans;
  p = Plan();
  p.lt = blas->lt;
  p.device = device;
  p.rows = rows;
  p.kp = kp;
  p.n = n;
  p.align_w = aw;
  p.align_q = aq;
  p.align_acc = ac;
  p.workspace = workspace;
  if (!make_plan(p))
    return nullptr; /* p.used stays false */
  p.used = true;
  return &p;
}

/* --------------------------------------------------------------- entry -- */

/* Row chunks: PARE_LLM_BLAS_W8_CHUNK_BYTES > 0 splits a product whose int32
 * sums exceed it into equal chunks of rows (a multiple of 8), each multiplied
 * and finished before the next, so that the sums the epilogue reads are
 * still in L2 (and the next chunk overwrites them there). 0 (the default):
 * one product. A build-time knob to measure (run_blas_w8_check.sh times
 * both); results are the same either way. */
#ifndef PARE_LLM_BLAS_W8_CHUNK_BYTES
#define PARE_LLM_BLAS_W8_CHUNK_BYTES 0
#endif

int chunk_rows(int rows, int n)
{
  const size_t limit = (size_t)(PARE_LLM_BLAS_W8_CHUNK_BYTES);
  const size_t bytes = (size_t)rows * (size_t)n * sizeof(int32_t);
  if (limit == 0 || bytes <= limit)
    return rows;
  const size_t chunks = (bytes + limit - 1) / (limit ? limit : 1); /* limit > 0 here */
  const int mc = (int)(((size_t)rows + chunks - 1) / chunks + 7) / 8 * 8;
  return mc < rows ? mc : rows;
}

cudaError_t quantize(const float *x, const float *norm_w, float eps, int rows, int k, float s,
                     int8_t *q, float *sx, cudaStream_t stream)
{
  return pare_llm_w8_quantize_f32(x, norm_w, eps, rows, k, s, q, sx, stream);
}
cudaError_t quantize(const __half *x, const __half *norm_w, float eps, int rows, int k, float s,
                     int8_t *q, float *sx, cudaStream_t stream)
{
  return pare_llm_w8_quantize_f16(x, norm_w, eps, rows, k, s, q, sx, stream);
}

cudaError_t pare_linear(const float *x, const float *norm_w, float eps, const int8_t *w,
                        const float *w_scale, const float *residual, float *y, int rows, int k,
                        int n, float act_scale, pare_act_t act, float act_a, float act_b,
                        void *workspace, cudaStream_t stream)
{
  return pare_llm_linear_w8a8_f32(x, norm_w, eps, w, w_scale, residual, y, rows, k, n, act_scale,
                                  act, act_a, act_b, workspace, stream);
}
cudaError_t pare_linear(const __half *x, const __half *norm_w, float eps, const int8_t *w,
                        const float *w_scale, const __half *residual, __half *y, int rows, int k,
                        int n, float act_scale, pare_act_t act, float act_a, float act_b,
                        void *workspace, cudaStream_t stream)
{
  return pare_llm_linear_w8a8_f16(x, norm_w, eps, w, w_scale, residual, y, rows, k, n, act_scale,
                                  act, act_a, act_b, workspace, stream);
}

template <typename T>
cudaError_t blas_linear_w8a8(pare_llm_blas *blas, const T *x, const T *norm_w, float norm_eps,
                             const int8_t *w, const float *w_scale, const T *residual, T *y,
                             int rows, int k, int n, float act_scale, pare_act_t act, float act_a,
                             float act_b, void *workspace, cudaStream_t stream)
{
  /* Decode (pare's GEMV), no context or one without int8 sums, a step
   * beyond the context's sizes: pare's own call (its checks; 0 rows:
   * nothing). */
  if (rows <= PARE_LLM_W8_GEMV_ROWS || !blas || !blas->lt || !blas->acc ||
      rows > blas->max_rows || k > blas->max_k || n > blas->max_n ||
      (size_t)rows * (size_t)(n > 0 ? n : 0) > blas->acc_elems)
    return pare_linear(x, norm_w, norm_eps, w, w_scale, residual, y, rows, k, n, act_scale, act,
                       act_a, act_b, workspace, stream);
  /* pare_llm_linear_w8a8's checks. */
  if (k <= 0 || n <= 0 || !x || !w || !w_scale || !y || !workspace || !aligned16(w) ||
      (const void *)y == (const void *)x)
    return cudaErrorInvalidValue;
  const int kp = (int)PARE_LLM_W8_ROW_BYTES(k);
  int8_t *q = reinterpret_cast<int8_t *>(((uintptr_t)workspace + 255) & ~(uintptr_t)255);
  float *sx = reinterpret_cast<float *>(q + (size_t)rows * kp);

  int device = 0;
  cudaError_t e = cudaGetDevice(&device);
  if (e != cudaSuccess)
    return e;
  /* Row chunks of mc rows (the last one `last`), all of one plan but the
   * last's; their codes start 256-byte aligned (mc a multiple of 8, kp of
   * 32). */
  const int mc = chunk_rows(rows, n);
  const int chunks = (rows + mc - 1) / mc, last = rows - (chunks - 1) * mc;
  std::lock_guard<std::mutex> lock(g_plans_mutex);
  Plan *plan = find_plan(blas, device, mc, kp, n, w, q, nullptr);
  Plan *last_plan = plan && last != mc ? find_plan(blas, device, last, kp, n, w, q, plan) : plan;
  if (!plan || !last_plan)
    return cudaErrorUnknown; /* a cuBLASLt error */
  if (!plan->ok || !last_plan->ok) /* no cuBLASLt algorithm: pare's own call, same results */
    return pare_linear(x, norm_w, norm_eps, w, w_scale, residual, y, rows, k, n, act_scale, act,
                       act_a, act_b, workspace, stream);

  e = quantize(x, norm_w, norm_eps, rows, k, act_scale, q, sx, stream);
  if (e != cudaSuccess)
    return e;
  const int32_t one = 1, zero = 0;
  for (int c = 0; c < chunks; ++c) {
    const int r0 = c * mc, m = c + 1 < chunks ? mc : last;
    Plan *p = c + 1 < chunks ? plan : last_plan;
    const cublasStatus_t st =
        cublasLtMatmul(blas->lt, &p->desc, &one, w, &p->a, q + (size_t)r0 * kp, &p->b, &zero,
                       blas->acc, &p->c, blas->acc, &p->c, &p->algo, blas->lt_workspace,
                       p->workspace, stream);
    if (st != CUBLAS_STATUS_SUCCESS) {
      if (c > 0)
        return cudaErrorUnknown; /* y already holds earlier chunks (maybe over its residual) */
      /* Refused before anything was written to y: this plan goes to pare's
       * own call from now on, this call too (same results). */
      p->ok = false;
      return pare_linear(x, norm_w, norm_eps, w, w_scale, residual, y, rows, k, n, act_scale, act,
                         act_a, act_b, workspace, stream);
    }
    e = launch_epilogue<T>(blas->acc, sx + r0, w_scale, residual ? residual + (size_t)r0 * n : nullptr,
                           y + (size_t)r0 * n, m, n, act, act_a, act_b, stream);
    if (e != cudaSuccess)
      return e;
  }
  return cudaSuccess;
}

} // namespace

cudaError_t pare_llm_blas_linear_w8a8_f32(pare_llm_blas *blas, const float *x,
                                          const float *norm_w, float norm_eps, const int8_t *w,
                                          const float *w_scale, const float *residual, float *y,
                                          int rows, int k, int n, float act_scale, pare_act_t act,
                                          float act_a, float act_b, void *workspace,
                                          cudaStream_t stream)
{
  return blas_linear_w8a8<float>(blas, x, norm_w, norm_eps, w, w_scale, residual, y, rows, k, n,
                                 act_scale, act, act_a, act_b, workspace, stream);
}

cudaError_t pare_llm_blas_linear_w8a8_f16(pare_llm_blas *blas, const pare_half *x,
                                          const pare_half *norm_w, float norm_eps,
                                          const int8_t *w, const float *w_scale,
                                          const pare_half *residual, pare_half *y, int rows,
                                          int k, int n, float act_scale, pare_act_t act,
                                          float act_a, float act_b, void *workspace,
                                          cudaStream_t stream)
{
  return blas_linear_w8a8<__half>(blas, x, norm_w, norm_eps, w, w_scale, residual, y, rows, k, n,
                                  act_scale, act, act_a, act_b, workspace, stream);
}
