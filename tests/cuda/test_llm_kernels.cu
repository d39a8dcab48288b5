/*
 * Tests of the pare CUDA decoder kernels (runtime-stubs/cuda-llm) against
 * simple CPU references, in float and half storage. Standalone; needs a GPU:
 *
 *   nvcc -std=c++17 -O3 -arch=sm_90 -Iruntime-stubs/cuda-llm -Iruntime-stubs/c \
 *     tests/cuda/test_llm_kernels.cu runtime-stubs/cuda-llm/pare_cu_llm.cu \
 *     -o test_llm_kernels && ./test_llm_kernels
 *   ./test_llm_kernels --bench   decode GEMV GB/s (plain, norm + residual, gated, qkv) at the
 *                                Llama-2-7B and SmolLM2-135M shapes next to a device copy, and
 *                                prefill TFLOP/s (512 and 2048 rows, every kernel) with one 7B
 *                                layer's prefill GEMMs summed; add -DPARE_BENCH_CUBLAS -lcublas
 *                                to the build to time cuBLAS's GEMM next to it
 *
 * The Hopper prefill GEMM (wgmma) is built with -arch=sm_90a -DPARE_CU_SM90A
 * -Iruntime-stubs/cuda (tests/cuda/run_prefill_bench.sh does that); the
 * prefill tests then run under every kernel choice of PARE_LLM_GEMM (the
 * automatic one, both wgmma widths, the portable WMMA kernel).
 *
 * Prints "N passed, M failed" and exits non-zero on any failure. Shapes cover
 * the vectorised and scalar matmul paths (K a multiple of the 16-byte pack or
 * not, 1 and several rows), GQA and every head-dim bucket of the attention
 * kernel with contexts shorter and longer than its warps, both rotary
 * pairings with pass-through dims, in-place rotary, broadcasting binaries, and the
 * full-sequence attention of plain graphs (causal with keys before the rows, and not).
 * The fused linears of issue 17 (pare_llm_linear / gated / qkv) are checked
 * against float64 references of the unfused chain (the norm's output rounded
 * to T as pare_llm_rms_norm stores it) on the decode GEMV (1..4 rows) and
 * the prefill GEMM (5..128 rows), K a multiple of the pack or odd, x or the
 * weights misaligned, a residual apart or aliasing y, odd N, rotary in both
 * pairings, partial and absent, odd head dims, GQA, scattered cache rows;
 * the large-row prefill (64..512 rows) with odd rows, K not a multiple of
 * the 64-deep slices, N not a multiple of the tiles, odd N, residual
 * aliasing y, the norm prologue, gated and qkv epilogues. The decode step of an unfused
 * decoder (every kernel above in a 2-layer SmolLM2-shaped step) captured into a CUDA graph with
 * programmatic dependent launch on equals the one with it off bit for bit.
 */
#include "pare_cu_llm.cuh"
#include "pare_cu_llm_device.cuh" /* pare_llm_device::pdl_mode(), the tests' PDL switch */
#include "bench_support.h"
#include "llm_test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmath>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

static Buf<int32_t> *ints(const std::vector<int32_t> &v)
{
  Buf<int32_t> *b = new Buf<int32_t>(v.size());
  CUDA_OK(cudaMemcpy(b->p, v.data(), v.size() * sizeof(int32_t), cudaMemcpyHostToDevice));
  return b;
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
  return pare_llm_kv_write_f32(k, v, p, nullptr, 0, kc, vc, r, kvh, hd, mc, 0);
}
static cudaError_t kvw(const __half *k, const __half *v, const int32_t *p, __half *kc,
                       __half *vc, int r, int kvh, int hd, int mc)
{
  return pare_llm_kv_write_f16(k, v, p, nullptr, 0, kc, vc, r, kvh, hd, mc, 0);
}
static cudaError_t attn(const float *q, const float *kc, const float *vc, const int32_t *p,
                        float *y, int r, int h, int kvh, int hd, int mc, float s)
{
  return pare_llm_attention_f32(q, kc, vc, p, nullptr, 0, y, r, h, kvh, hd, mc, s, 0);
}
static cudaError_t attn(const __half *q, const __half *kc, const __half *vc, const int32_t *p,
                        __half *y, int r, int h, int kvh, int hd, int mc, float s)
{
  return pare_llm_attention_f16(q, kc, vc, p, nullptr, 0, y, r, h, kvh, hd, mc, s, 0);
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

/* ------------------------------------------------- fused linears (17) -- */

static float ref_act(double v, pare_act_t act)
{
  switch (act) {
  case PARE_ACT_RELU: return (float)(v < 0 ? 0 : v);
  case PARE_ACT_SILU: return (float)(v / (1.0 + exp(-v)));
  default: return (float)v;
  }
}

/* y[r][j] = x[r] . w[j] in double, [rows][n]. */
static std::vector<double> ref_dot(const Vec &x, const Vec &w, int rows, int k, int n)
{
  std::vector<double> y((size_t)rows * n);
  for (int r = 0; r < rows; ++r)
    for (int j = 0; j < n; ++j) {
      double s = 0;
      for (int i = 0; i < k; ++i)
        s += (double)x[(size_t)r * k + i] * w[(size_t)j * k + i];
      y[(size_t)r * n + j] = s;
    }
  return y;
}

/* What the kernels read with a norm prologue: pare_llm_rms_norm's output,
 * rounded to T. */
template <typename T>
static Vec ref_xn(const Vec &x, const Vec &nw, bool norm, int rows, int k, float eps)
{
  return norm ? quant<T>(ref_rms(x, nw, rows, k, eps)) : x;
}

/* v on the device at an offset of `shift` elements (shift 1: not 16-byte
 * aligned). */
template <typename T> struct Shifted {
  Buf<T> buf;
  int shift;
  Shifted(const Vec &v, int s) : buf(pad(v, s)), shift(s) {}
  static Vec pad(const Vec &v, int s)
  {
    Vec p(s, 0.0f);
    p.insert(p.end(), v.begin(), v.end());
    return p;
  }
  T *p() const { return buf.p + shift; }
  Vec get() const
  {
    Vec all = buf.get();
    return Vec(all.begin() + shift, all.end());
  }
};

static cudaError_t lin(const float *x, const float *nw, const float *w, const float *res, float *y,
                       int r, int k, int n, pare_act_t a)
{
  return pare_llm_linear_f32(x, nw, 1e-5f, w, res, y, r, k, n, a, 0.0f, 0.0f, 0);
}
static cudaError_t lin(const __half *x, const __half *nw, const __half *w, const __half *res,
                       __half *y, int r, int k, int n, pare_act_t a)
{
  return pare_llm_linear_f16(x, nw, 1e-5f, w, res, y, r, k, n, a, 0.0f, 0.0f, 0);
}
static cudaError_t gat(const float *x, const float *nw, const float *wg, const float *wu, float *y,
                       int r, int k, int n, pare_act_t a)
{
  return pare_llm_gated_f32(x, nw, 1e-5f, wg, wu, y, r, k, n, a, 0.0f, 0.0f, 0);
}
static cudaError_t gat(const __half *x, const __half *nw, const __half *wg, const __half *wu,
                       __half *y, int r, int k, int n, pare_act_t a)
{
  return pare_llm_gated_f16(x, nw, 1e-5f, wg, wu, y, r, k, n, a, 0.0f, 0.0f, 0);
}
static cudaError_t qkv(const float *x, const float *nw, const float *wq, const float *wk,
                       const float *wv, const int32_t *pos, const float *inv, int rd, int il,
                       float *q, float *kc, float *vc, int r, int k, int h, int kvh, int hd,
                       int mc)
{
  return pare_llm_qkv_f32(x, nw, 1e-5f, wq, wk, wv, pos, nullptr, 0, inv, rd, il, q, kc, vc, r, k,
                          h, kvh, hd, mc, 0);
}
static cudaError_t qkv(const __half *x, const __half *nw, const __half *wq, const __half *wk,
                       const __half *wv, const int32_t *pos, const float *inv, int rd, int il,
                       __half *q, __half *kc, __half *vc, int r, int k, int h, int kvh, int hd,
                       int mc)
{
  return pare_llm_qkv_f16(x, nw, 1e-5f, wq, wk, wv, pos, nullptr, 0, inv, rd, il, q, kc, vc, r, k,
                          h, kvh, hd, mc, 0);
}

/* How a linear's residual is passed. */
enum Residual { kNoResidual, kResidual, kResidualIsY };

/* pare_llm_linear: rows x k x n, norm prologue or not, residual, act;
 * shift_x / shift_w misalign x / the weights by one element. */
template <typename T>
static void test_linear(int rows, int k, int n, bool norm, Residual res, pare_act_t act,
                        int shift_x = 0, int shift_w = 0)
{
  Vec x = quant<T>(rnd((size_t)rows * k, -2, 2)), w = quant<T>(rnd((size_t)n * k));
  Vec nw = quant<T>(rnd(k, 0.5f, 1.5f)), r0 = quant<T>(rnd((size_t)rows * n));
  Shifted<T> dx(x, shift_x), dw(w, shift_w);
  Buf<T> dnw(nw), dres(r0), dy(res == kResidualIsY ? r0 : Vec((size_t)rows * n, 0.0f));
  std::vector<double> s = ref_dot(ref_xn<T>(x, nw, norm, rows, k, 1e-5f), w, rows, k, n);
  Vec ref((size_t)rows * n);
  for (size_t i = 0; i < ref.size(); ++i)
    ref[i] = ref_act(s[i], act) + (res == kNoResidual ? 0.0f : r0[i]);
  const T *rp = res == kNoResidual ? nullptr : res == kResidual ? dres.p : dy.p;
  cudaError_t e = lin(dx.p(), norm ? dnw.p : nullptr, dw.p(), rp, dy.p, rows, k, n, act);
  check<T>("linear " + std::to_string(rows) + "x" + std::to_string(k) + "x" + std::to_string(n) +
               (norm ? " norm" : "") +
               (res == kResidual ? " residual" : res == kResidualIsY ? " residual=y" : "") +
               (act == PARE_ACT_SILU ? " silu" : act == PARE_ACT_RELU ? " relu" : "") +
               (shift_x ? " x+1" : "") + (shift_w ? " w+1" : ""),
           e, dy.get(), ref);
}

/* pare_llm_gated with SiLU: silu(xn . wg) * (xn . wu). */
template <typename T>
static void test_gated(int rows, int k, int n, bool norm, int shift_x = 0)
{
  Vec x = quant<T>(rnd((size_t)rows * k, -2, 2)), nw = quant<T>(rnd(k, 0.5f, 1.5f));
  Vec wg = quant<T>(rnd((size_t)n * k)), wu = quant<T>(rnd((size_t)n * k));
  Shifted<T> dx(x, shift_x);
  Buf<T> dnw(nw), dg(wg), du(wu), dy((size_t)rows * n);
  Vec xn = ref_xn<T>(x, nw, norm, rows, k, 1e-5f);
  std::vector<double> g = ref_dot(xn, wg, rows, k, n), u = ref_dot(xn, wu, rows, k, n);
  Vec ref((size_t)rows * n);
  for (size_t i = 0; i < ref.size(); ++i)
    ref[i] = (float)((double)ref_act(g[i], PARE_ACT_SILU) * u[i]);
  cudaError_t e = gat(dx.p(), norm ? dnw.p : nullptr, dg.p, du.p, dy.p, rows, k, n, PARE_ACT_SILU);
  check<T>("gated " + std::to_string(rows) + "x" + std::to_string(k) + "x" + std::to_string(n) +
               (norm ? " norm" : "") + (shift_x ? " x+1" : ""),
           e, dy.get(), ref);
}

/* pare_llm_qkv: q rotated into q_out, k rotated and v into the caches at
 * scattered positions (the rest of the caches must keep their contents).
 * rd 0 with rotate: no inv_freq. */
template <typename T>
static void test_qkv(int rows, int k, int heads, int kvh, int hd, int rd, bool interleaved,
                     bool norm, int shift_x = 0)
{
  const int maxctx = 131; /* prime: the positions below are distinct for rows <= 131 */
  Vec x = quant<T>(rnd((size_t)rows * k, -2, 2)), nw = quant<T>(rnd(k, 0.5f, 1.5f));
  Vec wq = quant<T>(rnd((size_t)heads * hd * k)), wk = quant<T>(rnd((size_t)kvh * hd * k));
  Vec wv = quant<T>(rnd((size_t)kvh * hd * k));
  Vec kc = quant<T>(rnd((size_t)kvh * maxctx * hd)), vc = quant<T>(rnd((size_t)kvh * maxctx * hd));
  Vec inv(rd / 2 > 0 ? rd / 2 : 1);
  for (int i = 0; i < rd / 2; ++i)
    inv[i] = powf(10000.0f, -2.0f * i / rd);
  std::vector<int32_t> pos(rows);
  for (int r = 0; r < rows; ++r)
    pos[r] = (5 * r + 2 + 40 * (rows == 1)) % maxctx;
  Shifted<T> dx(x, shift_x);
  Buf<T> dnw(nw), dwq(wq), dwk(wk), dwv(wv), dq((size_t)rows * heads * hd), dkc(kc), dvc(vc);
  Buf<float> dinv(inv);
  Buf<int32_t> *dp = ints(pos);
  Vec xn = ref_xn<T>(x, nw, norm, rows, k, 1e-5f);
  auto product = [&](const Vec &w, int outs) {
    std::vector<double> d = ref_dot(xn, w, rows, k, outs);
    Vec v(d.size());
    for (size_t i = 0; i < d.size(); ++i)
      v[i] = (float)d[i];
    return quant<T>(v); /* the unfused path stores the product */
  };
  Vec q = product(wq, heads * hd), kk = product(wk, kvh * hd), v = product(wv, kvh * hd);
  if (rd > 0) {
    q = ref_rotary(q, pos, inv, rows, heads, hd, rd, interleaved);
    kk = ref_rotary(kk, pos, inv, rows, kvh, hd, rd, interleaved);
  }
  for (int r = 0; r < rows; ++r)
    for (int g = 0; g < kvh; ++g)
      for (int d = 0; d < hd; ++d) {
        kc[((size_t)g * maxctx + pos[r]) * hd + d] = kk[((size_t)r * kvh + g) * hd + d];
        vc[((size_t)g * maxctx + pos[r]) * hd + d] = v[((size_t)r * kvh + g) * hd + d];
      }
  std::string name = "qkv rows " + std::to_string(rows) + " k " + std::to_string(k) + " heads " +
                     std::to_string(heads) + "/" + std::to_string(kvh) + " dim " +
                     std::to_string(hd) + " rotary " + std::to_string(rd) +
                     (rd ? (interleaved ? " interleaved" : " half") : "") + (norm ? " norm" : "") +
                     (shift_x ? " x+1" : "");
  cudaError_t e = qkv(dx.p(), norm ? dnw.p : nullptr, dwq.p, dwk.p, dwv.p, dp->p,
                      rd > 0 ? dinv.p : nullptr, rd, interleaved, dq.p, dkc.p, dvc.p, rows, k,
                      heads, kvh, hd, maxctx);
  check<T>(name + " q", e, dq.get(), q);
  check<T>(name + " k cache", e, dkc.get(), kc);
  check<T>(name + " v cache", e, dvc.get(), vc);
  delete dp;
}

/* Bad arguments are refused without a launch. */
template <typename T> static void test_fused_errors()
{
  Buf<T> a(64), b(64), c(64);
  Buf<float> inv(8);
  Buf<int32_t> pos(1);
  verdict(std::string("linear k 0 refused ") + Ty<T>::name(),
          lin(a.p, nullptr, b.p, nullptr, c.p, 1, 0, 4, PARE_ACT_NONE) == cudaErrorInvalidValue);
  verdict(std::string("qkv rotary_dim > head_dim refused ") + Ty<T>::name(),
          qkv(a.p, nullptr, b.p, b.p, b.p, pos.p, inv.p, 10, 0, c.p, c.p, c.p, 1, 4, 1, 1, 8, 1) ==
              cudaErrorInvalidValue);
  verdict(std::string("linear rows 0 is a no-op ") + Ty<T>::name(),
          lin(a.p, nullptr, b.p, nullptr, c.p, 0, 8, 4, PARE_ACT_NONE) == cudaSuccess);
}

template <typename T> static void test_fused()
{
  /* Decode GEMV: 1..4 rows, vector and scalar (odd k, misaligned) paths. */
  test_linear<T>(1, 576, 192, true, kResidual, PARE_ACT_NONE);
  test_linear<T>(1, 576, 576, false, kResidualIsY, PARE_ACT_NONE);
  test_linear<T>(1, 4104, 64, true, kNoResidual, PARE_ACT_NONE); /* 513 chunks: a partial pass */
  test_linear<T>(2, 64, 33, true, kNoResidual, PARE_ACT_RELU);   /* odd n: a half pair */
  test_linear<T>(3, 37, 5, true, kResidualIsY, PARE_ACT_NONE);   /* odd k: scalar */
  test_linear<T>(4, 1536, 576, true, kResidualIsY, PARE_ACT_NONE);
  test_linear<T>(1, 576, 100, true, kResidual, PARE_ACT_SILU, 1, 0);
  test_linear<T>(3, 576, 100, false, kNoResidual, PARE_ACT_NONE, 0, 1);
  /* Prefill GEMM: 5, 37, 128 rows; K tails; scalar (odd k, misaligned x). */
  test_linear<T>(5, 64, 33, true, kResidualIsY, PARE_ACT_NONE);
  test_linear<T>(37, 576, 192, true, kResidual, PARE_ACT_SILU);
  test_linear<T>(128, 40, 130, false, kNoResidual, PARE_ACT_NONE);
  test_linear<T>(128, 37, 9, true, kResidualIsY, PARE_ACT_NONE);
  test_linear<T>(37, 576, 100, true, kNoResidual, PARE_ACT_NONE, 1, 0);
  test_linear<T>(70, 1536, 200, true, kResidual, PARE_ACT_RELU);
  test_gated<T>(1, 576, 1536, true);
  test_gated<T>(3, 37, 7, true);
  test_gated<T>(4, 64, 33, false);
  test_gated<T>(2, 576, 40, true, 1);
  test_gated<T>(5, 64, 40, true);
  test_gated<T>(37, 576, 96, true);
  test_gated<T>(128, 100, 65, true);
  /* SmolLM2's attention inputs (9 / 3 heads of 64), GQA, both pairings,
   * partial rotary, an odd head dim, no rotation. */
  test_qkv<T>(1, 576, 9, 3, 64, 64, false, true);
  test_qkv<T>(1, 64, 4, 2, 16, 16, true, true);
  test_qkv<T>(3, 40, 2, 1, 16, 8, true, true);
  test_qkv<T>(4, 37, 3, 3, 7, 4, false, false);
  test_qkv<T>(2, 64, 2, 2, 32, 0, false, true);
  test_qkv<T>(2, 64, 4, 2, 16, 16, false, true, 1);
  test_qkv<T>(5, 64, 4, 2, 16, 16, true, true);
  test_qkv<T>(37, 576, 9, 3, 64, 64, false, true);
  test_qkv<T>(128, 100, 4, 1, 32, 16, false, true);
  test_qkv<T>(37, 64, 3, 1, 10, 6, true, false, 1);
  test_fused_errors<T>();
}

/* The prefill GEMMs at 64..512 rows (the Hopper kernel's range) under each
 * kernel choice: PARE_LLM_GEMM unset (automatic), wgmma128 / wgmma256 (the
 * Hopper kernel's two widths, TMA where it applies; the portable kernel
 * where the Hopper one is not built or the GPU is not a 9.0), cpasync (the
 * Hopper kernel without TMA) and wmma (the portable kernel). */
static void test_prefill_f16()
{
  const char *modes[] = {nullptr, "wgmma128", "wgmma256", "cpasync", "wmma"};
  for (const char *mode : modes) {
    if (mode)
      setenv("PARE_LLM_GEMM", mode, 1);
    else
      unsetenv("PARE_LLM_GEMM");
    const int before = g_fail;
    test_linear<__half>(64, 64, 64, false, kNoResidual, PARE_ACT_NONE);
    test_linear<__half>(129, 200, 131, true, kResidualIsY, PARE_ACT_NONE); /* odd rows, n; K tail */
    test_linear<__half>(300, 576, 576, true, kResidual, PARE_ACT_SILU);
    test_linear<__half>(257, 1536, 200, false, kResidualIsY, PARE_ACT_RELU);
    test_linear<__half>(512, 64, 4300, true, kResidualIsY, PARE_ACT_NONE); /* many tiles */
    test_linear<__half>(96, 4104, 72, true, kNoResidual, PARE_ACT_NONE);   /* long K */
    test_linear<__half>(100, 576, 100, true, kNoResidual, PARE_ACT_NONE, 1, 0); /* x misaligned */
    test_gated<__half>(130, 576, 300, true);
    test_gated<__half>(65, 200, 77, false);
    test_gated<__half>(200, 64, 2100, false); /* many tiles, TMA for x too */
    test_qkv<__half>(130, 576, 9, 3, 64, 64, false, true);
    test_qkv<__half>(97, 256, 4, 2, 32, 16, true, true);
    test_qkv<__half>(70, 64, 3, 3, 7, 4, false, false); /* odd head dim, no rotation */
    if (g_fail != before)
      printf("  (the failures above: PARE_LLM_GEMM=%s)\n", mode ? mode : "(unset)");
  }
  unsetenv("PARE_LLM_GEMM");
}

/* ------------------------------------------------ unfused decode step (PDL) -- */

/* The entry points by type, with a stream (the step is captured). */
template <typename T> struct Api;
template <> struct Api<float> {
  static constexpr auto embed = &pare_llm_embed_f32;
  static constexpr auto rms_norm = &pare_llm_rms_norm_f32;
  static constexpr auto matmul = &pare_llm_matmul_f32;
  static constexpr auto rotary = &pare_llm_rotary_f32;
  static constexpr auto kv_write = &pare_llm_kv_write_f32;
  static constexpr auto attention = &pare_llm_attention_f32;
  static constexpr auto binary = &pare_llm_binary_f32;
  static constexpr auto activation = &pare_llm_activation_f32;
  static constexpr auto logits = &pare_llm_logits_f32;
};
template <> struct Api<__half> {
  static constexpr auto embed = &pare_llm_embed_f16;
  static constexpr auto rms_norm = &pare_llm_rms_norm_f16;
  static constexpr auto matmul = &pare_llm_matmul_f16;
  static constexpr auto rotary = &pare_llm_rotary_f16;
  static constexpr auto kv_write = &pare_llm_kv_write_f16;
  static constexpr auto attention = &pare_llm_attention_f16;
  static constexpr auto binary = &pare_llm_binary_f16;
  static constexpr auto activation = &pare_llm_activation_f16;
  static constexpr auto logits = &pare_llm_logits_f16;
};

/* The decode step of a decoder built with --cuda-fusion off (every op its own launch: norms,
 * matmuls, rotary, cache write, the plain attention, residual adds, SiLU, the gate product,
 * logits) for a 2-layer SmolLM2-shaped model with a 4096-token vocabulary, captured into a
 * CUDA graph with programmatic dependent launch on and off: 4 steps at positions 300..303 of
 * a random cache give the same logits and caches bit for bit, as do plain stream launches
 * with PDL on. */
template <typename T> static void test_unfused_step_pdl()
{
  using A = Api<T>;
  const int hidden = 576, heads = 9, kvh = 3, hd = 64, inter = 1536, vocab = 4096;
  const int maxctx = 1024, layers = 2, first = 300, steps = 4;
  const int qd = heads * hd, kd = kvh * hd;
  const float eps = 1e-5f, scale = 1.0f / sqrtf((float)hd);
  auto weight = [](int rows, int k) {
    float a = 1.0f / sqrtf((float)k);
    return quant<T>(rnd((size_t)rows * k, -a, a));
  };
  Buf<T> table(quant<T>(rnd((size_t)vocab * hidden))), final_norm(rnd(hidden, 0.8f, 1.2f));
  Buf<T> lm_head(weight(vocab, hidden));
  std::vector<Buf<T> *> w;
  for (int l = 0; l < layers; ++l) {
    w.push_back(new Buf<T>(rnd(hidden, 0.8f, 1.2f)));
    w.push_back(new Buf<T>(weight(qd, hidden)));
    w.push_back(new Buf<T>(weight(kd, hidden)));
    w.push_back(new Buf<T>(weight(kd, hidden)));
    w.push_back(new Buf<T>(weight(hidden, qd)));
    w.push_back(new Buf<T>(rnd(hidden, 0.8f, 1.2f)));
    w.push_back(new Buf<T>(weight(inter, hidden)));
    w.push_back(new Buf<T>(weight(inter, hidden)));
    w.push_back(new Buf<T>(weight(hidden, inter)));
  }
  const size_t cache = (size_t)layers * kd * maxctx;
  Vec kc0 = quant<T>(rnd(cache)), vc0 = quant<T>(rnd(cache));
  Buf<T> kc(cache), vc(cache), x(hidden), xn(hidden), q(qd), k(kd), v(kd), a(qd), o(hidden);
  Buf<T> g(inter), u(inter), hm(inter), d(hidden), out(vocab);
  Buf<float> lg(vocab);
  Buf<int32_t> ids(1), pos(1);
  Vec inv(hd / 2);
  for (int i = 0; i < hd / 2; ++i)
    inv[i] = powf(10000.0f, -2.0f * i / hd);
  Buf<float> inv_freq(inv);

  auto enqueue = [&](cudaStream_t st) {
    cudaError_t e = A::embed(table.p, ids.p, x.p, 1, hidden, st);
    for (int l = 0; l < layers && e == cudaSuccess; ++l) {
      Buf<T> **lw = &w[(size_t)l * 9];
      T *kcl = kc.p + (size_t)l * kd * maxctx, *vcl = vc.p + (size_t)l * kd * maxctx;
      cudaError_t r[] = {
          A::rms_norm(x.p, lw[0]->p, xn.p, 1, hidden, eps, st),
          A::matmul(xn.p, lw[1]->p, q.p, 1, hidden, qd, PARE_ACT_NONE, 0, 0, st),
          A::matmul(xn.p, lw[2]->p, k.p, 1, hidden, kd, PARE_ACT_NONE, 0, 0, st),
          A::matmul(xn.p, lw[3]->p, v.p, 1, hidden, kd, PARE_ACT_NONE, 0, 0, st),
          A::rotary(q.p, pos.p, inv_freq.p, q.p, 1, heads, hd, hd, 0, st),
          A::rotary(k.p, pos.p, inv_freq.p, k.p, 1, kvh, hd, hd, 0, st),
          A::kv_write(k.p, v.p, pos.p, nullptr, 0, kcl, vcl, 1, kvh, hd, maxctx, st),
          A::attention(q.p, kcl, vcl, pos.p, nullptr, 0, a.p, 1, heads, kvh, hd, maxctx, scale,
                       st),
          A::matmul(a.p, lw[4]->p, o.p, 1, qd, hidden, PARE_ACT_NONE, 0, 0, st),
          A::binary(PARE_LLM_ADD, x.p, hidden, 1, o.p, hidden, 1, x.p, 1, hidden, PARE_ACT_NONE,
                    0, 0, st),
          A::rms_norm(x.p, lw[5]->p, xn.p, 1, hidden, eps, st),
          A::matmul(xn.p, lw[6]->p, g.p, 1, hidden, inter, PARE_ACT_NONE, 0, 0, st),
          A::matmul(xn.p, lw[7]->p, u.p, 1, hidden, inter, PARE_ACT_NONE, 0, 0, st),
          A::activation(g.p, g.p, (size_t)inter, PARE_ACT_SILU, 0, 0, st),
          A::binary(PARE_LLM_MUL, g.p, inter, 1, u.p, inter, 1, hm.p, 1, inter, PARE_ACT_NONE, 0,
                    0, st),
          A::matmul(hm.p, lw[8]->p, d.p, 1, inter, hidden, PARE_ACT_NONE, 0, 0, st),
          A::binary(PARE_LLM_ADD, x.p, hidden, 1, d.p, hidden, 1, x.p, 1, hidden, PARE_ACT_NONE,
                    0, 0, st)};
      for (cudaError_t ri : r)
        if (e == cudaSuccess)
          e = ri;
    }
    if (e == cudaSuccess)
      e = A::rms_norm(x.p, final_norm.p, xn.p, 1, hidden, eps, st);
    if (e == cudaSuccess)
      e = A::matmul(xn.p, lm_head.p, out.p, 1, hidden, vocab, PARE_ACT_NONE, 0, 0, st);
    if (e == cudaSuccess)
      e = A::logits(out.p, lg.p, vocab, st);
    return e;
  };
  /* how: 0 graph, PDL off; 1 graph, PDL on; 2 stream launches, PDL on. */
  auto run = [&](int how, Vec &logits_seen, Vec &caches) {
    cudaStream_t st;
    CUDA_OK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
    kc.set(kc0);
    vc.set(vc0);
    cudaGraphExec_t ge = nullptr;
    if (how != 2) {
      pare_llm_device::pdl_mode() = how;
      cudaGraph_t gr;
      CUDA_OK(cudaStreamBeginCapture(st, cudaStreamCaptureModeThreadLocal));
      cudaError_t launched = enqueue(st);
      CUDA_OK(cudaStreamEndCapture(st, &gr));
      CUDA_OK(launched);
      CUDA_OK(cudaGraphInstantiate(&ge, gr, 0));
      CUDA_OK(cudaGraphDestroy(gr));
      pare_llm_device::pdl_mode() = 1;
    }
    logits_seen.clear();
    for (int s = 0; s < steps; ++s) {
      static int32_t host[2]; /* pageable: copied when cudaMemcpyAsync returns */
      host[0] = (s * 977 + 5) % vocab;
      host[1] = first + s;
      CUDA_OK(cudaMemcpyAsync(ids.p, &host[0], sizeof(int32_t), cudaMemcpyHostToDevice, st));
      CUDA_OK(cudaMemcpyAsync(pos.p, &host[1], sizeof(int32_t), cudaMemcpyHostToDevice, st));
      if (ge)
        CUDA_OK(cudaGraphLaunch(ge, st));
      else
        CUDA_OK(enqueue(st));
      CUDA_OK(cudaStreamSynchronize(st));
      Vec l = lg.get();
      logits_seen.insert(logits_seen.end(), l.begin(), l.begin() + vocab);
    }
    caches = kc.get();
    Vec vv = vc.get();
    caches.insert(caches.end(), vv.begin(), vv.end());
    if (ge)
      CUDA_OK(cudaGraphExecDestroy(ge));
    CUDA_OK(cudaStreamDestroy(st));
  };
  Vec ref_l, ref_c;
  run(0, ref_l, ref_c);
  bool sane = true;
  for (float f : ref_l)
    sane = sane && std::isfinite(f);
  std::string name = std::string("unfused decode step x2 ") + Ty<T>::name();
  verdict(name + ": reference run sane", sane && ref_l.size() == (size_t)steps * vocab);
  const char *how[] = {"", "graph with PDL", "stream launches with PDL"};
  for (int h = 1; h <= 2; ++h) {
    Vec got_l, got_c;
    run(h, got_l, got_c);
    bool same = got_l.size() == ref_l.size() && got_c.size() == ref_c.size() &&
                !memcmp(got_l.data(), ref_l.data(), ref_l.size() * sizeof(float)) &&
                !memcmp(got_c.data(), ref_c.data(), ref_c.size() * sizeof(float));
    verdict(name + ": " + how[h] + " bit-identical to PDL off", same);
  }
  for (Buf<T> *b : w)
    delete b;
}

/* ---------------------------------------------------------------- bench -- */

/* Enough copies of `bytes` of weights to exceed the L2 cache several times
 * over (>= 256 MiB), so every timed call streams its weights from memory as
 * a decode step does; random fp16 in [-1, 1]. */
struct WeightSet {
  std::vector<__half *> copies;
  explicit WeightSet(size_t elems)
  {
    size_t bytes = elems * sizeof(__half), count = ((size_t)256 << 20) / bytes + 1;
    if (count < 2)
      count = 2;
    std::vector<__half> h(elems);
    for (size_t i = 0; i < elems; ++i)
      h[i] = __float2half_rn((float)((i * 2654435761u) % 2001) / 1000.0f - 1.0f);
    for (size_t c = 0; c < count; ++c) {
      __half *p;
      CUDA_OK(cudaMalloc((void **)&p, bytes));
      CUDA_OK(cudaMemcpy(p, h.data(), bytes, cudaMemcpyHostToDevice));
      copies.push_back(p);
    }
  }
  ~WeightSet()
  {
    for (__half *p : copies)
      cudaFree(p);
  }
  __half *operator[](int i) const { return copies[(size_t)i % copies.size()]; }
};

/* GB/s of a device-to-device copy (bytes read + written), the reference
 * the GEMV's weight streaming is measured against. */
static double copy_gbs()
{
  size_t bytes = (size_t)512 << 20;
  void *a, *b;
  CUDA_OK(cudaMalloc(&a, bytes));
  CUDA_OK(cudaMalloc(&b, bytes));
  double us = graph_time_us([&](int, cudaStream_t s) {
    return cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, s);
  }, 4);
  cudaFree(a);
  cudaFree(b);
  return 2.0 * bytes / us / 1e3;
}

/* Decode (one row) at K x N: plain linear (= pare_llm_matmul), with the
 * norm prologue and the residual epilogue, and gated (two weight
 * matrices); GB/s of the weights read. */
static void bench_gemv(int k, int n, double copy)
{
  WeightSet w((size_t)n * k), u((size_t)n * k);
  Buf<__half> x(quant<__half>(rnd(k))), nw(quant<__half>(rnd(k, 0.5f, 1.5f))), y(n), y2(n);
  double bytes = (double)n * k * sizeof(__half);
  double plain = graph_time_us([&](int i, cudaStream_t s) {
    return pare_llm_linear_f16(x.p, nullptr, 0.0f, w[i], nullptr, y.p, 1, k, n, PARE_ACT_NONE,
                               0.0f, 0.0f, s);
  }, 50);
  double fused = graph_time_us([&](int i, cudaStream_t s) {
    return pare_llm_linear_f16(x.p, nw.p, 1e-5f, w[i], y.p, y.p, 1, k, n, PARE_ACT_NONE, 0.0f,
                               0.0f, s);
  }, 50);
  double gated = graph_time_us([&](int i, cudaStream_t s) {
    return pare_llm_gated_f16(x.p, nw.p, 1e-5f, w[i], u[i], y2.p, 1, k, n, PARE_ACT_SILU, 0.0f,
                              0.0f, s);
  }, 50);
  printf("gemv %5d x %5d  linear %7.2f us %6.0f GB/s (%3.0f%%)  norm+residual %7.2f us %6.0f GB/s"
         "  gated %7.2f us %6.0f GB/s (%3.0f%%)\n",
         k, n, plain, bytes / plain / 1e3, 100.0 * bytes / plain / 1e3 / copy, fused,
         bytes / fused / 1e3, gated, 2 * bytes / gated / 1e3, 200.0 * bytes / gated / 1e3 / copy);
}

/* One layer's q / k / v at decode (norm, rotary, cache writes). */
static void bench_qkv(int k, int heads, int kvh, int hd, double copy)
{
  const int maxctx = 1024;
  int nq = heads * hd, nkv = kvh * hd;
  WeightSet wq((size_t)nq * k), wk((size_t)nkv * k), wv((size_t)nkv * k);
  Buf<__half> x(quant<__half>(rnd(k))), nw(quant<__half>(rnd(k, 0.5f, 1.5f))), q(nq);
  Buf<__half> kc((size_t)nkv * maxctx), vc((size_t)nkv * maxctx);
  Vec inv(hd / 2);
  for (int i = 0; i < hd / 2; ++i)
    inv[i] = powf(10000.0f, -2.0f * i / hd);
  Buf<float> dinv(inv);
  Buf<int32_t> *pos = ints({77});
  double bytes = (double)(nq + 2 * nkv) * k * sizeof(__half);
  double us = graph_time_us([&](int i, cudaStream_t s) {
    return pare_llm_qkv_f16(x.p, nw.p, 1e-5f, wq[i], wk[i], wv[i], pos->p, nullptr, 0, dinv.p, hd,
                            0, q.p, kc.p, vc.p, 1, k, heads, kvh, hd, maxctx, s);
  }, 50);
  printf("qkv  %5d -> %d/%d heads x %d  %7.2f us %6.0f GB/s (%3.0f%%)\n", k, heads, kvh, hd, us,
         bytes / us / 1e3, 100.0 * bytes / us / 1e3 / copy);
  delete pos;
}

#ifdef PARE_BENCH_CUBLAS
#include <cublas_v2.h>
#endif

#ifdef PARE_BENCH_CUBLAS
/* y [rows][n] = x . w^T by cuBLAS's fp16 GEMM with float accumulation.
 * Row-major y is column-major y^T (n x rows) = w x^T, where row-major w
 * [n][k] reads as the column-major k x n matrix w^T (so op T) and row-major
 * x as column-major x^T (op N). */
static cudaError_t cublas_linear(cublasHandle_t h, const __half *x, const __half *w, __half *y,
                                 int rows, int k, int n, cudaStream_t s)
{
  const float one = 1.0f, zero = 0.0f;
  cublasSetStream(h, s);
  cublasStatus_t st = cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, n, rows, k, &one, w, CUDA_R_16F,
                                   k, x, CUDA_R_16F, k, &zero, y, CUDA_R_16F, n,
                                   CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
  return st == CUBLAS_STATUS_SUCCESS ? cudaSuccess : cudaErrorUnknown;
}
#endif

/* Microseconds of time_us with PARE_LLM_GEMM set to `mode` (NULL: unset). */
static double time_us_as(const char *mode,
                         const std::function<cudaError_t(int, cudaStream_t)> &launch, int per)
{
  if (mode)
    setenv("PARE_LLM_GEMM", mode, 1);
  else
    unsetenv("PARE_LLM_GEMM");
  double us = graph_time_us(launch, per);
  unsetenv("PARE_LLM_GEMM");
  return us;
}

/* Prefill at rows x K x N: the linear (automatic kernel choice), with the
 * norm prologue, the Hopper kernel without TMA (PARE_LLM_GEMM=cpasync), the
 * portable WMMA kernel (PARE_LLM_GEMM=wmma), and cuBLAS's fp16 GEMM when
 * linked in; TFLOP/s of 2 rows K N. */
static void bench_gemm(int rows, int k, int n)
{
  WeightSet w((size_t)n * k);
  Buf<__half> x(quant<__half>(rnd((size_t)rows * k))), nw(quant<__half>(rnd(k, 0.5f, 1.5f)));
  Buf<__half> y((size_t)rows * n);
  double flop = 2.0 * rows * k * n;
  auto plain = [&](int i, cudaStream_t s) {
    return pare_llm_linear_f16(x.p, nullptr, 0.0f, w[i], nullptr, y.p, rows, k, n,
                               PARE_ACT_NONE, 0.0f, 0.0f, s);
  };
  double auto_us = time_us_as(nullptr, plain, 10);
  double normed = time_us_as(nullptr, [&](int i, cudaStream_t s) {
    return pare_llm_linear_f16(x.p, nw.p, 1e-5f, w[i], nullptr, y.p, rows, k, n, PARE_ACT_NONE,
                               0.0f, 0.0f, s);
  }, 10);
  double cpasync = time_us_as("cpasync", plain, 10);
  double wmma = time_us_as("wmma", plain, 10);
  printf("gemm %4d x %5d x %5d  linear %7.1f us %5.1f TFLOP/s  norm %7.1f us %5.1f  cp.async %5.1f"
         "  wmma %5.1f",
         rows, k, n, auto_us, flop / auto_us / 1e6, normed, flop / normed / 1e6,
         flop / cpasync / 1e6, flop / wmma / 1e6);
#ifdef PARE_BENCH_CUBLAS
  cublasHandle_t h;
  if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS) {
    printf("  cuBLAS: no handle\n");
    return;
  }
  double cublas = graph_time_us([&](int i, cudaStream_t s) {
    return cublas_linear(h, x.p, w[i], y.p, rows, k, n, s);
  }, 10);
  cublasDestroy(h);
  printf("  cuBLAS %7.1f us %5.1f TFLOP/s  linear/cuBLAS %.2fx norm/cuBLAS %.2fx\n", cublas,
         flop / cublas / 1e6, auto_us / cublas, normed / cublas);
#else
  printf("  (cuBLAS: build with -DPARE_BENCH_CUBLAS -lcublas)\n");
#endif
}

/* The GEMMs of one Llama-2-7B layer's prefill of `rows` tokens as the fused
 * decoder runs them (qkv with the norm, rotary and cache writes; o with the
 * residual; gated with the norm; down with the residual), next to cuBLAS's
 * seven plain GEMMs (q, k, v, o, gate, up, down). */
static void bench_layer(int rows)
{
  const int d = 4096, ff = 11008, heads = 32, hd = 128, maxctx = 4096;
  WeightSet wq((size_t)d * d), wk((size_t)d * d), wv((size_t)d * d), wo((size_t)d * d);
  WeightSet wg((size_t)ff * d), wu((size_t)ff * d), wd((size_t)d * ff);
  Buf<__half> x(quant<__half>(rnd((size_t)rows * d))), nw(quant<__half>(rnd(d, 0.5f, 1.5f)));
  Buf<__half> q((size_t)rows * d), h((size_t)rows * d), act((size_t)rows * ff);
  Buf<__half> kc((size_t)d * maxctx), vc((size_t)d * maxctx);
  Vec inv(hd / 2);
  for (int i = 0; i < hd / 2; ++i)
    inv[i] = powf(10000.0f, -2.0f * i / hd);
  Buf<float> dinv(inv);
  std::vector<int32_t> pv(rows);
  for (int r = 0; r < rows; ++r)
    pv[r] = r;
  Buf<int32_t> *pos = ints(pv);
  double flop = 2.0 * rows * ((double)4 * d * d + 3.0 * d * ff);
  auto layer = [&](int i, cudaStream_t s) {
    cudaError_t e = pare_llm_qkv_f16(x.p, nw.p, 1e-5f, wq[i], wk[i], wv[i], pos->p, nullptr, 0,
                                     dinv.p, hd, 0, q.p, kc.p, vc.p, rows, d, heads, heads, hd,
                                     maxctx, s);
    if (e == cudaSuccess)
      e = pare_llm_linear_f16(q.p, nullptr, 0.0f, wo[i], h.p, h.p, rows, d, d, PARE_ACT_NONE,
                              0.0f, 0.0f, s);
    if (e == cudaSuccess)
      e = pare_llm_gated_f16(h.p, nw.p, 1e-5f, wg[i], wu[i], act.p, rows, d, ff, PARE_ACT_SILU,
                             0.0f, 0.0f, s);
    if (e == cudaSuccess)
      e = pare_llm_linear_f16(act.p, nullptr, 0.0f, wd[i], h.p, h.p, rows, ff, d, PARE_ACT_NONE,
                              0.0f, 0.0f, s);
    return e;
  };
  double pare_us = time_us_as(nullptr, layer, 4);
  double cpasync_us = time_us_as("cpasync", layer, 4);
  double wmma_us = time_us_as("wmma", layer, 4);
  printf("7B layer prefill GEMMs, %d rows: pare %8.1f us %5.1f TFLOP/s  cp.async %8.1f us  wmma "
         "%8.1f us",
         rows, pare_us, flop / pare_us / 1e6, cpasync_us, wmma_us);
#ifdef PARE_BENCH_CUBLAS
  cublasHandle_t hb;
  if (cublasCreate(&hb) != CUBLAS_STATUS_SUCCESS) {
    printf("  cuBLAS: no handle\n");
    delete pos;
    return;
  }
  double cublas = graph_time_us([&](int i, cudaStream_t s) {
    cudaError_t e = cudaSuccess;
    const __half *ws[] = {wq[i], wk[i], wv[i], wo[i]};
    for (const __half *w : ws)
      if (e == cudaSuccess)
        e = cublas_linear(hb, x.p, w, q.p, rows, d, d, s);
    if (e == cudaSuccess)
      e = cublas_linear(hb, x.p, wg[i], act.p, rows, d, ff, s);
    if (e == cudaSuccess)
      e = cublas_linear(hb, x.p, wu[i], act.p, rows, d, ff, s);
    if (e == cudaSuccess)
      e = cublas_linear(hb, act.p, wd[i], h.p, rows, ff, d, s);
    return e;
  }, 4);
  cublasDestroy(hb);
  printf("  cuBLAS (7 GEMMs) %8.1f us %5.1f TFLOP/s  pare/cuBLAS %.2fx\n", cublas,
         flop / cublas / 1e6, pare_us / cublas);
#else
  printf("  (cuBLAS: build with -DPARE_BENCH_CUBLAS -lcublas)\n");
#endif
  delete pos;
}

static void bench()
{
  double copy = copy_gbs();
  printf("device-to-device copy: %.0f GB/s (read + write)\n", copy);
  const int gemv[][2] = {{4096, 4096}, {4096, 11008}, {11008, 4096}, {576, 576},
                         {576, 192},   {576, 1536},   {1536, 576},   {576, 49152}};
  for (const auto &s : gemv)
    bench_gemv(s[0], s[1], copy);
  bench_qkv(4096, 32, 32, 128, copy); /* Llama-2-7B */
  bench_qkv(576, 9, 3, 64, copy);     /* SmolLM2-135M */
  /* Llama-2-7B's and SmolLM2-135M's linears at prefill (K x N). */
  const int gemm[][2] = {{4096, 4096}, {4096, 11008}, {11008, 4096}, {576, 576},
                         {576, 1536},  {1536, 576},   {576, 49152}};
  for (int rows : {512, 2048})
    for (const auto &s : gemm)
      bench_gemm(rows, s[0], s[1]);
  bench_layer(512);
  bench_layer(2048);
}

template <typename T> static void test_all()
{
  test_matmul<T>(1, 576, 192, PARE_ACT_NONE);  /* decode GEMV, vector loads */
  test_matmul<T>(1, 37, 5, PARE_ACT_RELU);     /* scalar path */
  test_matmul<T>(2, 64, 33, PARE_ACT_NONE);    /* the GEMV's several-row form */
  test_matmul<T>(4, 37, 5, PARE_ACT_RELU);
  test_matmul<T>(7, 64, 33, PARE_ACT_NONE);    /* prefill GEMM */
  test_matmul<T>(130, 24, 9, PARE_ACT_NONE);
  test_matmul<T>(37, 100, 70, PARE_ACT_RELU);
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
  test_fused<T>();
  if constexpr (std::is_same<T, __half>::value)
    test_prefill_f16();
  test_unfused_step_pdl<T>();
}

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
  return g_fail == 0 ? 0 : 1;
}
