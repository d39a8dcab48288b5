/*
 * Tests of the CUDA W8A8 linear (pare_llm_linear_w8a8_f32 / _f16,
 * runtime-stubs/cuda-llm/pare_cu_llm_w8.cu, issue 19) against the C
 * target's own arithmetic: the reference quantizes and multiplies with
 * runtime-stubs/c/pare_llm_w8.c (pare_quantize_row_s8, pare_matmul_w8a8_f32),
 * linked in, and adds the norm prologue, activation and residual around it.
 * Standalone; needs a GPU (tests/cuda/run_w8_check.sh builds and runs it):
 *
 *   cc -std=c99 -O2 -Iruntime-stubs/c -c runtime-stubs/c/pare_llm_w8.c -o pare_llm_w8.o
 *   nvcc -std=c++17 -O3 -arch=sm_90 -Iruntime-stubs/cuda-llm -Iruntime-stubs/c \
 *     -DPARE_BENCH_CUBLAS tests/cuda/test_llm_w8.cu runtime-stubs/cuda-llm/pare_cu_llm_w8.cu \
 *     pare_llm_w8.o -lcublas -lcublasLt -o test_llm_w8 && ./test_llm_w8
 *   ./test_llm_w8 --bench   the int8 GEMM (quantize + GEMM, as a decoder calls it) at M = 512
 *                           and 2048 for the Llama-2-7B shapes next to cuBLAS fp16 (f32
 *                           accumulation) and cuBLASLt int8 (s8 x s8 -> s32) when built with
 *                           -DPARE_BENCH_CUBLAS; the one-row GEMV's weight GB/s
 *
 * Without a norm prologue the int8 codes and row scales the kernel leaves in
 * the workspace must equal the C target's, and with an exact activation
 * (none, ReLU) so must y, bit for bit, f32 and f16 (the int32 sums are exact
 * and the epilogue is the same float operations). With the norm, the GPU's
 * inverse RMS (another summation order, rsqrtf) may move a code by one where
 * xn / s sits on a rounding boundary (see the check), and y must equal the C
 * epilogue of the codes and scales the kernel used. Shapes: the
 * GEMV (1..4 rows; one launch, or two where the codes exceed its shared
 * memory) and the GEMM (5..300 rows, several row and column tiles,
 * one K stage and many), K a multiple of 32 or not (padded rows), odd K and
 * x misaligned (scalar loads), N odd and not a multiple of the tile, per
 * token and per tensor (clamped codes, half-way quotients), a zero row, the
 * residual apart or aliasing y, a graph capture, the argument checks.
 * Prints "N passed, M failed"; exits 1 on any failure, 2 if it cannot run.
 */
#include "pare_cu_llm.cuh"
#include "pare_llm.h"

#include "bench_support.h"
#include "llm_test_support.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <algorithm>

namespace {

/* Which residual a case adds. */
enum Residual { kNoResidual, kApart, kAliasY };

struct Case {
  int rows, k, n;
  float act_scale; /* > 0: per tensor */
  bool norm;
  Residual residual;
  pare_act_t act;
  int x_offset;   /* elements: 1 misaligns x */
  bool zero_row;  /* row 0 all zeros */
  bool halfway;   /* x on a grid of act_scale / 2: quotients k + 0.5, and clamped codes */
};

/* ulp of float v stored as T (what a final rounding to T may move). */
template <typename T> float ulp_of(float v)
{
  int e;
  frexpf(fabsf(v) > 1e-30f ? v : 1e-30f, &e);
  return ldexpf(1.0f, e - (sizeof(T) == 2 ? 11 : 24));
}

float host_act(float v, pare_act_t act)
{
  switch (act) {
  case PARE_ACT_RELU:
    return v < 0.0f ? 0.0f : v;
  case PARE_ACT_SILU:
    return (float)((double)v / (1.0 + exp(-(double)v)));
  default:
    return v;
  }
}

std::string describe(const Case &c)
{
  char b[200];
  snprintf(b, sizeof b, "w8a8 rows %d k %d n %d %s%s%s%s%s%s", c.rows, c.k, c.n,
           c.act_scale > 0.0f ? "per-tensor" : "per-token", c.norm ? " norm" : "",
           c.residual == kApart ? " residual" : c.residual == kAliasY ? " residual=y" : "",
           c.act == PARE_ACT_RELU ? " relu" : c.act == PARE_ACT_SILU ? " silu" : "",
           c.x_offset ? " x-misaligned" : "", c.zero_row ? " zero-row" : "");
  return std::string(b) + (c.halfway ? " half-way" : "");
}

template <typename T> void run_case(const Case &c)
{
  const std::string name = describe(c) + " " + Ty<T>::name();
  const int rows = c.rows, k = c.k, n = c.n;
  const size_t kp = PARE_LLM_W8_ROW_BYTES(k);

  /* Inputs: x with an outlier channel (the kind SmoothQuant scales),
   * rounded to T; weights any code in [-127, 127], zero-padded rows. */
  Vec x = rnd((size_t)rows * k);
  for (int r = 0; r < rows; ++r) {
    x[(size_t)r * k + (r * 7) % k] *= 20.0f;
    if (c.halfway)
      for (int i = 0; i < k; ++i) /* act_scale / 4 times -640 .. 640: exact in T (act_scale a
                                     power of two), quotients on .5 and past 127 */
        x[(size_t)r * k + i] = c.act_scale * 0.25f * (float)((int)(g_rng() % 1281) - 640);
  }
  if (c.zero_row)
    std::fill(x.begin(), x.begin() + k, 0.0f);
  x = quant<T>(x);
  const Vec nw = quant<T>(rnd(k, 0.5f, 1.5f));
  const Vec res = quant<T>(rnd((size_t)rows * n));
  const Vec wscale = rnd(n, 0.5e-3f, 2e-3f);
  std::vector<int8_t> w((size_t)n * kp, 0), w_dense((size_t)n * k);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < k; ++i)
      w[(size_t)j * kp + i] = w_dense[(size_t)j * k + i] = (int8_t)((int)(g_rng() % 255) - 127);
  const float eps = 1e-5f;

  /* Reference: xn as pare_llm_rms_norm stores it, the C target's product,
   * then the activation and the residual, rounded to T. */
  Vec xn = x;
  if (c.norm)
    for (int r = 0; r < rows; ++r) {
      double ss = 0.0;
      for (int i = 0; i < k; ++i)
        ss += (double)x[(size_t)r * k + i] * x[(size_t)r * k + i];
      const float inv = (float)(1.0 / sqrt(ss / k + eps));
      for (int i = 0; i < k; ++i)
        xn[(size_t)r * k + i] = Ty<T>::from(Ty<T>::to(x[(size_t)r * k + i] * inv * nw[i]));
    }
  std::vector<int8_t> codes((size_t)rows * kp, 0), scratch(k);
  Vec sref(rows);
  for (int r = 0; r < rows; ++r)
    sref[r] = pare_quantize_row_s8(&xn[(size_t)r * k], &codes[(size_t)r * kp], k, c.act_scale);
  Vec y0((size_t)rows * n), ref((size_t)rows * n);
  pare_matmul_w8a8_f32(xn.data(), w_dense.data(), wscale.data(), y0.data(), rows, k, n,
                       c.act_scale, scratch.data());
  for (size_t i = 0; i < ref.size(); ++i) {
    float o = host_act(y0[i], c.act);
    if (c.residual != kNoResidual)
      o += res[i];
    ref[i] = Ty<T>::from(Ty<T>::to(o));
  }

  /* Device. */
  Vec xdev((size_t)rows * k + c.x_offset, 0.0f);
  std::copy(x.begin(), x.end(), xdev.begin() + c.x_offset);
  Buf<T> dx(xdev), dnw(nw), dres(res), dy((size_t)rows * n);
  Buf<float> dws(wscale);
  int8_t *dw = nullptr;
  void *work = nullptr;
  const size_t work_bytes = PARE_LLM_W8_WORKSPACE_BYTES(rows, k);
  CUDA_OK(cudaMalloc((void **)&dw, w.size()));
  CUDA_OK(cudaMemcpy(dw, w.data(), w.size(), cudaMemcpyHostToDevice));
  CUDA_OK(cudaMalloc(&work, work_bytes));
  CUDA_OK(cudaMemset(work, 0x5A, work_bytes)); /* stale bytes: the padding must be rewritten */
  if (c.residual == kAliasY)
    dy.set(res);
  else
    dy.set(Vec((size_t)rows * n, 12345.0f)); /* every output must be written */
  const T *resp = c.residual == kApart ? dres.p : c.residual == kAliasY ? dy.p : nullptr;
  cudaError_t e;
  if constexpr (sizeof(T) == 4)
    e = pare_llm_linear_w8a8_f32(dx.p + c.x_offset, c.norm ? dnw.p : nullptr, eps, dw, dws.p,
                                 resp, dy.p, rows, k, n, c.act_scale, c.act, 0.0f, 0.0f, work, 0);
  else
    e = pare_llm_linear_w8a8_f16(dx.p + c.x_offset, c.norm ? dnw.p : nullptr, eps, dw, dws.p,
                                 resp, dy.p, rows, k, n, c.act_scale, c.act, 0.0f, 0.0f, work, 0);
  if (e != cudaSuccess) {
    cudaFree(dw);
    cudaFree(work);
    return verdict(name, false, cudaGetErrorString(e));
  }
  const Vec got = dy.get();
  CUDA_OK(cudaGetLastError());

  /* The workspace (white box: codes [rows][kp] from the first 16-byte
   * boundary, then the row scales), as pare_quantize_row_s8 made them. */
  std::vector<int8_t> wq((size_t)rows * kp);
  Vec ws(rows);
  const char *base = (const char *)(((uintptr_t)work + 15) & ~(uintptr_t)15);
  CUDA_OK(cudaMemcpy(wq.data(), base, wq.size(), cudaMemcpyDeviceToHost));
  CUDA_OK(cudaMemcpy(ws.data(), base + wq.size(), rows * sizeof(float), cudaMemcpyDeviceToHost));
  cudaFree(dw);
  cudaFree(work);

  /* Codes and scales: the C target's exactly, or with the norm within what
   * another inverse RMS can move: a code by one where xn / s sits on a
   * rounding boundary, and (f16: xn of the row's largest value rounding the
   * other way) the scale by a half ulp, which may shift a few percent of the
   * row's codes by one. A norm applied wrongly moves nearly all of them. */
  const float scale_tol = !c.norm ? 0.0f : sizeof(T) == 2 ? 1.0f / 1024.0f : 1e-5f;
  for (int r = 0; r < rows; ++r) {
    if (!(fabsf(ws[r] - sref[r]) <= scale_tol * sref[r])) {
      char why[120];
      snprintf(why, sizeof why, "row %d scale %.9g, the C target's %.9g", r, ws[r], sref[r]);
      return verdict(name, false, why);
    }
    int moved = 0;
    for (size_t i = (size_t)r * kp; i < (size_t)(r + 1) * kp; ++i) {
      const int d = abs((int)wq[i] - (int)codes[i]);
      if (d > (c.norm ? 1 : 0) || (d && (i % kp) >= (size_t)k)) {
        char why[160];
        snprintf(why, sizeof why, "code [%zu][%zu] %d, the C target's %d", i / kp, i % kp,
                 (int)wq[i], (int)codes[i]);
        return verdict(name, false, why);
      }
      moved += d != 0;
    }
    if (moved > (ws[r] == sref[r] ? k / 500 + 1 : k / 10 + 1)) {
      char why[120];
      snprintf(why, sizeof why, "row %d: %d codes of %d differ from the C target's", r, moved, k);
      return verdict(name, false, why);
    }
  }

  /* y: from the codes and scales the kernel used (the C target's, checked
   * above, unless the norm moved some), by the C target's epilogue
   * arithmetic: exact, but for a transcendental activation (its float
   * formula here, the device's expf there). */
  if (c.norm)
    for (int r = 0; r < rows; ++r)
      for (int j = 0; j < n; ++j) {
        int32_t acc = 0;
        for (int i = 0; i < k; ++i)
          acc += (int32_t)wq[(size_t)r * kp + i] * (int32_t)w_dense[(size_t)j * k + i];
        float o = host_act(((float)acc * ws[r]) * wscale[j], c.act);
        if (c.residual != kNoResidual)
          o += res[(size_t)r * n + j];
        ref[(size_t)r * n + j] = Ty<T>::from(Ty<T>::to(o));
      }
  const bool exact = c.act == PARE_ACT_NONE || c.act == PARE_ACT_RELU;
  for (size_t i = 0; i < ref.size(); ++i) {
    const float bound = exact ? 0.0f : 2.0f * ulp_of<T>(ref[i]) + 4e-6f * fabsf(ref[i]) + 1e-6f;
    if (!(fabsf(got[i] - ref[i]) <= bound)) {
      char why[200];
      snprintf(why, sizeof why, "y[%zu][%zu] got %.9g want %.9g (bound %.3g)", i / n, i % n,
               got[i], ref[i], bound);
      return verdict(name, false, why);
    }
  }
  verdict(name, true);
}

/* The GEMV and the GEMM in one CUDA graph (captured in the global mode, so
 * any unsafe call fails the capture), replayed twice: the results equal an
 * eager call's. */
template <typename T> void test_capture()
{
  const std::string name = std::string("w8a8 graph capture ") + Ty<T>::name();
  const int k = 200, n = 96, rows = 40;
  const size_t kp = PARE_LLM_W8_ROW_BYTES(k);
  Buf<T> x(quant<T>(rnd((size_t)rows * k))), y1((size_t)rows * n), y2((size_t)rows * n);
  Buf<T> d1(n), d2(n);
  Buf<float> ws(rnd(n, 0.5e-3f, 2e-3f));
  std::vector<int8_t> w((size_t)n * kp, 0);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < k; ++i)
      w[(size_t)j * kp + i] = (int8_t)((int)(g_rng() % 255) - 127);
  int8_t *dw;
  void *work1, *work2;
  CUDA_OK(cudaMalloc((void **)&dw, w.size()));
  CUDA_OK(cudaMemcpy(dw, w.data(), w.size(), cudaMemcpyHostToDevice));
  CUDA_OK(cudaMalloc(&work1, PARE_LLM_W8_WORKSPACE_BYTES(rows, k)));
  CUDA_OK(cudaMalloc(&work2, PARE_LLM_W8_WORKSPACE_BYTES(rows, k)));
  auto call = [&](T *yp, T *dp, void *work, cudaStream_t s) {
    cudaError_t e;
    if constexpr (sizeof(T) == 4) {
      e = pare_llm_linear_w8a8_f32(x.p, nullptr, 0.0f, dw, ws.p, nullptr, yp, rows, k, n, 0.0f,
                                   PARE_ACT_NONE, 0.0f, 0.0f, work, s);
      if (e == cudaSuccess)
        e = pare_llm_linear_w8a8_f32(x.p, nullptr, 0.0f, dw, ws.p, nullptr, dp, 1, k, n, 0.0f,
                                     PARE_ACT_NONE, 0.0f, 0.0f, work, s);
    } else {
      e = pare_llm_linear_w8a8_f16(x.p, nullptr, 0.0f, dw, ws.p, nullptr, yp, rows, k, n, 0.0f,
                                   PARE_ACT_NONE, 0.0f, 0.0f, work, s);
      if (e == cudaSuccess)
        e = pare_llm_linear_w8a8_f16(x.p, nullptr, 0.0f, dw, ws.p, nullptr, dp, 1, k, n, 0.0f,
                                     PARE_ACT_NONE, 0.0f, 0.0f, work, s);
    }
    return e;
  };
  cudaStream_t s;
  CUDA_OK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  cudaError_t e = call(y1.p, d1.p, work1, s);
  cudaGraph_t g = nullptr;
  cudaGraphExec_t ge = nullptr;
  if (e == cudaSuccess)
    e = cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal);
  if (e == cudaSuccess) {
    e = call(y2.p, d2.p, work2, s);
    cudaError_t end = cudaStreamEndCapture(s, &g);
    e = e != cudaSuccess ? e : end;
  }
  if (e == cudaSuccess)
    e = cudaGraphInstantiate(&ge, g, 0);
  for (int rep = 0; rep < 2 && e == cudaSuccess; ++rep)
    e = cudaGraphLaunch(ge, s);
  if (e == cudaSuccess)
    e = cudaStreamSynchronize(s);
  bool same = false;
  if (e == cudaSuccess) {
    const Vec a = y1.get(), b = y2.get(), da = d1.get(), db = d2.get();
    same = a == b && da == db;
  }
  if (ge)
    cudaGraphExecDestroy(ge);
  if (g)
    cudaGraphDestroy(g);
  cudaStreamDestroy(s);
  cudaFree(dw);
  cudaFree(work1);
  cudaFree(work2);
  verdict(name, e == cudaSuccess && same,
          e != cudaSuccess ? cudaGetErrorString(e) : "replayed results differ from the eager call");
}

/* Bad arguments are refused with cudaErrorInvalidValue before any launch;
 * no rows is a no-op. */
template <typename T> void test_errors()
{
  const std::string name = std::string("w8a8 argument checks ") + Ty<T>::name();
  Buf<T> x(64), y(64);
  Buf<float> ws(32);
  int8_t *w;
  void *work;
  CUDA_OK(cudaMalloc((void **)&w, 64 * 32 + 16));
  CUDA_OK(cudaMalloc(&work, PARE_LLM_W8_WORKSPACE_BYTES(1, 64)));
  auto call = [&](const T *xp, const int8_t *wp, T *yp, int rows, int k, void *wk) {
    if constexpr (sizeof(T) == 4)
      return pare_llm_linear_w8a8_f32(xp, nullptr, 0.0f, wp, ws.p, nullptr, yp, rows, k, 32, 0.0f,
                                      PARE_ACT_NONE, 0.0f, 0.0f, wk, 0);
    else
      return pare_llm_linear_w8a8_f16(xp, nullptr, 0.0f, wp, ws.p, nullptr, yp, rows, k, 32, 0.0f,
                                      PARE_ACT_NONE, 0.0f, 0.0f, wk, 0);
  };
  const cudaError_t misaligned = call(x.p, w + 1, y.p, 1, 64, work);
  const cudaError_t no_work = call(x.p, w, y.p, 1, 64, nullptr);
  const cudaError_t bad_k = call(x.p, w, y.p, 1, 0, work);
  const cudaError_t y_is_x = call(x.p, w, x.p, 1, 64, work);
  const cudaError_t no_rows = call(x.p, w, y.p, 0, 64, work);
  cudaFree(w);
  cudaFree(work);
  CUDA_OK(cudaDeviceSynchronize());
  char why[200];
  snprintf(why, sizeof why, "misaligned w: %s, no workspace: %s, k 0: %s, y == x: %s, 0 rows: %s",
           cudaGetErrorName(misaligned), cudaGetErrorName(no_work), cudaGetErrorName(bad_k),
           cudaGetErrorName(y_is_x), cudaGetErrorName(no_rows));
  verdict(name,
          misaligned == cudaErrorInvalidValue && no_work == cudaErrorInvalidValue &&
              bad_k == cudaErrorInvalidValue && y_is_x == cudaErrorInvalidValue &&
              no_rows == cudaSuccess,
          why);
}

template <typename T> void test_all()
{
  const pare_act_t none = PARE_ACT_NONE, relu = PARE_ACT_RELU, silu = PARE_ACT_SILU;
  /* rows, k, n, act_scale, norm, residual, act, x_offset, zero_row, halfway */
  const Case cases[] = {
      /* GEMV (1..4 rows) */
      {1, 576, 192, 0.0f, false, kNoResidual, none, 0, false, false},
      {1, 4096, 130, 0.0f, false, kNoResidual, none, 0, false, false},
      {1, 100, 7, 0.0f, false, kApart, relu, 0, false, false},      /* K padded, 8 | K */
      {2, 333, 65, 0.0f, false, kAliasY, none, 1, false, false},    /* odd K, x misaligned */
      {3, 576, 33, 0.0f, true, kAliasY, none, 0, false, false},     /* norm + residual = y */
      {4, 1000, 64, 0.0625f, false, kNoResidual, none, 0, true, true}, /* per tensor, clamps */
      {4, 576, 96, 0.0f, true, kNoResidual, silu, 0, true, false},
      {1, 64, 1, 0.02f, false, kApart, none, 0, false, false},
      {4, 12000, 40, 0.0f, true, kApart, none, 0, false, false}, /* codes past shared memory:
                                                                    quantize, then GEMV */
      {1, 11008, 72, 0.0f, true, kAliasY, none, 0, false, false},
      /* GEMM (more rows) */
      {5, 64, 33, 0.0f, false, kNoResidual, none, 0, false, false},  /* one K stage */
      {37, 100, 70, 0.0f, false, kApart, relu, 0, true, false},
      {130, 1000, 136, 0.0f, false, kAliasY, none, 0, false, false}, /* 2 row tiles, 8 K stages */
      {300, 576, 300, 0.0f, false, kNoResidual, none, 0, false, false}, /* 3 x 3 tiles */
      {129, 333, 257, 0.0f, false, kApart, none, 1, false, false},   /* odd K and N, x misaligned */
      {64, 1000, 128, 0.0625f, false, kApart, none, 0, true, true},    /* per tensor, half-way */
      {200, 576, 192, 0.0f, true, kAliasY, none, 0, false, false},   /* norm + residual = y */
      {48, 576, 200, 0.0f, true, kNoResidual, silu, 0, false, false},
      {9, 2048, 1, 0.0f, false, kApart, none, 0, false, false},      /* one output */
      {260, 4096, 264, 0.0f, false, kNoResidual, none, 0, false, false}, /* 3 row tiles, 32 K */
  };
  for (const Case &c : cases)
    run_case<T>(c);
  test_capture<T>();
  test_errors<T>();
}

/* ---------------------------------------------------------------- bench -- */

/* Random int8 weights [n][kp] (padded rows zero). */
std::vector<int8_t> random_w8(int n, int k)
{
  const size_t kp = PARE_LLM_W8_ROW_BYTES(k);
  std::vector<int8_t> w((size_t)n * kp, 0);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < k; ++i)
      w[(size_t)j * kp + i] = (int8_t)((int)(((size_t)j * k + i) * 2654435761u % 255) - 127);
  return w;
}

/* GB/s of a device-to-device copy (read + write): the GEMV's ceiling. */
double copy_gbs()
{
  const size_t bytes = (size_t)512 << 20;
  void *a, *b;
  CUDA_OK(cudaMalloc(&a, bytes));
  CUDA_OK(cudaMalloc(&b, bytes));
  const double us = graph_time_us([&](int, cudaStream_t s) {
    return cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, s);
  }, 4);
  cudaFree(a);
  cudaFree(b);
  return 2.0 * bytes / us / 1e3;
}

/* Decode, one row at K x N: quantize + GEMV, GB/s of the int8 weights. */
void bench_gemv(int k, int n, double copy)
{
  const std::vector<int8_t> w = random_w8(n, k);
  DeviceCopies dw(w.data(), w.size());
  Buf<__half> x(quant<__half>(rnd(k))), nw(quant<__half>(rnd(k, 0.5f, 1.5f))), y(n);
  Buf<float> ws(rnd(n, 0.5e-3f, 2e-3f));
  void *work;
  CUDA_OK(cudaMalloc(&work, PARE_LLM_W8_WORKSPACE_BYTES(1, k)));
  const double bytes = (double)w.size();
  const double plain = graph_time_us([&](int i, cudaStream_t s) {
    return pare_llm_linear_w8a8_f16(x.p, nullptr, 0.0f, dw.at<int8_t>(i), ws.p, nullptr, y.p, 1,
                                    k, n, 0.0f, PARE_ACT_NONE, 0.0f, 0.0f, work, s);
  }, 50);
  const double fused = graph_time_us([&](int i, cudaStream_t s) {
    return pare_llm_linear_w8a8_f16(x.p, nw.p, 1e-5f, dw.at<int8_t>(i), ws.p, y.p, y.p, 1, k, n,
                                    0.0f, PARE_ACT_NONE, 0.0f, 0.0f, work, s);
  }, 50);
  cudaFree(work);
  printf("w8a8 gemv 1 x %5d x %5d  %7.2f us %6.0f GB/s (%3.0f%% of copy)  norm+residual %7.2f us "
         "%6.0f GB/s\n",
         k, n, plain, bytes / plain / 1e3, 100.0 * bytes / plain / 1e3 / copy, fused,
         bytes / fused / 1e3);
}

} // namespace

#ifdef PARE_BENCH_CUBLAS
#include <cublasLt.h>
#include <cublas_v2.h>

namespace {

/* cuBLASLt int8: y32 [rows][n] = x8 [rows][k] . w8 [n][k]^T, s32 accumulation and output. In
 * column-major terms y^T (n x rows) = W^T (op T of the k x n matrix w) . x^T (k x rows), the
 * "TN" layout the int8 kernels want. Returns microseconds, or -1 when Lt offers no algorithm. */
double lt_int8_us(int rows, int k, int n, const DeviceCopies &w8, const int8_t *x8, int32_t *y32)
{
  cublasLtHandle_t lt;
  if (cublasLtCreate(&lt) != CUBLAS_STATUS_SUCCESS)
    return -1.0;
  cublasLtMatmulDesc_t desc;
  cublasLtMatrixLayout_t la, lb, lc;
  cublasLtMatmulDescCreate(&desc, CUBLAS_COMPUTE_32I, CUDA_R_32I);
  const cublasOperation_t opT = CUBLAS_OP_T, opN = CUBLAS_OP_N;
  cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSA, &opT, sizeof opT);
  cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSB, &opN, sizeof opN);
  const size_t kp = PARE_LLM_W8_ROW_BYTES(k);
  cublasLtMatrixLayoutCreate(&la, CUDA_R_8I, k, n, (int64_t)kp);
  cublasLtMatrixLayoutCreate(&lb, CUDA_R_8I, k, rows, k);
  cublasLtMatrixLayoutCreate(&lc, CUDA_R_32I, n, rows, n);
  const size_t ws_bytes = (size_t)32 << 20;
  void *ws;
  CUDA_OK(cudaMalloc(&ws, ws_bytes));
  cublasLtMatmulPreference_t pref;
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
      cublasStatus_t st = cublasLtMatmul(lt, desc, &one, w8.at<int8_t>(i), la, x8, lb, &zero, y32,
                                         lc, y32, lc, &heur.algo, ws, ws_bytes, s);
      return st == CUBLAS_STATUS_SUCCESS ? cudaSuccess : cudaErrorUnknown;
    }, 10);
  }
  cublasLtMatmulPreferenceDestroy(pref);
  cublasLtMatrixLayoutDestroy(la);
  cublasLtMatrixLayoutDestroy(lb);
  cublasLtMatrixLayoutDestroy(lc);
  cublasLtMatmulDescDestroy(desc);
  cublasLtDestroy(lt);
  cudaFree(ws);
  return us;
}

/* cuBLAS fp16 (f32 accumulation, tensor cores): y [rows][n] = x . w^T. */
double cublas_f16_us(int rows, int k, int n, const DeviceCopies &w16, const __half *x, __half *y)
{
  cublasHandle_t h;
  if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS)
    return -1.0;
  const float one = 1.0f, zero = 0.0f;
  const double us = graph_time_us([&](int i, cudaStream_t s) {
    cublasSetStream(h, s);
    cublasStatus_t st = cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, n, rows, k, &one,
                                     w16.at<__half>(i), CUDA_R_16F, k, x, CUDA_R_16F, k, &zero, y,
                                     CUDA_R_16F, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    return st == CUBLAS_STATUS_SUCCESS ? cudaSuccess : cudaErrorUnknown;
  }, 10);
  cublasDestroy(h);
  return us;
}

} // namespace
#endif

namespace {

/* Prefill at rows x K x N: the W8A8 linear (quantize + int8 GEMM, per token
 * and per tensor) against cuBLAS fp16 and cuBLASLt int8 (GEMM alone, on
 * codes already quantized). */
void bench_gemm(int rows, int k, int n)
{
  const std::vector<int8_t> w = random_w8(n, k);
  DeviceCopies dw(w.data(), w.size());
  Buf<__half> x(quant<__half>(rnd((size_t)rows * k))), y((size_t)rows * n);
  Buf<float> ws(rnd(n, 0.5e-3f, 2e-3f));
  void *work;
  CUDA_OK(cudaMalloc(&work, PARE_LLM_W8_WORKSPACE_BYTES(rows, k)));
  const double ops = 2.0 * rows * k * n;
  const double token = graph_time_us([&](int i, cudaStream_t s) {
    return pare_llm_linear_w8a8_f16(x.p, nullptr, 0.0f, dw.at<int8_t>(i), ws.p, nullptr, y.p,
                                    rows, k, n, 0.0f, PARE_ACT_NONE, 0.0f, 0.0f, work, s);
  }, 10);
  const double tensor = graph_time_us([&](int i, cudaStream_t s) {
    return pare_llm_linear_w8a8_f16(x.p, nullptr, 0.0f, dw.at<int8_t>(i), ws.p, nullptr, y.p,
                                    rows, k, n, 0.05f, PARE_ACT_NONE, 0.0f, 0.0f, work, s);
  }, 10);
  printf("w8a8 gemm %4d x %5d x %5d  pare per-token %8.1f us %6.0f TOPS  per-tensor %8.1f us "
         "%6.0f TOPS",
         rows, k, n, token, ops / token / 1e6, tensor, ops / tensor / 1e6);
#ifdef PARE_BENCH_CUBLAS
  {
    std::vector<__half> w16((size_t)n * k);
    for (size_t i = 0; i < w16.size(); ++i)
      w16[i] = __float2half_rn((float)((i * 2654435761u) % 2001) / 1000.0f - 1.0f);
    DeviceCopies dw16(w16.data(), w16.size() * sizeof(__half));
    const double f16 = cublas_f16_us(rows, k, n, dw16, x.p, y.p);
    int8_t *x8;
    int32_t *y32;
    CUDA_OK(cudaMalloc((void **)&x8, (size_t)rows * k));
    CUDA_OK(cudaMemset(x8, 3, (size_t)rows * k));
    CUDA_OK(cudaMalloc((void **)&y32, (size_t)rows * n * sizeof(int32_t)));
    const double i8 = lt_int8_us(rows, k, n, dw, x8, y32);
    cudaFree(x8);
    cudaFree(y32);
    printf("  cuBLAS fp16 %8.1f us %6.0f TFLOP/s  cuBLASLt int8 ", f16, ops / f16 / 1e6);
    if (i8 > 0.0)
      printf("%8.1f us %6.0f TOPS", i8, ops / i8 / 1e6);
    else
      printf("(no algorithm)");
    printf("  pare per-token vs fp16 %.2fx\n", f16 / token);
  }
#else
  printf("  (cuBLAS: build with -DPARE_BENCH_CUBLAS -lcublas -lcublasLt)\n");
#endif
  cudaFree(work);
}

void bench()
{
  const double copy = copy_gbs();
  printf("device-to-device copy: %.0f GB/s (read + write)\n", copy);
  const int shapes[][2] = {{4096, 4096}, {4096, 11008}, {11008, 4096}};
  for (const auto &s : shapes)
    bench_gemv(s[0], s[1], copy);
  for (int rows : {512, 2048})
    for (const auto &s : shapes)
      bench_gemm(rows, s[0], s[1]);
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
    return 0;
  }
  if (argc > 1) {
    fprintf(stderr, "usage: %s [--bench]\n", argv[0]);
    return 2;
  }
  test_all<float>();
  test_all<__half>();
  printf("%d passed, %d failed\n", g_pass, g_fail);
  return g_fail ? 1 : 0;
}
