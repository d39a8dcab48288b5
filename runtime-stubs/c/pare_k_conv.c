/*
 * pare runtime kernels: convolution, depthwise convolution, matrix multiply
 * and pooling (float32, NHWC). Plain C99, no allocation, no intrinsics: the
 * inner loops are written so that an optimising compiler vectorises them.
 */
#include "pare_kernels.h"

#include <math.h>
#include <string.h>

/* Use a fused multiply-add where the target has a fast one (C99 defines
 * FP_FAST_FMAF then); otherwise a plain multiply and add. */
#ifdef FP_FAST_FMAF
#define FMA(a, b, c) fmaf((a), (b), (c))
#else
#define FMA(a, b, c) ((a) * (b) + (c))
#endif

/* Width of the partial-sum vectors in the dot-product kernels. */
#define LANES 8
/* Channel block of the depthwise kernel. */
#define DW_BLOCK 16
/* Most negative finite float: the value of an empty max-pool window. */
#define LOWEST_F32 (-3.40282347e+38f)

static int min_i(int a, int b) { return a < b ? a : b; }

/* ------------------------------------------------------ dot-product core --
 * A "patch" is what one output pixel of a convolution (or one row of A in a
 * matmul) reads: `nrow` kernel rows, each made of `ntap` contiguous runs of
 * `len` floats. The x and w addresses of run (r, t) are offset by
 * r*xrs + t*xts and r*wrs + t*wts from the pixel's / channel's base. */
typedef struct {
  int nrow;
  ptrdiff_t xrs, wrs;
  int ntap;
  ptrdiff_t xts, wts;
  int len;
} patch_t;

/* Sum of the LANES partial sums, as a halving tree (vectorisable, unlike a
 * sequential sum whose order the compiler must keep). */
static float hsum(float v[LANES])
{
  int j, w;
  for (w = LANES / 2; w > 0; w /= 2)
    for (j = 0; j < w; j++) v[j] += v[j + w];
  return v[0];
}

/* Partial sums of a block of 3 pixels x 4 output channels: LANES-wide
 * vectors for the body of the runs, scalars for their tails. */
typedef struct {
  float v[3][4][LANES];
  float t[3][4];
} acc3x4_t;

/* Adds the products of one run of `len` floats to acc: pixel p's run at
 * x + p*xps, channel o's at w[o]. The sums live in locals during the loop
 * so that the compiler keeps them in (vector) registers. */
static void run_3x4(const float *x, ptrdiff_t xps, const float *const w[4],
                    int len, acc3x4_t *acc)
{
  float s[3][4][LANES], t[3][4];
  const float *x0 = x, *x1 = x + xps, *x2 = x + 2 * xps;
  const float *w0 = w[0], *w1 = w[1], *w2 = w[2], *w3 = w[3];
  int k, j;
  memcpy(s, acc->v, sizeof s);
  for (k = 0; k + LANES <= len; k += LANES) {
    for (j = 0; j < LANES; j++) {
      float a0 = x0[k + j], a1 = x1[k + j], a2 = x2[k + j];
      float b0 = w0[k + j], b1 = w1[k + j], b2 = w2[k + j], b3 = w3[k + j];
      s[0][0][j] = FMA(a0, b0, s[0][0][j]);
      s[0][1][j] = FMA(a0, b1, s[0][1][j]);
      s[0][2][j] = FMA(a0, b2, s[0][2][j]);
      s[0][3][j] = FMA(a0, b3, s[0][3][j]);
      s[1][0][j] = FMA(a1, b0, s[1][0][j]);
      s[1][1][j] = FMA(a1, b1, s[1][1][j]);
      s[1][2][j] = FMA(a1, b2, s[1][2][j]);
      s[1][3][j] = FMA(a1, b3, s[1][3][j]);
      s[2][0][j] = FMA(a2, b0, s[2][0][j]);
      s[2][1][j] = FMA(a2, b1, s[2][1][j]);
      s[2][2][j] = FMA(a2, b2, s[2][2][j]);
      s[2][3][j] = FMA(a2, b3, s[2][3][j]);
    }
  }
  memcpy(acc->v, s, sizeof s);
  if (k == len) return;
  memcpy(t, acc->t, sizeof t);
  for (; k < len; k++) {
    float a0 = x0[k], a1 = x1[k], a2 = x2[k];
    float b0 = w0[k], b1 = w1[k], b2 = w2[k], b3 = w3[k];
    t[0][0] = FMA(a0, b0, t[0][0]);
    t[0][1] = FMA(a0, b1, t[0][1]);
    t[0][2] = FMA(a0, b2, t[0][2]);
    t[0][3] = FMA(a0, b3, t[0][3]);
    t[1][0] = FMA(a1, b0, t[1][0]);
    t[1][1] = FMA(a1, b1, t[1][1]);
    t[1][2] = FMA(a1, b2, t[1][2]);
    t[1][3] = FMA(a1, b3, t[1][3]);
    t[2][0] = FMA(a2, b0, t[2][0]);
    t[2][1] = FMA(a2, b1, t[2][1]);
    t[2][2] = FMA(a2, b2, t[2][2]);
    t[2][3] = FMA(a2, b3, t[2][3]);
  }
  memcpy(acc->t, t, sizeof t);
}

/* Partial sums of a block of 1 pixel x 4 output channels. */
typedef struct {
  float v[4][LANES];
  float t[4];
} acc1x4_t;

/* run_3x4 for a single pixel. */
static void run_1x4(const float *x, const float *const w[4], int len,
                    acc1x4_t *acc)
{
  float s[4][LANES], t[4];
  const float *w0 = w[0], *w1 = w[1], *w2 = w[2], *w3 = w[3];
  int k, j;
  memcpy(s, acc->v, sizeof s);
  for (k = 0; k + LANES <= len; k += LANES) {
    for (j = 0; j < LANES; j++) {
      float a = x[k + j];
      s[0][j] = FMA(a, w0[k + j], s[0][j]);
      s[1][j] = FMA(a, w1[k + j], s[1][j]);
      s[2][j] = FMA(a, w2[k + j], s[2][j]);
      s[3][j] = FMA(a, w3[k + j], s[3][j]);
    }
  }
  memcpy(acc->v, s, sizeof s);
  memcpy(t, acc->t, sizeof t);
  for (; k < len; k++) {
    float a = x[k];
    t[0] = FMA(a, w0[k], t[0]);
    t[1] = FMA(a, w1[k], t[1]);
    t[2] = FMA(a, w2[k], t[2]);
    t[3] = FMA(a, w3[k], t[3]);
  }
  memcpy(acc->t, t, sizeof t);
}

/* out[p*4 + o] = dot(patch of pixel p, weights of channel o) for 3 pixels
 * (pixel p's patch at x + p*xps) and 4 output channels (weights at wp[o]). */
static void dot_3x4(const float *x, ptrdiff_t xps, const float *const wp[4],
                    const patch_t *g, float out[12])
{
  acc3x4_t acc;
  int r, tp, p, o;
  memset(&acc, 0, sizeof acc);
  for (r = 0; r < g->nrow; r++)
    for (tp = 0; tp < g->ntap; tp++) {
      ptrdiff_t xo = r * g->xrs + tp * g->xts, wo = r * g->wrs + tp * g->wts;
      const float *w[4];
      for (o = 0; o < 4; o++) w[o] = wp[o] + wo;
      run_3x4(x + xo, xps, w, g->len, &acc);
    }
  for (p = 0; p < 3; p++)
    for (o = 0; o < 4; o++) out[p * 4 + o] = acc.t[p][o] + hsum(acc.v[p][o]);
}

/* dot_3x4 for a single pixel. */
static void dot_1x4(const float *x, const float *const wp[4], const patch_t *g,
                    float out[4])
{
  acc1x4_t acc;
  int r, tp, o;
  memset(&acc, 0, sizeof acc);
  for (r = 0; r < g->nrow; r++)
    for (tp = 0; tp < g->ntap; tp++) {
      ptrdiff_t xo = r * g->xrs + tp * g->xts, wo = r * g->wrs + tp * g->wts;
      const float *w[4];
      for (o = 0; o < 4; o++) w[o] = wp[o] + wo;
      run_1x4(x + xo, w, g->len, &acc);
    }
  for (o = 0; o < 4; o++) out[o] = acc.t[o] + hsum(acc.v[o]);
}

/* Writes an np x no block of dot products plus bias into y. */
static void store_block(float *y, ptrdiff_t yps, int np, int no,
                        const float *out, const float *bias)
{
  int p, o;
  for (p = 0; p < np; p++)
    for (o = 0; o < no; o++)
      y[p * yps + o] = out[p * 4 + o] + (bias ? bias[o] : 0.0f);
}

/* For `np` pixels (pixel p reads its patch at x + p*xps and writes y + p*yps)
 * and `ocn` output channels (channel o's weights at w + o*wos), computes
 * y[p][o] = bias[o] + dot(patch, weights). Output channels are the outer
 * loop so that a block of 4 channels' weights stays in cache while the
 * pixels stream past. A partial channel block repeats its last channel
 * (not stored); a leftover pair of pixels is done as the last full block of
 * 3, recomputing one pixel. */
static void conv_run(const float *x, ptrdiff_t xps, int np,
                     const float *w, ptrdiff_t wos, int ocn, const float *bias,
                     float *y, ptrdiff_t yps, const patch_t *g)
{
  int o, p, i;
  float out[12];
  for (o = 0; o < ocn; o += 4) {
    int no = min_i(4, ocn - o);
    const float *wp[4];
    const float *bo = bias ? bias + o : NULL;
    for (i = 0; i < 4; i++) wp[i] = w + (ptrdiff_t)(o + min_i(i, no - 1)) * wos;
    for (p = 0; p + 3 <= np; p += 3) {
      dot_3x4(x + p * xps, xps, wp, g, out);
      store_block(y + p * yps + o, yps, 3, no, out, bo);
    }
    if (np - p == 2 && np >= 3) p = np - 3;
    for (; p + 3 <= np; p += 3) {
      dot_3x4(x + p * xps, xps, wp, g, out);
      store_block(y + p * yps + o, yps, 3, no, out, bo);
    }
    for (; p < np; p++) {
      dot_1x4(x + p * xps, wp, g, out);
      store_block(y + p * yps + o, yps, 1, no, out, bo);
    }
  }
}

/* y[p][0..ocn) = bias (or 0), for output pixels that see no input. */
static void fill_bias(float *y, const float *bias, int ocn)
{
  if (bias)
    memcpy(y, bias, (size_t)ocn * sizeof(float));
  else
    memset(y, 0, (size_t)ocn * sizeof(float));
}

/* Valid kernel taps [*k0, *k1) for a window starting at input coordinate
 * `start` with dilation `dil`, over an input of size `size`. */
static void valid_taps(int start, int k, int dil, int size, int *k0, int *k1)
{
  int lo = start < 0 ? (-start + dil - 1) / dil : 0;
  int hi = start > size - 1 ? 0 : min_i(k, (size - 1 - start) / dil + 1);
  *k0 = lo;
  *k1 = hi > lo ? hi : lo;
}

void pare_conv2d_f32(const float *x, int n, int ih, int iw, int ic,
                     const float *w, const float *bias,
                     float *y, int oh, int ow, int oc,
                     int kh, int kw, int stride_h, int stride_w,
                     int dil_h, int dil_w, int pad_top, int pad_left,
                     int group, pare_act_t act, float act_a, float act_b)
{
  const int icg = ic / group, ocg = oc / group;
  const ptrdiff_t wos = (ptrdiff_t)kh * kw * icg;
  const int runs_merge = dil_w == 1 && group == 1; /* a kernel row is one run */
  int b, oy, ox, gi, ox_lo, ox_hi;
  patch_t g;

  if (kh == 1 && kw == 1 && stride_h == 1 && stride_w == 1 && pad_top == 0 &&
      pad_left == 0 && group == 1 && oh == ih && ow == iw) {
    /* Pointwise: a GEMM over all pixels, in tiles of about 16 KiB of input. */
    const ptrdiff_t npix = (ptrdiff_t)n * ih * iw;
    const int tile = ic >= 1365 ? 3 : (4096 / ic) / 3 * 3;
    ptrdiff_t p0;
    g.nrow = 1; g.xrs = 0; g.wrs = 0;
    g.ntap = 1; g.xts = 0; g.wts = 0;
    g.len = ic;
    for (p0 = 0; p0 < npix; p0 += tile) {
      int np = (int)(npix - p0 < tile ? npix - p0 : tile);
      float *yt = y + p0 * oc;
      conv_run(x + p0 * ic, ic, np, w, wos, oc, bias, yt, oc, &g);
      pare_activation_f32(yt, yt, (size_t)np * (size_t)oc, act, act_a, act_b);
    }
    return;
  }

  /* Output columns whose whole window lies inside the input: [ox_lo, ox_hi). */
  ox_lo = (pad_left + stride_w - 1) / stride_w;
  {
    int last = iw - 1 + pad_left - (kw - 1) * dil_w;
    ox_hi = last < 0 ? 0 : min_i(ow, last / stride_w + 1);
  }
  if (ox_lo > ow) ox_lo = ow;
  if (ox_hi < ox_lo) ox_hi = ox_lo;

  g.xrs = (ptrdiff_t)dil_h * iw * ic;
  g.wrs = (ptrdiff_t)kw * icg;
  for (b = 0; b < n; b++) {
    const float *xb = x + (size_t)b * ih * iw * ic;
    for (oy = 0; oy < oh; oy++) {
      int iy0 = oy * stride_h - pad_top, r0, r1;
      float *yrow = y + ((size_t)b * oh + oy) * ow * oc;
      valid_taps(iy0, kh, dil_h, ih, &r0, &r1);
      g.nrow = r1 - r0;
      for (gi = 0; gi < group; gi++) {
        const float *wg = w + (ptrdiff_t)gi * ocg * wos + (ptrdiff_t)r0 * kw * icg;
        const float *bg = bias ? bias + gi * ocg : NULL;
        const float *xr = xb + ((ptrdiff_t)(iy0 + r0 * dil_h) * iw) * ic + gi * icg;
        float *yg = yrow + gi * ocg;
        for (ox = 0; ox < ow; ox++) {
          int ix0 = ox * stride_w - pad_left, s0, s1, np = 1;
          if (ox == ox_lo && ox_hi > ox_lo) {
            s0 = 0;
            s1 = kw;
            np = ox_hi - ox_lo;
          } else {
            valid_taps(ix0, kw, dil_w, iw, &s0, &s1);
          }
          if (g.nrow <= 0 || s1 <= s0) {
            fill_bias(yg + (ptrdiff_t)ox * oc, bg, ocg);
            continue;
          }
          if (runs_merge) {
            g.ntap = 1; g.xts = 0; g.wts = 0;
            g.len = (s1 - s0) * ic;
          } else {
            g.ntap = s1 - s0;
            g.xts = (ptrdiff_t)dil_w * ic;
            g.wts = icg;
            g.len = icg;
          }
          conv_run(xr + (ptrdiff_t)(ix0 + s0 * dil_w) * ic, (ptrdiff_t)stride_w * ic,
                   np, wg + (ptrdiff_t)s0 * icg, wos, ocg, bg,
                   yg + (ptrdiff_t)ox * oc, oc, &g);
          ox += np - 1;
        }
      }
      pare_activation_f32(yrow, yrow, (size_t)ow * oc, act, act_a, act_b);
    }
  }
}

/* ------------------------------------------------------------ depthwise -- */

/* One output pixel of a depthwise convolution over `c` channels:
 * y[ch] = bias[ch] + sum over the nrow x ntap valid taps of x * w. */
static void dw_pixel(const float *restrict x, ptrdiff_t xrs, ptrdiff_t xts,
                     const float *restrict w, ptrdiff_t wrs, ptrdiff_t wts,
                     int nrow, int ntap, int c, const float *restrict bias,
                     float *restrict y)
{
  int c0, r, t, j;
  for (c0 = 0; c0 + DW_BLOCK <= c; c0 += DW_BLOCK) {
    float acc[DW_BLOCK];
    for (j = 0; j < DW_BLOCK; j++) acc[j] = bias ? bias[c0 + j] : 0.0f;
    for (r = 0; r < nrow; r++)
      for (t = 0; t < ntap; t++) {
        const float *xp = x + r * xrs + t * xts + c0;
        const float *wp = w + r * wrs + t * wts + c0;
        for (j = 0; j < DW_BLOCK; j++) acc[j] = FMA(xp[j], wp[j], acc[j]);
      }
    for (j = 0; j < DW_BLOCK; j++) y[c0 + j] = acc[j];
  }
  for (; c0 < c; c0++) {
    float acc = bias ? bias[c0] : 0.0f;
    for (r = 0; r < nrow; r++)
      for (t = 0; t < ntap; t++)
        acc = FMA(x[r * xrs + t * xts + c0], w[r * wrs + t * wts + c0], acc);
    y[c0] = acc;
  }
}

void pare_depthwise_conv2d_f32(const float *x, int n, int ih, int iw, int c,
                               const float *w, const float *bias,
                               float *y, int oh, int ow,
                               int kh, int kw, int stride_h, int stride_w,
                               int dil_h, int dil_w, int pad_top, int pad_left,
                               pare_act_t act, float act_a, float act_b)
{
  const ptrdiff_t xrs = (ptrdiff_t)dil_h * iw * c, xts = (ptrdiff_t)dil_w * c;
  const ptrdiff_t wrs = (ptrdiff_t)kw * c;
  int b, oy, ox;
  for (b = 0; b < n; b++) {
    const float *xb = x + (size_t)b * ih * iw * c;
    for (oy = 0; oy < oh; oy++) {
      int iy0 = oy * stride_h - pad_top, r0, r1;
      float *yrow = y + ((size_t)b * oh + oy) * ow * c;
      valid_taps(iy0, kh, dil_h, ih, &r0, &r1);
      for (ox = 0; ox < ow; ox++) {
        int ix0 = ox * stride_w - pad_left, s0, s1;
        valid_taps(ix0, kw, dil_w, iw, &s0, &s1);
        if (r1 <= r0 || s1 <= s0) {
          fill_bias(yrow + (ptrdiff_t)ox * c, bias, c);
          continue;
        }
        dw_pixel(xb + ((ptrdiff_t)(iy0 + r0 * dil_h) * iw + ix0 + s0 * dil_w) * c,
                 xrs, xts, w + ((ptrdiff_t)r0 * kw + s0) * c, wrs, c,
                 r1 - r0, s1 - s0, c, bias, yrow + (ptrdiff_t)ox * c);
      }
      pare_activation_f32(yrow, yrow, (size_t)ow * c, act, act_a, act_b);
    }
  }
}

/* --------------------------------------------------------------- matmul -- */

/* Width of the column panel of the row-major-B kernel. */
#define NN_COLS 16

/* y rows i < nr (nr <= 4, row i at y + i*n) of a 16-column panel, for B
 * row-major: y[i][j] = sum_k A(i,k) * b[k*b_rs + j]. Missing rows repeat the
 * last A row and are not stored. */
static void mm_nn_panel(const float *a, ptrdiff_t a_rs, ptrdiff_t a_cs, int nr,
                        const float *restrict b, ptrdiff_t b_rs, int k,
                        float *restrict y, ptrdiff_t n)
{
  float s[4][NN_COLS];
  const float *a0 = a, *a1 = a + min_i(1, nr - 1) * a_rs,
              *a2 = a + min_i(2, nr - 1) * a_rs, *a3 = a + min_i(3, nr - 1) * a_rs;
  int kk, j, i;
  memset(s, 0, sizeof s);
  for (kk = 0; kk < k; kk++) {
    const float *bk = b + kk * b_rs;
    float p0 = a0[kk * a_cs], p1 = a1[kk * a_cs], p2 = a2[kk * a_cs],
          p3 = a3[kk * a_cs];
    for (j = 0; j < NN_COLS; j++) {
      float q = bk[j];
      s[0][j] = FMA(p0, q, s[0][j]);
      s[1][j] = FMA(p1, q, s[1][j]);
      s[2][j] = FMA(p2, q, s[2][j]);
      s[3][j] = FMA(p3, q, s[3][j]);
    }
  }
  for (i = 0; i < nr; i++) memcpy(y + i * n, s[i], sizeof s[i]);
}

/* Plain strided reference loop, for the column tail and unusual layouts. */
static void mm_generic(const float *a, ptrdiff_t a_rs, ptrdiff_t a_cs,
                       const float *b, ptrdiff_t b_rs, ptrdiff_t b_cs,
                       float *y, int m, int n, int j0, int k)
{
  int i, j, kk;
  for (i = 0; i < m; i++)
    for (j = j0; j < n; j++) {
      float s = 0.0f;
      for (kk = 0; kk < k; kk++) s = FMA(a[i * a_rs + kk * a_cs], b[kk * b_rs + j * b_cs], s);
      y[(ptrdiff_t)i * n + j] = s;
    }
}

/* y[m][n] = A B for one matrix pair. */
static void mm_single(const float *a, const float *b, float *y, int m, int n,
                      int k, ptrdiff_t a_rs, ptrdiff_t a_cs, ptrdiff_t b_rs,
                      ptrdiff_t b_cs)
{
  if (b_cs == 1 && n >= NN_COLS) {
    int j0, i0;
    for (j0 = 0; j0 + NN_COLS <= n; j0 += NN_COLS)
      for (i0 = 0; i0 < m; i0 += 4)
        mm_nn_panel(a + i0 * a_rs, a_rs, a_cs, min_i(4, m - i0), b + j0, b_rs, k,
                    y + (ptrdiff_t)i0 * n + j0, n);
    mm_generic(a, a_rs, a_cs, b, b_rs, b_cs, y, m, n, j0, k);
  } else if (b_rs == 1 && a_cs == 1) {
    /* B stored as [n][k]: every output is a dot product of two contiguous
     * rows, the same shape of work as a pointwise convolution. */
    patch_t g;
    g.nrow = 1; g.xrs = 0; g.wrs = 0;
    g.ntap = 1; g.xts = 0; g.wts = 0;
    g.len = k;
    conv_run(a, a_rs, m, b, b_cs, n, NULL, y, n, &g);
  } else {
    mm_generic(a, a_rs, a_cs, b, b_rs, b_cs, y, m, n, 0, k);
  }
}

void pare_matmul_f32(const float *a, const float *b, const float *c, float *y,
                     int m, int n, int k,
                     int a_rs, int a_cs, int b_rs, int b_cs, int c_rs, int c_cs,
                     const int32_t *batch_shape, int batch_rank,
                     const int32_t *a_bstrides, const int32_t *b_bstrides,
                     float alpha, float beta,
                     pare_act_t act, float act_a, float act_b)
{
  int32_t idx[PARE_MAX_RANK];
  ptrdiff_t aoff = 0, boff = 0, nbatch = 1, bi;
  const size_t mn = (size_t)m * (size_t)n;
  int d, i, j;

  for (d = 0; d < batch_rank; d++) {
    nbatch *= batch_shape[d];
    idx[d] = 0;
  }
  for (bi = 0; bi < nbatch; bi++) {
    float *yb = y + (size_t)bi * mn;
    mm_single(a + aoff, b + boff, yb, m, n, k, a_rs, a_cs, b_rs, b_cs);
    if (alpha != 1.0f || (c && beta != 0.0f)) {
      for (i = 0; i < m; i++) {
        float *yr = yb + (size_t)i * n;
        if (c && beta != 0.0f) {
          const float *cr = c + (ptrdiff_t)i * c_rs;
          for (j = 0; j < n; j++) yr[j] = alpha * yr[j] + beta * cr[j * c_cs];
        } else {
          for (j = 0; j < n; j++) yr[j] *= alpha;
        }
      }
    }
    pare_activation_f32(yb, yb, mn, act, act_a, act_b);
    /* Next batch index (row-major), updating the input offsets. */
    for (d = batch_rank - 1; d >= 0; d--) {
      aoff += a_bstrides[d];
      boff += b_bstrides[d];
      if (++idx[d] < batch_shape[d]) break;
      aoff -= (ptrdiff_t)a_bstrides[d] * batch_shape[d];
      boff -= (ptrdiff_t)b_bstrides[d] * batch_shape[d];
      idx[d] = 0;
    }
  }
}

/* -------------------------------------------------------------- pooling -- */

void pare_maxpool2d_f32(const float *x, int n, int ih, int iw, int c,
                        float *y, int oh, int ow, int kh, int kw,
                        int stride_h, int stride_w, int dil_h, int dil_w,
                        int pad_top, int pad_left, int pad_bottom, int pad_right)
{
  int b, oy, ox, r, s, ch, r0, r1, s0, s1;
  (void)pad_bottom; /* windows are clipped to the input, padding never wins */
  (void)pad_right;
  for (b = 0; b < n; b++)
    for (oy = 0; oy < oh; oy++) {
      int iy0 = oy * stride_h - pad_top;
      valid_taps(iy0, kh, dil_h, ih, &r0, &r1);
      for (ox = 0; ox < ow; ox++) {
        int ix0 = ox * stride_w - pad_left;
        float *yp = y + (((size_t)b * oh + oy) * ow + ox) * c;
        valid_taps(ix0, kw, dil_w, iw, &s0, &s1);
        for (ch = 0; ch < c; ch++) yp[ch] = LOWEST_F32;
        for (r = r0; r < r1; r++)
          for (s = s0; s < s1; s++) {
            const float *xp =
                x + (((size_t)b * ih + iy0 + r * dil_h) * iw + ix0 + s * dil_w) * c;
            for (ch = 0; ch < c; ch++) yp[ch] = xp[ch] > yp[ch] ? xp[ch] : yp[ch];
          }
      }
    }
}

/* Number of taps k < kn with start + k*dil in [lo, hi). */
static int taps_in(int start, int kn, int dil, int lo, int hi)
{
  int k, cnt = 0;
  for (k = 0; k < kn; k++) {
    int v = start + k * dil;
    cnt += v >= lo && v < hi;
  }
  return cnt;
}

void pare_avgpool2d_f32(const float *x, int n, int ih, int iw, int c,
                        float *y, int oh, int ow, int kh, int kw,
                        int stride_h, int stride_w, int dil_h, int dil_w,
                        int pad_top, int pad_left, int pad_bottom, int pad_right,
                        int count_include_pad)
{
  int b, oy, ox, r, s, ch, r0, r1, s0, s1;
  for (b = 0; b < n; b++)
    for (oy = 0; oy < oh; oy++) {
      int iy0 = oy * stride_h - pad_top;
      int rows_padded = taps_in(iy0, kh, dil_h, -pad_top, ih + pad_bottom);
      valid_taps(iy0, kh, dil_h, ih, &r0, &r1);
      for (ox = 0; ox < ow; ox++) {
        int ix0 = ox * stride_w - pad_left, cnt;
        float *yp = y + (((size_t)b * oh + oy) * ow + ox) * c;
        float scale;
        valid_taps(ix0, kw, dil_w, iw, &s0, &s1);
        if (count_include_pad)
          cnt = rows_padded * taps_in(ix0, kw, dil_w, -pad_left, iw + pad_right);
        else
          cnt = (r1 - r0) * (s1 - s0);
        scale = cnt > 0 ? 1.0f / (float)cnt : 0.0f;
        memset(yp, 0, (size_t)c * sizeof(float));
        for (r = r0; r < r1; r++)
          for (s = s0; s < s1; s++) {
            const float *xp =
                x + (((size_t)b * ih + iy0 + r * dil_h) * iw + ix0 + s * dil_w) * c;
            for (ch = 0; ch < c; ch++) yp[ch] += xp[ch];
          }
        for (ch = 0; ch < c; ch++) yp[ch] *= scale;
      }
    }
}

void pare_global_avgpool_f32(const float *x, int n, int spatial, int c, float *y)
{
  int b, p, ch;
  const float scale = spatial > 0 ? 1.0f / (float)spatial : 0.0f;
  for (b = 0; b < n; b++) {
    const float *xb = x + (size_t)b * spatial * c;
    float *yb = y + (size_t)b * c;
    memset(yb, 0, (size_t)c * sizeof(float));
    for (p = 0; p < spatial; p++)
      for (ch = 0; ch < c; ch++) yb[ch] += xb[(size_t)p * c + ch];
    for (ch = 0; ch < c; ch++) yb[ch] *= scale;
  }
}

void pare_global_maxpool_f32(const float *x, int n, int spatial, int c, float *y)
{
  int b, p, ch;
  for (b = 0; b < n; b++) {
    const float *xb = x + (size_t)b * spatial * c;
    float *yb = y + (size_t)b * c;
    for (ch = 0; ch < c; ch++) yb[ch] = LOWEST_F32;
    for (p = 0; p < spatial; p++)
      for (ch = 0; ch < c; ch++) {
        float v = xb[(size_t)p * c + ch];
        yb[ch] = v > yb[ch] ? v : yb[ch];
      }
  }
}
