// What the targets cannot emit for temporal shifts, reported at the op's node:
// a convolution that reads through a shift must be a 1x1, stride 1, unpadded,
// group 1 NHWC conv on the TFLite int8 path; the CUDA target shifts unfused
// (temporal_shift_cuda.mlir), so a conv marked as reading through a shift
// (pare-opt's FuseTemporalShift) is refused there, as is --streaming.
// Exit code 1, no files.
// RUN: rm -rf %t && split-file %s %t
// RUN: for f in $(LC_ALL=C ls %t/*.mlir); do echo "== $(basename $f)"; not pare compile $f -o %t/out 2>&1; done > %t/log
// RUN: echo "== cuda streaming" >> %t/log && not pare compile %t/cuda/shift.mlir --target cuda --streaming -o %t/out 2>> %t/log
// RUN: echo "== cuda fused" >> %t/log && not pare compile %t/cuda/fused.mlir --target cuda -o %t/out 2>> %t/log
// RUN: FileCheck %s --input-file %t/log
// RUN: not ls %t/out

// CHECK-LABEL: == fused_3x3.mlir
// CHECK-NEXT: node 'conv': error: the C target cannot emit pare.conv: a convolution through a temporal shift must be 1x1, stride 1, unpadded, group 1
// CHECK-LABEL: == fused_onnx_rounding.mlir
// CHECK-NEXT: node 'conv8': error: the C target cannot emit pare.qconv: a convolution through a temporal shift on the generic int8 path (ONNX rounding, asymmetric weights or an i32 result)
// CHECK-LABEL: == cuda streaming
// CHECK-NEXT: --streaming applies to the C targets, not --target cuda
// CHECK-LABEL: == cuda fused
// CHECK-NEXT: node 'conv': error: the cuda target cannot emit pare.conv: a convolution through a fused temporal shift (compile the shift unfused: pare-temporal-shift-pipeline without fuse)

//--- fused_3x3.mlir
func.func @main(%x: tensor<4x3x5x16xf32>) -> tensor<4x3x5x8xf32> {
  %w = pare.constant dense<0.5> : tensor<8x3x3x16xf32> loc("w")
  %y = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64, channels_last, pare.shift_frames = 4 : i64, pare.shift_fold = 2 : i64, pare.shift_mode = "bidirectional"} : (tensor<4x3x5x16xf32>, tensor<8x3x3x16xf32>) -> tensor<4x3x5x8xf32> loc("conv")
  return %y : tensor<4x3x5x8xf32>
}
//--- cuda/fused.mlir
func.func @main(%x: tensor<4x3x5x16xf32>) -> tensor<4x3x5x8xf32> {
  %w = pare.constant dense<0.5> : tensor<8x1x1x16xf32> loc("w")
  %y = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last, pare.shift_frames = 4 : i64, pare.shift_fold = 2 : i64, pare.shift_mode = "bidirectional"} : (tensor<4x3x5x16xf32>, tensor<8x1x1x16xf32>) -> tensor<4x3x5x8xf32> loc("conv")
  return %y : tensor<4x3x5x8xf32>
}
//--- fused_onnx_rounding.mlir
!x = !quant.uniform<i8:f32, 0.05:-3>
!w = !quant.uniform<i8:f32, 0.01>
!y = !quant.uniform<i8:f32, 0.1:4>
module attributes {pare.int8_rounding = "onnx"} {
  func.func @main(%q: tensor<2x3x5x16xi8>) -> tensor<2x3x5x8xi8> {
    %xq = pare.storage_cast %q : (tensor<2x3x5x16xi8>) -> tensor<2x3x5x16x!x> loc("qin")
    %w8 = pare.constant dense<3> : tensor<8x1x1x16xi8> loc("w8")
    %wq = pare.storage_cast %w8 : (tensor<8x1x1x16xi8>) -> tensor<8x1x1x16x!w> loc("wq")
    %1 = pare.qconv %xq, %wq {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last, pare.shift_frames = 2 : i64, pare.shift_fold = 2 : i64, pare.shift_mode = "unidirectional"} : (tensor<2x3x5x16x!x>, tensor<8x1x1x16x!w>) -> tensor<2x3x5x8x!y> loc("conv8")
    %2 = pare.storage_cast %1 : (tensor<2x3x5x8x!y>) -> tensor<2x3x5x8xi8> loc("qout")
    return %2 : tensor<2x3x5x8xi8>
  }
}
//--- cuda/shift.mlir
func.func @main(%x: tensor<4x3x5x16xf32>) -> tensor<4x3x5x16xf32> {
  %y = pare.temporal_shift %x {frames = 4 : i64, fold = 2 : i64, mode = "unidirectional", channels_last} : (tensor<4x3x5x16xf32>) -> tensor<4x3x5x16xf32> loc("tsm")
  return %y : tensor<4x3x5x16xf32>
}
