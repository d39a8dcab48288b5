// FoldBatchNorm: batch_norm(conv) and batch_norm(gemm) with constant weights
// and parameters become one conv / gemm with rescaled weights and a new bias.
// The parameters are picked so that s = scale / sqrt(var + eps) is exact:
//   scale [4, 3], beta [1, 0], mean [0.5, 1], var [3, 8], eps 1
//   -> s = [2, 1], t = beta - mean * s = [0, -1].
// RUN: pare-opt %s --pare-fold-batch-norm --split-input-file | FileCheck %s

// W' = W * s = [1*2, 2*1]; b' = b * s + t = [0.5*2 + 0, -1*1 - 1].
// CHECK-LABEL: func.func @conv_with_bias
// CHECK-DAG: %[[W:.*]] = pare.constant dense<2.000000e+00> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.*]] = pare.constant dense<[1.000000e+00, -2.000000e+00]> : tensor<2xf32>
// CHECK: %[[C:.*]] = pare.conv %{{.*}}, %[[W]], %[[B]] {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
// CHECK-NOT: pare.batch_norm
// CHECK: return %[[C]]
func.func @conv_with_bias(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = pare.constant dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %b = pare.constant dense<[0.5, -1.0]> : tensor<2xf32>
  %scale = pare.constant dense<[4.0, 3.0]> : tensor<2xf32>
  %beta = pare.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %mean = pare.constant dense<[0.5, 1.0]> : tensor<2xf32>
  %var = pare.constant dense<[3.0, 8.0]> : tensor<2xf32>
  %0 = pare.conv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %1 = pare.batch_norm %0, %scale, %beta, %mean, %var {epsilon = 1.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}

// -----

// No conv bias: b' = t. A grouped (depthwise) conv scales each output
// channel's own weights. Channels-last conv and batch norm fold the same way.
// CHECK-LABEL: func.func @depthwise_channels_last_no_bias
// CHECK-DAG: %[[W:.*]] = pare.constant dense<{{\[}}[{{\[}}[2.000000e+00], [4.000000e+00]]], [{{\[}}[3.000000e+00], [4.000000e+00]]]]> : tensor<2x1x2x1xf32>
// CHECK-DAG: %[[B:.*]] = pare.constant dense<[0.000000e+00, -1.000000e+00]> : tensor<2xf32>
// CHECK: pare.conv %{{.*}}, %[[W]], %[[B]] {channels_last, dilations = array<i64: 1, 1>, group = 2 : i64
// CHECK-NOT: pare.batch_norm
func.func @depthwise_channels_last_no_bias(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x3x2xf32> {
  %w = pare.constant dense<[[[[1.0], [2.0]]], [[[3.0], [4.0]]]]> : tensor<2x1x2x1xf32>
  %scale = pare.constant dense<[4.0, 3.0]> : tensor<2xf32>
  %beta = pare.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %mean = pare.constant dense<[0.5, 1.0]> : tensor<2xf32>
  %var = pare.constant dense<[3.0, 8.0]> : tensor<2xf32>
  %0 = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 2 : i64, channels_last} : (tensor<1x4x4x2xf32>, tensor<2x1x2x1xf32>) -> tensor<1x4x3x2xf32>
  %1 = pare.batch_norm %0, %scale, %beta, %mean, %var {epsilon = 1.0 : f32, channels_last} : (tensor<1x4x3x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x4x3x2xf32>
  return %1 : tensor<1x4x3x2xf32>
}

// -----

// Gemm with trans_b: row j of B is output column j; alpha and beta fold in.
// B'[j, :] = B[j, :] * s[j] * alpha; bias'[j] = beta * C[j] * s[j] + t[j].
// CHECK-LABEL: func.func @gemm_trans_b
// CHECK-DAG: %[[W:.*]] = pare.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [1.500000e+00, 2.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: %[[B:.*]] = pare.constant dense<[4.000000e+00, -3.000000e+00]> : tensor<2xf32>
// CHECK: pare.gemm %{{.*}}, %[[W]], %[[B]] {alpha = 1.000000e+00 : f32, beta = 1.000000e+00 : f32, trans_a = false, trans_b = true}
// CHECK-NOT: pare.batch_norm
func.func @gemm_trans_b(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = pare.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %c = pare.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %scale = pare.constant dense<[4.0, 3.0]> : tensor<2xf32>
  %beta = pare.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %mean = pare.constant dense<[0.5, 1.0]> : tensor<2xf32>
  %var = pare.constant dense<[3.0, 8.0]> : tensor<2xf32>
  %0 = pare.gemm %x, %w, %c {alpha = 0.5 : f32, beta = 2.0 : f32, trans_a = false, trans_b = true} : (tensor<3x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  %1 = pare.batch_norm %0, %scale, %beta, %mean, %var {epsilon = 1.0 : f32} : (tensor<3x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  return %1 : tensor<3x2xf32>
}

// -----

// Without trans_b, B is K x N and column j scales; no C: bias' = t.
// CHECK-LABEL: func.func @gemm_no_trans_no_c
// CHECK-DAG: %[[W:.*]] = pare.constant dense<{{\[}}[2.000000e+00, 2.000000e+00], [6.000000e+00, 4.000000e+00], [1.000000e+01, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK-DAG: %[[B:.*]] = pare.constant dense<[0.000000e+00, -1.000000e+00]> : tensor<2xf32>
// CHECK: pare.gemm %{{.*}}, %[[W]], %[[B]] {alpha = 1.000000e+00 : f32, beta = 1.000000e+00 : f32, trans_a = false, trans_b = false}
// CHECK-NOT: pare.batch_norm
func.func @gemm_no_trans_no_c(%x: tensor<4x3xf32>) -> tensor<4x2xf32> {
  %w = pare.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %scale = pare.constant dense<[4.0, 3.0]> : tensor<2xf32>
  %beta = pare.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %mean = pare.constant dense<[0.5, 1.0]> : tensor<2xf32>
  %var = pare.constant dense<[3.0, 8.0]> : tensor<2xf32>
  %0 = pare.gemm %x, %w {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false} : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
  %1 = pare.batch_norm %0, %scale, %beta, %mean, %var {epsilon = 1.0 : f32} : (tensor<4x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  return %1 : tensor<4x2xf32>
}

// -----

// Cases that must not fold: the conv has another user, the conv already
// carries an activation, the batch norm follows a non-conv op, the weights
// are not constant, or the layouts differ.
// CHECK-LABEL: func.func @no_fold
// CHECK-COUNT-5: pare.batch_norm
// CHECK-NOT: pare.batch_norm
func.func @no_fold(%x: tensor<1x1x4x4xf32>, %wx: tensor<2x1x1x1xf32>, %y: tensor<1x4x4x1xf32>)
    -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x4x4x2xf32>) {
  %w = pare.constant dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %wl = pare.constant dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %p = pare.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %0 = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = pare.batch_norm %0, %p, %p, %p, %p {epsilon = 1.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %2 = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, activation = "relu"} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %3 = pare.batch_norm %2, %p, %p, %p, %p {epsilon = 1.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %4 = pare.relu %0 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %5 = pare.batch_norm %4, %p, %p, %p, %p {epsilon = 1.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %6 = pare.conv %x, %wx {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %7 = pare.batch_norm %6, %p, %p, %p, %p {epsilon = 1.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %8 = pare.conv %y, %wl {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last} : (tensor<1x4x4x1xf32>, tensor<2x1x1x1xf32>) -> tensor<1x4x4x2xf32>
  %9 = pare.transpose %8 {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x4x4xf32>
  %10 = pare.batch_norm %9, %p, %p, %p, %p {epsilon = 1.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %1, %3, %5, %7, %10, %8 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x4x4x2xf32>
}
