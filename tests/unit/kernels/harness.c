/*
 * Test harness for the pare runtime kernels, driven by test_kernels.py.
 *
 * Reads a stream of calls from stdin and answers each on stdout, all
 * little-endian binary:
 *   call:   u32 name_len, name, u32 ni, ni x i64, u32 nf, nf x f64,
 *           u32 nb, nb x (u64 nbytes, bytes)   (nbytes = ~0: a NULL buffer)
 *   answer: u32 nb, nb x (u64 nbytes, bytes)  -- every buffer after the call
 * Integer and float arguments are taken positionally by each kernel's entry
 * below; buffers are the kernel's arrays (inputs, outputs, shapes, strides).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pare_kernels.h"

#define MAX_ARGS 64
#define NULL_BUF UINT64_MAX

static int rd(void *p, size_t n) { return n == 0 || fread(p, 1, n, stdin) == n; }

static void die(const char *msg)
{
  fprintf(stderr, "harness: %s\n", msg);
  exit(2);
}

/* Shorthands for the positional arguments. */
#define II(k) ((int)I[k])
#define FF(k) ((float)F[k])
#define F32(k) ((float *)B[k])
#define I32(k) ((int32_t *)B[k])
#define I64(k) ((int64_t *)B[k])
#define U8(k) ((uint8_t *)B[k])

static void dispatch(const char *name, const int64_t *I, const double *F, void **B)
{
#define IS(s) (strcmp(name, s) == 0)
  if (IS("act_scalar")) { /* y[i] = pare_act_f32(x[i]) */
    int64_t i;
    for (i = 0; i < I[0]; i++)
      F32(1)[i] = pare_act_f32(F32(0)[i], (pare_act_t)II(1), FF(0), FF(1));
  } else if (IS("activation_f32")) {
    pare_activation_f32(F32(0), F32(1), (size_t)I[0], (pare_act_t)II(1), FF(0), FF(1));
  } else if (IS("activation_f32_inplace")) {
    pare_activation_f32(F32(0), F32(0), (size_t)I[0], (pare_act_t)II(1), FF(0), FF(1));
  } else if (IS("unary_f32")) {
    pare_unary_f32(F32(0), F32(1), (size_t)I[0], (pare_unop_t)II(1));
  } else if (IS("unary_f32_inplace")) {
    pare_unary_f32(F32(0), F32(0), (size_t)I[0], (pare_unop_t)II(1));
  } else if (IS("unary_i64")) {
    pare_unary_i64(I64(0), I64(1), (size_t)I[0], (pare_unop_t)II(1));
  } else if (IS("unary_i32")) {
    pare_unary_i32(I32(0), I32(1), (size_t)I[0], (pare_unop_t)II(1));
  } else if (IS("binary_f32")) { /* a, as, b, bs, y, shape | op rank act */
    pare_binary_f32((pare_binop_t)II(0), F32(0), I32(1), F32(2), I32(3), F32(4),
                    I32(5), II(1), (pare_act_t)II(2), FF(0), FF(1));
  } else if (IS("binary_f32_inplace")) { /* y is a */
    pare_binary_f32((pare_binop_t)II(0), F32(0), I32(1), F32(2), I32(3), F32(0),
                    I32(5), II(1), (pare_act_t)II(2), FF(0), FF(1));
  } else if (IS("binary_i64")) {
    pare_binary_i64((pare_binop_t)II(0), I64(0), I32(1), I64(2), I32(3), I64(4),
                    I32(5), II(1));
  } else if (IS("binary_i32")) {
    pare_binary_i32((pare_binop_t)II(0), I32(0), I32(1), I32(2), I32(3), I32(4),
                    I32(5), II(1));
  } else if (IS("compare")) { /* op dtype rank */
    pare_compare((pare_cmpop_t)II(0), (pare_dtype_t)II(1), B[0], I32(1), B[2],
                 I32(3), U8(4), I32(5), II(2));
  } else if (IS("logical")) {
    pare_logical(II(0), U8(0), I32(1), U8(2), I32(3), U8(4), I32(5), II(1));
  } else if (IS("logical_not")) {
    pare_logical_not(U8(0), U8(1), (size_t)I[0]);
  } else if (IS("where")) { /* es rank | c cs x xs z zs y shape */
    pare_where((size_t)I[0], U8(0), I32(1), B[2], I32(3), B[4], I32(5), B[6],
               I32(7), II(1));
  } else if (IS("broadcast")) { /* es rank | x xs y shape */
    pare_broadcast((size_t)I[0], B[0], I32(1), B[2], I32(3), II(1));
  } else if (IS("channel_affine_f32")) {
    pare_channel_affine_f32(F32(0), F32(1), F32(2), F32(3), II(0), II(1), II(2),
                            (pare_act_t)II(3), FF(0), FF(1));
  } else if (IS("conv2d_f32")) { /* x w bias y */
    pare_conv2d_f32(F32(0), II(0), II(1), II(2), II(3), F32(1), F32(2), F32(3),
                    II(4), II(5), II(6), II(7), II(8), II(9), II(10), II(11),
                    II(12), II(13), II(14), II(15), (pare_act_t)II(16), FF(0), FF(1));
  } else if (IS("conv_transpose2d_f32")) { /* x w bias y, as conv2d_f32 */
    pare_conv_transpose2d_f32(F32(0), II(0), II(1), II(2), II(3), F32(1), F32(2),
                              F32(3), II(4), II(5), II(6), II(7), II(8), II(9),
                              II(10), II(11), II(12), II(13), II(14), II(15),
                              (pare_act_t)II(16), FF(0), FF(1));
  } else if (IS("conv2d_packed_f32")) { /* x wp bias y, as conv2d_f32 */
    pare_conv2d_packed_f32(F32(0), II(0), II(1), II(2), II(3), F32(1), F32(2), F32(3),
                           II(4), II(5), II(6), II(7), II(8), II(9), II(10), II(11),
                           II(12), II(13), II(14), II(15), (pare_act_t)II(16), FF(0),
                           FF(1));
  } else if (IS("depthwise_conv2d_f32")) {
    pare_depthwise_conv2d_f32(F32(0), II(0), II(1), II(2), II(3), F32(1), F32(2),
                              F32(3), II(4), II(5), II(6), II(7), II(8), II(9),
                              II(10), II(11), II(12), II(13), (pare_act_t)II(14),
                              FF(0), FF(1));
  } else if (IS("matmul_f32")) { /* a b c y batch_shape a_bst b_bst */
    pare_matmul_f32(F32(0), F32(1), F32(2), F32(3), II(0), II(1), II(2), II(3),
                    II(4), II(5), II(6), II(7), II(8), I32(4), II(9), I32(5),
                    I32(6), FF(0), FF(1), (pare_act_t)II(10), FF(2), FF(3));
  } else if (IS("maxpool2d_f32")) {
    pare_maxpool2d_f32(F32(0), II(0), II(1), II(2), II(3), F32(1), II(4), II(5),
                       II(6), II(7), II(8), II(9), II(10), II(11), II(12), II(13),
                       II(14), II(15));
  } else if (IS("avgpool2d_f32")) {
    pare_avgpool2d_f32(F32(0), II(0), II(1), II(2), II(3), F32(1), II(4), II(5),
                       II(6), II(7), II(8), II(9), II(10), II(11), II(12), II(13),
                       II(14), II(15), II(16));
  } else if (IS("global_avgpool_f32")) {
    pare_global_avgpool_f32(F32(0), II(0), II(1), II(2), F32(1));
  } else if (IS("global_maxpool_f32")) {
    pare_global_maxpool_f32(F32(0), II(0), II(1), II(2), F32(1));
  } else if (IS("softmax_f32")) {
    pare_softmax_f32(F32(0), F32(1), II(0), II(1), II(2), II(3));
  } else if (IS("layernorm_f32")) {
    pare_layernorm_f32(F32(0), F32(1), F32(2), F32(3), II(0), II(1), FF(0));
  } else if (IS("reduce_f32")) { /* x shape mask y | op rank */
    pare_reduce_f32((pare_redop_t)II(0), F32(0), I32(1), II(1), U8(2), F32(3));
  } else if (IS("reduce_i64")) {
    pare_reduce_i64((pare_redop_t)II(0), I64(0), I32(1), II(1), U8(2), I64(3));
  } else if (IS("argreduce_f32")) {
    pare_argreduce_f32(F32(0), I64(1), II(0), II(1), II(2), II(3), II(4));
  } else if (IS("transpose")) { /* x shape perm y | es rank */
    pare_transpose((size_t)I[0], B[0], I32(1), I32(2), II(1), B[3]);
  } else if (IS("copy_rows")) { /* dst src | dst_stride src_stride rows row_bytes */
    pare_copy_rows(B[0], (size_t)I[0], B[1], (size_t)I[1], (size_t)I[2], (size_t)I[3]);
  } else if (IS("slice")) { /* x shape starts steps y out_shape | es rank */
    pare_slice((size_t)I[0], B[0], I32(1), II(1), I32(2), I32(3), B[4], I32(5));
  } else if (IS("pad")) { /* x shape pads value y out_shape | es rank mode */
    pare_pad((size_t)I[0], B[0], I32(1), II(1), I32(2), II(2), B[3], B[4], I32(5));
  } else if (IS("gather")) { /* data idx y | es outer axis_len inner count */
    pare_gather((size_t)I[0], B[0], II(1), II(2), II(3), I64(1), II(4), B[2]);
  } else if (IS("gather_elements")) { /* data idx y dshape ishape | es rank axis */
    pare_gather_elements((size_t)I[0], B[0], I32(3), II(1), II(2), I64(1), I32(4), B[2]);
  } else if (IS("gather_elements_i32idx")) {
    pare_gather_elements_i32idx((size_t)I[0], B[0], I32(3), II(1), II(2), I32(1), I32(4),
                                B[2]);
  } else if (IS("gather_i32idx")) {
    pare_gather_i32idx((size_t)I[0], B[0], II(1), II(2), II(3), I32(1), II(4), B[2]);
  } else if (IS("resize_f32") || IS("resize_nearest")) {
    /* x y meta index weight extrapolation | rank inner es ; extrapolation.
     * meta: in_size, out_size, taps, table offset per dim. */
    pare_resize_dim_t dims[8];
    int d;
    for (d = 0; d < II(0); d++) {
      const int32_t *m = I32(2) + 4 * d;
      dims[d].in_size = m[0];
      dims[d].out_size = m[1];
      dims[d].taps = m[2];
      dims[d].index = I32(3) + m[3];
      dims[d].weight = F32(4) + m[3];
    }
    if (IS("resize_f32"))
      pare_resize_f32(F32(0), F32(1), dims, II(0), II(1), FF(0));
    else
      pare_resize_nearest((size_t)I[2], B[0], B[1], dims, II(0), II(1), B[5]);
  } else if (IS("cast")) { /* x y | from to count */
    pare_cast((pare_dtype_t)II(0), B[0], (pare_dtype_t)II(1), B[1], (size_t)I[2]);
  } else {
    die(name);
  }
#undef IS
}

int main(void)
{
  for (;;) {
    char name[64];
    int64_t I[MAX_ARGS];
    double F[MAX_ARGS];
    void *B[MAX_ARGS];
    uint64_t L[MAX_ARGS];
    uint32_t nl, ni, nf, nb, k;
    if (fread(&nl, 4, 1, stdin) != 1) break;
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
      B[k] = malloc(L[k] ? (size_t)L[k] : 1);
      if (!B[k] || !rd(B[k], (size_t)L[k])) die("bad buffer");
    }
    dispatch(name, I, F, B);
    fwrite(&nb, 4, 1, stdout);
    for (k = 0; k < nb; k++) {
      fwrite(&L[k], 8, 1, stdout);
      if (B[k]) {
        fwrite(B[k], 1, (size_t)L[k], stdout);
        free(B[k]);
      }
    }
  }
  return 0;
}
