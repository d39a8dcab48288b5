// The graph phase as `pare compile --compile-to graph` runs it
// (--pare-graph-pipeline): canonicalize, fold batch norms, NHWC, fuse
// activations, CSE; then the plan phase (--pare-plan-pipeline).
// BN parameters as in fold_batch_norm.mlir: s = [2, 1], t = [0, -1].
// RUN: pare-opt %s --pare-graph-pipeline | FileCheck %s
// RUN: pare-opt %s --pare-graph-pipeline --pare-plan-pipeline | FileCheck %s --check-prefix=PLAN

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x4x4xf32>)
// Folded and transposed to OHWI: [[1, 0.5], [2, -1]] * s -> [[2, 1], [2, -1]].
// CHECK-DAG: %[[W:.*]] = pare.constant dense<{{\[}}[{{\[}}[2.000000e+00, 1.000000e+00]]], [{{\[}}[2.000000e+00, -1.000000e+00]]]]> : tensor<2x1x1x2xf32>
// CHECK-DAG: %[[B:.*]] = pare.constant dense<[0.000000e+00, -1.000000e+00]> : tensor<2xf32>
// CHECK: %[[T:.*]] = pare.transpose %[[X]] {perm = array<i64: 0, 2, 3, 1>}
// CHECK: %[[C:.*]] = pare.conv %[[T]], %[[W]], %[[B]] {activation = "relu", channels_last, {{.*}}}
// CHECK-NOT: pare.batch_norm
// CHECK-NOT: pare.identity
// CHECK: %[[O2:.*]] = pare.transpose %[[C]] {perm = array<i64: 0, 3, 1, 2>}
// The two identical sigmoids are one after CSE.
// CHECK: %[[S:.*]] = pare.sigmoid %[[C]] : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
// CHECK-NOT: pare.sigmoid
// CHECK: %[[A:.*]] = pare.add %[[S]], %[[S]]
// CHECK: %[[O1:.*]] = pare.transpose %[[A]] {perm = array<i64: 0, 3, 1, 2>}
// CHECK: return %[[O1]], %[[O2]]

// 128-byte tensors, steps counted over the body (2 constants first):
// transpose [2, 3] -> 0, conv [3, 5] -> 128, sigmoid [5, 6] -> 128 and
// add [6, 7] -> 128 in place (each operand dies there); the output
// transposes take no arena space.
// PLAN-LABEL: func.func @main
// PLAN-SAME: attributes {pare.arena_bytes = 256 : i64, pare.live_bytes_bound = 256 : i64}
// PLAN: pare.transpose {{.*}}pare.offsets = array<i64: 0>
// PLAN: pare.conv {{.*}}pare.offsets = array<i64: 128>
// PLAN: pare.transpose {{.*}}pare.offsets = array<i64: -1>
// PLAN: pare.sigmoid {{.*}}pare.in_place = 0 : i64, {{.*}}pare.offsets = array<i64: 128>
// PLAN: pare.add {{.*}}pare.in_place = 0 : i64, {{.*}}pare.offsets = array<i64: 128>
// PLAN: pare.transpose {{.*}}pare.offsets = array<i64: -1>

func.func @main(%x: tensor<1x2x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = pare.constant dense<[[[[1.0]], [[0.5]]], [[[2.0]], [[-1.0]]]]> : tensor<2x2x1x1xf32>
  %scale = pare.constant dense<[4.0, 3.0]> : tensor<2xf32>
  %beta = pare.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %mean = pare.constant dense<[0.5, 1.0]> : tensor<2xf32>
  %var = pare.constant dense<[3.0, 8.0]> : tensor<2xf32>
  %0 = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = pare.batch_norm %0, %scale, %beta, %mean, %var {epsilon = 1.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %2 = pare.relu %1 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %3 = pare.identity %2 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %4 = pare.sigmoid %3 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %5 = pare.sigmoid %3 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %6 = pare.add %4, %5 : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %6, %2 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}
