/*
 * pare int8 kernels: the extern, shape-generic instances of the bodies in
 * pare_k_s8_impl.h (contract and design notes in pare_kernels_s8.h).
 */
#define PARE_S8_OUTLINE_BLOCKS 1
#include "pare_k_s8_impl.h"

void pare_conv2d_s8(const int8_t *x, int n, int ih, int iw, int ic, int32_t x_zp,
                    const int8_t *w, const int32_t *bias, const int32_t *mult, const int32_t *shift,
                    int32_t y_zp, int32_t act_min, int32_t act_max,
                    int8_t *y, int oh, int ow, int oc, int kh, int kw, int stride_h, int stride_w,
                    int dil_h, int dil_w, int pad_top, int pad_left, int16_t *scratch)
{
  /* A few common shapes get their own instance (the fast-path tests and the
   * index arithmetic fold), as CMSIS-NN has dedicated 1x1 / 3x3 kernels. */
  const int full = act_min == -128 && act_max == 127;
  if (kh == 1 && kw == 1 && stride_h == 1 && stride_w == 1 && pad_top == 0 && pad_left == 0 &&
      oh == ih && ow == iw) {
    if (full)
      pare_conv2d_s8_impl(x, n, ih, iw, ic, x_zp, w, bias, mult, shift, y_zp, -128, 127, y, ih, iw,
                          oc, 1, 1, 1, 1, 1, 1, 0, 0, scratch);
    else
      pare_conv2d_s8_impl(x, n, ih, iw, ic, x_zp, w, bias, mult, shift, y_zp, act_min, act_max, y,
                          ih, iw, oc, 1, 1, 1, 1, 1, 1, 0, 0, scratch);
  } else if (kh == 3 && kw == 3 && dil_h == 1 && dil_w == 1 && full) {
    pare_conv2d_s8_impl(x, n, ih, iw, ic, x_zp, w, bias, mult, shift, y_zp, -128, 127, y, oh, ow,
                        oc, 3, 3, stride_h, stride_w, 1, 1, pad_top, pad_left, scratch);
  } else if (kh == 3 && kw == 3 && dil_h == 1 && dil_w == 1) {
    pare_conv2d_s8_impl(x, n, ih, iw, ic, x_zp, w, bias, mult, shift, y_zp, act_min, act_max, y,
                        oh, ow, oc, 3, 3, stride_h, stride_w, 1, 1, pad_top, pad_left, scratch);
  } else {
    pare_conv2d_s8_impl(x, n, ih, iw, ic, x_zp, w, bias, mult, shift, y_zp, act_min, act_max, y,
                        oh, ow, oc, kh, kw, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left,
                        scratch);
  }
}

void pare_depthwise_conv2d_s8(const int8_t *x, int n, int ih, int iw, int c, int32_t x_zp,
                    const int8_t *w, const int32_t *bias, const int32_t *mult, const int32_t *shift,
                    int32_t y_zp, int32_t act_min, int32_t act_max,
                    int8_t *y, int oh, int ow, int kh, int kw, int stride_h, int stride_w,
                    int dil_h, int dil_w, int pad_top, int pad_left, int16_t *scratch)
{
  if (kh == 3 && kw == 3 && dil_h == 1 && dil_w == 1 && act_min == -128 && act_max == 127)
    pare_depthwise_conv2d_s8_impl(x, n, ih, iw, c, x_zp, w, bias, mult, shift, y_zp, -128, 127, y,
                                  oh, ow, 3, 3, stride_h, stride_w, 1, 1, pad_top, pad_left, scratch);
  else if (kh == 3 && kw == 3 && dil_h == 1 && dil_w == 1)
    pare_depthwise_conv2d_s8_impl(x, n, ih, iw, c, x_zp, w, bias, mult, shift, y_zp, act_min,
                                  act_max, y, oh, ow, 3, 3, stride_h, stride_w, 1, 1, pad_top,
                                  pad_left, scratch);
  else
    pare_depthwise_conv2d_s8_impl(x, n, ih, iw, c, x_zp, w, bias, mult, shift, y_zp, act_min,
                                  act_max, y, oh, ow, kh, kw, stride_h, stride_w, dil_h, dil_w,
                                  pad_top, pad_left, scratch);
}

/* The in-place depthwise instances are separate functions (each body gets its
 * own register allocation). */
#if defined(__GNUC__) || defined(__clang__)
#define PARE_S8_NOINLINE static __attribute__((noinline))
#else
#define PARE_S8_NOINLINE static
#endif

#define PARE_S8_DWI_INSTANCE(NAME, KH, KW, SH, SW, DH, DW, LO, HI)                                       \
  PARE_S8_NOINLINE void NAME(const int8_t *x, int n, int ih, int iw, int c, int32_t x_zp,          \
                             const int8_t *w, const int32_t *bias, const int32_t *mult,             \
                             const int32_t *shift, int32_t y_zp, int32_t act_min, int32_t act_max,  \
                             int8_t *y, int oh, int ow, int kh, int kw, int stride_h, int stride_w, \
                             int dil_h, int dil_w, int pad_top, int pad_left, int16_t *scratch)     \
  {                                                                                                 \
    (void)kh;                                                                                       \
    (void)kw;                                                                                       \
    (void)stride_h;                                                                                 \
    (void)stride_w;                                                                                 \
    (void)dil_h;                                                                                    \
    (void)dil_w;                                                                                    \
    (void)act_min;                                                                                  \
    (void)act_max;                                                                                  \
    pare_depthwise_conv2d_s8_inplace_impl(x, n, ih, iw, c, x_zp, w, bias, mult, shift, y_zp,        \
                                          LO, HI, y, oh, ow, KH, KW, SH, SW, DH, DW,                \
                                          pad_top, pad_left, scratch);                              \
  }

PARE_S8_DWI_INSTANCE(pare_s8_dwi_3x3s1, 3, 3, 1, 1, 1, 1, act_min, act_max)
PARE_S8_DWI_INSTANCE(pare_s8_dwi_3x3s2, 3, 3, 2, 2, 1, 1, act_min, act_max)
PARE_S8_DWI_INSTANCE(pare_s8_dwi_3x3s1_full, 3, 3, 1, 1, 1, 1, -128, 127)
PARE_S8_DWI_INSTANCE(pare_s8_dwi_3x3s2_full, 3, 3, 2, 2, 1, 1, -128, 127)
PARE_S8_DWI_INSTANCE(pare_s8_dwi_5x5s1, 5, 5, 1, 1, 1, 1, act_min, act_max)
PARE_S8_DWI_INSTANCE(pare_s8_dwi_5x5s2, 5, 5, 2, 2, 1, 1, act_min, act_max)
PARE_S8_DWI_INSTANCE(pare_s8_dwi_any, kh, kw, stride_h, stride_w, dil_h, dil_w, act_min, act_max)

void pare_depthwise_conv2d_s8_inplace(const int8_t *x, int n, int ih, int iw, int c, int32_t x_zp,
                    const int8_t *w, const int32_t *bias, const int32_t *mult, const int32_t *shift,
                    int32_t y_zp, int32_t act_min, int32_t act_max,
                    int8_t *y, int oh, int ow, int kh, int kw, int stride_h, int stride_w,
                    int dil_h, int dil_w, int pad_top, int pad_left, int16_t *scratch)
{
  /* 3x3 (also with act range [-128, 127]) and 5x5 at stride 1 and 2 get
   * their own instances (the tap loops unroll, a 3x3's weights are hoisted
   * out of the pixel loop); anything else runs the shape-generic one. */
  void (*f)(const int8_t *, int, int, int, int, int32_t, const int8_t *, const int32_t *,
            const int32_t *, const int32_t *, int32_t, int32_t, int32_t, int8_t *, int, int, int,
            int, int, int, int, int, int, int, int16_t *) = pare_s8_dwi_any;
  const int s1 = stride_h == 1 && stride_w == 1, s2 = stride_h == 2 && stride_w == 2;
  const int full = act_min == -128 && act_max == 127; /* no fused activation: one SSAT */
  if (dil_h == 1 && dil_w == 1 && kh == 3 && kw == 3 && full)
    f = s1 ? pare_s8_dwi_3x3s1_full : s2 ? pare_s8_dwi_3x3s2_full : f;
  else if (dil_h == 1 && dil_w == 1 && kh == 3 && kw == 3)
    f = s1 ? pare_s8_dwi_3x3s1 : s2 ? pare_s8_dwi_3x3s2 : f;
  else if (dil_h == 1 && dil_w == 1 && kh == 5 && kw == 5)
    f = s1 ? pare_s8_dwi_5x5s1 : s2 ? pare_s8_dwi_5x5s2 : f;
  f(x, n, ih, iw, c, x_zp, w, bias, mult, shift, y_zp, act_min, act_max, y, oh, ow, kh, kw,
    stride_h, stride_w, dil_h, dil_w, pad_top, pad_left, scratch);
}

void pare_fully_connected_s8(const int8_t *x, int rows, int k, int32_t x_zp,
                    const int8_t *w, const int32_t *bias, const int32_t *mult, const int32_t *shift, int per_channel,
                    int32_t y_zp, int32_t act_min, int32_t act_max, int8_t *y, int n)
{
  if (act_min == -128 && act_max == 127)
    pare_fully_connected_s8_impl(x, rows, k, x_zp, w, bias, mult, shift, per_channel, y_zp, -128,
                                 127, y, n);
  else
    pare_fully_connected_s8_impl(x, rows, k, x_zp, w, bias, mult, shift, per_channel, y_zp,
                                 act_min, act_max, y, n);
}

/* The ONNX-rounding forms: the same instances as their TFLite forms. */
void pare_conv2d_s8_onnx(const int8_t *x, int n, int ih, int iw, int ic, int32_t x_zp,
                         const int8_t *w, const int32_t *bias, const float *scale,
                         int32_t y_zp, int32_t act_min, int32_t act_max,
                         int8_t *y, int oh, int ow, int oc, int kh, int kw, int stride_h, int stride_w,
                         int dil_h, int dil_w, int pad_top, int pad_left, int16_t *scratch)
{
  if (kh == 1 && kw == 1 && stride_h == 1 && stride_w == 1 && pad_top == 0 && pad_left == 0 &&
      oh == ih && ow == iw)
    pare_conv2d_s8_onnx_impl(x, n, ih, iw, ic, x_zp, w, bias, scale, y_zp, act_min, act_max, y, ih,
                             iw, oc, 1, 1, 1, 1, 1, 1, 0, 0, scratch);
  else if (kh == 3 && kw == 3 && dil_h == 1 && dil_w == 1)
    pare_conv2d_s8_onnx_impl(x, n, ih, iw, ic, x_zp, w, bias, scale, y_zp, act_min, act_max, y, oh,
                             ow, oc, 3, 3, stride_h, stride_w, 1, 1, pad_top, pad_left, scratch);
  else
    pare_conv2d_s8_onnx_impl(x, n, ih, iw, ic, x_zp, w, bias, scale, y_zp, act_min, act_max, y, oh,
                             ow, oc, kh, kw, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left,
                             scratch);
}

#define PARE_S8_DWI_ONNX_INSTANCE(NAME, KH, KW, SH, SW)                                           \
  PARE_S8_NOINLINE void NAME(const int8_t *x, int n, int ih, int iw, int c, int32_t x_zp,          \
                             const int8_t *w, const int32_t *bias, const float *scale,              \
                             int32_t y_zp, int32_t act_min, int32_t act_max, int8_t *y, int oh,     \
                             int ow, int pad_top, int pad_left, int16_t *scratch)                   \
  {                                                                                                 \
    pare_depthwise_conv2d_s8_inplace_onnx_impl(x, n, ih, iw, c, x_zp, w, bias, scale, y_zp,         \
                                               act_min, act_max, y, oh, ow, KH, KW, SH, SW, 1, 1,   \
                                               pad_top, pad_left, scratch);                         \
  }

PARE_S8_DWI_ONNX_INSTANCE(pare_s8_dwi_onnx_3x3s1, 3, 3, 1, 1)
PARE_S8_DWI_ONNX_INSTANCE(pare_s8_dwi_onnx_3x3s2, 3, 3, 2, 2)

void pare_depthwise_conv2d_s8_inplace_onnx(const int8_t *x, int n, int ih, int iw, int c, int32_t x_zp,
                         const int8_t *w, const int32_t *bias, const float *scale,
                         int32_t y_zp, int32_t act_min, int32_t act_max,
                         int8_t *y, int oh, int ow, int kh, int kw, int stride_h, int stride_w,
                         int dil_h, int dil_w, int pad_top, int pad_left, int16_t *scratch)
{
  const int s1 = stride_h == 1 && stride_w == 1, s2 = stride_h == 2 && stride_w == 2;
  if (dil_h == 1 && dil_w == 1 && kh == 3 && kw == 3 && (s1 || s2))
    (s1 ? pare_s8_dwi_onnx_3x3s1 : pare_s8_dwi_onnx_3x3s2)(x, n, ih, iw, c, x_zp, w, bias, scale,
                                                           y_zp, act_min, act_max, y, oh, ow,
                                                           pad_top, pad_left, scratch);
  else
    pare_depthwise_conv2d_s8_inplace_onnx_impl(x, n, ih, iw, c, x_zp, w, bias, scale, y_zp, act_min,
                                               act_max, y, oh, ow, kh, kw, stride_h, stride_w,
                                               dil_h, dil_w, pad_top, pad_left, scratch);
}

void pare_fully_connected_s8_onnx(const int8_t *x, int rows, int k, int32_t x_zp,
                         const int8_t *w, const int32_t *bias, const float *scale, int per_channel,
                         int32_t y_zp, int32_t act_min, int32_t act_max, int8_t *y, int n)
{
  pare_fully_connected_s8_onnx_impl(x, rows, k, x_zp, w, bias, scale, per_channel, y_zp, act_min,
                                    act_max, y, n);
}

void pare_add_s8(const int8_t *a, const int32_t *a_strides, const int8_t *b, const int32_t *b_strides,
                 int8_t *y, const int32_t *shape, int rank, int32_t left_shift,
                 int32_t a_zp, int32_t a_mult, int32_t a_shift, int32_t b_zp, int32_t b_mult, int32_t b_shift,
                 int32_t y_zp, int32_t y_mult, int32_t y_shift, int32_t act_min, int32_t act_max)
{
  pare_add_s8_impl(a, a_strides, b, b_strides, y, shape, rank, left_shift, a_zp, a_mult, a_shift,
                   b_zp, b_mult, b_shift, y_zp, y_mult, y_shift, act_min, act_max);
}

void pare_mul_s8(const int8_t *a, const int32_t *a_strides, const int8_t *b, const int32_t *b_strides,
                 int8_t *y, const int32_t *shape, int rank, int32_t a_zp, int32_t b_zp,
                 int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max)
{
  pare_mul_s8_impl(a, a_strides, b, b_strides, y, shape, rank, a_zp, b_zp, mult, shift, y_zp,
                   act_min, act_max);
}

void pare_add_s8_onnx(const int8_t *a, const int32_t *a_strides, const int8_t *b, const int32_t *b_strides,
                      int8_t *y, const int32_t *shape, int rank, float a_ratio, int32_t a_zp,
                      float b_ratio, int32_t b_zp, int32_t y_zp, int32_t act_min, int32_t act_max)
{
  pare_add_s8_onnx_impl(a, a_strides, b, b_strides, y, shape, rank, a_ratio, a_zp, b_ratio, b_zp,
                        y_zp, act_min, act_max);
}

void pare_mul_s8_onnx(const int8_t *a, const int32_t *a_strides, const int8_t *b, const int32_t *b_strides,
                      int8_t *y, const int32_t *shape, int rank, int32_t a_zp, int32_t b_zp,
                      float ratio, int32_t y_zp, int32_t act_min, int32_t act_max)
{
  pare_mul_s8_onnx_impl(a, a_strides, b, b_strides, y, shape, rank, a_zp, b_zp, ratio, y_zp,
                        act_min, act_max);
}

void pare_softmax_s8_onnx(const int8_t *x, int8_t *y, int outer, int d, int inner, const float *table,
                          float y_scale_floor, int32_t y_zp)
{
  pare_softmax_s8_onnx_impl(x, y, outer, d, inner, table, y_scale_floor, y_zp);
}

void pare_avgpool2d_s8_onnx(const int8_t *x, int n, int ih, int iw, int c, int8_t *y, int oh, int ow,
                            int kh, int kw, int stride_h, int stride_w, int pad_top, int pad_left,
                            int count_include_pad, int32_t x_zp, float x_scale, float y_scale, int32_t y_zp,
                            int32_t act_min, int32_t act_max)
{
  pare_avgpool2d_s8_onnx_impl(x, n, ih, iw, c, y, oh, ow, kh, kw, stride_h, stride_w, pad_top,
                              pad_left, count_include_pad, x_zp, x_scale, y_scale, y_zp, act_min,
                              act_max);
}

void pare_global_avgpool_s8_onnx(const int8_t *x, int n, int spatial, int c, int32_t x_zp, float scale,
                                 int32_t y_zp, int8_t *y)
{
  pare_global_avgpool_s8_onnx_impl(x, n, spatial, c, x_zp, scale, y_zp, y);
}

void pare_maxpool2d_s8(const int8_t *x, int n, int ih, int iw, int c, int8_t *y, int oh, int ow,
                       int kh, int kw, int stride_h, int stride_w, int pad_top, int pad_left,
                       int pad_bottom, int pad_right, int32_t act_min, int32_t act_max)
{
  pare_maxpool2d_s8_impl(x, n, ih, iw, c, y, oh, ow, kh, kw, stride_h, stride_w, pad_top, pad_left,
                         pad_bottom, pad_right, act_min, act_max);
}

void pare_avgpool2d_s8(const int8_t *x, int n, int ih, int iw, int c, int8_t *y, int oh, int ow,
                       int kh, int kw, int stride_h, int stride_w, int pad_top, int pad_left,
                       int pad_bottom, int pad_right, int count_include_pad, int32_t act_min, int32_t act_max)
{
  pare_avgpool2d_s8_impl(x, n, ih, iw, c, y, oh, ow, kh, kw, stride_h, stride_w, pad_top, pad_left,
                         pad_bottom, pad_right, count_include_pad, act_min, act_max);
}

void pare_global_avgpool_s8(const int8_t *x, int n, int spatial, int c, int32_t x_zp, int32_t mult, int32_t shift,
                            int32_t y_zp, int32_t act_min, int32_t act_max, int8_t *y, int32_t *scratch)
{
  pare_global_avgpool_s8_impl(x, n, spatial, c, x_zp, mult, shift, y_zp, act_min, act_max, y, scratch);
}

void pare_requantize_s8(const int8_t *x, int8_t *y, size_t count, int32_t x_zp, int32_t mult, int32_t shift, int32_t y_zp)
{
  pare_requantize_s8_impl(x, y, count, x_zp, mult, shift, y_zp);
}

void pare_lut_s8(const int8_t *x, int8_t *y, size_t count, const int8_t *table)
{
  pare_lut_s8_impl(x, y, count, table);
}

void pare_quantize_f32_s8(const float *x, int8_t *y, size_t count, float scale, int32_t zp)
{
  pare_quantize_f32_s8_impl(x, y, count, scale, zp);
}

void pare_dequantize_s8_f32(const int8_t *x, float *y, size_t count, float scale, int32_t zp)
{
  pare_dequantize_s8_f32_impl(x, y, count, scale, zp);
}

void pare_flip_u8_s8(const void *x, void *y, size_t count) { pare_flip_u8_s8_impl(x, y, count); }

/* One source coordinate of TFLite's integer bilinear resize
 * (ComputeInterpolationValuesInteger): *s in 10 fractional bits and its two
 * neighbours. */
static void resize_s8_coord(int32_t v, int32_t scale_10, int half_pixel_centers, int32_t in_size,
                            int32_t *s, int32_t *lo, int32_t *hi)
{
  int32_t l, h;
  *s = half_pixel_centers ? v * scale_10 + scale_10 / 2 - (1 << 9) : v * scale_10;
  l = *s / (1 << 10);
  h = (*s + (1 << 10) - 1) / (1 << 10);
  *lo = l > 0 ? l : 0;
  *hi = h < in_size - 1 ? h : in_size - 1;
}

void pare_resize_bilinear_s8(const int8_t *x, int8_t *y, int outer, int in_h, int in_w, int out_h,
                             int out_w, int inner, int32_t scale_h_10, int32_t scale_w_10,
                             int half_pixel_centers)
{
  int b, oy, ox, c;
  for (b = 0; b < outer; b++) {
    const int8_t *xb = x + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)inner;
    for (oy = 0; oy < out_h; oy++) {
      int32_t sy, y0, y1, wy1, wy0;
      resize_s8_coord(oy, scale_h_10, half_pixel_centers, in_h, &sy, &y0, &y1);
      wy1 = sy - (1 << 10) * y0;
      wy0 = (1 << 10) - wy1;
      for (ox = 0; ox < out_w; ox++) {
        int32_t sx, x0, x1, wx1, wx0;
        const int8_t *p00, *p01, *p10, *p11;
        resize_s8_coord(ox, scale_w_10, half_pixel_centers, in_w, &sx, &x0, &x1);
        wx1 = sx - (1 << 10) * x0;
        wx0 = (1 << 10) - wx1;
        p00 = xb + ((size_t)y0 * (size_t)in_w + (size_t)x0) * (size_t)inner;
        p01 = xb + ((size_t)y0 * (size_t)in_w + (size_t)x1) * (size_t)inner;
        p10 = xb + ((size_t)y1 * (size_t)in_w + (size_t)x0) * (size_t)inner;
        p11 = xb + ((size_t)y1 * (size_t)in_w + (size_t)x1) * (size_t)inner;
        for (c = 0; c < inner; c++) {
          /* TFLite sums in int64; int32 holds it: a weight is at most 1536 in
           * magnitude (a source coordinate > -512 clamped to 0) and each
           * pair sums to 1024, so |sum| <= 128 * 2048 * 2048 = 2^29. */
          int32_t acc = p00[c] * wy0 * wx0 + p10[c] * wy1 * wx0 + p01[c] * wy0 * wx1 +
                        p11[c] * wy1 * wx1;
          int32_t round = acc > 0 ? (1 << 19) : -(1 << 19);
          *y++ = (int8_t)((acc + round) / (1 << 20));
        }
      }
    }
  }
}

void pare_conv2d_acc_s8(const int8_t *x, int n, int ih, int iw, int ic, int32_t x_zp,
                        const int8_t *w, const int32_t *w_zp, int w_zp_count,
                        int32_t *acc, int oh, int ow, int oc, int kh, int kw, int stride_h, int stride_w,
                        int dil_h, int dil_w, int pad_top, int pad_left, int group)
{
  pare_conv2d_acc_s8_impl(x, n, ih, iw, ic, x_zp, w, w_zp, w_zp_count, acc, oh, ow, oc, kh, kw,
                          stride_h, stride_w, dil_h, dil_w, pad_top, pad_left, group);
}

void pare_matmul_acc_s8(const int8_t *a, int32_t a_zp, const int8_t *b, const int32_t *b_zp, int b_zp_count,
                        int32_t *y, int m, int n, int k, int a_rs, int a_cs, int b_rs, int b_cs,
                        const int32_t *batch_shape, int batch_rank,
                        const int32_t *a_bstrides, const int32_t *b_bstrides)
{
  pare_matmul_acc_s8_impl(a, a_zp, b, b_zp, b_zp_count, y, m, n, k, a_rs, a_cs, b_rs, b_cs,
                          batch_shape, batch_rank, a_bstrides, b_bstrides);
}

void pare_requantize_acc_s8(const int32_t *acc, const int32_t *bias, const float *scale, int scale_count,
                            int channels, size_t count, int32_t y_zp, int8_t *y)
{
  pare_requantize_acc_s8_impl(acc, bias, scale, scale_count, channels, count, y_zp, y);
}

/* Transposed convolution (TFLite TRANSPOSE_CONV, int8). TFLite scatters
 * (x - x_zp) * w into an int32 output-sized scratch buffer, then adds the
 * bias and requantizes; the sums are exact integers, so gathering them per
 * output value (every tap that reaches it, as pare_conv_transpose2d_f32
 * does) gives the same int32 and needs no scratch. */
void pare_conv_transpose2d_s8(const int8_t *x, int n, int ih, int iw, int ic, int32_t x_zp,
                              const int8_t *w, const int32_t *bias, const int32_t *mult,
                              const int32_t *shift, int32_t y_zp, int32_t act_min,
                              int32_t act_max, int8_t *y, int oh, int ow, int oc, int kh, int kw,
                              int stride_h, int stride_w, int dil_h, int dil_w, int pad_top,
                              int pad_left)
{
  const ptrdiff_t wcs = (ptrdiff_t)kh * kw * oc; /* weight step per input channel */
  int b, oy, ox, o, ky, kx, c;
  for (b = 0; b < n; b++)
    for (oy = 0; oy < oh; oy++)
      for (ox = 0; ox < ow; ox++) {
        int8_t *yp = y + (((size_t)b * oh + oy) * ow + ox) * oc;
        for (o = 0; o < oc; o++) {
          int32_t acc = 0;
          for (ky = 0; ky < kh; ky++) {
            int ty = oy + pad_top - ky * dil_h, iy = ty / stride_h;
            if (ty < 0 || ty % stride_h != 0 || iy >= ih)
              continue;
            for (kx = 0; kx < kw; kx++) {
              int tx = ox + pad_left - kx * dil_w, ix = tx / stride_w;
              const int8_t *xp, *wp;
              if (tx < 0 || tx % stride_w != 0 || ix >= iw)
                continue;
              xp = x + (((size_t)b * ih + iy) * iw + ix) * ic;
              wp = w + ((ptrdiff_t)ky * kw + kx) * oc + o;
              for (c = 0; c < ic; c++)
                acc += ((int32_t)xp[c] - x_zp) * (int32_t)wp[c * wcs];
            }
          }
          if (bias)
            acc += bias[o];
          yp[o] = (int8_t)pare_s8_clamp(pare_requantize(acc, mult[o], shift[o]) + y_zp, act_min,
                                        act_max);
        }
      }
}
