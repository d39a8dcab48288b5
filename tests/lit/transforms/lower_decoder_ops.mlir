// pare-lower-decoder-ops rewrites the decoder ops of a whole static sequence
// as generic ops (CUDA's plain graph path); a decoder step function keeps
// them (the pass returns on a pare.decoder module); run-time rows outside
// one are an error.
// RUN: pare-opt %s -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(func.func(pare-lower-decoder-ops,canonicalize))' | FileCheck %s

// CHECK-LABEL: func.func @sequence
// CHECK-NOT: pare.rms_norm
// CHECK-NOT: pare.rotary
// CHECK-NOT: pare.attention
// The causal mask (float32's lowest above the diagonal), kv head 0 for both
// query heads and rotate_half's partner dims.
// CHECK-DAG: %[[MASK:.*]] = pare.constant dense<{{\[\[\[}}0.000000e+00, -3.40282347E+38, -3.40282347E+38], [0.000000e+00, 0.000000e+00, -3.40282347E+38], [0.000000e+00, 0.000000e+00, 0.000000e+00]]]> : tensor<1x3x3xf32>
// CHECK-DAG: %[[KVH:.*]] = pare.constant dense<0> : tensor<2xi64>
// CHECK-DAG: %[[PART:.*]] = pare.constant dense<[2, 3, 0, 1]> : tensor<4xi64>
// rms_norm: x * x, mean, + eps, sqrt, x / root, * w.
// CHECK: pare.mul %arg0, %arg0
// CHECK: pare.reduce_mean
// CHECK: pare.sqrt
// CHECK: pare.div %arg0
// CHECK: pare.gather %{{.*}}, %[[PART]] {axis = 2 : i64} : (tensor<3x2x4xf32>, tensor<4xi64>) -> tensor<3x2x4xf32>
// CHECK: pare.gather %{{.*}}, %[[KVH]] {axis = 0 : i64} : (tensor<1x3x4xf32>, tensor<2xi64>) -> tensor<2x3x4xf32>
// CHECK: pare.matmul
// CHECK: pare.add %{{.*}}, %[[MASK]]
// CHECK: pare.softmax %{{.*}} {axis = 2 : i64}
func.func @sequence(%x: tensor<3x8xf32>, %k: tensor<3x4xf32>) -> tensor<3x8xf32> {
  %w = pare.constant dense<1.0> : tensor<8xf32>
  %pos = pare.constant dense<[0, 1, 2]> : tensor<3xi64>
  %0 = pare.rms_norm %x, %w {epsilon = 1.0e-5 : f32} : (tensor<3x8xf32>, tensor<8xf32>) -> tensor<3x8xf32>
  %1 = pare.rotary %0, %pos {head_dim = 4 : i64, inv_freq = array<f32: 1.0, 0.01>, interleaved = false} : (tensor<3x8xf32>, tensor<3xi64>) -> tensor<3x8xf32>
  %2 = pare.attention %1, %k, %k {heads = 2 : i64, kv_heads = 1 : i64, head_dim = 4 : i64, scale = 0.5 : f32, causal} : (tensor<3x8xf32>, tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x8xf32>
  return %2 : tensor<3x8xf32>
}

// -----

// Run-time rows outside a decoder step function.
func.func @dynamic_rows(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %w = pare.constant dense<1.0> : tensor<8xf32>
  // expected-error @+1 {{a decoder step op (run-time rows or a KV cache) has no generic form}}
  %0 = pare.rms_norm %x, %w {epsilon = 1.0e-5 : f32} : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
