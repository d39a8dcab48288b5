/*
 * pare runtime kernels: activations, unary / binary / comparison / logical
 * elementwise ops, Where, broadcast copy and per-channel affine.
 * Plain C99, no allocation; see pare_kernels.h for the contract.
 */
#include "pare_kernels.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------- strided iterator --
 * Walks a broadcast output of shape[rank] row by row. Size-1 dims are
 * dropped and adjacent dims that are contiguous for every input are merged,
 * so the innermost row is as long as possible. The output is contiguous, so
 * row r starts at element r * len of the output. */

#define ITER_MAX_IN 3

typedef struct {
  int nin;                             /* number of strided inputs */
  int rank;                            /* coalesced rank, >= 1 */
  ptrdiff_t shape[PARE_MAX_RANK];
  ptrdiff_t st[ITER_MAX_IN][PARE_MAX_RANK];
  ptrdiff_t idx[PARE_MAX_RANK];
  ptrdiff_t off[ITER_MAX_IN];          /* current row offset per input */
  size_t len;                          /* innermost row length */
  ptrdiff_t inner[ITER_MAX_IN];        /* innermost stride per input */
} iter_t;

/* Sets up `it`; returns the number of rows (0 for an empty output). */
static size_t iter_init(iter_t *it, const int32_t *shape, int rank, int nin,
                        const int32_t *s0, const int32_t *s1, const int32_t *s2)
{
  const int32_t *src[ITER_MAX_IN];
  size_t rows = 1;
  int d, k, r = 0;

  src[0] = s0;
  src[1] = s1;
  src[2] = s2;
  it->nin = nin;
  for (d = 0; d < rank; d++) {
    int merge = r > 0;
    if (shape[d] == 0) return 0;
    if (shape[d] == 1) continue;
    for (k = 0; k < nin && merge; k++)
      merge = it->st[k][r - 1] == (ptrdiff_t)src[k][d] * shape[d];
    if (merge) {
      it->shape[r - 1] *= shape[d];
      for (k = 0; k < nin; k++) it->st[k][r - 1] = src[k][d];
    } else {
      it->shape[r] = shape[d];
      for (k = 0; k < nin; k++) it->st[k][r] = src[k][d];
      r++;
    }
  }
  if (r == 0) { /* a single element */
    it->shape[0] = 1;
    for (k = 0; k < nin; k++) it->st[k][0] = 0;
    r = 1;
  }
  it->rank = r;
  for (d = 0; d < r; d++) it->idx[d] = 0;
  for (k = 0; k < nin; k++) {
    it->off[k] = 0;
    it->inner[k] = it->st[k][r - 1];
  }
  it->len = (size_t)it->shape[r - 1];
  for (d = 0; d + 1 < r; d++) rows *= (size_t)it->shape[d];
  return rows;
}

/* Advances the input offsets to the next row. */
static void iter_next(iter_t *it)
{
  int d, k;
  for (d = it->rank - 2; d >= 0; d--) {
    for (k = 0; k < it->nin; k++) it->off[k] += it->st[k][d];
    if (++it->idx[d] < it->shape[d]) return;
    for (k = 0; k < it->nin; k++) it->off[k] -= it->st[k][d] * it->shape[d];
    it->idx[d] = 0;
  }
}

/* ----------------------------------------------------------- activation -- */

/* The formulas are in pare_activation.h, shared with the CUDA kernels. */
float pare_act_f32(float x, pare_act_t act, float a, float b)
{
  return pare_activation(x, act, a, b);
}

/* Loop body helper: y[i] = EXPR(v) over count elements. */
#define ACT_LOOP(EXPR)                                \
  for (i = 0; i < count; i++) {                       \
    float v = x[i];                                   \
    y[i] = (EXPR);                                    \
  }                                                   \
  break

void pare_activation_f32(const float *x, float *y, size_t count,
                         pare_act_t act, float act_a, float act_b)
{
  size_t i;
  /* The cheap, vectorisable activations get their own loops; the others go
   * through the scalar function. */
  switch (act) {
  case PARE_ACT_NONE:
    if (x != y) memmove(y, x, count * sizeof(float));
    break;
  case PARE_ACT_RELU: ACT_LOOP(v < 0.0f ? 0.0f : v);
  case PARE_ACT_CLIP:
    for (i = 0; i < count; i++) {
      float t = x[i] < act_a ? act_a : x[i];
      y[i] = t > act_b ? act_b : t;
    }
    break;
  case PARE_ACT_LEAKY_RELU: ACT_LOOP(v >= 0.0f ? v : act_a * v);
  case PARE_ACT_HARD_SIGMOID: {
    for (i = 0; i < count; i++) {
      float t = act_a * x[i] + act_b;
      y[i] = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
    }
    break;
  }
  case PARE_ACT_HARD_SWISH: {
    for (i = 0; i < count; i++) {
      float v = x[i];
      float t = v * (1.0f / 6.0f) + 0.5f;
      y[i] = v * (t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t));
    }
    break;
  }
  case PARE_ACT_SOFTSIGN: ACT_LOOP(v / (1.0f + fabsf(v)));
  case PARE_ACT_THRESHOLDED_RELU: ACT_LOOP(v > act_a ? v : 0.0f);
  case PARE_ACT_SIGMOID: ACT_LOOP(1.0f / (1.0f + expf(-v)));
  case PARE_ACT_TANH: ACT_LOOP(tanhf(v));
  default: ACT_LOOP(pare_act_f32(v, act, act_a, act_b));
  }
}

/* ---------------------------------------------------------------- unary -- */

void pare_unary_f32(const float *x, float *y, size_t count, pare_unop_t op)
{
  size_t i;
  switch (op) {
  case PARE_UN_SQRT: ACT_LOOP(sqrtf(v));
  case PARE_UN_EXP: ACT_LOOP(expf(v));
  case PARE_UN_ERF: ACT_LOOP(erff(v));
  case PARE_UN_NEG: ACT_LOOP(-v);
  case PARE_UN_RECIPROCAL: ACT_LOOP(1.0f / v);
  case PARE_UN_ABS: ACT_LOOP(fabsf(v));
  case PARE_UN_LOG: ACT_LOOP(logf(v));
  case PARE_UN_FLOOR: ACT_LOOP(floorf(v));
  case PARE_UN_CEIL: ACT_LOOP(ceilf(v));
  case PARE_UN_SIN: ACT_LOOP(sinf(v));
  case PARE_UN_COS: ACT_LOOP(cosf(v));
  case PARE_UN_ROUND: ACT_LOOP(rintf(v)); /* default rounding: half to even */
  case PARE_UN_SIGN: ACT_LOOP(v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : v));
  case PARE_UN_TAN: ACT_LOOP(tanf(v));
  case PARE_UN_ATAN: ACT_LOOP(atanf(v));
  case PARE_UN_ASIN: ACT_LOOP(asinf(v));
  case PARE_UN_ACOS: ACT_LOOP(acosf(v));
  case PARE_UN_SINH: ACT_LOOP(sinhf(v));
  case PARE_UN_COSH: ACT_LOOP(coshf(v));
  case PARE_UN_ASINH: ACT_LOOP(asinhf(v));
  case PARE_UN_ACOSH: ACT_LOOP(acoshf(v));
  case PARE_UN_ATANH: ACT_LOOP(atanhf(v));
  default:
    if (x != y) memmove(y, x, count * sizeof(float));
    break;
  }
}

/* Integer unary ops: NEG, ABS and SIGN; any other op copies x. */
#define INT_UNARY(T)                                                   \
  size_t i;                                                            \
  switch (op) {                                                        \
  case PARE_UN_NEG:                                                    \
    for (i = 0; i < count; i++) y[i] = -x[i];                          \
    break;                                                             \
  case PARE_UN_ABS:                                                    \
    for (i = 0; i < count; i++) y[i] = x[i] < 0 ? -x[i] : x[i];        \
    break;                                                             \
  case PARE_UN_SIGN:                                                   \
    for (i = 0; i < count; i++) y[i] = (T)((x[i] > 0) - (x[i] < 0));   \
    break;                                                             \
  default:                                                             \
    if (x != y) memmove(y, x, count * sizeof(T));                      \
    break;                                                             \
  }

void pare_unary_i64(const int64_t *x, int64_t *y, size_t count, pare_unop_t op)
{
  INT_UNARY(int64_t)
}

void pare_unary_i32(const int32_t *x, int32_t *y, size_t count, pare_unop_t op)
{
  INT_UNARY(int32_t)
}

/* --------------------------------------------------------------- binary -- */

/* Runs `y[i] = EXPR(p, q)` over one row with p = a[i*sa], q = b[i*sb]
 * (the enclosing function names its arguments a, sa, b, sb, y, len), with
 * separate loops for the common stride patterns so that they vectorise. */
#define ROW_LOOPS(TA, TB, EXPR)                                            \
  do {                                                                     \
    size_t i;                                                              \
    if (sa == 1 && sb == 1) {                                              \
      for (i = 0; i < len; i++) { TA p = a[i]; TB q = b[i]; y[i] = (EXPR); } \
    } else if (sa == 1 && sb == 0) {                                       \
      TB q = b[0];                                                         \
      for (i = 0; i < len; i++) { TA p = a[i]; y[i] = (EXPR); }            \
    } else if (sa == 0 && sb == 1) {                                       \
      TA p = a[0];                                                         \
      for (i = 0; i < len; i++) { TB q = b[i]; y[i] = (EXPR); }            \
    } else {                                                               \
      for (i = 0; i < len; i++) {                                          \
        TA p = a[(ptrdiff_t)i * sa];                                       \
        TB q = b[(ptrdiff_t)i * sb];                                       \
        y[i] = (EXPR);                                                     \
      }                                                                    \
    }                                                                      \
  } while (0)

/* Max / min that propagate NaN from either side, like numpy.maximum. */
#define FMAX_NAN(p, q) (((p) > (q) || (p) != (p)) ? (p) : (q))
#define FMIN_NAN(p, q) (((p) < (q) || (p) != (p)) ? (p) : (q))

static void bin_row_f32(pare_binop_t op, const float *a, ptrdiff_t sa,
                        const float *b, ptrdiff_t sb, float *y, size_t len)
{
  switch (op) {
  case PARE_BIN_ADD: ROW_LOOPS(float, float, p + q); break;
  case PARE_BIN_SUB: ROW_LOOPS(float, float, p - q); break;
  case PARE_BIN_MUL: ROW_LOOPS(float, float, p * q); break;
  case PARE_BIN_DIV: ROW_LOOPS(float, float, p / q); break;
  case PARE_BIN_POW: ROW_LOOPS(float, float, powf(p, q)); break;
  case PARE_BIN_MAX: ROW_LOOPS(float, float, FMAX_NAN(p, q)); break;
  case PARE_BIN_MIN: ROW_LOOPS(float, float, FMIN_NAN(p, q)); break;
  case PARE_BIN_MOD: ROW_LOOPS(float, float, fmodf(p, q)); break;
  }
}

void pare_binary_f32(pare_binop_t op, const float *a, const int32_t *a_strides,
                     const float *b, const int32_t *b_strides, float *y,
                     const int32_t *shape, int rank,
                     pare_act_t act, float act_a, float act_b)
{
  iter_t it;
  size_t rows = iter_init(&it, shape, rank, 2, a_strides, b_strides, NULL);
  size_t r;
  for (r = 0; r < rows; r++) {
    float *yr = y + r * it.len;
    bin_row_f32(op, a + it.off[0], it.inner[0], b + it.off[1], it.inner[1], yr,
                it.len);
    if (act != PARE_ACT_NONE) pare_activation_f32(yr, yr, it.len, act, act_a, act_b);
    iter_next(&it);
  }
}

/* Integer helpers, defined for every input (no C undefined behaviour):
 * add, subtract and multiply wrap around (two's complement, computed in
 * uint64_t); division and modulo by zero give 0 instead of trapping; division
 * by -1 negates with wrap-around, so INT64_MIN / -1 is INT64_MIN (C leaves it
 * undefined; x86 traps, and so does onnxruntime's int64 Div). */
static int64_t iadd64(int64_t p, int64_t q) { return (int64_t)((uint64_t)p + (uint64_t)q); }
static int64_t isub64(int64_t p, int64_t q) { return (int64_t)((uint64_t)p - (uint64_t)q); }
static int64_t imul64(int64_t p, int64_t q) { return (int64_t)((uint64_t)p * (uint64_t)q); }
static int64_t idiv64(int64_t p, int64_t q)
{
  if (q == 0) return 0;
  if (q == -1) return (int64_t)(0 - (uint64_t)p);
  return p / q;
}

/* Python-style modulo: the result takes the sign of the divisor. */
static int64_t imod64(int64_t p, int64_t q)
{
  int64_t r;
  if (q == 0 || q == -1) return 0;
  r = p % q;
  return (r != 0 && ((r < 0) != (q < 0))) ? r + q : r;
}

/* Integer power by squaring (wrapping); negative exponents truncate the
 * fractional result toward zero, as a cast of pow() would. */
static int64_t ipow64(int64_t p, int64_t q)
{
  uint64_t base = (uint64_t)p, acc = 1;
  if (q < 0) return p == 1 ? 1 : (p == -1 ? ((q & 1) ? -1 : 1) : 0);
  while (q > 0) {
    if (q & 1) acc *= base;
    base *= base;
    q >>= 1;
  }
  return (int64_t)acc;
}

#define INT_BIN_ROW(T)                                                 \
  switch (op) {                                                        \
  case PARE_BIN_ADD: ROW_LOOPS(T, T, (T)iadd64(p, q)); break;          \
  case PARE_BIN_SUB: ROW_LOOPS(T, T, (T)isub64(p, q)); break;          \
  case PARE_BIN_MUL: ROW_LOOPS(T, T, (T)imul64(p, q)); break;          \
  case PARE_BIN_DIV: ROW_LOOPS(T, T, (T)idiv64(p, q)); break;          \
  case PARE_BIN_POW: ROW_LOOPS(T, T, (T)ipow64(p, q)); break;          \
  case PARE_BIN_MAX: ROW_LOOPS(T, T, p > q ? p : q); break;            \
  case PARE_BIN_MIN: ROW_LOOPS(T, T, p < q ? p : q); break;            \
  case PARE_BIN_MOD: ROW_LOOPS(T, T, (T)imod64(p, q)); break;          \
  }

static void bin_row_i64(pare_binop_t op, const int64_t *a, ptrdiff_t sa,
                        const int64_t *b, ptrdiff_t sb, int64_t *y, size_t len)
{
  INT_BIN_ROW(int64_t)
}

static void bin_row_i32(pare_binop_t op, const int32_t *a, ptrdiff_t sa,
                        const int32_t *b, ptrdiff_t sb, int32_t *y, size_t len)
{
  INT_BIN_ROW(int32_t)
}

void pare_binary_i64(pare_binop_t op, const int64_t *a, const int32_t *a_strides,
                     const int64_t *b, const int32_t *b_strides, int64_t *y,
                     const int32_t *shape, int rank)
{
  iter_t it;
  size_t rows = iter_init(&it, shape, rank, 2, a_strides, b_strides, NULL);
  size_t r;
  for (r = 0; r < rows; r++) {
    bin_row_i64(op, a + it.off[0], it.inner[0], b + it.off[1], it.inner[1],
                y + r * it.len, it.len);
    iter_next(&it);
  }
}

void pare_binary_i32(pare_binop_t op, const int32_t *a, const int32_t *a_strides,
                     const int32_t *b, const int32_t *b_strides, int32_t *y,
                     const int32_t *shape, int rank)
{
  iter_t it;
  size_t rows = iter_init(&it, shape, rank, 2, a_strides, b_strides, NULL);
  size_t r;
  for (r = 0; r < rows; r++) {
    bin_row_i32(op, a + it.off[0], it.inner[0], b + it.off[1], it.inner[1],
                y + r * it.len, it.len);
    iter_next(&it);
  }
}

/* ----------------------------------------------------------- comparison -- */

#define CMP_ROW(T)                                                          \
  do {                                                                      \
    const T *a = (const T *)av, *b = (const T *)bv;                         \
    switch (op) {                                                           \
    case PARE_CMP_EQUAL: ROW_LOOPS(T, T, (uint8_t)(p == q)); break;         \
    case PARE_CMP_LESS: ROW_LOOPS(T, T, (uint8_t)(p < q)); break;           \
    case PARE_CMP_LESS_OR_EQUAL: ROW_LOOPS(T, T, (uint8_t)(p <= q)); break; \
    case PARE_CMP_GREATER: ROW_LOOPS(T, T, (uint8_t)(p > q)); break;        \
    case PARE_CMP_GREATER_OR_EQUAL: ROW_LOOPS(T, T, (uint8_t)(p >= q)); break; \
    }                                                                       \
  } while (0)

static void cmp_row(pare_cmpop_t op, pare_dtype_t dtype, const void *av,
                    ptrdiff_t sa, const void *bv, ptrdiff_t sb, uint8_t *y,
                    size_t len)
{
  if (dtype == PARE_I64)
    CMP_ROW(int64_t);
  else if (dtype == PARE_I32)
    CMP_ROW(int32_t);
  else
    CMP_ROW(float);
}

/* Element size of the comparable dtypes. */
static size_t cmp_elem_size(pare_dtype_t dtype)
{
  return dtype == PARE_I64 ? 8 : 4;
}

void pare_compare(pare_cmpop_t op, pare_dtype_t dtype,
                  const void *a, const int32_t *a_strides,
                  const void *b, const int32_t *b_strides, uint8_t *y,
                  const int32_t *shape, int rank)
{
  iter_t it;
  size_t rows = iter_init(&it, shape, rank, 2, a_strides, b_strides, NULL);
  size_t es = cmp_elem_size(dtype), r;
  for (r = 0; r < rows; r++) {
    cmp_row(op, dtype, (const char *)a + it.off[0] * (ptrdiff_t)es, it.inner[0],
            (const char *)b + it.off[1] * (ptrdiff_t)es, it.inner[1],
            y + r * it.len, it.len);
    iter_next(&it);
  }
}

/* -------------------------------------------------------------- logical -- */

static void logical_row(int op, const uint8_t *a, ptrdiff_t sa,
                        const uint8_t *b, ptrdiff_t sb, uint8_t *y, size_t len)
{
  if (op == 0)
    ROW_LOOPS(uint8_t, uint8_t, (uint8_t)((p != 0) & (q != 0)));
  else if (op == 1)
    ROW_LOOPS(uint8_t, uint8_t, (uint8_t)((p != 0) | (q != 0)));
  else
    ROW_LOOPS(uint8_t, uint8_t, (uint8_t)((p != 0) ^ (q != 0)));
}

void pare_logical(int op, const uint8_t *a, const int32_t *a_strides,
                  const uint8_t *b, const int32_t *b_strides, uint8_t *y,
                  const int32_t *shape, int rank)
{
  iter_t it;
  size_t rows = iter_init(&it, shape, rank, 2, a_strides, b_strides, NULL);
  size_t r;
  for (r = 0; r < rows; r++) {
    logical_row(op, a + it.off[0], it.inner[0], b + it.off[1], it.inner[1],
                y + r * it.len, it.len);
    iter_next(&it);
  }
}

void pare_logical_not(const uint8_t *x, uint8_t *y, size_t count)
{
  size_t i;
  for (i = 0; i < count; i++) y[i] = (uint8_t)(x[i] == 0);
}

/* ---------------------------------------------------- where / broadcast -- */

/* Copies one strided row of `len` elements of `es` bytes into contiguous y. */
static void copy_strided_row(size_t es, const char *x, ptrdiff_t sx, char *y,
                             size_t len)
{
  size_t i;
  if (sx == 1) {
    memcpy(y, x, len * es);
  } else if (es == 4) {
    for (i = 0; i < len; i++) memcpy(y + i * 4, x + (ptrdiff_t)i * sx * 4, 4);
  } else if (es == 8) {
    for (i = 0; i < len; i++) memcpy(y + i * 8, x + (ptrdiff_t)i * sx * 8, 8);
  } else if (es == 1) {
    for (i = 0; i < len; i++) y[i] = x[(ptrdiff_t)i * sx];
  } else {
    for (i = 0; i < len; i++) memcpy(y + i * es, x + (ptrdiff_t)i * sx * (ptrdiff_t)es, es);
  }
}

void pare_where(size_t elem_size, const uint8_t *cond, const int32_t *c_strides,
                const void *x, const int32_t *x_strides,
                const void *z, const int32_t *z_strides, void *y,
                const int32_t *shape, int rank)
{
  iter_t it;
  size_t rows = iter_init(&it, shape, rank, 3, c_strides, x_strides, z_strides);
  ptrdiff_t es = (ptrdiff_t)elem_size;
  size_t r, i;
  for (r = 0; r < rows; r++) {
    const uint8_t *c = cond + it.off[0];
    const char *xr = (const char *)x + it.off[1] * es;
    const char *zr = (const char *)z + it.off[2] * es;
    char *yr = (char *)y + r * it.len * elem_size;
    ptrdiff_t sc = it.inner[0], sx = it.inner[1] * es, sz = it.inner[2] * es;
    if (elem_size == 4) {
      for (i = 0; i < it.len; i++)
        memcpy(yr + i * 4, c[(ptrdiff_t)i * sc] ? xr + (ptrdiff_t)i * sx
                                                : zr + (ptrdiff_t)i * sz, 4);
    } else {
      for (i = 0; i < it.len; i++)
        memcpy(yr + i * elem_size, c[(ptrdiff_t)i * sc] ? xr + (ptrdiff_t)i * sx
                                                        : zr + (ptrdiff_t)i * sz,
               elem_size);
    }
    iter_next(&it);
  }
}

void pare_broadcast(size_t elem_size, const void *x, const int32_t *x_strides,
                    void *y, const int32_t *shape, int rank)
{
  iter_t it;
  size_t rows = iter_init(&it, shape, rank, 1, x_strides, NULL, NULL);
  size_t r;
  for (r = 0; r < rows; r++) {
    const char *xr = (const char *)x + it.off[0] * (ptrdiff_t)elem_size;
    char *yr = (char *)y + r * it.len * elem_size;
    copy_strided_row(elem_size, xr, it.inner[0], yr, it.len);
    iter_next(&it);
  }
}

/* ------------------------------------------------------ channel affine -- */

void pare_channel_affine_f32(const float *x, const float *scale,
                             const float *shift, float *y,
                             int outer, int channels, int inner,
                             pare_act_t act, float act_a, float act_b)
{
  int o, c, i;
  size_t row = (size_t)channels * (size_t)inner;
  for (o = 0; o < outer; o++) {
    const float *xo = x + (size_t)o * row;
    float *yo = y + (size_t)o * row;
    if (inner == 1) {
      for (c = 0; c < channels; c++) yo[c] = xo[c] * scale[c] + shift[c];
    } else {
      for (c = 0; c < channels; c++) {
        const float *xc = xo + (size_t)c * (size_t)inner;
        float *yc = yo + (size_t)c * (size_t)inner;
        float s = scale[c], t = shift[c];
        for (i = 0; i < inner; i++) yc[i] = xc[i] * s + t;
      }
    }
    if (act != PARE_ACT_NONE) pare_activation_f32(yo, yo, row, act, act_a, act_b);
  }
}
