/*
 * Tests of the pare CUDA decoder kernels (runtime-stubs/cuda-llm) against
 * simple CPU references, in float and half storage. Standalone; needs a GPU:
 *
 *   nvcc -std=c++17 -O3 -arch=sm_90 -Iruntime-stubs/cuda-llm -Iruntime-stubs/c \
 *     tests/cuda/test_llm_kernels.cu runtime-stubs/cuda-llm/pare_cu_llm.cu \
 *     -o test_llm_kernels && ./test_llm_kernels
 *
 * Prints "N passed, M failed" and exits non-zero on any failure. Shapes cover
 * the vectorised and scalar matmul paths (K a multiple of the 16-byte pack or
 * not, 1 and several rows), GQA and every head-dim bucket of the attention
 * kernel with contexts shorter and longer than its warps, both rotary
 * pairings with pass-through dims, in-place rotary, broadcasting binaries, and the
 * full-sequence attention of plain graphs (causal with keys before the rows, and not).
 */
#include "pare_cu_llm.cuh"
#include "cuda_ok.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <random>
#include <string>
#include <vector>

typedef std::vector<float> Vec;

static int g_pass = 0, g_fail = 0;
static std::mt19937 g_rng(16);

template <typename T> struct Ty;
template <> struct Ty<float> {
  static constexpr float tol = 2e-5f;
  static const char *name() { return "f32"; }
  static float to(float v) { return v; }
  static float from(float v) { return v; }
};
template <> struct Ty<__half> {
  static constexpr float tol = 1e-2f;
  static const char *name() { return "f16"; }
  static __half to(float v) { return __float2half_rn(v); }
  static float from(__half v) { return __half2float(v); }
};

template <> struct Ty<int32_t> {
  static int32_t to(float v) { return (int32_t)v; }
  static float from(int32_t v) { return (float)v; }
};

/* v rounded to T (what the kernel reads). */
template <typename T> static Vec quant(Vec v)
{
  for (float &f : v)
    f = Ty<T>::from(Ty<T>::to(f));
  return v;
}

static Vec rnd(size_t n, float lo = -1.0f, float hi = 1.0f)
{
  std::uniform_real_distribution<float> d(lo, hi);
  Vec v(n);
  for (float &f : v)
    f = d(g_rng);
  return v;
}

template <typename T> struct Buf {
  T *p = nullptr;
  size_t n;
  explicit Buf(size_t count) : n(count)
  {
    CUDA_OK(cudaMalloc((void **)&p, (count + 1) * sizeof(T)));
    CUDA_OK(cudaMemset(p, 0, (count + 1) * sizeof(T)));
  }
  Buf(const Vec &v) : Buf(v.size())
  {
    std::vector<T> h(v.size());
    for (size_t i = 0; i < v.size(); ++i)
      h[i] = Ty<T>::to(v[i]);
    CUDA_OK(cudaMemcpy(p, h.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
  }
  ~Buf() { cudaFree(p); }
  Buf(const Buf &) = delete;
  Buf &operator=(const Buf &) = delete;
  Vec get() const
  {
    std::vector<T> h(n);
    CUDA_OK(cudaDeviceSynchronize());
    CUDA_OK(cudaMemcpy(h.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost));
    Vec v(n);
    for (size_t i = 0; i < n; ++i)
      v[i] = Ty<T>::from(h[i]);
    return v;
  }
};

static Buf<int32_t> *ints(const std::vector<int32_t> &v)
{
  Buf<int32_t> *b = new Buf<int32_t>(v.size());
  CUDA_OK(cudaMemcpy(b->p, v.data(), v.size() * sizeof(int32_t), cudaMemcpyHostToDevice));
  return b;
}

/* got vs ref: |g - r| <= tol * max(1, max|ref|). */
template <typename T>
static void check(const std::string &name, cudaError_t launch, const Vec &got, const Vec &ref)
{
  std::string full = name + " " + Ty<T>::name();
  if (launch != cudaSuccess) {
    printf("FAIL %s: %s\n", full.c_str(), cudaGetErrorString(launch));
    ++g_fail;
    return;
  }
  float scale = 1.0f;
  for (float r : ref)
    scale = fmaxf(scale, fabsf(r));
  for (size_t i = 0; i < ref.size(); ++i)
    if (!(fabsf(got[i] - ref[i]) <= Ty<T>::tol * scale)) {
      printf("FAIL %s: [%zu] got %.8g want %.8g (of %zu)\n", full.c_str(), i, got[i], ref[i],
             ref.size());
      ++g_fail;
      return;
    }
  ++g_pass;
}

/* ------------------------------------------------------------ references -- */

static Vec ref_matmul(const Vec &x, const Vec &wt, int rows, int k, int n, pare_act_t act)
{
  Vec y((size_t)rows * n);
  for (int r = 0; r < rows; ++r)
    for (int j = 0; j < n; ++j) {
      double s = 0;
      for (int i = 0; i < k; ++i)
        s += (double)x[(size_t)r * k + i] * wt[(size_t)j * k + i];
      float v = (float)s;
      if (act == PARE_ACT_RELU && v < 0)
        v = 0;
      y[(size_t)r * n + j] = v;
    }
  return y;
}

static Vec ref_rms(const Vec &x, const Vec &w, int rows, int f, float eps)
{
  Vec y(x.size());
  for (int r = 0; r < rows; ++r) {
    double ss = 0;
    for (int c = 0; c < f; ++c)
      ss += (double)x[(size_t)r * f + c] * x[(size_t)r * f + c];
    double inv = 1.0 / sqrt(ss / f + eps);
    for (int c = 0; c < f; ++c)
      y[(size_t)r * f + c] = (float)(x[(size_t)r * f + c] * inv * w[c]);
  }
  return y;
}

static Vec ref_rotary(const Vec &x, const std::vector<int32_t> &pos, const Vec &inv, int rows,
                      int heads, int hd, int rd, bool interleaved)
{
  Vec y = x;
  int half = rd / 2;
  for (int r = 0; r < rows; ++r)
    for (int h = 0; h < heads; ++h) {
      size_t base = ((size_t)r * heads + h) * hd;
      for (int i = 0; i < half; ++i) {
        int a = interleaved ? 2 * i : i, b = interleaved ? 2 * i + 1 : i + half;
        double ang = (double)(float)((float)pos[r] * inv[i]);
        double c = cos(ang), s = sin(ang);
        y[base + a] = (float)(x[base + a] * c - x[base + b] * s);
        y[base + b] = (float)(x[base + b] * c + x[base + a] * s);
      }
    }
  return y;
}

/* Decoder attention: row r, head h over cache positions 0..pos[r]. */
static Vec ref_attention(const Vec &q, const Vec &kc, const Vec &vc,
                         const std::vector<int32_t> &pos, int rows, int heads, int kvh, int hd,
                         int maxctx, float scale)
{
  Vec y((size_t)rows * heads * hd);
  for (int r = 0; r < rows; ++r)
    for (int h = 0; h < heads; ++h) {
      int g = h / (heads / kvh), len = pos[r] + 1;
      std::vector<double> s(len);
      double m = -1e300;
      for (int t = 0; t < len; ++t) {
        double d = 0;
        for (int i = 0; i < hd; ++i)
          d += (double)q[((size_t)r * heads + h) * hd + i] *
               kc[((size_t)g * maxctx + t) * hd + i];
        s[t] = d * scale;
        m = s[t] > m ? s[t] : m;
      }
      double sum = 0;
      for (int t = 0; t < len; ++t)
        sum += (s[t] = exp(s[t] - m));
      for (int i = 0; i < hd; ++i) {
        double o = 0;
        for (int t = 0; t < len; ++t)
          o += s[t] * vc[((size_t)g * maxctx + t) * hd + i];
        y[((size_t)r * heads + h) * hd + i] = (float)(o / sum);
      }
    }
  return y;
}

/* ------------------------------------------------------------------ tests -- */

/* The f32 / f16 entry points by type. */
static cudaError_t mm(const float *x, const float *w, float *y, int r, int k, int n, pare_act_t a)
{
  return pare_llm_matmul_f32(x, w, y, r, k, n, a, 0.0f, 0.0f, 0);
}
static cudaError_t mm(const __half *x, const __half *w, __half *y, int r, int k, int n,
                      pare_act_t a)
{
  return pare_llm_matmul_f16(x, w, y, r, k, n, a, 0.0f, 0.0f, 0);
}

template <typename T> static void test_matmul(int rows, int k, int n, pare_act_t act)
{
  Vec x = quant<T>(rnd((size_t)rows * k)), w = quant<T>(rnd((size_t)n * k));
  Buf<T> dx(x), dw(w), dy((size_t)rows * n);
  cudaError_t e = mm(dx.p, dw.p, dy.p, rows, k, n, act);
  check<T>("matmul " + std::to_string(rows) + "x" + std::to_string(k) + "x" + std::to_string(n),
           e, dy.get(), ref_matmul(x, w, rows, k, n, act));
}

static cudaError_t rms(const float *x, const float *w, float *y, int r, int f, float e)
{
  return pare_llm_rms_norm_f32(x, w, y, r, f, e, 0);
}
static cudaError_t rms(const __half *x, const __half *w, __half *y, int r, int f, float e)
{
  return pare_llm_rms_norm_f16(x, w, y, r, f, e, 0);
}
static cudaError_t rot(const float *x, const int32_t *p, const float *inv, float *y, int r, int h,
                       int hd, int rd, int il)
{
  return pare_llm_rotary_f32(x, p, inv, y, r, h, hd, rd, il, 0);
}
static cudaError_t rot(const __half *x, const int32_t *p, const float *inv, __half *y, int r,
                       int h, int hd, int rd, int il)
{
  return pare_llm_rotary_f16(x, p, inv, y, r, h, hd, rd, il, 0);
}
static cudaError_t kvw(const float *k, const float *v, const int32_t *p, float *kc, float *vc,
                       int r, int kvh, int hd, int mc)
{
  return pare_llm_kv_write_f32(k, v, p, kc, vc, r, kvh, hd, mc, 0);
}
static cudaError_t kvw(const __half *k, const __half *v, const int32_t *p, __half *kc,
                       __half *vc, int r, int kvh, int hd, int mc)
{
  return pare_llm_kv_write_f16(k, v, p, kc, vc, r, kvh, hd, mc, 0);
}
static cudaError_t attn(const float *q, const float *kc, const float *vc, const int32_t *p,
                        float *y, int r, int h, int kvh, int hd, int mc, float s)
{
  return pare_llm_attention_f32(q, kc, vc, p, y, r, h, kvh, hd, mc, s, 0);
}
static cudaError_t attn(const __half *q, const __half *kc, const __half *vc, const int32_t *p,
                        __half *y, int r, int h, int kvh, int hd, int mc, float s)
{
  return pare_llm_attention_f16(q, kc, vc, p, y, r, h, kvh, hd, mc, s, 0);
}
static cudaError_t bin(pare_llm_binop_t op, const float *a, int ars, int acs, const float *b,
                       int brs, int bcs, float *y, int r, int f, pare_act_t act)
{
  return pare_llm_binary_f32(op, a, ars, acs, b, brs, bcs, y, r, f, act, 0.0f, 0.0f, 0);
}
static cudaError_t bin(pare_llm_binop_t op, const __half *a, int ars, int acs, const __half *b,
                       int brs, int bcs, __half *y, int r, int f, pare_act_t act)
{
  return pare_llm_binary_f16(op, a, ars, acs, b, brs, bcs, y, r, f, act, 0.0f, 0.0f, 0);
}
static cudaError_t embed(const float *t, const int32_t *ids, float *y, int r, int f)
{
  return pare_llm_embed_f32(t, ids, y, r, f, 0);
}
static cudaError_t embed(const __half *t, const int32_t *ids, __half *y, int r, int f)
{
  return pare_llm_embed_f16(t, ids, y, r, f, 0);
}
static cudaError_t act(const float *x, float *y, size_t n, pare_act_t a)
{
  return pare_llm_activation_f32(x, y, n, a, 0.0f, 0.0f, 0);
}
static cudaError_t act(const __half *x, __half *y, size_t n, pare_act_t a)
{
  return pare_llm_activation_f16(x, y, n, a, 0.0f, 0.0f, 0);
}
static cudaError_t logits(const float *x, float *y, int n) { return pare_llm_logits_f32(x, y, n, 0); }
static cudaError_t logits(const __half *x, float *y, int n) { return pare_llm_logits_f16(x, y, n, 0); }

template <typename T> static void test_rms(int rows, int f)
{
  Vec x = quant<T>(rnd((size_t)rows * f, -3, 3)), w = quant<T>(rnd(f, 0.5f, 1.5f));
  Buf<T> dx(x), dw(w), dy(x.size());
  cudaError_t e = rms(dx.p, dw.p, dy.p, rows, f, 1e-5f);
  check<T>("rms_norm " + std::to_string(rows) + "x" + std::to_string(f), e, dy.get(),
           ref_rms(x, w, rows, f, 1e-5f));
}

template <typename T>
static void test_rotary(int rows, int heads, int hd, int rd, bool interleaved, bool inplace)
{
  Vec x = quant<T>(rnd((size_t)rows * heads * hd)), inv(rd / 2);
  for (int i = 0; i < rd / 2; ++i)
    inv[i] = powf(10000.0f, -2.0f * i / rd);
  std::vector<int32_t> pos(rows);
  for (int r = 0; r < rows; ++r)
    pos[r] = 37 * r + 1000; /* large angles: the range reduction counts */
  Buf<T> dx(x), dy(x.size());
  Buf<float> dinv(inv);
  Buf<int32_t> *dp = ints(pos);
  T *out = inplace ? dx.p : dy.p;
  cudaError_t e = rot(dx.p, dp->p, dinv.p, out, rows, heads, hd, rd, interleaved);
  check<T>(std::string("rotary ") + (interleaved ? "interleaved " : "half ") +
               (inplace ? "in place " : "") + std::to_string(hd) + "/" + std::to_string(rd),
           e, inplace ? dx.get() : dy.get(), ref_rotary(x, pos, inv, rows, heads, hd, rd,
                                                        interleaved));
  delete dp;
}

/* Writes `rows` new rows at positions start.. into a cache that already holds
 * `start` positions, then attends: the prefill / decode pattern. */
template <typename T>
static void test_attention(int rows, int start, int heads, int kvh, int hd, int maxctx)
{
  Vec kc = quant<T>(rnd((size_t)kvh * maxctx * hd)), vc = quant<T>(rnd((size_t)kvh * maxctx * hd));
  Vec k = quant<T>(rnd((size_t)rows * kvh * hd)), v = quant<T>(rnd((size_t)rows * kvh * hd));
  Vec q = quant<T>(rnd((size_t)rows * heads * hd, -2, 2));
  std::vector<int32_t> pos(rows);
  for (int r = 0; r < rows; ++r)
    pos[r] = start + r;
  for (int r = 0; r < rows; ++r)
    for (int g = 0; g < kvh; ++g)
      for (int d = 0; d < hd; ++d) {
        kc[((size_t)g * maxctx + pos[r]) * hd + d] = k[((size_t)r * kvh + g) * hd + d];
        vc[((size_t)g * maxctx + pos[r]) * hd + d] = v[((size_t)r * kvh + g) * hd + d];
      }
  /* The cache before: the old positions, garbage where the new rows go. */
  Vec kb = kc, vb = vc;
  for (int r = 0; r < rows; ++r)
    for (int g = 0; g < kvh; ++g)
      for (int d = 0; d < hd; ++d) {
        kb[((size_t)g * maxctx + pos[r]) * hd + d] = 7.0f;
        vb[((size_t)g * maxctx + pos[r]) * hd + d] = -7.0f;
      }
  Buf<T> dkc(kb), dvc(vb), dk(k), dv(v), dq(q), dy(q.size());
  Buf<int32_t> *dp = ints(pos);
  std::string name = "attention rows " + std::to_string(rows) + " from " + std::to_string(start) +
                     " heads " + std::to_string(heads) + "/" + std::to_string(kvh) + " dim " +
                     std::to_string(hd);
  cudaError_t e = kvw(dk.p, dv.p, dp->p, dkc.p, dvc.p, rows, kvh, hd, maxctx);
  check<T>(name + " cache", e, dkc.get(), kc);
  float scale = 1.0f / sqrtf((float)hd);
  e = attn(dq.p, dkc.p, dvc.p, dp->p, dy.p, rows, heads, kvh, hd, maxctx, scale);
  check<T>(name, e, dy.get(), ref_attention(q, kc, vc, pos, rows, heads, kvh, hd, maxctx, scale));
  delete dp;
}

static cudaError_t attn_seq(const float *q, const float *k, const float *v, float *y, int r,
                            int keys, int h, int kvh, int hd, float s, int causal)
{
  return pare_llm_attention_seq_f32(q, k, v, y, r, keys, kvh * hd, hd, h, kvh, hd, s, causal,
                                    keys - r, 0);
}
static cudaError_t attn_seq(const __half *q, const __half *k, const __half *v, __half *y, int r,
                            int keys, int h, int kvh, int hd, float s, int causal)
{
  return pare_llm_attention_seq_f16(q, k, v, y, r, keys, kvh * hd, hd, h, kvh, hd, s, causal,
                                    keys - r, 0);
}

/* The full-sequence form (plain graphs): k / v [keys][kv_heads * head_dim];
 * the reference reads them through a cache of max_context = keys. */
template <typename T>
static void test_attention_seq(int rows, int keys, int heads, int kvh, int hd, bool causal)
{
  Vec q = quant<T>(rnd((size_t)rows * heads * hd, -2, 2));
  Vec k = quant<T>(rnd((size_t)keys * kvh * hd)), v = quant<T>(rnd((size_t)keys * kvh * hd));
  Vec kc(k.size()), vc(v.size());
  for (int t = 0; t < keys; ++t)
    for (int g = 0; g < kvh; ++g)
      for (int d = 0; d < hd; ++d) {
        kc[((size_t)g * keys + t) * hd + d] = k[((size_t)t * kvh + g) * hd + d];
        vc[((size_t)g * keys + t) * hd + d] = v[((size_t)t * kvh + g) * hd + d];
      }
  std::vector<int32_t> pos(rows);
  for (int r = 0; r < rows; ++r)
    pos[r] = causal ? keys - rows + r : keys - 1;
  Buf<T> dq(q), dk(k), dv(v), dy(q.size());
  float scale = 1.0f / sqrtf((float)hd);
  cudaError_t e = attn_seq(dq.p, dk.p, dv.p, dy.p, rows, keys, heads, kvh, hd, scale, causal);
  check<T>("attention_seq rows " + std::to_string(rows) + " keys " + std::to_string(keys) +
               (causal ? " causal" : ""),
           e, dy.get(), ref_attention(q, kc, vc, pos, rows, heads, kvh, hd, keys, scale));
}

template <typename T> static void test_elementwise()
{
  int rows = 5, f = 37;
  Vec a = quant<T>(rnd((size_t)rows * f)), b = quant<T>(rnd((size_t)rows * f, 0.5f, 2.0f));
  Vec row = quant<T>(rnd(f, 0.5f, 2.0f)), col = quant<T>(rnd(rows, 0.5f, 2.0f)), one = {0.75f};
  Buf<T> da(a), db(b), drow(row), dcol(col), done(one), dy(a.size());
  struct Case {
    const char *name;
    pare_llm_binop_t op;
    const T *b;
    int rs, cs;
    pare_act_t act;
  } cases[] = {{"add", PARE_LLM_ADD, db.p, f, 1, PARE_ACT_NONE},
               {"sub row", PARE_LLM_SUB, drow.p, 0, 1, PARE_ACT_NONE},
               {"mul column", PARE_LLM_MUL, dcol.p, 1, 0, PARE_ACT_NONE},
               {"div scalar relu", PARE_LLM_DIV, done.p, 0, 0, PARE_ACT_RELU}};
  for (const Case &c : cases) {
    Vec ref(a.size());
    for (int r = 0; r < rows; ++r)
      for (int j = 0; j < f; ++j) {
        float x = a[(size_t)r * f + j];
        float y = c.rs == f ? b[(size_t)r * f + j] : c.rs == 1 ? col[r] : c.cs == 1 ? row[j] : one[0];
        float o = c.op == PARE_LLM_ADD ? x + y : c.op == PARE_LLM_SUB ? x - y
                : c.op == PARE_LLM_MUL ? x * y : x / y;
        ref[(size_t)r * f + j] = c.act == PARE_ACT_RELU && o < 0 ? 0 : o;
      }
    cudaError_t e = bin(c.op, da.p, f, 1, c.b, c.rs, c.cs, dy.p, rows, f, c.act);
    check<T>(std::string("binary ") + c.name, e, dy.get(), ref);
  }
  Vec sig(a.size());
  for (size_t i = 0; i < a.size(); ++i)
    sig[i] = 1.0f / (1.0f + expf(-a[i]));
  cudaError_t e = act(da.p, dy.p, a.size(), PARE_ACT_SIGMOID);
  check<T>("sigmoid", e, dy.get(), sig);
  /* embedding rows */
  int vocab = 11;
  Vec table = quant<T>(rnd((size_t)vocab * f));
  std::vector<int32_t> ids = {3, 0, 10, 3, 7};
  Buf<T> dt(table), de((size_t)rows * f);
  Buf<int32_t> *di = ints(ids);
  Vec ref((size_t)rows * f);
  for (int r = 0; r < rows; ++r)
    for (int j = 0; j < f; ++j)
      ref[(size_t)r * f + j] = table[(size_t)ids[r] * f + j];
  e = embed(dt.p, di->p, de.p, rows, f);
  check<T>("embed", e, de.get(), ref);
  delete di;
  Buf<float> dl(f);
  e = logits(da.p + (size_t)(rows - 1) * f, dl.p, f);
  check<T>("logits", e, dl.get(), Vec(a.end() - f, a.end()));
}

template <typename T> static void test_all()
{
  test_matmul<T>(1, 576, 192, PARE_ACT_NONE);  /* decode GEMV, vector loads */
  test_matmul<T>(1, 37, 5, PARE_ACT_RELU);     /* scalar path */
  test_matmul<T>(7, 64, 33, PARE_ACT_NONE);    /* prefill: 4 + 3 rows */
  test_matmul<T>(130, 24, 9, PARE_ACT_NONE);
  test_rms<T>(1, 576);
  test_rms<T>(3, 5);
  test_rotary<T>(3, 2, 64, 64, false, false);
  test_rotary<T>(3, 2, 64, 64, true, false);
  test_rotary<T>(2, 3, 16, 8, false, false); /* partial rotary: dims 8..15 pass */
  test_rotary<T>(2, 3, 16, 8, true, true);
  test_attention<T>(1, 0, 2, 1, 4, 32);     /* first token */
  test_attention<T>(1, 40, 9, 3, 64, 64);   /* decode, GQA 3:1 */
  test_attention<T>(5, 2, 4, 4, 32, 16);    /* prefill rows after 2 cached */
  test_attention<T>(3, 300, 8, 2, 128, 512);
  test_attention<T>(2, 7, 2, 2, 256, 16);
  test_attention<T>(2, 3, 2, 1, 80, 8);     /* head dim not a multiple of 32 */
  test_attention_seq<T>(16, 16, 4, 2, 16, true);
  test_attention_seq<T>(3, 10, 9, 3, 64, true); /* first_pos 7 */
  test_attention_seq<T>(5, 7, 2, 1, 32, false);
  test_elementwise<T>();
}

int main()
{
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) {
    fprintf(stderr, "no CUDA device\n");
    return 2;
  }
  test_all<float>();
  test_all<__half>();
  printf("%d passed, %d failed\n", g_pass, g_fail);
  return g_fail == 0 ? 0 : 1;
}
