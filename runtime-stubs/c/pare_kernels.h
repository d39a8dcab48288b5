/*
 * pare runtime kernels (float32 path), plain C99.
 *
 * These files are copied verbatim by `pare compile` into the output directory
 * next to the generated model code. They use no malloc, no stdio, only
 * <math.h>, <stddef.h>, <stdint.h> and <string.h>.
 *
 * Conventions
 *  - Spatial tensors are NHWC (batch, height, width, channels), as in
 *    CMSIS-NN and TinyEngine. The generated code keeps the model's own layout
 *    at its API boundary and transposes where needed.
 *  - Convolution weights are OHWI: [out_ch][kh][kw][in_ch / group].
 *  - Depthwise weights are HWC: [kh][kw][channels] (channel multiplier 1).
 *  - Shapes and strides are int32_t arrays of length `rank` (rank <= 8);
 *    strides count elements, a stride of 0 broadcasts that dimension.
 *  - Every kernel writes only its output; no kernel reads its output before
 *    writing it unless documented as "in place allowed".
 */
#ifndef PARE_KERNELS_H
#define PARE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "pare_activation.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PARE_MAX_RANK 8

/* pare_act_t, the fused activations: pare_activation.h (shared with CUDA). */

/* Unary elementwise math ops (beyond the activations above). */
typedef enum {
  PARE_UN_SQRT = 0,
  PARE_UN_EXP = 1,
  PARE_UN_ERF = 2,
  PARE_UN_NEG = 3,
  PARE_UN_RECIPROCAL = 4,
  PARE_UN_ABS = 5,
  PARE_UN_LOG = 6,
  PARE_UN_FLOOR = 7,
  PARE_UN_CEIL = 8,
  PARE_UN_SIN = 9,
  PARE_UN_COS = 10,
  PARE_UN_ROUND = 11,  /* round half to even, as ONNX Round */
  PARE_UN_SIGN = 12,
  PARE_UN_TAN = 13,
  PARE_UN_ATAN = 14,
  PARE_UN_ASIN = 15,
  PARE_UN_ACOS = 16,
  PARE_UN_SINH = 17,
  PARE_UN_COSH = 18,
  PARE_UN_ASINH = 19,
  PARE_UN_ACOSH = 20,
  PARE_UN_ATANH = 21
} pare_unop_t;

typedef enum {
  PARE_BIN_ADD = 0,
  PARE_BIN_SUB = 1,
  PARE_BIN_MUL = 2,
  PARE_BIN_DIV = 3,  /* integer types: truncation toward zero, as ONNX; x / 0 = 0,
                        INT_MIN / -1 = INT_MIN (wrap-around; see pare_k_elementwise.c) */
  PARE_BIN_POW = 4,
  PARE_BIN_MAX = 5,
  PARE_BIN_MIN = 6,
  PARE_BIN_MOD = 7   /* fmod semantics for float (ONNX fmod=1), Python semantics for ints */
} pare_binop_t;

typedef enum {
  PARE_CMP_EQUAL = 0,
  PARE_CMP_LESS = 1,
  PARE_CMP_LESS_OR_EQUAL = 2,
  PARE_CMP_GREATER = 3,
  PARE_CMP_GREATER_OR_EQUAL = 4
} pare_cmpop_t;

typedef enum {
  PARE_RED_SUM = 0,
  PARE_RED_MEAN = 1,
  PARE_RED_MAX = 2,
  PARE_RED_MIN = 3,
  PARE_RED_PROD = 4,
  PARE_RED_L1 = 5,
  PARE_RED_L2 = 6,
  PARE_RED_SUM_SQUARE = 7,
  PARE_RED_LOG_SUM_EXP = 8
} pare_redop_t;

/* Element types, for type-generic data movement and casts. */
typedef enum {
  PARE_F32 = 0,
  PARE_I64 = 1,
  PARE_I32 = 2,
  PARE_I8 = 3,
  PARE_U8 = 4,
  PARE_BOOL = 5, /* one byte, 0 or 1 */
  PARE_I16 = 6,
  PARE_U16 = 7,
  PARE_F64 = 8
} pare_dtype_t;

/* Scalar activation, used by all fused kernels. */
float pare_act_f32(float x, pare_act_t act, float a, float b);

/* ---------------------------------------------------------------- conv -- */

/* General 2-D convolution, NHWC in/out, OHWI weights, optional bias (NULL),
 * `group` groups (ic and oc divisible by group), explicit pads (top, left;
 * bottom/right are implied by the output size), dilations, fused activation. */
void pare_conv2d_f32(const float *x, int n, int ih, int iw, int ic,
                     const float *w, const float *bias,
                     float *y, int oh, int ow, int oc,
                     int kh, int kw, int stride_h, int stride_w,
                     int dil_h, int dil_w, int pad_top, int pad_left,
                     int group, pare_act_t act, float act_a, float act_b);

/* Output-channel block of the packed convolution weights. */
#define PARE_CONV_OCB 16

/* 2-D convolution with weights pre-packed by the compiler (NHWC in/out).
 * With icg = ic / group, ocg = oc / group and nb = ceil(ocg / PARE_CONV_OCB),
 * wp holds group * nb * kh * kw * icg * PARE_CONV_OCB floats:
 *   wp[((((g * nb + b) * kh + y) * kw + x) * icg + c) * PARE_CONV_OCB + j]
 *     = W[g * ocg + b * PARE_CONV_OCB + j][y][x][c]   (OHWI weight W)
 * and 0 where b * PARE_CONV_OCB + j >= ocg. Semantics otherwise as
 * pare_conv2d_f32 (pads top/left given, bottom/right implied by oh/ow,
 * optional bias, fused activation). No run-time packing: the fastest conv
 * kernel for constant weights. */
void pare_conv2d_packed_f32(const float *x, int n, int ih, int iw, int ic,
                            const float *wp, const float *bias,
                            float *y, int oh, int ow, int oc,
                            int kh, int kw, int stride_h, int stride_w,
                            int dil_h, int dil_w, int pad_top, int pad_left,
                            int group, pare_act_t act, float act_a, float act_b);

/* Depthwise 2-D convolution (group == ic == oc), NHWC, HWC weights. */
void pare_depthwise_conv2d_f32(const float *x, int n, int ih, int iw, int c,
                               const float *w, const float *bias,
                               float *y, int oh, int ow,
                               int kh, int kw, int stride_h, int stride_w,
                               int dil_h, int dil_w, int pad_top, int pad_left,
                               pare_act_t act, float act_a, float act_b);

/* Transposed 2-D convolution (ONNX ConvTranspose), NHWC in/out, weights
 * [ic][kh][kw][oc / group] (ONNX's [ic][oc / group][kh][kw] with the output
 * channels last), optional bias (NULL), `group` groups. Output pixel (oy, ox)
 * sums x[iy][ix] * w[..][ky][kx][..] over the taps with
 * oy + pad_top = iy * stride_h + ky * dil_h (and the same across); the
 * bottom / right crop and output_padding are implied by oh / ow. Fused
 * activation. No scratch. */
void pare_conv_transpose2d_f32(const float *x, int n, int ih, int iw, int ic,
                               const float *w, const float *bias,
                               float *y, int oh, int ow, int oc,
                               int kh, int kw, int stride_h, int stride_w,
                               int dil_h, int dil_w, int pad_top, int pad_left,
                               int group, pare_act_t act, float act_a, float act_b);

/* ------------------------------------------------------------- matmul -- */

/* Batched matrix multiply with broadcasting batch dims:
 *   y[b][i][j] = act(alpha * sum_k A[b](i,k) * B[b](k,j) + beta * C(i,j))
 * A(i,k) = a[a_boff + i*a_rs + k*a_cs], B(k,j) = b[b_boff + k*b_rs + j*b_cs],
 * where a_boff / b_boff come from the batch index through a_bstrides /
 * b_bstrides (element strides per batch dim, 0 = broadcast) over
 * batch_shape[batch_rank] (batch_rank may be 0: one matrix).
 * y is contiguous [batch...][m][n].
 * C (may be NULL): C(i,j) = c[i*c_rs + j*c_cs] (0 strides broadcast), same
 * for every batch. */
void pare_matmul_f32(const float *a, const float *b, const float *c, float *y,
                     int m, int n, int k,
                     int a_rs, int a_cs, int b_rs, int b_cs, int c_rs, int c_cs,
                     const int32_t *batch_shape, int batch_rank,
                     const int32_t *a_bstrides, const int32_t *b_bstrides,
                     float alpha, float beta,
                     pare_act_t act, float act_a, float act_b);

/* ---------------------------------------------------------- elementwise -- */

/* Activation alone, y[i] = act(x[i]). In place allowed (y == x). */
void pare_activation_f32(const float *x, float *y, size_t count,
                         pare_act_t act, float act_a, float act_b);

/* y[i] = op(x[i]). In place allowed (y may equal x). */
void pare_unary_f32(const float *x, float *y, size_t count, pare_unop_t op);
/* int64 / int32 variants support NEG, ABS, SIGN only. In place allowed. */
void pare_unary_i64(const int64_t *x, int64_t *y, size_t count, pare_unop_t op);
void pare_unary_i32(const int32_t *x, int32_t *y, size_t count, pare_unop_t op);

/* Broadcasting binary op over `shape[rank]` (the output shape); a_strides /
 * b_strides give each input's element strides per output dim (0 = broadcast).
 * Output y is contiguous. In place allowed: y may equal a or b when that
 * input has the output's shape and contiguous strides (each row is a plain
 * forward loop that reads element i before writing y[i]; the f32 fused
 * activation then runs over the finished row of y). Fused activation applies
 * to f32 only. */
void pare_binary_f32(pare_binop_t op, const float *a, const int32_t *a_strides,
                     const float *b, const int32_t *b_strides, float *y,
                     const int32_t *shape, int rank,
                     pare_act_t act, float act_a, float act_b);
void pare_binary_i64(pare_binop_t op, const int64_t *a, const int32_t *a_strides,
                     const int64_t *b, const int32_t *b_strides, int64_t *y,
                     const int32_t *shape, int rank);
void pare_binary_i32(pare_binop_t op, const int32_t *a, const int32_t *a_strides,
                     const int32_t *b, const int32_t *b_strides, int32_t *y,
                     const int32_t *shape, int rank);

/* Broadcasting comparison, output bool (uint8 0/1). dtype: F32, I64 or I32. */
void pare_compare(pare_cmpop_t op, pare_dtype_t dtype,
                  const void *a, const int32_t *a_strides,
                  const void *b, const int32_t *b_strides, uint8_t *y,
                  const int32_t *shape, int rank);

/* Broadcasting logical ops on bool (uint8) tensors: op 0=and, 1=or, 2=xor.
 * In place allowed as pare_binary_f32 (y may equal a or b); logical_not: y
 * may equal x. */
void pare_logical(int op, const uint8_t *a, const int32_t *a_strides,
                  const uint8_t *b, const int32_t *b_strides, uint8_t *y,
                  const int32_t *shape, int rank);
void pare_logical_not(const uint8_t *x, uint8_t *y, size_t count);

/* Broadcasting select: y = cond ? x : z, elements of elem_size bytes.
 * Not in place (copies elements with memcpy). */
void pare_where(size_t elem_size, const uint8_t *cond, const int32_t *c_strides,
                const void *x, const int32_t *x_strides,
                const void *z, const int32_t *z_strides, void *y,
                const int32_t *shape, int rank);

/* Broadcast copy (Expand, and materialising any broadcast view). */
void pare_broadcast(size_t elem_size, const void *x, const int32_t *x_strides,
                    void *y, const int32_t *shape, int rank);

/* Per-channel affine on the innermost-but-`inner` axis:
 * y[o][c][i] = act(x[o][c][i] * scale[c] + shift[c]). (BatchNormalization
 * left unfolded, with scale/shift precomputed by the compiler.) In place ok. */
void pare_channel_affine_f32(const float *x, const float *scale,
                             const float *shift, float *y,
                             int outer, int channels, int inner,
                             pare_act_t act, float act_a, float act_b);

/* ------------------------------------------------------------- pooling -- */

/* NHWC pooling. Padding cells are skipped by max pool; average pool divides
 * by the kernel area when count_include_pad, else by the cells inside the
 * input. Windows that extend past the bottom/right edge (ceil_mode) are
 * clipped to the input plus pad_bottom / pad_right. */
void pare_maxpool2d_f32(const float *x, int n, int ih, int iw, int c,
                        float *y, int oh, int ow, int kh, int kw,
                        int stride_h, int stride_w, int dil_h, int dil_w,
                        int pad_top, int pad_left, int pad_bottom, int pad_right);
void pare_avgpool2d_f32(const float *x, int n, int ih, int iw, int c,
                        float *y, int oh, int ow, int kh, int kw,
                        int stride_h, int stride_w, int dil_h, int dil_w,
                        int pad_top, int pad_left, int pad_bottom, int pad_right,
                        int count_include_pad);
/* Mean / max over `spatial` positions: x [n][spatial][c] -> y [n][c]. */
void pare_global_avgpool_f32(const float *x, int n, int spatial, int c, float *y);
void pare_global_maxpool_f32(const float *x, int n, int spatial, int c, float *y);

/* --------------------------------------------------------- normalisation -- */

/* Softmax / LogSoftmax along the middle axis of [outer][len][inner]. */
void pare_softmax_f32(const float *x, float *y, int outer, int len, int inner,
                      int log_softmax);

/* LayerNormalization over the trailing `inner` elements of [outer][inner];
 * scale / bias (bias may be NULL) are [inner]. */
void pare_layernorm_f32(const float *x, const float *scale, const float *bias,
                        float *y, int outer, int inner, float epsilon);

/* Reduction over the dims where reduce_mask[d] != 0 of x with in_shape[rank];
 * y is contiguous over the kept dims (in order). An empty reduction (a reduced
 * dim of size 0) gives the op's identity. */
void pare_reduce_f32(pare_redop_t op, const float *x, const int32_t *in_shape,
                     int rank, const uint8_t *reduce_mask, float *y);
void pare_reduce_i64(pare_redop_t op, const int64_t *x, const int32_t *in_shape,
                     int rank, const uint8_t *reduce_mask, int64_t *y);

/* ArgMax / ArgMin along the middle axis of [outer][len][inner], int64 out.
 * select_last_index picks the last of equal extremes. */
void pare_argreduce_f32(const float *x, int64_t *y, int outer, int len,
                        int inner, int is_min, int select_last_index);

/* --------------------------------------------------------------- resize --
 * ONNX Resize / Upsample (pare_k_resize.c). The compiler computes each dim's
 * sampling: for every output coordinate, the input coordinates it reads
 * (taps) and their weights, so the kernels are weighted gathers. */
typedef struct {
  int32_t in_size;       /* input elements along the dim */
  int32_t out_size;      /* output elements along the dim */
  int32_t taps;          /* input coordinates per output coordinate; 0: the
                            dim is copied (out_size == in_size) */
  const int32_t *index;  /* [out_size][taps] input coordinates; -1 (all taps)
                            outside tf_crop_and_resize's crop */
  const float *weight;   /* [out_size][taps] weights (unused by nearest) */
} pare_resize_dim_t;

/* x [dims[0].in_size]..[dims[rank-1].in_size][inner] -> y [..out_size..]
 * [inner] (rank <= PARE_MAX_RANK): every output element is the sum, over
 * one tap of each interpolated dim, of the product of the taps' weights
 * times x there; an output whose coordinate on some dim is outside the crop
 * is `extrapolation`. */
void pare_resize_f32(const float *x, float *y, const pare_resize_dim_t *dims,
                     int rank, int inner, float extrapolation);

/* Nearest resize of any element type (one tap per coordinate): copies x's
 * element at the taps' coordinates, or the element `extrapolation` points to
 * outside the crop. */
void pare_resize_nearest(size_t elem_size, const void *x, void *y,
                         const pare_resize_dim_t *dims, int rank, int inner,
                         const void *extrapolation);

/* -------------------------------------------------------- data movement -- */

/* y = permute(x): y dim d is x dim perm[d]. */
void pare_transpose(size_t elem_size, const void *x, const int32_t *in_shape,
                    const int32_t *perm, int rank, void *y);

/* Copy `rows` rows of `row_bytes` bytes from src (row stride src_stride bytes)
 * to dst (row stride dst_stride bytes). Concat and Split use it. */
void pare_copy_rows(void *dst, size_t dst_stride, const void *src,
                    size_t src_stride, size_t rows, size_t row_bytes);

/* Strided slice: y[i...] = x[starts[d] + i[d] * steps[d] ...]; steps may be
 * negative; out_shape is y's shape. */
void pare_slice(size_t elem_size, const void *x, const int32_t *in_shape,
                int rank, const int32_t *starts, const int32_t *steps,
                void *y, const int32_t *out_shape);

/* Pad: mode 0 = constant (value at `value`, elem_size bytes), 1 = reflect,
 * 2 = edge, 3 = wrap. pads_begin may be negative (crop). */
void pare_pad(size_t elem_size, const void *x, const int32_t *in_shape,
              int rank, const int32_t *pads_begin, int mode, const void *value,
              void *y, const int32_t *out_shape);

/* Gather along the middle axis of [outer][axis_len][inner] with `count`
 * indices (negative indices count from the end): y [outer][count][inner]. */
void pare_gather(size_t elem_size, const void *data, int outer, int axis_len,
                 int inner, const int64_t *indices, int count, void *y);
void pare_gather_i32idx(size_t elem_size, const void *data, int outer,
                        int axis_len, int inner, const int32_t *indices,
                        int count, void *y);

/* GatherElements along `axis` of data [data_shape[0..rank)]: y has the
 * shape idx_shape (same rank; each dim but the axis at most data's) and
 * y[i0..] = data[i0.., indices[i0..], ..] with the index at the axis
 * (negative ones count from the end; out-of-range ones give zeros). */
void pare_gather_elements(size_t elem_size, const void *data,
                          const int32_t *data_shape, int rank, int axis,
                          const int64_t *indices, const int32_t *idx_shape,
                          void *y);
void pare_gather_elements_i32idx(size_t elem_size, const void *data,
                                 const int32_t *data_shape, int rank, int axis,
                                 const int32_t *indices,
                                 const int32_t *idx_shape, void *y);

/* ScatterND: y = copy of data (count elements of dtype; skipped when y ==
 * data), then for each of num_updates index tuples of `depth` int64 values
 * (negative ones count from the end of their dim of dims[0..depth-1]) the
 * slice of `slice` elements at that position is replaced by (reduction 0)
 * or combined with (1 add, 2 mul, 3 max, 4 min; bool: or, and, or, and) the
 * next `slice` elements of updates, in index order. A tuple with an index
 * outside its dim (an invalid model) is skipped: nothing is written. */
void pare_scatter_nd(pare_dtype_t dtype, const void *data, size_t count,
                     const int64_t *indices, int num_updates, int depth,
                     const int32_t *dims, size_t slice, const void *updates,
                     int reduction, void *y);

/* Element type conversion, as ONNX Cast (float -> int truncates toward zero,
 * anything -> bool is x != 0). */
void pare_cast(pare_dtype_t from, const void *x, pare_dtype_t to, void *y,
               size_t count);

/* ------------------------------------------------------- temporal shift -- */

/* TSM temporal shift (pare.temporal_shift). Pure data movement, so one kernel
 * serves every element type (elem_size bytes per element; quantized tensors
 * shift their stored values).
 *
 * x and y hold frames_total = N * frames frames (N clips of `frames` frames;
 * clip n's frame t is frame n * frames + t), each [channels][inner] (NCHW,
 * inner = H * W) or, with channels_last, [inner][channels] (NHWC).
 *   bidirectional (1): y's channels [0, fold) of frame t are x's frame t + 1
 *     (zero at the clip's last frame), channels [fold, 2 * fold) x's frame
 *     t - 1 (zero at its first frame);
 *   bidirectional 2 (reversed): the same with the groups' directions
 *     swapped, [0, fold) from frame t - 1 and [fold, 2 * fold) from t + 1;
 *   unidirectional (0, online TSM): channels [0, fold) are x's frame t - 1
 *     (zero at the clip's first frame);
 * the other channels are copied unchanged. `zero` points to elem_size bytes
 * written where no frame exists (0.0f, or the int8 zero point); NULL writes
 * all-zero bytes. Not in place: y must not overlap x. */
void pare_temporal_shift(size_t elem_size, const void *x, void *y,
                         int frames_total, int frames, int channels,
                         size_t inner, int fold, int bidirectional,
                         int channels_last, const void *zero);

/* One step of a streaming (online, unidirectional) temporal shift: x and y
 * hold one frame of each of `batch` streams, [batch][channels][inner] or,
 * with channels_last, [batch][inner][channels]. y's channels [0, fold) are
 * taken from `state` (the previous frame's, zero / the zero point after a
 * reset), which then takes x's channels [0, fold); the other channels are
 * copied. state layout: [batch][inner][fold] with channels_last, else
 * [batch][fold][inner]. In place allowed: y == x swaps the shifted channels
 * with the state element by element (otherwise y must not overlap x). */
void pare_temporal_shift_step(size_t elem_size, const void *x, void *y,
                              void *state, int batch, int channels,
                              size_t inner, int fold, int channels_last);

/* The shifted row `row` of frame `frame` of an NHWC tensor x
 * [frames_total][height][width][channels] (clips of `frames` frames, frame
 * t = frame % frames inside its clip), as pare_temporal_shift computes it
 * (channels_last): width * channels elements written contiguously to `out`.
 * A convolution that reads its input through the shift (1x1, stride 1)
 * gathers each row into a buffer with it and runs on that row alone, so the
 * shifted tensor is never stored. out must not overlap x. */
void pare_temporal_shift_row(size_t elem_size, const void *x, void *out,
                             int frame, int frames, int height, int width,
                             int channels, int row, int fold,
                             int bidirectional, const void *zero);

#ifdef __cplusplus
}
#endif

#endif /* PARE_KERNELS_H */
