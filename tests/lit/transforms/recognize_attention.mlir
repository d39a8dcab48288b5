// pare-recognize-decoder-patterns raises attention by what the region
// between q, k, v and the head merge computes: GQA's Expand / Reshape
// repeat, k's transpose, the scale, an additive causal mask with float32's
// lowest value, the softmax and the two matmuls.
// RUN: pare-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(pare-recognize-decoder-patterns,canonicalize))' | FileCheck %s

// HF Llama's legacy export, 2 query heads sharing 1 kv head of 2 dims,
// Div by sqrt(2), causal mask. q, k, v and the result become [S, H*D].
// CHECK-LABEL: func.func @causal_gqa
// CHECK-DAG: %[[Q:.*]] = pare.reshape %{{.*}} : (tensor<4x2x2xf32>) -> tensor<4x4xf32>
// CHECK-DAG: %[[K:.*]] = pare.reshape %arg1 : (tensor<1x1x4x2xf32>) -> tensor<4x2xf32>
// CHECK-DAG: %[[V:.*]] = pare.reshape %arg2 : (tensor<1x1x4x2xf32>) -> tensor<4x2xf32>
// CHECK: %[[A:.*]] = pare.attention %[[Q]], %[[K]], %[[V]] {causal, head_dim = 2 : i64, heads = 2 : i64, kv_heads = 1 : i64, scale = 0.707106769 : f32} : (tensor<4x4xf32>, tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<4x4xf32>
// CHECK: %[[Y:.*]] = pare.reshape %[[A]] : (tensor<4x4xf32>) -> tensor<1x4x4xf32>
// CHECK: return %[[Y]]
// CHECK-NOT: pare.softmax
func.func @causal_gqa(%q: tensor<1x2x4x2xf32>, %k: tensor<1x1x4x2xf32>, %v: tensor<1x1x4x2xf32>) -> tensor<1x4x4xf32> {
  %kr = pare.reshape %k : (tensor<1x1x4x2xf32>) -> tensor<1x1x1x4x2xf32>
  %ke = pare.expand %kr {shape = array<i64: 1, 1, 2, 4, 2>} : (tensor<1x1x1x4x2xf32>) -> tensor<1x1x2x4x2xf32>
  %k2 = pare.reshape %ke : (tensor<1x1x2x4x2xf32>) -> tensor<1x2x4x2xf32>
  %vr = pare.reshape %v : (tensor<1x1x4x2xf32>) -> tensor<1x1x1x4x2xf32>
  %ve = pare.expand %vr {shape = array<i64: 1, 1, 2, 4, 2>} : (tensor<1x1x1x4x2xf32>) -> tensor<1x1x2x4x2xf32>
  %v2 = pare.reshape %ve : (tensor<1x1x2x4x2xf32>) -> tensor<1x2x4x2xf32>
  %kt = pare.transpose %k2 {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x4x2xf32>) -> tensor<1x2x2x4xf32>
  %s = pare.matmul %q, %kt : (tensor<1x2x4x2xf32>, tensor<1x2x2x4xf32>) -> tensor<1x2x4x4xf32>
  %c = pare.constant dense<1.41421354> : tensor<f32>
  %ss = pare.div %s, %c : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %mask = pare.constant dense<[[[[0.0, -3.40282347E+38, -3.40282347E+38, -3.40282347E+38], [0.0, 0.0, -3.40282347E+38, -3.40282347E+38], [0.0, 0.0, 0.0, -3.40282347E+38], [0.0, 0.0, 0.0, 0.0]]]]> : tensor<1x1x4x4xf32>
  %m = pare.add %ss, %mask : (tensor<1x2x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32>
  %p = pare.softmax %m {axis = 3 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = pare.matmul %p, %v2 : (tensor<1x2x4x4xf32>, tensor<1x2x4x2xf32>) -> tensor<1x2x4x2xf32>
  %t = pare.transpose %o {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x4x2xf32>) -> tensor<1x4x2x2xf32>
  %y = pare.reshape %t : (tensor<1x4x2x2xf32>) -> tensor<1x4x4xf32>
  return %y : tensor<1x4x4xf32>
}

// -----

// No mask and a Mul by 0.5: attention over every key, scale 0.5.
// CHECK-LABEL: func.func @full_mul_scale
// CHECK: pare.attention %{{.*}}, %{{.*}}, %{{.*}} {head_dim = 2 : i64, heads = 2 : i64, kv_heads = 1 : i64, scale = 5.000000e-01 : f32}
// CHECK-NOT: pare.softmax
func.func @full_mul_scale(%q: tensor<1x2x4x2xf32>, %k: tensor<1x1x4x2xf32>, %v: tensor<1x1x4x2xf32>) -> tensor<1x4x4xf32> {
  %kr = pare.reshape %k : (tensor<1x1x4x2xf32>) -> tensor<1x1x1x4x2xf32>
  %ke = pare.expand %kr {shape = array<i64: 1, 1, 2, 4, 2>} : (tensor<1x1x1x4x2xf32>) -> tensor<1x1x2x4x2xf32>
  %k2 = pare.reshape %ke : (tensor<1x1x2x4x2xf32>) -> tensor<1x2x4x2xf32>
  %vr = pare.reshape %v : (tensor<1x1x4x2xf32>) -> tensor<1x1x1x4x2xf32>
  %ve = pare.expand %vr {shape = array<i64: 1, 1, 2, 4, 2>} : (tensor<1x1x1x4x2xf32>) -> tensor<1x1x2x4x2xf32>
  %v2 = pare.reshape %ve : (tensor<1x1x2x4x2xf32>) -> tensor<1x2x4x2xf32>
  %kt = pare.transpose %k2 {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x4x2xf32>) -> tensor<1x2x2x4xf32>
  %s = pare.matmul %q, %kt : (tensor<1x2x4x2xf32>, tensor<1x2x2x4xf32>) -> tensor<1x2x4x4xf32>
  %c = pare.constant dense<0.5> : tensor<1xf32>
  %ss = pare.mul %s, %c : (tensor<1x2x4x4xf32>, tensor<1xf32>) -> tensor<1x2x4x4xf32>
  %m = pare.identity %ss : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %p = pare.softmax %m {axis = 3 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = pare.matmul %p, %v2 : (tensor<1x2x4x4xf32>, tensor<1x2x4x2xf32>) -> tensor<1x2x4x2xf32>
  %t = pare.transpose %o {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x4x2xf32>) -> tensor<1x4x2x2xf32>
  %y = pare.reshape %t : (tensor<1x4x2x2xf32>) -> tensor<1x4x4xf32>
  return %y : tensor<1x4x4xf32>
}

// -----

// A sliding window of 2 keys is neither causal nor full attention: the
// generic ops stay.
// CHECK-LABEL: func.func @sliding_window
// CHECK-NOT: pare.attention
// CHECK: pare.softmax
func.func @sliding_window(%q: tensor<1x2x4x2xf32>, %k: tensor<1x1x4x2xf32>, %v: tensor<1x1x4x2xf32>) -> tensor<1x4x4xf32> {
  %kr = pare.reshape %k : (tensor<1x1x4x2xf32>) -> tensor<1x1x1x4x2xf32>
  %ke = pare.expand %kr {shape = array<i64: 1, 1, 2, 4, 2>} : (tensor<1x1x1x4x2xf32>) -> tensor<1x1x2x4x2xf32>
  %k2 = pare.reshape %ke : (tensor<1x1x2x4x2xf32>) -> tensor<1x2x4x2xf32>
  %vr = pare.reshape %v : (tensor<1x1x4x2xf32>) -> tensor<1x1x1x4x2xf32>
  %ve = pare.expand %vr {shape = array<i64: 1, 1, 2, 4, 2>} : (tensor<1x1x1x4x2xf32>) -> tensor<1x1x2x4x2xf32>
  %v2 = pare.reshape %ve : (tensor<1x1x2x4x2xf32>) -> tensor<1x2x4x2xf32>
  %kt = pare.transpose %k2 {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x4x2xf32>) -> tensor<1x2x2x4xf32>
  %s = pare.matmul %q, %kt : (tensor<1x2x4x2xf32>, tensor<1x2x2x4xf32>) -> tensor<1x2x4x4xf32>
  %c = pare.constant dense<1.41421354> : tensor<f32>
  %ss = pare.div %s, %c : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %mask = pare.constant dense<[[[[0.0, -3.40282347E+38, -3.40282347E+38, -3.40282347E+38], [0.0, 0.0, -3.40282347E+38, -3.40282347E+38], [-3.40282347E+38, 0.0, 0.0, -3.40282347E+38], [-3.40282347E+38, -3.40282347E+38, 0.0, 0.0]]]]> : tensor<1x1x4x4xf32>
  %m = pare.add %ss, %mask : (tensor<1x2x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32>
  %p = pare.softmax %m {axis = 3 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = pare.matmul %p, %v2 : (tensor<1x2x4x4xf32>, tensor<1x2x4x2xf32>) -> tensor<1x2x4x2xf32>
  %t = pare.transpose %o {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x4x2xf32>) -> tensor<1x4x2x2xf32>
  %y = pare.reshape %t : (tensor<1x4x2x2xf32>) -> tensor<1x4x4xf32>
  return %y : tensor<1x4x4xf32>
}
