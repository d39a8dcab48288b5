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
 * the weights of one run of at most PARE_CONV_KC inputs (part of one kernel
 * tap, or of a whole kernel row when its taps are contiguous in x) are
 * transposed into a small stack buffer wt[k][CONV_OB]; then each group of
 * CONV_PB pixels accumulates y[p][o] += x_p[k] * wt[k][o], an outer product
 * whose inner loop over o is contiguous and vectorises, with the partial sums
 * in registers. Runs that fall into the padding read a static row of zeros
 * instead of branching. The output itself holds the sums between runs.
 * Stack use is about 3 KiB with the default PARE_CONV_KC. */

/* Inputs packed per step; the packed buffer is PARE_CONV_KC * CONV_OB floats
 * (2 KiB by default). Define it smaller (e.g. -DPARE_CONV_KC=8) for tiny
 * stacks; any value >= 1 works. */
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

/* ------------------------------------------------------ packed conv ------
 * pare_conv2d_packed_f32: the compiler has already laid the weights out as
 * panels wp[g][b][kh][kw][icg][PARE_CONV_OCB] (zero-padded past ocg), so the
 * micro-kernel streams a panel straight from memory, nothing is packed at
 * run time. Output pixels are processed in tiles of at most PK_TILE; for
 * every group and 16-channel block of a tile, each group of PK_P pixels runs
 * the whole reduction (kh * kw * icg) with its PK_P x 16 sums in registers
 * (the bias is their initial value; RELU / CLIP are a final clamp), and
 * the output is written once. Pixel groups whose windows lie wholly inside the
 * input ("interior") take one micro-kernel call; groups at the border go
 * kernel row by kernel row, reading a static zero row for padding and a
 * zero-filled stack copy for short runs that the padding cuts. Stack use
 * is about PK_P * (PK_CH + 24) floats plus 4 * PK_TILE ints (about 4 KiB
 * with the defaults; -DPARE_CONV_PP=4 brings it near 2.5 KiB). */

/* Pixels per micro-kernel call (1..12): the sums take PK_P x 16 floats of
 * registers. 6 measured best on x86-64 (AVX2 / AVX-512, where more pixel
 * pointers than that spill general registers). Override with
 * -DPARE_CONV_PP=n. */
#ifdef PARE_CONV_PP
#define PK_P PARE_CONV_PP
#else
#define PK_P 6
#endif
#define PK_OB PARE_CONV_OCB
/* Longest cut run read from a zero-filled stack copy (PK_P * PK_CH floats
 * of stack). */
#define PK_CH 64
/* Length of the static zero row read for padding (the longest border call). */
#define PK_ZLEN 512
/* Most output pixels per tile (a multiple of PK_P); tiles are balanced. */
#define PK_TILE (PK_P * 16)

static const float pk_zero[PK_ZLEN];

/* The micro-kernel below is written out per pixel, as macros over the pixel
 * index, so that each pixel's sums stay in their own registers. */
#define PK_R0(M) M(0)
#if PK_P > 1
#define PK_R1(M) PK_R0(M) M(1)
#else
#define PK_R1(M) PK_R0(M)
#endif
#if PK_P > 2
#define PK_R2(M) PK_R1(M) M(2)
#else
#define PK_R2(M) PK_R1(M)
#endif
#if PK_P > 3
#define PK_R3(M) PK_R2(M) M(3)
#else
#define PK_R3(M) PK_R2(M)
#endif
#if PK_P > 4
#define PK_R4(M) PK_R3(M) M(4)
#else
#define PK_R4(M) PK_R3(M)
#endif
#if PK_P > 5
#define PK_R5(M) PK_R4(M) M(5)
#else
#define PK_R5(M) PK_R4(M)
#endif
#if PK_P > 6
#define PK_R6(M) PK_R5(M) M(6)
#else
#define PK_R6(M) PK_R5(M)
#endif
#if PK_P > 7
#define PK_R7(M) PK_R6(M) M(7)
#else
#define PK_R7(M) PK_R6(M)
#endif
#if PK_P > 8
#define PK_R8(M) PK_R7(M) M(8)
#else
#define PK_R8(M) PK_R7(M)
#endif
#if PK_P > 9
#define PK_R9(M) PK_R8(M) M(9)
#else
#define PK_R9(M) PK_R8(M)
#endif
#if PK_P > 10
#define PK_R10(M) PK_R9(M) M(10)
#else
#define PK_R10(M) PK_R9(M)
#endif
#if PK_P > 11
#define PK_EACH(M) PK_R10(M) M(11)
#else
#define PK_EACH(M) PK_R10(M)
#endif

#define PK_DECL(p) float s##p[PK_OB]; const float *x##p;
#define PK_IN(p) memcpy(s##p, in[p], sizeof s##p);
#define PK_OUT(p)                                                              \
  for (o = 0; o < PK_OB; o++) {                                                \
    const float v = s##p[o] < lo ? lo : s##p[o];                               \
    s##p[o] = v > hi ? hi : v;                                                 \
  }                                                                            \
  memcpy(out[p], s##p, sizeof s##p);
#define PK_PTR(p) x##p = xp[p] + off;
#define PK_A(p) const float a##p = x##p[c];
#define PK_FMA(p) s##p[o] = FMA(a##p, b, s##p[o]);

/* out[p][o] = clamp(in[p][o] + sum over nrow rows (stride rs), ntap taps
 * (stride ts) and len inputs of xp[p][...] * w[k][o], lo, hi), o < NO (in
 * and out rows hold PK_OB floats), k running through w contiguously (rows
 * of PK_OB floats). NaN sums pass the clamp unchanged. */
#define PK_UKERNEL(NAME, NO)                                                   \
  static void NAME(const float *const xp[PK_P], ptrdiff_t rs, int nrow,        \
                   ptrdiff_t ts, int ntap, int len, const float *restrict w,   \
                   const float *const in[PK_P], float *const out[PK_P],        \
                   float lo, float hi)                                         \
  {                                                                            \
    int r, t, c, o;                                                            \
    PK_EACH(PK_DECL)                                                           \
    PK_EACH(PK_IN)                                                             \
    for (r = 0; r < nrow; r++)                                                 \
      for (t = 0; t < ntap; t++) {                                             \
        const ptrdiff_t off = r * rs + t * ts;                                 \
        PK_EACH(PK_PTR)                                                        \
        for (c = 0; c < len; c++) {                                            \
          const float *restrict wk = w + (ptrdiff_t)c * PK_OB;                 \
          PK_EACH(PK_A)                                                        \
          for (o = 0; o < NO; o++) {                                           \
            const float b = wk[o];                                             \
            PK_EACH(PK_FMA)                                                    \
          }                                                                    \
        }                                                                      \
        w += (ptrdiff_t)len * PK_OB;                                           \
      }                                                                        \
    PK_EACH(PK_OUT)                                                            \
  }

PK_UKERNEL(pk_ukernel16, PK_OB)
PK_UKERNEL(pk_ukernel8, 8)
/* The 8-wide kernel for blocks of at most 8 channels (needs `no`). */
#define PK_CALL(...) ((no > 8 ? pk_ukernel16 : pk_ukernel8)(__VA_ARGS__))

/* One image of a packed convolution. */
typedef struct {
  const float *x;           /* image */
  int ih, iw, ic, icg, ocg, oc, nb;
  int kh, kw, sh, sw, dh, dw, pt, pl, ow, group;
  const float *wp, *bias;
  float *y;                 /* image output */
  float lo, hi;             /* fused clamp: RELU, CLIP, or none */
} pk_job_t;

/* Output pixels [q0, q0 + nt) of one image, all channels. */
static void pk_tile(const pk_job_t *j, int q0, int nt)
{
  int iy0[PK_TILE], ix0[PK_TILE];
  ptrdiff_t xbase[PK_P], xoffs[PK_P];
  char vis[PK_P];
  ptrdiff_t xoff[PK_TILE];    /* x offset of each pixel's window origin */
  char interior[PK_TILE / PK_P];
  float acc[PK_P][PK_OB];
  float tmp[PK_P][PK_CH];
  float bb[PK_OB];
  const float *xp[PK_P], *in[PK_P];
  float *out[PK_P], *accp[PK_P];
  const int merged = j->dw == 1 && j->group == 1;   /* taps of a row contiguous */
  const int nseg = merged ? 1 : j->kw, ntap = merged ? j->kw : 1;
  const int seglen = ntap * j->icg;
  const ptrdiff_t kdim = (ptrdiff_t)j->kh * j->kw * j->icg;
  const ptrdiff_t rs = (ptrdiff_t)j->dh * j->iw * j->ic, ts = (ptrdiff_t)j->dw * j->ic;
  int t, p, g, b, r, sg, e0, o;
  for (t = 0; t < nt; t++) {
    iy0[t] = (q0 + t) / j->ow * j->sh - j->pt;
    ix0[t] = (q0 + t) % j->ow * j->sw - j->pl;
    xoff[t] = ((ptrdiff_t)iy0[t] * j->iw + ix0[t]) * j->ic;
  }
  /* A pixel group is interior when every window lies inside the input. */
  for (t = 0; t < nt; t += PK_P) {
    int inside = 1;
    for (p = t; p < min_i(t + PK_P, nt); p++)
      if (iy0[p] < 0 || iy0[p] + (j->kh - 1) * j->dh >= j->ih ||
          ix0[p] < 0 || ix0[p] + (j->kw - 1) * j->dw >= j->iw)
        inside = 0;
    interior[t / PK_P] = (char)inside;
  }
  for (p = 0; p < PK_P; p++) accp[p] = acc[p];
  for (g = 0; g < j->group; g++)
    for (b = 0; b < j->nb; b++) {
      const int o0 = g * j->ocg + b * PK_OB;            /* first output channel */
      const int no = min_i(PK_OB, j->ocg - b * PK_OB);
      const float *wpan = j->wp + ((ptrdiff_t)g * j->nb + b) * kdim * PK_OB;
      const ptrdiff_t xg = (ptrdiff_t)g * j->icg;
      for (o = 0; o < PK_OB; o++) bb[o] = j->bias && o < no ? j->bias[o0 + o] : 0.0f;
      for (p = 0; p < PK_P; p++) in[p] = bb;
      for (t = 0; t < nt; t += PK_P) {
        const int np = min_i(PK_P, nt - t);
        if (interior[t / PK_P]) {
          /* One call for the whole reduction, straight into y when the
           * block is full; a partial group repeats its last pixel, which
           * rewrites the same values. */
          for (p = 0; p < PK_P; p++) {
            const int tt = t + min_i(p, np - 1);
            xp[p] = j->x + (xoff[tt] + xg);
            out[p] = no == PK_OB ? j->y + (ptrdiff_t)(q0 + tt) * j->oc + o0 : acc[p];
          }
          PK_CALL(xp, rs, j->kh, ts, nseg, seglen, wpan, in, out, j->lo, j->hi);
          if (no < PK_OB)
            for (p = 0; p < np; p++)
              memcpy(j->y + (ptrdiff_t)(q0 + t + p) * j->oc + o0, acc[p],
                     (size_t)no * sizeof(float));
          continue;
        }
        {
          /* Border: kernel row by kernel row, in as few calls as possible,
           * summing in acc. Runs in the padding read pk_zero (hence calls
           * of at most PK_ZLEN inputs); a run that the padding cuts is
           * split into its taps, or, when it is at most PK_CH long (few
           * channels, e.g. a stem), read from a zero-filled stack copy. */
          const float *const *cur = in; /* the sums so far: bias, then acc */
          for (r = 0; r < j->kh; r++)
            for (sg = 0; sg < nseg; sg++) {
              int cut = 0, any = 0, u0, u1, u;
              const float *wrow = wpan + ((ptrdiff_t)r * j->kw * j->icg +
                                          (ptrdiff_t)sg * seglen) * PK_OB;
              for (p = 0; p < PK_P; p++) {
                const int tt = t + min_i(p, np - 1);
                const int iy = iy0[tt] + r * j->dh;
                const int ixs = ix0[tt] + sg * j->dw; /* first tap of the run */
                vis[p] = 0;
                if (iy < 0 || iy >= j->ih) continue;
                if (ixs >= 0 && ixs + (ntap - 1) * j->dw < j->iw)
                  vis[p] = 2; /* whole run inside */
                else if (ixs + (ntap - 1) * j->dw >= 0 && ixs < j->iw)
                  vis[p] = 1; /* cut (taps ascend in x) */
                cut |= vis[p] == 1;
                any |= vis[p];
                xbase[p] = ((ptrdiff_t)iy * j->iw + ixs) * j->ic + xg;
              }
              if (!any) continue;
              if (cut && seglen <= PK_CH) {
                for (p = 0; p < PK_P; p++) {
                  const int tt = t + min_i(p, np - 1);
                  xp[p] = vis[p] == 2 ? j->x + xbase[p] : pk_zero;
                  if (vis[p] != 1) continue;
                  for (u = 0; u < ntap; u++) {
                    const int ix = ix0[tt] + sg * j->dw + u * j->dw;
                    if (ix >= 0 && ix < j->iw)
                      memcpy(tmp[p] + u * j->icg, j->x + (xbase[p] + u * j->icg),
                             (size_t)j->icg * sizeof(float));
                    else
                      memset(tmp[p] + u * j->icg, 0, (size_t)j->icg * sizeof(float));
                  }
                  xp[p] = tmp[p];
                }
                PK_CALL(xp, 0, 1, 0, 1, seglen, wrow, cur, accp, -HUGE_VALF, HUGE_VALF);
                cur = (const float *const *)accp;
                continue;
              }
              /* [u0, u1): one call for the whole run, or one per tap. */
              for (u0 = 0; u0 < ntap; u0 = u1) {
                const int runlen = cut ? j->icg : seglen;
                u1 = cut ? u0 + 1 : ntap;
                any = 0;
                for (p = 0; p < PK_P; p++) {
                  const int tt = t + min_i(p, np - 1);
                  const int ix = ix0[tt] + sg * j->dw + u0 * j->dw;
                  xoffs[p] = -1;
                  if (vis[p] == 2 || (vis[p] == 1 && ix >= 0 && ix < j->iw)) {
                    xoffs[p] = xbase[p] + (ptrdiff_t)u0 * j->icg;
                    any = 1;
                  }
                }
                if (!any) continue;
                for (e0 = 0; e0 < runlen; e0 += PK_ZLEN) {
                  const int kc = min_i(PK_ZLEN, runlen - e0);
                  for (p = 0; p < PK_P; p++)
                    xp[p] = xoffs[p] >= 0 ? j->x + (xoffs[p] + e0) : pk_zero;
                  PK_CALL(xp, 0, 1, 0, 1, kc, wrow + ((ptrdiff_t)u0 * j->icg + e0) * PK_OB,
                          cur, accp, -HUGE_VALF, HUGE_VALF);
                  cur = (const float *const *)accp;
                }
              }
            }
          for (p = 0; p < np; p++) {
            float *yq = j->y + (ptrdiff_t)(q0 + t + p) * j->oc + o0;
            for (o = 0; o < no; o++) {
              const float v = cur[p][o] < j->lo ? j->lo : cur[p][o];
              yq[o] = v > j->hi ? j->hi : v;
            }
          }
        }
      }
    }
}

void pare_conv2d_packed_f32(const float *x, int n, int ih, int iw, int ic,
                            const float *wp, const float *bias,
                            float *y, int oh, int ow, int oc,
                            int kh, int kw, int stride_h, int stride_w,
                            int dil_h, int dil_w, int pad_top, int pad_left,
                            int group, pare_act_t act, float act_a, float act_b)
{
  const int npix = oh * ow;
  const size_t in_size = (size_t)ih * iw * ic, out_size = (size_t)npix * oc;
  /* Equal tiles, so that a small image is not split into a full tile and
   * a sliver that streams all the weights again. */
  const int ntiles = (npix + PK_TILE - 1) / PK_TILE;
  const int tsize = ntiles > 0 ? ((npix + ntiles - 1) / ntiles + PK_P - 1) / PK_P * PK_P : 1;
  pk_job_t j;
  int bi, q0;
  j.ih = ih; j.iw = iw; j.ic = ic; j.icg = ic / group; j.ocg = oc / group;
  j.oc = oc; j.nb = (j.ocg + PK_OB - 1) / PK_OB;
  j.kh = kh; j.kw = kw; j.sh = stride_h; j.sw = stride_w;
  j.dh = dil_h; j.dw = dil_w; j.pt = pad_top; j.pl = pad_left;
  j.ow = ow; j.group = group; j.wp = wp; j.bias = bias;
  /* RELU and CLIP are a clamp of the sums; others run per tile. */
  j.lo = act == PARE_ACT_RELU ? 0.0f : act == PARE_ACT_CLIP ? act_a : -HUGE_VALF;
  j.hi = act == PARE_ACT_CLIP ? act_b : HUGE_VALF;
  if (act == PARE_ACT_RELU || act == PARE_ACT_CLIP) act = PARE_ACT_NONE;
  for (bi = 0; bi < n; bi++) {
    j.x = x + bi * in_size;
    j.y = y + bi * out_size;
    for (q0 = 0; q0 < npix; q0 += tsize) {
      const int nt = min_i(tsize, npix - q0);
      pk_tile(&j, q0, nt);
      if (act != PARE_ACT_NONE)
        pare_activation_f32(j.y + (size_t)q0 * oc, j.y + (size_t)q0 * oc,
                            (size_t)nt * oc, act, act_a, act_b);
    }
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

/* ------------------------------------------------------ transposed conv --
 * pare_conv_transpose2d_f32 in gather form: each output pixel starts from
 * the bias and adds, for every kernel tap (ky, kx) that some input pixel
 * reaches it through (oy + pad_top - ky * dil_h a non-negative multiple of
 * stride_h inside the input, and the same across), that input pixel's
 * channels times the tap's weights. Every output is written once, so the
 * activation is applied per pixel and no scratch is needed (the scatter form
 * would need the whole output zeroed first, and the im2col form a column
 * buffer of kh * kw * oc per input pixel). The inner loop runs over the
 * group's output channels, contiguous in y and in the [ic][kh][kw][ocg]
 * weights. */

/* Input coordinate that reaches output coordinate `o` through tap `k`, or
 * -1 when none does. */
static int transposed_src(int o, int k, int stride, int dil, int pad, int size)
{
  int t = o + pad - k * dil;
  if (t < 0 || t % stride != 0 || t / stride >= size)
    return -1;
  return t / stride;
}

void pare_conv_transpose2d_f32(const float *x, int n, int ih, int iw, int ic,
                               const float *w, const float *bias,
                               float *y, int oh, int ow, int oc,
                               int kh, int kw, int stride_h, int stride_w,
                               int dil_h, int dil_w, int pad_top, int pad_left,
                               int group, pare_act_t act, float act_a, float act_b)
{
  const int icg = ic / group, ocg = oc / group;
  const ptrdiff_t wcs = (ptrdiff_t)kh * kw * ocg; /* weight step per input channel */
  int b, oy, ox, ky, kx, g, ci, co;
  for (b = 0; b < n; b++) {
    const float *xb = x + (size_t)b * ih * iw * ic;
    for (oy = 0; oy < oh; oy++) {
      for (ox = 0; ox < ow; ox++) {
        float *yp = y + (((size_t)b * oh + oy) * ow + ox) * oc;
        fill_bias(yp, bias, oc);
        for (ky = 0; ky < kh; ky++) {
          int iy = transposed_src(oy, ky, stride_h, dil_h, pad_top, ih);
          if (iy < 0)
            continue;
          for (kx = 0; kx < kw; kx++) {
            int ix = transposed_src(ox, kx, stride_w, dil_w, pad_left, iw);
            const float *xp, *wt;
            if (ix < 0)
              continue;
            xp = xb + ((size_t)iy * iw + ix) * ic;
            wt = w + ((ptrdiff_t)ky * kw + kx) * ocg;
            for (g = 0; g < group; g++) {
              float *restrict yg = yp + (ptrdiff_t)g * ocg;
              for (ci = g * icg; ci < (g + 1) * icg; ci++) {
                const float xv = xp[ci];
                const float *restrict wp = wt + ci * wcs;
                for (co = 0; co < ocg; co++)
                  yg[co] = FMA(xv, wp[co], yg[co]);
              }
            }
          }
        }
        pare_activation_f32(yp, yp, (size_t)oc, act, act_a, act_b);
      }
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

/* dot(x, w) over len contiguous floats, with DOT_LANES independent partial
 * sums so that the loop vectorises and hides the FMA latency; used for
 * matrix-vector products (nothing to reuse across outputs). */
#define DOT_LANES 32
static float dot_f32(const float *x, const float *w, int len)
{
  float s[DOT_LANES], tail = 0.0f;
  int k, j;
  memset(s, 0, sizeof s);
  for (k = 0; k + DOT_LANES <= len; k += DOT_LANES)
    for (j = 0; j < DOT_LANES; j++) s[j] = FMA(x[k + j], w[k + j], s[j]);
  for (; k < len; k++) tail = FMA(x[k], w[k], tail);
  for (k = DOT_LANES / 2; k > 0; k /= 2) /* halving tree */
    for (j = 0; j < k; j++) s[j] += s[j + k];
  return tail + s[0];
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
  } else if (b_rs == 1 && a_cs == 1 && m < 4) {
    /* A few rows times B stored as [n][k]: plain dot products. */
    int i, j;
    for (i = 0; i < m; i++)
      for (j = 0; j < n; j++)
        y[(ptrdiff_t)i * n + j] = dot_f32(a + i * a_rs, b + j * b_cs, k);
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

void pare_avgpool2d_f32(const float *x, int n, int ih, int iw, int c,
                        float *y, int oh, int ow, int kh, int kw,
                        int stride_h, int stride_w, int dil_h, int dil_w,
                        int pad_top, int pad_left, int pad_bottom, int pad_right,
                        int count_include_pad)
{
  int b, oy, ox, r, s, ch, r0, r1, s0, s1;
  /* The end pads only shape the output size, which the caller passes. */
  (void)pad_bottom;
  (void)pad_right;
  for (b = 0; b < n; b++)
    for (oy = 0; oy < oh; oy++) {
      int iy0 = oy * stride_h - pad_top;
      valid_taps(iy0, kh, dil_h, ih, &r0, &r1);
      for (ox = 0; ox < ow; ox++) {
        int ix0 = ox * stride_w - pad_left, cnt;
        float *yp = y + (((size_t)b * oh + oy) * ow + ox) * c;
        float scale;
        valid_taps(ix0, kw, dil_w, iw, &s0, &s1);
        /* count_include_pad divides by the whole kernel, also where a
         * ceil-mode window runs past the end padding (as onnxruntime and the
         * ONNX reference do). */
        if (count_include_pad)
          cnt = kh * kw;
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
