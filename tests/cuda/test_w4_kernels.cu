/*
 * Tests and timings of pare.matmul_nbits' CUDA kernels (runtime-stubs/cuda-llm/
 * pare_cu_llm_w4.cu) against a double-precision CPU reference of the op.
 * Standalone; needs a GPU:
 *
 *   nvcc -std=c++17 -O3 -arch=sm_90 -Iruntime-stubs/cuda-llm -Iruntime-stubs/c \
 *     tests/cuda/test_w4_kernels.cu runtime-stubs/cuda-llm/pare_cu_llm_w4.cu \
 *     runtime-stubs/cuda-llm/pare_cu_llm.cu -o test_w4_kernels
 *   ./test_w4_kernels            correctness: "N passed, M failed", exit 1 on a failure
 *   ./test_w4_kernels --bench    decode GEMV and 512-row prefill, W4 (group 128) against
 *                                pare_llm_matmul_f16, at K x N = 4096 x 4096, 4096 x 11008,
 *                                11008 x 4096: microseconds and GB/s of the bytes read, the
 *                                sum for the 224 linears of a Llama-2-7B-shaped decode step
 *                                (issue 18: <= 1.35 ms on an H100), the same for the fused
 *                                int4 GEMV (pare_llm_linear_w4_f16), and 512-row prefills
 *
 * The weights are packed here as the CUDA decoder's emitter packs them
 * (pare_cu_llm.cuh: rows of 16-byte chunks, low nibble first, (scale, zero)
 * pairs per group). Shapes cover the GEMV (1 to 4 rows) and the GEMM (more),
 * groups 16 (two groups a chunk) to 128, K a multiple of 32 or not (a partial
 * last chunk, K below one chunk), x aligned for 16-byte loads or not, N not a
 * multiple of a block's rows, and a fused ReLU. Tolerances: float, 2e-6 of
 * sum |x w| (float sums; the weights are exact); half, the output's rounding
 * plus 2e-3 of sum |x w| (the GEMM rounds dequantized weights to half).
 *
 * The fused int4 decode-step kernels (pare_llm_linear_w4 / gated_w4 / qkv_w4
 * of pare_cu_llm.cu, issue 18) the same way: the RMS-norm prologue (the
 * normalized row rounded to T, as pare_llm_rms_norm stores it), the residual
 * and SiLU-gate epilogues, q / k / v with the rotary embedding and the KV
 * cache writes, against float64; rows 1 to 4 (the GEMV on packed weights)
 * and more (dequantized into the workspace, the dense fused GEMM); float
 * tolerance 4e-6 of sum |x w| (the norm's rsqrtf), a rotated pair the sum
 * of both members' bounds.
 */
#include "pare_cu_llm.cuh"
#include "cuda_ok.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <random>
#include <utility>
#include <vector>

static int g_pass = 0, g_fail = 0;
static std::mt19937 g_rng(18);

template <typename T> struct Ty;
template <> struct Ty<float> {
  static const char *name() { return "f32"; }
  static float to(float v) { return v; }
  static float from(float v) { return v; }
};
template <> struct Ty<__half> {
  static const char *name() { return "f16"; }
  static __half to(float v) { return __float2half_rn(v); }
  static float from(__half v) { return __half2float(v); }
};

/* One quantized matrix: q [n][k] in 0..15, scales and zeros [n][ceil(k / g)]. */
struct W4 {
  int k, n, group;
  std::vector<uint8_t> q, zero;
  std::vector<float> scale;
};

static W4 random_w4(int k, int n, int group)
{
  W4 w{k, n, group, {}, {}, {}};
  int groups = (k + group - 1) / group;
  std::uniform_int_distribution<int> nib(0, 15);
  std::uniform_real_distribution<float> sd(0.002f, 0.05f);
  w.q.resize((size_t)n * k);
  for (auto &v : w.q)
    v = (uint8_t)nib(g_rng);
  w.zero.resize((size_t)n * groups);
  w.scale.resize((size_t)n * groups);
  for (size_t i = 0; i < w.zero.size(); ++i) {
    w.zero[i] = (uint8_t)nib(g_rng);
    /* fp16-representable scales, as AWQ rounds them. */
    w.scale[i] = __half2float(__float2half_rn(sd(g_rng)));
  }
  return w;
}

/* The decoder's packing (pare_cu_llm.cuh). */
static std::vector<uint8_t> pack_qweight(const W4 &w)
{
  size_t row_bytes = PARE_LLM_W4_ROW_BYTES(w.k);
  std::vector<uint8_t> out((size_t)w.n * row_bytes, 0);
  for (int j = 0; j < w.n; ++j)
    for (int kk = 0; kk < w.k; ++kk)
      out[j * row_bytes + kk / 2] |= (uint8_t)(w.q[(size_t)j * w.k + kk] << (4 * (kk % 2)));
  return out;
}

template <typename T> static std::vector<T> pack_sz(const W4 &w)
{
  int groups = (w.k + w.group - 1) / w.group, padded = PARE_LLM_W4_GROUPS(w.k, w.group);
  std::vector<T> out((size_t)w.n * padded * 2, Ty<T>::to(0.0f));
  for (int j = 0; j < w.n; ++j)
    for (int g = 0; g < groups; ++g) {
      out[((size_t)j * padded + g) * 2] = Ty<T>::to(w.scale[(size_t)j * groups + g]);
      out[((size_t)j * padded + g) * 2 + 1] = Ty<T>::to((float)w.zero[(size_t)j * groups + g]);
    }
  return out;
}

template <typename T> struct Buf {
  T *p = nullptr;
  explicit Buf(size_t count) { CUDA_OK(cudaMalloc((void **)&p, count * sizeof(T) + 64)); }
  ~Buf() { cudaFree(p); }
  Buf(const Buf &) = delete;
  Buf &operator=(const Buf &) = delete;
};

static cudaError_t launch(const float *x, const uint8_t *qw, const float *sz, float *y, int rows,
                          int k, int n, int group, pare_act_t act)
{
  return pare_llm_matmul_w4_f32(x, qw, sz, y, rows, k, n, group, act, 0.0f, 0.0f, 0);
}
static cudaError_t launch(const __half *x, const uint8_t *qw, const __half *sz, __half *y,
                          int rows, int k, int n, int group, pare_act_t act)
{
  return pare_llm_matmul_w4_f16(x, qw, sz, y, rows, k, n, group, act, 0.0f, 0.0f, 0);
}

/* One case: `offset` elements before x's first row (1: not 16-byte aligned). */
template <typename T>
static void check(int rows, int k, int n, int group, int offset, pare_act_t act)
{
  W4 w = random_w4(k, n, group);
  std::uniform_real_distribution<float> xd(-1.0f, 1.0f);
  std::vector<T> xh((size_t)rows * k + offset);
  std::vector<float> x((size_t)rows * k);
  for (size_t i = 0; i < x.size(); ++i) {
    xh[i + offset] = Ty<T>::to(xd(g_rng));
    x[i] = Ty<T>::from(xh[i + offset]);
  }
  std::vector<uint8_t> qw = pack_qweight(w);
  std::vector<T> sz = pack_sz<T>(w);
  Buf<T> dx(xh.size()), dsz(sz.size()), dy((size_t)rows * n);
  Buf<uint8_t> dq(qw.size());
  CUDA_OK(cudaMemcpy(dx.p, xh.data(), xh.size() * sizeof(T), cudaMemcpyHostToDevice));
  CUDA_OK(cudaMemcpy(dq.p, qw.data(), qw.size(), cudaMemcpyHostToDevice));
  CUDA_OK(cudaMemcpy(dsz.p, sz.data(), sz.size() * sizeof(T), cudaMemcpyHostToDevice));
  CUDA_OK(cudaMemset(dy.p, 0xff, (size_t)rows * n * sizeof(T)));
  CUDA_OK(launch(dx.p + offset, dq.p, dsz.p, dy.p, rows, k, n, group, act));
  CUDA_OK(cudaDeviceSynchronize());
  std::vector<T> yh((size_t)rows * n);
  CUDA_OK(cudaMemcpy(yh.data(), dy.p, yh.size() * sizeof(T), cudaMemcpyDeviceToHost));
  int groups = (k + group - 1) / group;
  double worst = 0.0;
  bool ok = true;
  for (int r = 0; r < rows && ok; ++r)
    for (int j = 0; j < n; ++j) {
      double sum = 0.0, mag = 0.0;
      for (int kk = 0; kk < k; ++kk) {
        size_t g = (size_t)j * groups + kk / group;
        double wv = ((double)w.q[(size_t)j * k + kk] - (double)w.zero[g]) * (double)w.scale[g];
        sum += (double)x[(size_t)r * k + kk] * wv;
        mag += fabs((double)x[(size_t)r * k + kk] * wv);
      }
      if (act == PARE_ACT_RELU && sum < 0.0)
        sum = 0.0;
      double got = Ty<T>::from(yh[(size_t)r * n + j]);
      double tol = sizeof(T) == 4 ? 2e-6 * mag + 1e-30 : 2e-3 * mag + fabs(sum) / 1024.0 + 1e-6;
      double err = fabs(got - sum);
      if (!(err <= tol)) {
        printf("  row %d col %d: got %.8g want %.8g (tol %.3g)\n", r, j, got, sum, tol);
        ok = false;
        break;
      }
      worst = fmax(worst, err / (mag + 1e-30));
    }
  printf("%s matmul_w4_%s rows %d k %d n %d group %d%s%s (worst err %.2e of sum|xw|)\n",
         ok ? "PASS" : "FAIL", Ty<T>::name(), rows, k, n, group, offset ? " unaligned x" : "",
         act == PARE_ACT_RELU ? " relu" : "", worst);
  (ok ? g_pass : g_fail)++;
}

template <typename T> static void test_all()
{
  const int groups[] = {16, 32, 64, 128};
  const int ks[] = {20, 48, 96, 100, 576, 1000};
  const int rowsList[] = {1, 2, 3, 4, 5, 37, 130};
  for (int group : groups)
    for (int k : ks)
      for (int rows : rowsList)
        check<T>(rows, k, rows == 130 ? 70 : 13, group, 0, PARE_ACT_NONE);
  for (int rows : rowsList) {
    check<T>(rows, 4096, 96, 128, 0, PARE_ACT_NONE); /* 128 chunks: one a thread */
    check<T>(rows, 16448, 9, 64, 0, PARE_ACT_NONE);  /* two passes of the GEMV block */
    check<T>(rows, 200, 576, 32, 1, PARE_ACT_RELU);  /* scalar x loads */
  }
  /* Invalid groups are refused. */
  int bad = pare_llm_matmul_w4_f32(nullptr, nullptr, nullptr, nullptr, 1, 64, 8, 24, PARE_ACT_NONE,
                                   0.0f, 0.0f, 0) == cudaErrorInvalidValue;
  printf("%s group 24 refused\n", bad ? "PASS" : "FAIL");
  (bad ? g_pass : g_fail)++;
  cudaGetLastError();
}

/* ------------------------------------------------------- fused int4 -- */

/* x [rows][k] random (stored as T, read back exactly), its RMS norm with
 * weights nw rounded to T as pare_llm_rms_norm stores it (norm false: x). */
template <typename T> struct Rows {
  std::vector<T> xh, nwh;
  std::vector<double> xn; /* what the products read */
};
template <typename T> static Rows<T> random_rows(int rows, int k, bool norm, float eps)
{
  std::uniform_real_distribution<float> xd(-1.0f, 1.0f), wd(0.5f, 1.5f);
  Rows<T> r;
  r.xh.resize((size_t)rows * k);
  for (auto &v : r.xh)
    v = Ty<T>::to(xd(g_rng));
  r.nwh.resize(k);
  for (auto &v : r.nwh)
    v = Ty<T>::to(wd(g_rng));
  r.xn.resize((size_t)rows * k);
  for (int i = 0; i < rows; ++i) {
    double ss = 0.0;
    for (int kk = 0; kk < k; ++kk) {
      double v = Ty<T>::from(r.xh[(size_t)i * k + kk]);
      ss += v * v;
    }
    double inv = 1.0 / sqrt(ss / k + eps);
    for (int kk = 0; kk < k; ++kk) {
      double v = Ty<T>::from(r.xh[(size_t)i * k + kk]);
      r.xn[(size_t)i * k + kk] =
          norm ? (double)Ty<T>::from(Ty<T>::to((float)(v * inv * Ty<T>::from(r.nwh[kk])))) : v;
    }
  }
  return r;
}

/* sum_k xn[r][k] w[j][k] and sum |.| of one output, float64. */
static void ref_dot(const std::vector<double> &xn, const W4 &w, int r, int j, double *sum,
                    double *mag)
{
  int groups = (w.k + w.group - 1) / w.group;
  *sum = *mag = 0.0;
  for (int kk = 0; kk < w.k; ++kk) {
    size_t g = (size_t)j * groups + kk / w.group;
    double p = xn[(size_t)r * w.k + kk] *
               (((double)w.q[(size_t)j * w.k + kk] - (double)w.zero[g]) * (double)w.scale[g]);
    *sum += p;
    *mag += fabs(p);
  }
}

template <typename T> static double fused_tol(double want, double mag)
{
  return sizeof(T) == 4 ? 4e-6 * mag + 1e-30 : 2e-3 * mag + fabs(want) / 512.0 + 1e-5;
}

/* A matrix on the device: packed rows and (scale, zero) pairs. */
template <typename T> struct DevW4 {
  Buf<uint8_t> q;
  Buf<T> sz;
  explicit DevW4(const W4 &w)
      : q((size_t)w.n * PARE_LLM_W4_ROW_BYTES(w.k)), sz((size_t)w.n * PARE_LLM_W4_GROUPS(w.k, w.group) * 2)
  {
    std::vector<uint8_t> qw = pack_qweight(w);
    std::vector<T> s = pack_sz<T>(w);
    CUDA_OK(cudaMemcpy(q.p, qw.data(), qw.size(), cudaMemcpyHostToDevice));
    CUDA_OK(cudaMemcpy(sz.p, s.data(), s.size() * sizeof(T), cudaMemcpyHostToDevice));
  }
};

template <typename T> static std::vector<T> to_host(const T *d, size_t count)
{
  std::vector<T> h(count);
  CUDA_OK(cudaMemcpy(h.data(), d, count * sizeof(T), cudaMemcpyDeviceToHost));
  return h;
}
template <typename T> static T *to_device(const std::vector<T> &h, Buf<T> &b)
{
  CUDA_OK(cudaMemcpy(b.p, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice));
  return b.p;
}

static cudaError_t linear_w4(const float *x, const float *nw, const uint8_t *q, const float *sz,
                             int group, const float *res, float *y, int rows, int k, int n,
                             pare_act_t act, void *ws)
{
  return pare_llm_linear_w4_f32(x, nw, 1e-5f, q, sz, group, res, y, rows, k, n, act, 0.0f, 0.0f,
                                ws, 0);
}
static cudaError_t linear_w4(const __half *x, const __half *nw, const uint8_t *q, const __half *sz,
                             int group, const __half *res, __half *y, int rows, int k, int n,
                             pare_act_t act, void *ws)
{
  return pare_llm_linear_w4_f16(x, nw, 1e-5f, q, sz, group, res, y, rows, k, n, act, 0.0f, 0.0f,
                                ws, 0);
}
static cudaError_t gated_w4(const float *x, const float *nw, const uint8_t *qg, const float *sg,
                            const uint8_t *qu, const float *su, int group, float *y, int rows,
                            int k, int n, void *ws)
{
  return pare_llm_gated_w4_f32(x, nw, 1e-5f, qg, sg, qu, su, group, y, rows, k, n, PARE_ACT_SILU,
                               0.0f, 0.0f, ws, 0);
}
static cudaError_t gated_w4(const __half *x, const __half *nw, const uint8_t *qg, const __half *sg,
                            const uint8_t *qu, const __half *su, int group, __half *y, int rows,
                            int k, int n, void *ws)
{
  return pare_llm_gated_w4_f16(x, nw, 1e-5f, qg, sg, qu, su, group, y, rows, k, n, PARE_ACT_SILU,
                               0.0f, 0.0f, ws, 0);
}
#define PARE_TEST_QKV_W4(T, SUF)                                                                \
  static cudaError_t qkv_w4(const T *x, const T *nw, const DevW4<T> &wq, const DevW4<T> &wk,    \
                            const DevW4<T> &wv, int group, const int32_t *pos,                  \
                            const float *inv_freq, int rotary_dim, T *q, T *kc, T *vc,          \
                            int rows, int k, int heads, int kv_heads, int head_dim, int ctx,    \
                            void *ws)                                                           \
  {                                                                                             \
    return pare_llm_qkv_w4_##SUF(x, nw, 1e-5f, wq.q.p, wq.sz.p, wk.q.p, wk.sz.p, wv.q.p,        \
                                 wv.sz.p, group, pos, nullptr, 0, inv_freq, rotary_dim, 0, q,   \
                                 kc, vc, rows, k, heads, kv_heads, head_dim, ctx, ws, 0);       \
  }
PARE_TEST_QKV_W4(float, f32)
PARE_TEST_QKV_W4(__half, f16)
#undef PARE_TEST_QKV_W4

static void report(bool ok, const char *what, const char *ty, int rows, int k, int n, int group,
                   double worst)
{
  printf("%s %s_%s rows %d k %d n %d group %d (worst err %.2e of sum|xw|)\n", ok ? "PASS" : "FAIL",
         what, ty, rows, k, n, group, worst);
  (ok ? g_pass : g_fail)++;
}

/* linear_w4: with norm and residual (residual = y, in place), or neither and a ReLU. */
template <typename T> static void check_linear(int rows, int k, int n, int group, bool fused)
{
  W4 w = random_w4(k, n, group);
  Rows<T> x = random_rows<T>(rows, k, fused, 1e-5f);
  std::uniform_real_distribution<float> rd(-1.0f, 1.0f);
  std::vector<T> res((size_t)rows * n);
  for (auto &v : res)
    v = Ty<T>::to(rd(g_rng));
  DevW4<T> dw(w);
  Buf<T> dx(x.xh.size()), dnw(k), dy(res.size());
  Buf<uint8_t> ws(PARE_LLM_W4_FUSED_WORKSPACE_BYTES(k, n, sizeof(T)));
  to_device(x.xh, dx);
  to_device(x.nwh, dnw);
  if (fused)
    to_device(res, dy); /* the residual, added in place */
  CUDA_OK(linear_w4(dx.p, fused ? dnw.p : nullptr, dw.q.p, dw.sz.p, group, fused ? dy.p : nullptr,
                    dy.p, rows, k, n, fused ? PARE_ACT_NONE : PARE_ACT_RELU, ws.p));
  CUDA_OK(cudaDeviceSynchronize());
  std::vector<T> y = to_host(dy.p, res.size());
  bool ok = true;
  double worst = 0.0;
  for (int r = 0; r < rows && ok; ++r)
    for (int j = 0; j < n && ok; ++j) {
      double sum, mag;
      ref_dot(x.xn, w, r, j, &sum, &mag);
      double want = fused ? sum + Ty<T>::from(res[(size_t)r * n + j]) : fmax(sum, 0.0);
      double got = Ty<T>::from(y[(size_t)r * n + j]), err = fabs(got - want);
      if (!(err <= fused_tol<T>(want, mag))) {
        printf("  row %d col %d: got %.8g want %.8g\n", r, j, got, want);
        ok = false;
      }
      worst = fmax(worst, err / (mag + 1e-30));
    }
  report(ok, fused ? "linear_w4 (norm, residual)" : "linear_w4 (relu)", Ty<T>::name(), rows, k,
         n, group, worst);
}

template <typename T> static void check_gated(int rows, int k, int n, int group)
{
  W4 wg = random_w4(k, n, group), wu = random_w4(k, n, group);
  Rows<T> x = random_rows<T>(rows, k, true, 1e-5f);
  DevW4<T> dg(wg), du(wu);
  Buf<T> dx(x.xh.size()), dnw(k), dy((size_t)rows * n);
  Buf<uint8_t> ws(PARE_LLM_W4_FUSED_WORKSPACE_BYTES(k, 2 * n, sizeof(T)));
  to_device(x.xh, dx);
  to_device(x.nwh, dnw);
  CUDA_OK(gated_w4(dx.p, dnw.p, dg.q.p, dg.sz.p, du.q.p, du.sz.p, group, dy.p, rows, k, n, ws.p));
  CUDA_OK(cudaDeviceSynchronize());
  std::vector<T> y = to_host(dy.p, (size_t)rows * n);
  bool ok = true;
  double worst = 0.0;
  for (int r = 0; r < rows && ok; ++r)
    for (int j = 0; j < n && ok; ++j) {
      double g, gm, u, um;
      ref_dot(x.xn, wg, r, j, &g, &gm);
      ref_dot(x.xn, wu, r, j, &u, &um);
      double sg = g / (1.0 + exp(-g)), want = sg * u;
      /* |d(silu(g) u)| <= 1.1 |u| dg + |silu(g)| du */
      double tol = fused_tol<T>(0.0, 1.1 * fabs(u) * gm + fabs(sg) * um) + fabs(want) / 256.0 * (sizeof(T) == 2);
      double got = Ty<T>::from(y[(size_t)r * n + j]), err = fabs(got - want);
      if (!(err <= tol)) {
        printf("  row %d col %d: got %.8g want %.8g (tol %.3g)\n", r, j, got, want, tol);
        ok = false;
      }
      worst = fmax(worst, err / (1.1 * fabs(u) * gm + fabs(sg) * um + 1e-30));
    }
  report(ok, "gated_w4 (norm, silu)", Ty<T>::name(), rows, k, n, group, worst);
}

/* q with rotary dims 0 .. rotary_dim - 1 turned (pairs i, i + rotary_dim / 2), k and v written
 * to caches of `ctx` positions at positions 3 r + 1. */
template <typename T>
static void check_qkv(int rows, int k, int heads, int kv_heads, int head_dim, int rotary_dim,
                      int group)
{
  const int nq = heads * head_dim, nkv = kv_heads * head_dim, ctx = 3 * rows + 2;
  W4 wq = random_w4(k, nq, group), wk = random_w4(k, nkv, group), wv = random_w4(k, nkv, group);
  Rows<T> x = random_rows<T>(rows, k, true, 1e-5f);
  std::vector<float> inv_freq(rotary_dim / 2);
  for (int i = 0; i < rotary_dim / 2; ++i)
    inv_freq[i] = (float)pow(10000.0, -2.0 * i / rotary_dim);
  std::vector<int32_t> pos(rows);
  for (int r = 0; r < rows; ++r)
    pos[r] = 3 * r + 1;
  DevW4<T> dq(wq), dk(wk), dv(wv);
  Buf<T> dx(x.xh.size()), dnw(k), dqo((size_t)rows * nq), dkc((size_t)kv_heads * ctx * head_dim),
      dvc((size_t)kv_heads * ctx * head_dim);
  Buf<float> dinv(inv_freq.size());
  Buf<int32_t> dpos(rows);
  Buf<uint8_t> ws(PARE_LLM_W4_FUSED_WORKSPACE_BYTES(k, nq + 2 * nkv, sizeof(T)));
  to_device(x.xh, dx);
  to_device(x.nwh, dnw);
  to_device(inv_freq, dinv);
  to_device(pos, dpos);
  CUDA_OK(qkv_w4(dx.p, dnw.p, dq, dk, dv, group, dpos.p, dinv.p, rotary_dim, dqo.p, dkc.p, dvc.p,
                 rows, k, heads, kv_heads, head_dim, ctx, ws.p));
  CUDA_OK(cudaDeviceSynchronize());
  std::vector<T> qo = to_host(dqo.p, (size_t)rows * nq),
                 kc = to_host(dkc.p, (size_t)kv_heads * ctx * head_dim),
                 vc = to_host(dvc.p, (size_t)kv_heads * ctx * head_dim);
  bool ok = true;
  double worst = 0.0;
  const int half = rotary_dim / 2;
  for (int r = 0; r < rows && ok; ++r)
    for (int sec = 0; sec < 3 && ok; ++sec) {
      const W4 &w = sec == 0 ? wq : sec == 1 ? wk : wv;
      const int hs = sec == 0 ? heads : kv_heads;
      for (int h = 0; h < hs && ok; ++h)
        for (int d = 0; d < head_dim && ok; ++d) {
          double a, am;
          ref_dot(x.xn, w, r, h * head_dim + d, &a, &am);
          double want = a, mag = am;
          if (sec < 2 && d < rotary_dim) {
            const int i = d < half ? d : d - half, o = d < half ? d + half : d - half;
            double b, bm;
            ref_dot(x.xn, w, r, h * head_dim + o, &b, &bm);
            double ang = (double)pos[r] * (double)inv_freq[i], c = cos(ang), s = sin(ang);
            want = d < half ? a * c - b * s : a * c + b * s;
            mag = am + bm;
          }
          const T *src = sec == 0 ? &qo[((size_t)r * heads + h) * head_dim + d]
                                  : &(sec == 1 ? kc : vc)[((size_t)h * ctx + pos[r]) * head_dim + d];
          double got = Ty<T>::from(*src), err = fabs(got - want);
          if (!(err <= fused_tol<T>(want, mag) + (sizeof(T) == 4 ? 1e-6 * mag : 0.0))) {
            printf("  row %d %c head %d dim %d: got %.8g want %.8g\n", r, "qkv"[sec], h, d, got,
                   want);
            ok = false;
          }
          worst = fmax(worst, err / (mag + 1e-30));
        }
    }
  report(ok, "qkv_w4 (norm, rotary, kv write)", Ty<T>::name(), rows, k, nq + 2 * nkv, group,
         worst);
}

template <typename T> static void test_fused()
{
  const int rowsList[] = {1, 2, 4, 5, 37};
  for (int rows : rowsList) {
    check_linear<T>(rows, 48, 48, 16, true);
    check_linear<T>(rows, 100, 13, 32, false); /* K past the last chunk, odd N */
    check_linear<T>(rows, 576, 70, 128, true);
    check_gated<T>(rows, 48, 80, 16);
    check_gated<T>(rows, 576, 33, 64);
    check_qkv<T>(rows, 48, 4, 2, 12, 12, 16);
    check_qkv<T>(rows, 256, 2, 1, 64, 32, 128); /* partial rotary */
  }
  int bad = pare_llm_linear_w4_f32(nullptr, nullptr, 0.0f, nullptr, nullptr, 24, nullptr, nullptr,
                                   1, 64, 8, PARE_ACT_NONE, 0.0f, 0.0f, nullptr, 0) ==
            cudaErrorInvalidValue;
  printf("%s linear_w4 group 24 refused\n", bad ? "PASS" : "FAIL");
  (bad ? g_pass : g_fail)++;
  cudaGetLastError();
}

/* ---------------------------------------------------------------- bench -- */

/* Mean time of `fn(copy)` over rotating weight copies totalling > 256 MB (no
 * L2 reuse between calls), in microseconds. */
template <typename F> static double time_us(int copies, F fn)
{
  cudaEvent_t a, b;
  CUDA_OK(cudaEventCreate(&a));
  CUDA_OK(cudaEventCreate(&b));
  for (int i = 0; i < copies; ++i)
    CUDA_OK(fn(i));
  const int iters = 20 * copies > 400 ? 20 * copies : 400;
  CUDA_OK(cudaEventRecord(a));
  for (int i = 0; i < iters; ++i)
    fn(i % copies);
  CUDA_OK(cudaEventRecord(b));
  CUDA_OK(cudaEventSynchronize(b));
  CUDA_OK(cudaGetLastError());
  float ms = 0.0f;
  CUDA_OK(cudaEventElapsedTime(&ms, a, b));
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  return ms * 1000.0 / iters;
}

/* Times one shape; returns {f16, w4} microseconds (rows 1: also the fused int4 GEMV,
 * pare_llm_linear_w4_f16 without prologue or epilogue, into *fused). */
static std::pair<double, double> bench_shape(int k, int n, int rows, double *fused = nullptr)
{
  const int group = 128;
  size_t w16 = (size_t)k * n * 2;
  size_t w4 = (size_t)n * PARE_LLM_W4_ROW_BYTES(k), s4 = (size_t)n * PARE_LLM_W4_GROUPS(k, group) * 4;
  int c16 = (int)((256u << 20) / w16) + 2, c4 = (int)((256u << 20) / (w4 + s4)) + 2;
  std::vector<__half *> f16(c16);
  std::vector<uint8_t *> q(c4);
  std::vector<__half *> sz(c4);
  for (auto &p : f16) {
    CUDA_OK(cudaMalloc((void **)&p, w16));
    CUDA_OK(cudaMemset(p, 0x11, w16));
  }
  for (int i = 0; i < c4; ++i) {
    CUDA_OK(cudaMalloc((void **)&q[i], w4));
    CUDA_OK(cudaMemset(q[i], 0x5a, w4));
    CUDA_OK(cudaMalloc((void **)&sz[i], s4));
    CUDA_OK(cudaMemset(sz[i], 0x11, s4)); /* scale and zero 0x1111: small normal halves */
  }
  __half *x, *y;
  CUDA_OK(cudaMalloc((void **)&x, (size_t)rows * k * 2));
  CUDA_OK(cudaMalloc((void **)&y, (size_t)rows * n * 2));
  CUDA_OK(cudaMemset(x, 0x11, (size_t)rows * k * 2));
  double t16 = time_us(c16, [&](int i) {
    return pare_llm_matmul_f16(x, f16[i], y, rows, k, n, PARE_ACT_NONE, 0.0f, 0.0f, 0);
  });
  double t4 = time_us(c4, [&](int i) {
    return pare_llm_matmul_w4_f16(x, q[i], sz[i], y, rows, k, n, group, PARE_ACT_NONE, 0.0f,
                                  0.0f, 0);
  });
  if (rows == 1) {
    double tf = time_us(c4, [&](int i) {
      return pare_llm_linear_w4_f16(x, nullptr, 0.0f, q[i], sz[i], group, nullptr, y, rows, k, n,
                                    PARE_ACT_NONE, 0.0f, 0.0f, nullptr, 0);
    });
    if (fused)
      *fused = tf;
    printf("gemv  K %5d N %5d: f16 %8.2f us %7.1f GB/s | w4 g%d %8.2f us %7.1f GB/s (%.1f GB/s "
           "of 4-bit weights) | speedup %.2fx | fused linear_w4 %8.2f us %7.1f GB/s\n",
           k, n, t16, w16 / t16 / 1e3, group, t4, (w4 + s4) / t4 / 1e3, w4 / t4 / 1e3, t16 / t4,
           tf, (w4 + s4) / tf / 1e3);
  } else {
    printf("gemm %d rows K %5d N %5d: f16 %8.2f us %7.2f TFLOP/s | w4 g%d %8.2f us %7.2f TFLOP/s "
           "| ratio w4/f16 %.2f\n",
           rows, k, n, t16, 2.0 * rows * k * n / t16 / 1e6, group, t4,
           2.0 * rows * k * n / t4 / 1e6, t4 / t16);
  }
  for (auto p : f16)
    cudaFree(p);
  for (int i = 0; i < c4; ++i) {
    cudaFree(q[i]);
    cudaFree(sz[i]);
  }
  cudaFree(x);
  cudaFree(y);
  return {t16, t4};
}

int main(int argc, char **argv)
{
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) {
    fprintf(stderr, "no CUDA device\n");
    return 2;
  }
  if (argc > 1 && strcmp(argv[1], "--bench") == 0) {
    cudaDeviceProp prop;
    CUDA_OK(cudaGetDeviceProperties(&prop, dev));
    printf("device: %s\n", prop.name);
    const int shapes[3][2] = {{4096, 4096}, {4096, 11008}, {11008, 4096}};
    std::pair<double, double> t[3];
    double tf[3];
    for (int i = 0; i < 3; ++i)
      t[i] = bench_shape(shapes[i][0], shapes[i][1], 1, &tf[i]);
    /* The 224 linears of a Llama-2-7B-shaped decode step: 32 layers of q, k, v, o (4096 x
     * 4096), gate, up (4096 x 11008) and down (11008 x 4096), from the times above. */
    double s16 = 32 * (4 * t[0].first + 2 * t[1].first + t[2].first);
    double s4 = 32 * (4 * t[0].second + 2 * t[1].second + t[2].second);
    printf("7B-shaped decode step, 224 linears (sum of the above): f16 %.3f ms | w4 g128 %.3f ms "
           "(%.2f TB/s of 4-bit weights) | speedup %.2fx\n",
           s16 / 1e3, s4 / 1e3, 32.0 * (4 * 4096.0 * 4096 + 3 * 4096.0 * 11008) / 2 / s4 / 1e6,
           s16 / s4);
    const double sf = 32 * (4 * tf[0] + 2 * tf[1] + tf[2]);
    printf("7B-shaped decode step, 224 linears, fused int4 GEMV (pare_llm_linear_w4_f16): %.3f ms "
           "(issue 18: <= 1.35 ms on an H100)\n",
           sf / 1e3);
    for (auto &s : shapes)
      bench_shape(s[0], s[1], 512);
    return 0;
  }
  test_all<float>();
  test_all<__half>();
  test_fused<float>();
  test_fused<__half>();
  printf("%d passed, %d failed\n", g_pass, g_fail);
  return g_fail == 0 ? 0 : 1;
}
