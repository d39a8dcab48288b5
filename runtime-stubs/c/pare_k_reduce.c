/*
 * pare runtime kernels: softmax, layer normalisation, reductions and
 * arg-reductions (float32, plus int64 reductions). Plain C99, no allocation.
 */
#include "pare_kernels.h"

#include <math.h>
#include <string.h>

/* Columns processed together when the reduced axis is not innermost. */
#define CHUNK 16

static int min_i(int a, int b) { return a < b ? a : b; }

/* -------------------------------------------------------------- softmax -- */

void pare_softmax_f32(const float *x, float *y, int outer, int len, int inner,
                      int log_softmax)
{
  int o, c0, l, j;
  const size_t plane = (size_t)len * (size_t)inner;
  for (o = 0; o < outer; o++) {
    const float *xo = x + (size_t)o * plane;
    float *yo = y + (size_t)o * plane;
    /* Columns [c0, c0 + w) of the [len][inner] plane at once. */
    for (c0 = 0; c0 < inner; c0 += CHUNK) {
      const int w = min_i(CHUNK, inner - c0);
      float m[CHUNK], s[CHUNK];
      for (j = 0; j < w; j++) {
        m[j] = -INFINITY;
        s[j] = 0.0f;
      }
      for (l = 0; l < len; l++) {
        const float *xr = xo + (size_t)l * inner + c0;
        for (j = 0; j < w; j++) m[j] = xr[j] > m[j] ? xr[j] : m[j];
      }
      for (l = 0; l < len; l++) {
        const float *xr = xo + (size_t)l * inner + c0;
        float *yr = yo + (size_t)l * inner + c0;
        for (j = 0; j < w; j++) {
          float e = expf(xr[j] - m[j]);
          if (!log_softmax) yr[j] = e;
          s[j] += e;
        }
      }
      /* log_softmax keeps log(sum) apart from the max: (x - max) - log(sum)
       * loses no precision when |x| is large. */
      for (j = 0; j < w; j++)
        s[j] = log_softmax ? logf(s[j]) : 1.0f / s[j];
      for (l = 0; l < len; l++) {
        const float *xr = xo + (size_t)l * inner + c0;
        float *yr = yo + (size_t)l * inner + c0;
        if (log_softmax)
          for (j = 0; j < w; j++) yr[j] = (xr[j] - m[j]) - s[j];
        else
          for (j = 0; j < w; j++) yr[j] *= s[j];
      }
    }
  }
}

/* ------------------------------------------------------------ layernorm -- */

void pare_layernorm_f32(const float *x, const float *scale, const float *bias,
                        float *y, int outer, int inner, float epsilon)
{
  int o, i;
  for (o = 0; o < outer; o++) {
    const float *xr = x + (size_t)o * inner;
    float *yr = y + (size_t)o * inner;
    float mean = 0.0f, var = 0.0f, inv;
    for (i = 0; i < inner; i++) mean += xr[i];
    mean /= (float)inner;
    for (i = 0; i < inner; i++) {
      float d = xr[i] - mean;
      var += d * d;
    }
    inv = 1.0f / sqrtf(var / (float)inner + epsilon);
    if (bias)
      for (i = 0; i < inner; i++) yr[i] = (xr[i] - mean) * inv * scale[i] + bias[i];
    else
      for (i = 0; i < inner; i++) yr[i] = (xr[i] - mean) * inv * scale[i];
  }
}

/* ------------------------------------------------------------ reduction --
 * The input dims are first coalesced (size-1 dims dropped, neighbours of the
 * same kind merged) into alternating kept / reduced groups. */

typedef struct {
  int n;
  ptrdiff_t shape[PARE_MAX_RANK], st[PARE_MAX_RANK];
} dims_t;

/* Splits x's dims into kept (`keep`) and reduced (`red`) groups; returns 0
 * when the output is empty, and sets *count to the reduced element count
 * and *last_reduced to whether the innermost input group is reduced. */
static int split_dims(const int32_t *in_shape, int rank, const uint8_t *mask,
                      dims_t *keep, dims_t *red, ptrdiff_t *count,
                      int *last_reduced)
{
  ptrdiff_t shape[PARE_MAX_RANK], st[PARE_MAX_RANK], stride = 1;
  int kind[PARE_MAX_RANK];
  int d, n = 0;
  *count = 1;
  for (d = rank - 1; d >= 0; d--) { /* innermost first */
    const int r = mask[d] != 0;
    if (in_shape[d] == 0 && !r) return 0;
    if (r) *count *= in_shape[d];
    if (in_shape[d] != 1) {
      if (n > 0 && kind[n - 1] == r) {
        shape[n - 1] *= in_shape[d];
      } else {
        shape[n] = in_shape[d];
        st[n] = stride;
        kind[n] = r;
        n++;
      }
    }
    stride *= in_shape[d];
  }
  if (n == 0) { /* a single element */
    shape[0] = 1;
    st[0] = 1;
    kind[0] = 1;
    n = 1;
  }
  keep->n = red->n = 0;
  for (d = n - 1; d >= 0; d--) { /* back to outermost first */
    dims_t *t = kind[d] ? red : keep;
    t->shape[t->n] = shape[d];
    t->st[t->n] = st[d];
    t->n++;
  }
  *last_reduced = kind[0];
  return 1;
}

/* Steps idx (over the first `n` dims of d, row-major) and *off; returns 0
 * after the last index. */
static int dims_next(const dims_t *d, int n, ptrdiff_t *idx, ptrdiff_t *off)
{
  int k;
  for (k = n - 1; k >= 0; k--) {
    *off += d->st[k];
    if (++idx[k] < d->shape[k]) return 1;
    *off -= d->st[k] * d->shape[k];
    idx[k] = 0;
  }
  return 0;
}

/* Start value of an accumulator. */
static float red_init(pare_redop_t op)
{
  switch (op) {
  case PARE_RED_MAX: return -INFINITY;
  case PARE_RED_MIN: return INFINITY;
  case PARE_RED_PROD: return 1.0f;
  default: return 0.0f;
  }
}

/* Folds len values x[i*stride] into acc. For LOG_SUM_EXP this sums
 * exp(x - m); every other op ignores m. */
static float red_fold(pare_redop_t op, const float *x, ptrdiff_t stride,
                      ptrdiff_t len, float acc, float m)
{
  ptrdiff_t i;
  switch (op) {
  case PARE_RED_SUM:
  case PARE_RED_MEAN:
    for (i = 0; i < len; i++) acc += x[i * stride];
    break;
  case PARE_RED_MAX:
    for (i = 0; i < len; i++) {
      float v = x[i * stride];
      acc = (v > acc || v != v) ? v : acc;
    }
    break;
  case PARE_RED_MIN:
    for (i = 0; i < len; i++) {
      float v = x[i * stride];
      acc = (v < acc || v != v) ? v : acc;
    }
    break;
  case PARE_RED_PROD:
    for (i = 0; i < len; i++) acc *= x[i * stride];
    break;
  case PARE_RED_L1:
    for (i = 0; i < len; i++) acc += fabsf(x[i * stride]);
    break;
  case PARE_RED_L2:
  case PARE_RED_SUM_SQUARE:
    for (i = 0; i < len; i++) acc += x[i * stride] * x[i * stride];
    break;
  case PARE_RED_LOG_SUM_EXP:
    for (i = 0; i < len; i++) acc += expf(x[i * stride] - m);
    break;
  }
  return acc;
}

/* Final value from an accumulator over `count` elements (m: LSE's max). */
static float red_final(pare_redop_t op, float acc, float m, ptrdiff_t count)
{
  switch (op) {
  case PARE_RED_MEAN: return count > 0 ? acc / (float)count : NAN;
  case PARE_RED_L2: return sqrtf(acc);
  case PARE_RED_LOG_SUM_EXP: return count > 0 ? m + logf(acc) : -INFINITY;
  default: return acc;
  }
}

/* Folds the whole reduced set at x (dims red; the innermost reduced group
 * is folded as one run of stride red->st[n-1]). */
static float red_set(pare_redop_t op, const float *x, const dims_t *red,
                     float acc, float m)
{
  ptrdiff_t idx[PARE_MAX_RANK] = {0}, off = 0;
  const int n = red->n;
  do {
    acc = red_fold(op, x + off, red->st[n - 1], red->shape[n - 1], acc, m);
  } while (dims_next(red, n - 1, idx, &off));
  return acc;
}

void pare_reduce_f32(pare_redop_t op, const float *x, const int32_t *in_shape,
                     int rank, const uint8_t *reduce_mask, float *y)
{
  dims_t keep, red;
  ptrdiff_t count, kidx[PARE_MAX_RANK] = {0}, koff = 0, yi = 0;
  int last_reduced;
  if (!split_dims(in_shape, rank, reduce_mask, &keep, &red, &count, &last_reduced))
    return;
  if (count == 0) { /* empty reduction: the identity everywhere */
    ptrdiff_t nout = 1;
    int d;
    for (d = 0; d < keep.n; d++) nout *= keep.shape[d];
    for (yi = 0; yi < nout; yi++) y[yi] = red_final(op, red_init(op), 0.0f, 0);
    return;
  }
  if (last_reduced) {
    /* Each output element folds runs along the contiguous innermost group. */
    do {
      const float *xk = x + koff;
      float m = 0.0f, acc;
      if (op == PARE_RED_LOG_SUM_EXP) {
        m = red_set(PARE_RED_MAX, xk, &red, -INFINITY, 0.0f);
        acc = red_set(op, xk, &red, 0.0f, m);
      } else {
        acc = red_set(op, xk, &red, red_init(op), 0.0f);
      }
      y[yi++] = red_final(op, acc, m, count);
    } while (dims_next(&keep, keep.n, kidx, &koff));
  } else {
    /* The innermost group is kept and contiguous: reduce CHUNK columns of it
     * at a time, folding contiguous rows (vectorisable). */
    const int ncols = (int)keep.shape[keep.n - 1];
    do {
      int c0, j;
      for (c0 = 0; c0 < ncols; c0 += CHUNK) {
        const int w = min_i(CHUNK, ncols - c0);
        const float *xk = x + koff + c0;
        float acc[CHUNK], m[CHUNK];
        ptrdiff_t ridx[PARE_MAX_RANK] = {0}, roff = 0;
        for (j = 0; j < w; j++) {
          acc[j] = red_init(op);
          m[j] = 0.0f;
        }
        if (op == PARE_RED_LOG_SUM_EXP) {
          for (j = 0; j < w; j++) m[j] = -INFINITY;
          do {
            for (j = 0; j < w; j++) m[j] = red_fold(PARE_RED_MAX, xk + roff + j, 1, 1, m[j], 0.0f);
          } while (dims_next(&red, red.n, ridx, &roff));
        }
        do {
          const float *xr = xk + roff;
          switch (op) {
          case PARE_RED_SUM:
          case PARE_RED_MEAN:
            for (j = 0; j < w; j++) acc[j] += xr[j];
            break;
          case PARE_RED_L2:
          case PARE_RED_SUM_SQUARE:
            for (j = 0; j < w; j++) acc[j] += xr[j] * xr[j];
            break;
          default:
            for (j = 0; j < w; j++) acc[j] = red_fold(op, xr + j, 1, 1, acc[j], m[j]);
            break;
          }
        } while (dims_next(&red, red.n, ridx, &roff));
        for (j = 0; j < w; j++) y[yi + c0 + j] = red_final(op, acc[j], m[j], count);
      }
      yi += ncols;
    } while (dims_next(&keep, keep.n - 1, kidx, &koff));
  }
}

/* int64 reductions (LOG_SUM_EXP and L2 are computed in double and
 * truncated). Simple per-output loops: these are rare and small. */
void pare_reduce_i64(pare_redop_t op, const int64_t *x, const int32_t *in_shape,
                     int rank, const uint8_t *reduce_mask, int64_t *y)
{
  dims_t keep, red;
  ptrdiff_t count, kidx[PARE_MAX_RANK] = {0}, koff = 0, yi = 0;
  int last_reduced;
  if (!split_dims(in_shape, rank, reduce_mask, &keep, &red, &count, &last_reduced))
    return;
  do {
    ptrdiff_t ridx[PARE_MAX_RANK] = {0}, roff = 0;
    int64_t acc = op == PARE_RED_MAX ? INT64_MIN
                  : op == PARE_RED_MIN ? INT64_MAX
                  : op == PARE_RED_PROD ? 1 : 0;
    double dacc = 0.0;
    if (count > 0) {
      do {
        const int64_t v = x[koff + roff];
        switch (op) {
        case PARE_RED_SUM:
        case PARE_RED_MEAN: acc += v; break;
        case PARE_RED_MAX: acc = v > acc ? v : acc; break;
        case PARE_RED_MIN: acc = v < acc ? v : acc; break;
        case PARE_RED_PROD: acc *= v; break;
        case PARE_RED_L1: acc += v < 0 ? -v : v; break;
        case PARE_RED_L2:
        case PARE_RED_SUM_SQUARE: acc += v * v; break;
        case PARE_RED_LOG_SUM_EXP: dacc += exp((double)v); break;
        }
      } while (dims_next(&red, red.n, ridx, &roff));
    }
    if (op == PARE_RED_MEAN && count > 0) acc /= count;
    if (op == PARE_RED_L2) acc = (int64_t)sqrt((double)acc);
    if (op == PARE_RED_LOG_SUM_EXP) acc = (int64_t)log(dacc);
    y[yi++] = acc;
  } while (dims_next(&keep, keep.n, kidx, &koff));
}

/* ------------------------------------------------------------ argreduce -- */

void pare_argreduce_f32(const float *x, int64_t *y, int outer, int len,
                        int inner, int is_min, int select_last_index)
{
  int o, c0, l, j;
  const size_t plane = (size_t)len * (size_t)inner;
  for (o = 0; o < outer; o++) {
    const float *xo = x + (size_t)o * plane;
    int64_t *yo = y + (size_t)o * inner;
    for (c0 = 0; c0 < inner; c0 += CHUNK) {
      const int w = min_i(CHUNK, inner - c0);
      float best[CHUNK];
      int64_t bi[CHUNK];
      for (j = 0; j < w; j++) {
        best[j] = len > 0 ? xo[c0 + j] : 0.0f;
        bi[j] = 0;
      }
      for (l = 1; l < len; l++) {
        const float *xr = xo + (size_t)l * inner + c0;
        for (j = 0; j < w; j++) {
          const float v = xr[j];
          const int take = is_min ? (select_last_index ? v <= best[j] : v < best[j])
                                  : (select_last_index ? v >= best[j] : v > best[j]);
          if (take) {
            best[j] = v;
            bi[j] = l;
          }
        }
      }
      memcpy(yo + c0, bi, (size_t)w * sizeof(int64_t));
    }
  }
}
