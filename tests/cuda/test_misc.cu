/*
 * Tests of the pare CUDA elementwise / reduction / pooling / data-movement
 * kernels against simple CPU references. Standalone; needs a GPU:
 *
 *   nvcc -std=c++17 -O3 -arch=sm_90 -Iruntime-stubs/cuda tests/cuda/test_misc.cu \
 *     runtime-stubs/cuda/pare_cu_elementwise.cu runtime-stubs/cuda/pare_cu_reduce.cu \
 *     runtime-stubs/cuda/pare_cu_pool_data.cu -o test_misc && ./test_misc
 *
 * Prints "N passed, M failed" and exits non-zero on any failure. Shapes
 * cover the vectorised and general paths (odd sizes, broadcasting,
 * misaligned pointers) in float and half.
 */
#include "act_reference.h"
#include "cuda_ok.h"
#include "pare_cuda.cuh"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <random>
#include <string>
#include <vector>

/* The emitters print these enumerators by name from the compiler's one table
 * of runtime opcodes; the CUDA enums must hold the same values (the C
 * kernels' are checked by the evaluator). CUDA has no comparison kernels. */
#define PARE_UNARY_OPCODE(Op, Name, Value) static_assert(PARE_UN_##Name == Value, #Name);
#define PARE_BINARY_OPCODE(Op, Name, Value) static_assert(PARE_BIN_##Name == Value, #Name);
#define PARE_REDUCE_OPCODE(Op, Name, Value) static_assert(PARE_RED_##Name == Value, #Name);
#define PARE_ACTIVATION_OPCODE(Str, Name, Value) static_assert(PARE_ACT_##Name == Value, #Name);
#include "../../dialects/Pare/IR/RuntimeOpcodes.def"

typedef std::vector<float> Vec;

static int g_pass = 0, g_fail = 0;
static std::mt19937 g_rng(12345);

/* ---------------------------------------------------------- type helpers */

template <typename T> struct Ty;
template <> struct Ty<float> {
  static constexpr float rtol = 1e-5f, atol = 1e-5f;
  static const char *name() { return "f32"; }
  static float to(float v) { return v; }
  static float from(float v) { return v; }
};
template <> struct Ty<__half> {
  static constexpr float rtol = 1e-2f, atol = 1e-2f;
  static const char *name() { return "f16"; }
  static __half to(float v) { return __float2half_rn(v); }
  static float from(__half v) { return __half2float(v); }
};

/* Rounds v to T's precision (inputs of the reference). */
template <typename T> static Vec quant(Vec v)
{
  for (float &f : v) f = Ty<T>::from(Ty<T>::to(f));
  return v;
}

static Vec rnd(size_t n, float lo, float hi)
{
  std::uniform_real_distribution<float> d(lo, hi);
  Vec v(n);
  for (float &f : v) f = d(g_rng);
  return v;
}

/* Device buffer whose pointer is `mis` elements past a 256-byte boundary. */
template <typename T> struct Buf {
  void *base = nullptr;
  T *p = nullptr;
  size_t n = 0;
  Buf(size_t count, int mis = 0) : n(count)
  {
    CUDA_OK(cudaMalloc(&base, (count + mis + 1) * sizeof(T) + 16));
    CUDA_OK(cudaMemset(base, 0, (count + mis + 1) * sizeof(T) + 16));
    p = (T *)base + mis;
  }
  ~Buf() { cudaFree(base); }
  Buf(const Buf &) = delete;
  Buf &operator=(const Buf &) = delete;
};

template <typename T> static void upload(Buf<T> &b, const Vec &v)
{
  std::vector<T> h(v.size());
  for (size_t i = 0; i < v.size(); i++) h[i] = Ty<T>::to(v[i]);
  CUDA_OK(cudaMemcpy(b.p, h.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
}

template <typename T> static Vec download(const T *p, size_t n)
{
  std::vector<T> h(n);
  CUDA_OK(cudaDeviceSynchronize());
  CUDA_OK(cudaMemcpy(h.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost));
  Vec v(n);
  for (size_t i = 0; i < n; i++) v[i] = Ty<T>::from(h[i]);
  return v;
}

static void report(bool ok, const std::string &name, const char *detail)
{
  if (ok) {
    g_pass++;
  } else {
    g_fail++;
    printf("FAIL %s: %s\n", name.c_str(), detail);
  }
}

/* got vs ref (ref rounded to T first); NaN matches NaN, inf matches inf. */
template <typename T>
static void check(const std::string &name, cudaError_t launch, const Vec &got, Vec ref)
{
  char detail[256];
  if (launch != cudaSuccess) {
    report(false, name, cudaGetErrorString(launch));
    return;
  }
  ref = quant<T>(ref);
  for (size_t i = 0; i < ref.size(); i++) {
    const float g = got[i], r = ref[i];
    bool ok = (g == r) || (isnan(g) && isnan(r)) ||
              (fabsf(g - r) <= Ty<T>::atol + Ty<T>::rtol * fabsf(r));
    if (!ok) {
      snprintf(detail, sizeof detail, "[%zu] got %.8g want %.8g (of %zu)", i, g, r, ref.size());
      report(false, name + " " + Ty<T>::name(), detail);
      return;
    }
  }
  report(true, name, "");
}

static void check_bytes(const std::string &name, cudaError_t launch, const void *dev,
                        const std::vector<uint8_t> &ref)
{
  if (launch != cudaSuccess) {
    report(false, name, cudaGetErrorString(launch));
    return;
  }
  std::vector<uint8_t> got(ref.size());
  CUDA_OK(cudaDeviceSynchronize());
  CUDA_OK(cudaMemcpy(got.data(), dev, ref.size(), cudaMemcpyDeviceToHost));
  for (size_t i = 0; i < ref.size(); i++)
    if (got[i] != ref[i]) {
      char detail[128];
      snprintf(detail, sizeof detail, "byte %zu got %d want %d", i, got[i], ref[i]);
      report(false, name, detail);
      return;
    }
  report(true, name, "");
}

/* Overloads dispatching to the _f32 / _f16 entry points. */
#define OVERLOADS(SUF, T)                                                                  \
  static cudaError_t k_activation(const T *x, T *y, size_t n, pare_act_t a, float p, float q) \
  { return pare_cu_activation_##SUF(x, y, n, a, p, q, 0); }                                \
  static cudaError_t k_unary(const T *x, T *y, size_t n, pare_unop_t op)                   \
  { return pare_cu_unary_##SUF(x, y, n, op, 0); }                                          \
  static cudaError_t k_binary(pare_binop_t op, const T *a, const T *b, T *y,               \
                              pare_cu_shape s, pare_act_t act)                             \
  { return pare_cu_binary_##SUF(op, a, b, y, s, act, 0.0f, 0.0f, 0); }                     \
  static cudaError_t k_affine(const T *x, const float *sc, const float *sh, T *y, int o,   \
                              int c, int i, pare_act_t act)                                \
  { return pare_cu_channel_affine_##SUF(x, sc, sh, y, o, c, i, act, 0.0f, 0.0f, 0); }      \
  static cudaError_t k_softmax(const T *x, T *y, int o, int l, int i, int lg)              \
  { return pare_cu_softmax_##SUF(x, y, o, l, i, lg, 0); }                                  \
  static cudaError_t k_layernorm(const T *x, const T *s, const T *b, T *y, int o, int i,   \
                                 float eps, int rms)                                       \
  { return pare_cu_layernorm_##SUF(x, s, b, y, o, i, eps, rms, 0); }                       \
  static cudaError_t k_reduce(pare_redop_t op, const T *x, pare_cu_shape s, unsigned m,    \
                              T *y)                                                        \
  { return pare_cu_reduce_##SUF(op, x, s, m, y, 0); }                                      \
  static cudaError_t k_gpool(bool mx, const T *x, int n, int sp, int c, T *y)              \
  {                                                                                        \
    return mx ? pare_cu_global_maxpool_##SUF(x, n, sp, c, y, 0)                            \
              : pare_cu_global_avgpool_##SUF(x, n, sp, c, y, 0);                           \
  }                                                                                        \
  static cudaError_t k_pool(bool mx, const T *x, int n, int ih, int iw, int c, T *y,       \
                            int oh, int ow, int kh, int kw, int sh, int sw, int dh, int dw, \
                            int pt, int pl, int cip)                                       \
  {                                                                                        \
    return mx ? pare_cu_maxpool2d_##SUF(x, n, ih, iw, c, y, oh, ow, kh, kw, sh, sw, dh, dw, \
                                        pt, pl, 0)                                         \
              : pare_cu_avgpool2d_##SUF(x, n, ih, iw, c, y, oh, ow, kh, kw, sh, sw, dh, dw, \
                                        pt, pl, cip, 0);                                   \
  }
OVERLOADS(f32, float)
OVERLOADS(f16, __half)

/* --------------------------------------------------------- references -- */

/* The activations: act_reference.h (double precision, from the ONNX
 * definitions, independent of the kernels' formulas). */
static float act_ref(float x, int act, float a, float b)
{
  return (float)ref_activation(x, act, a, b);
}

static float un_ref(float v, int op)
{
  switch (op) {
  case PARE_UN_SQRT: return sqrtf(v);
  case PARE_UN_EXP: return expf(v);
  case PARE_UN_ERF: return erff(v);
  case PARE_UN_NEG: return -v;
  case PARE_UN_RECIPROCAL: return 1.0f / v;
  case PARE_UN_ABS: return fabsf(v);
  case PARE_UN_LOG: return logf(v);
  case PARE_UN_FLOOR: return floorf(v);
  case PARE_UN_CEIL: return ceilf(v);
  case PARE_UN_SIN: return sinf(v);
  case PARE_UN_COS: return cosf(v);
  case PARE_UN_ROUND: return nearbyintf(v);
  case PARE_UN_SIGN: return v > 0 ? 1.0f : (v < 0 ? -1.0f : v);
  case PARE_UN_TAN: return tanf(v);
  case PARE_UN_ATAN: return atanf(v);
  case PARE_UN_ASIN: return asinf(v);
  case PARE_UN_ACOS: return acosf(v);
  case PARE_UN_SINH: return sinhf(v);
  case PARE_UN_COSH: return coshf(v);
  case PARE_UN_ASINH: return asinhf(v);
  case PARE_UN_ACOSH: return acoshf(v);
  default: return atanhf(v);
  }
}

static float bin_ref(int op, float p, float q)
{
  switch (op) {
  case PARE_BIN_ADD: return p + q;
  case PARE_BIN_SUB: return p - q;
  case PARE_BIN_MUL: return p * q;
  case PARE_BIN_DIV: return p / q;
  case PARE_BIN_POW: return powf(p, q);
  case PARE_BIN_MAX: return (p > q || p != p) ? p : q;
  case PARE_BIN_MIN: return (p < q || p != p) ? p : q;
  default: return fmodf(p, q);
  }
}

/* Contiguous strides of dims. */
static std::vector<long long> cstrides(const std::vector<int> &dims)
{
  std::vector<long long> s(dims.size());
  long long t = 1;
  for (int d = (int)dims.size() - 1; d >= 0; d--) {
    s[d] = t;
    t *= dims[d];
  }
  return s;
}

static long long prod(const std::vector<int> &dims)
{
  long long p = 1;
  for (int d : dims) p *= d;
  return p;
}

/* Output shape with operand k broadcast from shape in[k] (same rank). */
static pare_cu_shape bshape(const std::vector<int> &out, const std::vector<std::vector<int>> &in)
{
  pare_cu_shape s;
  memset(&s, 0, sizeof s);
  s.rank = (int)out.size();
  for (int d = 0; d < s.rank; d++) s.dims[d] = out[d];
  for (size_t k = 0; k < in.size(); k++) {
    std::vector<long long> st = cstrides(in[k]);
    for (int d = 0; d < s.rank; d++) s.strides[k][d] = in[k][d] == 1 ? 0 : (int)st[d];
  }
  return s;
}

/* Offset of operand k for row-major output index i. */
static long long off_of(const pare_cu_shape &s, int k, long long i)
{
  long long off = 0;
  for (int d = s.rank - 1; d >= 0; d--) {
    off += (i % s.dims[d]) * s.strides[k][d];
    i /= s.dims[d];
  }
  return off;
}

/* -------------------------------------------------------------- tests -- */

template <typename T> static void test_activation()
{
  const float params[17][2] = {{0, 0}, {0, 0},   {-1, 2}, {0.1f, 0}, {0, 0}, {0.2f, 0.5f},
                               {0, 0}, {0, 0},   {0, 0},  {0, 0},    {1, 0}, {1.67326f, 1.0507f},
                               {0, 0}, {0, 0},   {1, 0},  {0.7f, 0}, {0, 0}};
  for (int act = 0; act <= 16; act++)
    for (size_t n : {1, 7, 1000, 4099})
      for (int mis : {0, 1}) {
        Vec x = quant<T>(rnd(n, -4, 4));
        Buf<T> dx(n, mis), dy(n, mis);
        upload(dx, x);
        cudaError_t e = k_activation(dx.p, dy.p, n, (pare_act_t)act, params[act][0], params[act][1]);
        Vec ref(n);
        for (size_t i = 0; i < n; i++) ref[i] = act_ref(x[i], act, params[act][0], params[act][1]);
        check<T>("activation " + std::to_string(act) + " n=" + std::to_string(n) +
                     " mis=" + std::to_string(mis),
                 e, download(dy.p, n), ref);
      }
  /* In place. */
  Vec x = quant<T>(rnd(1001, -4, 4));
  Buf<T> dx(1001);
  upload(dx, x);
  cudaError_t e = k_activation(dx.p, dx.p, 1001, PARE_ACT_SIGMOID, 0, 0);
  Vec ref(1001);
  for (size_t i = 0; i < 1001; i++) ref[i] = act_ref(x[i], PARE_ACT_SIGMOID, 0, 0);
  check<T>("activation in place", e, download(dx.p, 1001), ref);
  /* NaN, +-inf, +-0 and huge values (ONNX / onnxruntime semantics), and a
   * clip whose min exceeds its max (max everywhere but NaN). */
  const Vec sp = quant<T>({NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1e30f, -1e30f, 3.0f, -3.0f,
                           7.0f, -0.5f, 6.0f, 0.25f});
  for (int act = 1; act <= 16; act++)
    for (int swapped : {0, 1}) {
      if (swapped && act != PARE_ACT_CLIP) continue;
      const float pa = swapped ? 6.0f : params[act][0], pb = swapped ? 0.5f : params[act][1];
      Buf<T> ds(sp.size()), dt(sp.size());
      upload(ds, sp);
      cudaError_t es = k_activation(ds.p, dt.p, sp.size(), (pare_act_t)act, pa, pb);
      Vec rs(sp.size());
      for (size_t i = 0; i < sp.size(); i++) rs[i] = act_ref(sp[i], act, pa, pb);
      check<T>("activation specials " + std::to_string(act) + (swapped ? " min>max" : ""), es,
               download(dt.p, sp.size()), rs);
    }
}

template <typename T> static void test_unary()
{
  for (int op = 0; op <= 21; op++)
    for (size_t n : {5, 1024, 3001})
      for (int mis : {0, 3}) {
        float lo = -3, hi = 3;
        if (op == PARE_UN_SQRT || op == PARE_UN_LOG) lo = 0.1f, hi = 4;
        if (op == PARE_UN_ASIN || op == PARE_UN_ACOS || op == PARE_UN_ATANH) lo = -0.9f, hi = 0.9f;
        if (op == PARE_UN_ACOSH) lo = 1.1f, hi = 4;
        if (op == PARE_UN_TAN) lo = -1.2f, hi = 1.2f;
        if (op == PARE_UN_RECIPROCAL) lo = 0.5f, hi = 3;
        Vec x = rnd(n, lo, hi);
        if (op == PARE_UN_ROUND)
          for (size_t i = 0; i < n; i++) x[i] = (float)((int)(g_rng() % 41) - 20) * 0.5f;
        if (op == PARE_UN_SIGN) x[0] = 0.0f;
        x = quant<T>(x);
        Buf<T> dx(n, mis), dy(n, mis);
        upload(dx, x);
        cudaError_t e = k_unary(dx.p, dy.p, n, (pare_unop_t)op);
        Vec ref(n);
        for (size_t i = 0; i < n; i++) ref[i] = un_ref(x[i], op);
        check<T>("unary " + std::to_string(op) + " n=" + std::to_string(n) +
                     " mis=" + std::to_string(mis),
                 e, download(dy.p, n), ref);
      }
}

struct BinCase {
  std::vector<int> out, a, b;
  int mis;
};

template <typename T> static void test_binary()
{
  const std::vector<BinCase> cases = {
      {{1000}, {1000}, {1000}, 0},
      {{2, 3, 4, 5}, {2, 3, 4, 5}, {2, 3, 4, 5}, 1},
      {{1001}, {1001}, {1}, 0},
      {{1001}, {1}, {1001}, 0},
      {{4, 5, 6, 64}, {4, 5, 6, 64}, {1, 1, 1, 64}, 0},
      {{4, 5, 6, 64}, {1, 1, 1, 64}, {4, 5, 6, 64}, 0},
      {{2, 7, 13}, {2, 7, 13}, {1, 1, 13}, 0},
      {{37, 128}, {37, 128}, {37, 1}, 0},
      {{37, 128}, {37, 1}, {37, 128}, 1},
      {{3, 4, 5}, {3, 1, 5}, {1, 4, 1}, 0},
      {{2, 3, 4, 5}, {2, 1, 4, 1}, {1, 3, 1, 5}, 0},
      {{8, 512}, {8, 512}, {1, 512}, 2},
      {{1}, {1}, {1}, 0},
  };
  for (int op = 0; op <= 7; op++)
    for (size_t ci = 0; ci < cases.size(); ci++) {
      const BinCase &c = cases[ci];
      const long long na = prod(c.a), nb = prod(c.b), ny = prod(c.out);
      const bool pos = op == PARE_BIN_POW || op == PARE_BIN_DIV || op == PARE_BIN_MOD;
      Vec a = quant<T>(rnd(na, pos ? 0.5f : -3, 3)), b = quant<T>(rnd(nb, pos ? 0.5f : -3, pos ? 2.5f : 3));
      if (op == PARE_BIN_MAX || op == PARE_BIN_MIN) a[0] = NAN;
      Buf<T> da(na, c.mis), db(nb, c.mis), dy(ny, c.mis);
      upload(da, a);
      upload(db, b);
      const pare_cu_shape s = bshape(c.out, {c.a, c.b});
      const pare_act_t act = ci == 4 ? PARE_ACT_RELU : PARE_ACT_NONE;
      cudaError_t e = k_binary((pare_binop_t)op, da.p, db.p, dy.p, s, act);
      Vec ref(ny);
      for (long long i = 0; i < ny; i++)
        ref[i] = act_ref(bin_ref(op, a[off_of(s, 0, i)], b[off_of(s, 1, i)]), act, 0, 0);
      check<T>("binary op " + std::to_string(op) + " case " + std::to_string(ci), e,
               download(dy.p, ny), ref);
    }
}

template <typename T> static void test_channel_affine()
{
  const int cases[][4] = {{2, 64, 1, 0}, {3, 5, 7, 0}, {2, 16, 32, 0}, {1, 3, 1, 0},
                          {4, 24, 1, 1}, {2, 8, 16, 1}, {64, 1280, 1, 0}};
  for (const auto &c : cases)
    for (int act : {PARE_ACT_NONE, PARE_ACT_RELU, PARE_ACT_HARD_SWISH}) {
      const int outer = c[0], ch = c[1], inner = c[2], mis = c[3];
      const size_t n = (size_t)outer * ch * inner;
      Vec x = quant<T>(rnd(n, -3, 3)), sc = rnd(ch, -2, 2), sh = rnd(ch, -1, 1);
      Buf<T> dx(n, mis), dy(n, mis);
      Buf<float> dsc(ch), dsh(ch);
      upload(dx, x);
      upload(dsc, sc);
      upload(dsh, sh);
      cudaError_t e = k_affine(dx.p, dsc.p, dsh.p, dy.p, outer, ch, inner, (pare_act_t)act);
      Vec ref(n);
      for (size_t i = 0; i < n; i++) {
        const int cc = (int)((i / inner) % ch);
        ref[i] = act_ref(x[i] * sc[cc] + sh[cc], act, 0, 0);
      }
      char name[96];
      snprintf(name, sizeof name, "channel_affine %dx%dx%d mis=%d act=%d", outer, ch, inner, mis, act);
      check<T>(name, e, download(dy.p, n), ref);
    }
}

template <typename T> static void test_convert()
{
  for (size_t n : {1, 7, 1001, 4096})
    for (int mis : {0, 1}) {
      Vec x = rnd(n, -100, 100);
      Buf<float> df(n, mis), df2(n, mis);
      Buf<__half> dh(n, mis);
      upload(df, x);
      cudaError_t e = pare_cu_f32_to_f16(df.p, dh.p, n, 0);
      check<__half>("f32_to_f16 n=" + std::to_string(n), e, download(dh.p, n), x);
      e = pare_cu_f16_to_f32(dh.p, df2.p, n, 0);
      check<float>("f16_to_f32 n=" + std::to_string(n), e, download(df2.p, n), quant<__half>(x));
    }
}

template <typename T> static void test_softmax()
{
  const int cases[][4] = {{512, 512, 1, 0}, {4, 4096, 1, 0}, {3, 1000, 1, 0}, {7, 33, 1, 1},
                          {2, 5, 3, 0},     {1, 10, 17, 0},  {32, 1, 1, 0},  {2, 3000, 1, 1},
                          {5, 8, 64, 0}};
  for (const auto &c : cases)
    for (int lg : {0, 1}) {
      const int outer = c[0], len = c[1], inner = c[2], mis = c[3];
      const size_t n = (size_t)outer * len * inner;
      Vec x = quant<T>(rnd(n, -8, 8));
      if (len > 1) x[1] = -INFINITY; /* a masked entry */
      Buf<T> dx(n, mis), dy(n, mis);
      upload(dx, x);
      cudaError_t e = k_softmax(dx.p, dy.p, outer, len, inner, lg);
      Vec ref(n);
      for (int o = 0; o < outer; o++)
        for (int i = 0; i < inner; i++) {
          const size_t base = (size_t)o * len * inner + i;
          double m = -INFINITY, s = 0;
          for (int l = 0; l < len; l++) m = fmax(m, x[base + (size_t)l * inner]);
          for (int l = 0; l < len; l++) s += exp(x[base + (size_t)l * inner] - m);
          for (int l = 0; l < len; l++) {
            const double v = x[base + (size_t)l * inner] - m;
            ref[base + (size_t)l * inner] = (float)(lg ? v - log(s) : exp(v) / s);
          }
        }
      char name[96];
      snprintf(name, sizeof name, "softmax %dx%dx%d mis=%d log=%d", outer, len, inner, mis, lg);
      check<T>(name, e, download(dy.p, n), ref);
    }
}

template <typename T> static void test_layernorm()
{
  const int cases[][3] = {{512, 4096, 0}, {8, 4096, 1}, {5, 512, 0}, {3, 1000, 0},
                          {4, 37, 1},     {1, 2048, 0}, {6, 768, 0}};
  for (const auto &c : cases)
    for (int rms : {0, 1})
      for (int has_bias : {0, 1}) {
        const int outer = c[0], inner = c[1], mis = c[2];
        const size_t n = (size_t)outer * inner;
        Vec x = quant<T>(rnd(n, -2, 4)), sc = quant<T>(rnd(inner, 0.5f, 1.5f)),
            bi = quant<T>(rnd(inner, -1, 1));
        Buf<T> dx(n, mis), dy(n, mis), dsc(inner, mis), dbi(inner, mis);
        upload(dx, x);
        upload(dsc, sc);
        upload(dbi, bi);
        const float eps = 1e-5f;
        cudaError_t e = k_layernorm(dx.p, dsc.p, has_bias ? dbi.p : nullptr, dy.p, outer,
                                    inner, eps, rms);
        Vec ref(n);
        for (int o = 0; o < outer; o++) {
          const float *xr = &x[(size_t)o * inner];
          double mean = 0, var = 0;
          if (!rms) {
            for (int i = 0; i < inner; i++) mean += xr[i];
            mean /= inner;
          }
          for (int i = 0; i < inner; i++) var += (xr[i] - mean) * (xr[i] - mean);
          const double inv = 1.0 / sqrt(var / inner + eps);
          for (int i = 0; i < inner; i++)
            ref[(size_t)o * inner + i] =
                (float)((xr[i] - mean) * inv * sc[i] + (has_bias && !rms ? bi[i] : 0.0f));
        }
        char name[96];
        snprintf(name, sizeof name, "layernorm %dx%d mis=%d rms=%d bias=%d", outer, inner, mis,
                 rms, has_bias);
        check<T>(name, e, download(dy.p, n), ref);
      }
}

template <typename T> static void test_reduce()
{
  struct Case {
    std::vector<int> dims;
    unsigned mask;
  };
  const std::vector<Case> cases = {
      {{4, 5, 6}, 1}, {{4, 5, 6}, 2}, {{4, 5, 6}, 4},       {{4, 5, 6}, 3},
      {{4, 5, 6}, 5}, {{4, 5, 6}, 6}, {{4, 5, 6}, 7},       {{2, 3, 4, 5}, 10},
      {{8, 2048}, 2}, {{3, 1, 4}, 2}, {{2, 7, 7, 32}, 6},   {{4, 5}, 0},
      {{64, 4096}, 2}, {{3, 0, 4}, 2}, {{1000, 3}, 1},
  };
  for (int op = 0; op <= 8; op++)
    for (size_t ci = 0; ci < cases.size(); ci++) {
      const Case &c = cases[ci];
      const long long n = prod(c.dims);
      if (op == PARE_RED_PROD && n > 1000) continue; /* overflow / underflow */
      Vec x = quant<T>(rnd(n, op == PARE_RED_PROD ? 0.8f : -2, op == PARE_RED_PROD ? 1.2f : 2));
      pare_cu_shape s;
      memset(&s, 0, sizeof s);
      s.rank = (int)c.dims.size();
      std::vector<int> kept_dims;
      long long count = 1;
      for (int d = 0; d < s.rank; d++) {
        s.dims[d] = c.dims[d];
        if ((c.mask >> d) & 1u) count *= c.dims[d];
        else kept_dims.push_back(c.dims[d]);
      }
      const long long nout = prod(kept_dims);
      Buf<T> dx(n > 0 ? n : 1), dy(nout > 0 ? nout : 1);
      if (n > 0) upload(dx, x);
      cudaError_t e = k_reduce((pare_redop_t)op, dx.p, s, c.mask, dy.p);
      /* Reference: accumulate in double per output. */
      std::vector<double> acc(nout), mx(nout, -INFINITY);
      const std::vector<long long> xs = cstrides(c.dims);
      auto out_index = [&](long long i) {
        long long o = 0;
        for (int d = 0; d < s.rank; d++)
          if (!((c.mask >> d) & 1u)) o = o * c.dims[d] + (i / xs[d]) % c.dims[d];
        return o;
      };
      for (long long i = 0; i < n; i++) mx[out_index(i)] = fmax(mx[out_index(i)], x[i]);
      for (long long o = 0; o < nout; o++)
        acc[o] = op == PARE_RED_MAX ? -INFINITY : op == PARE_RED_MIN ? INFINITY : op == PARE_RED_PROD ? 1 : 0;
      for (long long i = 0; i < n; i++) {
        const long long o = out_index(i);
        const double v = x[i];
        switch (op) {
        case PARE_RED_MAX: acc[o] = fmax(acc[o], v); break;
        case PARE_RED_MIN: acc[o] = fmin(acc[o], v); break;
        case PARE_RED_PROD: acc[o] *= v; break;
        case PARE_RED_L1: acc[o] += fabs(v); break;
        case PARE_RED_L2:
        case PARE_RED_SUM_SQUARE: acc[o] += v * v; break;
        case PARE_RED_LOG_SUM_EXP: acc[o] += exp(v - mx[o]); break;
        default: acc[o] += v;
        }
      }
      Vec ref(nout);
      for (long long o = 0; o < nout; o++) {
        double r = acc[o];
        if (op == PARE_RED_MEAN) r = count > 0 ? r / count : NAN;
        if (op == PARE_RED_L2) r = sqrt(r);
        if (op == PARE_RED_LOG_SUM_EXP) r = count > 0 ? mx[o] + log(r) : -INFINITY;
        ref[o] = (float)r;
      }
      check<T>("reduce op " + std::to_string(op) + " case " + std::to_string(ci), e,
               download(dy.p, nout), ref);
    }
}

template <typename T> static void test_global_pool()
{
  const int cases[][4] = {{64, 49, 512, 0}, {1, 1, 1280, 0}, {2, 9, 7, 0}, {3, 4, 24, 1},
                          {1, 49, 1280, 0}, {2, 3, 1, 0}};
  for (const auto &c : cases)
    for (bool mx : {false, true}) {
      const int n = c[0], sp = c[1], ch = c[2], mis = c[3];
      const size_t total = (size_t)n * sp * ch;
      Vec x = quant<T>(rnd(total, -3, 3));
      Buf<T> dx(total, mis), dy((size_t)n * ch, mis);
      upload(dx, x);
      cudaError_t e = k_gpool(mx, dx.p, n, sp, ch, dy.p);
      Vec ref((size_t)n * ch);
      for (int b = 0; b < n; b++)
        for (int k = 0; k < ch; k++) {
          double a = mx ? -FLT_MAX : 0;
          for (int p = 0; p < sp; p++) {
            const double v = x[((size_t)b * sp + p) * ch + k];
            a = mx ? fmax(a, v) : a + v;
          }
          ref[(size_t)b * ch + k] = (float)(mx ? a : a / sp);
        }
      char name[96];
      snprintf(name, sizeof name, "global_%spool n=%d sp=%d c=%d mis=%d", mx ? "max" : "avg", n,
               sp, ch, mis);
      check<T>(name, e, download(dy.p, (size_t)n * ch), ref);
    }
}

template <typename T> static void test_pool2d()
{
  /* n ih iw c kh kw sh sw dh dw pt pl pb pr mis */
  const int cases[][15] = {
      {2, 13, 13, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0}, /* ResNet stem style */
      {1, 7, 7, 3, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 0},
      {1, 9, 11, 8, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1},    /* dilation */
      {2, 6, 6, 5, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 0},     /* ceil-mode tail */
      {1, 2, 2, 8, 1, 1, 2, 2, 1, 1, 1, 1, 1, 1, 0},     /* empty windows */
      {3, 8, 8, 64, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 0},
  };
  for (const auto &c : cases)
    for (bool mx : {false, true})
      for (int cip : {0, 1}) {
        if (mx && cip) continue;
        const int n = c[0], ih = c[1], iw = c[2], ch = c[3], kh = c[4], kw = c[5], sh = c[6],
                  sw = c[7], dh = c[8], dw = c[9], pt = c[10], pl = c[11], pb = c[12],
                  pr = c[13], mis = c[14];
        const int oh = (ih + pt + pb - dh * (kh - 1) - 1) / sh + 1;
        const int ow = (iw + pl + pr - dw * (kw - 1) - 1) / sw + 1;
        const size_t nx = (size_t)n * ih * iw * ch, ny = (size_t)n * oh * ow * ch;
        Vec x = quant<T>(rnd(nx, -3, 3));
        Buf<T> dx(nx, mis), dy(ny, mis);
        upload(dx, x);
        cudaError_t e = k_pool(mx, dx.p, n, ih, iw, ch, dy.p, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, cip);
        Vec ref(ny);
        for (int b = 0; b < n; b++)
          for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
              for (int k = 0; k < ch; k++) {
                double a = mx ? -FLT_MAX : 0;
                int cnt = 0;
                for (int r = 0; r < kh; r++)
                  for (int s = 0; s < kw; s++) {
                    const int iy = oy * sh - pt + r * dh, ix = ox * sw - pl + s * dw;
                    if (iy < 0 || iy >= ih || ix < 0 || ix >= iw) continue;
                    const double v = x[(((size_t)b * ih + iy) * iw + ix) * ch + k];
                    a = mx ? fmax(a, v) : a + v;
                    cnt++;
                  }
                if (!mx) {
                  const int div = cip ? kh * kw : cnt;
                  a = div > 0 ? a / div : 0;
                }
                ref[(((size_t)b * oh + oy) * ow + ox) * ch + k] = (float)a;
              }
        char name[128];
        snprintf(name, sizeof name, "%spool2d %dx%dx%dx%d k%dx%d s%d d%d cip=%d mis=%d",
                 mx ? "max" : "avg", n, ih, iw, ch, kh, kw, sh, dh, cip, mis);
        check<T>(name, e, download(dy.p, ny), ref);
      }
}

/* ------------------------------------------------ type-generic kernels -- */

static std::vector<uint8_t> rnd_bytes(size_t n)
{
  std::vector<uint8_t> v(n);
  for (auto &b : v) b = (uint8_t)g_rng();
  return v;
}

/* Device byte buffer at byte offset `mis` from a 256-byte boundary. */
struct Bytes {
  Buf<uint8_t> b;
  Bytes(const std::vector<uint8_t> &v, int mis) : b(v.size() + 1, mis)
  {
    if (!v.empty()) CUDA_OK(cudaMemcpy(b.p, v.data(), v.size(), cudaMemcpyHostToDevice));
  }
  explicit Bytes(size_t n, int mis = 0) : b(n + 1, mis) {}
};

static void test_where()
{
  for (size_t es : {1, 2, 4, 8})
    for (int ci = 0; ci < 3; ci++) {
      std::vector<int> out = {4, 5, 6}, cd = {4, 1, 6}, xd = {1, 5, 6}, zd = {4, 5, 1};
      if (ci == 1) cd = xd = zd = out;
      if (ci == 2) out = cd = xd = {1}, zd = {1};
      const pare_cu_shape s = bshape(out, {cd, xd, zd});
      std::vector<uint8_t> c(prod(cd)), x = rnd_bytes(prod(xd) * es), z = rnd_bytes(prod(zd) * es);
      for (auto &v : c) v = (uint8_t)(g_rng() & 1);
      Bytes dc(c, 0), dx(x, 0), dz(z, 0), dy(prod(out) * es);
      cudaError_t e = pare_cu_where(es, dc.b.p, dx.b.p, dz.b.p, dy.b.p, s, 0);
      std::vector<uint8_t> ref(prod(out) * es);
      for (long long i = 0; i < prod(out); i++) {
        const uint8_t *src = c[off_of(s, 0, i)] ? &x[off_of(s, 1, i) * es] : &z[off_of(s, 2, i) * es];
        memcpy(&ref[i * es], src, es);
      }
      check_bytes("where es=" + std::to_string(es) + " case " + std::to_string(ci), e, dy.b.p, ref);
    }
}

static void test_broadcast()
{
  for (size_t es : {1, 2, 4, 8})
    for (int ci = 0; ci < 4; ci++) {
      std::vector<int> out = {3, 4, 5}, in = {3, 1, 5};
      if (ci == 1) out = {32, 64}, in = {1, 64};
      if (ci == 2) out = {7, 3}, in = {7, 1};
      pare_cu_shape s = bshape(out, {in});
      /* ci == 3: a concat-style copy of x [4][6] into columns 3..8 of y [4][12]. */
      int ycols = 0, ycol0 = 0;
      if (ci == 3) {
        out = {4, 6};
        s = bshape(out, {out});
        s.strides[1][0] = 12;
        s.strides[1][1] = 1;
        ycols = 12;
        ycol0 = 3;
      }
      const size_t ny = ci == 3 ? 4 * 12 : prod(out);
      std::vector<uint8_t> x = rnd_bytes(prod(ci == 3 ? out : in) * es), init = rnd_bytes(ny * es);
      Bytes dx(x, 0), dy(init, 0);
      uint8_t *yp = dy.b.p + (size_t)ycol0 * es;
      cudaError_t e = pare_cu_broadcast(es, dx.b.p, s, yp, 0);
      std::vector<uint8_t> ref = init;
      for (long long i = 0; i < prod(out); i++) {
        const long long yo = ci == 3 ? (i / 6) * ycols + ycol0 + i % 6 : i;
        memcpy(&ref[yo * es], &x[off_of(s, 0, i) * es], es);
      }
      check_bytes("broadcast es=" + std::to_string(es) + " case " + std::to_string(ci), e,
                  dy.b.p, ref);
    }
}

static void test_transpose()
{
  struct Case {
    std::vector<int> dims, perm;
  };
  const std::vector<Case> cases = {
      {{2, 3, 5, 7}, {0, 2, 3, 1}},   {{2, 5, 7, 3}, {0, 3, 1, 2}}, {{33, 65}, {1, 0}},
      {{4, 64, 7, 7}, {0, 2, 3, 1}},  {{4, 7, 7, 64}, {0, 3, 1, 2}}, {{2, 3, 4}, {2, 1, 0}},
      {{2, 3, 4, 5}, {0, 1, 2, 3}},   {{4, 1, 6}, {2, 1, 0}},        {{3, 4, 5, 6}, {1, 3, 0, 2}},
      {{1, 3, 224, 224}, {0, 2, 3, 1}}, {{8, 16, 2, 64}, {0, 2, 1, 3}},
  };
  for (size_t es : {1, 2, 4, 8})
    for (size_t ci = 0; ci < cases.size(); ci++)
      for (int mis : {0, 1}) {
        const Case &c = cases[ci];
        const int rank = (int)c.dims.size();
        const long long n = prod(c.dims);
        std::vector<uint8_t> x = rnd_bytes(n * es);
        Bytes dx(x, mis * (int)es), dy(n * es, mis * (int)es);
        pare_cu_shape s;
        memset(&s, 0, sizeof s);
        s.rank = rank;
        for (int d = 0; d < rank; d++) s.dims[d] = c.dims[d];
        cudaError_t e = pare_cu_transpose(es, dx.b.p, s, c.perm.data(), dy.b.p, 0);
        std::vector<int> yd(rank);
        for (int d = 0; d < rank; d++) yd[d] = c.dims[c.perm[d]];
        const std::vector<long long> xs = cstrides(c.dims);
        std::vector<uint8_t> ref(n * es);
        for (long long i = 0; i < n; i++) {
          long long t = i, off = 0;
          for (int d = rank - 1; d >= 0; d--) {
            off += (t % yd[d]) * xs[c.perm[d]];
            t /= yd[d];
          }
          memcpy(&ref[i * es], &x[off * es], es);
        }
        check_bytes("transpose es=" + std::to_string(es) + " case " + std::to_string(ci) +
                        " mis=" + std::to_string(mis),
                    e, dy.b.p, ref);
      }
}

static void test_slice()
{
  struct Case {
    std::vector<int> in, starts, steps, out;
  };
  const std::vector<Case> cases = {
      {{10, 12}, {1, 2}, {2, 3}, {5, 4}},
      {{10, 12}, {9, 11}, {-1, -2}, {10, 6}},
      {{4, 6, 32}, {1, 2, 0}, {1, 1, 1}, {2, 3, 32}},
      {{2, 512, 3, 64}, {0, 0, 1, 0}, {1, 1, 1, 1}, {2, 512, 1, 64}},
      {{7, 9}, {3, 0}, {1, 1}, {4, 9}},
      {{5}, {4}, {-1}, {5}},
  };
  for (size_t es : {1, 2, 4, 8})
    for (size_t ci = 0; ci < cases.size(); ci++) {
      const Case &c = cases[ci];
      const int rank = (int)c.in.size();
      std::vector<uint8_t> x = rnd_bytes(prod(c.in) * es);
      Bytes dx(x, 0), dy(prod(c.out) * es);
      pare_cu_shape s;
      memset(&s, 0, sizeof s);
      s.rank = rank;
      const std::vector<long long> xs = cstrides(c.in);
      for (int d = 0; d < rank; d++) {
        s.dims[d] = c.out[d];
        s.strides[0][d] = (int)xs[d];
      }
      cudaError_t e = pare_cu_slice(es, dx.b.p, s, c.starts.data(), c.steps.data(), dy.b.p, 0);
      std::vector<uint8_t> ref(prod(c.out) * es);
      for (long long i = 0; i < prod(c.out); i++) {
        long long t = i, off = 0;
        for (int d = rank - 1; d >= 0; d--) {
          off += (c.starts[d] + (t % c.out[d]) * c.steps[d]) * xs[d];
          t /= c.out[d];
        }
        memcpy(&ref[i * es], &x[off * es], es);
      }
      check_bytes("slice es=" + std::to_string(es) + " case " + std::to_string(ci), e, dy.b.p, ref);
    }
}

static long long pad_index_ref(long long i, long long n, int mode)
{
  if (i >= 0 && i < n) return i;
  if (mode == 1) {
    if (n == 1) return 0;
    const long long period = 2 * (n - 1);
    i %= period;
    if (i < 0) i += period;
    return i < n ? i : period - i;
  }
  if (mode == 2) return i < 0 ? 0 : n - 1;
  if (mode == 3) {
    i %= n;
    return i < 0 ? i + n : i;
  }
  return -1;
}

static void test_pad()
{
  struct Case {
    std::vector<int> in, pads, out;
  };
  const std::vector<Case> cases = {
      {{3, 4}, {1, 2}, {6, 9}},
      {{2, 5, 5, 3}, {0, 1, 1, 0}, {2, 7, 7, 3}},
      {{4, 6}, {-1, 2}, {2, 7}},
      {{5}, {3}, {10}},
  };
  for (size_t es : {1, 2, 4, 8})
    for (int mode = 0; mode <= 3; mode++)
      for (size_t ci = 0; ci < cases.size(); ci++) {
        const Case &c = cases[ci];
        const int rank = (int)c.in.size();
        std::vector<uint8_t> x = rnd_bytes(prod(c.in) * es), val = rnd_bytes(es);
        Bytes dx(x, 0), dy(prod(c.out) * es);
        pare_cu_shape s;
        memset(&s, 0, sizeof s);
        s.rank = rank;
        for (int d = 0; d < rank; d++) s.dims[d] = c.out[d];
        cudaError_t e = pare_cu_pad(es, dx.b.p, c.in.data(), s, c.pads.data(), mode, val.data(), dy.b.p, 0);
        const std::vector<long long> xs = cstrides(c.in);
        std::vector<uint8_t> ref(prod(c.out) * es);
        for (long long i = 0; i < prod(c.out); i++) {
          long long t = i, off = 0;
          bool constant = false;
          for (int d = rank - 1; d >= 0; d--) {
            const long long k = pad_index_ref(t % c.out[d] - c.pads[d], c.in[d], mode);
            t /= c.out[d];
            if (k < 0) constant = true;
            off += k * xs[d];
          }
          memcpy(&ref[i * es], constant ? val.data() : &x[off * es], es);
        }
        check_bytes("pad es=" + std::to_string(es) + " mode " + std::to_string(mode) + " case " +
                        std::to_string(ci),
                    e, dy.b.p, ref);
      }
}

static void test_gather()
{
  const int cases[][3] = {{2, 10, 16}, {1, 50, 1}, {3, 7, 5}, {1, 32000, 64}};
  for (size_t es : {1, 2, 4, 8})
    for (const auto &c : cases) {
      const int outer = c[0], axis = c[1], inner = c[2];
      std::vector<int64_t> idx = {0, axis - 1, -1, 3 % axis, -axis, axis + 2};
      const int count = (int)idx.size();
      std::vector<uint8_t> x = rnd_bytes((size_t)outer * axis * inner * es);
      Bytes dx(x, 0), dy((size_t)outer * count * inner * es);
      Buf<int64_t> di(count);
      CUDA_OK(cudaMemcpy(di.p, idx.data(), count * sizeof(int64_t), cudaMemcpyHostToDevice));
      cudaError_t e = pare_cu_gather(es, dx.b.p, outer, axis, inner, di.p, count, dy.b.p, 0);
      const size_t row = (size_t)inner * es;
      std::vector<uint8_t> ref((size_t)outer * count * row, 0);
      for (int o = 0; o < outer; o++)
        for (int i = 0; i < count; i++) {
          long long k = idx[i] < 0 ? idx[i] + axis : idx[i];
          if (k >= 0 && k < axis)
            memcpy(&ref[((size_t)o * count + i) * row], &x[((size_t)o * axis + k) * row], row);
        }
      char name[96];
      snprintf(name, sizeof name, "gather es=%zu %dx%dx%d", es, outer, axis, inner);
      check_bytes(name, e, dy.b.p, ref);
    }
}

/* TSM: frame f's channel ch reads frame f + d of its clip (zero outside it):
 * mode 1 d = +1 below fold, -1 in [fold, 2 fold); mode 2 the other way round;
 * mode 0 d = -1 below fold; 0 elsewhere. Element size 1..8, NCHW and
 * channels_last, buffers aligned (wide words) and one element off. */
static void test_temporal_shift()
{
  const int cases[][5] = {/* frames_total, frames, channels, inner, fold */
                          {8, 4, 16, 15, 2}, {6, 3, 8, 5, 1}, {4, 2, 8, 6, 3},
                          {2, 1, 4, 3, 2},   {4, 4, 64, 16, 8}, {3, 3, 5, 2, 0}};
  for (size_t es : {1, 2, 4, 8})
    for (const auto &c : cases)
      for (int mode = 0; mode <= 2; mode++)
        for (int cl = 0; cl <= 1; cl++)
          for (int mis : {0, 1}) {
            const int nt = c[0], frames = c[1], ch = c[2], inner = c[3], fold = c[4];
            const size_t n = (size_t)nt * ch * inner;
            std::vector<uint8_t> x = rnd_bytes(n * es), zero = rnd_bytes(es);
            Bytes dx(x, mis * (int)es), dy(n * es, mis * (int)es);
            cudaError_t e = pare_cu_temporal_shift(es, dx.b.p, dy.b.p, nt, frames, ch, inner,
                                                   fold, mode, cl, zero.data(), 0);
            std::vector<uint8_t> ref(n * es);
            for (int f = 0; f < nt; f++)
              for (int k = 0; k < ch; k++)
                for (int i = 0; i < inner; i++) {
                  int d = 0;
                  if (k < fold) d = mode == 1 ? 1 : -1;
                  else if (mode && k < 2 * fold) d = mode == 1 ? -1 : 1;
                  const int t = f % frames + d;
                  const size_t at = cl ? ((size_t)f * inner + i) * ch + k
                                       : ((size_t)f * ch + k) * inner + i;
                  const size_t from = at + (size_t)((long long)d * ch * inner);
                  memcpy(&ref[at * es], t < 0 || t >= frames ? zero.data() : &x[from * es], es);
                }
            char name[128];
            snprintf(name, sizeof name, "temporal_shift es=%zu %dx%dx%dx%d fold %d mode %d%s%s",
                     es, nt, frames, ch, inner, fold, mode, cl ? " channels_last" : "",
                     mis ? " misaligned" : "");
            check_bytes(name, e, dy.b.p, ref);
          }
}

template <typename T> static void test_float_kernels()
{
  test_activation<T>();
  test_unary<T>();
  test_binary<T>();
  test_channel_affine<T>();
  test_softmax<T>();
  test_layernorm<T>();
  test_reduce<T>();
  test_global_pool<T>();
  test_pool2d<T>();
}

int main()
{
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) {
    fprintf(stderr, "no CUDA device\n");
    return 2;
  }
  test_float_kernels<float>();
  test_float_kernels<__half>();
  test_convert<float>();
  test_where();
  test_broadcast();
  test_transpose();
  test_slice();
  test_pad();
  test_gather();
  test_temporal_shift();
  printf("%d passed, %d failed\n", g_pass, g_fail);
  return g_fail == 0 ? 0 : 1;
}
