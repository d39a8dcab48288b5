/*
 * Tests for the pare CUDA convolution / matmul kernels (pare_cu_conv.cu,
 * pare_cu_gemm.cu) against a double-precision CPU reference.
 *
 *   nvcc -std=c++17 -O3 -arch=sm_90 -Iruntime-stubs/cuda tests/cuda/test_conv_gemm.cu \
 *        runtime-stubs/cuda/pare_cu_conv.cu runtime-stubs/cuda/pare_cu_gemm.cu -o t
 *   ./t           correctness: prints "N passed, M failed", exit status 1 on failure
 *   ./t --bench   also times the key shapes (median of 50 runs after warm-up)
 */
#include "act_reference.h"
#include "pare_cuda.cuh"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#define CHECK(call)                                                                     \
  do {                                                                                  \
    cudaError_t e_ = (call);                                                            \
    if (e_ != cudaSuccess) {                                                            \
      fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_)); \
      exit(2);                                                                          \
    }                                                                                   \
  } while (0)

static int g_passed = 0, g_failed = 0;
static std::mt19937 g_rng(1234);

/* ------------------------------------------------------------ helpers -- */

/* Typical attribute values per activation (alpha, beta). */
static void act_params(pare_act_t act, float *a, float *b)
{
  *a = 0.0f; *b = 0.0f;
  switch (act) {
  case PARE_ACT_CLIP: *a = -0.5f; *b = 0.75f; break;
  case PARE_ACT_LEAKY_RELU: *a = 0.1f; break;
  case PARE_ACT_HARD_SIGMOID: *a = 0.2f; *b = 0.5f; break;
  case PARE_ACT_ELU: case PARE_ACT_CELU: *a = 1.0f; break;
  case PARE_ACT_SELU: *a = 1.67326f; *b = 1.0507f; break;
  case PARE_ACT_THRESHOLDED_RELU: *a = 0.3f; break;
  default: break;
  }
}

static float to_f(float v) { return v; }
static float to_f(__half v) { return __half2float(v); }
template <class T> static T from_f(float v);
template <> float from_f<float>(float v) { return v; }
template <> __half from_f<__half>(float v) { return __float2half(v); }

/* Random host tensor in [-scale, scale], exactly representable in T. */
template <class T> static std::vector<T> random_tensor(size_t count, float scale = 1.0f)
{
  std::uniform_real_distribution<float> d(-scale, scale);
  std::vector<T> v(count);
  for (auto &e : v) e = from_f<T>(d(g_rng));
  return v;
}

/* Device copy of a host tensor, placed `offset` elements into the allocation
 * (offset 1 makes a misaligned pointer). */
template <class T> struct DevBuf {
  T *base = nullptr, *ptr = nullptr;
  DevBuf(const std::vector<T> &h, int offset = 0)
  {
    CHECK(cudaMalloc(&base, (h.size() + offset + 1) * sizeof(T)));
    ptr = base + offset;
    if (!h.empty()) CHECK(cudaMemcpy(ptr, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice));
  }
  DevBuf(size_t count, int offset = 0)
  {
    CHECK(cudaMalloc(&base, (count + offset + 1) * sizeof(T)));
    CHECK(cudaMemset(base, 0, (count + offset + 1) * sizeof(T)));
    ptr = base + offset;
  }
  ~DevBuf() { cudaFree(base); }
  DevBuf(const DevBuf &) = delete;
  DevBuf &operator=(const DevBuf &) = delete;
  std::vector<T> get(size_t count) const
  {
    std::vector<T> h(count);
    CHECK(cudaMemcpy(h.data(), ptr, count * sizeof(T), cudaMemcpyDeviceToHost));
    return h;
  }
};

/* Compares got with ref (|d| <= atol + rtol |ref|) and records the result. */
template <class T>
static void compare(const std::string &name, const std::vector<T> &got,
                    const std::vector<double> &ref, int k)
{
  const bool half = sizeof(T) == 2;
  const double rtol = half ? 1e-2 : 1e-4;
  const double atol = (half ? 2e-3 : 1e-5) * sqrt((double)std::max(k, 1));
  size_t bad = 0, first = 0;
  double worst = 0.0;
  for (size_t i = 0; i < ref.size(); i++) {
    const double g = to_f(got[i]), d = fabs(g - ref[i]);
    if (!(d <= atol + rtol * fabs(ref[i]))) {
      if (bad++ == 0) first = i;
      worst = std::max(worst, d);
    }
  }
  if (bad == 0) {
    g_passed++;
  } else {
    g_failed++;
    printf("FAIL %s [%s]: %zu / %zu wrong, first at %zu (got %g want %g), worst |d| %g\n",
           name.c_str(), half ? "f16" : "f32", bad, ref.size(), first, (double)to_f(got[first]),
           ref[first], worst);
  }
}

/* -------------------------------------------------------- convolution -- */

struct ConvCase {
  int n, ih, iw, ic, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, group;
  bool bias, res;
  pare_act_t act;
  int offset; /* element offset of every pointer (1: misaligned) */
  bool depthwise;
};

static std::string conv_name(const ConvCase &c)
{
  char s[256];
  snprintf(s, sizeof s,
           "%s n%d %dx%dx%d->oc%d k%dx%d s%d,%d d%d,%d p%d,%d,%d,%d g%d bias%d res%d act%d off%d",
           c.depthwise ? "dwconv" : "conv", c.n, c.ih, c.iw, c.ic, c.oc, c.kh, c.kw, c.sh, c.sw,
           c.dh, c.dw, c.pt, c.pl, c.pb, c.pr, c.group, c.bias, c.res, (int)c.act, c.offset);
  return s;
}

static int conv_out(int in, int k, int s, int d, int p0, int p1)
{
  return (in + p0 + p1 - d * (k - 1) - 1) / s + 1;
}

template <class T> static void run_conv_case(const ConvCase &c)
{
  const int oh = conv_out(c.ih, c.kh, c.sh, c.dh, c.pt, c.pb);
  const int ow = conv_out(c.iw, c.kw, c.sw, c.dw, c.pl, c.pr);
  const int icg = c.ic / c.group, ocg = c.oc / c.group;
  const size_t ysize = (size_t)c.n * oh * ow * c.oc;
  const size_t wsize = c.depthwise ? (size_t)c.kh * c.kw * c.ic : (size_t)c.oc * c.kh * c.kw * icg;
  auto hx = random_tensor<T>((size_t)c.n * c.ih * c.iw * c.ic);
  auto hw = random_tensor<T>(wsize);
  auto hb = random_tensor<T>(c.bias ? c.oc : 0);
  auto hr = random_tensor<T>(c.res ? ysize : 0);
  float aa, ab;
  act_params(c.act, &aa, &ab);

  std::vector<double> ref(ysize);
  for (int b = 0; b < c.n; b++)
    for (int oy = 0; oy < oh; oy++)
      for (int ox = 0; ox < ow; ox++)
        for (int o = 0; o < c.oc; o++) {
          const int g = o / ocg;
          double s = c.bias ? to_f(hb[o]) : 0.0;
          for (int r = 0; r < c.kh; r++) {
            const int iy = oy * c.sh - c.pt + r * c.dh;
            if (iy < 0 || iy >= c.ih) continue;
            for (int q = 0; q < c.kw; q++) {
              const int ix = ox * c.sw - c.pl + q * c.dw;
              if (ix < 0 || ix >= c.iw) continue;
              const T *xp = &hx[(((size_t)b * c.ih + iy) * c.iw + ix) * c.ic];
              if (c.depthwise) {
                s += (double)to_f(xp[o]) * to_f(hw[(r * c.kw + q) * c.ic + o]);
              } else {
                for (int ci = 0; ci < icg; ci++)
                  s += (double)to_f(xp[g * icg + ci]) *
                       to_f(hw[(((size_t)o * c.kh + r) * c.kw + q) * icg + ci]);
              }
            }
          }
          const size_t yo = (((size_t)b * oh + oy) * ow + ox) * c.oc + o;
          if (c.res) s += to_f(hr[yo]);
          ref[yo] = ref_activation(s, c.act, aa, ab);
        }

  DevBuf<T> dx(hx, c.offset), dw(hw, c.offset), db(hb, c.offset), dr(hr, c.offset),
      dy(ysize, c.offset);
  const T *bias = c.bias ? db.ptr : nullptr, *res = c.res ? dr.ptr : nullptr;
  if (c.depthwise) {
    if constexpr (sizeof(T) == 4)
      CHECK(pare_cu_depthwise_conv2d_f32(dx.ptr, c.n, c.ih, c.iw, c.ic, dw.ptr, bias, res,
                                         dy.ptr, oh, ow, c.kh, c.kw, c.sh, c.sw, c.dh, c.dw,
                                         c.pt, c.pl, c.act, aa, ab, 0));
    else
      CHECK(pare_cu_depthwise_conv2d_f16(dx.ptr, c.n, c.ih, c.iw, c.ic, dw.ptr, bias, res,
                                         dy.ptr, oh, ow, c.kh, c.kw, c.sh, c.sw, c.dh, c.dw,
                                         c.pt, c.pl, c.act, aa, ab, 0));
  } else {
    if constexpr (sizeof(T) == 4)
      CHECK(pare_cu_conv2d_f32(dx.ptr, c.n, c.ih, c.iw, c.ic, dw.ptr, bias, res, dy.ptr, oh,
                               ow, c.oc, c.kh, c.kw, c.sh, c.sw, c.dh, c.dw, c.pt, c.pl,
                               c.group, c.act, aa, ab, 0));
    else
      CHECK(pare_cu_conv2d_f16(dx.ptr, c.n, c.ih, c.iw, c.ic, dw.ptr, bias, res, dy.ptr, oh,
                               ow, c.oc, c.kh, c.kw, c.sh, c.sw, c.dh, c.dw, c.pt, c.pl,
                               c.group, c.act, aa, ab, 0));
  }
  CHECK(cudaDeviceSynchronize());
  compare(conv_name(c), dy.get(ysize), ref, c.depthwise ? c.kh * c.kw : c.kh * c.kw * icg);
}

/* ------------------------------------------------------------- matmul -- */

struct MatmulCase {
  int m, n, k, batch;
  bool at, bt;   /* A stored [k][m] / B stored [n][k] (else [m][k] / [k][n]) */
  int pad;       /* extra elements per stored row */
  int cmode;     /* 0 none, 1 full [m][n], 2 row vector [n], 3 column [m], 4 scalar */
  float alpha, beta;
  bool res, bbcast; /* residual; B shared by every batch (b_bs = 0) */
  pare_act_t act;
  int offset;
};

static std::string mm_name(const MatmulCase &c)
{
  char s[256];
  snprintf(s, sizeof s,
           "matmul m%d n%d k%d b%d at%d bt%d pad%d c%d alpha%g beta%g res%d bbcast%d act%d off%d",
           c.m, c.n, c.k, c.batch, c.at, c.bt, c.pad, c.cmode, c.alpha, c.beta, c.res, c.bbcast,
           (int)c.act, c.offset);
  return s;
}

template <class T> static void run_matmul_case(const MatmulCase &c)
{
  const int lda = (c.at ? c.m : c.k) + c.pad, ldb = (c.bt ? c.k : c.n) + c.pad;
  const int a_rs = c.at ? 1 : lda, a_cs = c.at ? lda : 1;
  const int b_rs = c.bt ? 1 : ldb, b_cs = c.bt ? ldb : 1;
  const long long a_bs = (long long)(c.at ? c.k : c.m) * lda;
  const long long b_bs = c.bbcast ? 0 : (long long)(c.bt ? c.n : c.k) * ldb;
  int c_rs = 0, c_cs = 0;
  size_t csize = 0;
  switch (c.cmode) {
  case 1: c_rs = c.n; c_cs = 1; csize = (size_t)c.m * c.n; break;
  case 2: c_cs = 1; csize = c.n; break;
  case 3: c_rs = 1; csize = c.m; break;
  case 4: csize = 1; break;
  default: break;
  }
  const size_t ysize = (size_t)c.batch * c.m * c.n;
  auto ha = random_tensor<T>((size_t)c.batch * a_bs);
  auto hb = random_tensor<T>(c.bbcast ? (size_t)(c.bt ? c.n : c.k) * ldb : (size_t)c.batch * b_bs);
  auto hc = random_tensor<T>(csize);
  auto hr = random_tensor<T>(c.res ? ysize : 0);
  float aa, ab;
  act_params(c.act, &aa, &ab);

  std::vector<double> ref(ysize);
  for (int z = 0; z < c.batch; z++)
    for (int i = 0; i < c.m; i++)
      for (int j = 0; j < c.n; j++) {
        double s = 0.0;
        for (int q = 0; q < c.k; q++)
          s += (double)to_f(ha[z * a_bs + (long long)i * a_rs + (long long)q * a_cs]) *
               to_f(hb[z * b_bs + (long long)q * b_rs + (long long)j * b_cs]);
        s *= c.alpha;
        if (c.cmode) s += c.beta * (double)to_f(hc[(size_t)i * c_rs + (size_t)j * c_cs]);
        const size_t yo = ((size_t)z * c.m + i) * c.n + j;
        if (c.res) s += to_f(hr[yo]);
        ref[yo] = ref_activation(s, c.act, aa, ab);
      }

  DevBuf<T> da(ha, c.offset), db(hb, c.offset), dc(hc, c.offset), dr(hr, c.offset),
      dy(ysize, c.offset);
  const T *cp = c.cmode ? dc.ptr : nullptr, *rp = c.res ? dr.ptr : nullptr;
  if constexpr (sizeof(T) == 4)
    CHECK(pare_cu_matmul_f32(da.ptr, db.ptr, cp, rp, dy.ptr, c.m, c.n, c.k, a_rs, a_cs, b_rs,
                             b_cs, c_rs, c_cs, c.batch, a_bs, b_bs, c.alpha, c.beta, c.act, aa,
                             ab, 0));
  else
    CHECK(pare_cu_matmul_f16(da.ptr, db.ptr, cp, rp, dy.ptr, c.m, c.n, c.k, a_rs, a_cs, b_rs,
                             b_cs, c_rs, c_cs, c.batch, a_bs, b_bs, c.alpha, c.beta, c.act, aa,
                             ab, 0));
  CHECK(cudaDeviceSynchronize());
  compare(mm_name(c), dy.get(ysize), ref, c.k);
}

/* ---------------------------------------------------------- test list -- */

static std::vector<ConvCase> conv_cases()
{
  std::vector<ConvCase> v;
  //            n  ih  iw  ic  oc kh kw sh sw dh dw pt pl pb pr  g  bias   res    act        off dw
  v.push_back({1, 8, 8, 16, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, false, PARE_ACT_RELU, 0, false});
  v.push_back({2, 9, 7, 8, 24, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, true, true, PARE_ACT_NONE, 0, false});
  v.push_back({1, 15, 13, 3, 17, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 1, true, false, PARE_ACT_RELU, 0, false});
  v.push_back({3, 10, 11, 32, 64, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, false, true, PARE_ACT_CLIP, 0, false});
  v.push_back({1, 12, 12, 16, 16, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, true, false, PARE_ACT_NONE, 0, false});
  v.push_back({1, 12, 10, 16, 32, 3, 2, 1, 2, 2, 1, 1, 0, 2, 1, 1, true, false, PARE_ACT_GELU, 0, false});
  v.push_back({2, 8, 8, 32, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, true, true, PARE_ACT_RELU, 0, false});
  v.push_back({1, 7, 7, 12, 18, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3, true, false, PARE_ACT_SIGMOID, 0, false});
  v.push_back({1, 9, 9, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8, true, false, PARE_ACT_NONE, 0, false});
  v.push_back({1, 6, 6, 5, 7, 2, 2, 1, 1, 1, 1, 0, 0, 1, 1, 1, true, true, PARE_ACT_TANH, 0, false});
  v.push_back({2, 8, 8, 16, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true, PARE_ACT_NONE, 1, false});
  v.push_back({1, 20, 20, 64, 136, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true, PARE_ACT_RELU, 0, false});
  v.push_back({1, 14, 14, 256, 512, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, true, false, PARE_ACT_RELU, 0, false});
  v.push_back({4, 28, 28, 24, 144, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, true, false, PARE_ACT_CLIP, 0, false});
  v.push_back({1, 5, 5, 8, 8, 5, 5, 1, 1, 1, 1, 0, 0, 0, 0, 1, false, false, PARE_ACT_NONE, 0, false});
  // Batch-1 deep layers: few output tiles, split K (plus its reduction kernel).
  v.push_back({1, 7, 7, 512, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true, PARE_ACT_RELU, 0, false});
  v.push_back({1, 14, 14, 256, 256, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, false, PARE_ACT_NONE, 0, false});
  v.push_back({1, 7, 7, 20, 36, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true, PARE_ACT_RELU, 0, false});
  // Depthwise (group == ic == oc).
  v.push_back({1, 10, 10, 32, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 32, true, false, PARE_ACT_CLIP, 0, true});
  v.push_back({2, 11, 9, 24, 24, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 24, true, true, PARE_ACT_RELU, 0, true});
  v.push_back({1, 9, 9, 13, 13, 5, 5, 1, 1, 2, 2, 4, 4, 4, 4, 13, true, false, PARE_ACT_NONE, 0, true});
  v.push_back({1, 8, 8, 6, 6, 3, 3, 1, 2, 1, 1, 0, 1, 2, 1, 6, false, false, PARE_ACT_HARD_SWISH, 0, true});
  v.push_back({1, 8, 8, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 16, true, true, PARE_ACT_NONE, 1, true});
  // Depthwise also through the general kernel.
  v.push_back({1, 8, 8, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 16, true, false, PARE_ACT_RELU, 0, false});
  // Every activation once.
  for (int a = 0; a <= PARE_ACT_MISH; a++)
    v.push_back({1, 6, 6, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true, (pare_act_t)a, 0, false});
  /* Grids big enough for the sm_90a kernel (when built with PARE_CU_SM90A):
   * block widths 64 / 128 / 256, M and K edges, stride, dilation, 1x1. */
  v.push_back({16, 28, 28, 64, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true, PARE_ACT_RELU, 0, false});
  v.push_back({32, 30, 29, 72, 96, 3, 3, 2, 2, 1, 1, 1, 0, 1, 1, 1, true, false, PARE_ACT_NONE, 0, false});
  v.push_back({64, 14, 14, 256, 512, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, true, true, PARE_ACT_NONE, 0, false});
  v.push_back({8, 33, 33, 16, 64, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, false, false, PARE_ACT_GELU, 0, false});
  /* ... and its element-wise producer: 3 or 5 channels, K not a multiple of 8. */
  v.push_back({16, 64, 64, 3, 64, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 1, true, false, PARE_ACT_RELU, 0, false});
  v.push_back({8, 40, 40, 5, 50, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true, PARE_ACT_NONE, 0, false});
  v.push_back({4, 70, 70, 4, 130, 3, 3, 2, 1, 2, 1, 2, 1, 0, 1, 1, true, false, PARE_ACT_NONE, 1, false});
  return v;
}

static std::vector<MatmulCase> matmul_cases()
{
  std::vector<MatmulCase> v;
  //            m    n    k  batch at     bt    pad c  alpha beta res   bbcast act            off
  v.push_back({64, 64, 64, 1, false, false, 0, 0, 1.0f, 0.0f, false, false, PARE_ACT_NONE, 0});
  v.push_back({128, 256, 96, 1, false, true, 0, 2, 1.0f, 1.0f, false, false, PARE_ACT_RELU, 0});
  v.push_back({77, 53, 41, 1, false, false, 0, 1, 0.5f, 2.0f, true, false, PARE_ACT_NONE, 0});
  v.push_back({100, 72, 136, 3, false, true, 8, 3, 1.0f, 1.0f, true, false, PARE_ACT_GELU, 0});
  v.push_back({96, 80, 64, 2, true, false, 0, 0, 1.0f, 0.0f, false, false, PARE_ACT_NONE, 0});
  v.push_back({64, 48, 72, 2, true, true, 0, 4, 1.5f, 0.5f, false, true, PARE_ACT_TANH, 0});
  v.push_back({33, 65, 129, 2, true, false, 3, 1, 1.0f, 1.0f, true, false, PARE_ACT_SIGMOID, 0});
  v.push_back({64, 64, 64, 1, false, false, 0, 1, 1.0f, 1.0f, true, false, PARE_ACT_NONE, 1});
  v.push_back({130, 200, 260, 1, false, true, 0, 2, 1.0f, 1.0f, true, false, PARE_ACT_NONE, 0});
  v.push_back({512, 384, 256, 1, false, true, 0, 2, 1.0f, 1.0f, true, false, PARE_ACT_GELU_TANH, 0});
  v.push_back({256, 128, 512, 4, false, false, 0, 0, 0.125f, 0.0f, false, false, PARE_ACT_NONE, 0});
  v.push_back({1000, 24, 40, 1, false, true, 0, 2, 1.0f, 1.0f, false, false, PARE_ACT_RELU, 0});
  v.push_back({1, 1, 1, 1, false, false, 0, 0, 1.0f, 0.0f, false, false, PARE_ACT_NONE, 0});
  // GEMV (m <= 8) in every layout.
  v.push_back({1, 256, 512, 1, false, true, 0, 2, 1.0f, 1.0f, true, false, PARE_ACT_NONE, 0});
  v.push_back({1, 200, 1024, 1, false, false, 0, 2, 1.0f, 1.0f, false, false, PARE_ACT_RELU, 0});
  v.push_back({5, 96, 264, 3, false, true, 8, 1, 1.0f, 1.0f, true, false, PARE_ACT_GELU, 0});
  v.push_back({8, 136, 320, 2, false, false, 8, 3, 2.0f, 1.0f, false, true, PARE_ACT_NONE, 0});
  v.push_back({3, 70, 50, 1, true, true, 1, 0, 1.0f, 0.0f, false, false, PARE_ACT_NONE, 0});
  v.push_back({1, 64, 64, 1, false, true, 0, 0, 1.0f, 0.0f, true, false, PARE_ACT_NONE, 1});
  v.push_back({2, 4096, 4096, 1, false, true, 0, 2, 1.0f, 1.0f, false, false, PARE_ACT_NONE, 0});
  // GEMV m = 1..8: B [N][K] streamed (N not a multiple of the 4 columns per
  // block, K with a partial last step), odd K / N (other paths), B [K][N].
  for (int m = 1; m <= 8; m++) {
    v.push_back({m, 97 + 2 * m, 520 + 8 * m, 1 + m % 2, false, true, m % 2 ? 8 : 0, m % 5,
                 1.0f, m % 3 ? 1.0f : 0.5f, m % 2 == 0, m == 3, (pare_act_t)(m % 3), 0});
    v.push_back({m, 61 + 2 * m, 201 + 2 * m, 1, false, true, 0, (m + 1) % 5, 1.0f, 1.0f, m % 3 == 0,
                 false, PARE_ACT_NONE, 0});
    v.push_back({m, 131 + 2 * m, 77 + 2 * m, 1, false, false, 0, 2, 1.0f, 1.0f, true, false,
                 PARE_ACT_RELU, 0});
  }
  v.push_back({3, 35, 9000, 2, false, true, 0, 2, 1.0f, 1.0f, true, false, PARE_ACT_NONE, 0});
  v.push_back({8, 4099, 4096, 1, false, true, 0, 1, 1.0f, 1.0f, true, false, PARE_ACT_GELU, 0});
  v.push_back({1, 16384, 4096, 1, false, true, 0, 2, 1.0f, 1.0f, false, false, PARE_ACT_NONE, 0});
  // Large grids (128x256 / 128x128 tiles) in every vector layout, with edges.
  v.push_back({2048, 4096, 64, 1, false, true, 0, 2, 1.0f, 1.0f, true, false, PARE_ACT_RELU, 0});
  v.push_back({2000, 4000, 72, 1, true, false, 0, 1, 0.5f, 1.0f, false, false, PARE_ACT_NONE, 0});
  v.push_back({1024, 2056, 48, 1, false, false, 0, 3, 1.0f, 1.0f, true, false, PARE_ACT_NONE, 0});
  v.push_back({1536, 1024, 40, 2, true, true, 0, 0, 1.0f, 0.0f, false, false, PARE_ACT_NONE, 0});
  // Few tiles, deep K: split K (vector and element-wise loaders, odd N).
  v.push_back({64, 128, 4096, 1, false, true, 0, 2, 1.0f, 1.0f, true, false, PARE_ACT_GELU, 0});
  v.push_back({40, 72, 2048, 2, true, false, 0, 1, 1.0f, 1.0f, false, false, PARE_ACT_NONE, 0});
  v.push_back({33, 61, 1500, 1, false, false, 1, 3, 1.0f, 0.5f, true, false, PARE_ACT_NONE, 0});
  // sm_90a kernel (when built with PARE_CU_SM90A): M / N / K edges, padded
  // rows, a batch folded into M (shared B), full C, odd N (scalar stores).
  v.push_back({1000, 1000, 200, 1, false, true, 8, 2, 1.0f, 1.0f, true, false, PARE_ACT_GELU, 0});
  v.push_back({777, 520, 136, 2, false, true, 0, 2, 1.0f, 1.0f, false, true, PARE_ACT_RELU, 0});
  v.push_back({4096, 256, 512, 1, false, true, 0, 1, 0.5f, 2.0f, false, false, PARE_ACT_NONE, 0});
  v.push_back({1024, 1001, 64, 1, false, true, 0, 3, 1.0f, 1.0f, true, false, PARE_ACT_NONE, 0});
  v.push_back({640, 4096, 512, 1, false, true, 0, 0, 1.0f, 0.0f, false, false, PARE_ACT_NONE, 0});
  // sm_90a kernel (when built with PARE_CU_SM90A): M / N / K edges, padded
  // rows, a batch folded into M (shared B), full C, odd N (scalar stores).
  v.push_back({1000, 1000, 200, 1, false, true, 8, 2, 1.0f, 1.0f, true, false, PARE_ACT_GELU, 0});
  v.push_back({777, 520, 136, 2, false, true, 0, 2, 1.0f, 1.0f, false, true, PARE_ACT_RELU, 0});
  v.push_back({4096, 256, 512, 1, false, true, 0, 1, 0.5f, 2.0f, false, false, PARE_ACT_NONE, 0});
  v.push_back({1024, 1001, 64, 1, false, true, 0, 3, 1.0f, 1.0f, true, false, PARE_ACT_NONE, 0});
  v.push_back({640, 4096, 512, 1, false, true, 0, 0, 1.0f, 0.0f, false, false, PARE_ACT_NONE, 0});
  // Every activation once.
  for (int a = 0; a <= PARE_ACT_MISH; a++)
    v.push_back({40, 48, 32, 1, false, true, 0, 2, 1.0f, 1.0f, true, false, (pare_act_t)a, 0});
  return v;
}

/* -------------------------------------------------------------- bench -- */

template <class F> static double median_ms(F launch)
{
  for (int i = 0; i < 5; i++) CHECK(launch());
  CHECK(cudaDeviceSynchronize());
  cudaEvent_t e0, e1;
  CHECK(cudaEventCreate(&e0));
  CHECK(cudaEventCreate(&e1));
  std::vector<float> t;
  for (int i = 0; i < 50; i++) {
    CHECK(cudaEventRecord(e0));
    CHECK(launch());
    CHECK(cudaEventRecord(e1));
    CHECK(cudaEventSynchronize(e1));
    float ms = 0.0f;
    CHECK(cudaEventElapsedTime(&ms, e0, e1));
    t.push_back(ms);
  }
  CHECK(cudaEventDestroy(e0));
  CHECK(cudaEventDestroy(e1));
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

static void report(const char *dtype, const std::string &name, double ms, double flops,
                   double bytes)
{
  printf("%-4s %-52s %9.4f ms %8.2f TFLOP/s %8.1f GB/s\n", dtype, name.c_str(), ms,
         flops / (ms * 1e9), bytes / (ms * 1e6));
}

/* at: A stored [k][m]; bt: B stored [n][k] (Linear weights). */
template <class T>
static void bench_matmul(const char *name, int m, int n, int k, int batch, bool at, bool bt)
{
  const size_t as = (size_t)batch * m * k, bs = (size_t)batch * k * n, ys = (size_t)batch * m * n;
  auto ha = random_tensor<T>(as), hb = random_tensor<T>(bs);
  DevBuf<T> da(ha), db(hb), dy(ys);
  const int a_rs = at ? 1 : k, a_cs = at ? m : 1, b_rs = bt ? 1 : n, b_cs = bt ? k : 1;
  auto launch = [&]() {
    if constexpr (sizeof(T) == 4)
      return pare_cu_matmul_f32(da.ptr, db.ptr, nullptr, nullptr, dy.ptr, m, n, k, a_rs, a_cs,
                                b_rs, b_cs, 0, 0, batch, (long long)m * k, (long long)k * n,
                                1.0f, 0.0f, PARE_ACT_NONE, 0.0f, 0.0f, 0);
    else
      return pare_cu_matmul_f16(da.ptr, db.ptr, nullptr, nullptr, dy.ptr, m, n, k, a_rs, a_cs,
                                b_rs, b_cs, 0, 0, batch, (long long)m * k, (long long)k * n,
                                1.0f, 0.0f, PARE_ACT_NONE, 0.0f, 0.0f, 0);
  };
  const double ms = median_ms(launch);
  char s[160];
  snprintf(s, sizeof s, "%s [%dx%d]x[%dx%d]%s b%d", name, m, k, k, n, bt ? "^T" : "", batch);
  report(sizeof(T) == 4 ? "f32" : "f16", s, ms, 2.0 * m * n * k * batch,
         (double)(as + bs + ys) * sizeof(T));
}

template <class T>
static void bench_conv(const char *name, int n, int hw, int ic, int oc, int k, int s, bool dw)
{
  const int pad = k / 2, o = (hw + 2 * pad - k) / s + 1;
  const size_t xs = (size_t)n * hw * hw * ic, ws = dw ? (size_t)k * k * ic : (size_t)oc * k * k * ic,
               ys = (size_t)n * o * o * oc;
  auto hx = random_tensor<T>(xs), hw_ = random_tensor<T>(ws), hb = random_tensor<T>(oc);
  DevBuf<T> dx(hx), dw_(hw_), db(hb), dy(ys);
  auto launch = [&]() {
    if constexpr (sizeof(T) == 4)
      return dw ? pare_cu_depthwise_conv2d_f32(dx.ptr, n, hw, hw, ic, dw_.ptr, db.ptr, nullptr,
                                               dy.ptr, o, o, k, k, s, s, 1, 1, pad, pad,
                                               PARE_ACT_RELU, 0.0f, 0.0f, 0)
                : pare_cu_conv2d_f32(dx.ptr, n, hw, hw, ic, dw_.ptr, db.ptr, nullptr, dy.ptr, o,
                                     o, oc, k, k, s, s, 1, 1, pad, pad, 1, PARE_ACT_RELU, 0.0f,
                                     0.0f, 0);
    else
      return dw ? pare_cu_depthwise_conv2d_f16(dx.ptr, n, hw, hw, ic, dw_.ptr, db.ptr, nullptr,
                                               dy.ptr, o, o, k, k, s, s, 1, 1, pad, pad,
                                               PARE_ACT_RELU, 0.0f, 0.0f, 0)
                : pare_cu_conv2d_f16(dx.ptr, n, hw, hw, ic, dw_.ptr, db.ptr, nullptr, dy.ptr, o,
                                     o, oc, k, k, s, s, 1, 1, pad, pad, 1, PARE_ACT_RELU, 0.0f,
                                     0.0f, 0);
  };
  const double ms = median_ms(launch);
  char str[160];
  snprintf(str, sizeof str, "%s n%d %dx%dx%d->%d k%d s%d", name, n, hw, hw, ic, oc, k, s);
  const double flops = 2.0 * n * o * o * oc * k * k * (dw ? 1 : ic);
  report(sizeof(T) == 4 ? "f32" : "f16", str, ms, flops, (double)(xs + ws + ys) * sizeof(T));
}

template <class T> static void bench_all()
{
  for (int seq : {1, 512}) {
    bench_matmul<T>("qkv/o proj", seq, 4096, 4096, 1, false, true);
    bench_matmul<T>("mlp up", seq, 16384, 4096, 1, false, true);
    bench_matmul<T>("mlp down", seq, 4096, 16384, 1, false, true);
  }
  bench_matmul<T>("mlp up (B [K][N])", 1, 16384, 4096, 1, false, false);
  bench_matmul<T>("attn QK^T", 512, 512, 128, 32, false, true);
  bench_matmul<T>("attn PV", 512, 128, 512, 32, false, false);
  for (int n : {1, 64}) {
    bench_conv<T>("resnet18 conv1", n, 224, 3, 64, 7, 2, false);
    bench_conv<T>("resnet18 l1 3x3", n, 56, 64, 64, 3, 1, false);
    bench_conv<T>("resnet18 l2 3x3 s2", n, 56, 64, 128, 3, 2, false);
    bench_conv<T>("resnet18 l2 3x3", n, 28, 128, 128, 3, 1, false);
    bench_conv<T>("resnet18 l3 3x3", n, 14, 256, 256, 3, 1, false);
    bench_conv<T>("resnet18 l4 3x3", n, 7, 512, 512, 3, 1, false);
    bench_conv<T>("resnet18 down 1x1 s2", n, 56, 64, 128, 1, 2, false);
    bench_conv<T>("mbv2 expand 1x1", n, 56, 24, 144, 1, 1, false);
    bench_conv<T>("mbv2 dw 3x3", n, 56, 144, 144, 3, 1, true);
    bench_conv<T>("mbv2 dw 3x3 s2", n, 56, 144, 144, 3, 2, true);
    bench_conv<T>("mbv2 project 1x1", n, 56, 144, 24, 1, 1, false);
    bench_conv<T>("mbv2 1x1 7x7", n, 7, 960, 320, 1, 1, false);
    bench_conv<T>("mbv2 dw 3x3 7x7", n, 7, 960, 960, 3, 1, true);
  }
}

int main(int argc, char **argv)
{
  const bool bench = argc > 1 && strcmp(argv[1], "--bench") == 0;
  for (const ConvCase &c : conv_cases()) {
    run_conv_case<float>(c);
    run_conv_case<__half>(c);
  }
  for (const MatmulCase &c : matmul_cases()) {
    run_matmul_case<float>(c);
    run_matmul_case<__half>(c);
  }
  printf("%d passed, %d failed\n", g_passed, g_failed);
  if (bench) {
    bench_all<__half>();
    bench_all<float>();
  }
  return g_failed ? 1 : 0;
}
