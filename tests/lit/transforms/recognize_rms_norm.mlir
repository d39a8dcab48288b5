// pare-recognize-decoder-patterns raises RMS norms by what they compute,
// whatever ops the export used, and leaves look-alikes alone.
// RUN: pare-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(pare-recognize-decoder-patterns,canonicalize))' | FileCheck %s

// The legacy torch export of HF's LlamaRMSNorm: Pow, ReduceMean, Add, Sqrt,
// Div(1, .), Mul, Mul by the weight. Epsilon and weight are the model's.
// CHECK-LABEL: func.func @pow_mean_sqrt_div
// CHECK: %[[W:.*]] = pare.constant dense<[5.000000e-01, 1.000000e+00, 1.500000e+00, 2.000000e+00]> : tensor<4xf32>
// CHECK: %[[N:.*]] = pare.rms_norm %arg0, %[[W]] {epsilon = 9.99999974E-6 : f32} : (tensor<1x3x4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
// CHECK-NEXT: return %[[N]]
func.func @pow_mean_sqrt_div(%x: tensor<1x3x4xf32>) -> tensor<1x3x4xf32> {
  %w = pare.constant dense<[0.5, 1.0, 1.5, 2.0]> : tensor<4xf32>
  %two = pare.constant dense<2.0> : tensor<f32>
  %eps = pare.constant dense<1.0e-5> : tensor<f32>
  %one = pare.constant dense<1.0> : tensor<f32>
  %0 = pare.pow %x, %two : (tensor<1x3x4xf32>, tensor<f32>) -> tensor<1x3x4xf32>
  %1 = pare.reduce_mean %0 {axes = array<i64: 2>, keepdims = true} : (tensor<1x3x4xf32>) -> tensor<1x3x1xf32>
  %2 = pare.add %1, %eps : (tensor<1x3x1xf32>, tensor<f32>) -> tensor<1x3x1xf32>
  %3 = pare.sqrt %2 : (tensor<1x3x1xf32>) -> tensor<1x3x1xf32>
  %4 = pare.div %one, %3 : (tensor<f32>, tensor<1x3x1xf32>) -> tensor<1x3x1xf32>
  %5 = pare.mul %x, %4 : (tensor<1x3x4xf32>, tensor<1x3x1xf32>) -> tensor<1x3x4xf32>
  %6 = pare.mul %w, %5 : (tensor<4xf32>, tensor<1x3x4xf32>) -> tensor<1x3x4xf32>
  return %6 : tensor<1x3x4xf32>
}

// -----

// x * x, the reciprocal of the root (rsqrt), the weight applied first; a
// 2-D input and epsilon 1e-6.
// CHECK-LABEL: func.func @mul_rsqrt
// CHECK: pare.rms_norm %arg0, %{{.*}} {epsilon = 9.99999997E-7 : f32} : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
// CHECK-NOT: pare.reduce_mean
func.func @mul_rsqrt(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %w = pare.constant dense<[1.0, -1.0, 2.0, 0.25]> : tensor<4xf32>
  %eps = pare.constant dense<1.0e-6> : tensor<1xf32>
  %0 = pare.mul %x, %x : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %1 = pare.reduce_mean %0 {axes = array<i64: 1>, keepdims = true} : (tensor<3x4xf32>) -> tensor<3x1xf32>
  %2 = pare.add %1, %eps : (tensor<3x1xf32>, tensor<1xf32>) -> tensor<3x1xf32>
  %3 = pare.sqrt %2 : (tensor<3x1xf32>) -> tensor<3x1xf32>
  %4 = pare.reciprocal %3 : (tensor<3x1xf32>) -> tensor<3x1xf32>
  %5 = pare.mul %x, %w : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  %6 = pare.mul %5, %4 : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  return %6 : tensor<3x4xf32>
}

// -----

// x / sqrt(sum(x^2) / F + eps) with no weight: the weight is ones.
// CHECK-LABEL: func.func @sum_div_no_weight
// CHECK: %[[W:.*]] = pare.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK: pare.rms_norm %arg0, %[[W]] {epsilon = 9.99999974E-6 : f32}
func.func @sum_div_no_weight(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %f = pare.constant dense<4.0> : tensor<f32>
  %eps = pare.constant dense<1.0e-5> : tensor<f32>
  %0 = pare.reduce_sum_square %x {axes = array<i64: 1>, keepdims = true} : (tensor<2x4xf32>) -> tensor<2x1xf32>
  %1 = pare.div %0, %f : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %2 = pare.add %1, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %3 = pare.sqrt %2 : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %4 = pare.div %x, %3 : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  return %4 : tensor<2x4xf32>
}

// -----

// A layer norm without affine is the RMS norm of x - mean(x): raised on
// the centred value, the centring stays.
// CHECK-LABEL: func.func @centred
// CHECK: %[[M:.*]] = pare.reduce_mean %arg0
// CHECK: %[[C:.*]] = pare.sub %arg0, %[[M]]
// CHECK: pare.rms_norm %[[C]], %{{.*}} {epsilon = 9.99999974E-6 : f32}
func.func @centred(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %eps = pare.constant dense<1.0e-5> : tensor<f32>
  %m = pare.reduce_mean %x {axes = array<i64: 1>, keepdims = true} : (tensor<2x4xf32>) -> tensor<2x1xf32>
  %c = pare.sub %x, %m : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  %0 = pare.mul %c, %c : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %1 = pare.reduce_mean %0 {axes = array<i64: 1>, keepdims = true} : (tensor<2x4xf32>) -> tensor<2x1xf32>
  %2 = pare.add %1, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %3 = pare.sqrt %2 : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %4 = pare.div %c, %3 : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  return %4 : tensor<2x4xf32>
}

// -----

// Epsilon added after the root, x / (sqrt(mean(x^2)) + eps), is no RMS
// norm (the rows of small scale show it): the generic ops stay.
// CHECK-LABEL: func.func @eps_outside_root
// CHECK-NOT: pare.rms_norm
// CHECK: pare.reduce_mean
// CHECK: pare.sqrt
func.func @eps_outside_root(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %eps = pare.constant dense<1.0e-2> : tensor<f32>
  %0 = pare.mul %x, %x : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %1 = pare.reduce_mean %0 {axes = array<i64: 1>, keepdims = true} : (tensor<2x4xf32>) -> tensor<2x1xf32>
  %2 = pare.sqrt %1 : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %3 = pare.add %2, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %4 = pare.div %x, %3 : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  return %4 : tensor<2x4xf32>
}

// -----

// The root of the mean over the first dim (columns) is no RMS norm over rows.
// CHECK-LABEL: func.func @other_axis
// CHECK-NOT: pare.rms_norm
func.func @other_axis(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %eps = pare.constant dense<1.0e-5> : tensor<f32>
  %0 = pare.mul %x, %x : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %1 = pare.reduce_mean %0 {axes = array<i64: 0>, keepdims = true} : (tensor<4x4xf32>) -> tensor<1x4xf32>
  %2 = pare.add %1, %eps : (tensor<1x4xf32>, tensor<f32>) -> tensor<1x4xf32>
  %3 = pare.sqrt %2 : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %4 = pare.div %x, %3 : (tensor<4x4xf32>, tensor<1x4xf32>) -> tensor<4x4xf32>
  return %4 : tensor<4x4xf32>
}
