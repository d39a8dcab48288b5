// int8 transposed convolution: one pare_conv_transpose2d_s8 call (TFLite
// TRANSPOSE_CONV arithmetic) with per-output-channel Q31 multipliers and
// shifts (0.05 * 0.02 / 0.1 = 0.01 and 0.05 * 0.03 / 0.1 = 0.015), the
// input / output zero points and the relu as the clamp [-3, 127]; compiles
// in strict C99.
// RUN: rm -rf %t && pare compile %s -o %t/c --name qct -q
// RUN: FileCheck %s --input-file %t/c/qct.c
// RUN: FileCheck %s --check-prefix=WEIGHTS --input-file %t/c/qct_weights.c
// RUN: cd %t/c && for f in *.c; do gcc -std=c99 -Wall -Wextra -Werror -pedantic -c "$f" -o "$f.o" || exit 1; done

// CHECK: /* ONNX node "up": qconv_transpose -> 1x4x4x2, fused relu */
// CHECK-NEXT: pare_conv_transpose2d_s8({{.*}}, 1, 2, 2, 3, 4,
// CHECK-NEXT: qct_up_weight, qct_up_bias, qct_up_multiplier, qct_up_shift,
// CHECK-NEXT: -3, -3, 127, {{.*}}, /* out h, w, c */ 4, 4, 2,
// CHECK-NEXT: /* kernel */ 2, 2, /* stride */ 2, 2, /* dilation */ 1, 1, /* pad top, left */ 0, 0);

// WEIGHTS: const int32_t qct_up_multiplier[2] = {
// WEIGHTS-NEXT: 1374389535, 2061584302
// WEIGHTS: const int32_t qct_up_shift[2] = {
// WEIGHTS-NEXT: -6, -6

func.func @main(%x: tensor<1x2x2x3xf32> {pare.name = "x"}) -> (tensor<1x4x4x2xf32> {pare.name = "y"}) {
  %q = pare.quantize %x : (tensor<1x2x2x3xf32>) -> tensor<1x2x2x3x!quant.uniform<i8:f32, 5.000000e-02:4>>
  %raw = pare.constant dense<[[[[1, -2], [3, 4]], [[5, 6], [-7, 8]]], [[[9, 10], [11, 12]], [[13, -14], [15, 16]]], [[[17, 18], [19, 20]], [[21, 22], [23, -24]]]]> : tensor<3x2x2x2xi8>
  %w = pare.storage_cast %raw : (tensor<3x2x2x2xi8>) -> tensor<3x2x2x2x!quant.uniform<i8:f32:3, {2.000000e-02,3.000000e-02}>>
  %b = pare.constant dense<[100, -200]> : tensor<2xi32>
  %0 = pare.qconv_transpose %q, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, output_padding = array<i64: 0, 0>, group = 1 : i64, channels_last, activation = "relu"} : (tensor<1x2x2x3x!quant.uniform<i8:f32, 5.000000e-02:4>>, tensor<3x2x2x2x!quant.uniform<i8:f32:3, {2.000000e-02,3.000000e-02}>>, tensor<2xi32>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 1.000000e-01:-3>> loc("up")
  %y = pare.dequantize %0 : (tensor<1x4x4x2x!quant.uniform<i8:f32, 1.000000e-01:-3>>) -> tensor<1x4x4x2xf32>
  return %y : tensor<1x4x4x2xf32>
}
