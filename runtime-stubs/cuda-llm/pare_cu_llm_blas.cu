/*
 * pare CUDA decoder, library GEMMs for prefill (`--cuda-gemm cublas`): the
 * fp32 / fp16 and int4 entry points of pare_cu_llm_blas.cuh. The int8 ones
 * are in pare_cu_llm_blas_w8.cu.
 *
 * Steps of PARE_LLM_GEMV_ROWS rows or fewer (decode) call pare's own launch
 * functions unchanged. More rows (prefill) run, on the context's stream
 * order:
 *   norm prologue  pare_llm_rms_norm_* of x into the scratch (what
 *                  pare_llm_linear's portable GEMM multiplies, bit for bit);
 *   product        cublasGemmEx, row-major y [rows][n] = x [rows][k] . wt^T
 *                  (wt [n][k]): in cuBLAS's column-major terms y^T = wt^T'
 *                  x^T, op(A) = T on wt (lda k), B = x (ldb k); storage type
 *                  in and out, float sums (CUBLAS_COMPUTE_32F: fp16 on tensor
 *                  cores, fp32 in full fp32, never TF32);
 *   epilogue       a residual with no activation is cuBLAS's beta = 1 (y
 *                  holds the residual first), so act(sum) + residual rounds
 *                  once as in pare's kernel; an activation alone runs in place
 *                  on y; both, or the gate product, or rotary + KV-cache
 *                  write, a small kernel below reading the product from the
 *                  scratch, in float.
 * A gate / up pair, or q / k / v, whose weights lie back to back in memory
 * (the decoder's weights file stores them so) is one GEMM of the summed
 * width; otherwise one GEMM each into column blocks of the same scratch.
 * int4 weights (pare_llm_matmul_w4_*): pare_llm_device::w4_dequantize (the
 * fused int4 prefill's, pare_cu_llm.cu) dequantizes the whole weight, (q - z)
 * * s in float rounded to the activations' type as pare's W4 GEMM stores its
 * tiles, into the context's w4 scratch, then the same GEMM (or,
 * built with PARE_LLM_BLAS_W4_SLICE_BYTES, slices of outputs in turn).
 *
 * A step beyond the sizes the context was created for falls back to pare's
 * kernels (same semantics). Every cuBLAS status is checked: a failure returns
 * cudaErrorUnknown. Nothing is allocated after pare_llm_blas_create, and the
 * library workspace is preallocated, so the calls can be captured into a CUDA
 * graph.
 */
#include "pare_cu_llm_blas_impl.cuh"
#include "pare_cu_llm_device.cuh"

#include <stdlib.h>

namespace {

using namespace pare_llm_device; /* to_f, from_f, aligned16, w4_dequantize */

/* int4 prefill: 0 dequantizes the whole weight before one GEMM; a byte count
 * runs slices of outputs whose dequantized weights fit in it (an experiment:
 * tests/cuda/run_blas_check.sh times 24 MiB next to the default). */
#ifndef PARE_LLM_BLAS_W4_SLICE_BYTES
#define PARE_LLM_BLAS_W4_SLICE_BYTES 0
#endif

/* cuBLAS's recommended workspace on Hopper, shared with cuBLASLt. */
constexpr size_t kLibWorkspaceBytes = (size_t)32 << 20;
constexpr int kBlock = 256;

size_t align_up(size_t v) { return (v + 255) / 256 * 256; }

unsigned grid_for(size_t work)
{
  size_t blocks = (work + kBlock - 1) / kBlock;
  return (unsigned)(blocks < 65535 * 4 ? (blocks ? blocks : 1) : 65535 * 4);
}

cudaError_t status(cublasStatus_t s) { return s == CUBLAS_STATUS_SUCCESS ? cudaSuccess : cudaErrorUnknown; }

#define BLAS_TRY(...)                     \
  do {                                    \
    cudaError_t err_ = (__VA_ARGS__);     \
    if (err_ != cudaSuccess)              \
      return err_;                        \
  } while (0)

template <typename T> struct Type;
template <> struct Type<float> {
  static constexpr cudaDataType_t kData = CUDA_R_32F;
};
template <> struct Type<__half> {
  static constexpr cudaDataType_t kData = CUDA_R_16F;
};

/* The handle on `stream` (cublasSetStream resets the workspace, so it is set
 * again). */
cudaError_t bind(pare_llm_blas *b, cudaStream_t stream)
{
  if (stream == b->stream)
    return cudaSuccess;
  BLAS_TRY(status(cublasSetStream(b->handle, stream)));
  BLAS_TRY(status(cublasSetWorkspace(b->handle, b->lt_workspace, b->lt_workspace_bytes)));
  b->stream = stream;
  return cudaSuccess;
}

/* y [rows][ldy] (its first n columns) = x [rows][k] . wt[n][k]^T + beta y. */
template <typename T>
cudaError_t gemm(pare_llm_blas *b, const T *x, const T *wt, T *y, int ldy, int rows, int k, int n,
                 float beta)
{
  const float alpha = 1.0f;
  return status(cublasGemmEx(b->handle, CUBLAS_OP_T, CUBLAS_OP_N, n, rows, k, &alpha, wt,
                             Type<T>::kData, k, x, Type<T>::kData, k, &beta, y, Type<T>::kData,
                             ldy, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

/* Whether a step of rows x (k -> n) fits the context (n: the scratch width
 * it needs, k: the normalized input's). */
bool fits(const pare_llm_blas *b, int rows, int k, int n)
{
  return b && rows <= b->max_rows && k <= b->max_k && n <= b->max_n;
}

/* The scratch: xn [max_rows][max_k], then the products [max_rows][max_n],
 * both sized for float. */
template <typename T> T *scratch_x(pare_llm_blas *b) { return (T *)b->scratch; }
template <typename T> T *scratch_y(pare_llm_blas *b)
{
  return (T *)((char *)b->scratch + align_up((size_t)b->max_rows * b->max_k * sizeof(float)));
}

/* cuBLAS sets itself up and loads its kernels on its first products (with
 * CUDA's lazy module loading that took ~0.1 s inside the first timed prefill
 * on an H100). Run one half and one float product of a prefill's size here,
 * at create, on the zeroed scratch (the results are not used), so the
 * decoder's first prefill does not pay it: max_rows rows of max_k inputs
 * into min(max_n, max_rows) outputs, the weight operand being the x region
 * read as [n][k] (n <= max_rows rows of it exist). */
cudaError_t warm_up(pare_llm_blas *b)
{
  const int rows = b->max_rows, k = b->max_k, n = b->max_n < rows ? b->max_n : rows;
  cudaError_t err = cudaMemsetAsync(b->scratch, 0, b->scratch_bytes, b->stream);
  if (err == cudaSuccess)
    err = gemm<__half>(b, scratch_x<__half>(b), scratch_x<__half>(b), scratch_y<__half>(b), n,
                       rows, k, n, 0.0f);
  if (err == cudaSuccess)
    err = gemm<float>(b, scratch_x<float>(b), scratch_x<float>(b), scratch_y<float>(b), n, rows,
                      k, n, 0.0f);
  if (err == cudaSuccess)
    err = cudaStreamSynchronize(b->stream);
  return err;
}

/* x, or its RMS norm in the scratch. */
template <typename T>
cudaError_t prologue(pare_llm_blas *b, const T *x, const T *norm_w, float eps, int rows, int k,
                     cudaStream_t stream, const T **xn);
template <>
cudaError_t prologue<float>(pare_llm_blas *b, const float *x, const float *norm_w, float eps,
                            int rows, int k, cudaStream_t stream, const float **xn)
{
  *xn = x;
  if (!norm_w)
    return cudaSuccess;
  *xn = scratch_x<float>(b);
  return pare_llm_rms_norm_f32(x, norm_w, scratch_x<float>(b), rows, k, eps, stream);
}
template <>
cudaError_t prologue<__half>(pare_llm_blas *b, const __half *x, const __half *norm_w, float eps,
                             int rows, int k, cudaStream_t stream, const __half **xn)
{
  *xn = x;
  if (!norm_w)
    return cudaSuccess;
  *xn = scratch_x<__half>(b);
  return pare_llm_rms_norm_f16(x, norm_w, scratch_x<__half>(b), rows, k, eps, stream);
}

/* ------------------------------------------------------------ epilogues -- */

/* y = act(s) (+ residual), [rows][n] (s may be y; residual may be y). */
template <typename T>
__global__ void act_add_kernel(const T *s, const T *residual, T *y, size_t count, pare_act_t act,
                               float act_a, float act_b)
{
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count;
       i += (size_t)gridDim.x * blockDim.x) {
    float o = pare_activation(to_f(s[i]), act, act_a, act_b);
    if (residual)
      o += to_f(residual[i]);
    y[i] = from_f<T>(o);
  }
}

/* y[r][j] = act(gu[r][j]) * gu[r][n + j], gu [rows][2n]. */
template <typename T>
__global__ void gate_kernel(const T *gu, T *y, int rows, int n, pare_act_t act, float act_a,
                            float act_b)
{
  const size_t count = (size_t)rows * n;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count;
       i += (size_t)gridDim.x * blockDim.x) {
    const size_t r = i / n, j = i % n;
    const T *row = gu + r * 2 * n;
    y[i] = from_f<T>(pare_activation(to_f(row[j]), act, act_a, act_b) * to_f(row[n + j]));
  }
}

/* q, k, v of one step from their products p [rows][(heads + 2 kv_heads) *
 * head_dim] (q's heads, k's, v's): q and k turned as pare_llm_rotary turns
 * them (pairs j < half: (j, j + half), or (2j, 2j + 1) interleaved, by
 * positions[r] * inv_freq[j]), q into q_out [rows][heads][head_dim], k and v
 * into the caches at positions[r] (pare_llm_kv_write; of slot slots[r] when
 * slots is non-NULL). One thread per (row, head, j < head_dim - half): a
 * pair, or dim j + half. */
template <typename T>
__global__ void qkv_kernel(const T *p, const int32_t *positions, const int32_t *slots,
                           long long slot_stride, const float *inv_freq, int half,
                           int interleaved, T *q_out, T *k_cache, T *v_cache, int rows, int heads,
                           int kv_heads, int head_dim, int max_context)
{
  const int all = heads + 2 * kv_heads, per_head = head_dim - half;
  const size_t total = (size_t)rows * all * per_head;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
       i += (size_t)gridDim.x * blockDim.x) {
    const int j = (int)(i % per_head);
    const size_t rh = i / per_head;
    const int h = (int)(rh % all), r = (int)(rh / all);
    const T *src = p + rh * head_dim;
    T *dst;
    bool turn = true;
    if (h < heads) {
      dst = q_out + ((size_t)r * heads + h) * head_dim;
    } else {
      const size_t so = slots ? (size_t)slots[r] * slot_stride : 0;
      if (h < heads + kv_heads) {
        dst = k_cache + so + ((size_t)(h - heads) * max_context + positions[r]) * head_dim;
      } else {
        dst = v_cache + so +
              ((size_t)(h - heads - kv_heads) * max_context + positions[r]) * head_dim;
        turn = false;
      }
    }
    if (j >= half) {
      dst[j + half] = src[j + half];
      continue;
    }
    const int a = interleaved ? 2 * j : j, c = interleaved ? 2 * j + 1 : j + half;
    if (!turn) {
      dst[a] = src[a];
      dst[c] = src[c];
      continue;
    }
    float sn, cs;
    sincosf((float)positions[r] * inv_freq[j], &sn, &cs);
    const float xa = to_f(src[a]), xb = to_f(src[c]);
    dst[a] = from_f<T>(xa * cs - xb * sn);
    dst[c] = from_f<T>(xb * cs + xa * sn);
  }
}

/* ------------------------------------------------------------- the steps -- */

template <typename T>
cudaError_t launch_act(const T *s, const T *residual, T *y, size_t count, pare_act_t act,
                       float act_a, float act_b, cudaStream_t stream)
{
  act_add_kernel<T><<<grid_for(count), kBlock, 0, stream>>>(s, residual, y, count, act, act_a,
                                                            act_b);
  return cudaGetLastError();
}

/* The product of an (already normalized) input with epilogue act (+ residual). */
template <typename T>
cudaError_t product(pare_llm_blas *b, const T *xn, const T *wt, const T *residual, T *y, int rows,
                    int k, int n, pare_act_t act, float act_a, float act_b, cudaStream_t stream)
{
  const size_t count = (size_t)rows * n;
  if (residual && act != PARE_ACT_NONE) {
    T *s = scratch_y<T>(b);
    BLAS_TRY(gemm<T>(b, xn, wt, s, n, rows, k, n, 0.0f));
    return launch_act<T>(s, residual, y, count, act, act_a, act_b, stream);
  }
  if (residual) {
    if (residual != y)
      BLAS_TRY(cudaMemcpyAsync(y, residual, count * sizeof(T), cudaMemcpyDeviceToDevice, stream));
    return gemm<T>(b, xn, wt, y, n, rows, k, n, 1.0f);
  }
  BLAS_TRY(gemm<T>(b, xn, wt, y, n, rows, k, n, 0.0f));
  if (act == PARE_ACT_NONE)
    return cudaSuccess;
  return launch_act<T>(y, (const T *)nullptr, y, count, act, act_a, act_b, stream);
}

/* pare's launch functions, by type. */
cudaError_t pare_linear(const float *x, const float *nw, float eps, const float *wt,
                        const float *res, float *y, int rows, int k, int n, pare_act_t act,
                        float a, float bb, cudaStream_t s)
{
  return pare_llm_linear_f32(x, nw, eps, wt, res, y, rows, k, n, act, a, bb, s);
}
cudaError_t pare_linear(const __half *x, const __half *nw, float eps, const __half *wt,
                        const __half *res, __half *y, int rows, int k, int n, pare_act_t act,
                        float a, float bb, cudaStream_t s)
{
  return pare_llm_linear_f16(x, nw, eps, wt, res, y, rows, k, n, act, a, bb, s);
}
cudaError_t pare_gated(const float *x, const float *nw, float eps, const float *wg,
                       const float *wu, float *y, int rows, int k, int n, pare_act_t act, float a,
                       float bb, cudaStream_t s)
{
  return pare_llm_gated_f32(x, nw, eps, wg, wu, y, rows, k, n, act, a, bb, s);
}
cudaError_t pare_gated(const __half *x, const __half *nw, float eps, const __half *wg,
                       const __half *wu, __half *y, int rows, int k, int n, pare_act_t act,
                       float a, float bb, cudaStream_t s)
{
  return pare_llm_gated_f16(x, nw, eps, wg, wu, y, rows, k, n, act, a, bb, s);
}
cudaError_t pare_qkv(const float *x, const float *nw, float eps, const float *wq, const float *wk,
                     const float *wv, const int32_t *pos, const int32_t *slots, long long ss,
                     const float *inv, int rd, int il, float *q, float *kc, float *vc, int rows,
                     int k, int heads, int kvh, int hd, int mc, cudaStream_t s)
{
  return pare_llm_qkv_f32(x, nw, eps, wq, wk, wv, pos, slots, ss, inv, rd, il, q, kc, vc, rows, k,
                          heads, kvh, hd, mc, s);
}
cudaError_t pare_qkv(const __half *x, const __half *nw, float eps, const __half *wq,
                     const __half *wk, const __half *wv, const int32_t *pos, const int32_t *slots,
                     long long ss, const float *inv, int rd, int il, __half *q, __half *kc,
                     __half *vc, int rows, int k, int heads, int kvh, int hd, int mc,
                     cudaStream_t s)
{
  return pare_llm_qkv_f16(x, nw, eps, wq, wk, wv, pos, slots, ss, inv, rd, il, q, kc, vc, rows, k,
                          heads, kvh, hd, mc, s);
}
cudaError_t pare_w4(const float *x, const uint8_t *qw, const float *sz, float *y, int rows, int k,
                    int n, int group, pare_act_t act, float a, float bb, cudaStream_t s)
{
  return pare_llm_matmul_w4_f32(x, qw, sz, y, rows, k, n, group, act, a, bb, s);
}
cudaError_t pare_w4(const __half *x, const uint8_t *qw, const __half *sz, __half *y, int rows,
                    int k, int n, int group, pare_act_t act, float a, float bb, cudaStream_t s)
{
  return pare_llm_matmul_w4_f16(x, qw, sz, y, rows, k, n, group, act, a, bb, s);
}

template <typename T>
cudaError_t linear(pare_llm_blas *b, const T *x, const T *norm_w, float eps, const T *wt,
                   const T *residual, T *y, int rows, int k, int n, pare_act_t act, float act_a,
                   float act_b, cudaStream_t stream)
{
  if (rows <= PARE_LLM_GEMV_ROWS || !fits(b, rows, k, n) || n <= 0)
    return pare_linear(x, norm_w, eps, wt, residual, y, rows, k, n, act, act_a, act_b, stream);
  if (k <= 0 || !x || !wt || !y)
    return cudaErrorInvalidValue;
  BLAS_TRY(bind(b, stream));
  const T *xn;
  BLAS_TRY(prologue<T>(b, x, norm_w, eps, rows, k, stream, &xn));
  return product<T>(b, xn, wt, residual, y, rows, k, n, act, act_a, act_b, stream);
}

template <typename T>
cudaError_t gated(pare_llm_blas *b, const T *x, const T *norm_w, float eps, const T *wg,
                  const T *wu, T *y, int rows, int k, int n, pare_act_t act, float act_a,
                  float act_b, cudaStream_t stream)
{
  if (rows <= PARE_LLM_GEMV_ROWS || n <= 0 || !fits(b, rows, k, 2 * n))
    return pare_gated(x, norm_w, eps, wg, wu, y, rows, k, n, act, act_a, act_b, stream);
  if (k <= 0 || !x || !wg || !wu || !y)
    return cudaErrorInvalidValue;
  BLAS_TRY(bind(b, stream));
  const T *xn;
  BLAS_TRY(prologue<T>(b, x, norm_w, eps, rows, k, stream, &xn));
  T *gu = scratch_y<T>(b);
  if (wu == wg + (size_t)n * k) {
    BLAS_TRY(gemm<T>(b, xn, wg, gu, 2 * n, rows, k, 2 * n, 0.0f));
  } else {
    BLAS_TRY(gemm<T>(b, xn, wg, gu, 2 * n, rows, k, n, 0.0f));
    BLAS_TRY(gemm<T>(b, xn, wu, gu + n, 2 * n, rows, k, n, 0.0f));
  }
  const size_t count = (size_t)rows * n;
  gate_kernel<T><<<grid_for(count), kBlock, 0, stream>>>(gu, y, rows, n, act, act_a, act_b);
  return cudaGetLastError();
}

template <typename T>
cudaError_t qkv(pare_llm_blas *b, const T *x, const T *norm_w, float eps, const T *wq,
                const T *wk, const T *wv, const int32_t *positions, const int32_t *slots,
                long long slot_stride, const float *inv_freq, int rotary_dim, int interleaved,
                T *q_out, T *k_cache, T *v_cache, int rows, int k, int heads, int kv_heads,
                int head_dim, int max_context, cudaStream_t stream)
{
  const int qn = heads * head_dim, kvn = kv_heads * head_dim, all = qn + 2 * kvn;
  if (rows <= PARE_LLM_GEMV_ROWS || heads <= 0 || kv_heads <= 0 || head_dim <= 0 ||
      !fits(b, rows, k, all))
    return pare_qkv(x, norm_w, eps, wq, wk, wv, positions, slots, slot_stride, inv_freq,
                    rotary_dim, interleaved, q_out, k_cache, v_cache, rows, k, heads, kv_heads,
                    head_dim, max_context, stream);
  if (k <= 0 || max_context <= 0 || !x || !wq || !wk || !wv || !positions || !q_out ||
      !k_cache || !v_cache || (inv_freq && (rotary_dim < 0 || rotary_dim > head_dim)))
    return cudaErrorInvalidValue;
  BLAS_TRY(bind(b, stream));
  const T *xn;
  BLAS_TRY(prologue<T>(b, x, norm_w, eps, rows, k, stream, &xn));
  T *p = scratch_y<T>(b);
  if (wk == wq + (size_t)qn * k && wv == wk + (size_t)kvn * k) {
    BLAS_TRY(gemm<T>(b, xn, wq, p, all, rows, k, all, 0.0f));
  } else {
    BLAS_TRY(gemm<T>(b, xn, wq, p, all, rows, k, qn, 0.0f));
    BLAS_TRY(gemm<T>(b, xn, wk, p + qn, all, rows, k, kvn, 0.0f));
    BLAS_TRY(gemm<T>(b, xn, wv, p + qn + kvn, all, rows, k, kvn, 0.0f));
  }
  const int half = inv_freq ? rotary_dim / 2 : 0;
  const size_t work = (size_t)rows * (heads + 2 * kv_heads) * (head_dim - half);
  qkv_kernel<T><<<grid_for(work), kBlock, 0, stream>>>(p, positions, slots, slot_stride, inv_freq,
                                                       half, interleaved, q_out, k_cache, v_cache,
                                                       rows, heads, kv_heads, head_dim,
                                                       max_context);
  return cudaGetLastError();
}

template <typename T>
cudaError_t matmul_w4(pare_llm_blas *b, const T *x, const uint8_t *qw, const T *sz, T *y, int rows,
                      int k, int n, int group, pare_act_t act, float act_a, float act_b,
                      cudaStream_t stream)
{
  /* pare's own call also answers what it refuses (packed rows not 16-byte
   * aligned: pare_llm_matmul_w4's contract). */
  if (rows <= PARE_LLM_W4_GEMV_ROWS || !b || !b->w4_scratch || rows > b->max_rows || n <= 0 ||
      k <= 0 || (size_t)k * n * sizeof(T) > b->w4_scratch_bytes || !aligned16(qw))
    return pare_w4(x, qw, sz, y, rows, k, n, group, act, act_a, act_b, stream);
  if (!x || !qw || !sz || !y || group < 16 || (group & (group - 1)))
    return cudaErrorInvalidValue;
  BLAS_TRY(bind(b, stream));
  T *w = (T *)b->w4_scratch;
  const int groups = PARE_LLM_W4_GROUPS(k, group);
  const size_t row_bytes = PARE_LLM_W4_ROW_BYTES(k);
  /* Outputs a slice: all of them, or (PARE_LLM_BLAS_W4_SLICE_BYTES) as many
   * as that many bytes of dequantized weight hold, in multiples of 128, each
   * slice dequantized into the same scratch so it can stay in L2. */
  int slice = n;
  if (PARE_LLM_BLAS_W4_SLICE_BYTES > 0) {
    const size_t fit = (size_t)PARE_LLM_BLAS_W4_SLICE_BYTES / ((size_t)k * sizeof(T)) / 128 * 128;
    slice = fit < 128 ? 128 : fit < (size_t)n ? (int)fit : n;
  }
  for (int j0 = 0; j0 < n; j0 += slice) {
    const int nn = n - j0 < slice ? n - j0 : slice;
    const uint8_t *q = qw + (size_t)j0 * row_bytes;
    const T *g = sz + (size_t)j0 * groups * 2;
    BLAS_TRY(w4_dequantize(q, g, w, nn, k, group, stream));
    BLAS_TRY(gemm<T>(b, x, w, y + j0, n, rows, k, nn, 0.0f));
  }
  if (act == PARE_ACT_NONE)
    return cudaSuccess;
  return launch_act<T>(y, (const T *)nullptr, y, (size_t)rows * n, act, act_a, act_b, stream);
}

} // namespace

cudaError_t pare_llm_blas_create(pare_llm_blas **out, int max_rows, int max_k, int max_n,
                                 size_t w4_bytes, int w8, cudaStream_t stream)
{
  if (!out)
    return cudaErrorInvalidValue;
  *out = NULL;
  if (max_rows <= 0 || max_k <= 0 || max_n <= 0)
    return cudaErrorInvalidValue;
  pare_llm_blas *b = (pare_llm_blas *)calloc(1, sizeof(pare_llm_blas));
  if (!b)
    return cudaErrorMemoryAllocation;
  b->stream = stream;
  b->max_rows = max_rows;
  b->max_k = max_k;
  b->max_n = max_n;
  b->scratch_bytes = align_up((size_t)max_rows * max_k * sizeof(float)) +
                     align_up((size_t)max_rows * max_n * sizeof(float));
  b->lt_workspace_bytes = kLibWorkspaceBytes;
  b->w4_scratch_bytes = w4_bytes;
  b->acc_elems = w8 ? (size_t)max_rows * max_n : 0;
  cudaError_t err = cudaMalloc(&b->scratch, b->scratch_bytes);
  if (err == cudaSuccess)
    err = cudaMalloc(&b->lt_workspace, b->lt_workspace_bytes);
  if (err == cudaSuccess && w4_bytes)
    err = cudaMalloc(&b->w4_scratch, w4_bytes);
  if (err == cudaSuccess && b->acc_elems)
    err = cudaMalloc((void **)&b->acc, b->acc_elems * sizeof(int32_t));
  if (err == cudaSuccess) {
    bool ok = cublasCreate(&b->handle) == CUBLAS_STATUS_SUCCESS;
    ok = ok && cublasSetStream(b->handle, stream) == CUBLAS_STATUS_SUCCESS;
    ok = ok && cublasSetWorkspace(b->handle, b->lt_workspace, b->lt_workspace_bytes) ==
                   CUBLAS_STATUS_SUCCESS;
    /* Float products in full fp32 (no TF32), fp16 ones on tensor cores. */
    ok = ok && cublasSetMathMode(b->handle, CUBLAS_DEFAULT_MATH) == CUBLAS_STATUS_SUCCESS;
    ok = ok && cublasLtCreate(&b->lt) == CUBLAS_STATUS_SUCCESS;
    if (!ok)
      err = cudaErrorUnknown;
    else
      err = warm_up(b);
  }
  if (err != cudaSuccess) {
    (void)cudaGetLastError(); /* a failed cudaMalloc is not sticky: clear it */
    pare_llm_blas_destroy(b);
    return err;
  }
  *out = b;
  return cudaSuccess;
}

void pare_llm_blas_destroy(pare_llm_blas *b)
{
  if (!b)
    return;
  if (b->lt)
    cublasLtDestroy(b->lt);
  if (b->handle)
    cublasDestroy(b->handle);
  cudaFree(b->acc);
  cudaFree(b->w4_scratch);
  cudaFree(b->lt_workspace);
  cudaFree(b->scratch);
  free(b);
}

#define PARE_LLM_DEFINE_BLAS(SUF, T)                                                           \
  cudaError_t pare_llm_blas_matmul_##SUF(pare_llm_blas *blas, const T *x, const T *wt, T *y,   \
                                         int rows, int k, int n, pare_act_t act, float act_a,  \
                                         float act_b, cudaStream_t stream)                     \
  {                                                                                            \
    return linear<T>(blas, x, nullptr, 0.0f, wt, nullptr, y, rows, k, n, act, act_a, act_b,    \
                     stream);                                                                  \
  }                                                                                            \
  cudaError_t pare_llm_blas_linear_##SUF(pare_llm_blas *blas, const T *x, const T *norm_w,     \
                                         float norm_eps, const T *wt, const T *residual, T *y, \
                                         int rows, int k, int n, pare_act_t act, float act_a,  \
                                         float act_b, cudaStream_t stream)                     \
  {                                                                                            \
    return linear<T>(blas, x, norm_w, norm_eps, wt, residual, y, rows, k, n, act, act_a,       \
                     act_b, stream);                                                           \
  }                                                                                            \
  cudaError_t pare_llm_blas_gated_##SUF(pare_llm_blas *blas, const T *x, const T *norm_w,      \
                                        float norm_eps, const T *wg, const T *wu, T *y,        \
                                        int rows, int k, int n, pare_act_t act, float act_a,   \
                                        float act_b, cudaStream_t stream)                      \
  {                                                                                            \
    return gated<T>(blas, x, norm_w, norm_eps, wg, wu, y, rows, k, n, act, act_a, act_b,       \
                    stream);                                                                   \
  }                                                                                            \
  cudaError_t pare_llm_blas_qkv_##SUF(                                                         \
      pare_llm_blas *blas, const T *x, const T *norm_w, float norm_eps, const T *wq,           \
      const T *wk, const T *wv, const int32_t *positions, const int32_t *slots,                \
      long long slot_stride, const float *inv_freq, int rotary_dim, int interleaved,           \
      T *q_out, T *k_cache, T *v_cache, int rows, int k, int heads, int kv_heads,              \
      int head_dim, int max_context, cudaStream_t stream)                                      \
  {                                                                                            \
    return qkv<T>(blas, x, norm_w, norm_eps, wq, wk, wv, positions, slots, slot_stride,        \
                  inv_freq, rotary_dim, interleaved, q_out, k_cache, v_cache, rows, k, heads,  \
                  kv_heads, head_dim, max_context, stream);                                    \
  }                                                                                            \
  cudaError_t pare_llm_blas_matmul_w4_##SUF(pare_llm_blas *blas, const T *x, const uint8_t *qw, \
                                            const T *sz, T *y, int rows, int k, int n,         \
                                            int group, pare_act_t act, float act_a,            \
                                            float act_b, cudaStream_t stream)                  \
  {                                                                                            \
    return matmul_w4<T>(blas, x, qw, sz, y, rows, k, n, group, act, act_a, act_b, stream);     \
  }

PARE_LLM_DEFINE_BLAS(f32, float)
PARE_LLM_DEFINE_BLAS(f16, pare_half)
#undef PARE_LLM_DEFINE_BLAS
