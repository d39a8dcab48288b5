// Transposed convolution: ConvertToNHWC takes the weight from ONNX's
// [C_in, C_out / group, kh, kw] to [C_in, kh, kw, C_out / group] (output
// channels innermost, as pare_conv_transpose2d_f32 reads them), the
// following sigmoid fuses into the call, and the call compiles in strict C99.
// RUN: rm -rf %t && pare compile %s -o %t/c --name ct -q
// RUN: FileCheck %s --input-file %t/c/ct.c
// RUN: FileCheck %s --check-prefix=WEIGHTS --input-file %t/c/ct_weights.c
// RUN: cd %t/c && for f in *.c; do gcc -std=c99 -Wall -Wextra -Werror -pedantic -c "$f" -o "$f.o" || exit 1; done

// CHECK: /* ONNX node "up" + "sig": conv_transpose -> 1x6x6x4, fused sigmoid */
// CHECK-NEXT: pare_conv_transpose2d_f32(up_nhwc, 1, 3, 3, 2,
// CHECK-NEXT: ct_up_weight, ct_up_bias,
// CHECK-NEXT: up, /* out h, w, c */ 6, 6, 4,
// CHECK-NEXT: /* kernel */ 2, 2, /* stride */ 2, 2, /* dilation */ 1, 1, /* pad top, left */ 0, 0, /* group */ 2,
// CHECK-NEXT: PARE_ACT_SIGMOID, 0.0f, 0.0f);

// WEIGHTS: const float ct_up_weight[16] = {
// WEIGHTS-NEXT: 1.0f, 5.0f, 2.0f, 6.0f, 3.0f, 7.0f, 4.0f, 8.0f,
// WEIGHTS-NEXT: 9.0f, 13.0f, 10.0f, 14.0f, 11.0f, 15.0f, 12.0f, 16.0f

func.func @main(%x: tensor<1x2x3x3xf32> {pare.name = "x"}) -> (tensor<1x4x6x6xf32> {pare.name = "y"}) {
  %w = pare.constant dense<[[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]], [[[9.0, 10.0], [11.0, 12.0]], [[13.0, 14.0], [15.0, 16.0]]]]> : tensor<2x2x2x2xf32>
  %b = pare.constant dense<[0.5, -0.5, 1.0, -1.0]> : tensor<4xf32>
  %0 = pare.conv_transpose %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, output_padding = array<i64: 0, 0>, group = 2 : i64} : (tensor<1x2x3x3xf32>, tensor<2x2x2x2xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32> loc("up")
  %1 = pare.sigmoid %0 : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> loc("sig")
  return %1 : tensor<1x4x6x6xf32>
}
