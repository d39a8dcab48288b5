/*
 * Tests of the KV-cache slots of the CUDA decoder kernels (batched decode: each row of a step is
 * its own sequence in its own slot of the caches; the contract is in
 * runtime-stubs/cuda-llm/pare_cu_llm.cuh). Standalone; needs a GPU:
 *
 *   bash tests/cuda/run_slots_check.sh sm_90        (builds it with nvcc and runs it)
 *
 * For f32 and f16, rows 1, 3, 5, 32 and 64 with distinct slots (of 67) in shuffled order and
 * distinct positions (the context's last, 0, 32: one key past a split's 32, random others).
 * Each slot holds two layers' caches and the calls address layer 1 (slot_stride = two layers),
 * as a decoder's [slot][layer] caches do.
 *  - kv_write, qkv (decode GEMV up to PARE_LLM_GEMV_ROWS rows, the tiled GEMM beyond) and
 *    qkv_w4 (int4 GEMV; beyond, dequantize + dense GEMM), and with -DPARE_SLOTS_BLAS
 *    pare_llm_blas_qkv (cuBLAS beyond the GEMV's rows): caches filled with a sentinel first;
 *    afterwards every element of every slot (used or not, both layers) is bit-equal to what is
 *    expected: the sentinel, except each row's entries (its slot, layer 1, every kv head, its
 *    position), which equal the same call made without slots (same rows, so the same kernel
 *    path) into one sentinel-filled cache. q_out is bit-equal to that call's too. kv_write's
 *    entries are its inputs; qkv's are within tolerance of a float64 reference (so a call that
 *    is wrong with and without slots alike cannot pass).
 *  - attention and decode_attention: every slot's layer 1 random, layer 0 constant (a row that
 *    reads another slot or layer gets a visibly different answer). Row r of a call with slots is
 *    bit-equal to the same kernel called with rows = 1, slots NULL, on that slot's cache
 *    pointers; for decode_attention only where both calls split the context alike (the split
 *    count depends on the grid: ceil(max_context / 32) against ceil(2048 / (rows x kv heads x
 *    head groups)), mirrored from pare_cu_llm_attn.cu; the bit-equal comparisons are counted and
 *    must not be zero). Everything is within tolerance of a float64 reference. decode_attention
 *    with slots takes rows beyond PARE_LLM_GEMV_ROWS on the split kernel, not the one-sequence
 *    prefill kernel (which would give other answers); a second identical call gives the same
 *    bits and every row's merge tickets are zero afterwards (the self-resetting tickets, 64
 *    rows); more than PARE_LLM_MAX_BATCH_ROWS rows are refused.
 * Head shapes: GQA 4:1 dim 64, MHA dim 128 with a long context (64 rows split differently from
 * one), GQA 2:1 dim 36 (f16: no 16-byte rows, the plain kernel's fallback).
 *
 * Prints FAIL lines and "N passed, M failed"; exits 1 on a failure, 2 when it cannot run.
 */
#include "pare_cu_llm.cuh"
#if defined(PARE_SLOTS_BLAS)
#include "pare_cu_llm_blas.cuh"
#endif
#include "llm_test_support.h"

#include <algorithm>
#include <functional>
#include <string.h>

namespace {

constexpr int kSlots = 67;
constexpr int kRowCounts[] = {1, 3, 5, 32, 64};
constexpr int kMaxRows = 64;
constexpr int kQkvContext = 128;

/* ------------------------------------------------------------- helpers -- */

template <typename T> std::vector<T> host(const T *d, size_t n)
{
  std::vector<T> h(n);
  CUDA_OK(cudaDeviceSynchronize());
  CUDA_OK(cudaMemcpy(h.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost));
  return h;
}
template <typename T> void upload(T *d, const std::vector<T> &h)
{
  CUDA_OK(cudaMemcpy(d, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice));
}
template <typename T> std::vector<T> to_raw(const Vec &v)
{
  std::vector<T> h(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    h[i] = Ty<T>::to(v[i]);
  return h;
}
template <typename T> Vec from_raw(const std::vector<T> &h)
{
  Vec v(h.size());
  for (size_t i = 0; i < h.size(); ++i)
    v[i] = Ty<T>::from(h[i]);
  return v;
}

/* Bitwise equality, with the first difference in *why. */
template <typename T>
bool same_bits(const std::vector<T> &got, const std::vector<T> &want, std::string *why)
{
  if (got.size() != want.size()) {
    *why = "sizes differ";
    return false;
  }
  for (size_t i = 0; i < got.size(); ++i)
    if (memcmp(&got[i], &want[i], sizeof(T))) {
      char b[160];
      snprintf(b, sizeof b, "[%zu] got %.8g want %.8g (of %zu)", i, Ty<T>::from(got[i]),
               Ty<T>::from(want[i]), got.size());
      *why = b;
      return false;
    }
  return true;
}
template <typename T>
void check_bits(const std::string &name, const std::vector<T> &got, const std::vector<T> &want)
{
  std::string why;
  bool ok = same_bits(got, want, &why);
  verdict(name + " " + Ty<T>::name(), ok, why);
}

/* int32 device array. */
struct Ints {
  int32_t *p = nullptr;
  explicit Ints(const std::vector<int32_t> &v)
  {
    CUDA_OK(cudaMalloc((void **)&p, (v.size() + 1) * sizeof(int32_t)));
    CUDA_OK(cudaMemcpy(p, v.data(), v.size() * sizeof(int32_t), cudaMemcpyHostToDevice));
  }
  ~Ints() { cudaFree(p); }
  Ints(const Ints &) = delete;
  Ints &operator=(const Ints &) = delete;
};

/* rows distinct slots of kSlots, shuffled. */
std::vector<int32_t> pick_slots(int rows)
{
  std::vector<int32_t> s(kSlots);
  for (int i = 0; i < kSlots; ++i)
    s[i] = i;
  std::shuffle(s.begin(), s.end(), g_rng);
  s.resize(rows);
  return s;
}

/* rows distinct positions < ctx: ctx - 1 first (one row: a long context), then 0, then 32 (33
 * keys: one past a split's 32), then random ones; shuffled. */
std::vector<int32_t> pick_positions(int rows, int ctx)
{
  std::vector<int32_t> rest;
  for (int p = 1; p < ctx - 1; ++p)
    if (p != 32)
      rest.push_back(p);
  std::shuffle(rest.begin(), rest.end(), g_rng);
  std::vector<int32_t> pos = {ctx - 1, 0, 32};
  pos.insert(pos.end(), rest.begin(), rest.end());
  pos.resize(rows);
  std::shuffle(pos.begin(), pos.end(), g_rng);
  return pos;
}

std::string tag(const char *what, int rows)
{
  return std::string(what) + " rows " + std::to_string(rows);
}

/* The caches of every slot: per slot two layers of [kv_heads][ctx][head_dim]; the calls use
 * layer 1 (base = one layer in), slot s at s * stride further. */
struct Geometry {
  int kvh, ctx, hd;
  size_t layer() const { return (size_t)kvh * ctx * hd; }
  long long stride() const { return (long long)(2 * layer()); }
  size_t total() const { return (size_t)kSlots * 2 * layer(); }
  /* Element of (slot, kv head g, position t, dim d) in the whole buffer. */
  size_t at(int slot, int g, int t, int d) const
  {
    return (size_t)slot * 2 * layer() + layer() + ((size_t)g * ctx + t) * hd + d;
  }
};

/* ------------------------------------------------------------ kv_write -- */

cudaError_t kv_write(const float *k, const float *v, const int32_t *p, const int32_t *s,
                     long long ss, float *kc, float *vc, int r, int kvh, int hd, int mc)
{
  return pare_llm_kv_write_f32(k, v, p, s, ss, kc, vc, r, kvh, hd, mc, 0);
}
cudaError_t kv_write(const __half *k, const __half *v, const int32_t *p, const int32_t *s,
                     long long ss, __half *kc, __half *vc, int r, int kvh, int hd, int mc)
{
  return pare_llm_kv_write_f16(k, v, p, s, ss, kc, vc, r, kvh, hd, mc, 0);
}

template <typename T> void test_kv_write(int rows)
{
  const Geometry G{2, 128, 64};
  const int width = G.kvh * G.hd;
  std::vector<int32_t> slots = pick_slots(rows), pos = pick_positions(rows, G.ctx);
  std::vector<T> k = to_raw<T>(rnd((size_t)rows * width)), v = to_raw<T>(rnd((size_t)rows * width));
  std::vector<T> ksent(G.total(), Ty<T>::to(-777.0f)), vsent(G.total(), Ty<T>::to(-555.0f));
  Buf<T> dk(k.size()), dv(v.size()), kc(G.total()), vc(G.total());
  upload(dk.p, k);
  upload(dv.p, v);
  upload(kc.p, ksent);
  upload(vc.p, vsent);
  Ints ds(slots), dp(pos);
  cudaError_t e = kv_write(dk.p, dv.p, dp.p, ds.p, G.stride(), kc.p + G.layer(), vc.p + G.layer(),
                           rows, G.kvh, G.hd, G.ctx);
  verdict(tag("kv_write", rows) + " launch " + Ty<T>::name(), e == cudaSuccess,
          cudaGetErrorString(e));
  std::vector<T> kwant = ksent, vwant = vsent;
  for (int r = 0; r < rows; ++r)
    for (int g = 0; g < G.kvh; ++g)
      for (int d = 0; d < G.hd; ++d) {
        kwant[G.at(slots[r], g, pos[r], d)] = k[(size_t)r * width + g * G.hd + d];
        vwant[G.at(slots[r], g, pos[r], d)] = v[(size_t)r * width + g * G.hd + d];
      }
  check_bits(tag("kv_write", rows) + " k caches of all slots", host(kc.p, G.total()), kwant);
  check_bits(tag("kv_write", rows) + " v caches of all slots", host(vc.p, G.total()), vwant);
}

/* ----------------------------------------------------------------- qkv -- */

/* The attention inputs' shape and data (weights as float, rounded to T where stored dense). */
struct QkvShape {
  int k = 128, heads = 4, kvh = 2, hd = 64, rd = 64, group = 64;
  int nq() const { return heads * hd; }
  int nkv() const { return kvh * hd; }
};

/* int4 weights of n outputs: codes 0..15, per group a scale and an integer zero point. */
struct W4 {
  int n, k, group;
  std::vector<uint8_t> q;  /* [n][k] */
  Vec scale, zero;         /* [n][groups] */
  Vec dense() const        /* (q - z) * s, the float weight */
  {
    Vec w((size_t)n * k);
    const int groups = (k + group - 1) / group;
    for (int j = 0; j < n; ++j)
      for (int kk = 0; kk < k; ++kk) {
        size_t g = (size_t)j * groups + kk / group;
        w[(size_t)j * k + kk] = ((float)q[(size_t)j * k + kk] - zero[g]) * scale[g];
      }
    return w;
  }
};
template <typename T> W4 make_w4(int n, int k, int group)
{
  W4 w{n, k, group, {}, {}, {}};
  std::uniform_int_distribution<int> code(0, 15);
  w.q.resize((size_t)n * k);
  for (uint8_t &c : w.q)
    c = (uint8_t)code(g_rng);
  const int groups = (k + group - 1) / group;
  w.scale = quant<T>(rnd((size_t)n * groups, 0.002f, 0.02f));
  w.zero.resize((size_t)n * groups);
  for (float &z : w.zero)
    z = (float)code(g_rng);
  return w;
}
/* A W4 on the device in pare_llm_matmul_w4's layout. */
template <typename T> struct DevW4 {
  Buf<uint8_t> q;
  Buf<T> sz;
  explicit DevW4(const W4 &w)
      : q((size_t)w.n * PARE_LLM_W4_ROW_BYTES(w.k)),
        sz((size_t)w.n * PARE_LLM_W4_GROUPS(w.k, w.group) * 2)
  {
    const size_t row_bytes = PARE_LLM_W4_ROW_BYTES(w.k);
    std::vector<uint8_t> packed((size_t)w.n * row_bytes, 0);
    for (int j = 0; j < w.n; ++j)
      for (int kk = 0; kk < w.k; ++kk)
        packed[j * row_bytes + kk / 2] |= (uint8_t)(w.q[(size_t)j * w.k + kk] << (4 * (kk % 2)));
    const int groups = (w.k + w.group - 1) / w.group, padded = PARE_LLM_W4_GROUPS(w.k, w.group);
    std::vector<T> s((size_t)w.n * padded * 2, Ty<T>::to(0.0f));
    for (int j = 0; j < w.n; ++j)
      for (int g = 0; g < groups; ++g) {
        s[((size_t)j * padded + g) * 2] = Ty<T>::to(w.scale[(size_t)j * groups + g]);
        s[((size_t)j * padded + g) * 2 + 1] = Ty<T>::to(w.zero[(size_t)j * groups + g]);
      }
    upload(q.p, packed);
    upload(sz.p, s);
  }
};

/* float64 reference of the k and v a qkv call writes, [rows][kvh][hd] each: the norm rounded
 * to T, the products rounded to T, k turned by positions[r] (pairs i, i + rd / 2). */
template <typename T>
void ref_kv(const QkvShape &S, const Vec &x, const Vec &nw, const Vec &wk, const Vec &wv,
            const std::vector<int32_t> &pos, const Vec &inv, Vec *kref, Vec *vref)
{
  const int rows = (int)pos.size(), half = S.rd / 2;
  kref->assign((size_t)rows * S.nkv(), 0.0f);
  vref->assign((size_t)rows * S.nkv(), 0.0f);
  std::vector<double> xn(S.k);
  for (int r = 0; r < rows; ++r) {
    double ss = 0;
    for (int i = 0; i < S.k; ++i)
      ss += (double)x[(size_t)r * S.k + i] * x[(size_t)r * S.k + i];
    const double ir = 1.0 / sqrt(ss / S.k + 1e-5);
    for (int i = 0; i < S.k; ++i)
      xn[i] = Ty<T>::from(Ty<T>::to((float)(x[(size_t)r * S.k + i] * ir * nw[i])));
    for (int j = 0; j < S.nkv(); ++j) {
      double a = 0, b = 0;
      for (int i = 0; i < S.k; ++i) {
        a += xn[i] * wk[(size_t)j * S.k + i];
        b += xn[i] * wv[(size_t)j * S.k + i];
      }
      (*kref)[(size_t)r * S.nkv() + j] = Ty<T>::from(Ty<T>::to((float)a));
      (*vref)[(size_t)r * S.nkv() + j] = Ty<T>::from(Ty<T>::to((float)b));
    }
    for (int g = 0; g < S.kvh; ++g)
      for (int i = 0; i < half; ++i) {
        float *row = &(*kref)[(size_t)r * S.nkv() + (size_t)g * S.hd];
        const double ang = (double)pos[r] * inv[i];
        const double ya = row[i], yb = row[i + half];
        row[i] = (float)(ya * cos(ang) - yb * sin(ang));
        row[i + half] = (float)(yb * cos(ang) + ya * sin(ang));
      }
  }
}

/* One qkv variant's call: (slots, slot_stride, k cache, v cache, q_out) -> error. */
template <typename T>
using QkvCall = std::function<cudaError_t(const int32_t *, long long, T *, T *, T *)>;

/* The check of one qkv variant for `rows` rows (see the file comment). */
template <typename T>
void check_qkv(const char *what, int rows, const QkvShape &S, const std::vector<int32_t> &slots,
               const std::vector<int32_t> &pos, const Ints &ds, QkvCall<T> call, const Vec &kref,
               const Vec &vref)
{
  const Geometry G{S.kvh, kQkvContext, S.hd};
  const std::string name = tag(what, rows);
  std::vector<T> ksent(G.total(), Ty<T>::to(-777.0f)), vsent(G.total(), Ty<T>::to(-555.0f));
  std::vector<T> qsent((size_t)rows * S.nq(), Ty<T>::to(-333.0f));
  Buf<T> kc(G.total()), vc(G.total()), q((size_t)rows * S.nq());
  Buf<T> k1(G.layer()), v1(G.layer()), q1((size_t)rows * S.nq());
  upload(kc.p, ksent);
  upload(vc.p, vsent);
  upload(q.p, qsent);
  upload(k1.p, std::vector<T>(ksent.begin(), ksent.begin() + G.layer()));
  upload(v1.p, std::vector<T>(vsent.begin(), vsent.begin() + G.layer()));
  upload(q1.p, qsent);
  cudaError_t e = call(ds.p, G.stride(), kc.p + G.layer(), vc.p + G.layer(), q.p);
  verdict(name + " launch with slots " + Ty<T>::name(), e == cudaSuccess, cudaGetErrorString(e));
  /* The same rows without slots, into one cache (the positions are distinct). */
  e = call(nullptr, 0, k1.p, v1.p, q1.p);
  verdict(name + " launch without slots " + Ty<T>::name(), e == cudaSuccess,
          cudaGetErrorString(e));
  std::vector<T> k1h = host(k1.p, G.layer()), v1h = host(v1.p, G.layer());
  std::vector<T> kwant = ksent, vwant = vsent;
  Vec kgot, vgot, kwant_f, vwant_f;
  for (int r = 0; r < rows; ++r)
    for (int g = 0; g < S.kvh; ++g)
      for (int d = 0; d < S.hd; ++d) {
        const size_t one = ((size_t)g * G.ctx + pos[r]) * G.hd + d;
        kwant[G.at(slots[r], g, pos[r], d)] = k1h[one];
        vwant[G.at(slots[r], g, pos[r], d)] = v1h[one];
        kgot.push_back(Ty<T>::from(k1h[one]));
        vgot.push_back(Ty<T>::from(v1h[one]));
        kwant_f.push_back(kref[(size_t)r * S.nkv() + g * S.hd + d]);
        vwant_f.push_back(vref[(size_t)r * S.nkv() + g * S.hd + d]);
      }
  check_bits(name + " k caches of all slots = call without slots", host(kc.p, G.total()), kwant);
  check_bits(name + " v caches of all slots = call without slots", host(vc.p, G.total()), vwant);
  check_bits(name + " q_out = call without slots", host(q.p, (size_t)rows * S.nq()),
             host(q1.p, (size_t)rows * S.nq()));
  check<T>(name + " k written vs float64 reference", cudaSuccess, kgot, kwant_f);
  check<T>(name + " v written vs float64 reference", cudaSuccess, vgot, vwant_f);
}

cudaError_t qkv(const float *x, const float *nw, const float *wq, const float *wk,
                const float *wv, const int32_t *p, const int32_t *s, long long ss,
                const float *inv, int rd, float *q, float *kc, float *vc, int r, int k, int h,
                int kvh, int hd, int mc)
{
  return pare_llm_qkv_f32(x, nw, 1e-5f, wq, wk, wv, p, s, ss, inv, rd, 0, q, kc, vc, r, k, h, kvh,
                          hd, mc, 0);
}
cudaError_t qkv(const __half *x, const __half *nw, const __half *wq, const __half *wk,
                const __half *wv, const int32_t *p, const int32_t *s, long long ss,
                const float *inv, int rd, __half *q, __half *kc, __half *vc, int r, int k, int h,
                int kvh, int hd, int mc)
{
  return pare_llm_qkv_f16(x, nw, 1e-5f, wq, wk, wv, p, s, ss, inv, rd, 0, q, kc, vc, r, k, h, kvh,
                          hd, mc, 0);
}
cudaError_t qkv_w4(const float *x, const float *nw, const DevW4<float> &wq,
                   const DevW4<float> &wk, const DevW4<float> &wv, int group, const int32_t *p,
                   const int32_t *s, long long ss, const float *inv, int rd, float *q, float *kc,
                   float *vc, int r, int k, int h, int kvh, int hd, int mc, void *ws)
{
  return pare_llm_qkv_w4_f32(x, nw, 1e-5f, wq.q.p, wq.sz.p, wk.q.p, wk.sz.p, wv.q.p, wv.sz.p,
                             group, p, s, ss, inv, rd, 0, q, kc, vc, r, k, h, kvh, hd, mc, ws, 0);
}
cudaError_t qkv_w4(const __half *x, const __half *nw, const DevW4<__half> &wq,
                   const DevW4<__half> &wk, const DevW4<__half> &wv, int group, const int32_t *p,
                   const int32_t *s, long long ss, const float *inv, int rd, __half *q,
                   __half *kc, __half *vc, int r, int k, int h, int kvh, int hd, int mc, void *ws)
{
  return pare_llm_qkv_w4_f16(x, nw, 1e-5f, wq.q.p, wq.sz.p, wk.q.p, wk.sz.p, wv.q.p, wv.sz.p,
                             group, p, s, ss, inv, rd, 0, q, kc, vc, r, k, h, kvh, hd, mc, ws, 0);
}
#if defined(PARE_SLOTS_BLAS)
cudaError_t blas_qkv(pare_llm_blas *b, const float *x, const float *nw, const float *wq,
                     const float *wk, const float *wv, const int32_t *p, const int32_t *s,
                     long long ss, const float *inv, int rd, float *q, float *kc, float *vc, int r,
                     int k, int h, int kvh, int hd, int mc)
{
  return pare_llm_blas_qkv_f32(b, x, nw, 1e-5f, wq, wk, wv, p, s, ss, inv, rd, 0, q, kc, vc, r, k,
                               h, kvh, hd, mc, 0);
}
cudaError_t blas_qkv(pare_llm_blas *b, const __half *x, const __half *nw, const __half *wq,
                     const __half *wk, const __half *wv, const int32_t *p, const int32_t *s,
                     long long ss, const float *inv, int rd, __half *q, __half *kc, __half *vc,
                     int r, int k, int h, int kvh, int hd, int mc)
{
  return pare_llm_blas_qkv_f16(b, x, nw, 1e-5f, wq, wk, wv, p, s, ss, inv, rd, 0, q, kc, vc, r, k,
                               h, kvh, hd, mc, 0);
}
#endif

template <typename T> void test_qkv(int rows)
{
  const QkvShape S;
  const int ctx = kQkvContext;
  std::vector<int32_t> slots = pick_slots(rows), pos = pick_positions(rows, ctx);
  Ints ds(slots), dp(pos);
  const float wscale = 1.0f / sqrtf((float)S.k);
  Vec x = quant<T>(rnd((size_t)rows * S.k, -2, 2)), nw = quant<T>(rnd(S.k, 0.5f, 1.5f));
  Vec wq = quant<T>(rnd((size_t)S.nq() * S.k, -wscale, wscale));
  Vec wk = quant<T>(rnd((size_t)S.nkv() * S.k, -wscale, wscale));
  Vec wv = quant<T>(rnd((size_t)S.nkv() * S.k, -wscale, wscale));
  Vec inv(S.rd / 2);
  for (int i = 0; i < S.rd / 2; ++i)
    inv[i] = powf(10000.0f, -2.0f * i / S.rd);
  Buf<T> dx(x), dnw(nw), dwq(wq), dwk(wk), dwv(wv);
  Buf<float> dinv(inv);
  Vec kref, vref;

  ref_kv<T>(S, x, nw, wk, wv, pos, inv, &kref, &vref);
  check_qkv<T>("qkv", rows, S, slots, pos, ds,
               [&](const int32_t *s, long long ss, T *kc, T *vc, T *q) {
                 return qkv(dx.p, dnw.p, dwq.p, dwk.p, dwv.p, dp.p, s, ss, dinv.p, S.rd, q, kc,
                            vc, rows, S.k, S.heads, S.kvh, S.hd, ctx);
               },
               kref, vref);

  /* int4 weights: the reference multiplies by the dequantized float weights. */
  W4 q4 = make_w4<T>(S.nq(), S.k, S.group), k4 = make_w4<T>(S.nkv(), S.k, S.group),
     v4 = make_w4<T>(S.nkv(), S.k, S.group);
  DevW4<T> dq4(q4), dk4(k4), dv4(v4);
  Buf<uint8_t> ws(PARE_LLM_W4_FUSED_WORKSPACE_BYTES(S.k, S.nq() + 2 * S.nkv(), sizeof(T)));
  ref_kv<T>(S, x, nw, k4.dense(), v4.dense(), pos, inv, &kref, &vref);
  check_qkv<T>("qkv_w4", rows, S, slots, pos, ds,
               [&](const int32_t *s, long long ss, T *kc, T *vc, T *q) {
                 return qkv_w4(dx.p, dnw.p, dq4, dk4, dv4, S.group, dp.p, s, ss, dinv.p, S.rd, q,
                               kc, vc, rows, S.k, S.heads, S.kvh, S.hd, ctx, ws.p);
               },
               kref, vref);

#if defined(PARE_SLOTS_BLAS)
  pare_llm_blas *b = nullptr;
  cudaError_t e = pare_llm_blas_create(&b, kMaxRows, S.k, S.nq() + 2 * S.nkv(), 0, 0, 0);
  verdict(tag("blas_qkv", rows) + " context " + Ty<T>::name(), e == cudaSuccess,
          cudaGetErrorString(e));
  if (e == cudaSuccess) {
    ref_kv<T>(S, x, nw, wk, wv, pos, inv, &kref, &vref);
    check_qkv<T>("blas_qkv", rows, S, slots, pos, ds,
                 [&](const int32_t *s, long long ss, T *kc, T *vc, T *q) {
                   return blas_qkv(b, dx.p, dnw.p, dwq.p, dwk.p, dwv.p, dp.p, s, ss, dinv.p, S.rd,
                                   q, kc, vc, rows, S.k, S.heads, S.kvh, S.hd, ctx);
                 },
                 kref, vref);
    pare_llm_blas_destroy(b);
  }
#endif
}

/* ----------------------------------------------------------- attention -- */

struct AttnShape {
  int heads, kvh, hd, ctx;
};

cudaError_t attn(bool split, const float *q, const float *kc, const float *vc, const int32_t *p,
                 const int32_t *s, long long ss, float *y, int r, const AttnShape &A, float sc,
                 float *ws)
{
  return split ? pare_llm_decode_attention_f32(q, kc, vc, p, s, ss, y, r, A.heads, A.kvh, A.hd,
                                               A.ctx, sc, ws, 0)
               : pare_llm_attention_f32(q, kc, vc, p, s, ss, y, r, A.heads, A.kvh, A.hd, A.ctx,
                                        sc, 0);
}
cudaError_t attn(bool split, const __half *q, const __half *kc, const __half *vc,
                 const int32_t *p, const int32_t *s, long long ss, __half *y, int r,
                 const AttnShape &A, float sc, float *ws)
{
  return split ? pare_llm_decode_attention_f16(q, kc, vc, p, s, ss, y, r, A.heads, A.kvh, A.hd,
                                               A.ctx, sc, ws, 0)
               : pare_llm_attention_f16(q, kc, vc, p, s, ss, y, r, A.heads, A.kvh, A.hd, A.ctx,
                                        sc, 0);
}

/* The split count pare_cu_llm_attn.cu picks for a call of `rows` rows (mirrored: kMinChunk 32,
 * kTargetBlocks 2048, at most PARE_LLM_ATTN_MAX_SPLITS - 1). */
int max_splits(const AttnShape &A, int rows)
{
  const int qh = A.heads == A.kvh ? 1 : 4;
  const int groups = (A.heads / A.kvh + qh - 1) / qh;
  const int per_split = rows * A.kvh * groups;
  const int by_len = (A.ctx + 31) / 32, by_fill = (2048 + per_split - 1) / per_split;
  return std::max(1, std::min(std::min(by_len, by_fill), PARE_LLM_ATTN_MAX_SPLITS - 1));
}

/* Row r, head h over positions 0..pos[r] of slot slots[r] (layer 1), float64. */
Vec ref_attention(const Vec &q, const Vec &kc, const Vec &vc, const std::vector<int32_t> &slots,
                  const std::vector<int32_t> &pos, const AttnShape &A, const Geometry &G,
                  float scale)
{
  const int rows = (int)pos.size();
  Vec y((size_t)rows * A.heads * A.hd);
  std::vector<double> s, o(A.hd);
  for (int r = 0; r < rows; ++r)
    for (int h = 0; h < A.heads; ++h) {
      const int g = h / (A.heads / A.kvh), len = pos[r] + 1;
      s.assign(len, 0.0);
      double m = -1e300;
      const float *qr = &q[((size_t)r * A.heads + h) * A.hd];
      for (int t = 0; t < len; ++t) {
        const float *kt = &kc[G.at(slots[r], g, t, 0)];
        double d = 0;
        for (int i = 0; i < A.hd; ++i)
          d += (double)qr[i] * kt[i];
        s[t] = d * scale;
        m = std::max(m, s[t]);
      }
      double sum = 0;
      std::fill(o.begin(), o.end(), 0.0);
      for (int t = 0; t < len; ++t) {
        const double p = exp(s[t] - m);
        sum += p;
        const float *vt = &vc[G.at(slots[r], g, t, 0)];
        for (int i = 0; i < A.hd; ++i)
          o[i] += p * vt[i];
      }
      for (int i = 0; i < A.hd; ++i)
        y[((size_t)r * A.heads + h) * A.hd + i] = (float)(o[i] / sum);
    }
  return y;
}

/* Every row's tickets (the last split slot's worth of each row's part of the workspace,
 * pare_cu_llm.cuh) are zero bits. */
bool tickets_zero(const float *ws, const AttnShape &A, int rows)
{
  const size_t row = (size_t)A.heads * PARE_LLM_ATTN_MAX_SPLITS * (A.hd + 2);
  const size_t from = (size_t)A.heads * (PARE_LLM_ATTN_MAX_SPLITS - 1) * (A.hd + 2);
  std::vector<uint32_t> h(PARE_LLM_ATTN_WORKSPACE_FLOATS_ROWS(rows, A.heads, A.hd));
  CUDA_OK(cudaDeviceSynchronize());
  CUDA_OK(cudaMemcpy(h.data(), ws, h.size() * sizeof(uint32_t), cudaMemcpyDeviceToHost));
  for (int r = 0; r < rows; ++r)
    for (size_t i = r * row + from; i < (r + 1) * row; ++i)
      if (h[i])
        return false;
  return true;
}

template <typename T> void test_attention(const AttnShape &A, int *exact_split_checks)
{
  const Geometry G{A.kvh, A.ctx, A.hd};
  const std::string shape = " heads " + std::to_string(A.heads) + "/" + std::to_string(A.kvh) +
                            " dim " + std::to_string(A.hd) + " context " + std::to_string(A.ctx);
  /* Layer 1 of every slot random, layer 0 constant. */
  Vec kc(G.total(), 50.0f), vc(G.total(), -50.0f);
  for (int s = 0; s < kSlots; ++s) {
    Vec kr = quant<T>(rnd(G.layer())), vr = quant<T>(rnd(G.layer()));
    std::copy(kr.begin(), kr.end(), kc.begin() + G.at(s, 0, 0, 0));
    std::copy(vr.begin(), vr.end(), vc.begin() + G.at(s, 0, 0, 0));
  }
  Buf<T> dk(kc), dv(vc);
  const T *kb = dk.p + G.layer(), *vb = dv.p + G.layer();
  const size_t ws_floats = PARE_LLM_ATTN_WORKSPACE_FLOATS_ROWS(kMaxRows, A.heads, A.hd);
  Buf<float> ws(ws_floats); /* zeroed once */
  const float scale = 1.0f / sqrtf((float)A.hd);
  const int row_elems = A.heads * A.hd;

  for (int rows : kRowCounts) {
    std::vector<int32_t> slots = pick_slots(rows), pos = pick_positions(rows, A.ctx);
    Ints ds(slots), dp(pos);
    Vec q = quant<T>(rnd((size_t)rows * row_elems, -2, 2));
    Buf<T> dq(q), y((size_t)rows * row_elems), y2((size_t)rows * row_elems),
        y1((size_t)rows * row_elems);
    const Vec want = ref_attention(q, kc, vc, slots, pos, A, G, scale);
    for (bool split : {true, false}) {
      const std::string name =
          std::string(split ? "decode_attention" : "attention") + " rows " +
          std::to_string(rows) + shape;
      cudaError_t e =
          attn(split, dq.p, kb, vb, dp.p, ds.p, G.stride(), y.p, rows, A, scale, ws.p);
      check<T>(name + " with slots vs float64", e, y.get(), want);
      /* Row by row, without slots, on the slot's own cache pointers. */
      cudaError_t e1 = cudaSuccess;
      for (int r = 0; r < rows && e1 == cudaSuccess; ++r) {
        const long long off = (long long)slots[r] * G.stride();
        e1 = attn(split, dq.p + (size_t)r * row_elems, kb + off, vb + off, dp.p + r, nullptr, 0,
                  y1.p + (size_t)r * row_elems, 1, A, scale, ws.p);
      }
      verdict(name + " rows one by one launch " + Ty<T>::name(), e1 == cudaSuccess,
              cudaGetErrorString(e1));
      const bool plain = !split || A.hd % (16 / (int)sizeof(T)) != 0;
      if (plain || max_splits(A, rows) == max_splits(A, 1)) {
        check_bits(name + " = rows one by one without slots", host(y.p, y.n), host(y1.p, y1.n));
        if (split && !plain)
          ++*exact_split_checks;
      } else {
        check<T>(name + " rows one by one without slots vs float64", e1, y1.get(), want);
      }
      if (split) {
        /* Again: the merge tickets went back to zero, so the same bits. */
        e = attn(split, dq.p, kb, vb, dp.p, ds.p, G.stride(), y2.p, rows, A, scale, ws.p);
        verdict(name + " second call launch " + Ty<T>::name(), e == cudaSuccess,
                cudaGetErrorString(e));
        check_bits(name + " second call = first", host(y2.p, y2.n), host(y.p, y.n));
        verdict(name + " tickets of every row zero " + Ty<T>::name(),
                tickets_zero(ws.p, A, kMaxRows));
      }
    }
  }
}

template <typename T> void test_refusal()
{
  /* Nothing is dereferenced: the call is refused before any launch. */
  const AttnShape A{8, 2, 64, 256};
  T *p = reinterpret_cast<T *>(16);
  const int32_t *ip = reinterpret_cast<const int32_t *>(16);
  cudaError_t e = attn(true, p, p, p, ip, ip, 1, p, PARE_LLM_MAX_BATCH_ROWS + 1, A, 0.125f,
                       reinterpret_cast<float *>(16));
  verdict(std::string("decode_attention with slots refuses ") +
              std::to_string(PARE_LLM_MAX_BATCH_ROWS + 1) + " rows " + Ty<T>::name(),
          e == cudaErrorInvalidValue, cudaGetErrorString(e));
}

template <typename T> void test_all()
{
  for (int rows : kRowCounts)
    test_kv_write<T>(rows);
  for (int rows : kRowCounts)
    test_qkv<T>(rows);
  int exact = 0;
  test_attention<T>({8, 2, 64, 256}, &exact);  /* GQA 4:1: one split count for 1 to 64 rows */
  test_attention<T>({4, 4, 128, 512}, &exact); /* MHA: 64 rows split in fewer chunks than one */
  test_attention<T>({6, 3, 36, 128}, &exact);  /* f16: no 16-byte rows, the plain kernel */
  /* At least the GQA shape's 5 row counts and the MHA shape's 4 that split like one row. */
  verdict(std::string("decode_attention split kernel compared bit for bit (") +
              std::to_string(exact) + " calls) " + Ty<T>::name(),
          exact >= 9);
  test_refusal<T>();
}

} // namespace

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
