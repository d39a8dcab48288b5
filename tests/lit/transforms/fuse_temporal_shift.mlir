// pare-fuse-temporal-shift: a shift read only by 1x1 convolutions disappears
// into them (pare.shift_*: each conv reads its input through the shift, one
// shifted row at a time, so the shifted tensor is never materialised).
// RUN: pare-opt %s --split-input-file --pare-fuse-temporal-shift | FileCheck %s --check-prefix=FUSE

// FUSE-LABEL: func.func @fused
// FUSE-NOT: pare.temporal_shift
// FUSE: pare.conv %arg0, %{{.*}} {channels_last, {{.*}}pare.shift_fold = 2 : i64, pare.shift_frames = 4 : i64, pare.shift_mode = "bidirectional"
// FUSE: pare.conv %arg0, %{{.*}} {channels_last, {{.*}}pare.shift_fold = 2 : i64, pare.shift_frames = 4 : i64, pare.shift_mode = "bidirectional"
func.func @fused(%x: tensor<4x3x3x16xf32>) -> (tensor<4x3x3x8xf32>, tensor<4x3x3x8xf32>) {
  %w = pare.constant dense<0.5> : tensor<8x1x1x16xf32>
  %s = pare.temporal_shift %x {frames = 4 : i64, fold = 2 : i64, mode = "bidirectional", channels_last} : (tensor<4x3x3x16xf32>) -> tensor<4x3x3x16xf32>
  %a = pare.conv %s, %w {channels_last, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<4x3x3x16xf32>, tensor<8x1x1x16xf32>) -> tensor<4x3x3x8xf32>
  %b = pare.conv %s, %w {channels_last, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<4x3x3x16xf32>, tensor<8x1x1x16xf32>) -> tensor<4x3x3x8xf32>
  return %a, %b : tensor<4x3x3x8xf32>, tensor<4x3x3x8xf32>
}

// -----

// A 3x3 convolution cannot read through the shift row by row: the shift stays.
// FUSE-LABEL: func.func @not_pointwise
// FUSE: pare.temporal_shift
// FUSE-NOT: pare.shift_frames
func.func @not_pointwise(%x: tensor<4x3x3x16xf32>) -> tensor<4x3x3x8xf32> {
  %w = pare.constant dense<0.5> : tensor<8x3x3x16xf32>
  %s = pare.temporal_shift %x {frames = 4 : i64, fold = 2 : i64, mode = "unidirectional", channels_last} : (tensor<4x3x3x16xf32>) -> tensor<4x3x3x16xf32>
  %a = pare.conv %s, %w {channels_last, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<4x3x3x16xf32>, tensor<8x3x3x16xf32>) -> tensor<4x3x3x8xf32>
  return %a : tensor<4x3x3x8xf32>
}
