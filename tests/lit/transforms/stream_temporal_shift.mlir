// pare-stream-temporal-shift (--streaming): a T-frame TSM model becomes a
// one-frame step; the shifts keep the previous frame's channels as state.
// RUN: pare-opt %s --split-input-file --pare-stream-temporal-shift --verify-diagnostics | FileCheck %s --check-prefix=STREAM

// Dim 0 holds 4 frames of one clip; every tensor becomes one frame.
// STREAM-LABEL: func.func @per_frame(%arg0: tensor<1x3x3x16xf32>) -> tensor<1x3x3x8xf32>
// STREAM: pare.temporal_shift %arg0 {channels_last, fold = 2 : i64, frames = 1 : i64, mode = "unidirectional", streaming} : (tensor<1x3x3x16xf32>) -> tensor<1x3x3x16xf32>
// STREAM: pare.conv {{.*}} -> tensor<1x3x3x8xf32>
func.func @per_frame(%x: tensor<4x3x3x16xf32>) -> tensor<4x3x3x8xf32> {
  %w = pare.constant dense<0.5> : tensor<8x3x3x16xf32>
  %s = pare.temporal_shift %x {frames = 4 : i64, fold = 2 : i64, mode = "unidirectional", channels_last} : (tensor<4x3x3x16xf32>) -> tensor<4x3x3x16xf32>
  %a = pare.conv %s, %w {channels_last, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<4x3x3x16xf32>, tensor<8x3x3x16xf32>) -> tensor<4x3x3x8xf32>
  return %a : tensor<4x3x3x8xf32>
}

// -----

func.func @bidirectional(%x: tensor<4x2x2x8xf32>) -> tensor<4x2x2x8xf32> {
  // expected-error @+1 {{--streaming needs a unidirectional (online) temporal shift}}
  %s = pare.temporal_shift %x {frames = 4 : i64, fold = 1 : i64, mode = "bidirectional", channels_last} : (tensor<4x2x2x8xf32>) -> tensor<4x2x2x8xf32>
  return %s : tensor<4x2x2x8xf32>
}

// -----

func.func @mixes_frames(%x: tensor<4x8xf32>) -> tensor<1x8xf32> {
  %s = pare.temporal_shift %x {frames = 4 : i64, fold = 1 : i64, mode = "unidirectional"} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  // expected-error @+1 {{--streaming: 'pare.reduce_mean' does not treat dim 0 as independent frames}}
  %m = pare.reduce_mean %s {axes = array<i64: 0>, keepdims = true} : (tensor<4x8xf32>) -> tensor<1x8xf32>
  return %m : tensor<1x8xf32>
}

// -----

// expected-error @+1 {{--streaming needs a model with temporal shifts (none was recognised)}}
func.func @no_shift(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = pare.relu %x : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}
