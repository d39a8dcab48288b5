/*
 * pare CUDA runtime kernels: launch functions called by the CUDA C++ that
 * `pare compile --target cuda` emits. Copied verbatim into the output
 * directory; they need only the CUDA runtime (no cuBLAS, no cuDNN).
 *
 * Conventions
 *  - Spatial tensors are NHWC; convolution weights OHWI ([oc][kh][kw][ic/g]);
 *    depthwise weights HWC ([kh][kw][c]).
 *  - Every entry point exists for float (`_f32`) and half (`_f16`) storage;
 *    half kernels accumulate in float. `pare_half` is CUDA's __half.
 *  - Launch functions are asynchronous on `stream`, never allocate, never
 *    synchronise, and return cudaGetLastError() after the launch (so they can
 *    be captured into a CUDA graph).
 *  - Shapes and strides travel by value in pare_cu_shape (rank <= 8, element
 *    strides, stride 0 broadcasts).
 *  - `residual` (may be NULL) is a tensor of the output's shape added to the
 *    result before the activation: y = act(conv(x) + bias + residual).
 */
#ifndef PARE_CUDA_CUH
#define PARE_CUDA_CUH

#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stddef.h>
#include <stdint.h>

typedef __half pare_half;

#define PARE_CU_MAX_RANK 8

/* pare_act_t and the activation formulas: pare_activation.h, shared with the C target. */
#include "pare_activation.h"

typedef enum {
  PARE_UN_SQRT = 0, PARE_UN_EXP = 1, PARE_UN_ERF = 2, PARE_UN_NEG = 3,
  PARE_UN_RECIPROCAL = 4, PARE_UN_ABS = 5, PARE_UN_LOG = 6, PARE_UN_FLOOR = 7,
  PARE_UN_CEIL = 8, PARE_UN_SIN = 9, PARE_UN_COS = 10, PARE_UN_ROUND = 11,
  PARE_UN_SIGN = 12, PARE_UN_TAN = 13, PARE_UN_ATAN = 14, PARE_UN_ASIN = 15,
  PARE_UN_ACOS = 16, PARE_UN_SINH = 17, PARE_UN_COSH = 18, PARE_UN_ASINH = 19,
  PARE_UN_ACOSH = 20, PARE_UN_ATANH = 21
} pare_unop_t;

typedef enum {
  PARE_BIN_ADD = 0, PARE_BIN_SUB = 1, PARE_BIN_MUL = 2, PARE_BIN_DIV = 3,
  PARE_BIN_POW = 4, PARE_BIN_MAX = 5, PARE_BIN_MIN = 6, PARE_BIN_MOD = 7
} pare_binop_t;

typedef enum {
  PARE_RED_SUM = 0, PARE_RED_MEAN = 1, PARE_RED_MAX = 2, PARE_RED_MIN = 3,
  PARE_RED_PROD = 4, PARE_RED_L1 = 5, PARE_RED_L2 = 6, PARE_RED_SUM_SQUARE = 7,
  PARE_RED_LOG_SUM_EXP = 8
} pare_redop_t;

/* Output shape and per-operand element strides (0 = broadcast). */
typedef struct {
  int rank;
  int dims[PARE_CU_MAX_RANK];
  int strides[3][PARE_CU_MAX_RANK]; /* up to three operands */
} pare_cu_shape;

#define PARE_CU_DECLARE_FLOAT_KERNELS(SUF, T)                                    \
  /* Convolution (implicit GEMM; the f16 variant on tensor cores). */          \
  cudaError_t pare_cu_conv2d_##SUF(                                             \
      const T *x, int n, int ih, int iw, int ic, const T *w, const T *bias,     \
      const T *residual, T *y, int oh, int ow, int oc, int kh, int kw,          \
      int stride_h, int stride_w, int dil_h, int dil_w, int pad_top,            \
      int pad_left, int group, pare_act_t act, float act_a, float act_b,        \
      cudaStream_t stream);                                                     \
  cudaError_t pare_cu_depthwise_conv2d_##SUF(                                   \
      const T *x, int n, int ih, int iw, int c, const T *w, const T *bias,      \
      const T *residual, T *y, int oh, int ow, int kh, int kw, int stride_h,    \
      int stride_w, int dil_h, int dil_w, int pad_top, int pad_left,            \
      pare_act_t act, float act_a, float act_b, cudaStream_t stream);           \
  /* y[b] = act(alpha * A[b] B[b] + beta * C + residual[b]); A(i,k) =          \
   * a[b*a_bs + i*a_rs + k*a_cs], B(k,j) = b[b*b_bs + k*b_rs + j*b_cs],         \
   * C(i,j) = c[i*c_rs + j*c_cs] (NULL: none), y contiguous [batch][m][n],      \
   * residual (NULL: none) contiguous like y. */                                \
  cudaError_t pare_cu_matmul_##SUF(                                             \
      const T *a, const T *b, const T *c, const T *residual, T *y, int m,       \
      int n, int k, int a_rs, int a_cs, int b_rs, int b_cs, int c_rs,           \
      int c_cs, int batch, long long a_bs, long long b_bs, float alpha,         \
      float beta, pare_act_t act, float act_a, float act_b,                     \
      cudaStream_t stream);                                                     \
  cudaError_t pare_cu_activation_##SUF(const T *x, T *y, size_t count,          \
                                       pare_act_t act, float act_a,             \
                                       float act_b, cudaStream_t stream);       \
  cudaError_t pare_cu_unary_##SUF(const T *x, T *y, size_t count,               \
                                  pare_unop_t op, cudaStream_t stream);         \
  /* strides[0] = a, strides[1] = b. */                                         \
  cudaError_t pare_cu_binary_##SUF(pare_binop_t op, const T *a, const T *b,     \
                                   T *y, pare_cu_shape shape, pare_act_t act,   \
                                   float act_a, float act_b,                    \
                                   cudaStream_t stream);                        \
  /* y[o][c][i] = act(x * scale[c] + shift[c]) (float scale / shift). */        \
  cudaError_t pare_cu_channel_affine_##SUF(                                     \
      const T *x, const float *scale, const float *shift, T *y, int outer,      \
      int channels, int inner, pare_act_t act, float act_a, float act_b,        \
      cudaStream_t stream);                                                     \
  cudaError_t pare_cu_maxpool2d_##SUF(                                          \
      const T *x, int n, int ih, int iw, int c, T *y, int oh, int ow, int kh,   \
      int kw, int stride_h, int stride_w, int dil_h, int dil_w, int pad_top,    \
      int pad_left, cudaStream_t stream);                                       \
  /* count_include_pad divides by kh*kw (as onnxruntime), else by the taps     \
   * inside the input. */                                                       \
  cudaError_t pare_cu_avgpool2d_##SUF(                                          \
      const T *x, int n, int ih, int iw, int c, T *y, int oh, int ow, int kh,   \
      int kw, int stride_h, int stride_w, int dil_h, int dil_w, int pad_top,    \
      int pad_left, int count_include_pad, cudaStream_t stream);                \
  /* x [n][spatial][c] -> y [n][c]. */                                          \
  cudaError_t pare_cu_global_avgpool_##SUF(const T *x, int n, int spatial,      \
                                           int c, T *y, cudaStream_t stream);   \
  cudaError_t pare_cu_global_maxpool_##SUF(const T *x, int n, int spatial,      \
                                           int c, T *y, cudaStream_t stream);   \
  /* Along the middle axis of [outer][len][inner]. */                           \
  cudaError_t pare_cu_softmax_##SUF(const T *x, T *y, int outer, int len,       \
                                    int inner, int log_softmax,                 \
                                    cudaStream_t stream);                       \
  /* Over the trailing `inner` elements; scale / bias are [inner] (bias may be  \
   * NULL). rms: RMS norm (no mean subtraction, bias ignored). */               \
  cudaError_t pare_cu_layernorm_##SUF(const T *x, const T *scale,               \
                                      const T *bias, T *y, int outer,           \
                                      int inner, float epsilon, int rms,        \
                                      cudaStream_t stream);                     \
  /* Reduce over dims with reduce_mask bit d set, of x with shape.dims;        \
   * y contiguous over the kept dims. */                                        \
  cudaError_t pare_cu_reduce_##SUF(pare_redop_t op, const T *x,                 \
                                   pare_cu_shape shape, unsigned reduce_mask,   \
                                   T *y, cudaStream_t stream);

PARE_CU_DECLARE_FLOAT_KERNELS(f32, float)
PARE_CU_DECLARE_FLOAT_KERNELS(f16, pare_half)

/* Resize (ONNX Resize / Upsample; pare_cu_resize.cu). The compiler computes
 * each dim's sampling as pare_k_resize.c takes it: `rank` dims (copied ones
 * merged), `inner` contiguous elements moved together; dim d reads, for
 * output coordinate j, the input coordinates index[offset[d] + j * taps[d] +
 * t] with weights weight[same] (t < taps[d]; taps 0: the dim is copied; -1
 * in the first tap: outside tf_crop_and_resize's crop, the output is the
 * extrapolation value). index / weight are device arrays. */
typedef struct {
  int rank, inner;
  int in_size[PARE_CU_MAX_RANK], out_size[PARE_CU_MAX_RANK];
  int taps[PARE_CU_MAX_RANK], offset[PARE_CU_MAX_RANK];
} pare_cu_resize_geom;
/* Linear / cubic: the sum over one tap per interpolated dim of the product
 * of their weights times x there, accumulated in float. */
cudaError_t pare_cu_resize_f32(const float *x, float *y, pare_cu_resize_geom g, const int *index,
                               const float *weight, float extrapolation, cudaStream_t stream);
cudaError_t pare_cu_resize_f16(const pare_half *x, pare_half *y, pare_cu_resize_geom g,
                               const int *index, const float *weight, float extrapolation,
                               cudaStream_t stream);
/* Nearest, any element size (1, 2, 4, 8): one tap per coordinate, copied;
 * extrapolation points to one host element. */
cudaError_t pare_cu_resize_nearest(size_t elem_size, const void *x, void *y,
                                   pare_cu_resize_geom g, const int *index,
                                   const void *extrapolation, cudaStream_t stream);

/* Type-generic data movement (elem_size 1, 2, 4 or 8 bytes). */
/* y = permute(x): y dim d is x dim perm[d]; shape.dims is x's shape. */
cudaError_t pare_cu_transpose(size_t elem_size, const void *x, pare_cu_shape shape,
                              const int *perm /* host array, rank entries */,
                              void *y, cudaStream_t stream);
/* y = broadcast copy: shape.dims is y's shape, strides[0] x's strides;
 * strides[1] may give a non-contiguous destination (0 = contiguous). */
cudaError_t pare_cu_broadcast(size_t elem_size, const void *x, pare_cu_shape shape,
                              void *y, cudaStream_t stream);
/* y[i...] = x[starts[d] + i[d]*steps[d]...]; shape.dims is y's shape,
 * strides[0] x's contiguous strides. starts/steps are host arrays. */
cudaError_t pare_cu_slice(size_t elem_size, const void *x, pare_cu_shape shape,
                          const int *starts, const int *steps, void *y,
                          cudaStream_t stream);
/* Constant pad (mode 0), reflect (1), edge (2), wrap (3); shape.dims is y's
 * shape, in_dims / pads_begin host arrays of rank entries; value points to
 * one host element. */
cudaError_t pare_cu_pad(size_t elem_size, const void *x, const int *in_dims,
                        pare_cu_shape shape, const int *pads_begin, int mode,
                        const void *value, void *y, cudaStream_t stream);
/* Along the middle axis of [outer][axis_len][inner]; int64 indices on the
 * device, negative counting from the end. */
cudaError_t pare_cu_gather(size_t elem_size, const void *data, int outer, int axis_len,
                           int inner, const int64_t *indices, int count, void *y,
                           cudaStream_t stream);
/* GatherElements (pare_k_data.c's pare_gather_elements): y has the shape
 * index_dims (host arrays of `rank` dims); indices on the device, int32
 * (index_bytes 4) or int64 (8), negative counting from the end, out of range
 * giving zeros. */
cudaError_t pare_cu_gather_elements(size_t elem_size, const void *data, const int *data_dims,
                                    const int *index_dims, int rank, int axis,
                                    const void *indices, int index_bytes, void *y,
                                    cudaStream_t stream);
/* Transposed convolution (pare_k_conv.c's pare_conv_transpose2d_f32): NHWC,
 * weights [ic][kh][kw][oc / group], optional bias, fused activation;
 * accumulates in float. */
cudaError_t pare_cu_conv_transpose2d_f32(const float *x, int n, int ih, int iw, int ic,
                                         const float *w, const float *bias, float *y, int oh,
                                         int ow, int oc, int kh, int kw, int stride_h,
                                         int stride_w, int dil_h, int dil_w, int pad_top,
                                         int pad_left, int group, pare_act_t act, float act_a,
                                         float act_b, cudaStream_t stream);
cudaError_t pare_cu_conv_transpose2d_f16(const pare_half *x, int n, int ih, int iw, int ic,
                                         const pare_half *w, const pare_half *bias, pare_half *y,
                                         int oh, int ow, int oc, int kh, int kw, int stride_h,
                                         int stride_w, int dil_h, int dil_w, int pad_top,
                                         int pad_left, int group, pare_act_t act, float act_a,
                                         float act_b, cudaStream_t stream);
/* TSM temporal shift (pare_k_data.c's pare_temporal_shift): x is
 * [frames_total][channels][inner], or [frames_total][inner][channels] with
 * channels_last, clips of `frames` frames. mode 1 (bidirectional): channels
 * [0, fold) take frame t+1's values, [fold, 2 fold) frame t-1's; mode 2
 * (bidirectional_reversed): the other way round; mode 0 (unidirectional):
 * channels [0, fold) take frame t-1's. Outside the clip: *zero, one host
 * element. x and y must not overlap. */
cudaError_t pare_cu_temporal_shift(size_t elem_size, const void *x, void *y, int frames_total,
                                   int frames, int channels, int inner, int fold, int mode,
                                   int channels_last, const void *zero, cudaStream_t stream);
/* cond ? x : z with broadcasting: strides[0] cond (uint8), [1] x, [2] z. */
cudaError_t pare_cu_where(size_t elem_size, const uint8_t *cond, const void *x,
                          const void *z, void *y, pare_cu_shape shape,
                          cudaStream_t stream);
/* Clip with bounds read at run time (ONNX Clip whose min / max are computed
 * tensors): y = min(max(x, lo), hi) as pare_activation's PARE_ACT_CLIP (a NaN
 * x stays NaN, a NaN bound is ignored), lo = lo_ptr[0] on the device, or
 * lo_const where lo_ptr is NULL (a bound known at compile time or absent);
 * likewise hi. */
cudaError_t pare_cu_clip_f32(const float *x, const float *lo_ptr, const float *hi_ptr,
                             float lo_const, float hi_const, float *y, size_t count,
                             cudaStream_t stream);
cudaError_t pare_cu_clip_f16(const pare_half *x, const pare_half *lo_ptr,
                             const pare_half *hi_ptr, float lo_const, float hi_const,
                             pare_half *y, size_t count, cudaStream_t stream);
/* float <-> half conversions (model inputs / outputs of an fp16 model). */
cudaError_t pare_cu_f32_to_f16(const float *x, pare_half *y, size_t count,
                               cudaStream_t stream);
cudaError_t pare_cu_f16_to_f32(const pare_half *x, float *y, size_t count,
                               cudaStream_t stream);

#endif /* PARE_CUDA_CUH */
