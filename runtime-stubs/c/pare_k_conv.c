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

/* Channel block and pixel block of the depthwise kernel. */
#define DW_BLOCK 16
#define DW_PB 4
/* Most negative finite float: the value of an empty max-pool window. */
#define LOWEST_F32 (-3.40282347e+38f)

static int min_i(int a, int b) { return a < b ? a : b; }

/* y[0..ocn) = bias (or 0), for output pixels that see no input. */
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

/* ------------------------------------------------------------ conv core --
 * Convolution (and matmul with B stored as [n][k]) runs as an "indirect"
 * GEMM. For a tile of output pixels and a block of CONV_OB output channels,
 * the weights of one kernel tap and up to PARE_CONV_KC input channels are
 * transposed into a small stack buffer wt[k][CONV_OB]; then each group of
 * CONV_PB pixels accumulates y[p][o] += x_p[k] * wt[k][o], an outer product
 * whose inner loop over o is contiguous and vectorises, with the partial sums
 * in registers. Taps that fall into the padding read a static row of zeros
 * instead of branching. */

/* Input channels packed per step; the stack buffer is PARE_CONV_KC *
 * CONV_OB floats (2 KiB by default). Define it smaller for tiny stacks. */
#ifndef PARE_CONV_KC
#define PARE_CONV_KC 32
#endif
#define CONV_OB 16   /* output channels per block */
#define CONV_PB 6    /* pixels per micro-kernel call */
#define CONV_TILE 60 /* most output pixels per tile (a multiple of CONV_PB) */

/* Stands in for input runs that lie in the padding, and for a NULL bias. */
static const float zero_row[PARE_CONV_KC > CONV_OB ? PARE_CONV_KC : CONV_OB];

/* One convolution (one image, one group) in the form the core runs. */
typedef struct {
  const float *x;     /* input image, offset to the group's first channel */
  int ih, iw;
  ptrdiff_t xps;      /* elements between horizontally adjacent pixels */
  int kh, kw, sh, sw, dh, dw, pt, pl;
  int ow;             /* output width: pixel q is at (q / ow, q % ow) */
  int kin;            /* input channels per tap, contiguous */
  const float *w;     /* weights [oc][kh][kw][kin], channel stride wos */
  ptrdiff_t wos;
  const float *bias;  /* [oc] or NULL */
  float *y;           /* output pixel q at y + q * yps */
  ptrdiff_t yps;
  int oc;
  int npix;           /* output pixels */
  pare_act_t act;     /* applied per tile when yps == oc (else NONE) */
  float act_a, act_b;
} conv_job_t;

/* y_p[o] += sum_k x_p[k] * wt[k][o] for CONV_PB pixels and CONV_OB output
 * channels. Written out per pixel so that the compiler keeps the sums in
 * vector registers and broadcasts each x_p[k]. */
static void conv_ukernel(const float *const xp[CONV_PB], const float *restrict wt,
                         int kc, float *const yp[CONV_PB])
{
  float s[CONV_PB][CONV_OB];
  int k, p, o;
  for (p = 0; p < CONV_PB; p++) memcpy(s[p], yp[p], sizeof s[p]);
  for (k = 0; k < kc; k++) {
    const float *wk = wt + k * CONV_OB;
    const float a0 = xp[0][k], a1 = xp[1][k], a2 = xp[2][k], a3 = xp[3][k],
                a4 = xp[4][k], a5 = xp[5][k];
    for (o = 0; o < CONV_OB; o++) {
      const float b = wk[o];
      s[0][o] = FMA(a0, b, s[0][o]);
      s[1][o] = FMA(a1, b, s[1][o]);
      s[2][o] = FMA(a2, b, s[2][o]);
      s[3][o] = FMA(a3, b, s[3][o]);
      s[4][o] = FMA(a4, b, s[4][o]);
      s[5][o] = FMA(a5, b, s[5][o]);
    }
  }
  for (p = 0; p < CONV_PB; p++) memcpy(yp[p], s[p], sizeof s[p]);
}

/* conv_ukernel for the first 8 output channels only (wt rows still have
 * CONV_OB entries): half the work for blocks of at most 8 channels. */
static void conv_ukernel8(const float *const xp[CONV_PB], const float *restrict wt,
                          int kc, float *const yp[CONV_PB])
{
  float s[CONV_PB][8];
  int k, p, o;
  for (p = 0; p < CONV_PB; p++) memcpy(s[p], yp[p], sizeof s[p]);
  for (k = 0; k < kc; k++) {
    const float *wk = wt + k * CONV_OB;
    const float a0 = xp[0][k], a1 = xp[1][k], a2 = xp[2][k], a3 = xp[3][k],
                a4 = xp[4][k], a5 = xp[5][k];
    for (o = 0; o < 8; o++) {
      const float b = wk[o];
      s[0][o] = FMA(a0, b, s[0][o]);
      s[1][o] = FMA(a1, b, s[1][o]);
      s[2][o] = FMA(a2, b, s[2][o]);
      s[3][o] = FMA(a3, b, s[3][o]);
      s[4][o] = FMA(a4, b, s[4][o]);
      s[5][o] = FMA(a5, b, s[5][o]);
    }
  }
  for (p = 0; p < CONV_PB; p++) memcpy(yp[p], s[p], sizeof s[p]);
}

/* Runs the micro-kernel on one block of pixels and `no` output channels.
 * Widths other than 8 and CONV_OB go through a full-width copy of the
 * outputs (wt is zero beyond `no`). */
static void conv_block(const float *const xp[CONV_PB], const float *wt, int kc,
                       float *const yp[CONV_PB], int no)
{
  float buf[CONV_PB][CONV_OB];
  float *bp[CONV_PB];
  int p;
  if (no == CONV_OB) {
    conv_ukernel(xp, wt, kc, yp);
  } else if (no == 8) {
    conv_ukernel8(xp, wt, kc, yp);
  } else {
    memset(buf, 0, sizeof buf);
    for (p = 0; p < CONV_PB; p++) {
      memcpy(buf[p], yp[p], (size_t)no * sizeof(float));
      bp[p] = buf[p];
    }
    if (no < 8)
      conv_ukernel8(xp, wt, kc, bp);
    else
      conv_ukernel(xp, wt, kc, bp);
    for (p = 0; p < CONV_PB; p++) memcpy(yp[p], buf[p], (size_t)no * sizeof(float));
  }
}

/* Transposes the weights of `no` output channels (channel o's run of kc
 * floats at w + o*wos) into wt[k][CONV_OB], zero beyond `no`. */
static void pack_weights(float *restrict wt, const float *restrict w,
                         ptrdiff_t wos, int kc, int no)
{
  int o, k;
  for (o = 0; o < CONV_OB; o++)
    for (k = 0; k < kc; k++) wt[k * CONV_OB + o] = o < no ? w[o * wos + k] : 0.0f;
}

/* Runs a conv_job_t. Pixels are processed in tiles of at most CONV_TILE.
 * When the taps of a kernel row are contiguous in x (no horizontal
 * dilation, all channels in one group) a whole kernel row is one run of
 * kw * kin floats ("merged"); pixel blocks at the left / right border, whose
 * windows are partly in the padding, split such a run back into taps. */
static void conv_run(const conv_job_t *j)
{
  float wt[PARE_CONV_KC * CONV_OB];
  int iy0[CONV_TILE], ix0[CONV_TILE];
  const int merged = j->dw == 1 && j->xps == j->kin && j->kw > 1;
  const int nseg = merged ? 1 : j->kw, ntap = merged ? j->kw : 1;
  const int seglen = ntap * j->kin;
  const int ntiles = (j->npix + CONV_TILE - 1) / CONV_TILE;
  const int tsize = ntiles > 0 ? ((j->npix + ntiles - 1) / ntiles + CONV_PB - 1) /
                                     CONV_PB * CONV_PB : 0;
  int q0, t, o0, r, sg, e0, p, s;
  for (q0 = 0; q0 < j->npix; q0 += tsize) {
    const int nt = min_i(tsize, j->npix - q0);
    for (t = 0; t < nt; t++) {
      iy0[t] = (q0 + t) / j->ow * j->sh - j->pt;
      ix0[t] = (q0 + t) % j->ow * j->sw - j->pl;
    }
    for (o0 = 0; o0 < j->oc; o0 += CONV_OB) {
      const int no = min_i(CONV_OB, j->oc - o0);
      for (t = 0; t < nt; t++) { /* constant-size copies compile to moves */
        float *yt = j->y + (ptrdiff_t)(q0 + t) * j->yps + o0;
        const float *src = j->bias ? j->bias + o0 : zero_row;
        if (no == CONV_OB)
          memcpy(yt, src, CONV_OB * sizeof(float));
        else
          memcpy(yt, src, (size_t)no * sizeof(float));
      }
      for (r = 0; r < j->kh; r++)
        for (sg = 0; sg < nseg; sg++)
          for (e0 = 0; e0 < seglen; e0 += PARE_CONV_KC) {
            const int kc = min_i(PARE_CONV_KC, seglen - e0);
            pack_weights(wt, j->w + (ptrdiff_t)o0 * j->wos +
                                 ((ptrdiff_t)r * j->kw + sg) * j->kin + e0,
                         j->wos, kc, no);
            for (t = 0; t < nt; t += CONV_PB) {
              const float *xp[CONV_PB];
              float *yp[CONV_PB];
              ptrdiff_t off[CONV_PB]; /* x offset of the run's start */
              int ixs[CONV_PB], seen[CONV_PB], full = 0, partial = 0;
              for (p = 0; p < CONV_PB; p++) {
                const int tt = min_i(t + p, nt - 1); /* repeat the last pixel */
                const int iy = iy0[tt] + r * j->dh;
                ixs[p] = ix0[tt] + sg * j->dw;
                yp[p] = j->y + (ptrdiff_t)(q0 + tt) * j->yps + o0;
                seen[p] = 0;
                if (iy < 0 || iy >= j->ih || ixs[p] + ntap - 1 < 0 || ixs[p] >= j->iw)
                  continue; /* the whole run is padding */
                off[p] = ((ptrdiff_t)iy * j->iw + ixs[p]) * j->xps + e0;
                seen[p] = 1;
                if (ixs[p] >= 0 && ixs[p] + ntap - 1 < j->iw)
                  full = 1;
                else
                  partial = 1;
              }
              if (!partial) {
                if (!full) continue;
                for (p = 0; p < CONV_PB; p++) xp[p] = seen[p] ? j->x + off[p] : zero_row;
                conv_block(xp, wt, kc, yp, no);
                continue;
              }
              /* Some window is cut by the padding: one call per tap. */
              for (s = e0 / j->kin; s * j->kin < e0 + kc; s++) {
                const int u0 = (s * j->kin > e0 ? s * j->kin : e0) - e0;
                const int u1 = min_i((s + 1) * j->kin, e0 + kc) - e0;
                for (p = 0; p < CONV_PB; p++)
                  xp[p] = seen[p] && ixs[p] + s >= 0 && ixs[p] + s < j->iw
                              ? j->x + (off[p] + u0)
                              : zero_row;
                conv_block(xp, wt + u0 * CONV_OB, u1 - u0, yp, no);
              }
            }
          }
    }
    if (j->act != PARE_ACT_NONE) {
      float *yt = j->y + (ptrdiff_t)q0 * j->yps;
      pare_activation_f32(yt, yt, (size_t)nt * (size_t)j->yps, j->act, j->act_a,
                          j->act_b);
    }
  }
}

void pare_conv2d_f32(const float *x, int n, int ih, int iw, int ic,
                     const float *w, const float *bias,
                     float *y, int oh, int ow, int oc,
                     int kh, int kw, int stride_h, int stride_w,
                     int dil_h, int dil_w, int pad_top, int pad_left,
                     int group, pare_act_t act, float act_a, float act_b)
{
  const int icg = ic / group, ocg = oc / group;
  const size_t in_size = (size_t)ih * iw * ic, out_size = (size_t)oh * ow * oc;
  conv_job_t j;
  int b, g;
  j.ih = ih; j.iw = iw; j.xps = ic;
  j.kh = kh; j.kw = kw; j.sh = stride_h; j.sw = stride_w;
  j.dh = dil_h; j.dw = dil_w; j.pt = pad_top; j.pl = pad_left;
  j.ow = ow; j.kin = icg;
  j.wos = (ptrdiff_t)kh * kw * icg;
  j.yps = oc; j.oc = ocg; j.npix = oh * ow;
  /* With groups the activation waits until every group has been written. */
  j.act = group == 1 ? act : PARE_ACT_NONE;
  j.act_a = act_a; j.act_b = act_b;
  for (b = 0; b < n; b++) {
    for (g = 0; g < group; g++) {
      j.x = x + b * in_size + (size_t)g * icg;
      j.w = w + (size_t)g * ocg * j.wos;
      j.bias = bias ? bias + g * ocg : NULL;
      j.y = y + b * out_size + (size_t)g * ocg;
      conv_run(&j);
    }
    if (group != 1)
      pare_activation_f32(y + b * out_size, y + b * out_size, out_size, act,
                          act_a, act_b);
  }
}

/* ------------------------------------------------------------ depthwise -- */

/* One output pixel of a depthwise convolution over `c` channels:
 * y[ch] = bias[ch] + sum over the nrow x ntap taps of x * w. */
static void dw_pixel(const float *restrict x, ptrdiff_t xrs, ptrdiff_t xts,
                     const float *restrict w, ptrdiff_t wrs, int nrow, int ntap,
                     int c, const float *restrict bias, float *restrict y)
{
  int c0, r, t, j;
  for (c0 = 0; c0 + DW_BLOCK <= c; c0 += DW_BLOCK) {
    float acc[DW_BLOCK];
    for (j = 0; j < DW_BLOCK; j++) acc[j] = bias ? bias[c0 + j] : 0.0f;
    for (r = 0; r < nrow; r++)
      for (t = 0; t < ntap; t++) {
        const float *xp = x + r * xrs + t * xts + c0;
        const float *wp = w + r * wrs + (ptrdiff_t)t * c + c0;
        for (j = 0; j < DW_BLOCK; j++) acc[j] = FMA(xp[j], wp[j], acc[j]);
      }
    memcpy(y + c0, acc, sizeof acc);
  }
  for (; c0 < c; c0++) {
    float acc = bias ? bias[c0] : 0.0f;
    for (r = 0; r < nrow; r++)
      for (t = 0; t < ntap; t++)
        acc = FMA(x[r * xrs + t * xts + c0], w[r * wrs + (ptrdiff_t)t * c + c0], acc);
    y[c0] = acc;
  }
}

/* Up to DW_PB output pixels of a depthwise convolution that see the same
 * nrow x ntap window of taps: pixel p reads x + p*xps and writes y + p*c,
 * y[ch] = bias[ch] + sum over the taps of x * w. The pixels share each
 * weight load; missing pixels of a partial block repeat the last one. */
static void dw_pixels(const float *x, ptrdiff_t xps, int np, ptrdiff_t xrs,
                      ptrdiff_t xts, const float *w, ptrdiff_t wrs, int nrow,
                      int ntap, int c, const float *bias, float *y)
{
  const float *xq[DW_PB];
  float *yq[DW_PB];
  int c0, r, t, j, p;
  for (p = 0; p < DW_PB; p++) {
    xq[p] = x + min_i(p, np - 1) * xps;
    yq[p] = y + (ptrdiff_t)min_i(p, np - 1) * c;
  }
  for (c0 = 0; c0 + DW_BLOCK <= c; c0 += DW_BLOCK) {
    float s0[DW_BLOCK], s1[DW_BLOCK], s2[DW_BLOCK], s3[DW_BLOCK];
    for (j = 0; j < DW_BLOCK; j++)
      s0[j] = s1[j] = s2[j] = s3[j] = bias ? bias[c0 + j] : 0.0f;
    for (r = 0; r < nrow; r++)
      for (t = 0; t < ntap; t++) {
        const ptrdiff_t off = r * xrs + t * xts + c0;
        const float *x0 = xq[0] + off, *x1 = xq[1] + off, *x2 = xq[2] + off,
                    *x3 = xq[3] + off;
        const float *wp = w + r * wrs + (ptrdiff_t)t * c + c0;
        for (j = 0; j < DW_BLOCK; j++) {
          const float b = wp[j];
          s0[j] = FMA(x0[j], b, s0[j]);
          s1[j] = FMA(x1[j], b, s1[j]);
          s2[j] = FMA(x2[j], b, s2[j]);
          s3[j] = FMA(x3[j], b, s3[j]);
        }
      }
    memcpy(yq[0] + c0, s0, sizeof s0);
    memcpy(yq[1] + c0, s1, sizeof s1);
    memcpy(yq[2] + c0, s2, sizeof s2);
    memcpy(yq[3] + c0, s3, sizeof s3);
  }
  for (; c0 < c; c0++)
    for (p = 0; p < np; p++) {
      float acc = bias ? bias[c0] : 0.0f;
      for (r = 0; r < nrow; r++)
        for (t = 0; t < ntap; t++)
          acc = FMA(xq[p][r * xrs + t * xts + c0], w[r * wrs + (ptrdiff_t)t * c + c0], acc);
      yq[p][c0] = acc;
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
      for (ox = 0; ox < ow;) {
        int ix0 = ox * stride_w - pad_left, s0, s1, np = 1;
        valid_taps(ix0, kw, dil_w, iw, &s0, &s1);
        if (r1 <= r0 || s1 <= s0) {
          fill_bias(yrow + (ptrdiff_t)ox * c, bias, c);
          ox++;
          continue;
        }
        /* Group neighbours whose window is whole, like this pixel's. */
        if (s0 == 0 && s1 == kw)
          while (np < DW_PB && ox + np < ow &&
                 ix0 + np * stride_w + (kw - 1) * dil_w < iw)
            np++;
        {
          const float *xp =
              xb + ((ptrdiff_t)(iy0 + r0 * dil_h) * iw + ix0 + s0 * dil_w) * c;
          const float *wp = w + ((ptrdiff_t)r0 * kw + s0) * c;
          if (np == 1)
            dw_pixel(xp, xrs, xts, wp, wrs, r1 - r0, s1 - s0, c, bias,
                     yrow + (ptrdiff_t)ox * c);
          else
            dw_pixels(xp, (ptrdiff_t)stride_w * c, np, xrs, xts, wp, wrs, r1 - r0,
                      s1 - s0, c, bias, yrow + (ptrdiff_t)ox * c);
        }
        ox += np;
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
    /* B stored as [n][k]: the same work as a pointwise convolution with the
     * rows of A as pixels and the rows of B as output channels. */
    conv_job_t j;
    j.x = a; j.ih = 1; j.iw = m; j.xps = a_rs;
    j.kh = j.kw = j.sh = j.sw = j.dh = j.dw = 1;
    j.pt = j.pl = 0;
    j.ow = m; j.kin = k;
    j.w = b; j.wos = b_cs; j.bias = NULL;
    j.y = y; j.yps = n; j.oc = n; j.npix = m;
    j.act = PARE_ACT_NONE; j.act_a = j.act_b = 0.0f;
    conv_run(&j);
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
