// A 1x1 convolution that reads its input through a temporal shift
// (pare.shift_frames / shift_fold / shift_mode, pare-fuse-temporal-shift):
// the shifted tensor is never stored. For each frame f of the N*T frames and
// each row r, pare_temporal_shift_row(element bytes, x, row, f, T, H, W, C, r,
// fold, bidirectional, &zero) gathers the shifted row into scratch (W*C
// elements, 16-byte rounded, ahead of the kernel's own scratch), then the
// layer's conv kernel runs on that row alone (ih = oh = 1, iw = ow = W) and
// writes output row r of frame f. Same kernel and weights as the unfused conv,
// so the same bits (tests/e2e/temporal_shift_kernels.py).
// RUN: rm -rf %t && pare compile %s -o %t/spec --name tf -q
// RUN: FileCheck %s --input-file %t/spec/tf.c
// RUN: cd %t/spec && for f in *.c; do gcc -std=c99 -Wall -Wextra -Werror -pedantic -c "$f" -o "$f.o" || exit 1; done
// RUN: pare compile %s -o %t/gen --name tf -q --kernels generic
// RUN: FileCheck %s --check-prefix=GEN --input-file %t/gen/tf.c
// RUN: cd %t/gen && for f in *.c; do gcc -std=c99 -Wall -Wextra -Werror -pedantic -c "$f" -o "$f.o" || exit 1; done
// The row buffer is planned as the conv's scratch.
// RUN: pare compile %s --compile-to plan -o - | FileCheck %s --check-prefix=PLAN

// int8, specialised: the layer function has the one-row geometry as literals.
// CHECK: /* conv8: pare_conv2d_s8 with this layer's constants. */
// CHECK-NEXT: TF_LAYER void tf_conv8_kernel(const int8_t *x, int8_t *y, int16_t *scratch) {
// CHECK-NEXT: pare_conv2d_s8_impl(x, 1, 1, 5, 16, -3,
// CHECK-NEXT: tf_conv8_weight, tf_conv8_bias, tf_conv8_multiplier, tf_conv8_shift,
// CHECK-NEXT: 4, -128, 127, y, 1, 5, 8, 1, 1, 1, 1, 1, 1, 0, 0, scratch);

// CHECK: /* ONNX node "conv": conv -> 4x3x5x16, fused relu */
// CHECK-NEXT: /* input read through a bidirectional temporal shift (2 channels each way, clips of 4 frames), never stored:
// CHECK-NEXT: * each shifted row is gathered into scratch and convolved alone (1 x 5) */
// CHECK-NEXT: {
// CHECK-NEXT: static const float tsm_zero = 0.0f;
// CHECK-NEXT: float *tsm_row = (float *)(arena + [[ROW:[0-9]+]]);
// CHECK-NEXT: int tsm_f, tsm_r;
// CHECK-NEXT: for (tsm_f = 0; tsm_f < 4; ++tsm_f)
// CHECK-NEXT: for (tsm_r = 0; tsm_r < 3; ++tsm_r) {
// CHECK-NEXT: pare_temporal_shift_row(4, x, tsm_row, tsm_f, 4, 3, 5, 16, tsm_r, 2, 1, &tsm_zero);
// CHECK-NEXT: pare_conv2d_packed_f32(tsm_row, 1, 1, 5, 16,
// CHECK-NEXT: tf_conv_weight_packed, tf_conv_bias,
// CHECK-NEXT: y + ((size_t)tsm_f * 3 + (size_t)tsm_r) * 80, 1, 5, 16, 1, 1, 1, 1, 1, 1, 0, 0, 1,
// CHECK-NEXT: PARE_ACT_RELU, 0.0f, 0.0f);
// CHECK-NEXT: }
// CHECK-NEXT: }

// int8: zero is the input's zero point; the kernel's scratch follows the
// 80-byte row.
// CHECK: /* ONNX node "conv8": qconv -> 4x3x5x8 */
// CHECK-NEXT: /* input read through a unidirectional temporal shift (3 channels, clips of 2 frames), never stored:
// CHECK: static const int8_t tsm_zero = -3;
// CHECK-NEXT: int8_t *tsm_row = (int8_t *)(arena + [[ROW8:[0-9]+]]);
// CHECK: pare_temporal_shift_row(1, q, tsm_row, tsm_f, 2, 3, 5, 16, tsm_r, 3, 0, &tsm_zero);
// CHECK-NEXT: tf_conv8_kernel(tsm_row, {{[a-z0-9_]+}} + ((size_t)tsm_f * 3 + (size_t)tsm_r) * 40, (int16_t *)(arena + {{[0-9]+}}));

// Generic kernels: the same loop around a direct pare_conv2d_s8 call.
// GEN: pare_temporal_shift_row(1, q, tsm_row, tsm_f, 2, 3, 5, 16, tsm_r, 3, 0, &tsm_zero);
// GEN-NEXT: pare_conv2d_s8(tsm_row, 1, 1, 5, 16, -3,
// GEN-NEXT: tf_conv8_weight, tf_conv8_bias, tf_conv8_multiplier, tf_conv8_shift,
// GEN-NEXT: 4, -128, 127, {{[a-z0-9_]+}} + ((size_t)tsm_f * 3 + (size_t)tsm_r) * 40, 1, 5, 8, 1, 1, 1, 1, 1, 1, 0, 0, (int16_t *)(arena + {{[0-9]+}}));

// PLAN: pare.conv {{.*}}pare.scratch_offset = {{[0-9]+}} : i64, pare.shift_fold = 2 : i64, pare.shift_frames = 4 : i64, pare.shift_mode = "bidirectional"
// PLAN: pare.qconv {{.*}}pare.scratch_offset = {{[0-9]+}} : i64, pare.shift_fold = 3 : i64, pare.shift_frames = 2 : i64, pare.shift_mode = "unidirectional"

!x = !quant.uniform<i8:f32, 0.05:-3>
!w = !quant.uniform<i8:f32:0, {0.01, 0.02, 0.01, 0.02, 0.01, 0.02, 0.01, 0.02}>
!y = !quant.uniform<i8:f32, 0.1:4>
func.func @main(%x: tensor<4x3x5x16xf32> {pare.name = "x"}, %q: tensor<4x3x5x16xi8> {pare.name = "q"})
    -> (tensor<4x3x5x16xf32> {pare.name = "y"}, tensor<4x3x5x8xi8> {pare.name = "z"}) {
  %w = pare.constant dense<0.25> : tensor<16x1x1x16xf32> loc("w")
  %b = pare.constant dense<0.5> : tensor<16xf32> loc("b")
  %0 = pare.conv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last, activation = "relu", pare.shift_frames = 4 : i64, pare.shift_fold = 2 : i64, pare.shift_mode = "bidirectional"} : (tensor<4x3x5x16xf32>, tensor<16x1x1x16xf32>, tensor<16xf32>) -> tensor<4x3x5x16xf32> loc("conv")
  %xq = pare.storage_cast %q : (tensor<4x3x5x16xi8>) -> tensor<4x3x5x16x!x> loc("qin")
  %w8 = pare.constant dense<3> : tensor<8x1x1x16xi8> loc("w8")
  %wq = pare.storage_cast %w8 : (tensor<8x1x1x16xi8>) -> tensor<8x1x1x16x!w> loc("wq")
  %b8 = pare.constant dense<100> : tensor<8xi32> loc("b8")
  %1 = pare.qconv %xq, %wq, %b8 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last, pare.shift_frames = 2 : i64, pare.shift_fold = 3 : i64, pare.shift_mode = "unidirectional"} : (tensor<4x3x5x16x!x>, tensor<8x1x1x16x!w>, tensor<8xi32>) -> tensor<4x3x5x8x!y> loc("conv8")
  %2 = pare.storage_cast %1 : (tensor<4x3x5x8x!y>) -> tensor<4x3x5x8xi8> loc("qout")
  return %0, %2 : tensor<4x3x5x16xf32>, tensor<4x3x5x8xi8>
}
