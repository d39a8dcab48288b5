// pare.temporal_shift on the CUDA target: one launch of the type-generic
// pare_cu_temporal_shift with the C kernel's arguments (element bytes, x, y,
// frames N*T, frames per clip T, channels, inner, fold, mode 0 unidirectional /
// 1 bidirectional / 2 bidirectional_reversed, channels_last, &zero, stream).
// The CUDA pipeline never folds a shift into the 1x1 conv that reads it (its
// convolutions read no shift), whatever --shift-fusion says: the C target
// fuses "conv" below, the CUDA target shifts into the arena and convolves.
// fp16 shifts 2-byte elements with a half zero.
// RUN: rm -rf %t && pare compile %s --target cuda -o %t/f32 --name ts -q
// RUN: FileCheck %s --input-file %t/f32/ts.cu
// RUN: pare compile %s --target cuda --precision fp16 -o %t/f16 --name ts -q
// RUN: FileCheck %s --check-prefix=F16 --input-file %t/f16/ts.cu
// RUN: pare compile %s -o %t/c --name ts -q
// RUN: FileCheck %s --check-prefix=C --input-file %t/c/ts.c

// CHECK: /* ONNX node "tsm_nchw": temporal_shift -> 6x8x5 */
// CHECK-NEXT: /* bidirectional shift of 1 channel each way over clips of 3 frames */
// CHECK-NEXT: {
// CHECK-NEXT: const float tsm_zero = 0.0f;
// CHECK-NEXT: PARE_TRY(pare_cu_temporal_shift(4, input0, output0, 6, 3, 8, 5, 1, 1, 0, &tsm_zero, stream));
// CHECK-NEXT: }

// CHECK: /* NCHW -> NHWC layout change at ONNX node "tsm_4d": transpose -> 4x2x3x8 */
// CHECK: /* ONNX node "tsm_4d": temporal_shift -> 4x2x3x8 */
// CHECK-NEXT: /* unidirectional shift of 3 channels over clips of 2 frames */
// CHECK: PARE_TRY(pare_cu_temporal_shift(4, [[IN:[a-z0-9_]+]], [[OUT:[a-z0-9_]+]], 4, 2, 8, 6, 3, 0, 1, &tsm_zero, stream));
// CHECK: /* NHWC -> NCHW layout change at ONNX node "tsm_4d": transpose -> 4x8x2x3 */
// CHECK: pare_cu_transpose(4, [[OUT]],

// CHECK: /* ONNX node "tsm_nhwc": temporal_shift -> 4x3x5x16 */
// CHECK-NEXT: /* bidirectional_reversed shift of 2 channels each way over clips of 4 frames */
// CHECK: PARE_TRY(pare_cu_temporal_shift(4, input2, [[SHIFTED:[a-z0-9_]+]], 4, 4, 16, 15, 2, 2, 1, &tsm_zero, stream));
// CHECK: /* ONNX node "conv": conv -> 4x3x5x8 */
// CHECK-NEXT: PARE_TRY(pare_cu_conv2d_f32([[SHIFTED]], 4, 3, 5, 16,

// F16: /* ONNX node "tsm_4d": temporal_shift -> 4x2x3x8 */
// F16: const pare_half tsm_zero = __float2half(0.0f);
// F16-NEXT: PARE_TRY(pare_cu_temporal_shift(2, {{[a-z0-9_]+}}, {{[a-z0-9_]+}}, 4, 2, 8, 6, 3, 0, 1, &tsm_zero, stream));
// F16: /* ONNX node "tsm_nchw": temporal_shift -> 6x8x5 */
// F16: PARE_TRY(pare_cu_temporal_shift(2, {{[a-z0-9_]+}}, {{[a-z0-9_]+}}, 6, 3, 8, 5, 1, 1, 0, &tsm_zero, stream));
// F16: /* ONNX node "tsm_nhwc": temporal_shift -> 4x3x5x16 */
// F16: PARE_TRY(pare_cu_temporal_shift(2, {{[a-z0-9_]+}}, {{[a-z0-9_]+}}, 4, 4, 16, 15, 2, 2, 1, &tsm_zero, stream));

// C: /* input read through a bidirectional_reversed temporal shift (2 channels each way, clips of 4 frames), never stored:

func.func @main(%x: tensor<6x8x5xf32>, %v: tensor<4x8x2x3xf32>, %s: tensor<4x3x5x16xf32>) -> (tensor<6x8x5xf32>, tensor<4x8x2x3xf32>, tensor<4x3x5x8xf32>) {
  %y = pare.temporal_shift %x {frames = 3 : i64, fold = 1 : i64, mode = "bidirectional"} : (tensor<6x8x5xf32>) -> tensor<6x8x5xf32> loc("tsm_nchw")
  %t = pare.temporal_shift %v {frames = 2 : i64, fold = 3 : i64, mode = "unidirectional"} : (tensor<4x8x2x3xf32>) -> tensor<4x8x2x3xf32> loc("tsm_4d")
  %r = pare.temporal_shift %s {frames = 4 : i64, fold = 2 : i64, mode = "bidirectional_reversed", channels_last} : (tensor<4x3x5x16xf32>) -> tensor<4x3x5x16xf32> loc("tsm_nhwc")
  %w = pare.constant dense<0.5> : tensor<8x1x1x16xf32> loc("w")
  %c = pare.conv %r, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last} : (tensor<4x3x5x16xf32>, tensor<8x1x1x16xf32>) -> tensor<4x3x5x8xf32> loc("conv")
  return %y, %t, %c : tensor<6x8x5xf32>, tensor<4x8x2x3xf32>, tensor<4x3x5x8xf32>
}
