// The decoder ops parse, verify and print back, with a dynamic row count
// (the decoder step function) and with static full-sequence shapes.
// RUN: pare-opt %s | pare-opt | FileCheck %s

// CHECK-LABEL: func.func @step
// CHECK: pare.rms_norm %{{.*}}, %{{.*}} {epsilon = 9.99999974E-6 : f32} : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
// CHECK: pare.rotary %{{.*}}, %{{.*}} {head_dim = 4 : i64, interleaved = false, inv_freq = array<f32: 1.000000e+00, 0.00999999977>} : (tensor<?x8xf32>, tensor<?xi64>) -> tensor<?x8xf32>
// CHECK: pare.attention %{{.*}}, %{{.*}}, %{{.*}} {causal, head_dim = 4 : i64, heads = 2 : i64, kv_heads = 1 : i64, scale = 5.000000e-01 : f32} : (tensor<?x8xf32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
func.func @step(%x: tensor<?x8xf32>, %k: tensor<?x4xf32>, %pos: tensor<?xi64>) -> tensor<?x8xf32> {
  %w = pare.constant dense<1.0> : tensor<8xf32>
  %0 = pare.rms_norm %x, %w {epsilon = 1.0e-5 : f32} : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %1 = pare.rotary %0, %pos {head_dim = 4 : i64, inv_freq = array<f32: 1.0, 0.01>, interleaved = false} : (tensor<?x8xf32>, tensor<?xi64>) -> tensor<?x8xf32>
  %2 = pare.attention %1, %k, %k {heads = 2 : i64, kv_heads = 1 : i64, head_dim = 4 : i64, scale = 0.5 : f32, causal} : (tensor<?x8xf32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
  return %2 : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @full
// CHECK: pare.rms_norm {{.*}} : (tensor<1x16x8xf32>, tensor<8xf32>) -> tensor<1x16x8xf32>
// CHECK: pare.rotary {{.*}}interleaved = true{{.*}} : (tensor<16x8xf32>, tensor<16xi64>) -> tensor<16x8xf32>
// CHECK: pare.attention {{.*}} : (tensor<16x8xf32>, tensor<16x8xf32>, tensor<16x8xf32>) -> tensor<16x8xf32>
func.func @full(%x: tensor<1x16x8xf32>, %y: tensor<16x8xf32>, %pos: tensor<16xi64>) -> (tensor<1x16x8xf32>, tensor<16x8xf32>) {
  %w = pare.constant dense<1.0> : tensor<8xf32>
  %0 = pare.rms_norm %x, %w {epsilon = 1.0e-5 : f32} : (tensor<1x16x8xf32>, tensor<8xf32>) -> tensor<1x16x8xf32>
  %1 = pare.rotary %y, %pos {head_dim = 8 : i64, inv_freq = array<f32: 1.0>, interleaved = true} : (tensor<16x8xf32>, tensor<16xi64>) -> tensor<16x8xf32>
  %2 = pare.attention %1, %y, %y {heads = 2 : i64, kv_heads = 2 : i64, head_dim = 4 : i64, scale = 0.5 : f32} : (tensor<16x8xf32>, tensor<16x8xf32>, tensor<16x8xf32>) -> tensor<16x8xf32>
  return %0, %2 : tensor<1x16x8xf32>, tensor<16x8xf32>
}

// CHECK-LABEL: func.func @nbits
// CHECK: pare.matmul_nbits %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {bits = 4 : i64, group_size = 64 : i64} : (tensor<?x96xf32>, tensor<8x96xi8>, tensor<8x2xf32>, tensor<8x2xi8>) -> tensor<?x8xf32>
func.func @nbits(%x: tensor<?x96xf32>, %q: tensor<8x96xi8>, %s: tensor<8x2xf32>, %z: tensor<8x2xi8>) -> tensor<?x8xf32> {
  %0 = pare.matmul_nbits %x, %q, %s, %z {bits = 4 : i64, group_size = 64 : i64} : (tensor<?x96xf32>, tensor<8x96xi8>, tensor<8x2xf32>, tensor<8x2xi8>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @w8a8
// CHECK: pare.matmul_w8a8 %{{.*}}, %{{.*}}, %{{.*}} {act_quant = "per-token"} : (tensor<?x96xf32>, tensor<8x96xi8>, tensor<8xf32>) -> tensor<?x8xf32>
// CHECK: pare.matmul_w8a8 %{{.*}}, %{{.*}}, %{{.*}} {act_quant = "per-tensor", act_scale = 2.500000e-01 : f32} : (tensor<3x96xf32>, tensor<8x96xi8>, tensor<8xf32>) -> tensor<3x8xf32>
func.func @w8a8(%x: tensor<?x96xf32>, %y: tensor<3x96xf32>, %w: tensor<8x96xi8>, %s: tensor<8xf32>) -> (tensor<?x8xf32>, tensor<3x8xf32>) {
  %0 = pare.matmul_w8a8 %x, %w, %s {act_quant = "per-token"} : (tensor<?x96xf32>, tensor<8x96xi8>, tensor<8xf32>) -> tensor<?x8xf32>
  %1 = pare.matmul_w8a8 %y, %w, %s {act_quant = "per-tensor", act_scale = 0.25 : f32} : (tensor<3x96xf32>, tensor<8x96xi8>, tensor<8xf32>) -> tensor<3x8xf32>
  return %0, %1 : tensor<?x8xf32>, tensor<3x8xf32>
}
