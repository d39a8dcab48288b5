/*
 * Test harness for the pare int8 kernels (pare_kernels_s8.h), driven by
 * test_kernels_s8.py. Same binary protocol as harness.c: a stream of calls
 *   u32 name_len, name, u32 ni, ni x i64, u32 nf, nf x f64,
 *   u32 nb, nb x (u64 nbytes, bytes)   (nbytes = ~0: a NULL buffer)
 * each answered by u32 nb, nb x (u64 nbytes, bytes) (every buffer after the call).
 * Host build: stdin -> stdout. With -DPARE_SEMIHOST (QEMU, semihosting) the
 * calls are read from the host file s8_req.bin and answers written to s8_resp.bin
 * (paths relative to QEMU's working directory).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pare_k_s8_impl.h" /* also the inline helpers (pare_s8_requant) */

#define MAX_ARGS 64
#define NULL_BUF UINT64_MAX

static FILE *in, *out;

static int rd(void *p, size_t n) { return n == 0 || fread(p, 1, n, in) == n; }

static void die(const char *msg)
{
  fprintf(stderr, "harness_s8: %s\n", msg);
  exit(2);
}

#define II(k) ((int)I[k])
#define FF(k) ((float)F[k])
#define S8(k) ((int8_t *)B[k])
#define I16(k) ((int16_t *)B[k])
#define I32(k) ((int32_t *)B[k])
#define F32(k) ((float *)B[k])

static void dispatch(const char *name, const int64_t *I, const double *F, void **B)
{
#define IS(s) (strcmp(name, s) == 0)
  if (IS("requant_i32")) { /* acc mult shift y_ref y_fast | count */
    int64_t i;
    for (i = 0; i < I[0]; i++) {
      I32(3)[i] = pare_requantize(I32(0)[i], I32(1)[i], I32(2)[i]);
      I32(4)[i] = pare_s8_requant(I32(0)[i], I32(1)[i], I32(2)[i]);
    }
  } else if (IS("conv2d_s8")) { /* x w bias mult shift y scratch */
    pare_conv2d_s8(S8(0), II(0), II(1), II(2), II(3), II(4), S8(1), I32(2), I32(3), I32(4),
                   II(5), II(6), II(7), S8(5), II(8), II(9), II(10), II(11), II(12), II(13),
                   II(14), II(15), II(16), II(17), II(18), I16(6));
  } else if (IS("conv_transpose2d_s8")) { /* x w bias mult shift y */
    pare_conv_transpose2d_s8(S8(0), II(0), II(1), II(2), II(3), II(4), S8(1), I32(2), I32(3),
                             I32(4), II(5), II(6), II(7), S8(5), II(8), II(9), II(10), II(11),
                             II(12), II(13), II(14), II(15), II(16), II(17), II(18));
  } else if (IS("depthwise_conv2d_s8")) {
    pare_depthwise_conv2d_s8(S8(0), II(0), II(1), II(2), II(3), II(4), S8(1), I32(2), I32(3),
                             I32(4), II(5), II(6), II(7), S8(5), II(8), II(9), II(10), II(11),
                             II(12), II(13), II(14), II(15), II(16), II(17), I16(6));
  } else if (IS("depthwise_conv2d_s8_inplace") || IS("depthwise_conv2d_s8_inplace_alias")) {
    /* x w bias mult shift y scratch; _alias: y is x (same pointer) */
    int8_t *y = IS("depthwise_conv2d_s8_inplace") ? S8(5) : S8(0);
    pare_depthwise_conv2d_s8_inplace(S8(0), II(0), II(1), II(2), II(3), II(4), S8(1), I32(2),
                                     I32(3), I32(4), II(5), II(6), II(7), y, II(8), II(9), II(10),
                                     II(11), II(12), II(13), II(14), II(15), II(16), II(17), I16(6));
  } else if (IS("fully_connected_s8")) { /* x w bias mult shift y */
    pare_fully_connected_s8(S8(0), II(0), II(1), II(2), S8(1), I32(2), I32(3), I32(4), II(3),
                            II(4), II(5), II(6), S8(5), II(7));
  } else if (IS("conv2d_s8_onnx")) { /* x w bias scale y scratch */
    pare_conv2d_s8_onnx(S8(0), II(0), II(1), II(2), II(3), II(4), S8(1), I32(2), F32(3), II(5),
                        II(6), II(7), S8(4), II(8), II(9), II(10), II(11), II(12), II(13), II(14),
                        II(15), II(16), II(17), II(18), I16(5));
  } else if (IS("depthwise_conv2d_s8_inplace_onnx") || IS("depthwise_conv2d_s8_inplace_onnx_alias")) {
    /* x w bias scale y scratch; _alias: y is x */
    int8_t *y = IS("depthwise_conv2d_s8_inplace_onnx") ? S8(4) : S8(0);
    pare_depthwise_conv2d_s8_inplace_onnx(S8(0), II(0), II(1), II(2), II(3), II(4), S8(1), I32(2),
                                          F32(3), II(5), II(6), II(7), y, II(8), II(9), II(10),
                                          II(11), II(12), II(13), II(14), II(15), II(16), II(17),
                                          I16(5));
  } else if (IS("fully_connected_s8_onnx")) { /* x w bias scale y */
    pare_fully_connected_s8_onnx(S8(0), II(0), II(1), II(2), S8(1), I32(2), F32(3), II(3), II(4),
                                 II(5), II(6), S8(4), II(7));
  } else if (IS("add_s8") || IS("add_s8_inplace_a") || IS("add_s8_inplace_b")) {
    /* a as b bs y shape */
    int8_t *y = IS("add_s8") ? S8(4) : IS("add_s8_inplace_a") ? S8(0) : S8(2);
    pare_add_s8(S8(0), I32(1), S8(2), I32(3), y, I32(5), II(0), II(1), II(2), II(3), II(4),
                II(5), II(6), II(7), II(8), II(9), II(10), II(11), II(12));
  } else if (IS("mul_s8") || IS("mul_s8_inplace_a") || IS("mul_s8_inplace_b")) {
    int8_t *y = IS("mul_s8") ? S8(4) : IS("mul_s8_inplace_a") ? S8(0) : S8(2);
    pare_mul_s8(S8(0), I32(1), S8(2), I32(3), y, I32(5), II(0), II(1), II(2), II(3), II(4),
                II(5), II(6), II(7));
  } else if (strncmp(name, "add_s8_onnx", 11) == 0) {
    /* a as b bs y shape | rank a_zp b_zp y_zp lo hi ; a_ratio b_ratio; _inplace_a / _b: y is a / b */
    int8_t *y = IS("add_s8_onnx_inplace_a") ? S8(0) : IS("add_s8_onnx_inplace_b") ? S8(2) : S8(4);
    pare_add_s8_onnx(S8(0), I32(1), S8(2), I32(3), y, I32(5), II(0), FF(0), II(1), FF(1),
                     II(2), II(3), II(4), II(5));
  } else if (strncmp(name, "mul_s8_onnx", 11) == 0) { /* a as b bs y shape | rank a_zp b_zp y_zp lo hi ; ratio */
    int8_t *y = IS("mul_s8_onnx_inplace_a") ? S8(0) : IS("mul_s8_onnx_inplace_b") ? S8(2) : S8(4);
    pare_mul_s8_onnx(S8(0), I32(1), S8(2), I32(3), y, I32(5), II(0), II(1), II(2), FF(0),
                     II(3), II(4), II(5));
  } else if (IS("softmax_s8_onnx")) { /* x table y | outer d inner y_zp ; y_scale_floor */
    pare_softmax_s8_onnx(S8(0), S8(2), II(0), II(1), II(2), F32(1), FF(0), II(3));
  } else if (IS("avgpool2d_s8_onnx")) { /* x y | n ih iw c oh ow kh kw sh sw pt pl cip x_zp y_zp lo hi ; xs ys */
    pare_avgpool2d_s8_onnx(S8(0), II(0), II(1), II(2), II(3), S8(1), II(4), II(5), II(6), II(7),
                           II(8), II(9), II(10), II(11), II(12), II(13), FF(0), FF(1), II(14),
                           II(15), II(16));
  } else if (IS("global_avgpool_s8_onnx")) { /* x y | n spatial c x_zp y_zp ; scale */
    pare_global_avgpool_s8_onnx(S8(0), II(0), II(1), II(2), II(3), FF(0), II(4), S8(1));
  } else if (IS("maxpool2d_s8")) {
    pare_maxpool2d_s8(S8(0), II(0), II(1), II(2), II(3), S8(1), II(4), II(5), II(6), II(7),
                      II(8), II(9), II(10), II(11), II(12), II(13), II(14), II(15));
  } else if (IS("avgpool2d_s8")) {
    pare_avgpool2d_s8(S8(0), II(0), II(1), II(2), II(3), S8(1), II(4), II(5), II(6), II(7),
                      II(8), II(9), II(10), II(11), II(12), II(13), II(14), II(15), II(16));
  } else if (IS("global_avgpool_s8")) { /* x y scratch */
    pare_global_avgpool_s8(S8(0), II(0), II(1), II(2), II(3), II(4), II(5), II(6), II(7), II(8),
                           S8(1), I32(2));
  } else if (IS("resize_bilinear_s8")) { /* x y | outer ih iw oh ow inner sh10 sw10 half_pixel */
    pare_resize_bilinear_s8(S8(0), S8(1), II(0), II(1), II(2), II(3), II(4), II(5), II(6), II(7),
                            II(8));
  } else if (IS("requantize_s8")) {
    pare_requantize_s8(S8(0), S8(1), (size_t)I[0], II(1), II(2), II(3), II(4));
  } else if (IS("requantize_s8_inplace")) {
    pare_requantize_s8(S8(0), S8(0), (size_t)I[0], II(1), II(2), II(3), II(4));
  } else if (IS("lut_s8")) { /* x y table */
    pare_lut_s8(S8(0), S8(1), (size_t)I[0], S8(2));
  } else if (IS("lut_s8_inplace")) {
    pare_lut_s8(S8(0), S8(0), (size_t)I[0], S8(2));
  } else if (IS("quantize_f32_s8")) {
    pare_quantize_f32_s8(F32(0), S8(1), (size_t)I[0], FF(0), II(1));
  } else if (IS("dequantize_s8_f32")) {
    pare_dequantize_s8_f32(S8(0), F32(1), (size_t)I[0], FF(0), II(1));
  } else if (IS("flip_u8_s8")) {
    pare_flip_u8_s8(B[0], B[1], (size_t)I[0]);
  } else if (IS("flip_u8_s8_inplace")) {
    pare_flip_u8_s8(B[0], B[0], (size_t)I[0]);
  } else if (IS("conv2d_acc_s8")) { /* x w w_zp acc */
    pare_conv2d_acc_s8(S8(0), II(0), II(1), II(2), II(3), II(4), S8(1), I32(2), II(5), I32(3),
                       II(6), II(7), II(8), II(9), II(10), II(11), II(12), II(13), II(14), II(15),
                       II(16), II(17));
  } else if (IS("matmul_acc_s8")) { /* a b b_zp y batch_shape a_bst b_bst */
    pare_matmul_acc_s8(S8(0), II(0), S8(1), I32(2), II(1), I32(3), II(2), II(3), II(4), II(5),
                       II(6), II(7), II(8), I32(4), II(9), I32(5), I32(6));
  } else if (IS("requantize_acc_s8")) { /* acc bias scale y */
    pare_requantize_acc_s8(I32(0), I32(1), F32(2), II(0), II(1), (size_t)I[2], II(3), S8(3));
  } else {
    die(name);
  }
#undef IS
}

int main(void)
{
#ifdef PARE_SEMIHOST
  in = fopen("s8_req.bin", "rb");
  out = fopen("s8_resp.bin", "wb");
  if (!in || !out) die("cannot open s8_req.bin / s8_resp.bin");
#else
  in = stdin;
  out = stdout;
#endif
  for (;;) {
    char name[64];
    int64_t I[MAX_ARGS];
    double F[MAX_ARGS];
    void *B[MAX_ARGS];
    uint64_t L[MAX_ARGS];
    uint32_t nl, ni, nf, nb, k;
    if (fread(&nl, 4, 1, in) != 1) break;
    if (nl >= sizeof name || !rd(name, nl)) die("bad name");
    name[nl] = 0;
    if (!rd(&ni, 4) || ni > MAX_ARGS || !rd(I, 8 * (size_t)ni)) die("bad ints");
    if (!rd(&nf, 4) || nf > MAX_ARGS || !rd(F, 8 * (size_t)nf)) die("bad floats");
    if (!rd(&nb, 4) || nb > MAX_ARGS) die("bad buffer count");
    for (k = 0; k < nb; k++) {
      if (!rd(&L[k], 8)) die("bad buffer length");
      if (L[k] == NULL_BUF) {
        B[k] = NULL;
        continue;
      }
      /* 8-byte aligned (malloc); scratch buffers rely on 4-byte alignment. */
      B[k] = malloc(L[k] ? (size_t)L[k] : 1);
      if (!B[k] || !rd(B[k], (size_t)L[k])) die("bad buffer");
    }
    dispatch(name, I, F, B);
    fwrite(&nb, 4, 1, out);
    for (k = 0; k < nb; k++) {
      fwrite(&L[k], 8, 1, out);
      if (B[k]) {
        fwrite(B[k], 1, (size_t)L[k], out);
        free(B[k]);
      }
    }
  }
#ifdef PARE_SEMIHOST
  fclose(out);
  fclose(in);
#endif
  return 0;
}
