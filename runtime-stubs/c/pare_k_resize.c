/*
 * pare runtime kernels: resize (ONNX Resize / Upsample). Plain C99, no
 * allocation.
 *
 * The compiler computes, for every dim, the input coordinates ("taps") each
 * output coordinate reads and their weights (dialects/Pare/IR/ResizeTaps.cpp:
 * ONNX's coordinate transformations, nearest rounding, linear, cubic and
 * antialias filters), so these kernels are weighted gathers that know
 * nothing of the modes.
 */
#include "pare_kernels.h"

#include <string.h>

/* Input strides (elements) of the dims, and the number of output positions
 * (the output's elements divided by inner). */
static size_t resize_strides(const pare_resize_dim_t *dims, int rank, int inner, size_t *stride)
{
  size_t s = (size_t)inner, positions = 1;
  int d;
  for (d = rank - 1; d >= 0; d--) {
    stride[d] = s;
    s *= (size_t)dims[d].in_size;
    positions *= (size_t)dims[d].out_size;
  }
  return positions;
}

/* Advances the output coordinate `coord` (row-major odometer). */
static void resize_next(const pare_resize_dim_t *dims, int rank, int32_t *coord)
{
  int d;
  for (d = rank - 1; d >= 0; d--) {
    if (++coord[d] < dims[d].out_size)
      return;
    coord[d] = 0;
  }
}

/* Whether output coordinate `coord` lies outside tf_crop_and_resize's crop
 * on some dim. */
static int resize_outside(const pare_resize_dim_t *dims, int rank, const int32_t *coord)
{
  int d;
  for (d = 0; d < rank; d++)
    if (dims[d].taps > 0 && dims[d].index[(size_t)coord[d] * (size_t)dims[d].taps] < 0)
      return 1;
  return 0;
}

void pare_resize_f32(const float *x, float *y, const pare_resize_dim_t *dims, int rank,
                     int inner, float extrapolation)
{
  size_t stride[PARE_MAX_RANK];
  int32_t coord[PARE_MAX_RANK], tap[PARE_MAX_RANK];
  size_t positions = resize_strides(dims, rank, inner, stride), p;
  int c, d;
  for (d = 0; d < rank; d++)
    coord[d] = 0;
  for (p = 0; p < positions; p++, y += inner) {
    if (resize_outside(dims, rank, coord)) {
      for (c = 0; c < inner; c++)
        y[c] = extrapolation;
      resize_next(dims, rank, coord);
      continue;
    }
    for (c = 0; c < inner; c++)
      y[c] = 0.0f;
    for (d = 0; d < rank; d++)
      tap[d] = 0;
    /* Every combination of one tap per interpolated dim. */
    for (;;) {
      float w = 1.0f;
      size_t off = 0;
      for (d = 0; d < rank; d++) {
        if (dims[d].taps == 0) {
          off += (size_t)coord[d] * stride[d];
        } else {
          size_t k = (size_t)coord[d] * (size_t)dims[d].taps + (size_t)tap[d];
          off += (size_t)dims[d].index[k] * stride[d];
          w *= dims[d].weight[k];
        }
      }
      if (w != 0.0f) {
        const float *xs = x + off;
        for (c = 0; c < inner; c++)
          y[c] += w * xs[c];
      }
      for (d = rank - 1; d >= 0; d--) {
        if (++tap[d] < dims[d].taps)
          break;
        tap[d] = 0;
      }
      if (d < 0)
        break;
    }
    resize_next(dims, rank, coord);
  }
}

void pare_resize_nearest(size_t elem_size, const void *x, void *y, const pare_resize_dim_t *dims,
                         int rank, int inner, const void *extrapolation)
{
  size_t stride[PARE_MAX_RANK];
  int32_t coord[PARE_MAX_RANK];
  size_t positions = resize_strides(dims, rank, inner, stride), p;
  size_t row = (size_t)inner * elem_size;
  const char *xb = (const char *)x;
  char *yb = (char *)y;
  int c, d;
  for (d = 0; d < rank; d++)
    coord[d] = 0;
  for (p = 0; p < positions; p++, yb += row) {
    if (resize_outside(dims, rank, coord)) {
      for (c = 0; c < inner; c++)
        memcpy(yb + (size_t)c * elem_size, extrapolation, elem_size);
    } else {
      size_t off = 0;
      for (d = 0; d < rank; d++) {
        size_t i = dims[d].taps == 0 ? (size_t)coord[d] : (size_t)dims[d].index[coord[d]];
        off += i * stride[d];
      }
      memcpy(yb, xb + off * elem_size, row);
    }
    resize_next(dims, rank, coord);
  }
}
