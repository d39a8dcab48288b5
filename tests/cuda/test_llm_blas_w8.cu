/*
 * Tests of the cuBLASLt int8 prefill path (pare_llm_blas_linear_w8a8_f32 /
 * _f16, runtime-stubs/cuda-llm/pare_cu_llm_blas_w8.cu, --cuda-gemm cublas,
 * issue 19) against pare's own pare_llm_linear_w8a8_* (pare_cu_llm_w8.cu),
 * BIT FOR BIT: both quantize with the same kernel, their int32 sums are
 * exact, and the epilogue is the same float operations in the same order.
 * Standalone; needs a GPU (tests/cuda/run_blas_w8_check.sh builds and runs
 * it):
 *
 *   nvcc -std=c++17 -O3 -arch=sm_90a -Iruntime-stubs/cuda-llm -Iruntime-stubs/c \
 *     tests/cuda/test_llm_blas_w8.cu runtime-stubs/cuda-llm/pare_cu_llm_blas_w8.cu \
 *     runtime-stubs/cuda-llm/pare_cu_llm_blas.cu runtime-stubs/cuda-llm/pare_cu_llm_w8.cu \
 *     <the other objects pare_cu_llm_blas.cu needs> -lcublas -lcublasLt -o test_llm_blas_w8
 *   ./test_llm_blas_w8           the checks
 *   ./test_llm_blas_w8 --bench   M = 512 and 2048 by K x N = 4096 x 4096, 4096 x 11008,
 *                                11008 x 4096: the bare cuBLASLt int8 GEMM, the whole blas W8A8
 *                                linear (quantize + GEMM + epilogue), pare's own int8 linear and
 *                                cuBLAS fp16 (cublasGemmEx, f32 accumulation), and the ratios;
 *                                then one Llama-2-7B layer's products at 512 and 2048 rows: fp16
 *                                (pare's kernels, the cuBLAS path) against W8A8 (pare's int8
 *                                kernels, the cuBLASLt path), as the decoders launch them
 *
 * Cases: rows 1..4 (pare's GEMV, called unchanged) and 5..2048 (quantize,
 * cuBLASLt, epilogue), f32 and f16, per token and per tensor, with and
 * without the norm prologue, the residual (apart, or y itself), activations
 * (none, ReLU, SiLU, GELU, tanh-GELU), K padded or not (odd K), N odd (cuBLASLt
 * may offer no algorithm: pare's GEMM then, still bit for bit), x misaligned;
 * every row count 5..80 (more shapes than the plan table holds); steps
 * beyond the context's sizes (pare's own kernels); repeated calls, a graph
 * capture, the argument checks. White box: for N a
 * multiple of 4 the context's int32 sums must have been written by cuBLASLt
 * (not a fallback), and on small shapes equal the exact sums of the codes
 * the quantize pass left in the workspace.
 * Prints "N passed, M failed"; exits 1 on any failure, 2 if it cannot run.
 */
#include "pare_cu_llm.cuh"
#include "pare_cu_llm_blas.cuh"
#include "pare_cu_llm_blas_impl.cuh" /* white box: the context's int32 sums */

#include "bench_support.h"
#include "llm_test_support.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <algorithm>

namespace {

enum Residual { kNoResidual, kApart, kAliasY };

struct Case {
  int rows, k, n;
  float act_scale; /* > 0: per tensor */
  bool norm;
  Residual residual;
  pare_act_t act;
  int x_offset; /* elements: 1 misaligns x */
};

const char *act_name(pare_act_t a)
{
  switch (a) {
  case PARE_ACT_RELU: return " relu";
  case PARE_ACT_SILU: return " silu";
  case PARE_ACT_GELU: return " gelu";
  case PARE_ACT_GELU_TANH: return " gelu-tanh";
  default: return "";
  }
}

std::string describe(const Case &c)
{
  char b[200];
  snprintf(b, sizeof b, "blas w8a8 rows %d k %d n %d %s%s%s%s%s", c.rows, c.k, c.n,
           c.act_scale > 0.0f ? "per-tensor" : "per-token", c.norm ? " norm" : "",
           c.residual == kApart ? " residual" : c.residual == kAliasY ? " residual=y" : "",
           act_name(c.act), c.x_offset ? " x-misaligned" : "");
  return b;
}

/* The raw bytes of a device buffer of T (bitwise comparisons: -0, NaN). */
template <typename T> std::vector<unsigned char> raw(const Buf<T> &b)
{
  std::vector<unsigned char> h(b.n * sizeof(T));
  CUDA_OK(cudaDeviceSynchronize());
  CUDA_OK(cudaMemcpy(h.data(), b.p, h.size(), cudaMemcpyDeviceToHost));
  return h;
}

template <typename T>
cudaError_t own(const T *x, const T *nw, const int8_t *w, const float *ws, const T *res, T *y,
                const Case &c, void *work, cudaStream_t s)
{
  if constexpr (sizeof(T) == 4)
    return pare_llm_linear_w8a8_f32(x, nw, 1e-5f, w, ws, res, y, c.rows, c.k, c.n, c.act_scale,
                                    c.act, 0.0f, 0.0f, work, s);
  else
    return pare_llm_linear_w8a8_f16(x, nw, 1e-5f, w, ws, res, y, c.rows, c.k, c.n, c.act_scale,
                                    c.act, 0.0f, 0.0f, work, s);
}

template <typename T>
cudaError_t blas(pare_llm_blas *b, const T *x, const T *nw, const int8_t *w, const float *ws,
                 const T *res, T *y, const Case &c, void *work, cudaStream_t s)
{
  if constexpr (sizeof(T) == 4)
    return pare_llm_blas_linear_w8a8_f32(b, x, nw, 1e-5f, w, ws, res, y, c.rows, c.k, c.n,
                                         c.act_scale, c.act, 0.0f, 0.0f, work, s);
  else
    return pare_llm_blas_linear_w8a8_f16(b, x, nw, 1e-5f, w, ws, res, y, c.rows, c.k, c.n,
                                         c.act_scale, c.act, 0.0f, 0.0f, work, s);
}

/* Random int8 weights [n][kp], rows zero-padded past k. */
std::vector<int8_t> random_w8(int n, int k)
{
  const size_t kp = PARE_LLM_W8_ROW_BYTES(k);
  std::vector<int8_t> w((size_t)n * kp, 0);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < k; ++i)
      w[(size_t)j * kp + i] = (int8_t)((int)(g_rng() % 255) - 127);
  return w;
}

/* Built like pare_cu_llm_blas_w8.cu with -DPARE_LLM_BLAS_W8_CHUNK_BYTES=N:
 * the context's sums hold the last chunk only (no white-box sum check). */
#if defined(PARE_LLM_BLAS_W8_CHUNK_BYTES)
constexpr bool kChunked = PARE_LLM_BLAS_W8_CHUNK_BYTES > 0;
#else
constexpr bool kChunked = false;
#endif

int g_fallbacks = 0; /* cases whose N cuBLASLt took no algorithm for (pare's GEMM ran) */

template <typename T> void run_case(pare_llm_blas *ctx, const Case &c, cudaStream_t s)
{
  const std::string name = describe(c) + " " + Ty<T>::name();
  const int rows = c.rows, k = c.k, n = c.n;
  const size_t kp = PARE_LLM_W8_ROW_BYTES(k);

  /* x with an outlier channel a row; per tensor: a scale that clamps some
   * codes (the outliers) and leaves the rest in range. */
  Vec x = rnd((size_t)rows * k);
  for (int r = 0; r < rows; ++r)
    x[(size_t)r * k + (r * 7) % k] *= 20.0f;
  Vec xdev((size_t)rows * k + c.x_offset, 0.0f);
  std::copy(x.begin(), x.end(), xdev.begin() + c.x_offset);
  const Vec res = rnd((size_t)rows * n);
  const std::vector<int8_t> w = random_w8(n, k);
  Buf<T> dx(xdev), dnw(rnd(k, 0.5f, 1.5f)), dres(res), y_own((size_t)rows * n),
      y_blas((size_t)rows * n);
  Buf<float> dws(rnd(n, 0.5e-3f, 2e-3f));
  int8_t *dw = nullptr;
  void *work_own = nullptr, *work_blas = nullptr;
  const size_t work_bytes = PARE_LLM_W8_WORKSPACE_BYTES(rows, k);
  CUDA_OK(cudaMalloc((void **)&dw, w.size()));
  CUDA_OK(cudaMemcpy(dw, w.data(), w.size(), cudaMemcpyHostToDevice));
  CUDA_OK(cudaMalloc(&work_own, work_bytes));
  CUDA_OK(cudaMalloc(&work_blas, work_bytes + 64));
  /* The blas workspace 64 bytes off cudaMalloc's 256: the codes' 256-byte
   * shift must stay inside the contract's size (the rest is poisoned). */
  char *wb = (char *)work_blas + 64;
  CUDA_OK(cudaMemset(work_blas, 0x5A, work_bytes + 64));
  CUDA_OK(cudaMemset(work_own, 0x5A, work_bytes));
  if (c.residual == kAliasY) {
    y_own.set(res);
    y_blas.set(res);
  } else {
    y_own.set(Vec((size_t)rows * n, 12345.0f));
    y_blas.set(Vec((size_t)rows * n, -777.0f)); /* every output must be written */
  }
  /* The copies above are on the legacy stream, which s (non-blocking) does
   * not wait for. */
  CUDA_OK(cudaDeviceSynchronize());
  CUDA_OK(cudaMemsetAsync(ctx->acc, 0x7F, ctx->acc_elems * sizeof(int32_t), s));
  const T *nw = c.norm ? dnw.p : nullptr;
  const T *x_p = dx.p + c.x_offset;
  const T *res_own = c.residual == kApart ? dres.p : c.residual == kAliasY ? y_own.p : nullptr;
  const T *res_blas = c.residual == kApart ? dres.p : c.residual == kAliasY ? y_blas.p : nullptr;
  cudaError_t e = own<T>(x_p, nw, dw, dws.p, res_own, y_own.p, c, work_own, s);
  cudaError_t eb = blas<T>(ctx, x_p, nw, dw, dws.p, res_blas, y_blas.p, c, wb, s);
  CUDA_OK(cudaStreamSynchronize(s));
  std::string why;
  if (e != cudaSuccess || eb != cudaSuccess) {
    why = std::string("pare ") + cudaGetErrorName(e) + ", blas " + cudaGetErrorName(eb);
  } else {
    const auto a = raw(y_own), b = raw(y_blas);
    for (size_t i = 0; i < (size_t)rows * n && why.empty(); ++i)
      if (memcmp(&a[i * sizeof(T)], &b[i * sizeof(T)], sizeof(T))) {
        T va, vb;
        memcpy(&va, &a[i * sizeof(T)], sizeof(T));
        memcpy(&vb, &b[i * sizeof(T)], sizeof(T));
        char m[200];
        snprintf(m, sizeof m, "y[%zu][%zu]: blas %.9g, pare's own %.9g", i / n, i % n,
                 Ty<T>::from(vb), Ty<T>::from(va));
        why = m;
      }
  }
  /* White box: the int32 sums (past the GEMV, within the context's sizes:
   * beyond them pare's own kernels run). */
  const bool lt_expected = rows > PARE_LLM_W8_GEMV_ROWS && rows <= ctx->max_rows &&
                           k <= ctx->max_k && n <= ctx->max_n;
  if (why.empty() && lt_expected) {
    std::vector<int32_t> acc((size_t)rows * n);
    CUDA_OK(cudaMemcpy(acc.data(), ctx->acc, acc.size() * sizeof(int32_t),
                       cudaMemcpyDeviceToHost));
    bool untouched = true;
    for (int32_t v : acc)
      untouched = untouched && v == 0x7F7F7F7F;
    if (untouched) {
      if (n % 4 == 0)
        why = "cuBLASLt did not run (the context's sums are unwritten) for N a multiple of 4";
      else
        ++g_fallbacks;
    } else if (!kChunked && (double)rows * n * k <= 6e7) {
      /* the codes the quantize pass left at the workspace's first 256-byte boundary */
      std::vector<int8_t> q((size_t)rows * kp);
      const char *qd = (const char *)(((uintptr_t)wb + 255) & ~(uintptr_t)255);
      CUDA_OK(cudaMemcpy(q.data(), qd, q.size(), cudaMemcpyDeviceToHost));
      for (int r = 0; r < rows && why.empty(); ++r)
        for (int j = 0; j < n && why.empty(); ++j) {
          int32_t sum = 0;
          for (size_t i = 0; i < kp; ++i)
            sum += (int32_t)q[(size_t)r * kp + i] * (int32_t)w[(size_t)j * kp + i];
          if (sum != acc[(size_t)r * n + j]) {
            char m[160];
            snprintf(m, sizeof m, "acc[%d][%d] %d, the exact sum of the codes %d", r, j,
                     acc[(size_t)r * n + j], sum);
            why = m;
          }
        }
    }
  }
  /* A second call (the plan comes from the table now) gives the same y. */
  if (why.empty() && c.residual != kAliasY) {
    const auto first = raw(y_blas);
    y_blas.set(Vec((size_t)rows * n, 3.0f));
    CUDA_OK(cudaDeviceSynchronize());
    eb = blas<T>(ctx, x_p, nw, dw, dws.p, res_blas, y_blas.p, c, wb, s);
    CUDA_OK(cudaStreamSynchronize(s));
    if (eb != cudaSuccess)
      why = std::string("second call: ") + cudaGetErrorName(eb);
    else if (raw(y_blas) != first)
      why = "a second call differs from the first";
  }
  cudaFree(dw);
  cudaFree(work_own);
  cudaFree(work_blas);
  verdict(name, why.empty(), why);
}

/* A prefill-sized call and a decode call captured into one CUDA graph (the
 * global mode: an unsafe call fails the capture), after an eager pair that
 * made the shape's plan (a decoder's first prefill runs eagerly); the
 * replays equal the eager results and pare's own kernels'. */
template <typename T> void test_capture(pare_llm_blas *ctx, cudaStream_t s)
{
  const std::string name = std::string("blas w8a8 graph capture ") + Ty<T>::name();
  const Case big{77, 320, 96, 0.0f, true, kNoResidual, PARE_ACT_SILU, 0};
  const Case one{1, 320, 96, 0.0f, true, kNoResidual, PARE_ACT_SILU, 0};
  const std::vector<int8_t> w = random_w8(big.n, big.k);
  Buf<T> x(rnd((size_t)big.rows * big.k)), nw(rnd(big.k, 0.5f, 1.5f));
  Buf<T> y0((size_t)big.rows * big.n), y1((size_t)big.rows * big.n), y2((size_t)big.rows * big.n);
  Buf<T> d0(big.n), d1(big.n), d2(big.n);
  Buf<float> ws(rnd(big.n, 0.5e-3f, 2e-3f));
  int8_t *dw;
  void *work;
  CUDA_OK(cudaMalloc((void **)&dw, w.size()));
  CUDA_OK(cudaMemcpy(dw, w.data(), w.size(), cudaMemcpyHostToDevice));
  CUDA_OK(cudaMalloc(&work, PARE_LLM_W8_WORKSPACE_BYTES(big.rows, big.k)));
  auto pair = [&](T *y, T *d) {
    cudaError_t e = blas<T>(ctx, x.p, nw.p, dw, ws.p, nullptr, y, big, work, s);
    return e != cudaSuccess ? e : blas<T>(ctx, x.p, nw.p, dw, ws.p, nullptr, d, one, work, s);
  };
  cudaGraph_t g = nullptr;
  cudaGraphExec_t ge = nullptr;
  CUDA_OK(cudaDeviceSynchronize()); /* the copies above, before work on s */
  cudaError_t e = own<T>(x.p, nw.p, dw, ws.p, nullptr, y0.p, big, work, s);
  if (e == cudaSuccess)
    e = own<T>(x.p, nw.p, dw, ws.p, nullptr, d0.p, one, work, s);
  if (e == cudaSuccess)
    e = pair(y1.p, d1.p);
  if (e == cudaSuccess)
    e = cudaStreamSynchronize(s);
  if (e == cudaSuccess)
    e = cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal);
  if (e == cudaSuccess) {
    e = pair(y2.p, d2.p);
    const cudaError_t end = cudaStreamEndCapture(s, &g);
    e = e != cudaSuccess ? e : end;
  }
  if (e == cudaSuccess)
    e = cudaGraphInstantiate(&ge, g, 0);
  for (int rep = 0; rep < 2 && e == cudaSuccess; ++rep)
    e = cudaGraphLaunch(ge, s);
  if (e == cudaSuccess)
    e = cudaStreamSynchronize(s);
  bool same = false;
  if (e == cudaSuccess)
    same = raw(y0) == raw(y1) && raw(y1) == raw(y2) && raw(d0) == raw(d1) && raw(d1) == raw(d2);
  if (ge)
    cudaGraphExecDestroy(ge);
  if (g)
    cudaGraphDestroy(g);
  cudaFree(dw);
  cudaFree(work);
  verdict(name, e == cudaSuccess && same,
          e != cudaSuccess ? cudaGetErrorString(e)
                           : "eager, replayed and pare's own results differ");
}

/* Bad arguments are refused with cudaErrorInvalidValue before any launch;
 * no rows is a no-op; no context runs pare's own kernels. */
template <typename T> void test_errors(pare_llm_blas *ctx)
{
  const std::string name = std::string("blas w8a8 argument checks ") + Ty<T>::name();
  const int k = 64, n = 32, rows = 8;
  Buf<T> x((size_t)rows * k), y((size_t)rows * n);
  Buf<float> ws(n);
  int8_t *w;
  void *work;
  CUDA_OK(cudaMalloc((void **)&w, (size_t)n * PARE_LLM_W8_ROW_BYTES(k) + 16));
  CUDA_OK(cudaMalloc(&work, PARE_LLM_W8_WORKSPACE_BYTES(rows, k)));
  auto call = [&](pare_llm_blas *b, const T *xp, const int8_t *wp, T *yp, int rr, int kk,
                  int nn, void *wk) {
    const Case c{rr, kk, nn, 0.0f, false, kNoResidual, PARE_ACT_NONE, 0};
    return blas<T>(b, xp, nullptr, wp, ws.p, nullptr, yp, c, wk, 0);
  };
  struct Expect {
    const char *what;
    cudaError_t got, want;
  } checks[] = {
      {"no context", call(nullptr, x.p, w, y.p, 8, k, n, work), cudaSuccess},
      {"misaligned w", call(ctx, x.p, w + 1, y.p, 8, k, n, work), cudaErrorInvalidValue},
      {"no workspace", call(ctx, x.p, w, y.p, 8, k, n, nullptr), cudaErrorInvalidValue},
      {"k 0", call(ctx, x.p, w, y.p, 8, 0, n, work), cudaErrorInvalidValue},
      {"n 0", call(ctx, x.p, w, y.p, 8, k, 0, work), cudaErrorInvalidValue},
      {"y == x", call(ctx, x.p, w, x.p, 8, k, n, work), cudaErrorInvalidValue},
      {"0 rows", call(ctx, x.p, w, y.p, 0, k, n, work), cudaSuccess},
      {"decode without a context", call(nullptr, x.p, w, y.p, 1, k, n, work), cudaSuccess},
  };
  CUDA_OK(cudaDeviceSynchronize());
  cudaFree(w);
  cudaFree(work);
  std::string why;
  for (const Expect &c : checks)
    if (c.got != c.want)
      why += std::string(why.empty() ? "" : "; ") + c.what + ": " + cudaGetErrorName(c.got);
  verdict(name, why.empty(), why);
}

template <typename T> void test_all(pare_llm_blas *ctx, cudaStream_t s)
{
  const pare_act_t none = PARE_ACT_NONE, relu = PARE_ACT_RELU, silu = PARE_ACT_SILU,
                   gelu = PARE_ACT_GELU, gelu_tanh = PARE_ACT_GELU_TANH;
  /* rows, k, n, act_scale, norm, residual, act, x_offset */
  const Case cases[] = {
      /* decode: pare's GEMV unchanged */
      {1, 576, 192, 0.0f, true, kAliasY, none, 0},
      {4, 333, 65, 0.05f, false, kApart, relu, 1},
      /* prefill: quantize + cuBLASLt + epilogue */
      {5, 64, 32, 0.0f, false, kNoResidual, none, 0},
      {8, 4096, 4096, 0.0f, true, kAliasY, none, 0},
      {37, 100, 72, 0.0f, false, kApart, relu, 0},     /* K padded */
      {130, 1000, 136, 0.0f, false, kAliasY, none, 0},
      {129, 333, 257, 0.0f, false, kApart, none, 1},   /* odd K and N, x misaligned */
      {64, 1000, 128, 0.02f, false, kApart, none, 0},  /* per tensor (clamped outliers) */
      {200, 576, 192, 0.0f, true, kAliasY, silu, 0},   /* norm + SiLU + residual = y */
      {48, 576, 200, 0.0f, true, kNoResidual, gelu, 0},
      {9, 2048, 1, 0.0f, false, kApart, none, 0},      /* one output */
      {260, 4096, 264, 0.0f, false, kNoResidual, gelu_tanh, 0},
      {300, 575, 301, 0.03f, true, kApart, silu, 0},   /* odd K and N, per tensor, norm */
      {512, 4096, 1024, 0.0f, true, kApart, none, 0},
      {1024, 1536, 2048, 0.02f, false, kAliasY, silu, 0},
      {2048, 4096, 512, 0.0f, true, kAliasY, none, 0},
      {2048, 576, 1536, 0.0f, false, kNoResidual, relu, 0},
      /* beyond the context's sizes (2048 x 4096 x 4096): pare's own kernels */
      {2100, 64, 32, 0.0f, false, kApart, none, 0},
      {40, 5000, 64, 0.0f, true, kNoResidual, silu, 0},
      {16, 64, 4100, 0.0f, false, kAliasY, none, 0},
  };
  for (const Case &c : cases)
    run_case<T>(ctx, c, s);
  /* Every row count 5..80 on one small shape: more plans than the table
   * keeps (it evicts and remakes them). */
  for (int rows = 5; rows <= 80; ++rows)
    run_case<T>(ctx, Case{rows, 96, 40, rows % 3 ? 0.0f : 0.04f, rows % 2 == 0, kApart, none, 0},
                s);
  test_capture<T>(ctx, s);
  test_errors<T>(ctx);
}

/* ---------------------------------------------------------------- bench -- */

/* Microseconds of cublasLtMatmul alone, int8 x int8 -> int32 in the TN
 * layout of the blas path (weights [n][kp], codes [rows][kp], sums [rows][n]),
 * with the heuristic's first algorithm; -1 when cuBLASLt offers none. */
double lt_int8_us(cublasLtHandle_t lt, int rows, int kp, int n, const DeviceCopies &w8,
                  const int8_t *q, int32_t *acc, void *ws, size_t ws_bytes)
{
  cublasLtMatmulDesc_t desc;
  cublasLtMatrixLayout_t la, lb, lc;
  cublasLtMatmulPreference_t pref;
  const cublasOperation_t opT = CUBLAS_OP_T, opN = CUBLAS_OP_N;
  cublasLtMatmulDescCreate(&desc, CUBLAS_COMPUTE_32I, CUDA_R_32I);
  cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSA, &opT, sizeof opT);
  cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSB, &opN, sizeof opN);
  cublasLtMatrixLayoutCreate(&la, CUDA_R_8I, kp, n, kp);
  cublasLtMatrixLayoutCreate(&lb, CUDA_R_8I, kp, rows, kp);
  cublasLtMatrixLayoutCreate(&lc, CUDA_R_32I, n, rows, n);
  cublasLtMatmulPreferenceCreate(&pref);
  cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws_bytes,
                                       sizeof ws_bytes);
  cublasLtMatmulHeuristicResult_t heur;
  int found = 0;
  double us = -1.0;
  if (cublasLtMatmulAlgoGetHeuristic(lt, desc, la, lb, lc, lc, pref, 1, &heur, &found) ==
          CUBLAS_STATUS_SUCCESS &&
      found > 0) {
    const int32_t one = 1, zero = 0;
    us = graph_time_us([&](int i, cudaStream_t s) {
      const cublasStatus_t st = cublasLtMatmul(lt, desc, &one, w8.at<int8_t>(i), la, q, lb, &zero,
                                               acc, lc, acc, lc, &heur.algo, ws, ws_bytes, s);
      return st == CUBLAS_STATUS_SUCCESS ? cudaSuccess : cudaErrorUnknown;
    }, 10);
  }
  cublasLtMatmulPreferenceDestroy(pref);
  cublasLtMatrixLayoutDestroy(la);
  cublasLtMatrixLayoutDestroy(lb);
  cublasLtMatrixLayoutDestroy(lc);
  cublasLtMatmulDescDestroy(desc);
  return us;
}

/* cuBLAS fp16 (f32 accumulation): y [rows][n] = x . w^T. */
double cublas_f16_us(cublasHandle_t h, int rows, int k, int n, const DeviceCopies &w16,
                     const __half *x, __half *y)
{
  const float one = 1.0f, zero = 0.0f;
  return graph_time_us([&](int i, cudaStream_t s) {
    cublasSetStream(h, s);
    const cublasStatus_t st =
        cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, n, rows, k, &one, w16.at<__half>(i), CUDA_R_16F,
                     k, x, CUDA_R_16F, k, &zero, y, CUDA_R_16F, n, CUBLAS_COMPUTE_32F,
                     CUBLAS_GEMM_DEFAULT);
    return st == CUBLAS_STATUS_SUCCESS ? cudaSuccess : cudaErrorUnknown;
  }, 10);
}

void bench()
{
  const int shapes[][2] = {{4096, 4096}, {4096, 11008}, {11008, 4096}};
  const int max_rows = 2048, max_k = 11008, max_n = 11008;
  cudaStream_t s;
  CUDA_OK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  pare_llm_blas *ctx = nullptr;
  CUDA_OK(pare_llm_blas_create(&ctx, max_rows, max_k, max_n, 0, 1, s));
  cublasHandle_t f16_handle; /* the fp16 reference's own (the context's stays on its stream) */
  if (cublasCreate(&f16_handle) != CUBLAS_STATUS_SUCCESS) {
    fprintf(stderr, "cublasCreate failed\n");
    exit(2);
  }
  printf("f16 activations, per-token scales, no norm / residual; weights streamed from memory "
         "(copies past L2); CUDA-graph medians of 50 calls\n");
  printf("%5s %6s %6s | %18s | %18s | %18s | %18s | %s\n", "M", "K", "N",
         "cuBLASLt int8 GEMM", "blas W8A8 linear", "pare W8A8 linear", "cuBLAS fp16",
         "vs fp16: Lt GEMM, blas linear, pare");
  for (int rows : {512, 2048})
    for (const auto &sh : shapes) {
      const int k = sh[0], n = sh[1];
      const size_t kp = PARE_LLM_W8_ROW_BYTES(k);
      const double ops = 2.0 * rows * k * n;
      const std::vector<int8_t> w = random_w8(n, k);
      DeviceCopies dw(w.data(), w.size());
      std::vector<__half> w16((size_t)n * k);
      for (size_t i = 0; i < w16.size(); ++i)
        w16[i] = __float2half_rn((float)((i * 2654435761u) % 2001) / 1000.0f - 1.0f);
      DeviceCopies dw16(w16.data(), w16.size() * sizeof(__half));
      Buf<__half> x(rnd((size_t)rows * k)), y((size_t)rows * n);
      Buf<float> ws(rnd(n, 0.5e-3f, 2e-3f));
      void *work;
      CUDA_OK(cudaMalloc(&work, PARE_LLM_W8_WORKSPACE_BYTES(rows, k)));
      const Case c{rows, k, n, 0.0f, false, kNoResidual, PARE_ACT_NONE, 0};
      CUDA_OK(cudaDeviceSynchronize());
      const double blas_us = graph_time_us([&](int i, cudaStream_t st) {
        return blas<__half>(ctx, x.p, nullptr, dw.at<int8_t>(i), ws.p, nullptr, y.p, c, work, st);
      }, 10);
      const double own_us = graph_time_us([&](int i, cudaStream_t st) {
        return own<__half>(x.p, nullptr, dw.at<int8_t>(i), ws.p, nullptr, y.p, c, work, st);
      }, 10);
      /* the bare GEMM on the codes the blas call left in the workspace */
      const int8_t *q = (const int8_t *)(((uintptr_t)work + 255) & ~(uintptr_t)255);
      const double lt_us = lt_int8_us(ctx->lt, rows, (int)kp, n, dw, q, ctx->acc,
                                      ctx->lt_workspace, ctx->lt_workspace_bytes);
      const double f16_us = cublas_f16_us(f16_handle, rows, k, n, dw16, x.p, y.p);
      auto cell = [&](double us, const char *unit) {
        if (us > 0.0)
          printf(" %8.1f us %4.0f %-4s|", us, ops / us / 1e6, unit);
        else
          printf(" %18s |", "no algorithm");
      };
      printf("%5d %6d %6d |", rows, k, n);
      cell(lt_us, "TOPS");
      cell(blas_us, "TOPS");
      cell(own_us, "TOPS");
      cell(f16_us, "TF/s");
      printf(" %.2fx %.2fx %.2fx\n", lt_us > 0 ? f16_us / lt_us : 0.0, f16_us / blas_us,
             f16_us / own_us);
      cudaFree(work);
    }
  cublasDestroy(f16_handle);
  pare_llm_blas_destroy(ctx);
  cudaStreamDestroy(s);
}

/* Weights by a hash (fast for the big bench shapes): int8 codes [n][kp]
 * padded with zeros, fp16 values in [-0.02, 0.02]. */
std::vector<int8_t> hash_w8(int n, int k, uint32_t salt)
{
  const size_t kp = PARE_LLM_W8_ROW_BYTES(k);
  std::vector<int8_t> w((size_t)n * kp, 0);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < k; ++i)
      w[(size_t)j * kp + i] = (int8_t)((int)((((size_t)j * k + i) * 2654435761u + salt) % 255) - 127);
  return w;
}

struct DevW8 {
  int8_t *p = nullptr;
  DevW8(int n, int k, uint32_t salt)
  {
    const std::vector<int8_t> w = hash_w8(n, k, salt);
    CUDA_OK(cudaMalloc((void **)&p, w.size()));
    CUDA_OK(cudaMemcpy(p, w.data(), w.size(), cudaMemcpyHostToDevice));
  }
  ~DevW8() { cudaFree(p); }
  DevW8(const DevW8 &) = delete;
  DevW8 &operator=(const DevW8 &) = delete;
};

Vec hash_f16(size_t count, uint32_t salt)
{
  Vec v(count);
  for (size_t i = 0; i < count; ++i)
    v[i] = ((float)((i * 2654435761u + salt) % 2001) / 1000.0f - 1.0f) * 0.02f;
  return v;
}

/* One Llama-2-7B layer's products (H 4096, F 11008, 32 heads of 128) as the
 * decoders launch them, microseconds a step of `rows` rows:
 *  - fp16, pare's own fused kernels (pare_llm_qkv: norm, rotary, KV write;
 *    pare_llm_linear o + residual; pare_llm_gated: norm, SiLU gate x up;
 *    pare_llm_linear down + residual) and H1's cuBLAS ones (pare_llm_blas_*);
 *  - W8A8 per token, as a W8A8 decoder launches them (q, k, v with the norm
 *    prologue, rotary on q and k, the KV write, o + residual, gate with the
 *    norm and SiLU, up with the norm, gate x up, down + residual), through
 *    pare's int8 kernels and through the cuBLASLt path. */
void bench_layer()
{
  typedef __half T;
  const int H = 4096, F = 11008, HEADS = 32, HD = 128, MAXR = 2048, MC = 4096;
  const float eps = 1e-5f;
  Buf<T> x(rnd((size_t)MAXR * F)), nw(rnd(F, 0.5f, 1.5f)), res(rnd((size_t)MAXR * H));
  Buf<T> q((size_t)MAXR * H), kb((size_t)MAXR * H), vb((size_t)MAXR * H), o((size_t)MAXR * H);
  Buf<T> g((size_t)MAXR * F), u((size_t)MAXR * F), m((size_t)MAXR * F);
  Buf<T> kc((size_t)HEADS * MC * HD), vc((size_t)HEADS * MC * HD);
  Buf<T> wqkv(hash_f16((size_t)3 * H * H, 1)), wo(hash_f16((size_t)H * H, 2));
  Buf<T> wgu(hash_f16((size_t)2 * F * H, 3)), wd(hash_f16((size_t)H * F, 4));
  const T *wq = wqkv.p, *wk = wq + (size_t)H * H, *wv = wk + (size_t)H * H;
  const T *wg = wgu.p, *wu = wg + (size_t)F * H;
  DevW8 q8(H, H, 5), k8(H, H, 6), v8(H, H, 7), o8(H, H, 8), g8(F, H, 9), u8(F, H, 10), d8(H, F, 11);
  Buf<float> sH(rnd(H, 0.5e-3f, 2e-3f)), sF(rnd(F, 0.5e-3f, 2e-3f));
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
  void *work;
  CUDA_OK(cudaMalloc(&work, PARE_LLM_W8_WORKSPACE_BYTES(MAXR, F)));
  pare_llm_blas *b = nullptr;
  CUDA_OK(pare_llm_blas_create(&b, MAXR, F, 2 * F, 0, 1, 0));
  CUDA_OK(cudaDeviceSynchronize());

  typedef cudaError_t (*W8Fn)(pare_llm_blas *, const T *, const T *, float, const int8_t *,
                              const float *, const T *, T *, int, int, int, float, pare_act_t,
                              float, float, void *, cudaStream_t);
  /* pare's int8 linear through the blas signature (the context unused). */
  W8Fn own8 = [](pare_llm_blas *, const T *x_, const T *nw_, float e_, const int8_t *w_,
                 const float *s_, const T *r_, T *y_, int rows_, int k_, int n_, float as_,
                 pare_act_t a_, float aa_, float ab_, void *ws_, cudaStream_t st_) {
    return pare_llm_linear_w8a8_f16(x_, nw_, e_, w_, s_, r_, y_, rows_, k_, n_, as_, a_, aa_, ab_,
                                    ws_, st_);
  };
  W8Fn blas8 = pare_llm_blas_linear_w8a8_f16;

  printf("\nOne Llama-2-7B layer's products (f16 activations), microseconds a step (CUDA graphs; "
         "W8A8 per token):\n");
  printf("%6s %12s %12s %12s %12s | %s\n", "rows", "pare fp16", "blas fp16", "pare W8A8",
         "blas W8A8", "pare fp16 / blas W8A8, blas fp16 / blas W8A8");
  for (int rows : {512, 2048}) {
    auto fp16 = [&](bool lib) {
      return graph_time_us([&](int, cudaStream_t s) {
        cudaError_t e = lib ? pare_llm_blas_qkv_f16(b, x.p, nw.p, eps, wq, wk, wv, dpos, nullptr,
                                                    0, invb.p, HD, 0, q.p, kc.p, vc.p, rows, H,
                                                    HEADS, HEADS, HD, MC, s)
                            : pare_llm_qkv_f16(x.p, nw.p, eps, wq, wk, wv, dpos, nullptr, 0,
                                               invb.p, HD, 0, q.p, kc.p, vc.p, rows, H, HEADS,
                                               HEADS, HD, MC, s);
        if (e == cudaSuccess)
          e = lib ? pare_llm_blas_linear_f16(b, q.p, nullptr, 0.0f, wo.p, res.p, o.p, rows, H, H,
                                             PARE_ACT_NONE, 0.0f, 0.0f, s)
                  : pare_llm_linear_f16(q.p, nullptr, 0.0f, wo.p, res.p, o.p, rows, H, H,
                                        PARE_ACT_NONE, 0.0f, 0.0f, s);
        if (e == cudaSuccess)
          e = lib ? pare_llm_blas_gated_f16(b, o.p, nw.p, eps, wg, wu, g.p, rows, H, F,
                                            PARE_ACT_SILU, 0.0f, 0.0f, s)
                  : pare_llm_gated_f16(o.p, nw.p, eps, wg, wu, g.p, rows, H, F, PARE_ACT_SILU,
                                       0.0f, 0.0f, s);
        if (e == cudaSuccess)
          e = lib ? pare_llm_blas_linear_f16(b, g.p, nullptr, 0.0f, wd.p, o.p, kb.p, rows, F, H,
                                             PARE_ACT_NONE, 0.0f, 0.0f, s)
                  : pare_llm_linear_f16(g.p, nullptr, 0.0f, wd.p, o.p, kb.p, rows, F, H,
                                        PARE_ACT_NONE, 0.0f, 0.0f, s);
        return e;
      }, 5);
    };
    auto w8a8 = [&](W8Fn lin) {
      return graph_time_us([&](int, cudaStream_t s) {
        cudaError_t e = lin(b, x.p, nw.p, eps, q8.p, sH.p, nullptr, q.p, rows, H, H, 0.0f,
                            PARE_ACT_NONE, 0.0f, 0.0f, work, s);
        if (e == cudaSuccess)
          e = lin(b, x.p, nw.p, eps, k8.p, sH.p, nullptr, kb.p, rows, H, H, 0.0f, PARE_ACT_NONE,
                  0.0f, 0.0f, work, s);
        if (e == cudaSuccess)
          e = lin(b, x.p, nw.p, eps, v8.p, sH.p, nullptr, vb.p, rows, H, H, 0.0f, PARE_ACT_NONE,
                  0.0f, 0.0f, work, s);
        if (e == cudaSuccess)
          e = pare_llm_rotary_f16(q.p, dpos, invb.p, q.p, rows, HEADS, HD, HD, 0, s);
        if (e == cudaSuccess)
          e = pare_llm_rotary_f16(kb.p, dpos, invb.p, kb.p, rows, HEADS, HD, HD, 0, s);
        if (e == cudaSuccess)
          e = pare_llm_kv_write_f16(kb.p, vb.p, dpos, nullptr, 0, kc.p, vc.p, rows, HEADS, HD, MC,
                                    s);
        if (e == cudaSuccess)
          e = lin(b, q.p, nullptr, 0.0f, o8.p, sH.p, res.p, o.p, rows, H, H, 0.0f, PARE_ACT_NONE,
                  0.0f, 0.0f, work, s);
        if (e == cudaSuccess)
          e = lin(b, o.p, nw.p, eps, g8.p, sF.p, nullptr, g.p, rows, H, F, 0.0f, PARE_ACT_SILU,
                  0.0f, 0.0f, work, s);
        if (e == cudaSuccess)
          e = lin(b, o.p, nw.p, eps, u8.p, sF.p, nullptr, u.p, rows, H, F, 0.0f, PARE_ACT_NONE,
                  0.0f, 0.0f, work, s);
        if (e == cudaSuccess)
          e = pare_llm_binary_f16(PARE_LLM_MUL, g.p, F, 1, u.p, F, 1, m.p, rows, F, PARE_ACT_NONE,
                                  0.0f, 0.0f, s);
        if (e == cudaSuccess)
          e = lin(b, m.p, nullptr, 0.0f, d8.p, sH.p, o.p, kb.p, rows, F, H, 0.0f, PARE_ACT_NONE,
                  0.0f, 0.0f, work, s);
        return e;
      }, 5);
    };
    const double pf = fp16(false), bf = fp16(true), p8 = w8a8(own8), b8 = w8a8(blas8);
    printf("%6d %12.1f %12.1f %12.1f %12.1f | %.2fx %.2fx\n", rows, pf, bf, p8, b8, pf / b8,
           bf / b8);
  }
  pare_llm_blas_destroy(b);
  cudaFree(work);
  cudaFree(dpos);
}

} // namespace

int main(int argc, char **argv)
{
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) {
    fprintf(stderr, "no CUDA device\n");
    return 2;
  }
  if (argc > 1 && !strcmp(argv[1], "--bench")) {
    bench();
    bench_layer();
    return 0;
  }
  if (argc > 1) {
    fprintf(stderr, "usage: %s [--bench]\n", argv[0]);
    return 2;
  }
  const int max_rows = 2048, max_k = 4096, max_n = 4096;
  cudaStream_t s;
  CUDA_OK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  pare_llm_blas *ctx = nullptr;
  CUDA_OK(pare_llm_blas_create(&ctx, max_rows, max_k, max_n, 0, 1, s));
  if (!ctx->acc || ctx->acc_elems < (size_t)max_rows * max_n) {
    fprintf(stderr, "pare_llm_blas_create(w8 1) made no int32 sums for %d x %d\n", max_rows,
            max_n);
    return 2;
  }
  test_all<float>(ctx, s);
  test_all<__half>(ctx, s);
  pare_llm_blas_destroy(ctx);
  cudaStreamDestroy(s);
  if (g_fallbacks)
    printf("note: %d case(s) of N not a multiple of 4 ran pare's GEMM (no cuBLASLt algorithm)\n",
           g_fallbacks);
  printf("%d passed, %d failed\n", g_pass, g_fail);
  return g_fail ? 1 : 0;
}
