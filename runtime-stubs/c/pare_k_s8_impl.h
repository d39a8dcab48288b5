/*
 * pare int8 kernel bodies (see pare_kernels_s8.h for the contract and the
 * design notes). Every kernel is an always-inline function <api name>_impl
 * with the API's parameters: pare_k_s8.c instantiates them once as the
 * extern functions; generated code may instantiate a per-layer copy with
 * literal constants so that the C compiler folds the fast-path selection.
 */
#ifndef PARE_K_S8_IMPL_H
#define PARE_K_S8_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pare_kernels_s8.h"

#if defined(__GNUC__) || defined(__clang__)
#define PARE_S8_INLINE static inline __attribute__((always_inline))
#else
#define PARE_S8_INLINE static inline
#endif

/* Helpers that process a whole block (a column of output channels): inlined
 * into specialised instances; pare_k_s8.c defines PARE_S8_OUTLINE_BLOCKS so
 * that its shape-generic functions call one out-of-line copy instead (its
 * registers are then allocated for the block alone, which is faster there). */
#if defined(PARE_S8_OUTLINE_BLOCKS) && (defined(__GNUC__) || defined(__clang__))
#define PARE_S8_BLOCK static __attribute__((noinline))
#else
#define PARE_S8_BLOCK PARE_S8_INLINE
#endif

#if defined(__ARM_FEATURE_DSP) && (defined(__GNUC__) || defined(__clang__))
#define PARE_S8_DSP 1
#include <arm_acle.h>
#else
#define PARE_S8_DSP 0
#endif

/* ------------------------------------------------------------ helpers -- */

PARE_S8_INLINE int32_t pare_s8_clamp(int32_t v, int32_t lo, int32_t hi)
{
#if PARE_S8_DSP
  /* Known full range (no fused activation): one SSAT. */
  if (__builtin_constant_p(lo) && __builtin_constant_p(hi) && lo == -128 && hi == 127)
    return __ssat(v, 8);
#endif
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}

/* pare_requantize, faster for the usual right shifts. For shift = -e <= -2:
 * with A = acc * mult, TFLite's double rounding equals
 *   floor((A + 2^30 + 2^(30+e) - [A < -2^30] 2^31) / 2^(31+e)).
 * SMLAL accumulates Q = A + 2^30 + 2^(30+e) (c = 2^(e-2) is the high word of
 * the constant); A < -2^30 <=> hi(Q) < c; subtracting 2^31 lowers hi(Q) by one
 * when lo(Q) < 2^31; the division is then hi >> (e-1). Exact, no overflow
 * (|hi(Q)| < 2^31 since |A| < 2^62). */
PARE_S8_INLINE int32_t pare_s8_rq_e2(int32_t acc, int32_t mult, int32_t e)
{
  const int32_t c = (int32_t)(1u << (e - 2));
  const int64_t q = (int64_t)acc * mult + (int64_t)(((uint64_t)(uint32_t)c << 32) | 0x40000000u);
  const int32_t hi = (int32_t)(q >> 32);
  const uint32_t lo = (uint32_t)q;
  const int32_t t = (int32_t)(((uint32_t)(hi - c) >> 31) & ~(lo >> 31));
  return (hi - t) >> (e - 1);
}

PARE_S8_INLINE int32_t pare_s8_requant(int32_t acc, int32_t mult, int32_t shift)
{
  if (shift <= -2) return pare_s8_rq_e2(acc, mult, -shift);
  return pare_requantize(acc, mult, shift);
}

/* Requantize + zero point + clamp: one output value. */
PARE_S8_INLINE int8_t pare_s8_out(int32_t acc, int32_t mult, int32_t shift, int32_t y_zp,
                                  int32_t lo, int32_t hi)
{
  return (int8_t)pare_s8_clamp(pare_s8_requant(acc, mult, shift) + y_zp, lo, hi);
}

/* Round half to even of a float32, without <math.h> or the FP rounding mode. */
PARE_S8_INLINE float pare_s8_rint(float v)
{
  float a = v < 0.0f ? -v : v, t, d;
  if (!(a < 8388608.0f)) return v; /* already integral (or NaN / inf) */
  t = (float)(int32_t)a;
  d = a - t;
  if (d > 0.5f || (d == 0.5f && ((int32_t)t & 1))) t += 1.0f;
  return v < 0.0f ? -t : t;
}

/* saturate(round_half_to_even(v) + zp) as onnxruntime's MLAS computes it
 * (x86): NaN (a NaN input, or inf * 0 in a requantization whose float32
 * scale overflowed) gives -128, the lowest value, whatever the zero point. */
PARE_S8_INLINE int8_t pare_s8_sat_f(float v, int32_t zp)
{
  float r = pare_s8_rint(v) + (float)zp;
  if (!(r == r)) return -128;
  if (r <= -128.0f) return -128;
  if (r >= 127.0f) return 127;
  return (int8_t)(int32_t)r;
}

/* onnxruntime's requantization (models that arrive quantized), without libm:
 * round_half_to_even(v) clamped to [lo, hi] (integers; v finite or infinite,
 * not NaN). On 32-bit ARM cores with a single-precision FPU, VCVTR converts
 * with the FPSCR rounding mode, round to nearest even at reset (FPv4 has no
 * VRINT), and saturates to int32; elsewhere the value is clamped in float
 * first (exact: the bounds are small integers) and rounded by pare_s8_rint. */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__arm__) && defined(__ARM_FP) && \
    (__ARM_FP & 4)
#define PARE_S8_VCVTR 1
#else
#define PARE_S8_VCVTR 0
#endif

#if PARE_S8_VCVTR
PARE_S8_INLINE int32_t pare_s8_vcvtr(float v)
{
  float r;
  int32_t q;
  __asm__("vcvtr.s32.f32 %0, %1" : "=t"(r) : "t"(v));
  memcpy(&q, &r, 4);
  return q;
}
#endif

PARE_S8_INLINE int32_t pare_s8_rne_clamp(float v, int32_t lo, int32_t hi)
{
#if PARE_S8_VCVTR
  return pare_s8_clamp(pare_s8_vcvtr(v), lo, hi);
#else
  v = v < (float)lo ? (float)lo : v;
  v = v > (float)hi ? (float)hi : v;
  return (int32_t)pare_s8_rint(v);
#endif
}

/* One output of onnxruntime's QLinearConv / QGemm requantization (x86 MLAS
 * MlasRequantizeOutput, the same arithmetic as pare_requantize_acc_s8):
 * clamp(saturate(round_half_to_even((float)acc * scale) + y_zp), lo, hi), acc
 * the int32 sum with the bias, one float32 multiply. scale must not be NaN
 * or infinite (the compiler keeps such layers on the generic kernels, which
 * give NaN -> -128 as onnxruntime does). */
PARE_S8_INLINE int8_t pare_s8_out_f(int32_t acc, float scale, int32_t y_zp, int32_t lo, int32_t hi)
{
#if PARE_S8_VCVTR && PARE_S8_DSP
  return (int8_t)pare_s8_clamp(__qadd(pare_s8_vcvtr((float)acc * scale), y_zp), lo, hi);
#else
  return (int8_t)(pare_s8_rne_clamp((float)acc * scale, lo - y_zp, hi - y_zp) + y_zp);
#endif
}

/* The output of channel q of a conv / fully-connected kernel body shared by
 * both arithmetics: TFLite's (mult, shift), or onnxruntime's float scale
 * when fscale is not NULL (a constant in every instance, so the test folds). */
PARE_S8_INLINE int8_t pare_s8_outq(int32_t acc, const int32_t *mult, const int32_t *shift,
                                   const float *fscale, int q, int32_t y_zp, int32_t lo, int32_t hi)
{
  if (fscale) return pare_s8_out_f(acc, fscale[q], y_zp, lo, hi);
  return pare_s8_out(acc, mult[q], shift[q], y_zp, lo, hi);
}

/* Requantization split into a per-channel part (set up once) and a
 * per-value part; same result as pare_requantize. */
typedef struct {
  int32_t mult, shift, left, right, mask, half;
} pare_s8_rq_t;

PARE_S8_INLINE pare_s8_rq_t pare_s8_rq_make(int32_t mult, int32_t shift)
{
  pare_s8_rq_t r;
  r.mult = mult;
  r.shift = shift;
  r.left = shift > 0 ? shift : 0;
  r.right = shift > 0 ? 0 : -shift;
  r.mask = (int32_t)((1u << r.right) - 1u);
  r.half = r.mask >> 1;
  return r;
}

PARE_S8_INLINE int32_t pare_s8_rq_apply(int32_t acc, pare_s8_rq_t r)
{
  int32_t x, v, thr;
  int64_t p;
  if (r.shift <= -2) return pare_s8_rq_e2(acc, r.mult, r.right);
  x = (int32_t)((uint32_t)acc << r.left);
  p = (int64_t)x * r.mult + ((int64_t)1 << 30);
  v = (int32_t)(p >> 31);
  thr = r.half + (int32_t)((uint32_t)v >> 31);
  return (v >> r.right) + ((v & r.mask) > thr ? 1 : 0);
}

PARE_S8_INLINE int32_t pare_s8_ld32(const void *p)
{
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

PARE_S8_INLINE void pare_s8_st32(void *p, int32_t v) { memcpy(p, &v, 4); }

#if PARE_S8_DSP
/* Word access to the 4-byte aligned int16 scratch columns (lets the compiler
 * pair loads into LDRD; may_alias: the buffer is declared int16_t). */
typedef int32_t __attribute__((may_alias, aligned(4))) pare_s8_w32;
#endif

#if PARE_S8_DSP
/* SXTB16 / SXTAB16 with ROR #8 in one instruction (GCC does not fuse them). */
PARE_S8_INLINE int32_t pare_s8_sxtb16_ror8(int32_t x)
{
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}
PARE_S8_INLINE int32_t pare_s8_sxtab16_ror8(int32_t a, int32_t x)
{
  int32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
  return r;
}
#endif

#if PARE_S8_DSP
/* Column buffer of two output pixels (int16 x - x_zp, 0 in padding), the
 * two pixels interleaved so that one pointer walks both: per block of four
 * k, pixel 0's (k0, k2), (k1, k3) words (the SXTB16 order) then pixel 1's;
 * the K % 4 tail as (pixel 0, pixel 1) pairs after the 2 * K4 blocks.
 * pare_s8_im2col writes pixel p (0 or 1) of the window at (iy0, ix0).
 * ic % 4 == 0: converted per tap straight from x. Otherwise the window's
 * bytes are first gathered into stage[K] (padding = x_zp, which becomes 0)
 * and converted four at a time. */
PARE_S8_INLINE void pare_s8_im2col(const int8_t *xb, int ih, int iw, int ic, int32_t x_zp,
                                   int kh, int kw, int dil_h, int dil_w, int iy0, int ix0,
                                   int16_t *cc, int p, int K, int8_t *stage)
{
  const int32_t zp2 = (int32_t)(((uint32_t)(-x_zp) & 0xFFFFu) * 0x10001u);
  int16_t *col = cc + 4 * p;
  int ky, kx, ci, k = 0;
  if ((ic & 3) == 0) {
    for (ky = 0; ky < kh; ky++) {
      int iy = iy0 + ky * dil_h;
      for (kx = 0; kx < kw; kx++) {
        int ix = ix0 + kx * dil_w;
        if (iy < 0 || iy >= ih || ix < 0 || ix >= iw) {
          for (ci = 0; ci < ic; ci += 4, k += 4) {
            pare_s8_st32(col + 2 * k, 0);
            pare_s8_st32(col + 2 * k + 2, 0);
          }
        } else {
          const int8_t *xp = xb + ((size_t)iy * iw + ix) * ic;
          for (ci = 0; ci < ic; ci += 4, k += 4) {
            int32_t v = pare_s8_ld32(xp + ci);
            pare_s8_st32(col + 2 * k, __sxtab16(zp2, v));
            pare_s8_st32(col + 2 * k + 2, pare_s8_sxtab16_ror8(zp2, v));
          }
        }
      }
    }
    return;
  }
  {
    const int8_t zb = (int8_t)x_zp;
    int8_t *sp = stage;
    for (ky = 0; ky < kh; ky++) {
      int iy = iy0 + ky * dil_h;
      if (iy < 0 || iy >= ih) {
        for (ci = 0; ci < kw * ic; ci++) *sp++ = zb;
        continue;
      }
      for (kx = 0; kx < kw; kx++) {
        int ix = ix0 + kx * dil_w;
        if (ix < 0 || ix >= iw) {
          for (ci = 0; ci < ic; ci++) *sp++ = zb;
        } else {
          const int8_t *xp = xb + ((size_t)iy * iw + ix) * ic;
          for (ci = 0; ci < ic; ci++) *sp++ = xp[ci];
        }
      }
    }
    for (k = 0; k + 3 < K; k += 4) {
      int32_t v = pare_s8_ld32(stage + k);
      pare_s8_st32(col + 2 * k, __sxtab16(zp2, v));
      pare_s8_st32(col + 2 * k + 2, pare_s8_sxtab16_ror8(zp2, v));
    }
    for (ci = k; k < K; k++) cc[2 * k + p] = (int16_t)(stage[k] - x_zp);
    (void)ci;
  }
}
#endif

/* First / one-past-last tap t in [0, kk) with 0 <= base + t * dil < lim. */
PARE_S8_INLINE void pare_s8_taps(int base, int kk, int dil, int lim, int *t0, int *t1)
{
  int a = 0, b = kk;
  while (a < kk && base + a * dil < 0) a++;
  while (b > a && base + (b - 1) * dil >= lim) b--;
  *t0 = a;
  *t1 = b;
}

/* ------------------------------------------------------- convolution -- */

#if PARE_S8_DSP
/* Interleaved two-pixel column times two weight rows (w0, w1): out[p][o]
 * accumulators; K4 = K & ~3 in the SMLAD loop, tail scalar. */
PARE_S8_INLINE void pare_s8_mm_2x2(const int16_t *cc, const int8_t *w0, const int8_t *w1, int K,
                                   int K4, int32_t *a00, int32_t *a01, int32_t *a10, int32_t *a11)
{
  int32_t s00 = *a00, s01 = *a01, s10 = *a10, s11 = *a11;
  const int16_t *cp = cc, *ce = cc + 2 * K4;
  while (cp != ce) {
    const pare_s8_w32 *cw = (const pare_s8_w32 *)cp;
    int32_t x0a = cw[0], x0b = cw[1], x1a = cw[2], x1b = cw[3];
    int32_t wa = pare_s8_ld32(w0), wb = pare_s8_ld32(w1);
    int32_t wa0 = __sxtb16(wa), wa1 = pare_s8_sxtb16_ror8(wa);
    int32_t wb0 = __sxtb16(wb), wb1 = pare_s8_sxtb16_ror8(wb);
    cp += 8;
    w0 += 4;
    w1 += 4;
    s00 = __smlad(x0a, wa0, s00);
    s00 = __smlad(x0b, wa1, s00);
    s10 = __smlad(x1a, wa0, s10);
    s10 = __smlad(x1b, wa1, s10);
    s01 = __smlad(x0a, wb0, s01);
    s01 = __smlad(x0b, wb1, s01);
    s11 = __smlad(x1a, wb0, s11);
    s11 = __smlad(x1b, wb1, s11);
  }
  for (; K4 < K; K4++, cp += 2) {
    s00 += cp[0] * *w0;
    s10 += cp[1] * *w0++;
    s01 += cp[0] * *w1;
    s11 += cp[1] * *w1++;
  }
  *a00 = s00;
  *a01 = s01;
  *a10 = s10;
  *a11 = s11;
}

/* Pixel 0 of an interleaved column times one weight row. */
PARE_S8_INLINE int32_t pare_s8_mm_1x1(const int16_t *cc, const int8_t *w0, int K, int K4, int32_t s)
{
  int k;
  for (k = 0; k < K4; k += 4) {
    int32_t wa = pare_s8_ld32(w0 + k);
    s = __smlad(pare_s8_ld32(cc + 2 * k), __sxtb16(wa), s);
    s = __smlad(pare_s8_ld32(cc + 2 * k + 2), pare_s8_sxtb16_ror8(wa), s);
  }
  for (; k < K; k++) s += cc[2 * k] * w0[k];
  return s;
}

/* Output rows of two pixels (y0, y1; two == 0: pixel 0 only, y1 unused)
 * from their interleaved column. */
PARE_S8_BLOCK void pare_s8_conv_cols(const int16_t *cc, const int8_t *w,
                                      const int32_t *bias, const int32_t *mult,
                                      const int32_t *shift, int32_t y_zp, int32_t lo,
                                      int32_t hi, int8_t *y0, int8_t *y1, int two, int oc, int K)
{
  const int full = lo == -128 && hi == 127; /* no fused activation: SSAT */
  int K4 = K & ~3, o;
  for (o = 0; o + 1 < oc; o += 2) {
    const int8_t *w0 = w + (size_t)o * K;
    const int32_t m0 = mult[o], m1 = mult[o + 1], sh0 = shift[o], sh1 = shift[o + 1];
    int32_t b0 = bias ? bias[o] : 0, b1 = bias ? bias[o + 1] : 0;
    int32_t a00 = b0, a01 = b1, a10 = b0, a11 = b1;
    if (two) {
      pare_s8_mm_2x2(cc, w0, w0 + K, K, K4, &a00, &a01, &a10, &a11);
    } else {
      a00 = pare_s8_mm_1x1(cc, w0, K, K4, a00);
      a01 = pare_s8_mm_1x1(cc, w0 + K, K, K4, a01);
    }
    if (sh0 <= -2 && sh1 <= -2 && full) { /* the usual cases: one test per 2x2 block */
      y0[o] = (int8_t)pare_s8_clamp(pare_s8_rq_e2(a00, m0, -sh0) + y_zp, -128, 127);
      y0[o + 1] = (int8_t)pare_s8_clamp(pare_s8_rq_e2(a01, m1, -sh1) + y_zp, -128, 127);
      if (two) {
        y1[o] = (int8_t)pare_s8_clamp(pare_s8_rq_e2(a10, m0, -sh0) + y_zp, -128, 127);
        y1[o + 1] = (int8_t)pare_s8_clamp(pare_s8_rq_e2(a11, m1, -sh1) + y_zp, -128, 127);
      }
    } else if (sh0 <= -2 && sh1 <= -2) {
      y0[o] = (int8_t)pare_s8_clamp(pare_s8_rq_e2(a00, m0, -sh0) + y_zp, lo, hi);
      y0[o + 1] = (int8_t)pare_s8_clamp(pare_s8_rq_e2(a01, m1, -sh1) + y_zp, lo, hi);
      if (two) {
        y1[o] = (int8_t)pare_s8_clamp(pare_s8_rq_e2(a10, m0, -sh0) + y_zp, lo, hi);
        y1[o + 1] = (int8_t)pare_s8_clamp(pare_s8_rq_e2(a11, m1, -sh1) + y_zp, lo, hi);
      }
    } else {
      y0[o] = (int8_t)pare_s8_clamp(pare_requantize(a00, m0, sh0) + y_zp, lo, hi);
      y0[o + 1] = (int8_t)pare_s8_clamp(pare_requantize(a01, m1, sh1) + y_zp, lo, hi);
      if (two) {
        y1[o] = (int8_t)pare_s8_clamp(pare_requantize(a10, m0, sh0) + y_zp, lo, hi);
        y1[o + 1] = (int8_t)pare_s8_clamp(pare_requantize(a11, m1, sh1) + y_zp, lo, hi);
      }
    }
  }
  if (o < oc) {
    const int8_t *w0 = w + (size_t)o * K;
    int32_t b0 = bias ? bias[o] : 0;
    if (two) {
      int32_t a0 = b0, a1 = b0, d0 = 0, d1 = 0;
      pare_s8_mm_2x2(cc, w0, w0, K, K4, &a0, &d0, &a1, &d1);
      y0[o] = pare_s8_out(a0, mult[o], shift[o], y_zp, lo, hi);
      y1[o] = pare_s8_out(a1, mult[o], shift[o], y_zp, lo, hi);
    } else {
      y0[o] = pare_s8_out(pare_s8_mm_1x1(cc, w0, K, K4, b0), mult[o], shift[o], y_zp, lo, hi);
    }
  }
}

/* pare_s8_conv_cols with onnxruntime's float32 requantization (scale per
 * output channel). */
PARE_S8_BLOCK void pare_s8_conv_cols_f(const int16_t *cc, const int8_t *w, const int32_t *bias,
                                        const float *scale, int32_t y_zp, int32_t lo, int32_t hi,
                                        int8_t *y0, int8_t *y1, int two, int oc, int K)
{
  int K4 = K & ~3, o;
  for (o = 0; o + 1 < oc; o += 2) {
    const int8_t *w0 = w + (size_t)o * K;
    const float s0 = scale[o], s1 = scale[o + 1];
    int32_t b0 = bias ? bias[o] : 0, b1 = bias ? bias[o + 1] : 0;
    int32_t a00 = b0, a01 = b1, a10 = b0, a11 = b1;
    if (two) {
      pare_s8_mm_2x2(cc, w0, w0 + K, K, K4, &a00, &a01, &a10, &a11);
      y1[o] = pare_s8_out_f(a10, s0, y_zp, lo, hi);
      y1[o + 1] = pare_s8_out_f(a11, s1, y_zp, lo, hi);
    } else {
      a00 = pare_s8_mm_1x1(cc, w0, K, K4, a00);
      a01 = pare_s8_mm_1x1(cc, w0 + K, K, K4, a01);
    }
    y0[o] = pare_s8_out_f(a00, s0, y_zp, lo, hi);
    y0[o + 1] = pare_s8_out_f(a01, s1, y_zp, lo, hi);
  }
  if (o < oc) {
    const int8_t *w0 = w + (size_t)o * K;
    int32_t b0 = bias ? bias[o] : 0;
    if (two) {
      int32_t a0 = b0, a1 = b0, d0 = 0, d1 = 0;
      pare_s8_mm_2x2(cc, w0, w0, K, K4, &a0, &d0, &a1, &d1);
      y0[o] = pare_s8_out_f(a0, scale[o], y_zp, lo, hi);
      y1[o] = pare_s8_out_f(a1, scale[o], y_zp, lo, hi);
    } else {
      y0[o] = pare_s8_out_f(pare_s8_mm_1x1(cc, w0, K, K4, b0), scale[o], y_zp, lo, hi);
    }
  }
}

/* The block of either arithmetic (fscale: see pare_s8_outq). */
PARE_S8_INLINE void pare_s8_cols(const int16_t *cc, const int8_t *w, const int32_t *bias,
                                 const int32_t *mult, const int32_t *shift, const float *fscale,
                                 int32_t y_zp, int32_t lo, int32_t hi, int8_t *y0, int8_t *y1,
                                 int two, int oc, int K)
{
  if (fscale)
    pare_s8_conv_cols_f(cc, w, bias, fscale, y_zp, lo, hi, y0, y1, two, oc, K);
  else
    pare_s8_conv_cols(cc, w, bias, mult, shift, y_zp, lo, hi, y0, y1, two, oc, K);
}

/* Pointwise column: (x - x_zp) of one pixel (p = 0 or 1) into the interleaved buffer. */
PARE_S8_INLINE void pare_s8_pw_col(const int8_t *xp, int ic, int32_t x_zp, int16_t *cc, int p)
{
  int32_t zp2 = (int32_t)(((uint32_t)(-x_zp) & 0xFFFFu) * 0x10001u);
  int16_t *col = cc + 4 * p;
  int k, k4 = ic & ~3;
  for (k = 0; k < k4; k += 4) {
    int32_t v = pare_s8_ld32(xp + k);
    pare_s8_st32(col + 2 * k, __sxtab16(zp2, v));
    pare_s8_st32(col + 2 * k + 2, pare_s8_sxtab16_ror8(zp2, v));
  }
  for (; k < ic; k++) cc[2 * k + p] = (int16_t)(xp[k] - x_zp);
}
#endif /* PARE_S8_DSP */

/* The convolution of pare_conv2d_s8 (fscale NULL) and pare_conv2d_s8_onnx
 * (mult, shift NULL). */
PARE_S8_INLINE void pare_s8_conv2d(const int8_t *x, int n, int ih, int iw, int ic, int32_t x_zp,
                    const int8_t *w, const int32_t *bias, const int32_t *mult, const int32_t *shift,
                    const float *fscale, int32_t y_zp, int32_t act_min, int32_t act_max,
                    int8_t *y, int oh, int ow, int oc, int kh, int kw, int stride_h, int stride_w,
                    int dil_h, int dil_w, int pad_top, int pad_left, int16_t *scratch)
{
  const int K = kh * kw * ic;
#if PARE_S8_DSP
  if (scratch) {
    int16_t *cc = scratch;
    int8_t *stage = (int8_t *)(scratch + 2 * K);
    const int npix = oh * ow;
    int b, p;
    if (kh == 1 && kw == 1 && stride_h == 1 && stride_w == 1 && pad_top == 0 && pad_left == 0 &&
        oh == ih && ow == iw) {
      /* 1x1 pointwise: the pixels are the rows of an [n*npix][ic] matrix. */
      const int total = n * npix;
      for (p = 0; p + 1 < total; p += 2) {
        pare_s8_pw_col(x + (size_t)p * ic, ic, x_zp, cc, 0);
        pare_s8_pw_col(x + (size_t)(p + 1) * ic, ic, x_zp, cc, 1);
        pare_s8_cols(cc, w, bias, mult, shift, fscale, y_zp, act_min, act_max,
                     y + (size_t)p * oc, y + (size_t)(p + 1) * oc, 1, oc, K);
      }
      if (p < total) {
        pare_s8_pw_col(x + (size_t)p * ic, ic, x_zp, cc, 0);
        pare_s8_cols(cc, w, bias, mult, shift, fscale, y_zp, act_min, act_max,
                     y + (size_t)p * oc, NULL, 0, oc, K);
      }
      return;
    }
    for (b = 0; b < n; b++) {
      const int8_t *xb = x + (size_t)b * ih * iw * ic;
      int8_t *yb = y + (size_t)b * npix * oc;
      int oy = 0, ox = 0;
      for (p = 0; p + 1 < npix; p += 2) {
        pare_s8_im2col(xb, ih, iw, ic, x_zp, kh, kw, dil_h, dil_w, oy * stride_h - pad_top,
                       ox * stride_w - pad_left, cc, 0, K, stage);
        if (++ox == ow) { ox = 0; oy++; }
        pare_s8_im2col(xb, ih, iw, ic, x_zp, kh, kw, dil_h, dil_w, oy * stride_h - pad_top,
                       ox * stride_w - pad_left, cc, 1, K, stage);
        if (++ox == ow) { ox = 0; oy++; }
        pare_s8_cols(cc, w, bias, mult, shift, fscale, y_zp, act_min, act_max,
                     yb + (size_t)p * oc, yb + (size_t)(p + 1) * oc, 1, oc, K);
      }
      if (p < npix) {
        pare_s8_im2col(xb, ih, iw, ic, x_zp, kh, kw, dil_h, dil_w, oy * stride_h - pad_top,
                       ox * stride_w - pad_left, cc, 0, K, stage);
        pare_s8_cols(cc, w, bias, mult, shift, fscale, y_zp, act_min, act_max,
                     yb + (size_t)p * oc, NULL, 0, oc, K);
      }
    }
    return;
  }
#else
  (void)scratch;
#endif
  {
    /* Portable path. */
    int b, oy, ox, o, ky, kx, ci;
    for (b = 0; b < n; b++)
      for (oy = 0; oy < oh; oy++)
        for (ox = 0; ox < ow; ox++) {
          int iy0 = oy * stride_h - pad_top, ix0 = ox * stride_w - pad_left, ky0, ky1, kx0, kx1;
          int8_t *yp = y + (((size_t)b * oh + oy) * ow + ox) * oc;
          pare_s8_taps(iy0, kh, dil_h, ih, &ky0, &ky1);
          pare_s8_taps(ix0, kw, dil_w, iw, &kx0, &kx1);
          for (o = 0; o < oc; o++) {
            int32_t acc = bias ? bias[o] : 0;
            const int8_t *wo = w + (size_t)o * K;
            for (ky = ky0; ky < ky1; ky++)
              for (kx = kx0; kx < kx1; kx++) {
                const int8_t *xp = x + (((size_t)b * ih + iy0 + ky * dil_h) * iw + ix0 + kx * dil_w) * ic;
                const int8_t *wp = wo + ((size_t)ky * kw + kx) * ic;
                for (ci = 0; ci < ic; ci++) acc += (xp[ci] - x_zp) * wp[ci];
              }
            yp[o] = pare_s8_outq(acc, mult, shift, fscale, o, y_zp, act_min, act_max);
          }
        }
  }
}

PARE_S8_INLINE void pare_conv2d_s8_impl(const int8_t *x, int n, int ih, int iw, int ic, int32_t x_zp,
                    const int8_t *w, const int32_t *bias, const int32_t *mult, const int32_t *shift,
                    int32_t y_zp, int32_t act_min, int32_t act_max,
                    int8_t *y, int oh, int ow, int oc, int kh, int kw, int stride_h, int stride_w,
                    int dil_h, int dil_w, int pad_top, int pad_left, int16_t *scratch)
{
  pare_s8_conv2d(x, n, ih, iw, ic, x_zp, w, bias, mult, shift, NULL, y_zp, act_min, act_max, y, oh,
                 ow, oc, kh, kw, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left, scratch);
}

PARE_S8_INLINE void pare_conv2d_s8_onnx_impl(const int8_t *x, int n, int ih, int iw, int ic, int32_t x_zp,
                    const int8_t *w, const int32_t *bias, const float *scale,
                    int32_t y_zp, int32_t act_min, int32_t act_max,
                    int8_t *y, int oh, int ow, int oc, int kh, int kw, int stride_h, int stride_w,
                    int dil_h, int dil_w, int pad_top, int pad_left, int16_t *scratch)
{
  pare_s8_conv2d(x, n, ih, iw, ic, x_zp, w, bias, NULL, NULL, scale, y_zp, act_min, act_max, y, oh,
                 ow, oc, kh, kw, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left, scratch);
}

PARE_S8_INLINE void pare_depthwise_conv2d_s8_impl(const int8_t *x, int n, int ih, int iw, int c, int32_t x_zp,
                    const int8_t *w, const int32_t *bias, const int32_t *mult, const int32_t *shift,
                    int32_t y_zp, int32_t act_min, int32_t act_max,
                    int8_t *y, int oh, int ow, int kh, int kw, int stride_h, int stride_w,
                    int dil_h, int dil_w, int pad_top, int pad_left, int16_t *scratch)
{
  int b, oy, ox, ch, ky, kx;
#if PARE_S8_DSP
  if (scratch) {
    const int c4 = c & ~3, taps = kh * kw;
    const int32_t zp2 = (int32_t)(((uint32_t)(-x_zp) & 0xFFFFu) * 0x10001u);
    int t;
    /* Weights widened once: per tap, blocks of four channels as (0,2,1,3). */
    for (t = 0; t < taps; t++) {
      const int8_t *wt = w + (size_t)t * c;
      int16_t *st = scratch + (size_t)t * c;
      for (ch = 0; ch < c4; ch += 4) {
        int32_t v = pare_s8_ld32(wt + ch);
        pare_s8_st32(st + ch, __sxtb16(v));
        pare_s8_st32(st + ch + 2, pare_s8_sxtb16_ror8(v));
      }
      for (; ch < c; ch++) st[ch] = wt[ch];
    }
    for (b = 0; b < n; b++)
      for (oy = 0; oy < oh; oy++) {
        int iy0 = oy * stride_h - pad_top, ky0, ky1;
        pare_s8_taps(iy0, kh, dil_h, ih, &ky0, &ky1);
        for (ox = 0; ox < ow; ox++) {
          int ix0 = ox * stride_w - pad_left, kx0, kx1;
          int8_t *yp = y + (((size_t)b * oh + oy) * ow + ox) * c;
          const int8_t *xo = x + (((size_t)b * ih + iy0) * iw + ix0) * c;
          pare_s8_taps(ix0, kw, dil_w, iw, &kx0, &kx1);
          for (ch = 0; ch < c4; ch += 4) {
            int32_t a0 = bias ? bias[ch] : 0, a1 = bias ? bias[ch + 1] : 0;
            int32_t a2 = bias ? bias[ch + 2] : 0, a3 = bias ? bias[ch + 3] : 0;
            if (ky1 - ky0 == 3 && kx1 - kx0 == 3 && kh == 3 && kw == 3) {
              /* Full 3x3 window, unrolled. */
              const int8_t *xr = xo + ch;
              const int16_t *wr = scratch + ch;
              int r;
              for (r = 0; r < 3; r++) {
                int s;
                for (s = 0; s < 3; s++) {
                  int32_t v = pare_s8_ld32(xr + (size_t)(s * dil_w) * c);
                  int32_t xa = __sxtab16(zp2, v), xb = pare_s8_sxtab16_ror8(zp2, v);
                  int32_t wa = pare_s8_ld32(wr + (size_t)(r * 3 + s) * c);
                  int32_t wb = pare_s8_ld32(wr + (size_t)(r * 3 + s) * c + 2);
                  a0 = __smlabb(xa, wa, a0);
                  a2 = __smlatt(xa, wa, a2);
                  a1 = __smlabb(xb, wb, a1);
                  a3 = __smlatt(xb, wb, a3);
                }
                xr += (size_t)dil_h * iw * c;
              }
            } else {
              for (ky = ky0; ky < ky1; ky++)
                for (kx = kx0; kx < kx1; kx++) {
                  int32_t v = pare_s8_ld32(xo + ((size_t)ky * dil_h * iw + (size_t)kx * dil_w) * c + ch);
                  int32_t xa = __sxtab16(zp2, v), xb = pare_s8_sxtab16_ror8(zp2, v);
                  const int16_t *wp = scratch + ((size_t)ky * kw + kx) * c + ch;
                  int32_t wa = pare_s8_ld32(wp), wb = pare_s8_ld32(wp + 2);
                  a0 = __smlabb(xa, wa, a0);
                  a2 = __smlatt(xa, wa, a2);
                  a1 = __smlabb(xb, wb, a1);
                  a3 = __smlatt(xb, wb, a3);
                }
            }
            yp[ch] = pare_s8_out(a0, mult[ch], shift[ch], y_zp, act_min, act_max);
            yp[ch + 1] = pare_s8_out(a1, mult[ch + 1], shift[ch + 1], y_zp, act_min, act_max);
            yp[ch + 2] = pare_s8_out(a2, mult[ch + 2], shift[ch + 2], y_zp, act_min, act_max);
            yp[ch + 3] = pare_s8_out(a3, mult[ch + 3], shift[ch + 3], y_zp, act_min, act_max);
          }
          for (; ch < c; ch++) {
            int32_t acc = bias ? bias[ch] : 0;
            for (ky = ky0; ky < ky1; ky++)
              for (kx = kx0; kx < kx1; kx++)
                acc += (xo[((size_t)ky * dil_h * iw + (size_t)kx * dil_w) * c + ch] - x_zp) *
                       scratch[((size_t)ky * kw + kx) * c + ch];
            yp[ch] = pare_s8_out(acc, mult[ch], shift[ch], y_zp, act_min, act_max);
          }
        }
      }
    return;
  }
#else
  (void)scratch;
#endif
  for (b = 0; b < n; b++)
    for (oy = 0; oy < oh; oy++) {
      int iy0 = oy * stride_h - pad_top, ky0, ky1;
      pare_s8_taps(iy0, kh, dil_h, ih, &ky0, &ky1);
      for (ox = 0; ox < ow; ox++) {
        int ix0 = ox * stride_w - pad_left, kx0, kx1;
        int8_t *yp = y + (((size_t)b * oh + oy) * ow + ox) * c;
        pare_s8_taps(ix0, kw, dil_w, iw, &kx0, &kx1);
        for (ch = 0; ch < c; ch++) {
          int32_t acc = bias ? bias[ch] : 0;
          for (ky = ky0; ky < ky1; ky++)
            for (kx = kx0; kx < kx1; kx++)
              acc += (x[(((size_t)b * ih + iy0 + ky * dil_h) * iw + ix0 + kx * dil_w) * c + ch] - x_zp) *
                     w[((size_t)ky * kw + kx) * c + ch];
          yp[ch] = pare_s8_out(acc, mult[ch], shift[ch], y_zp, act_min, act_max);
        }
      }
    }
}

/* ------------------------------------------- in-place depthwise -- */

/* TinyEngine-style depthwise convolution: one channel at a time, the channel
 * is first copied out of x into a temporary T in scratch (staged with its
 * padding, x_zp, when the padded extent fits the scratch bound), then all its
 * output pixels are computed from T and stored. Channel ch's outputs only
 * overwrite channel ch of pixels < oh*ow <= ih*iw, already copied out, so y
 * may be x. With T padded the accumulator is bias - x_zp * sum(w) +
 * sum T * w over the whole window (exact integer sums: the same bits as
 * pare_depthwise_conv2d_s8).
 *
 * Scratch: [weights, 4*kh*(kw+3) bytes][T, (ih+kh-1)*(iw+kw-1) + 8 bytes].
 * The weights are per channel int32 [kh][kw] or, on the DSP path, per row
 * (kw+3)/4 pairs of words P = (w[j], w[j+2]), Q = (w[j+1], w[j+3]) (int16
 * halves, 0 past kw). The DSP row loops load T four bytes at a time and may
 * read up to 3 bytes past the window (within the +8; those bytes meet a
 * zero weight or an unused lane). */

#if PARE_S8_DSP
/* One row of taps of a single output (any stride, dilation 1): tp points at
 * the window's first tap of that row. */
PARE_S8_INLINE int32_t pare_s8_dwi_row1(const int8_t *tp, const int32_t *wp, int kw, int32_t a)
{
  int j;
  for (j = 0; j < kw; j += 4) {
    const int32_t v = pare_s8_ld32(tp + j);
    a = __smlad(__sxtb16(v), wp[j / 2], a);
    if (j + 1 < kw) a = __smlad(pare_s8_sxtb16_ror8(v), wp[j / 2 + 1], a);
  }
  return a;
}

/* One row of taps of two neighbouring outputs at stride 1 (tp: the first
 * one's window; the second's starts at tp + 1). With A = (t[j], t[j+2]),
 * B = (t[j+1], t[j+3]): out0 += A.P + B.Q; out1 += B.P + t[j+2] w[j+1] +
 * t[j+4] w[j+3] (the last from the next group's A, or a byte load). */
PARE_S8_INLINE void pare_s8_dwi_row2(const int8_t *tp, const int32_t *wp, int kw, int32_t *p0,
                                     int32_t *p1)
{
  int32_t a0 = *p0, a1 = *p1, q = 0;
  int j;
  for (j = 0; j < kw; j += 4) {
    const int32_t v = pare_s8_ld32(tp + j);
    const int32_t A = __sxtb16(v), B = pare_s8_sxtb16_ror8(v), P = wp[j / 2];
    if (j > 0) a1 = __smlabt(A, q, a1); /* t[j] * w[j-1] */
    q = wp[j / 2 + 1];
    a0 = __smlad(A, P, a0);
    a1 = __smlad(B, P, a1);
    if (j + 1 < kw) {
      a0 = __smlad(B, q, a0);
      a1 = __smlatb(A, q, a1);
    }
  }
  if ((kw & 3) == 0) a1 = __smlabt((int32_t)tp[kw], q, a1);
  *p0 = a0;
  *p1 = a1;
}
#endif

/* One output of channel ch of the in-place depthwise kernel: m, sh or fs
 * (fscale: see pare_s8_outq). */
PARE_S8_INLINE int8_t pare_s8_out_ch(int32_t acc, int32_t m, int32_t sh, const float *fscale,
                                     float fs, int32_t y_zp, int32_t lo, int32_t hi)
{
  if (fscale) return pare_s8_out_f(acc, fs, y_zp, lo, hi);
  return pare_s8_out(acc, m, sh, y_zp, lo, hi);
}

/* The in-place depthwise convolution of both arithmetics (fscale: see
 * pare_s8_outq). */
PARE_S8_INLINE void pare_s8_dwi(const int8_t *x, int n, int ih, int iw, int c, int32_t x_zp,
                    const int8_t *w, const int32_t *bias, const int32_t *mult, const int32_t *shift,
                    const float *fscale, int32_t y_zp, int32_t act_min, int32_t act_max,
                    int8_t *y, int oh, int ow, int kh, int kw, int stride_h, int stride_w,
                    int dil_h, int dil_w, int pad_top, int pad_left, int16_t *scratch)
{
  /* Extent of the padded input the windows touch, and the scratch bound. */
  const int ph = (oh - 1) * stride_h + (kh - 1) * dil_h + 1;
  const int pw = (ow - 1) * stride_w + (kw - 1) * dil_w + 1;
  const long cap = (long)(ih + kh - 1) * (iw + kw - 1);
  const int padded = pad_top >= 0 && pad_left >= 0 && (long)ph * pw <= cap;
  const int taps = kh * kw;
  int32_t *wk = (int32_t *)(void *)scratch;
  int8_t *t = (int8_t *)scratch + 4 * kh * (kw + 3);
  const size_t xstride = (size_t)ih * iw * c, ystride = (size_t)oh * ow * c;
  int b, ch, oy, ox, r, s;
#if PARE_S8_DSP
  const int packed = padded && dil_h == 1 && dil_w == 1;
  const int g2 = 2 * ((kw + 3) / 4); /* words per weight row */
#else
  const int packed = 0;
#endif
  if (oh <= 0 || ow <= 0) return;
  if (padded) memset(t, (int)(int8_t)x_zp, (size_t)ph * pw + 4);
  for (b = 0; b < n; b++) {
    const int8_t *xb = x + (size_t)b * xstride;
    int8_t *yb = y + (size_t)b * ystride;
    for (ch = 0; ch < c; ch++) {
      const int32_t m = fscale ? 0 : mult[ch], sh = fscale ? 0 : shift[ch];
      const float fs = fscale ? fscale[ch] : 0.0f;
      int32_t b0 = bias ? bias[ch] : 0, wsum = 0;
      /* This channel's weights. */
#if PARE_S8_DSP
      if (packed) {
        for (r = 0; r < kh; r++)
          for (s = 0; s < g2; s++) {
            const int j = (s >> 1) * 4 + (s & 1);
            const int8_t *wr = w + (size_t)r * kw * c + ch;
            const int32_t lo = j < kw ? wr[(size_t)j * c] : 0;
            const int32_t hi = j + 2 < kw ? wr[(size_t)(j + 2) * c] : 0;
            wk[r * g2 + s] = (int32_t)(((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16));
            wsum += lo + hi;
          }
      } else
#endif
      {
        for (r = 0; r < taps; r++) {
          wk[r] = w[(size_t)r * c + ch];
          wsum += wk[r];
        }
      }
      /* Stage the channel (the copy that makes in place correct). */
      if (padded) {
        const int ny = ih < ph - pad_top ? ih : (ph - pad_top > 0 ? ph - pad_top : 0);
        const int nx = iw < pw - pad_left ? iw : (pw - pad_left > 0 ? pw - pad_left : 0);
        for (r = 0; r < ny; r++) {
          const int8_t *xr = xb + (size_t)r * iw * c + ch;
          int8_t *tr = t + (size_t)(r + pad_top) * pw + pad_left;
          for (s = 0; s < nx; s++) tr[s] = xr[(size_t)s * c];
        }
        b0 = (int32_t)((uint32_t)b0 - (uint32_t)(x_zp * wsum));
      } else {
        const int8_t *xr = xb + ch;
        const size_t npix = (size_t)ih * iw;
        size_t p;
        for (p = 0; p < npix; p++) t[p] = xr[p * c];
      }
      /* Compute and store all of its outputs. */
      for (oy = 0; oy < oh; oy++) {
        int8_t *yo = yb + (size_t)oy * ow * c + ch;
        if (padded) {
          const int8_t *tr = t + (size_t)oy * stride_h * pw;
          ox = 0;
#if PARE_S8_DSP
          if (packed) {
            /* Kernel sizes known at compile time with at most 8 weight words
             * (3x3, 1x3, 3x1...): the words live in registers (wl). */
            const int inreg = __builtin_constant_p(kh * g2) && kh * g2 <= 8;
            int32_t wl[8];
            const int32_t *wq = inreg ? wl : wk;
            if (inreg)
              for (r = 0; r < kh * g2; r++) wl[r] = wk[r];
            if (stride_w == 1) {
              for (; ox + 1 < ow; ox += 2) {
                int32_t a0 = b0, a1 = b0;
                for (r = 0; r < kh; r++)
                  pare_s8_dwi_row2(tr + (size_t)r * pw + ox, wq + r * g2, kw, &a0, &a1);
                yo[(size_t)ox * c] = pare_s8_out_ch(a0, m, sh, fscale, fs, y_zp, act_min, act_max);
                yo[(size_t)(ox + 1) * c] = pare_s8_out_ch(a1, m, sh, fscale, fs, y_zp, act_min, act_max);
              }
            }
            {
              const int8_t *tp = tr + (size_t)ox * stride_w;
              int8_t *yp = yo + (size_t)ox * c;
              for (; ox < ow; ox++, tp += stride_w, yp += c) {
                int32_t a = b0;
                for (r = 0; r < kh; r++) a = pare_s8_dwi_row1(tp + (size_t)r * pw, wq + r * g2, kw, a);
                *yp = pare_s8_out_ch(a, m, sh, fscale, fs, y_zp, act_min, act_max);
              }
            }
            continue;
          }
#endif
          for (; ox < ow; ox++) {
            const int8_t *tp = tr + (size_t)ox * stride_w;
            int32_t a = b0;
            for (r = 0; r < kh; r++)
              for (s = 0; s < kw; s++)
                a += tp[(size_t)r * dil_h * pw + (size_t)s * dil_w] * wk[r * kw + s];
            yo[(size_t)ox * c] = pare_s8_out_ch(a, m, sh, fscale, fs, y_zp, act_min, act_max);
          }
        } else {
          /* Unpadded temporary (windows past the scratch bound: large
           * dilation or pads): bounds-checked taps. */
          const int iy0 = oy * stride_h - pad_top;
          int ky0, ky1;
          pare_s8_taps(iy0, kh, dil_h, ih, &ky0, &ky1);
          for (ox = 0; ox < ow; ox++) {
            const int ix0 = ox * stride_w - pad_left;
            int kx0, kx1;
            int32_t a = b0;
            pare_s8_taps(ix0, kw, dil_w, iw, &kx0, &kx1);
            for (r = ky0; r < ky1; r++)
              for (s = kx0; s < kx1; s++)
                a += (t[(size_t)(iy0 + r * dil_h) * iw + ix0 + s * dil_w] - x_zp) * wk[r * kw + s];
            yo[(size_t)ox * c] = pare_s8_out_ch(a, m, sh, fscale, fs, y_zp, act_min, act_max);
          }
        }
      }
    }
  }
  (void)packed;
}

PARE_S8_INLINE void pare_depthwise_conv2d_s8_inplace_impl(const int8_t *x, int n, int ih, int iw, int c, int32_t x_zp,
                    const int8_t *w, const int32_t *bias, const int32_t *mult, const int32_t *shift,
                    int32_t y_zp, int32_t act_min, int32_t act_max,
                    int8_t *y, int oh, int ow, int kh, int kw, int stride_h, int stride_w,
                    int dil_h, int dil_w, int pad_top, int pad_left, int16_t *scratch)
{
  pare_s8_dwi(x, n, ih, iw, c, x_zp, w, bias, mult, shift, NULL, y_zp, act_min, act_max, y, oh, ow,
              kh, kw, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left, scratch);
}

PARE_S8_INLINE void pare_depthwise_conv2d_s8_inplace_onnx_impl(const int8_t *x, int n, int ih, int iw, int c, int32_t x_zp,
                    const int8_t *w, const int32_t *bias, const float *scale,
                    int32_t y_zp, int32_t act_min, int32_t act_max,
                    int8_t *y, int oh, int ow, int kh, int kw, int stride_h, int stride_w,
                    int dil_h, int dil_w, int pad_top, int pad_left, int16_t *scratch)
{
  pare_s8_dwi(x, n, ih, iw, c, x_zp, w, bias, NULL, NULL, scale, y_zp, act_min, act_max, y, oh, ow,
              kh, kw, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left, scratch);
}

#if PARE_S8_DSP
/* One row of the fully-connected product on the DSP path. */
PARE_S8_INLINE int32_t pare_s8_fc_dot(const int8_t *xr, const int8_t *wj, int k, int32_t zp2,
                                      int32_t x_zp, int32_t s)
{
  int i;
  for (i = 0; i + 3 < k; i += 4) {
    int32_t v = pare_s8_ld32(xr + i), u = pare_s8_ld32(wj + i);
    s = __smlad(__sxtab16(zp2, v), __sxtb16(u), s);
    s = __smlad(pare_s8_sxtab16_ror8(zp2, v), pare_s8_sxtb16_ror8(u), s);
  }
  for (; i < k; i++) s += (xr[i] - x_zp) * wj[i];
  return s;
}
#endif

/* The fully-connected layer of both arithmetics (fscale: see pare_s8_outq). */
PARE_S8_INLINE void pare_s8_fc(const int8_t *x, int rows, int k, int32_t x_zp, const int8_t *w,
                               const int32_t *bias, const int32_t *mult, const int32_t *shift,
                               const float *fscale, int per_channel, int32_t y_zp, int32_t act_min,
                               int32_t act_max, int8_t *y, int n)
{
  int r, j, i;
  for (r = 0; r < rows; r++) {
    const int8_t *xr = x + (size_t)r * k;
    int8_t *yr = y + (size_t)r * n;
#if PARE_S8_DSP
    const int32_t zp2 = (int32_t)(((uint32_t)(-x_zp) & 0xFFFFu) * 0x10001u);
    const int k4 = k & ~3;
    const int nblk = __builtin_constant_p(k) ? (n & ~3) : n - n % 3;
    if (__builtin_constant_p(k)) {
      /* k known: the four weight rows are one base plus immediate offsets,
       * so four accumulators fit in the registers. */
      for (j = 0; j < nblk; j += 4) {
        const int8_t *w0 = w + (size_t)j * k;
        int32_t s0 = bias ? bias[j] : 0, s1 = bias ? bias[j + 1] : 0;
        int32_t s2 = bias ? bias[j + 2] : 0, s3 = bias ? bias[j + 3] : 0;
        for (i = 0; i < k4; i += 4) {
          int32_t v = pare_s8_ld32(xr + i);
          int32_t xa = __sxtab16(zp2, v), xb = pare_s8_sxtab16_ror8(zp2, v);
          int32_t u0 = pare_s8_ld32(w0 + i), u1 = pare_s8_ld32(w0 + k + i);
          int32_t u2 = pare_s8_ld32(w0 + 2 * k + i), u3 = pare_s8_ld32(w0 + 3 * k + i);
          s0 = __smlad(xa, __sxtb16(u0), s0);
          s0 = __smlad(xb, pare_s8_sxtb16_ror8(u0), s0);
          s1 = __smlad(xa, __sxtb16(u1), s1);
          s1 = __smlad(xb, pare_s8_sxtb16_ror8(u1), s1);
          s2 = __smlad(xa, __sxtb16(u2), s2);
          s2 = __smlad(xb, pare_s8_sxtb16_ror8(u2), s2);
          s3 = __smlad(xa, __sxtb16(u3), s3);
          s3 = __smlad(xb, pare_s8_sxtb16_ror8(u3), s3);
        }
        for (; i < k; i++) {
          int32_t xv = xr[i] - x_zp;
          s0 += xv * w0[i];
          s1 += xv * w0[k + i];
          s2 += xv * w0[2 * k + i];
          s3 += xv * w0[3 * k + i];
        }
        yr[j] = pare_s8_outq(s0, mult, shift, fscale, per_channel ? j : 0, y_zp, act_min, act_max);
        yr[j + 1] = pare_s8_outq(s1, mult, shift, fscale, per_channel ? j + 1 : 0, y_zp, act_min, act_max);
        yr[j + 2] = pare_s8_outq(s2, mult, shift, fscale, per_channel ? j + 2 : 0, y_zp, act_min, act_max);
        yr[j + 3] = pare_s8_outq(s3, mult, shift, fscale, per_channel ? j + 3 : 0, y_zp, act_min, act_max);
      }
    } else {
      /* k at run time: three rows walked by post-incremented pointers. */
      for (j = 0; j < nblk; j += 3) {
        const int8_t *w0 = w + (size_t)j * k, *w1 = w0 + k, *w2 = w1 + k, *xp = xr;
        const int8_t *xe = xr + k4;
        int32_t s0 = bias ? bias[j] : 0, s1 = bias ? bias[j + 1] : 0, s2 = bias ? bias[j + 2] : 0;
        while (xp != xe) {
          int32_t v = pare_s8_ld32(xp);
          int32_t xa = __sxtab16(zp2, v), xb = pare_s8_sxtab16_ror8(zp2, v);
          int32_t u0 = pare_s8_ld32(w0), u1 = pare_s8_ld32(w1), u2 = pare_s8_ld32(w2);
          xp += 4;
          w0 += 4;
          w1 += 4;
          w2 += 4;
          s0 = __smlad(xa, __sxtb16(u0), s0);
          s0 = __smlad(xb, pare_s8_sxtb16_ror8(u0), s0);
          s1 = __smlad(xa, __sxtb16(u1), s1);
          s1 = __smlad(xb, pare_s8_sxtb16_ror8(u1), s1);
          s2 = __smlad(xa, __sxtb16(u2), s2);
          s2 = __smlad(xb, pare_s8_sxtb16_ror8(u2), s2);
        }
        for (i = k4; i < k; i++) {
          int32_t xv = xr[i] - x_zp;
          s0 += xv * *w0++;
          s1 += xv * *w1++;
          s2 += xv * *w2++;
        }
        yr[j] = pare_s8_outq(s0, mult, shift, fscale, per_channel ? j : 0, y_zp, act_min, act_max);
        yr[j + 1] = pare_s8_outq(s1, mult, shift, fscale, per_channel ? j + 1 : 0, y_zp, act_min, act_max);
        yr[j + 2] = pare_s8_outq(s2, mult, shift, fscale, per_channel ? j + 2 : 0, y_zp, act_min, act_max);
      }
    }
    for (j = nblk; j < n; j++) {
      const int q = per_channel ? j : 0;
      yr[j] = pare_s8_outq(pare_s8_fc_dot(xr, w + (size_t)j * k, k, zp2, x_zp, bias ? bias[j] : 0),
                           mult, shift, fscale, q, y_zp, act_min, act_max);
    }
#else
    for (j = 0; j < n; j++) {
      const int8_t *wj = w + (size_t)j * k;
      int32_t acc = bias ? bias[j] : 0;
      int q = per_channel ? j : 0;
      for (i = 0; i < k; i++) acc += (xr[i] - x_zp) * wj[i];
      yr[j] = pare_s8_outq(acc, mult, shift, fscale, q, y_zp, act_min, act_max);
    }
#endif
  }
}

PARE_S8_INLINE void pare_fully_connected_s8_impl(const int8_t *x, int rows, int k, int32_t x_zp,
                    const int8_t *w, const int32_t *bias, const int32_t *mult, const int32_t *shift, int per_channel,
                    int32_t y_zp, int32_t act_min, int32_t act_max, int8_t *y, int n)
{
  pare_s8_fc(x, rows, k, x_zp, w, bias, mult, shift, NULL, per_channel, y_zp, act_min, act_max, y, n);
}

PARE_S8_INLINE void pare_fully_connected_s8_onnx_impl(const int8_t *x, int rows, int k, int32_t x_zp,
                    const int8_t *w, const int32_t *bias, const float *scale, int per_channel,
                    int32_t y_zp, int32_t act_min, int32_t act_max, int8_t *y, int n)
{
  pare_s8_fc(x, rows, k, x_zp, w, bias, NULL, NULL, scale, per_channel, y_zp, act_min, act_max, y, n);
}

/* ------------------------------------------------------- elementwise -- */

/* Odometer over an output shape: calls body(ia, ib, iy) per element.
 * Implemented as a macro-free helper state so that add and mul share it. */
typedef struct {
  int32_t idx[8];
  size_t ia, ib;
} pare_s8_odo_t;

PARE_S8_INLINE int pare_s8_contig(const int32_t *st, const int32_t *shape, int rank)
{
  int32_t e = 1;
  int d;
  for (d = rank - 1; d >= 0; d--) {
    if (shape[d] != 1 && st[d] != e) return 0;
    e *= shape[d];
  }
  return 1;
}

PARE_S8_INLINE void pare_s8_odo_step(pare_s8_odo_t *o, const int32_t *as, const int32_t *bs,
                                     const int32_t *shape, int rank)
{
  int d;
  for (d = rank - 1; d >= 0; d--) {
    o->ia += (size_t)(ptrdiff_t)as[d];
    o->ib += (size_t)(ptrdiff_t)bs[d];
    if (++o->idx[d] < shape[d]) return;
    o->ia -= (size_t)(ptrdiff_t)as[d] * (size_t)shape[d];
    o->ib -= (size_t)(ptrdiff_t)bs[d] * (size_t)shape[d];
    o->idx[d] = 0;
  }
}

PARE_S8_INLINE int8_t pare_s8_add1(int32_t av, int32_t bv, int32_t left_shift, int32_t a_zp,
                                   pare_s8_rq_t ra, int32_t b_zp, pare_s8_rq_t rb, int32_t y_zp,
                                   pare_s8_rq_t ry, int32_t lo, int32_t hi, int fast)
{
  int32_t a1 = (int32_t)((uint32_t)(av - a_zp) << left_shift);
  int32_t b1 = (int32_t)((uint32_t)(bv - b_zp) << left_shift);
  if (fast) { /* all three shifts <= -2 */
    int32_t s = pare_s8_rq_e2(a1, ra.mult, ra.right) + pare_s8_rq_e2(b1, rb.mult, rb.right);
    return (int8_t)pare_s8_clamp(pare_s8_rq_e2(s, ry.mult, ry.right) + y_zp, lo, hi);
  }
  return (int8_t)pare_s8_clamp(pare_requantize(pare_requantize(a1, ra.mult, ra.shift) +
                                                   pare_requantize(b1, rb.mult, rb.shift),
                                               ry.mult, ry.shift) + y_zp, lo, hi);
}

PARE_S8_INLINE void pare_add_s8_impl(const int8_t *a, const int32_t *a_strides, const int8_t *b, const int32_t *b_strides,
                 int8_t *y, const int32_t *shape, int rank, int32_t left_shift,
                 int32_t a_zp, int32_t a_mult, int32_t a_shift, int32_t b_zp, int32_t b_mult, int32_t b_shift,
                 int32_t y_zp, int32_t y_mult, int32_t y_shift, int32_t act_min, int32_t act_max)
{
  const pare_s8_rq_t ra = pare_s8_rq_make(a_mult, a_shift), rb = pare_s8_rq_make(b_mult, b_shift);
  const pare_s8_rq_t ry = pare_s8_rq_make(y_mult, y_shift);
  size_t total = 1, i;
  int d;
  for (d = 0; d < rank; d++) total *= (size_t)shape[d];
  if (pare_s8_contig(a_strides, shape, rank) && pare_s8_contig(b_strides, shape, rank)) {
    if (a_shift <= -2 && b_shift <= -2 && y_shift <= -2) {
      for (i = 0; i < total; i++)
        y[i] = pare_s8_add1(a[i], b[i], left_shift, a_zp, ra, b_zp, rb, y_zp, ry, act_min, act_max, 1);
    } else {
      for (i = 0; i < total; i++)
        y[i] = pare_s8_add1(a[i], b[i], left_shift, a_zp, ra, b_zp, rb, y_zp, ry, act_min, act_max, 0);
    }
  } else {
    pare_s8_odo_t o;
    memset(&o, 0, sizeof o);
    for (i = 0; i < total; i++) {
      y[i] = pare_s8_add1(a[o.ia], b[o.ib], left_shift, a_zp, ra, b_zp, rb, y_zp, ry, act_min, act_max, 0);
      pare_s8_odo_step(&o, a_strides, b_strides, shape, rank);
    }
  }
}

/* True when strides read a [C] vector broadcast over every dim but the last. */
PARE_S8_INLINE int pare_s8_channel_bcast(const int32_t *strides, int rank)
{
  int d;
  if (rank < 1 || strides[rank - 1] != 1)
    return 0;
  for (d = 0; d + 1 < rank; d++)
    if (strides[d] != 0)
      return 0;
  return 1;
}

PARE_S8_INLINE void pare_mul_s8_impl(const int8_t *a, const int32_t *a_strides, const int8_t *b, const int32_t *b_strides,
                 int8_t *y, const int32_t *shape, int rank, int32_t a_zp, int32_t b_zp,
                 int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max)
{
  const pare_s8_rq_t r = pare_s8_rq_make(mult, shift);
  size_t total = 1, i;
  int d;
  for (d = 0; d < rank; d++) total *= (size_t)shape[d];
  if (pare_s8_channel_bcast(a_strides, rank) && pare_s8_contig(b_strides, shape, rank) &&
      !pare_s8_contig(a_strides, shape, rank)) {
    /* The product commutes: put the per-channel operand second. */
    const int8_t *tp = a;
    const int32_t *ts = a_strides;
    int32_t tz = a_zp;
    a = b;
    a_strides = b_strides;
    a_zp = b_zp;
    b = tp;
    b_strides = ts;
    b_zp = tz;
  }
  if (pare_s8_contig(a_strides, shape, rank) && pare_s8_contig(b_strides, shape, rank)) {
    for (i = 0; i < total; i++)
      y[i] = (int8_t)pare_s8_clamp(pare_s8_rq_apply((a[i] - a_zp) * (b[i] - b_zp), r) + y_zp,
                                   act_min, act_max);
  } else if (rank >= 1 && pare_s8_contig(a_strides, shape, rank) &&
             pare_s8_channel_bcast(b_strides, rank)) {
    /* A per-channel scale (squeeze-and-excite): b is [C] over NHWC pixels. */
    const size_t c = (size_t)shape[rank - 1];
    size_t px, ch;
    for (px = 0; px < total / c; px++) {
      const int8_t *ap = a + px * c;
      int8_t *yp = y + px * c;
      for (ch = 0; ch < c; ch++)
        yp[ch] = (int8_t)pare_s8_clamp(
            pare_s8_rq_apply((ap[ch] - a_zp) * (b[ch] - b_zp), r) + y_zp, act_min, act_max);
    }
  } else {
    pare_s8_odo_t o;
    memset(&o, 0, sizeof o);
    for (i = 0; i < total; i++) {
      y[i] = (int8_t)pare_s8_clamp(
          pare_s8_rq_apply((a[o.ia] - a_zp) * (b[o.ib] - b_zp), r) + y_zp, act_min, act_max);
      pare_s8_odo_step(&o, a_strides, b_strides, shape, rank);
    }
  }
}

/* ----------------------------------------------------------- pooling -- */

PARE_S8_INLINE void pare_maxpool2d_s8_impl(const int8_t *x, int n, int ih, int iw, int c, int8_t *y, int oh, int ow,
                       int kh, int kw, int stride_h, int stride_w, int pad_top, int pad_left,
                       int pad_bottom, int pad_right, int32_t act_min, int32_t act_max)
{
  int b, oy, ox, r, s, ch;
  (void)pad_bottom;
  (void)pad_right;
  for (b = 0; b < n; b++)
    for (oy = 0; oy < oh; oy++) {
      int iy0 = oy * stride_h - pad_top, r0, r1;
      pare_s8_taps(iy0, kh, 1, ih, &r0, &r1);
      for (ox = 0; ox < ow; ox++) {
        int ix0 = ox * stride_w - pad_left, s0, s1;
        int8_t *yp = y + (((size_t)b * oh + oy) * ow + ox) * c;
        pare_s8_taps(ix0, kw, 1, iw, &s0, &s1);
        for (ch = 0; ch < c; ch++) {
          int32_t m = -128;
          for (r = r0; r < r1; r++)
            for (s = s0; s < s1; s++) {
              int32_t v = x[(((size_t)b * ih + iy0 + r) * iw + ix0 + s) * c + ch];
              m = v > m ? v : m;
            }
          yp[ch] = (int8_t)pare_s8_clamp(m, act_min, act_max);
        }
      }
    }
}

PARE_S8_INLINE void pare_avgpool2d_s8_impl(const int8_t *x, int n, int ih, int iw, int c, int8_t *y, int oh, int ow,
                       int kh, int kw, int stride_h, int stride_w, int pad_top, int pad_left,
                       int pad_bottom, int pad_right, int count_include_pad, int32_t act_min, int32_t act_max)
{
  int b, oy, ox, r, s, ch;
  (void)pad_bottom;
  (void)pad_right;
  for (b = 0; b < n; b++)
    for (oy = 0; oy < oh; oy++) {
      int iy0 = oy * stride_h - pad_top, r0, r1;
      pare_s8_taps(iy0, kh, 1, ih, &r0, &r1);
      for (ox = 0; ox < ow; ox++) {
        int ix0 = ox * stride_w - pad_left, s0, s1, cnt;
        int8_t *yp = y + (((size_t)b * oh + oy) * ow + ox) * c;
        pare_s8_taps(ix0, kw, 1, iw, &s0, &s1);
        cnt = count_include_pad ? kh * kw : (r1 - r0) * (s1 - s0);
        for (ch = 0; ch < c; ch++) {
          int32_t sum = 0, q;
          for (r = r0; r < r1; r++)
            for (s = s0; s < s1; s++) sum += x[(((size_t)b * ih + iy0 + r) * iw + ix0 + s) * c + ch];
          q = cnt <= 0 ? 0 : sum > 0 ? (sum + cnt / 2) / cnt : (sum - cnt / 2) / cnt;
          yp[ch] = (int8_t)pare_s8_clamp(q, act_min, act_max);
        }
      }
    }
}

/* TFLite's rounding division of a pool sum by its cell count: half away from
 * zero, written as TFLite / CMSIS-NN write it (C division truncates). */
PARE_S8_INLINE int32_t pare_s8_div_round(int32_t sum, int32_t cnt)
{
  return sum > 0 ? (sum + cnt / 2) / cnt : (sum - cnt / 2) / cnt;
}

/* The output of one channel of the global average pool from its raw sum. */
PARE_S8_INLINE int8_t pare_s8_gap_out(int32_t t, int32_t off, int32_t spatial, int ident, pare_s8_rq_t rq,
                                      int32_t y_zp, int32_t act_min, int32_t act_max)
{
  t += off;
  if (!ident) t = pare_s8_rq_apply(t, rq);
  return (int8_t)pare_s8_clamp(pare_s8_div_round(t, spatial) + y_zp, act_min, act_max);
}

#if PARE_S8_DSP
/* Raw sums over `spatial` positions of four neighbouring channels (xp: the
 * first one's first value, c: the position stride), in 16-bit lanes with
 * SXTAB16 (chunks of at most 256 positions, so the lanes cannot overflow). */
PARE_S8_INLINE void pare_s8_gap_sum4(const int8_t *xp, int spatial, int c, int32_t *t)
{
  int32_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
  int s0, s;
  for (s0 = 0; s0 < spatial; s0 += 256) {
    int s1 = spatial - s0 < 256 ? spatial : s0 + 256;
    int32_t e = 0, o = 0; /* 16-bit lanes: channels (0,2) and (1,3) */
    const int8_t *p = xp + (size_t)s0 * c;
    for (s = s0; s < s1; s++, p += c) {
      int32_t v = pare_s8_ld32(p);
      e = __sxtab16(e, v);
      o = pare_s8_sxtab16_ror8(o, v);
    }
    t0 += (int16_t)(e & 0xFFFF);
    t2 += (int16_t)((uint32_t)e >> 16);
    t1 += (int16_t)(o & 0xFFFF);
    t3 += (int16_t)((uint32_t)o >> 16);
  }
  t[0] = t0;
  t[1] = t1;
  t[2] = t2;
  t[3] = t3;
}
#endif

PARE_S8_INLINE void pare_global_avgpool_s8_impl(const int8_t *x, int n, int spatial, int c, int32_t x_zp, int32_t mult, int32_t shift,
                            int32_t y_zp, int32_t act_min, int32_t act_max, int8_t *y, int32_t *scratch)
{
  const pare_s8_rq_t rq = pare_s8_rq_make(mult, shift);
  /* 2^30 << 1 is the multiplier 1.0: exact, so skipped (sums stay far below 2^30). */
  const int ident = mult == (int32_t)1 << 30 && shift == 1;
  const int32_t off = -(int32_t)spatial * x_zp;
  int b, ch, s;
  (void)scratch;
  if (spatial <= 0) return;
  for (b = 0; b < n; b++) {
    const int8_t *xb = x + (size_t)b * spatial * c;
    int8_t *yb = y + (size_t)b * c;
    ch = 0;
#if PARE_S8_DSP
    for (; ch + 3 < c; ch += 4) {
      int32_t t[4];
      pare_s8_gap_sum4(xb + ch, spatial, c, t);
      yb[ch] = pare_s8_gap_out(t[0], off, spatial, ident, rq, y_zp, act_min, act_max);
      yb[ch + 1] = pare_s8_gap_out(t[1], off, spatial, ident, rq, y_zp, act_min, act_max);
      yb[ch + 2] = pare_s8_gap_out(t[2], off, spatial, ident, rq, y_zp, act_min, act_max);
      yb[ch + 3] = pare_s8_gap_out(t[3], off, spatial, ident, rq, y_zp, act_min, act_max);
    }
#endif
    for (; ch < c; ch++) {
      int32_t t = 0;
      const int8_t *xp = xb + ch;
      for (s = 0; s < spatial; s++, xp += c) t += *xp;
      yb[ch] = pare_s8_gap_out(t, off, spatial, ident, rq, y_zp, act_min, act_max);
    }
  }
}

/* -------------------------------------------------- quantization ops -- */

PARE_S8_INLINE void pare_requantize_s8_impl(const int8_t *x, int8_t *y, size_t count, int32_t x_zp, int32_t mult, int32_t shift, int32_t y_zp)
{
  const pare_s8_rq_t r = pare_s8_rq_make(mult, shift);
  size_t i;
  for (i = 0; i < count; i++)
    y[i] = (int8_t)pare_s8_clamp(pare_s8_rq_apply(x[i] - x_zp, r) + y_zp, -128, 127);
}

PARE_S8_INLINE void pare_lut_s8_impl(const int8_t *x, int8_t *y, size_t count, const int8_t *table)
{
  size_t i;
  for (i = 0; i < count; i++) y[i] = table[x[i] + 128];
}

PARE_S8_INLINE void pare_quantize_f32_s8_impl(const float *x, int8_t *y, size_t count, float scale, int32_t zp)
{
  size_t i;
  for (i = 0; i < count; i++) y[i] = pare_s8_sat_f(x[i] / scale, zp);
}

PARE_S8_INLINE void pare_dequantize_s8_f32_impl(const int8_t *x, float *y, size_t count, float scale, int32_t zp)
{
  size_t i;
  for (i = 0; i < count; i++) y[i] = (float)(x[i] - zp) * scale;
}

PARE_S8_INLINE void pare_flip_u8_s8_impl(const void *x, void *y, size_t count)
{
  const uint8_t *xp = (const uint8_t *)x;
  uint8_t *yp = (uint8_t *)y;
  size_t i;
  for (i = 0; i < count; i++) yp[i] = (uint8_t)(xp[i] ^ 0x80u);
}

/* ------------------------------------- generic ONNX-exact kernels -- */

PARE_S8_INLINE void pare_conv2d_acc_s8_impl(const int8_t *x, int n, int ih, int iw, int ic, int32_t x_zp,
                        const int8_t *w, const int32_t *w_zp, int w_zp_count,
                        int32_t *acc, int oh, int ow, int oc, int kh, int kw, int stride_h, int stride_w,
                        int dil_h, int dil_w, int pad_top, int pad_left, int group)
{
  const int icg = ic / group, ocg = oc / group;
  int b, oy, ox, o, ky, kx, ci;
  for (b = 0; b < n; b++)
    for (oy = 0; oy < oh; oy++)
      for (ox = 0; ox < ow; ox++) {
        int iy0 = oy * stride_h - pad_top, ix0 = ox * stride_w - pad_left, ky0, ky1, kx0, kx1;
        int32_t *ap = acc + (((size_t)b * oh + oy) * ow + ox) * oc;
        pare_s8_taps(iy0, kh, dil_h, ih, &ky0, &ky1);
        pare_s8_taps(ix0, kw, dil_w, iw, &kx0, &kx1);
        for (o = 0; o < oc; o++) {
          const int g = o / ocg;
          const int32_t wz = w_zp[w_zp_count == 1 ? 0 : o];
          const int8_t *wo = w + (size_t)o * kh * kw * icg;
          uint32_t s = 0; /* wraps like onnxruntime's int32 sums, without UB */
          for (ky = ky0; ky < ky1; ky++)
            for (kx = kx0; kx < kx1; kx++) {
              const int8_t *xp =
                  x + (((size_t)b * ih + iy0 + ky * dil_h) * iw + ix0 + kx * dil_w) * ic + (size_t)g * icg;
              const int8_t *wp = wo + ((size_t)ky * kw + kx) * icg;
              for (ci = 0; ci < icg; ci++) s += (uint32_t)((xp[ci] - x_zp) * (wp[ci] - wz));
            }
          ap[o] = (int32_t)s;
        }
      }
}

PARE_S8_INLINE void pare_matmul_acc_s8_impl(const int8_t *a, int32_t a_zp, const int8_t *b, const int32_t *b_zp, int b_zp_count,
                        int32_t *y, int m, int n, int k, int a_rs, int a_cs, int b_rs, int b_cs,
                        const int32_t *batch_shape, int batch_rank,
                        const int32_t *a_bstrides, const int32_t *b_bstrides)
{
  size_t nb = 1, t;
  int d, i, j, q;
  int32_t idx[8];
  ptrdiff_t ao = 0, bo = 0;
  for (d = 0; d < batch_rank; d++) {
    nb *= (size_t)batch_shape[d];
    idx[d] = 0;
  }
  for (t = 0; t < nb; t++) {
    const int8_t *ab = a + ao, *bb = b + bo;
    int32_t *yb = y + t * (size_t)m * n;
    for (i = 0; i < m; i++)
      for (j = 0; j < n; j++) {
        const int32_t bz = b_zp[b_zp_count == 1 ? 0 : j];
        uint32_t s = 0; /* wraps like onnxruntime's int32 sums, without UB */
        for (q = 0; q < k; q++)
          s += (uint32_t)((ab[(ptrdiff_t)i * a_rs + (ptrdiff_t)q * a_cs] - a_zp) *
                          (bb[(ptrdiff_t)q * b_rs + (ptrdiff_t)j * b_cs] - bz));
        yb[(size_t)i * n + j] = (int32_t)s;
      }
    for (d = batch_rank - 1; d >= 0; d--) {
      ao += a_bstrides[d];
      bo += b_bstrides[d];
      if (++idx[d] < batch_shape[d]) break;
      ao -= (ptrdiff_t)a_bstrides[d] * batch_shape[d];
      bo -= (ptrdiff_t)b_bstrides[d] * batch_shape[d];
      idx[d] = 0;
    }
  }
}

PARE_S8_INLINE void pare_requantize_acc_s8_impl(const int32_t *acc, const int32_t *bias, const float *scale, int scale_count,
                            int channels, size_t count, int32_t y_zp, int8_t *y)
{
  size_t i;
  int c = 0;
  for (i = 0; i < count; i++) {
    /* The int32 sum wraps, as in onnxruntime's QLinearConv / QGemm and the
     * ONNX reference (an INT32_MAX bias is legal); unsigned: no UB. */
    int32_t v = (int32_t)((uint32_t)acc[i] + (uint32_t)(bias ? bias[c] : 0));
    y[i] = pare_s8_sat_f((float)v * scale[scale_count == 1 ? 0 : c], y_zp);
    if (++c == channels) c = 0;
  }
}

/* ------------------------------------ onnxruntime-exact add / mul -- */

/* fma(x, r, c) rounded once to float32 (onnxruntime's x86 kernels use FMA
 * instructions) for an integer x of at most 16 bits. Where the compiler has
 * a fused multiply-add instruction for float (Cortex-M4 / M7: VFMA.F32) that
 * is it. Elsewhere: p = x * r is exact in double (at most 40 bits), s = p + c
 * rounds once and e = p + c - s exactly (TwoSum); s rounded to odd (its last
 * bit set when e != 0 and the bit is clear, moving toward e) then rounds to
 * float exactly as p + c would (round to odd in 53 >= 24 + 2 bits, Boldo and
 * Melquiond), so the double rounding of a plain (float)(p + c) cannot occur. */
PARE_S8_INLINE float pare_s8_fma_i(int32_t x, float r, float c)
{
#if defined(__FP_FAST_FMAF)
  return __builtin_fmaf((float)x, r, c);
#else
  const double p = (double)x * (double)r, cd = (double)c, s = p + cd;
  const double bv = s - p, av = s - bv, e = (p - av) + (cd - bv);
  if (e != 0.0 && e == e) { /* inexact (and not inf - inf) */
    uint64_t u;
    double odd;
    memcpy(&u, &s, 8);
    if (!(u & 1u)) u = (e > 0.0) == (s > 0.0) ? u + 1u : u - 1u;
    memcpy(&odd, &u, 8);
    return (float)odd;
  }
  return (float)s;
#endif
}

PARE_S8_INLINE int8_t pare_s8_sat_clamp_f(float v, int32_t zp, int32_t lo, int32_t hi)
{
  return (int8_t)pare_s8_clamp(pare_s8_sat_f(v, zp), lo, hi);
}

PARE_S8_INLINE void pare_add_s8_onnx_impl(const int8_t *a, const int32_t *a_strides, const int8_t *b, const int32_t *b_strides,
                      int8_t *y, const int32_t *shape, int rank, float a_ratio, int32_t a_zp,
                      float b_ratio, int32_t b_zp, int32_t y_zp, int32_t act_min, int32_t act_max)
{
  const float fixed = (float)y_zp - (a_ratio * (float)a_zp + b_ratio * (float)b_zp);
  /* Ratios and offset far from overflow: every sum below is finite (no
   * inf - inf = NaN), which pare_s8_rne_clamp needs; else the NaN-aware
   * rounding of pare_s8_sat_f (onnxruntime: NaN -> the lowest value). */
  const int moderate = a_ratio > -1e30f && a_ratio < 1e30f && b_ratio > -1e30f &&
                       b_ratio < 1e30f && fixed > -1e30f && fixed < 1e30f;
  int a_scalar = 1, b_scalar = 1, a_span = 0, b_span = 0, inner = -1, d;
  size_t total = 1, i;
  pare_s8_odo_t o;
  for (d = 0; d < rank; d++) {
    total *= (size_t)shape[d];
    if (shape[d] > 1 && a_strides[d] != 0) a_scalar = 0;
    if (shape[d] > 1 && b_strides[d] != 0) b_scalar = 0;
    if (shape[d] > 1) inner = d;
  }
  /* onnxruntime's spans: the innermost non-unit dim decides which operand is
   * a scalar per span. */
  if (inner >= 0) {
    a_span = a_strides[inner] == 0;
    b_span = b_strides[inner] == 0;
  }
  if (moderate && !a_scalar && !b_scalar && pare_s8_contig(a_strides, shape, rank) &&
      pare_s8_contig(b_strides, shape, rank)) {
    /* Same shapes (a residual add): no broadcasting, no odometer. */
    for (i = 0; i < total; i++)
      y[i] = (int8_t)pare_s8_rne_clamp(pare_s8_fma_i(a[i], a_ratio, pare_s8_fma_i(b[i], b_ratio, fixed)),
                                       act_min, act_max);
    return;
  }
  memset(&o, 0, sizeof o);
  for (i = 0; i < total; i++) {
    int32_t av = a[o.ia], bv = b[o.ib];
    float v;
    if ((b_span || b_scalar) && !a_scalar)
      v = pare_s8_fma_i(av, a_ratio, fixed + (float)bv * b_ratio);
    else if (a_span || a_scalar)
      v = pare_s8_fma_i(bv, b_ratio, fixed + (float)av * a_ratio);
    else
      v = pare_s8_fma_i(av, a_ratio, pare_s8_fma_i(bv, b_ratio, fixed));
    y[i] = moderate ? (int8_t)pare_s8_rne_clamp(v, act_min, act_max)
                    : pare_s8_sat_clamp_f(v, 0, act_min, act_max);
    pare_s8_odo_step(&o, a_strides, b_strides, shape, rank);
  }
}

PARE_S8_INLINE void pare_mul_s8_onnx_impl(const int8_t *a, const int32_t *a_strides, const int8_t *b, const int32_t *b_strides,
                      int8_t *y, const int32_t *shape, int rank, int32_t a_zp, int32_t b_zp,
                      float ratio, int32_t y_zp, int32_t act_min, int32_t act_max)
{
  /* A moderate ratio keeps every product finite: pare_s8_out_f. */
  const int moderate = ratio > -1e30f && ratio < 1e30f;
  size_t total = 1, i;
  int d;
  pare_s8_odo_t o;
  for (d = 0; d < rank; d++) total *= (size_t)shape[d];
  if (moderate && pare_s8_channel_bcast(a_strides, rank) && pare_s8_contig(b_strides, shape, rank) &&
      !pare_s8_contig(a_strides, shape, rank)) {
    /* The integer product commutes: put the per-channel operand second. */
    const int8_t *tp = a;
    const int32_t *ts = a_strides;
    int32_t tz = a_zp;
    a = b;
    a_strides = b_strides;
    a_zp = b_zp;
    b = tp;
    b_strides = ts;
    b_zp = tz;
  }
  if (moderate && pare_s8_contig(a_strides, shape, rank) && pare_s8_contig(b_strides, shape, rank)) {
    for (i = 0; i < total; i++)
      y[i] = pare_s8_out_f((a[i] - a_zp) * (b[i] - b_zp), ratio, y_zp, act_min, act_max);
    return;
  }
  if (moderate && rank >= 1 && pare_s8_contig(a_strides, shape, rank) &&
      pare_s8_channel_bcast(b_strides, rank)) {
    /* A per-channel scale (squeeze-and-excite): b is [C] over NHWC pixels. */
    const size_t c = (size_t)shape[rank - 1];
    size_t px, ch;
    for (px = 0; px < total / c; px++) {
      const int8_t *ap = a + px * c;
      int8_t *yp = y + px * c;
      for (ch = 0; ch < c; ch++)
        yp[ch] = pare_s8_out_f((ap[ch] - a_zp) * (b[ch] - b_zp), ratio, y_zp, act_min, act_max);
    }
    return;
  }
  memset(&o, 0, sizeof o);
  for (i = 0; i < total; i++) {
    int32_t p = ((int32_t)a[o.ia] - a_zp) * ((int32_t)b[o.ib] - b_zp);
    y[i] = pare_s8_sat_clamp_f((float)p * ratio, y_zp, act_min, act_max);
    pare_s8_odo_step(&o, a_strides, b_strides, shape, rank);
  }
}

PARE_S8_INLINE void pare_softmax_s8_onnx_impl(const int8_t *x, int8_t *y, int outer, int d, int inner, const float *table,
                          float y_scale_floor, int32_t y_zp)
{
  int o, in, k;
  for (o = 0; o < outer; o++)
    for (in = 0; in < inner; in++) {
      const int8_t *xp = x + (size_t)o * d * inner + in;
      int8_t *yp = y + (size_t)o * d * inner + in;
      int32_t xmax = -128, adj;
      float sum = 0.0f;
      for (k = 0; k < d; k++)
        if (xp[(size_t)k * inner] > xmax) xmax = xp[(size_t)k * inner];
      adj = 127 - xmax;
      for (k = 0; k < d; k++)
        sum += table[(uint8_t)(adj + xp[(size_t)k * inner])];
      for (k = 0; k < d; k++) {
        float e = table[(uint8_t)(adj + xp[(size_t)k * inner])];
        yp[(size_t)k * inner] = sum == 0.0f ? (int8_t)pare_s8_clamp(y_zp, -128, 127)
                                            : pare_s8_sat_f((e * y_scale_floor) / sum, y_zp);
      }
    }
}

PARE_S8_INLINE void pare_avgpool2d_s8_onnx_impl(const int8_t *x, int n, int ih, int iw, int c, int8_t *y, int oh, int ow,
                            int kh, int kw, int stride_h, int stride_w, int pad_top, int pad_left,
                            int count_include_pad, int32_t x_zp, float x_scale, float y_scale, int32_t y_zp,
                            int32_t act_min, int32_t act_max)
{
  int b, oy, ox, r, s, ch;
  for (b = 0; b < n; b++)
    for (oy = 0; oy < oh; oy++) {
      int iy0 = oy * stride_h - pad_top, r0, r1;
      pare_s8_taps(iy0, kh, 1, ih, &r0, &r1);
      for (ox = 0; ox < ow; ox++) {
        int ix0 = ox * stride_w - pad_left, s0, s1, cnt;
        int8_t *yp = y + (((size_t)b * oh + oy) * ow + ox) * c;
        float scale;
        pare_s8_taps(ix0, kw, 1, iw, &s0, &s1);
        cnt = count_include_pad ? kh * kw : (r1 - r0) * (s1 - s0);
        scale = x_scale / (y_scale * (float)(cnt > 0 ? cnt : 1));
        for (ch = 0; ch < c; ch++) {
          int32_t sum = 0;
          for (r = r0; r < r1; r++)
            for (s = s0; s < s1; s++)
              sum += x[(((size_t)b * ih + iy0 + r) * iw + ix0 + s) * c + ch] - x_zp;
          yp[ch] = pare_s8_sat_clamp_f((float)sum * scale + (float)y_zp, 0, act_min, act_max);
        }
      }
    }
}

/* One output of the ONNX global average pool from its sum (x_zp included):
 * the VCVTR rounding where the scale is moderate (every product finite),
 * else pare_s8_sat_f (NaN -> -128). */
PARE_S8_INLINE int8_t pare_s8_gap_onnx_out(int32_t sum, float scale, int moderate, int32_t y_zp)
{
  return moderate ? pare_s8_out_f(sum, scale, y_zp, -128, 127) : pare_s8_sat_f((float)sum * scale, y_zp);
}

PARE_S8_INLINE void pare_global_avgpool_s8_onnx_impl(const int8_t *x, int n, int spatial, int c, int32_t x_zp, float scale,
                                 int32_t y_zp, int8_t *y)
{
  const int32_t off = -spatial * x_zp;
  const int moderate = scale > -1e30f && scale < 1e30f;
  int b, p, ch;
  for (b = 0; b < n; b++) {
    const int8_t *xb = x + (size_t)b * spatial * c;
    int8_t *yb = y + (size_t)b * c;
    ch = 0;
#if PARE_S8_DSP
    for (; ch + 3 < c; ch += 4) {
      int32_t t[4];
      pare_s8_gap_sum4(xb + ch, spatial, c, t);
      yb[ch] = pare_s8_gap_onnx_out(t[0] + off, scale, moderate, y_zp);
      yb[ch + 1] = pare_s8_gap_onnx_out(t[1] + off, scale, moderate, y_zp);
      yb[ch + 2] = pare_s8_gap_onnx_out(t[2] + off, scale, moderate, y_zp);
      yb[ch + 3] = pare_s8_gap_onnx_out(t[3] + off, scale, moderate, y_zp);
    }
#endif
    for (; ch < c; ch++) {
      int32_t sum = off;
      for (p = 0; p < spatial; p++) sum += xb[(size_t)p * c + ch];
      yb[ch] = pare_s8_gap_onnx_out(sum, scale, moderate, y_zp);
    }
  }
}

#endif /* PARE_K_S8_IMPL_H */
