// pare-recognize-decoder-patterns raises rotary embeddings (rotate_half and
// GPT-J's interleaved pairs, heads first or rows first) by what the region
// from the projection computes; every table entry is checked.
// RUN: pare-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(pare-recognize-decoder-patterns,canonicalize))' | FileCheck %s

// HF Llama's legacy export: the head split to [1, H, S, D], x * cos +
// rotate_half(x) * sin with cos / sin tables of positions 0..3,
// inv_freq = (1, 0.01). The result keeps its [1, H, S, D] type through
// reshapes and a transpose of the [S, H*D] rotary.
// CHECK-LABEL: func.func @rotate_half
// CHECK-DAG: %[[P:.*]] = pare.constant dense<[0, 1, 2, 3]> : tensor<4xi64>
// CHECK-DAG: %[[X:.*]] = pare.reshape %arg0 : (tensor<1x4x8xf32>) -> tensor<4x8xf32>
// CHECK: %[[R:.*]] = pare.rotary %[[X]], %[[P]] {head_dim = 4 : i64, interleaved = false, inv_freq = array<f32: 1.000000e+00, 0.00999999977>} : (tensor<4x8xf32>, tensor<4xi64>) -> tensor<4x8xf32>
// CHECK: %[[S:.*]] = pare.reshape %[[R]] : (tensor<4x8xf32>) -> tensor<4x2x4xf32>
// CHECK: %[[T:.*]] = pare.transpose %[[S]] {perm = array<i64: 1, 0, 2>}
// CHECK: %[[Y:.*]] = pare.reshape %[[T]] : (tensor<2x4x4xf32>) -> tensor<1x2x4x4xf32>
// CHECK: return %[[Y]]
// CHECK-NOT: pare.neg
func.func @rotate_half(%x: tensor<1x4x8xf32>) -> tensor<1x2x4x4xf32> {
  %cos = pare.constant dense<[[[[1.0, 1.0, 1.0, 1.0], [0.540302277, 0.999949992, 0.540302277, 0.999949992], [-0.416146815, 0.999800026, -0.416146815, 0.999800026], [-0.989992499, 0.999550045, -0.989992499, 0.999550045]]]]> : tensor<1x1x4x4xf32>
  %sin = pare.constant dense<[[[[0.0, 0.0, 0.0, 0.0], [0.841471016, 0.00999983307, 0.841471016, 0.00999983307], [0.909297407, 0.0199986659, 0.909297407, 0.0199986659], [0.141120002, 0.0299954992, 0.141120002, 0.0299954992]]]]> : tensor<1x1x4x4xf32>
  %0 = pare.reshape %x : (tensor<1x4x8xf32>) -> tensor<1x4x2x4xf32>
  %1 = pare.transpose %0 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x2x4xf32>) -> tensor<1x2x4x4xf32>
  %2 = pare.mul %1, %cos : (tensor<1x2x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32>
  %3 = pare.slice %1 {starts = array<i64: 0, 0, 0, 0>, ends = array<i64: 1, 2, 4, 2>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x2xf32>
  %4 = pare.slice %1 {starts = array<i64: 0, 0, 0, 2>, ends = array<i64: 1, 2, 4, 4>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x2xf32>
  %5 = pare.neg %4 : (tensor<1x2x4x2xf32>) -> tensor<1x2x4x2xf32>
  %6 = pare.concat %5, %3 {axis = 3 : i64} : (tensor<1x2x4x2xf32>, tensor<1x2x4x2xf32>) -> tensor<1x2x4x4xf32>
  %7 = pare.mul %6, %sin : (tensor<1x2x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32>
  %8 = pare.add %2, %7 : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %8 : tensor<1x2x4x4xf32>
}

// -----

// GPT-J's rotate_every_two on [1, S, H, D] (before the head transpose):
// strided slices, stack of (-x2, x1) by unsqueeze + concat, flatten; tables
// repeated per pair.
// CHECK-LABEL: func.func @interleaved
// CHECK: pare.rotary %{{.*}}, %{{.*}} {head_dim = 4 : i64, interleaved = true, inv_freq = array<f32: 1.000000e+00, 0.00999999977>} : (tensor<4x8xf32>, tensor<4xi64>) -> tensor<4x8xf32>
// CHECK-NOT: pare.concat
func.func @interleaved(%x: tensor<1x4x8xf32>) -> tensor<1x4x2x4xf32> {
  %cos = pare.constant dense<[[[[1.0, 1.0, 1.0, 1.0]], [[0.540302277, 0.540302277, 0.999949992, 0.999949992]], [[-0.416146815, -0.416146815, 0.999800026, 0.999800026]], [[-0.989992499, -0.989992499, 0.999550045, 0.999550045]]]]> : tensor<1x4x1x4xf32>
  %sin = pare.constant dense<[[[[0.0, 0.0, 0.0, 0.0]], [[0.841471016, 0.841471016, 0.00999983307, 0.00999983307]], [[0.909297407, 0.909297407, 0.0199986659, 0.0199986659]], [[0.141120002, 0.141120002, 0.0299954992, 0.0299954992]]]]> : tensor<1x4x1x4xf32>
  %0 = pare.reshape %x : (tensor<1x4x8xf32>) -> tensor<1x4x2x4xf32>
  %1 = pare.slice %0 {starts = array<i64: 0, 0, 0, 0>, ends = array<i64: 1, 4, 2, 4>, steps = array<i64: 1, 1, 1, 2>} : (tensor<1x4x2x4xf32>) -> tensor<1x4x2x2xf32>
  %2 = pare.slice %0 {starts = array<i64: 0, 0, 0, 1>, ends = array<i64: 1, 4, 2, 4>, steps = array<i64: 1, 1, 1, 2>} : (tensor<1x4x2x4xf32>) -> tensor<1x4x2x2xf32>
  %3 = pare.neg %2 : (tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32>
  %4 = pare.unsqueeze %3 {axes = array<i64: 4>} : (tensor<1x4x2x2xf32>) -> tensor<1x4x2x2x1xf32>
  %5 = pare.unsqueeze %1 {axes = array<i64: 4>} : (tensor<1x4x2x2xf32>) -> tensor<1x4x2x2x1xf32>
  %6 = pare.concat %4, %5 {axis = 4 : i64} : (tensor<1x4x2x2x1xf32>, tensor<1x4x2x2x1xf32>) -> tensor<1x4x2x2x2xf32>
  %7 = pare.reshape %6 : (tensor<1x4x2x2x2xf32>) -> tensor<1x4x2x4xf32>
  %8 = pare.mul %0, %cos : (tensor<1x4x2x4xf32>, tensor<1x4x1x4xf32>) -> tensor<1x4x2x4xf32>
  %9 = pare.mul %7, %sin : (tensor<1x4x2x4xf32>, tensor<1x4x1x4xf32>) -> tensor<1x4x2x4xf32>
  %10 = pare.add %8, %9 : (tensor<1x4x2x4xf32>, tensor<1x4x2x4xf32>) -> tensor<1x4x2x4xf32>
  return %10 : tensor<1x4x2x4xf32>
}

// -----

// One sin entry (position 2, not one the angles are read at) is off by
// 0.01: not a rotary embedding of any inv_freq, the generic ops stay.
// CHECK-LABEL: func.func @wrong_table_entry
// CHECK-NOT: pare.rotary
// CHECK: pare.neg
func.func @wrong_table_entry(%x: tensor<1x4x8xf32>) -> tensor<1x2x4x4xf32> {
  %cos = pare.constant dense<[[[[1.0, 1.0, 1.0, 1.0], [0.540302277, 0.999949992, 0.540302277, 0.999949992], [-0.416146815, 0.999800026, -0.416146815, 0.999800026], [-0.989992499, 0.999550045, -0.989992499, 0.999550045]]]]> : tensor<1x1x4x4xf32>
  %sin = pare.constant dense<[[[[0.0, 0.0, 0.0, 0.0], [0.841471016, 0.00999983307, 0.841471016, 0.00999983307], [0.909297407, 0.0299986659, 0.909297407, 0.0199986659], [0.141120002, 0.0299954992, 0.141120002, 0.0299954992]]]]> : tensor<1x1x4x4xf32>
  %0 = pare.reshape %x : (tensor<1x4x8xf32>) -> tensor<1x4x2x4xf32>
  %1 = pare.transpose %0 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x2x4xf32>) -> tensor<1x2x4x4xf32>
  %2 = pare.mul %1, %cos : (tensor<1x2x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32>
  %3 = pare.slice %1 {starts = array<i64: 0, 0, 0, 0>, ends = array<i64: 1, 2, 4, 2>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x2xf32>
  %4 = pare.slice %1 {starts = array<i64: 0, 0, 0, 2>, ends = array<i64: 1, 2, 4, 4>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x2xf32>
  %5 = pare.neg %4 : (tensor<1x2x4x2xf32>) -> tensor<1x2x4x2xf32>
  %6 = pare.concat %5, %3 {axis = 3 : i64} : (tensor<1x2x4x2xf32>, tensor<1x2x4x2xf32>) -> tensor<1x2x4x4xf32>
  %7 = pare.mul %6, %sin : (tensor<1x2x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32>
  %8 = pare.add %2, %7 : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %8 : tensor<1x2x4x4xf32>
}
