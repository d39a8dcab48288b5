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
 *                                (issue 18: <= 1.35 ms on an H100), and 512-row prefills
 *
 * The weights are packed here as the CUDA decoder's emitter packs them
 * (pare_cu_llm.cuh: rows of 16-byte chunks, low nibble first, (scale, zero)
 * pairs per group). Shapes cover the GEMV (1 to 4 rows) and the GEMM (more),
 * groups 16 (two groups a chunk) to 128, K a multiple of 32 or not (a partial
 * last chunk, K below one chunk), x aligned for 16-byte loads or not, N not a
 * multiple of a block's rows, and a fused ReLU. Tolerances: float, 2e-6 of
 * sum |x w| (float sums; the weights are exact); half, the output's rounding
 * plus 2e-3 of sum |x w| (the GEMM rounds dequantized weights to half).
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

/* Times one shape; returns {f16, w4} microseconds. */
static std::pair<double, double> bench_shape(int k, int n, int rows)
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
  if (rows == 1)
    printf("gemv  K %5d N %5d: f16 %8.2f us %7.1f GB/s | w4 g%d %8.2f us %7.1f GB/s (%.1f GB/s "
           "of 4-bit weights) | speedup %.2fx\n",
           k, n, t16, w16 / t16 / 1e3, group, t4, (w4 + s4) / t4 / 1e3, w4 / t4 / 1e3, t16 / t4);
  else
    printf("gemm %d rows K %5d N %5d: f16 %8.2f us %7.2f TFLOP/s | w4 g%d %8.2f us %7.2f TFLOP/s "
           "| ratio w4/f16 %.2f\n",
           rows, k, n, t16, 2.0 * rows * k * n / t16 / 1e6, group, t4,
           2.0 * rows * k * n / t4 / 1e6, t4 / t16);
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
    for (int i = 0; i < 3; ++i)
      t[i] = bench_shape(shapes[i][0], shapes[i][1], 1);
    /* The 224 linears of a Llama-2-7B-shaped decode step: 32 layers of q, k, v, o (4096 x
     * 4096), gate, up (4096 x 11008) and down (11008 x 4096), from the times above. */
    double s16 = 32 * (4 * t[0].first + 2 * t[1].first + t[2].first);
    double s4 = 32 * (4 * t[0].second + 2 * t[1].second + t[2].second);
    printf("7B-shaped decode step, 224 linears (sum of the above): f16 %.3f ms | w4 g128 %.3f ms "
           "(%.2f TB/s of 4-bit weights) | speedup %.2fx\n",
           s16 / 1e3, s4 / 1e3, 32.0 * (4 * 4096.0 * 4096 + 3 * 4096.0 * 11008) / 2 / s4 / 1e6,
           s16 / s4);
    for (auto &s : shapes)
      bench_shape(s[0], s[1], 512);
    return 0;
  }
  test_all<float>();
  test_all<__half>();
  printf("%d passed, %d failed\n", g_pass, g_fail);
  return g_fail == 0 ? 0 : 1;
}
