/*
 * Per-layer instruction counts of the pare int8 kernels on QEMU Cortex-M4 /
 * Cortex-M7 (see ../shared/docs/measuring-on-cortex-m.md and run_layers.py).
 * Each of the nine reference layers runs on random int8 data / weights with
 * per-channel requantization, twice: through a per-layer static wrapper that
 * calls the *_impl body with literal constants (what generated code does) and
 * through the generic extern function. Timing: SysTick on the processor clock
 * under -icount shift=0 (one tick = 40 instructions). Both outputs must agree.
 * Prints one line per layer: "L<i> <macs> <spec_instr> <generic_instr> <ok>".
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pare_k_s8_impl.h"

#define SYST ((volatile uint32_t *)0xE000E010) /* CSR, RVR, CVR */

static uint32_t t_start;
static void tic(void)
{
  SYST[0] = 0;
  SYST[1] = 0xFFFFFF;
  SYST[2] = 0;
  SYST[0] = 5;
  t_start = SYST[2];
}
static uint32_t toc(void)
{
  uint32_t now = SYST[2];
  return ((t_start - now) & 0xFFFFFF) * 40u;
}

/* ---- buffers (RAM) ---- */
static int8_t xa[144 * 144 * 3 > 72 * 72 * 48 ? 144 * 144 * 3 : 72 * 72 * 48];
static int8_t xb2[36 * 36 * 16];
static int8_t ys[72 * 72 * 48], yg[72 * 72 * 48];
static int8_t wbuf[1280 * 1000];
static int32_t bias[1000], mult[1000], shift[1000];
static int16_t scratch[PARE_CONV2D_S8_SCRATCH_BYTES(56, 3, 3) / 2];
static int32_t strides[3] = {36 * 16, 16, 1}, shape3[3] = {36, 36, 16};

static uint32_t seed = 12345u;
static uint32_t rnd(void)
{
  seed = seed * 1664525u + 1013904223u;
  return seed >> 8;
}
static void fill8(int8_t *p, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) p[i] = (int8_t)(rnd() & 0xFF);
}
/* bias ~ K * 64, multipliers ~ 1 / (K * 128) with per-channel jitter. */
static void fill_q(int n, int K)
{
  int i, base = 0;
  while ((1 << base) < K * 128) base++;
  for (i = 0; i < n; i++) {
    bias[i] = (int32_t)(rnd() % (uint32_t)(K * 256)) - K * 128;
    mult[i] = (int32_t)(0x40000000u + (rnd() & 0x3FFFFFFFu));
    shift[i] = -(base - 2) - (int32_t)(rnd() % 2);
  }
}

#define NOINL __attribute__((noinline))
#define XZP (-7)
#define YZP 3

NOINL static void L1_spec(void) { pare_conv2d_s8_impl(xa, 1, 144, 144, 3, XZP, wbuf, bias, mult, shift, YZP, -128, 127, ys, 72, 72, 16, 3, 3, 2, 2, 1, 1, 1, 1, scratch); }
NOINL static void L1_gen(void) { pare_conv2d_s8(xa, 1, 144, 144, 3, XZP, wbuf, bias, mult, shift, YZP, -128, 127, yg, 72, 72, 16, 3, 3, 2, 2, 1, 1, 1, 1, scratch); }
NOINL static void L2_spec(void) { pare_depthwise_conv2d_s8_impl(xa, 1, 72, 72, 16, XZP, wbuf, bias, mult, shift, YZP, -128, 127, ys, 72, 72, 3, 3, 1, 1, 1, 1, 1, 1, scratch); }
NOINL static void L2_gen(void) { pare_depthwise_conv2d_s8(xa, 1, 72, 72, 16, XZP, wbuf, bias, mult, shift, YZP, -128, 127, yg, 72, 72, 3, 3, 1, 1, 1, 1, 1, 1, scratch); }
NOINL static void L3_spec(void) { pare_conv2d_s8_impl(xa, 1, 72, 72, 16, XZP, wbuf, bias, mult, shift, YZP, -128, 127, ys, 72, 72, 8, 1, 1, 1, 1, 1, 1, 0, 0, scratch); }
NOINL static void L3_gen(void) { pare_conv2d_s8(xa, 1, 72, 72, 16, XZP, wbuf, bias, mult, shift, YZP, -128, 127, yg, 72, 72, 8, 1, 1, 1, 1, 1, 1, 0, 0, scratch); }
NOINL static void L4_spec(void) { pare_conv2d_s8_impl(xa, 1, 72, 72, 8, XZP, wbuf, bias, mult, shift, YZP, -128, 127, ys, 72, 72, 48, 1, 1, 1, 1, 1, 1, 0, 0, scratch); }
NOINL static void L4_gen(void) { pare_conv2d_s8(xa, 1, 72, 72, 8, XZP, wbuf, bias, mult, shift, YZP, -128, 127, yg, 72, 72, 48, 1, 1, 1, 1, 1, 1, 0, 0, scratch); }
NOINL static void L5_spec(void) { pare_depthwise_conv2d_s8_impl(xa, 1, 72, 72, 48, XZP, wbuf, bias, mult, shift, YZP, -128, 127, ys, 36, 36, 3, 3, 2, 2, 1, 1, 1, 1, scratch); }
NOINL static void L5_gen(void) { pare_depthwise_conv2d_s8(xa, 1, 72, 72, 48, XZP, wbuf, bias, mult, shift, YZP, -128, 127, yg, 36, 36, 3, 3, 2, 2, 1, 1, 1, 1, scratch); }
NOINL static void L6_spec(void) { pare_conv2d_s8_impl(xa, 1, 9, 9, 56, XZP, wbuf, bias, mult, shift, YZP, -128, 127, ys, 9, 9, 336, 1, 1, 1, 1, 1, 1, 0, 0, scratch); }
NOINL static void L6_gen(void) { pare_conv2d_s8(xa, 1, 9, 9, 56, XZP, wbuf, bias, mult, shift, YZP, -128, 127, yg, 9, 9, 336, 1, 1, 1, 1, 1, 1, 0, 0, scratch); }
NOINL static void L7_spec(void) { pare_fully_connected_s8_impl(xa, 1, 1280, XZP, wbuf, bias, mult, shift, 1, YZP, -128, 127, ys, 1000); }
NOINL static void L7_gen(void) { pare_fully_connected_s8(xa, 1, 1280, XZP, wbuf, bias, mult, shift, 1, YZP, -128, 127, yg, 1000); }
/* TFLite ADD parameters: left_shift 20, input multipliers ~0.5 / 2^?, output ~ 2^-20 scale. */
NOINL static void L8_spec(void) { pare_add_s8_impl(xa, strides, xb2, strides, ys, shape3, 3, 20, XZP, 1623821475, -1, 11, 1073741824, 0, YZP, 1879048192, -19, -128, 127); }
NOINL static void L8_gen(void) { pare_add_s8(xa, strides, xb2, strides, yg, shape3, 3, 20, XZP, 1623821475, -1, 11, 1073741824, 0, YZP, 1879048192, -19, -128, 127); }
/* Same quantization in and out (CMSIS-NN's arm_avgpool_s8 case): what the compiler passes then,
 * zero points 0 and the unit multiplier; the sum divided by 25 with rounding. */
NOINL static void L9_spec(void) { pare_global_avgpool_s8_impl(xa, 1, 25, 1280, 0, 1073741824, 1, 0, -128, 127, ys, NULL); }
NOINL static void L9_gen(void) { pare_global_avgpool_s8(xa, 1, 25, 1280, 0, 1073741824, 1, 0, -128, 127, yg, NULL); }

typedef struct {
  const char *name;
  uint32_t macs;
  size_t xn, wn, yn;
  int nq, K;
  void (*spec)(void), (*gen)(void);
} layer_t;

static const layer_t layers[] = {
    {"L1", 2239488u, 144 * 144 * 3, 16 * 27, 72 * 72 * 16, 16, 27, L1_spec, L1_gen},
    {"L2", 746496u, 72 * 72 * 16, 9 * 16, 72 * 72 * 16, 16, 9, L2_spec, L2_gen},
    {"L3", 663552u, 72 * 72 * 16, 16 * 8, 72 * 72 * 8, 8, 16, L3_spec, L3_gen},
    {"L4", 1990656u, 72 * 72 * 8, 8 * 48, 72 * 72 * 48, 48, 8, L4_spec, L4_gen},
    {"L5", 559872u, 72 * 72 * 48, 9 * 48, 36 * 36 * 48, 48, 9, L5_spec, L5_gen},
    {"L6", 1524096u, 9 * 9 * 56, 56 * 336, 9 * 9 * 336, 336, 56, L6_spec, L6_gen},
    {"L7", 1280000u, 1280, 1280 * 1000, 1000, 1000, 1280, L7_spec, L7_gen},
    {"L8", 20736u, 36 * 36 * 16, 0, 36 * 36 * 16, 0, 1, L8_spec, L8_gen},
    {"L9", 32000u, 25 * 1280, 0, 1280, 0, 1, L9_spec, L9_gen},
};

int main(void)
{
  unsigned i;
  int bad = 0;
  for (i = 0; i < sizeof layers / sizeof layers[0]; i++) {
    const layer_t *L = &layers[i];
    uint32_t ts, tg;
    int ok;
    fill8(xa, L->xn);
    fill8(xb2, sizeof xb2);
    fill8(wbuf, L->wn);
    fill_q(L->nq, L->K);
    memset(ys, 0x55, L->yn);
    memset(yg, 0x2A, L->yn);
    tic();
    L->spec();
    ts = toc();
    tic();
    L->gen();
    tg = toc();
    ok = memcmp(ys, yg, L->yn) == 0;
    bad |= !ok;
    printf("%s %lu %lu %lu %s\n", L->name, (unsigned long)L->macs, (unsigned long)ts,
           (unsigned long)tg, ok ? "ok" : "MISMATCH");
  }
  return bad;
}
