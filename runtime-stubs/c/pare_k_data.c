/*
 * pare runtime kernels: type-generic data movement (transpose, row copies,
 * slice, pad, gather) and type conversion. Plain C99, no allocation.
 */
#include "pare_kernels.h"

#include <string.h>

/* Side of the square tiles of the blocked 2-D transpose. */
#define TILE 16
/* Elements converted per step of pare_cast. */
#define CAST_CHUNK 32

/* ---------------------------------------------------------- strided copy --
 * y (contiguous, shape[rank]) = x viewed with element strides st[rank]
 * (strides may be negative). Shared by transpose and slice. */

/* Copies n elements of es bytes from x (stride sx elements) to contiguous y;
 * the fixed-size memcpy calls compile to plain moves. */
static void copy_elems(size_t es, const char *x, ptrdiff_t sx, char *y, ptrdiff_t n)
{
  ptrdiff_t i;
  const ptrdiff_t sb = sx * (ptrdiff_t)es;
  if (sx == 1)
    memcpy(y, x, (size_t)n * es);
  else if (es == 4)
    for (i = 0; i < n; i++) memcpy(y + i * 4, x + i * sb, 4);
  else if (es == 1)
    for (i = 0; i < n; i++) y[i] = x[i * sb];
  else if (es == 8)
    for (i = 0; i < n; i++) memcpy(y + i * 8, x + i * sb, 8);
  else if (es == 2)
    for (i = 0; i < n; i++) memcpy(y + i * 2, x + i * sb, 2);
  else
    for (i = 0; i < n; i++) memcpy(y + i * (ptrdiff_t)es, x + i * sb, es);
}

/* y[r][c] = x[r + c*sc] for r < rows, c < cols (y row stride cols): a 2-D
 * transpose in TILE x TILE blocks so both sides stay in cache. */
static void transpose_2d(size_t es, const char *x, ptrdiff_t sc, char *y,
                         ptrdiff_t rows, ptrdiff_t cols)
{
  ptrdiff_t r0, c0, r;
  const ptrdiff_t e = (ptrdiff_t)es;
  for (r0 = 0; r0 < rows; r0 += TILE) {
    const ptrdiff_t r1 = r0 + TILE < rows ? r0 + TILE : rows;
    for (c0 = 0; c0 < cols; c0 += TILE) {
      const ptrdiff_t c1 = c0 + TILE < cols ? c0 + TILE : cols;
      for (r = r0; r < r1; r++)
        copy_elems(es, x + (r + c0 * sc) * e, sc, y + (r * cols + c0) * e, c1 - c0);
    }
  }
}

static void strided_copy(size_t es, const char *x, const ptrdiff_t *st_in,
                         const ptrdiff_t *shape_in, int rank, char *y)
{
  ptrdiff_t shape[PARE_MAX_RANK], st[PARE_MAX_RANK], idx[PARE_MAX_RANK];
  ptrdiff_t off = 0, rows = 1, r, len, inner;
  const ptrdiff_t e = (ptrdiff_t)es;
  int d, n = 0, two_d;

  /* Drop size-1 dims and merge dims that are contiguous in x. */
  for (d = 0; d < rank; d++) {
    if (shape_in[d] == 0) return;
    if (shape_in[d] == 1) continue;
    if (n > 0 && st[n - 1] == st_in[d] * shape_in[d]) {
      shape[n - 1] *= shape_in[d];
      st[n - 1] = st_in[d];
    } else {
      shape[n] = shape_in[d];
      st[n] = st_in[d];
      n++;
    }
  }
  if (n == 0) {
    memcpy(y, x, es);
    return;
  }
  /* Innermost output dim strided but the next one contiguous in x: block. */
  two_d = n >= 2 && st[n - 1] != 1 && st[n - 2] == 1;
  len = two_d ? shape[n - 2] * shape[n - 1] : shape[n - 1];
  inner = two_d ? 2 : 1;
  for (d = 0; d < n - inner; d++) {
    rows *= shape[d];
    idx[d] = 0;
  }
  for (r = 0; r < rows; r++) {
    if (two_d)
      transpose_2d(es, x + off * e, st[n - 1], y + r * len * e, shape[n - 2],
                   shape[n - 1]);
    else
      copy_elems(es, x + off * e, st[n - 1], y + r * len * e, len);
    for (d = n - inner - 1; d >= 0; d--) {
      off += st[d];
      if (++idx[d] < shape[d]) break;
      off -= st[d] * shape[d];
      idx[d] = 0;
    }
  }
}

/* Element strides of a contiguous tensor. */
static void contiguous_strides(const int32_t *shape, int rank, ptrdiff_t *st)
{
  ptrdiff_t s = 1;
  int d;
  for (d = rank - 1; d >= 0; d--) {
    st[d] = s;
    s *= shape[d];
  }
}

void pare_transpose(size_t elem_size, const void *x, const int32_t *in_shape,
                    const int32_t *perm, int rank, void *y)
{
  ptrdiff_t is[PARE_MAX_RANK], st[PARE_MAX_RANK], shape[PARE_MAX_RANK];
  int d;
  contiguous_strides(in_shape, rank, is);
  for (d = 0; d < rank; d++) {
    shape[d] = in_shape[perm[d]];
    st[d] = is[perm[d]];
  }
  strided_copy(elem_size, (const char *)x, st, shape, rank, (char *)y);
}

void pare_copy_rows(void *dst, size_t dst_stride, const void *src,
                    size_t src_stride, size_t rows, size_t row_bytes)
{
  size_t r;
  if (dst_stride == row_bytes && src_stride == row_bytes) {
    memcpy(dst, src, rows * row_bytes);
    return;
  }
  for (r = 0; r < rows; r++)
    memcpy((char *)dst + r * dst_stride, (const char *)src + r * src_stride,
           row_bytes);
}

void pare_slice(size_t elem_size, const void *x, const int32_t *in_shape,
                int rank, const int32_t *starts, const int32_t *steps,
                void *y, const int32_t *out_shape)
{
  ptrdiff_t is[PARE_MAX_RANK], st[PARE_MAX_RANK], shape[PARE_MAX_RANK], base = 0;
  int d;
  contiguous_strides(in_shape, rank, is);
  for (d = 0; d < rank; d++) {
    shape[d] = out_shape[d];
    if (shape[d] == 0) return;
    base += (ptrdiff_t)starts[d] * is[d];
    st[d] = (ptrdiff_t)steps[d] * is[d];
  }
  strided_copy(elem_size, (const char *)x + base * (ptrdiff_t)elem_size, st, shape,
               rank, (char *)y);
}

/* ------------------------------------------------------------------ pad -- */

/* Input index for padded coordinate i (already shifted by the begin pad) of
 * a dim of size n, or -1 where the constant value goes. */
static ptrdiff_t pad_index(ptrdiff_t i, ptrdiff_t n, int mode)
{
  if (i >= 0 && i < n) return i;
  switch (mode) {
  case 1: { /* reflect, without repeating the edge */
    const ptrdiff_t period = 2 * (n - 1);
    if (n == 1) return 0;
    i %= period;
    if (i < 0) i += period;
    return i < n ? i : period - i;
  }
  case 2: return i < 0 ? 0 : n - 1; /* edge */
  case 3: i %= n; return i < 0 ? i + n : i; /* wrap */
  default: return -1; /* constant */
  }
}

/* Fills n elements of es bytes with *value (zero when value is NULL). */
static void fill_value(char *y, size_t es, const void *value, ptrdiff_t n)
{
  ptrdiff_t i;
  if (value == NULL) {
    memset(y, 0, (size_t)n * es);
    return;
  }
  for (i = 0; i < n; i++) memcpy(y + i * (ptrdiff_t)es, value, es);
}

void pare_pad(size_t elem_size, const void *x, const int32_t *in_shape,
              int rank, const int32_t *pads_begin, int mode, const void *value,
              void *y, const int32_t *out_shape)
{
  ptrdiff_t is[PARE_MAX_RANK], idx[PARE_MAX_RANK], rows = 1, r, j;
  const ptrdiff_t e = (ptrdiff_t)elem_size;
  const char *xc = (const char *)x;
  char *yc = (char *)y;
  ptrdiff_t olen, n, pb, mid0, mid1;
  int d;

  if (rank == 0) {
    memcpy(y, x, elem_size);
    return;
  }
  for (d = 0; d < rank; d++) {
    if (out_shape[d] == 0) return;
    if (d + 1 < rank) rows *= out_shape[d];
    idx[d] = 0;
  }
  contiguous_strides(in_shape, rank, is);
  olen = out_shape[rank - 1];
  n = in_shape[rank - 1];
  pb = pads_begin[rank - 1];
  /* Output columns that copy the input row as one run: [mid0, mid1). */
  mid0 = pb < 0 ? 0 : (pb < olen ? pb : olen);
  mid1 = pb + n < olen ? pb + n : olen;
  if (mid1 < mid0) mid1 = mid0;

  for (r = 0; r < rows; r++) {
    char *yr = yc + r * olen * e;
    ptrdiff_t off = 0;
    int constant_row = 0;
    for (d = 0; d + 1 < rank; d++) {
      ptrdiff_t i =
          in_shape[d] == 0 ? -1 : pad_index(idx[d] - pads_begin[d], in_shape[d], mode);
      if (i < 0) {
        constant_row = 1;
        break;
      }
      off += i * is[d];
    }
    if (constant_row || n == 0) {
      fill_value(yr, elem_size, value, olen);
    } else {
      const char *xr = xc + off * e;
      for (j = 0; j < olen; j++) {
        ptrdiff_t i;
        if (j == mid0 && mid1 > mid0) {
          memcpy(yr + j * e, xr + (j - pb) * e, (size_t)(mid1 - mid0) * elem_size);
          j = mid1 - 1;
          continue;
        }
        i = pad_index(j - pb, n, mode);
        if (i < 0)
          fill_value(yr + j * e, elem_size, value, 1);
        else
          memcpy(yr + j * e, xr + i * e, elem_size);
      }
    }
    for (d = rank - 2; d >= 0; d--) {
      if (++idx[d] < out_shape[d]) break;
      idx[d] = 0;
    }
  }
}

/* --------------------------------------------------------------- gather -- */

/* Gather, with the index already read as int64. Out-of-range indices (an
 * invalid model) produce zeros instead of reading out of bounds. */
#define GATHER_BODY(INDEX)                                                  \
  const size_t row = (size_t)inner * elem_size;                             \
  int o, i;                                                                 \
  for (o = 0; o < outer; o++) {                                             \
    const char *xo = (const char *)data + (size_t)o * axis_len * row;       \
    char *yo = (char *)y + (size_t)o * count * row;                         \
    for (i = 0; i < count; i++) {                                           \
      int64_t k = (INDEX);                                                  \
      if (k < 0) k += axis_len;                                             \
      if (k < 0 || k >= axis_len)                                           \
        memset(yo + (size_t)i * row, 0, row);                               \
      else                                                                  \
        memcpy(yo + (size_t)i * row, xo + (size_t)k * row, row);            \
    }                                                                       \
  }

void pare_gather(size_t elem_size, const void *data, int outer, int axis_len,
                 int inner, const int64_t *indices, int count, void *y)
{
  GATHER_BODY(indices[i])
}

void pare_gather_i32idx(size_t elem_size, const void *data, int outer,
                        int axis_len, int inner, const int32_t *indices,
                        int count, void *y)
{
  GATHER_BODY((int64_t)indices[i])
}

/* ------------------------------------------------------- gather_elements --
 * The output walks the indices' shape in row-major order; `base` is the
 * data offset of the current position over every dim but the axis, kept
 * up to date as the counters step, and the index read at that position
 * supplies the axis coordinate. Out-of-range indices (an invalid model)
 * produce zeros instead of reading out of bounds, as in pare_gather. */
#define GATHER_ELEMENTS_BODY(INDEX)                                         \
  ptrdiff_t dstride[PARE_MAX_RANK], base = 0, s = 1;                        \
  int idx[PARE_MAX_RANK], d;                                                \
  size_t count = 1, i;                                                      \
  const int64_t len = data_shape[axis];                                     \
  for (d = rank - 1; d >= 0; d--) {                                         \
    dstride[d] = s;                                                         \
    s *= data_shape[d];                                                     \
    count *= (size_t)idx_shape[d];                                          \
    idx[d] = 0;                                                             \
  }                                                                         \
  for (i = 0; i < count; i++) {                                             \
    int64_t k = (INDEX);                                                    \
    if (k < 0) k += len;                                                    \
    if (k < 0 || k >= len)                                                  \
      memset((char *)y + i * elem_size, 0, elem_size);                      \
    else                                                                    \
      memcpy((char *)y + i * elem_size,                                     \
             (const char *)data +                                           \
                 (size_t)(base + (ptrdiff_t)k * dstride[axis]) * elem_size, \
             elem_size);                                                    \
    for (d = rank - 1; d >= 0; d--) {                                       \
      if (d != axis) base += dstride[d];                                    \
      if (++idx[d] < idx_shape[d]) break;                                   \
      if (d != axis) base -= (ptrdiff_t)idx_shape[d] * dstride[d];          \
      idx[d] = 0;                                                           \
    }                                                                       \
  }

void pare_gather_elements(size_t elem_size, const void *data,
                          const int32_t *data_shape, int rank, int axis,
                          const int64_t *indices, const int32_t *idx_shape,
                          void *y)
{
  GATHER_ELEMENTS_BODY(indices[i])
}

void pare_gather_elements_i32idx(size_t elem_size, const void *data,
                                 const int32_t *data_shape, int rank, int axis,
                                 const int32_t *indices,
                                 const int32_t *idx_shape, void *y)
{
  GATHER_ELEMENTS_BODY((int64_t)indices[i])
}

/* ----------------------------------------------------------------- cast --
 * Each chunk is widened to double (float sources) or int64 (integer and
 * bool sources), then narrowed to the target type. */

static size_t dtype_size(pare_dtype_t t)
{
  switch (t) {
  case PARE_F64:
  case PARE_I64: return 8;
  case PARE_F32:
  case PARE_I32: return 4;
  case PARE_I16:
  case PARE_U16: return 2;
  default: return 1;
  }
}

#define LOAD(T, DST)                                                   \
  for (k = 0; k < n; k++) DST[k] = ((const T *)x)[i0 + k];             \
  break

/* Stores n values from SRC (double or int64) into y[i0..] as type `to`.
 * float -> int converts through int64, truncating toward zero. */
#define STORE_ALL(SRC)                                             \
  switch (to) {                                                            \
  case PARE_F32: for (k = 0; k < n; k++) ((float *)y)[i0 + k] = (float)SRC[k]; break; \
  case PARE_F64: for (k = 0; k < n; k++) ((double *)y)[i0 + k] = (double)SRC[k]; break; \
  case PARE_I64: for (k = 0; k < n; k++) ((int64_t *)y)[i0 + k] = (int64_t)SRC[k]; break; \
  case PARE_I32: for (k = 0; k < n; k++) ((int32_t *)y)[i0 + k] = (int32_t)(int64_t)SRC[k]; break; \
  case PARE_I16: for (k = 0; k < n; k++) ((int16_t *)y)[i0 + k] = (int16_t)(int64_t)SRC[k]; break; \
  case PARE_U16: for (k = 0; k < n; k++) ((uint16_t *)y)[i0 + k] = (uint16_t)(int64_t)SRC[k]; break; \
  case PARE_I8: for (k = 0; k < n; k++) ((int8_t *)y)[i0 + k] = (int8_t)(int64_t)SRC[k]; break; \
  case PARE_U8: for (k = 0; k < n; k++) ((uint8_t *)y)[i0 + k] = (uint8_t)(int64_t)SRC[k]; break; \
  case PARE_BOOL: for (k = 0; k < n; k++) ((uint8_t *)y)[i0 + k] = (uint8_t)(SRC[k] != 0); break; \
  }

void pare_cast(pare_dtype_t from, const void *x, pare_dtype_t to, void *y,
               size_t count)
{
  double fv[CAST_CHUNK];
  int64_t iv[CAST_CHUNK];
  size_t i0, k, n;
  if (from == to) {
    memmove(y, x, count * dtype_size(from));
    return;
  }
  for (i0 = 0; i0 < count; i0 += n) {
    n = count - i0 < CAST_CHUNK ? count - i0 : CAST_CHUNK;
    if (from == PARE_F32 || from == PARE_F64) {
      if (from == PARE_F32) {
        for (k = 0; k < n; k++) fv[k] = ((const float *)x)[i0 + k];
      } else {
        for (k = 0; k < n; k++) fv[k] = ((const double *)x)[i0 + k];
      }
      STORE_ALL(fv)
    } else {
      switch (from) {
      case PARE_I64: LOAD(int64_t, iv);
      case PARE_I32: LOAD(int32_t, iv);
      case PARE_I16: LOAD(int16_t, iv);
      case PARE_U16: LOAD(uint16_t, iv);
      case PARE_I8: LOAD(int8_t, iv);
      default: LOAD(uint8_t, iv); /* U8, BOOL */
      }
      STORE_ALL(iv)
    }
  }
}

/* ----------------------------------------------------------- scatter_nd -- */

#define SCATTER_COMBINE(T)                                                  \
  {                                                                         \
    T *o = (T *)dst;                                                        \
    const T *v = (const T *)src;                                            \
    size_t e;                                                               \
    for (e = 0; e < slice; e++) {                                           \
      switch (reduction) {                                                  \
      case 1: o[e] = (T)(o[e] + v[e]); break;                               \
      case 2: o[e] = (T)(o[e] * v[e]); break;                               \
      case 3: if (v[e] > o[e]) o[e] = v[e]; break;                          \
      default: if (v[e] < o[e]) o[e] = v[e]; break;                         \
      }                                                                     \
    }                                                                       \
  }                                                                         \
  break

void pare_scatter_nd(pare_dtype_t dtype, const void *data, size_t count,
                     const int64_t *indices, int num_updates, int depth,
                     const int32_t *dims, size_t slice, const void *updates,
                     int reduction, void *y)
{
  const size_t e = dtype_size(dtype);
  int u, j;
  if (y != data) memmove(y, data, count * e);
  for (u = 0; u < num_updates; u++) {
    const int64_t *ix = indices + (size_t)u * depth;
    const char *src = (const char *)updates + (size_t)u * slice * e;
    char *dst;
    int64_t off = 0;
    for (j = 0; j < depth; j++) {
      int64_t i = ix[j] < 0 ? ix[j] + dims[j] : ix[j];
      if (i < 0 || i >= dims[j]) break;
      off = off * dims[j] + i;
    }
    if (j < depth) continue; /* out of range: skipped */
    dst = (char *)y + (size_t)off * slice * e;
    if (reduction == 0) {
      memcpy(dst, src, slice * e);
      continue;
    }
    switch (dtype) {
    case PARE_F32: SCATTER_COMBINE(float);
    case PARE_F64: SCATTER_COMBINE(double);
    case PARE_I64: SCATTER_COMBINE(int64_t);
    case PARE_I32: SCATTER_COMBINE(int32_t);
    case PARE_I16: SCATTER_COMBINE(int16_t);
    case PARE_U16: SCATTER_COMBINE(uint16_t);
    case PARE_I8: SCATTER_COMBINE(int8_t);
    case PARE_U8: SCATTER_COMBINE(uint8_t);
    case PARE_BOOL: {
      /* add and max are logical or, mul and min logical and */
      uint8_t *o = (uint8_t *)dst;
      const uint8_t *v = (const uint8_t *)src;
      size_t k;
      for (k = 0; k < slice; k++)
        o[k] = (uint8_t)(reduction == 1 || reduction == 3 ? (o[k] | v[k]) : (o[k] & v[k]));
      break;
    }
    }
  }
}

/* ------------------------------------------------------- temporal shift --
 * Frame `src` (-1: none, the zero value) of each channel group. */

/* The source frame of channel groups A ([0, fold)) and B ([fold, 2 fold),
 * bidirectional only) for frame f (t = f % frames inside its clip);
 * bidirectional 2 swaps the groups' directions. */
static void ts_sources(int f, int frames, int bidirectional, int *src_a, int *src_b)
{
  const int t = f % frames;
  if (bidirectional == 2) {
    *src_a = t > 0 ? f - 1 : -1;
    *src_b = t + 1 < frames ? f + 1 : -1;
  } else if (bidirectional) {
    *src_a = t + 1 < frames ? f + 1 : -1;
    *src_b = t > 0 ? f - 1 : -1;
  } else {
    *src_a = t > 0 ? f - 1 : -1;
    *src_b = -1;
  }
}

/* n elements from src, or the zero value when src is NULL. */
static void ts_copy(char *dst, const char *src, size_t es, size_t n, const void *zero)
{
  if (n == 0) return;
  if (src)
    memcpy(dst, src, n * es);
  else
    fill_value(dst, es, zero, (ptrdiff_t)n);
}

/* The channels_last pixels [p0, p0 + np) of frame f into dst (np * channels
 * elements): x is the whole tensor, frame_elems its elements per frame. */
static void ts_pixels(size_t es, const char *x, char *dst, int f, int frames,
                      size_t frame_elems, size_t p0, size_t np, int channels,
                      int fold, int bidirectional, const void *zero)
{
  int src_a, src_b;
  const size_t c = (size_t)channels, k = (size_t)fold;
  const size_t moved = bidirectional ? 2 * k : k;
  const char *base = x + (size_t)f * frame_elems * es;
  const char *a, *b;
  size_t p;
  ts_sources(f, frames, bidirectional, &src_a, &src_b);
  a = src_a >= 0 ? x + (size_t)src_a * frame_elems * es : NULL;
  b = src_b >= 0 ? x + (size_t)src_b * frame_elems * es : NULL;
  for (p = p0; p < p0 + np; p++) {
    const size_t off = p * c * es;
    char *d = dst + (p - p0) * c * es;
    ts_copy(d, a ? a + off : NULL, es, k, zero);
    if (bidirectional)
      ts_copy(d + k * es, b ? b + off + k * es : NULL, es, k, zero);
    ts_copy(d + moved * es, base + off + moved * es, es, c - moved, zero);
  }
}

void pare_temporal_shift(size_t elem_size, const void *x, void *y,
                         int frames_total, int frames, int channels,
                         size_t inner, int fold, int bidirectional,
                         int channels_last, const void *zero)
{
  const size_t es = elem_size, c = (size_t)channels, k = (size_t)fold;
  const size_t moved = bidirectional ? 2 * k : k;
  const size_t frame_elems = c * inner;
  const char *xs = (const char *)x;
  char *ys = (char *)y;
  int f;
  if (frames < 1) return;
  for (f = 0; f < frames_total; f++) {
    char *yf = ys + (size_t)f * frame_elems * es;
    if (channels_last) {
      ts_pixels(es, xs, yf, f, frames, frame_elems, 0, inner, channels, fold,
                bidirectional, zero);
    } else {
      int src_a, src_b;
      const char *xf = xs + (size_t)f * frame_elems * es;
      ts_sources(f, frames, bidirectional, &src_a, &src_b);
      /* [channels][inner]: each channel group is one contiguous block. */
      ts_copy(yf, src_a >= 0 ? xs + (size_t)src_a * frame_elems * es : NULL, es,
              k * inner, zero);
      if (bidirectional)
        ts_copy(yf + k * inner * es,
                src_b >= 0 ? xs + ((size_t)src_b * frame_elems + k * inner) * es : NULL,
                es, k * inner, zero);
      ts_copy(yf + moved * inner * es, xf + moved * inner * es, es, (c - moved) * inner,
              zero);
    }
  }
}

/* y = the state's n elements, state = x's (y == x: swapped). */
static void ts_exchange(char *y, const char *x, char *state, size_t bytes)
{
  size_t i;
  if (y == x) {
    for (i = 0; i < bytes; i++) {
      const char t = y[i];
      y[i] = state[i];
      state[i] = t;
    }
    return;
  }
  memcpy(y, state, bytes);
  memcpy(state, x, bytes);
}

void pare_temporal_shift_step(size_t elem_size, const void *x, void *y,
                              void *state, int batch, int channels,
                              size_t inner, int fold, int channels_last)
{
  const size_t es = elem_size, c = (size_t)channels, k = (size_t)fold;
  const char *xs = (const char *)x;
  char *ys = (char *)y, *st = (char *)state;
  size_t b, p;
  for (b = 0; b < (size_t)batch; b++) {
    const size_t frame = b * c * inner;
    if (channels_last) {
      for (p = 0; p < inner; p++) {
        const size_t off = (frame + p * c) * es;
        if (ys != xs)
          memcpy(ys + off + k * es, xs + off + k * es, (c - k) * es);
        ts_exchange(ys + off, xs + off, st + (b * inner + p) * k * es, k * es);
      }
    } else {
      const size_t off = frame * es;
      if (ys != xs)
        memcpy(ys + off + k * inner * es, xs + off + k * inner * es, (c - k) * inner * es);
      ts_exchange(ys + off, xs + off, st + b * k * inner * es, k * inner * es);
    }
  }
}

void pare_temporal_shift_row(size_t elem_size, const void *x, void *out,
                             int frame, int frames, int height, int width,
                             int channels, int row, int fold,
                             int bidirectional, const void *zero)
{
  const size_t w = (size_t)width;
  if (frames < 1) return;
  ts_pixels(elem_size, (const char *)x, (char *)out, frame, frames,
            (size_t)height * w * (size_t)channels, (size_t)row * w, w, channels, fold,
            bidirectional, zero);
}
