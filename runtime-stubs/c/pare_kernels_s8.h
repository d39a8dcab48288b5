/*
 * pare runtime kernels, int8 path (TFLite / CMSIS-NN quantization contract),
 * plain C99: no malloc, no stdio; <stddef.h>, <stdint.h>, <string.h> only
 * (plus <arm_acle.h> on cores with the DSP extension).
 *
 * Conventions are those of pare_kernels.h: activations NHWC, conv weights
 * OHWI [oc][kh][kw][ic], depthwise weights HWC [kh][kw][c] (multiplier 1),
 * shapes / strides int32_t arrays (0 stride = broadcast).
 *
 * Design notes
 *
 * Requantization. An int32 accumulator becomes int8 as in TFLite:
 *   y = clamp(pare_requantize(acc, mult, shift) + y_zp, act_min, act_max)
 * where pare_requantize is TFLite's MultiplyByQuantizedMultiplier with the
 * "double rounding" (CMSIS-NN's default arm_nn_requantize): x = acc << max(shift, 0)
 * (two's-complement wrap), SaturatingRoundingDoublingHighMul(x, mult) =
 * floor((x * mult + 2^30) / 2^31) (identical to TFLite's nudge + truncating
 * division), then RoundingDivideByPOT by max(-shift, 0), rounding half away
 * from zero. mult is a Q31 multiplier as produced by TFLite's
 * QuantizeMultiplier: 0 <= mult < 2^31 (the INT32_MIN * INT32_MIN saturation
 * case of SRDHM therefore cannot occur and is not checked); shift in [-31, 30].
 * act_min / act_max (within [-128, 127]) encode a fused ReLU / ReLU6 / clip.
 *
 * Kernels use a cheaper exact form of the same arithmetic for shift <= -2
 * (the usual case): with A = acc * mult (one SMLAL with the rounding
 * constants preloaded), the double rounding equals
 * floor((A + 2^30 + 2^(30+e) - [A < -2^30] 2^31) / 2^(31+e)), e = -shift.
 *
 * DSP path. When __ARM_FEATURE_DSP is defined (Cortex-M4/M7/M33...), the
 * conv, depthwise, fully-connected and global-average-pool kernels use the
 * SIMD instructions of <arm_acle.h>: four int8 values loaded as one word are
 * sign-extended into two int16x2 registers with SXTB16 / SXTB16 ROR #8 (for
 * activations SXTAB16 adds -x_zp in the same instruction), giving the pairs
 * (v0, v2) and (v1, v3); weights get the same treatment, so SMLAD (two MACs)
 * pairs them correctly without re-ordering. The general convolution builds an
 * int16 im2col column of (x - x_zp) for two output pixels in `scratch`
 * (padding contributes 0; when ic % 4 != 0, e.g. an RGB first layer, the
 * window's bytes are gathered first and converted four at a time), stored in
 * that same (0,2,1,3) order per block of four with the two pixels
 * interleaved, and multiplies it with 2 output channels at a time (2x2
 * register blocking, like CMSIS-NN's arm_nn_mat_mult_kernel_s8_s16); a 1x1
 * stride-1 unpadded conv converts its input rows directly. Depthwise
 * pre-expands the weights once per call into int16 in `scratch` and does
 * SMLABB / SMLATT on four channels per word, with the full 3x3 window
 * unrolled. Fully connected converts the activation row on the fly and runs 4
 * output rows at a time when k is a compile-time constant (3 otherwise, so
 * that everything stays in registers). Global average pool sums four
 * channels per word in 16-bit lanes with SXTAB16 (chunks of at most 256
 * positions, so the lanes cannot overflow). All integer sums are exact, so
 * the portable path (plain C, any other target) produces the same bits; the
 * unit test (tests/unit/kernels/test_kernels_s8.py) checks both, the DSP
 * path under QEMU Cortex-M4. Activation zero points must lie in [-128, 127]
 * (the DSP path stages padding as that byte).
 *
 * Specialisation. pare_k_s8_impl.h holds the kernel bodies as always-inline
 * functions named <api name>_impl with the API's parameters. Generated code
 * may wrap one in a static function and pass the layer's shape, stride, pad,
 * zero-point and clamp values as literal constants; the C compiler then
 * folds the fast-path selection (1x1 pointwise, 3x3 depthwise, ...) and the
 * index arithmetic (TinyEngine-style per-layer kernels). The extern functions
 * declared here are the same bodies compiled once for any shape; they route
 * 1x1 and 3x3 convolutions, 3x3 depthwise and "no activation" (act range
 * [-128, 127], one SSAT) to instances with those values fixed, and
 * pare_k_s8.c defines PARE_S8_OUTLINE_BLOCKS so that the per-pixel-pair block
 * of the convolution is one out-of-line function there (better register
 * allocation than one huge function). benchmarks/cortex-m/run_layers.py
 * measures both forms against CMSIS-NN on Cortex-M4 and M7.
 */
#ifndef PARE_KERNELS_S8_H
#define PARE_KERNELS_S8_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* TFLite MultiplyByQuantizedMultiplier (double rounding), see the notes above.
 * Requires 0 <= mult < 2^31 (mult != INT32_MIN) and -31 <= shift <= 30. */
static inline int32_t pare_requantize(int32_t acc, int32_t mult, int32_t shift)
{
  int32_t left = shift > 0 ? shift : 0;
  int32_t right = shift > 0 ? 0 : -shift;
  int32_t x = (int32_t)((uint32_t)acc << left);
  int64_t p = (int64_t)x * mult + ((int64_t)1 << 30);
  int32_t v = (int32_t)(p >> 31);
  int32_t mask = (int32_t)((1u << right) - 1u);
  int32_t thr = (mask >> 1) + (v < 0 ? 1 : 0);
  return (v >> right) + ((v & mask) > thr ? 1 : 0);
}

/* ----------------------------------------------------------- convolution -- */

/* General 2-D convolution (group 1), int8 NHWC in and out.
 * acc = bias[o] + sum (x - x_zp) * w over the window (x: [n][ih][iw][ic],
 * w: OHWI [oc][kh][kw][ic] symmetric int8, bias int32 [oc] or NULL);
 * y[n][oh][ow][oc] = clamp(pare_requantize(acc, mult[o], shift[o]) + y_zp,
 * act_min, act_max) (per-output-channel mult / shift). Pads top / left are
 * given, bottom / right follow from oh / ow; padded cells contribute 0
 * (they hold x_zp). scratch: PARE_CONV2D_S8_SCRATCH_BYTES(ic, kh, kw) bytes,
 * 4-byte aligned (two int16 im2col columns and an int8 staging row; the
 * portable build ignores it, NULL selects the scalar path there too).
 * x_zp must be in [-128, 127] (padding is staged as the byte x_zp). */
void pare_conv2d_s8(const int8_t *x, int n, int ih, int iw, int ic, int32_t x_zp,
                    const int8_t *w, const int32_t *bias, const int32_t *mult, const int32_t *shift,
                    int32_t y_zp, int32_t act_min, int32_t act_max,
                    int8_t *y, int oh, int ow, int oc, int kh, int kw, int stride_h, int stride_w,
                    int dil_h, int dil_w, int pad_top, int pad_left, int16_t *scratch);
#define PARE_CONV2D_S8_SCRATCH_BYTES(ic, kh, kw) ((5 * (ic) * (kh) * (kw) + 3) / 4 * 4)

/* Transposed 2-D convolution (TFLite TRANSPOSE_CONV; group 1), int8 NHWC in
 * and out, weights [ic][kh][kw][oc] symmetric int8 (ONNX ConvTranspose's
 * [ic][oc][kh][kw] with the output channels last). acc = bias[o] + sum of
 * (x[iy][ix][c] - x_zp) * w[c][ky][kx][o] over the taps with
 * oy + pad_top = iy * stride_h + ky * dil_h (and the same across);
 * y = clamp(pare_requantize(acc, mult[o], shift[o]) + y_zp, act_min,
 * act_max). The crop at the bottom / right and output_padding follow from
 * oh / ow. No scratch. */
void pare_conv_transpose2d_s8(const int8_t *x, int n, int ih, int iw, int ic, int32_t x_zp,
                              const int8_t *w, const int32_t *bias, const int32_t *mult,
                              const int32_t *shift, int32_t y_zp, int32_t act_min,
                              int32_t act_max, int8_t *y, int oh, int ow, int oc, int kh, int kw,
                              int stride_h, int stride_w, int dil_h, int dil_w, int pad_top,
                              int pad_left);

/* Depthwise 2-D convolution, channel multiplier 1, weights HWC [kh][kw][c];
 * otherwise as pare_conv2d_s8 (bias / mult / shift have c entries).
 * scratch: PARE_DEPTHWISE_CONV2D_S8_SCRATCH_BYTES(c, kh, kw) bytes, 4-byte
 * aligned (the weights widened to int16; NULL selects the scalar path). */
void pare_depthwise_conv2d_s8(const int8_t *x, int n, int ih, int iw, int c, int32_t x_zp,
                    const int8_t *w, const int32_t *bias, const int32_t *mult, const int32_t *shift,
                    int32_t y_zp, int32_t act_min, int32_t act_max,
                    int8_t *y, int oh, int ow, int kh, int kw, int stride_h, int stride_w,
                    int dil_h, int dil_w, int pad_top, int pad_left, int16_t *scratch);
#define PARE_DEPTHWISE_CONV2D_S8_SCRATCH_BYTES(c, kh, kw) (2 * (c) * (kh) * (kw))

/* Depthwise convolution that may run in place (TinyEngine / MCUNet style), so
 * that a memory planner can give y the arena offset of x: same parameters
 * and byte-identical output as pare_depthwise_conv2d_s8 (any kernel size,
 * stride, dilation, padding, zero points, batch). y may be exactly x (the
 * same pointer) or a buffer that does not overlap x; in place requires
 * oh * ow <= ih * iw (always true for stride >= 1 with pads that do not
 * grow the map, e.g. SAME / VALID). Batches run in order, batch b's output
 * at b * oh * ow * c (in place each channel ch only overwrites slots of
 * channel ch that were already read). Method: per channel, the channel is
 * copied out of x into a temporary in scratch (with its padding, x_zp, so
 * the tap loops have no bounds checks; 3x3 / 5x5 at stride 1 / 2 are
 * specialised, stride 1 computes two outputs per pass with SMLAD on the DSP
 * path), then all of that channel's outputs are computed and stored.
 * scratch (required, not NULL): PARE_DEPTHWISE_CONV2D_S8_INPLACE_SCRATCH_BYTES
 * (ih, iw, c, kh, kw) bytes, 4-byte aligned (c is unused: the bound does not
 * depend on it). When the padded extent the windows touch, ((oh - 1) *
 * stride_h + (kh - 1) * dil_h + 1) x (the same across), exceeds (ih + kh - 1)
 * x (iw + kw - 1) (dilation > 1 with SAME padding, or pads above kernel - 1)
 * the channel is staged unpadded and the taps are bounds-checked instead
 * (slower, same result). */
void pare_depthwise_conv2d_s8_inplace(const int8_t *x, int n, int ih, int iw, int c, int32_t x_zp,
                    const int8_t *w, const int32_t *bias, const int32_t *mult, const int32_t *shift,
                    int32_t y_zp, int32_t act_min, int32_t act_max,
                    int8_t *y, int oh, int ow, int kh, int kw, int stride_h, int stride_w,
                    int dil_h, int dil_w, int pad_top, int pad_left, int16_t *scratch);
#define PARE_DEPTHWISE_CONV2D_S8_INPLACE_SCRATCH_BYTES(ih, iw, c, kh, kw) \
  (4 * (kh) * ((kw) + 3) + (((ih) + (kh) - 1) * ((iw) + (kw) - 1) + 8 + 3) / 4 * 4)

/* Fully connected: y[r][j] = clamp(pare_requantize(bias[j] + sum_k
 * (x[r][k] - x_zp) * w[j][k], mult[j or 0], shift[j or 0]) + y_zp, act_min,
 * act_max). x [rows][k], w [n][k], bias [n] or NULL; mult / shift have n
 * entries when per_channel, else 1. y [rows][n]. */
void pare_fully_connected_s8(const int8_t *x, int rows, int k, int32_t x_zp,
                    const int8_t *w, const int32_t *bias, const int32_t *mult, const int32_t *shift, int per_channel,
                    int32_t y_zp, int32_t act_min, int32_t act_max, int8_t *y, int n);

/* onnxruntime's arithmetic in the same kernels, for models that arrive
 * quantized (ONNX rounding): pare_conv2d_s8_onnx, pare_depthwise_conv2d_s8_
 * inplace_onnx and pare_fully_connected_s8_onnx take a float32 scale per
 * output channel (x_scale * w_scale[c] / y_scale, computed in float32 in that
 * order; fully connected: one when !per_channel) instead of mult / shift, and
 * compute y = clamp(saturate(round_half_to_even((float)acc * scale[c]) +
 * y_zp), act_min, act_max), acc = bias[c] + the exact int32 sum as in their
 * TFLite forms: what onnxruntime's QLinearConv / QGemm compute on x86 (MLAS
 * requantization; the generic pare_requantize_acc_s8 computes the same). Same
 * inner loops, scratch, aliasing and fast paths as the TFLite forms; only the
 * epilogue differs. Scales must be finite (NaN / infinite ones stay on the
 * generic kernels). On 32-bit ARM cores with a single-precision FPU the
 * rounding is one VCVTR, in the FPSCR rounding mode (round to nearest even
 * unless the application changes it); no libm call anywhere. */
void pare_conv2d_s8_onnx(const int8_t *x, int n, int ih, int iw, int ic, int32_t x_zp,
                         const int8_t *w, const int32_t *bias, const float *scale,
                         int32_t y_zp, int32_t act_min, int32_t act_max,
                         int8_t *y, int oh, int ow, int oc, int kh, int kw, int stride_h, int stride_w,
                         int dil_h, int dil_w, int pad_top, int pad_left, int16_t *scratch);
void pare_depthwise_conv2d_s8_inplace_onnx(const int8_t *x, int n, int ih, int iw, int c, int32_t x_zp,
                         const int8_t *w, const int32_t *bias, const float *scale,
                         int32_t y_zp, int32_t act_min, int32_t act_max,
                         int8_t *y, int oh, int ow, int kh, int kw, int stride_h, int stride_w,
                         int dil_h, int dil_w, int pad_top, int pad_left, int16_t *scratch);
void pare_fully_connected_s8_onnx(const int8_t *x, int rows, int k, int32_t x_zp,
                         const int8_t *w, const int32_t *bias, const float *scale, int per_channel,
                         int32_t y_zp, int32_t act_min, int32_t act_max, int8_t *y, int n);

/* ------------------------------------------------------------ elementwise -- */

/* Aliasing (all int8 elementwise kernels: add, mul, their _onnx forms,
 * requantize, lut, flip): y may equal a or b (the same pointer, for an input
 * that has y's shape and contiguous strides; the other input may broadcast).
 * Each output element is written once, after the input elements at the same
 * index were read, walking forward, and no input element at a later index is
 * written first; there is no DSP (SIMD) variant of these loops. Partially
 * overlapping buffers are not supported. */

/* TFLite int8 ADD: a' = (a - a_zp) << left_shift; a'' = pare_requantize(a',
 * a_mult, a_shift); b'' likewise; y = clamp(pare_requantize(a'' + b'',
 * y_mult, y_shift) + y_zp, act_min, act_max). Broadcasting as pare_binary_f32:
 * shape[rank] is the output shape, a_strides / b_strides element strides per
 * output dim (0 = broadcast); y contiguous. In place allowed: y may equal a or
 * b when that input has y's shape and contiguous strides. */
void pare_add_s8(const int8_t *a, const int32_t *a_strides, const int8_t *b, const int32_t *b_strides,
                 int8_t *y, const int32_t *shape, int rank, int32_t left_shift,
                 int32_t a_zp, int32_t a_mult, int32_t a_shift, int32_t b_zp, int32_t b_mult, int32_t b_shift,
                 int32_t y_zp, int32_t y_mult, int32_t y_shift, int32_t act_min, int32_t act_max);
/* TFLite int8 MUL: y = clamp(pare_requantize((a - a_zp) * (b - b_zp), mult,
 * shift) + y_zp, act_min, act_max). Broadcasting and in place as pare_add_s8. */
void pare_mul_s8(const int8_t *a, const int32_t *a_strides, const int8_t *b, const int32_t *b_strides,
                 int8_t *y, const int32_t *shape, int rank, int32_t a_zp, int32_t b_zp,
                 int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max);
/* onnxruntime's QLinearAdd (its x86 MLAS kernel, bit-exact), for models that
 * arrive quantized: a_ratio = a_scale / y_scale, b_ratio = b_scale / y_scale
 * (float32), fixed = (float)y_zp - (a_ratio * a_zp + b_ratio * b_zp); y =
 * saturate(round_half_to_even(fma(a, a_ratio, fma(b, b_ratio, fixed)))), or,
 * where one operand is broadcast along the innermost dim (onnxruntime's scalar
 * span), that operand folds into fixed first (fixed + (float)b * b_ratio) and
 * y = fma(a, a_ratio, that). Then clamped to [act_min, act_max]. The fused
 * multiply-adds round once, as onnxruntime's FMA instructions: VFMA.F32 where
 * the core has it (Cortex-M4 / M7), else exactly emulated (no double on
 * cores with a single-precision FPU). Broadcasting and in place as
 * pare_add_s8. */
void pare_add_s8_onnx(const int8_t *a, const int32_t *a_strides, const int8_t *b, const int32_t *b_strides,
                      int8_t *y, const int32_t *shape, int rank, float a_ratio, int32_t a_zp,
                      float b_ratio, int32_t b_zp, int32_t y_zp, int32_t act_min, int32_t act_max);
/* onnxruntime's QLinearMul (x86 MLAS, bit-exact): y = clamp(saturate(
 * round_half_to_even((float)((a - a_zp) * (b - b_zp)) * ratio) + y_zp),
 * act_min, act_max), ratio = a_scale * b_scale / y_scale in float32.
 * Broadcasting and in place as pare_add_s8. */
void pare_mul_s8_onnx(const int8_t *a, const int32_t *a_strides, const int8_t *b, const int32_t *b_strides,
                      int8_t *y, const int32_t *shape, int rank, int32_t a_zp, int32_t b_zp,
                      float ratio, int32_t y_zp, int32_t act_min, int32_t act_max);

/* onnxruntime's QLinearSoftmax (int8, bit-exact), for models that arrive
 * quantized: along the axis (d elements, stride inner, outer * inner rows),
 * e = table[(uint8_t)(127 - max + x)] (the compiler builds table[256] as
 * onnxruntime does: exp of the input steps below the row maximum, shifted
 * up), sum = the float32 sum of e in order, y = saturate(round_half_to_even(
 * (e * y_scale_floor) / sum) + y_zp), y_scale_floor = floor(1 / y_scale) in
 * float32 (onnxruntime's, 254 for a 1/255 output scale). Not in place. */
void pare_softmax_s8_onnx(const int8_t *x, int8_t *y, int outer, int d, int inner, const float *table,
                          float y_scale_floor, int32_t y_zp);

/* ---------------------------------------------------------------- pooling -- */

/* NHWC pools, same quantization in and out (TFLite / CMSIS-NN rules), output
 * clamped to [act_min, act_max]. Max pool skips padding cells. Average pool:
 * sum of the cells inside the input, divided with rounding
 * (sum > 0 ? (sum + cnt/2) / cnt : (sum - cnt/2) / cnt, C division), cnt =
 * kh * kw when count_include_pad else the number of cells inside the input.
 * Windows past the bottom / right edge are clipped to the input (the end pads
 * only shape oh / ow, as in the float kernels). */
void pare_maxpool2d_s8(const int8_t *x, int n, int ih, int iw, int c, int8_t *y, int oh, int ow,
                       int kh, int kw, int stride_h, int stride_w, int pad_top, int pad_left,
                       int pad_bottom, int pad_right, int32_t act_min, int32_t act_max);
void pare_avgpool2d_s8(const int8_t *x, int n, int ih, int iw, int c, int8_t *y, int oh, int ow,
                       int kh, int kw, int stride_h, int stride_w, int pad_top, int pad_left,
                       int pad_bottom, int pad_right, int count_include_pad, int32_t act_min, int32_t act_max);
/* Global average pool, x [n][spatial][c] -> y [n][c], TFLite's integer MEAN
 * over height and width (reference_integer_ops::Mean): t = pare_requantize(
 * sum_s x - spatial * x_zp, mult, shift) with mult / shift the input / output
 * scale ratio alone, then the rounding division of AVERAGE_POOL_2D,
 * y = clamp((t > 0 ? (t + spatial/2) / spatial : (t - spatial/2) / spatial)
 * + y_zp, act_min, act_max) (C division). With x_zp = y_zp = 0 and the unit
 * multiplier (2^30, shift 1; skipped, being exact) this is TFLite's
 * AVERAGE_POOL_2D / CMSIS-NN's arm_avgpool_s8 over the whole plane, which the
 * compiler uses when input and output share their quantization. Needs no
 * scratch (PARE_GLOBAL_AVGPOOL_S8_SCRATCH_BYTES is 0; scratch may be NULL). */
void pare_global_avgpool_s8(const int8_t *x, int n, int spatial, int c, int32_t x_zp, int32_t mult, int32_t shift,
                            int32_t y_zp, int32_t act_min, int32_t act_max, int8_t *y, int32_t *scratch);
#define PARE_GLOBAL_AVGPOOL_S8_SCRATCH_BYTES(c) 0
/* onnxruntime's QLinearAveragePool (bit-exact), for models that arrive
 * quantized; NHWC, windows as pare_avgpool2d_s8: sum = the int32 sum of
 * x - x_zp over the window cells inside the input, cnt as pare_avgpool2d_s8,
 * y = clamp(saturate(round_half_to_even((float)sum * (x_scale / (y_scale *
 * (float)cnt)) + (float)y_zp)), act_min, act_max), float32 throughout. */
void pare_avgpool2d_s8_onnx(const int8_t *x, int n, int ih, int iw, int c, int8_t *y, int oh, int ow,
                            int kh, int kw, int stride_h, int stride_w, int pad_top, int pad_left,
                            int count_include_pad, int32_t x_zp, float x_scale, float y_scale, int32_t y_zp,
                            int32_t act_min, int32_t act_max);
/* onnxruntime's QLinearGlobalAveragePool (x86 MLAS, bit-exact), x [n][spatial][c]
 * -> y [n][c]: y = saturate(round_half_to_even((float)(sum_s x - spatial *
 * x_zp) * scale) + y_zp), scale = x_scale / (y_scale * (float)spatial) in
 * float32 (computed by the compiler). */
void pare_global_avgpool_s8_onnx(const int8_t *x, int n, int spatial, int c, int32_t x_zp, float scale,
                                 int32_t y_zp, int8_t *y);

/* ----------------------------------------------------------------- resize -- */
/* Bilinear resize of x [outer][in_h][in_w][inner] to y [outer][out_h][out_w]
 * [inner] as TFLite's int8 RESIZE_BILINEAR (reference_ops::ResizeBilinear for
 * int8): source coordinates in 10 fractional bits, v * scale_10 (+ scale_10 /
 * 2 - 512 with half_pixel_centers), lower neighbour max(s / 1024, 0), upper
 * min((s + 1023) / 1024, in - 1) (C division), the four products summed with
 * 20 fractional bits and rounded half away from zero. The stored int8 values
 * are interpolated (the weights sum to one, so the zero point passes
 * through); y has x's quantization. scale_10 is TFLite's
 * (1024 * in + out / 2) / out, or (1024 * (in - 1) + (out - 1) / 2) /
 * (out - 1) with align_corners. */
void pare_resize_bilinear_s8(const int8_t *x, int8_t *y, int outer, int in_h, int in_w, int out_h,
                             int out_w, int inner, int32_t scale_h_10, int32_t scale_w_10,
                             int half_pixel_centers);

/* ------------------------------------------------------ quantization ops -- */

/* y = clamp(pare_requantize(x - x_zp, mult, shift) + y_zp, -128, 127). In place
 * allowed (y may equal x). */
void pare_requantize_s8(const int8_t *x, int8_t *y, size_t count, int32_t x_zp, int32_t mult, int32_t shift, int32_t y_zp);
/* y[i] = table[x[i] + 128] (any unary int8 activation). In place allowed (y may
 * equal x; table must not overlap y). */
void pare_lut_s8(const int8_t *x, int8_t *y, size_t count, const int8_t *table);
/* ONNX QuantizeLinear, per tensor: y = saturate(round_half_to_even(x / scale)
 * + zp), computed in float32 with a true division (bit-exact with ONNX);
 * NaN gives -128 (onnxruntime's MLAS on x86). Not in place (different element sizes). */
void pare_quantize_f32_s8(const float *x, int8_t *y, size_t count, float scale, int32_t zp);
/* ONNX DequantizeLinear: y = (float)(x - zp) * scale (float32). Not in place. */
void pare_dequantize_s8_f32(const int8_t *x, float *y, size_t count, float scale, int32_t zp);
/* uint8 <-> int8 storage flip (byte ^ 0x80): a uint8 tensor with zero point z
 * is the int8 tensor with zero point z - 128. In place allowed (y may equal x). */
void pare_flip_u8_s8(const void *x, void *y, size_t count);

/* --------------------------------- generic ONNX-exact integer kernels -- */

/* acc[n][oh][ow][oc] = sum (x - x_zp) * (w - w_zp[o or 0]) (ConvInteger /
 * QLinearConv core), x NHWC int8, w OHWI [oc][kh][kw][ic / group] int8,
 * w_zp with w_zp_count (1 or oc) entries, any group (oc and ic divisible by
 * group). Padded cells contribute 0. */
void pare_conv2d_acc_s8(const int8_t *x, int n, int ih, int iw, int ic, int32_t x_zp,
                        const int8_t *w, const int32_t *w_zp, int w_zp_count,
                        int32_t *acc, int oh, int ow, int oc, int kh, int kw, int stride_h, int stride_w,
                        int dil_h, int dil_w, int pad_top, int pad_left, int group);
/* Batched int8 matmul to int32 with zero points (MatMulInteger /
 * QLinearMatMul core), strides and batch broadcasting as pare_matmul_f32:
 * y[b][i][j] = sum_k (A(i,k) - a_zp) * (B(k,j) - b_zp[j or 0]), A(i,k) =
 * a[a_boff + i*a_rs + k*a_cs], B(k,j) = b[b_boff + k*b_rs + j*b_cs];
 * b_zp_count is 1 or n; y contiguous [batch...][m][n]. */
void pare_matmul_acc_s8(const int8_t *a, int32_t a_zp, const int8_t *b, const int32_t *b_zp, int b_zp_count,
                        int32_t *y, int m, int n, int k, int a_rs, int a_cs, int b_rs, int b_cs,
                        const int32_t *batch_shape, int batch_rank,
                        const int32_t *a_bstrides, const int32_t *b_bstrides);
/* y[i] = saturate(round_half_to_even((float)(acc[i] + bias[c]) * scale[c])
 * + y_zp), c = i % channels, bias NULL = 0, scale_count 1 = one scale for all.
 * Computed in float32 (int32 -> float32 conversion rounds to nearest, one
 * float32 multiply), which is what the ONNX reference (numpy float32) does.
 * The int32 sum wraps, as onnxruntime's does; NaN gives -128. */
void pare_requantize_acc_s8(const int32_t *acc, const int32_t *bias, const float *scale, int scale_count,
                            int channels, size_t count, int32_t y_zp, int8_t *y);

#ifdef __cplusplus
}
#endif

#endif /* PARE_KERNELS_S8_H */
