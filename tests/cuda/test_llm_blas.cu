/* The library-GEMM prefill of `--cuda-gemm cublas` (runtime-stubs/cuda-llm/pare_cu_llm_blas.cu)
 * on the GPU: every pare_llm_blas_* entry point against pare's own launch function of the same
 * name on random data, fp32 (|d| <= 1e-5 max|ref|) and fp16 (2e-2), for decode rows (passed
 * through: bit for bit) and prefill rows, odd and even K and N, norm prologue, residual (apart
 * and in place), activations, gate / up and q / k / v weights apart and back to back, rotary
 * (split halves, interleaved, partial, none), int4 weights in groups of 16 .. 128 and K not a
 * multiple of 32, and a step beyond the context's sizes (pare's kernels).
 *
 *   ./test_llm_blas            the checks; "blas: N passed, M failed", exit 1 on a failure
 *   ./test_llm_blas --bench [w4]   one Llama-2-7B layer's products (qkv 4096 -> 3 x 4096, o 4096 ->
 *                              4096, gate / up 4096 -> 2 x 11008, down 11008 -> 4096) at 512 and
 *                              2048 rows, fp16: pare's kernels, the blas path, and the bare
 *                              cublasGemmEx products they contain; then int4 (group 128) through
 *                              the blas path against fp16 cuBLAS and pare's int4 GEMM (w4:
 *                              that table only)
 *
 * Built by tests/cuda/run_blas_check.sh (nvcc -arch=sm_90a -DPARE_CU_SM90A, -lcublas
 * -lcublasLt); compiled without a GPU by ctest cuda-decoder-compile. */
#include "bench_support.h"
#include "llm_test_support.h"

#include "pare_cu_llm_blas.cuh"

#include <cublas_v2.h>
#include <string.h>

#include <algorithm>
#include <functional>

/* How this build of pare_cu_llm_blas.cu runs int4 prefill (its
 * PARE_LLM_BLAS_W4_SLICE_BYTES, passed to this file too by run_blas_check.sh). */
#ifndef PARE_LLM_BLAS_W4_SLICE_BYTES
#define PARE_LLM_BLAS_W4_SLICE_BYTES 0
#endif
static const char *pare_llm_blas_w4_slices()
{
  static char b[96];
  if (PARE_LLM_BLAS_W4_SLICE_BYTES == 0)
    return "the whole weight dequantized, one GEMM";
  snprintf(b, sizeof b, "slices of %d KiB of dequantized weight",
           (int)(PARE_LLM_BLAS_W4_SLICE_BYTES / 1024));
  return b;
}

namespace {

/* got vs ref: |g - r| <= tol * max(1, max|ref|). */
void compare(const std::string &name, cudaError_t a, cudaError_t b, const Vec &got,
             const Vec &ref, float tol)
{
  if (a != cudaSuccess || b != cudaSuccess)
    return verdict(name, false, std::string("blas: ") + cudaGetErrorString(a) +
                                    ", pare: " + cudaGetErrorString(b));
  float scale = 1.0f, worst = 0.0f;
  for (float r : ref)
    scale = fmaxf(scale, fabsf(r));
  size_t at = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    float d = fabsf(got[i] - ref[i]);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  if (!(worst <= tol * scale)) {
    char why[200];
    snprintf(why, sizeof why, "[%zu] got %.8g want %.8g (max |ref| %.4g, %zu values)", at,
             got[at], ref[at], scale, ref.size());
    return verdict(name, false, why);
  }
  verdict(name, true);
}

template <typename T> float tol() { return sizeof(T) == 4 ? 1e-5f : 2e-2f; }

template <typename T> std::string tag(const char *what, int rows, int k, int n)
{
  char b[160];
  snprintf(b, sizeof b, "%s %s rows %d k %d n %d", what, Ty<T>::name(), rows, k, n);
  return b;
}

/* ---- the launch functions by type ---- */
cudaError_t pare_matmul(const float *x, const float *w, float *y, int r, int k, int n,
                        pare_act_t act)
{
  return pare_llm_matmul_f32(x, w, y, r, k, n, act, 0.0f, 0.0f, 0);
}
cudaError_t pare_matmul(const __half *x, const __half *w, __half *y, int r, int k, int n,
                        pare_act_t act)
{
  return pare_llm_matmul_f16(x, w, y, r, k, n, act, 0.0f, 0.0f, 0);
}
cudaError_t blas_matmul(pare_llm_blas *b, const float *x, const float *w, float *y, int r, int k,
                        int n, pare_act_t act)
{
  return pare_llm_blas_matmul_f32(b, x, w, y, r, k, n, act, 0.0f, 0.0f, 0);
}
cudaError_t blas_matmul(pare_llm_blas *b, const __half *x, const __half *w, __half *y, int r,
                        int k, int n, pare_act_t act)
{
  return pare_llm_blas_matmul_f16(b, x, w, y, r, k, n, act, 0.0f, 0.0f, 0);
}
cudaError_t pare_linear(const float *x, const float *nw, const float *w, const float *res,
                        float *y, int r, int k, int n, pare_act_t act, cudaStream_t s = 0)
{
  return pare_llm_linear_f32(x, nw, 1e-5f, w, res, y, r, k, n, act, 0.0f, 0.0f, s);
}
cudaError_t pare_linear(const __half *x, const __half *nw, const __half *w, const __half *res,
                        __half *y, int r, int k, int n, pare_act_t act, cudaStream_t s = 0)
{
  return pare_llm_linear_f16(x, nw, 1e-5f, w, res, y, r, k, n, act, 0.0f, 0.0f, s);
}
cudaError_t blas_linear(pare_llm_blas *b, const float *x, const float *nw, const float *w,
                        const float *res, float *y, int r, int k, int n, pare_act_t act,
                        cudaStream_t s = 0)
{
  return pare_llm_blas_linear_f32(b, x, nw, 1e-5f, w, res, y, r, k, n, act, 0.0f, 0.0f, s);
}
cudaError_t blas_linear(pare_llm_blas *b, const __half *x, const __half *nw, const __half *w,
                        const __half *res, __half *y, int r, int k, int n, pare_act_t act,
                        cudaStream_t s = 0)
{
  return pare_llm_blas_linear_f16(b, x, nw, 1e-5f, w, res, y, r, k, n, act, 0.0f, 0.0f, s);
}
cudaError_t pare_gated(const float *x, const float *nw, const float *wg, const float *wu,
                       float *y, int r, int k, int n, cudaStream_t s = 0)
{
  return pare_llm_gated_f32(x, nw, 1e-5f, wg, wu, y, r, k, n, PARE_ACT_SILU, 0.0f, 0.0f, s);
}
cudaError_t pare_gated(const __half *x, const __half *nw, const __half *wg, const __half *wu,
                       __half *y, int r, int k, int n, cudaStream_t s = 0)
{
  return pare_llm_gated_f16(x, nw, 1e-5f, wg, wu, y, r, k, n, PARE_ACT_SILU, 0.0f, 0.0f, s);
}
cudaError_t blas_gated(pare_llm_blas *b, const float *x, const float *nw, const float *wg,
                       const float *wu, float *y, int r, int k, int n, cudaStream_t s = 0)
{
  return pare_llm_blas_gated_f32(b, x, nw, 1e-5f, wg, wu, y, r, k, n, PARE_ACT_SILU, 0.0f, 0.0f,
                                 s);
}
cudaError_t blas_gated(pare_llm_blas *b, const __half *x, const __half *nw, const __half *wg,
                       const __half *wu, __half *y, int r, int k, int n, cudaStream_t s = 0)
{
  return pare_llm_blas_gated_f16(b, x, nw, 1e-5f, wg, wu, y, r, k, n, PARE_ACT_SILU, 0.0f, 0.0f,
                                 s);
}

/* q, k, v of one layer: the arguments both qkv entry points take. */
template <typename T> struct QkvArgs {
  const T *x, *nw, *wq, *wk, *wv;
  const int32_t *pos;
  const float *inv;
  int rd, il;
  T *q, *kc, *vc;
  int rows, k, heads, kvh, hd, mc;
};
cudaError_t pare_qkv(const QkvArgs<float> &a, cudaStream_t s = 0)
{
  return pare_llm_qkv_f32(a.x, a.nw, 1e-5f, a.wq, a.wk, a.wv, a.pos, nullptr, 0, a.inv, a.rd, a.il,
                          a.q, a.kc, a.vc, a.rows, a.k, a.heads, a.kvh, a.hd, a.mc, s);
}
cudaError_t pare_qkv(const QkvArgs<__half> &a, cudaStream_t s = 0)
{
  return pare_llm_qkv_f16(a.x, a.nw, 1e-5f, a.wq, a.wk, a.wv, a.pos, nullptr, 0, a.inv, a.rd, a.il,
                          a.q, a.kc, a.vc, a.rows, a.k, a.heads, a.kvh, a.hd, a.mc, s);
}
cudaError_t blas_qkv(pare_llm_blas *b, const QkvArgs<float> &a, cudaStream_t s = 0)
{
  return pare_llm_blas_qkv_f32(b, a.x, a.nw, 1e-5f, a.wq, a.wk, a.wv, a.pos, nullptr, 0, a.inv,
                               a.rd, a.il, a.q, a.kc, a.vc, a.rows, a.k, a.heads, a.kvh, a.hd,
                               a.mc, s);
}
cudaError_t blas_qkv(pare_llm_blas *b, const QkvArgs<__half> &a, cudaStream_t s = 0)
{
  return pare_llm_blas_qkv_f16(b, a.x, a.nw, 1e-5f, a.wq, a.wk, a.wv, a.pos, nullptr, 0, a.inv,
                               a.rd, a.il, a.q, a.kc, a.vc, a.rows, a.k, a.heads, a.kvh, a.hd,
                               a.mc, s);
}
cudaError_t pare_w4(const float *x, const uint8_t *qw, const float *sz, float *y, int r, int k,
                    int n, int g, pare_act_t act, cudaStream_t s = 0)
{
  return pare_llm_matmul_w4_f32(x, qw, sz, y, r, k, n, g, act, 0.0f, 0.0f, s);
}
cudaError_t pare_w4(const __half *x, const uint8_t *qw, const __half *sz, __half *y, int r, int k,
                    int n, int g, pare_act_t act, cudaStream_t s = 0)
{
  return pare_llm_matmul_w4_f16(x, qw, sz, y, r, k, n, g, act, 0.0f, 0.0f, s);
}
cudaError_t blas_w4(pare_llm_blas *b, const float *x, const uint8_t *qw, const float *sz, float *y,
                    int r, int k, int n, int g, pare_act_t act, cudaStream_t s = 0)
{
  return pare_llm_blas_matmul_w4_f32(b, x, qw, sz, y, r, k, n, g, act, 0.0f, 0.0f, s);
}
cudaError_t blas_w4(pare_llm_blas *b, const __half *x, const uint8_t *qw, const __half *sz,
                    __half *y, int r, int k, int n, int g, pare_act_t act, cudaStream_t s = 0)
{
  return pare_llm_blas_matmul_w4_f16(b, x, qw, sz, y, r, k, n, g, act, 0.0f, 0.0f, s);
}

Vec weights(size_t n, int k)
{
  return rnd(n * (size_t)k, -1.0f / sqrtf((float)k), 1.0f / sqrtf((float)k));
}

/* ---- checks ---- */

template <typename T> void check_linear(pare_llm_blas *b, int rows, int k, int n)
{
  Buf<T> x(rnd((size_t)rows * k)), w(weights(n, k)), nw(rnd(k, 0.5f, 1.5f));
  Buf<T> res(rnd((size_t)rows * n)), y0((size_t)rows * n), y1((size_t)rows * n);
  const float t = tol<T>();
  /* plain matmul, and with an activation */
  for (pare_act_t act : {PARE_ACT_NONE, PARE_ACT_SILU}) {
    cudaError_t e1 = blas_matmul(b, x.p, w.p, y1.p, rows, k, n, act);
    cudaError_t e0 = pare_matmul(x.p, w.p, y0.p, rows, k, n, act);
    compare(tag<T>(act == PARE_ACT_NONE ? "matmul" : "matmul silu", rows, k, n), e1, e0,
            y1.get(), y0.get(), t);
  }
  /* norm prologue + residual apart, + GELU and residual, residual in place */
  {
    cudaError_t e1 = blas_linear(b, x.p, nw.p, w.p, res.p, y1.p, rows, k, n, PARE_ACT_NONE);
    cudaError_t e0 = pare_linear(x.p, nw.p, w.p, res.p, y0.p, rows, k, n, PARE_ACT_NONE);
    compare(tag<T>("linear norm+residual", rows, k, n), e1, e0, y1.get(), y0.get(), t);
    e1 = blas_linear(b, x.p, nw.p, w.p, res.p, y1.p, rows, k, n, PARE_ACT_GELU);
    e0 = pare_linear(x.p, nw.p, w.p, res.p, y0.p, rows, k, n, PARE_ACT_GELU);
    compare(tag<T>("linear norm+gelu+residual", rows, k, n), e1, e0, y1.get(), y0.get(), t);
    Vec r0 = rnd((size_t)rows * n);
    y0.set(r0);
    y1.set(r0);
    e1 = blas_linear(b, x.p, (const T *)nullptr, w.p, y1.p, y1.p, rows, k, n, PARE_ACT_NONE);
    e0 = pare_linear(x.p, (const T *)nullptr, w.p, y0.p, y0.p, rows, k, n, PARE_ACT_NONE);
    compare(tag<T>("linear residual in place", rows, k, n), e1, e0, y1.get(), y0.get(), t);
  }
}

template <typename T> void check_gated(pare_llm_blas *b, int rows, int k, int n)
{
  Buf<T> x(rnd((size_t)rows * k)), nw(rnd(k, 0.5f, 1.5f)), gu(weights(2 * (size_t)n, k));
  Buf<T> wg(weights(n, k)), wu(weights(n, k)), y0((size_t)rows * n), y1((size_t)rows * n);
  cudaError_t e1 = blas_gated(b, x.p, nw.p, wg.p, wu.p, y1.p, rows, k, n);
  cudaError_t e0 = pare_gated(x.p, nw.p, wg.p, wu.p, y0.p, rows, k, n);
  compare(tag<T>("gated", rows, k, n), e1, e0, y1.get(), y0.get(), tol<T>());
  const T *g = gu.p, *u = gu.p + (size_t)n * k; /* back to back: one GEMM */
  e1 = blas_gated(b, x.p, (const T *)nullptr, g, u, y1.p, rows, k, n);
  e0 = pare_gated(x.p, (const T *)nullptr, g, u, y0.p, rows, k, n);
  compare(tag<T>("gated back to back", rows, k, n), e1, e0, y1.get(), y0.get(), tol<T>());
}

template <typename T>
void check_qkv(pare_llm_blas *b, int rows, int k, int heads, int kvh, int hd, int rd, int il,
               bool rotate, bool together)
{
  /* positions (7 r + 3) mod mc: distinct, out of order, with mc prime to 7 */
  const int mc = (rows + 16) % 7 ? rows + 16 : rows + 17, qn = heads * hd, kvn = kvh * hd;
  Buf<T> x(rnd((size_t)rows * k)), nw(rnd(k, 0.5f, 1.5f)), w(weights((size_t)qn + 2 * kvn, k));
  Buf<T> wq(weights(qn, k)), wk(weights(kvn, k)), wv(weights(kvn, k));
  Vec inv(std::max(rd / 2, 1));
  for (size_t i = 0; i < inv.size(); ++i)
    inv[i] = powf(10000.0f, -2.0f * (float)i / (float)std::max(rd, 2));
  Buf<float> invb(inv);
  std::vector<int32_t> pos(rows);
  for (int r = 0; r < rows; ++r)
    pos[r] = (r * 7 + 3) % mc;
  int32_t *dpos;
  CUDA_OK(cudaMalloc((void **)&dpos, rows * sizeof(int32_t)));
  CUDA_OK(cudaMemcpy(dpos, pos.data(), rows * sizeof(int32_t), cudaMemcpyHostToDevice));
  const size_t cache = (size_t)kvh * mc * hd;
  Buf<T> q0((size_t)rows * qn), q1((size_t)rows * qn), k0(cache), k1(cache), v0(cache), v1(cache);
  QkvArgs<T> a{x.p,  nw.p, together ? w.p : wq.p, together ? w.p + (size_t)qn * k : wk.p,
               together ? w.p + (size_t)(qn + kvn) * k : wv.p, dpos, rotate ? invb.p : nullptr,
               rd,   il,   q0.p, k0.p, v0.p, rows, k, heads, kvh, hd, mc};
  cudaError_t e0 = pare_qkv(a);
  a.q = q1.p;
  a.kc = k1.p;
  a.vc = v1.p;
  cudaError_t e1 = blas_qkv(b, a);
  char what[120];
  snprintf(what, sizeof what, "qkv heads %d/%d hd %d rot %d%s%s%s", heads, kvh, hd, rd,
           il ? " interleaved" : "", rotate ? "" : " (no rotary)", together ? " back to back" : "");
  const float t = tol<T>();
  compare(tag<T>(what, rows, k, qn) + " q", e1, e0, q1.get(), q0.get(), t);
  compare(tag<T>(what, rows, k, kvn) + " k cache", e1, e0, k1.get(), k0.get(), t);
  compare(tag<T>(what, rows, k, kvn) + " v cache", e1, e0, v1.get(), v0.get(), t);
  cudaFree(dpos);
}

/* Random int4 weights in pare_cu_llm.cuh's layout: codes, and (scale, integer zero) pairs. */
template <typename T> struct W4 {
  uint8_t *qw = nullptr;
  Buf<T> *sz = nullptr;
  W4(int k, int n, int group)
  {
    size_t rb = PARE_LLM_W4_ROW_BYTES(k), groups = PARE_LLM_W4_GROUPS(k, group);
    std::vector<uint8_t> h((size_t)n * rb, 0);
    std::uniform_int_distribution<int> code(0, 15);
    for (int j = 0; j < n; ++j)
      for (int c = 0; c < k; ++c)
        h[(size_t)j * rb + c / 2] |= (uint8_t)(code(g_rng) << (4 * (c % 2)));
    Vec s((size_t)n * groups * 2);
    std::uniform_real_distribution<float> scale(0.5f / sqrtf((float)k), 1.5f / sqrtf((float)k));
    for (size_t i = 0; i < s.size(); i += 2) {
      s[i] = scale(g_rng);
      s[i + 1] = (float)code(g_rng);
    }
    CUDA_OK(cudaMalloc((void **)&qw, h.size()));
    CUDA_OK(cudaMemcpy(qw, h.data(), h.size(), cudaMemcpyHostToDevice));
    sz = new Buf<T>(s);
  }
  ~W4()
  {
    cudaFree(qw);
    delete sz;
  }
};

template <typename T> void check_w4(pare_llm_blas *b, int rows, int k, int n, int group)
{
  W4<T> w(k, n, group);
  Buf<T> x(rnd((size_t)rows * k)), y0((size_t)rows * n), y1((size_t)rows * n);
  for (pare_act_t act : {PARE_ACT_NONE, PARE_ACT_RELU}) {
    cudaError_t e1 = blas_w4(b, x.p, w.qw, w.sz->p, y1.p, rows, k, n, group, act);
    cudaError_t e0 = pare_w4(x.p, w.qw, w.sz->p, y0.p, rows, k, n, group, act);
    char what[64];
    snprintf(what, sizeof what, "matmul_w4 g%d%s", group, act == PARE_ACT_NONE ? "" : " relu");
    compare(tag<T>(what, rows, k, n), e1, e0, y1.get(), y0.get(), tol<T>());
  }
}

template <typename T> void checks()
{
  pare_llm_blas *b = nullptr;
  /* products up to K 300, N 2 x 300 (gated) and q, k, v 4 x 64 + 2 x 2 x 64 */
  CUDA_OK(pare_llm_blas_create(&b, 160, 300, 600, (size_t)300 * 300 * sizeof(T), 0, 0));
  const int shapes[][2] = {{64, 96}, {33, 17}, {100, 70}, {256, 131}, {300, 300}};
  for (int rows : {1, 3, 5, 37, 160})
    for (auto &s : shapes)
      check_linear<T>(b, rows, s[0], s[1]);
  for (int rows : {4, 9, 128})
    for (auto &s : shapes)
      check_gated<T>(b, rows, s[0], s[1]);
  for (int rows : {2, 6, 77}) {
    check_qkv<T>(b, rows, 64, 4, 2, 64, 64, 0, true, false);
    check_qkv<T>(b, rows, 64, 4, 2, 64, 64, 0, true, true);
    check_qkv<T>(b, rows, 96, 4, 4, 32, 32, 1, true, false);
    check_qkv<T>(b, rows, 40, 3, 1, 30, 16, 0, true, true); /* partial rotary, odd shapes */
    check_qkv<T>(b, rows, 48, 2, 2, 16, 0, 0, false, false);
  }
  for (int rows : {3, 5, 64, 160})
    for (int group : {16, 32, 64, 128})
      for (auto &s : {std::pair<int, int>{128, 96}, {100, 33}, {256, 300}})
        check_w4<T>(b, rows, s.first, s.second, group);
  /* beyond the context (rows, K, N): pare's kernels, bit for bit */
  {
    Buf<T> x(rnd((size_t)200 * 320)), w(weights(640, 320)), y0((size_t)200 * 640),
        y1((size_t)200 * 640);
    cudaError_t e1 = blas_matmul(b, x.p, w.p, y1.p, 200, 320, 640, PARE_ACT_NONE);
    cudaError_t e0 = pare_matmul(x.p, w.p, y0.p, 200, 320, 640, PARE_ACT_NONE);
    compare(tag<T>("beyond the context: pare's kernels", 200, 320, 640), e1, e0, y1.get(),
            y0.get(), 0.0f);
  }
  pare_llm_blas_destroy(b);
}

/* ---- timings ---- */

struct Bare {
  cublasHandle_t h;
  void *ws;
  cudaStream_t s = nullptr;
  Bare()
  {
    if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS)
      exit(2);
    CUDA_OK(cudaMalloc(&ws, (size_t)32 << 20));
  }
  ~Bare()
  {
    cublasDestroy(h);
    cudaFree(ws);
  }
  /* y [rows][n] = x [rows][k] . w[n][k]^T, fp16 in and out, float sums. */
  cudaError_t gemm(const __half *x, const __half *w, __half *y, int rows, int k, int n,
                   cudaStream_t stream)
  {
    if (stream != s) {
      if (cublasSetStream(h, stream) != CUBLAS_STATUS_SUCCESS ||
          cublasSetWorkspace(h, ws, (size_t)32 << 20) != CUBLAS_STATUS_SUCCESS)
        return cudaErrorUnknown;
      s = stream;
    }
    const float one = 1.0f, zero = 0.0f;
    return cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, n, rows, k, &one, w, CUDA_R_16F, k, x,
                        CUDA_R_16F, k, &zero, y, CUDA_R_16F, n, CUBLAS_COMPUTE_32F,
                        CUBLAS_GEMM_DEFAULT) == CUBLAS_STATUS_SUCCESS
               ? cudaSuccess
               : cudaErrorUnknown;
  }
};

typedef std::function<cudaError_t(int, cudaStream_t)> Launch;
double us(const Launch &l) { return graph_time_us(l, 5, 5); }

void bench(bool dense)
{
  const int H = 4096, F = 11008, HEADS = 32, HD = 128, MAXR = 2048, MC = 4096;
  typedef __half T;
  Buf<T> x(rnd((size_t)MAXR * F)), nw(rnd(F, 0.5f, 1.5f)), res(rnd((size_t)MAXR * H));
  Buf<T> y((size_t)MAXR * 2 * F), wqkv(weights(3 * (size_t)H, H)), wo(weights(H, H));
  Buf<T> wgu(weights(2 * (size_t)F, H)), wd(weights(H, F));
  Buf<T> kc((size_t)HEADS * MC * HD), vc((size_t)HEADS * MC * HD);
  Vec inv(HD / 2);
  for (int i = 0; i < HD / 2; ++i)
    inv[i] = powf(10000.0f, -2.0f * i / HD);
  Buf<float> invb(inv);
  std::vector<int32_t> pos(MAXR);
  for (int r = 0; r < MAXR; ++r)
    pos[r] = r;
  int32_t *dpos;
  CUDA_OK(cudaMalloc((void **)&dpos, MAXR * sizeof(int32_t)));
  CUDA_OK(cudaMemcpy(dpos, pos.data(), MAXR * sizeof(int32_t), cudaMemcpyHostToDevice));
  pare_llm_blas *b = nullptr;
  CUDA_OK(pare_llm_blas_create(&b, MAXR, F, 2 * F, (size_t)F * H * sizeof(T), 0, 0));
  Bare bare;
  const T *wq = wqkv.p, *wk = wq + (size_t)H * H, *wv = wk + (size_t)H * H;
  const T *wg = wgu.p, *wu = wg + (size_t)F * H;
  /* the inputs' copies (legacy stream) are done before the timed non-blocking streams start */
  CUDA_OK(cudaDeviceSynchronize());

  if (dense)
    printf("\nOne Llama-2-7B layer's products, fp16, microseconds (CUDA graph replays):\n");
  if (dense)
    printf("%-22s %6s %10s %10s %10s %9s %9s\n", "product", "rows", "pare", "blas", "cublas",
           "blas/cu", "pare/cu");
  for (int rows : {512, 2048}) {
    if (!dense)
      break;
    QkvArgs<T> qa{x.p, nw.p, wq, wk, wv, dpos, invb.p, HD, 0, y.p, kc.p, vc.p, rows, H, HEADS,
                  HEADS, HD, MC};
    struct Row {
      const char *name;
      Launch pare, blas, cu;
    } table[] = {
        {"qkv 4096->3x4096", [&](int, cudaStream_t s) { return pare_qkv(qa, s); },
         [&](int, cudaStream_t s) { return blas_qkv(b, qa, s); },
         [&](int, cudaStream_t s) { return bare.gemm(x.p, wq, y.p, rows, H, 3 * H, s); }},
        {"o 4096->4096 +res",
         [&](int, cudaStream_t s) {
           return pare_linear(x.p, (const T *)nullptr, wo.p, res.p, y.p, rows, H, H,
                              PARE_ACT_NONE, s);
         },
         [&](int, cudaStream_t s) {
           return blas_linear(b, x.p, (const T *)nullptr, wo.p, res.p, y.p, rows, H, H,
                              PARE_ACT_NONE, s);
         },
         [&](int, cudaStream_t s) { return bare.gemm(x.p, wo.p, y.p, rows, H, H, s); }},
        {"gate/up 4096->2x11008",
         [&](int, cudaStream_t s) { return pare_gated(x.p, nw.p, wg, wu, y.p, rows, H, F, s); },
         [&](int, cudaStream_t s) {
           return blas_gated(b, x.p, nw.p, wg, wu, y.p, rows, H, F, s);
         },
         [&](int, cudaStream_t s) { return bare.gemm(x.p, wg, y.p, rows, H, 2 * F, s); }},
        {"down 11008->4096 +res",
         [&](int, cudaStream_t s) {
           return pare_linear(x.p, (const T *)nullptr, wd.p, res.p, y.p, rows, F, H,
                              PARE_ACT_NONE, s);
         },
         [&](int, cudaStream_t s) {
           return blas_linear(b, x.p, (const T *)nullptr, wd.p, res.p, y.p, rows, F, H,
                              PARE_ACT_NONE, s);
         },
         [&](int, cudaStream_t s) { return bare.gemm(x.p, wd.p, y.p, rows, F, H, s); }},
    };
    double sp = 0, sb = 0, sc = 0;
    for (const Row &r : table) {
      double p = us(r.pare), bl = us(r.blas), c = us(r.cu);
      sp += p;
      sb += bl;
      sc += c;
      printf("%-22s %6d %10.1f %10.1f %10.1f %8.2fx %8.2fx\n", r.name, rows, p, bl, c, bl / c,
             p / c);
    }
    printf("%-22s %6d %10.1f %10.1f %10.1f %8.2fx %8.2fx\n", "layer (sum)", rows, sp, sb, sc,
           sb / sc, sp / sc);
  }

  printf("\nInt4 (group 128) products of one layer, fp16 activations, microseconds (blas: %s):\n",
         pare_llm_blas_w4_slices());
  printf("%-22s %6s %10s %10s %10s %9s %9s\n", "product", "rows", "pare w4", "blas w4",
         "cublas16", "blas/cu", "pare/cu");
  const int G = 128;
  W4<T> w4hh(H, H, G), w4hf(H, F, G), w4fh(F, H, G);
  CUDA_OK(cudaDeviceSynchronize());
  for (int rows : {512, 2048}) {
    struct Row {
      const char *name;
      int k, n, count;
      const W4<T> *w;
      const T *dense;
    } table[] = {{"q/k/v/o 4096->4096", H, H, 4, &w4hh, wo.p},
                 {"gate/up 4096->11008", H, F, 2, &w4hf, wg},
                 {"down 11008->4096", F, H, 1, &w4fh, wd.p}};
    double sp = 0, sb = 0, sc = 0;
    for (const Row &r : table) {
      double p = us([&](int, cudaStream_t s) {
        return pare_w4(x.p, r.w->qw, r.w->sz->p, y.p, rows, r.k, r.n, G, PARE_ACT_NONE, s);
      });
      double bl = us([&](int, cudaStream_t s) {
        return blas_w4(b, x.p, r.w->qw, r.w->sz->p, y.p, rows, r.k, r.n, G, PARE_ACT_NONE, s);
      });
      double c =
          us([&](int, cudaStream_t s) { return bare.gemm(x.p, r.dense, y.p, rows, r.k, r.n, s); });
      sp += p * r.count;
      sb += bl * r.count;
      sc += c * r.count;
      printf("%-18s x%d %6d %10.1f %10.1f %10.1f %8.2fx %8.2fx\n", r.name, r.count, rows, p, bl,
             c, bl / c, p / c);
    }
    printf("%-22s %6d %10.1f %10.1f %10.1f %8.2fx %8.2fx\n", "layer (sum)", rows, sp, sb, sc,
           sb / sc, sp / sc);
  }
  pare_llm_blas_destroy(b);
  cudaFree(dpos);
}

} // namespace

int main(int argc, char **argv)
{
  int dev = 0;
  if (cudaGetDeviceCount(&dev) != cudaSuccess || dev == 0) {
    printf("no CUDA device\n");
    return 2;
  }
  if (argc > 1 && strcmp(argv[1], "--bench") == 0) {
    bench(!(argc > 2 && strcmp(argv[2], "w4") == 0));
    return 0;
  }
  /* The context's argument checks. */
  pare_llm_blas *none = (pare_llm_blas *)1;
  verdict("create with max_rows 0 fails and sets NULL",
          pare_llm_blas_create(&none, 0, 8, 8, 0, 0, 0) == cudaErrorInvalidValue && !none);
  pare_llm_blas_destroy(nullptr);
  checks<float>();
  checks<__half>();
  printf("blas: %d passed, %d failed\n", g_pass, g_fail);
  return g_fail ? 1 : 0;
}
