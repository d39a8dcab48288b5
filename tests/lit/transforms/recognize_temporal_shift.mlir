// pare-recognize-temporal-shift: a reshape to [N, T, C, H, W], data movement
// and a reshape back is run on a probe tensor; when every output element is
// its input element from frame t+1 / t-1 / t (zero past the clip's ends) with
// TSM's channel ranges, the subgraph becomes one pare.temporal_shift.
// RUN: pare-opt %s --split-input-file --pare-recognize-temporal-shift --canonicalize | FileCheck %s

// Bidirectional, fold 1, T = 4, as Slice + Concat with zeros: channel 0 takes
// frame t+1, channel 1 frame t-1, channels 2..3 stay.
// CHECK-LABEL: func.func @slice_concat
// CHECK-NEXT: %[[S:.*]] = pare.temporal_shift %arg0 {fold = 1 : i64, frames = 4 : i64, mode = "bidirectional"} : (tensor<4x4x1x1xf32>) -> tensor<4x4x1x1xf32>
// CHECK-NEXT: return %[[S]]
func.func @slice_concat(%x: tensor<4x4x1x1xf32>) -> tensor<4x4x1x1xf32> {
  %z = pare.constant dense<0.0> : tensor<1x1x1x1x1xf32>
  %x5 = pare.reshape %x : (tensor<4x4x1x1xf32>) -> tensor<1x4x4x1x1xf32>
  %a = pare.slice %x5 {starts = array<i64: 0, 1, 0, 0, 0>, ends = array<i64: 1, 4, 1, 1, 1>, steps = array<i64: 1, 1, 1, 1, 1>} : (tensor<1x4x4x1x1xf32>) -> tensor<1x3x1x1x1xf32>
  %a2 = pare.concat %a, %z {axis = 1 : i64} : (tensor<1x3x1x1x1xf32>, tensor<1x1x1x1x1xf32>) -> tensor<1x4x1x1x1xf32>
  %b = pare.slice %x5 {starts = array<i64: 0, 0, 1, 0, 0>, ends = array<i64: 1, 3, 2, 1, 1>, steps = array<i64: 1, 1, 1, 1, 1>} : (tensor<1x4x4x1x1xf32>) -> tensor<1x3x1x1x1xf32>
  %b2 = pare.concat %z, %b {axis = 1 : i64} : (tensor<1x1x1x1x1xf32>, tensor<1x3x1x1x1xf32>) -> tensor<1x4x1x1x1xf32>
  %c = pare.slice %x5 {starts = array<i64: 0, 0, 2, 0, 0>, ends = array<i64: 1, 4, 4, 1, 1>, steps = array<i64: 1, 1, 1, 1, 1>} : (tensor<1x4x4x1x1xf32>) -> tensor<1x4x2x1x1xf32>
  %y5 = pare.concat %a2, %b2, %c {axis = 2 : i64} : (tensor<1x4x1x1x1xf32>, tensor<1x4x1x1x1xf32>, tensor<1x4x2x1x1xf32>) -> tensor<1x4x4x1x1xf32>
  %y = pare.reshape %y5 : (tensor<1x4x4x1x1xf32>) -> tensor<4x4x1x1xf32>
  return %y : tensor<4x4x1x1xf32>
}

// -----

// Unidirectional (online TSM): channel 0 takes frame t-1, written with a
// ScatterND into zeros (PyTorch's in-place slice assignment) for channel 0
// and a concat for the rest.
// CHECK-LABEL: func.func @unidirectional
// CHECK-NEXT: %[[S:.*]] = pare.temporal_shift %arg0 {fold = 1 : i64, frames = 2 : i64, mode = "unidirectional"} : (tensor<2x2x1x1xf32>) -> tensor<2x2x1x1xf32>
func.func @unidirectional(%x: tensor<2x2x1x1xf32>) -> tensor<2x2x1x1xf32> {
  %zeros = pare.constant dense<0.0> : tensor<1x2x1x1x1xf32>
  %idx = pare.constant dense<[[[0, 1]]]> : tensor<1x1x2xi64>
  %x5 = pare.reshape %x : (tensor<2x2x1x1xf32>) -> tensor<1x2x2x1x1xf32>
  %first = pare.slice %x5 {starts = array<i64: 0, 0, 0, 0, 0>, ends = array<i64: 1, 1, 1, 1, 1>, steps = array<i64: 1, 1, 1, 1, 1>} : (tensor<1x2x2x1x1xf32>) -> tensor<1x1x1x1x1xf32>
  %upd = pare.reshape %first : (tensor<1x1x1x1x1xf32>) -> tensor<1x1x1x1x1xf32>
  %shifted = pare.scatter_nd %zeros, %idx, %upd {reduction = "none"} : (tensor<1x2x1x1x1xf32>, tensor<1x1x2xi64>, tensor<1x1x1x1x1xf32>) -> tensor<1x2x1x1x1xf32>
  %rest = pare.slice %x5 {starts = array<i64: 0, 0, 1, 0, 0>, ends = array<i64: 1, 2, 2, 1, 1>, steps = array<i64: 1, 1, 1, 1, 1>} : (tensor<1x2x2x1x1xf32>) -> tensor<1x2x1x1x1xf32>
  %y5 = pare.concat %shifted, %rest {axis = 2 : i64} : (tensor<1x2x1x1x1xf32>, tensor<1x2x1x1x1xf32>) -> tensor<1x2x2x1x1xf32>
  %y = pare.reshape %y5 : (tensor<1x2x2x1x1xf32>) -> tensor<2x2x1x1xf32>
  return %y : tensor<2x2x1x1xf32>
}

// -----

// Not a TSM shift (both moved channels take frame t+1): left as it is.
// CHECK-LABEL: func.func @not_a_shift
// CHECK-NOT: pare.temporal_shift
// CHECK: pare.concat
func.func @not_a_shift(%x: tensor<4x4x1x1xf32>) -> tensor<4x4x1x1xf32> {
  %z = pare.constant dense<0.0> : tensor<1x1x2x1x1xf32>
  %x5 = pare.reshape %x : (tensor<4x4x1x1xf32>) -> tensor<1x4x4x1x1xf32>
  %a = pare.slice %x5 {starts = array<i64: 0, 1, 0, 0, 0>, ends = array<i64: 1, 4, 2, 1, 1>, steps = array<i64: 1, 1, 1, 1, 1>} : (tensor<1x4x4x1x1xf32>) -> tensor<1x3x2x1x1xf32>
  %a2 = pare.concat %a, %z {axis = 1 : i64} : (tensor<1x3x2x1x1xf32>, tensor<1x1x2x1x1xf32>) -> tensor<1x4x2x1x1xf32>
  %c = pare.slice %x5 {starts = array<i64: 0, 0, 2, 0, 0>, ends = array<i64: 1, 4, 4, 1, 1>, steps = array<i64: 1, 1, 1, 1, 1>} : (tensor<1x4x4x1x1xf32>) -> tensor<1x4x2x1x1xf32>
  %y5 = pare.concat %a2, %c {axis = 2 : i64} : (tensor<1x4x2x1x1xf32>, tensor<1x4x2x1x1xf32>) -> tensor<1x4x4x1x1xf32>
  %y = pare.reshape %y5 : (tensor<1x4x4x1x1xf32>) -> tensor<4x4x1x1xf32>
  return %y : tensor<4x4x1x1xf32>
}

// -----

// Online TSM with an explicit shift buffer: the buffer argument and the
// result carrying x[:, :fold] out leave the function; the shift keeps them as
// its state (streaming).
// CHECK-LABEL: func.func @online
// CHECK-SAME: (%arg0: tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32>
// CHECK-NEXT: %[[S:.*]] = pare.temporal_shift %arg0 {fold = 1 : i64, frames = 1 : i64, mode = "unidirectional", streaming}
// CHECK-NEXT: %[[R:.*]] = pare.relu %[[S]]
// CHECK-NEXT: return %[[R]] : tensor<1x4x2x2xf32>
func.func @online(%x: tensor<1x4x2x2xf32>, %buffer: tensor<1x1x2x2xf32>) -> (tensor<1x4x2x2xf32>, tensor<1x1x2x2xf32>) {
  %rest = pare.slice %x {starts = array<i64: 0, 1, 0, 0>, ends = array<i64: 1, 4, 2, 2>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x4x2x2xf32>) -> tensor<1x3x2x2xf32>
  %cat = pare.concat %buffer, %rest {axis = 1 : i64} : (tensor<1x1x2x2xf32>, tensor<1x3x2x2xf32>) -> tensor<1x4x2x2xf32>
  %y = pare.relu %cat : (tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32>
  %out = pare.slice %x {starts = array<i64: 0, 0, 0, 0>, ends = array<i64: 1, 1, 2, 2>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x4x2x2xf32>) -> tensor<1x1x2x2xf32>
  return %y, %out : tensor<1x4x2x2xf32>, tensor<1x1x2x2xf32>
}
