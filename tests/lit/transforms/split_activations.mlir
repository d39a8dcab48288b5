// pare-split-activations, before calibration for int8: a fused activation
// other than relu or clip (which an int8 kernel applies as its output clamp)
// becomes a separate op again, with its parameters, so that calibration sees
// the tensor between them and the activation can become a lookup table.
// RUN: pare-opt %s --split-input-file --pare-split-activations -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @split
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x4x4xf32>, %[[Y:.*]]: tensor<1x4x4x4xf32>)
// CHECK: %[[W:.*]] = pare.constant
// CHECK: %[[C1:.*]] = pare.conv %[[X]], %[[W]] {channels_last, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} :
// CHECK-NEXT: %[[S:.*]] = pare.sigmoid %[[C1]] : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
// A clamp stays fused.
// CHECK-NEXT: %[[C2:.*]] = pare.conv %[[X]], %[[W]] {activation = "clip", activation_params = array<f32: 0.000000e+00, 6.000000e+00>, channels_last
// Binary ops too; the parameters become the op's attributes. Every user of
// the producer (here the function's result) now reads the activation.
// CHECK-NEXT: %[[A:.*]] = pare.add %[[S]], %[[Y]] : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
// CHECK-NEXT: %[[L:.*]] = pare.leaky_relu %[[A]] {alpha = 1.250000e-01 : f32}
// CHECK-NEXT: %[[M:.*]] = pare.mul %[[L]], %[[C2]] : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
// CHECK-NEXT: %[[H:.*]] = pare.hard_sigmoid %[[M]] {alpha = 2.500000e-01 : f32, beta = 5.000000e-01 : f32}
// CHECK-NEXT: return %[[C2]], %[[L]], %[[H]], %[[S]]
func.func @split(%x: tensor<1x4x4x4xf32>, %y: tensor<1x4x4x4xf32>) -> (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) {
  %w = pare.constant dense<0.5> : tensor<4x1x1x4xf32>
  %c1 = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last, activation = "sigmoid"} : (tensor<1x4x4x4xf32>, tensor<4x1x1x4xf32>) -> tensor<1x4x4x4xf32>
  %c2 = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last, activation = "clip", activation_params = array<f32: 0.0, 6.0>} : (tensor<1x4x4x4xf32>, tensor<4x1x1x4xf32>) -> tensor<1x4x4x4xf32>
  %a = pare.add %c1, %y {activation = "leaky_relu", activation_params = array<f32: 0.125>} : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %m = pare.mul %a, %c2 {activation = "hard_sigmoid", activation_params = array<f32: 0.25, 0.5>} : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  return %c2, %a, %m, %c1 : tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>
}

// -----

// relu stays fused; gelu_tanh keeps its approximation.
// CHECK-LABEL: func.func @relu_gelu
// CHECK: pare.gemm {{.*}}{activation = "relu"
// CHECK: %[[G:.*]] = pare.matmul %{{.*}}, %{{.*}} : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: pare.gelu %[[G]] {tanh_approximation = true}
func.func @relu_gelu(%x: tensor<2x4xf32>, %w: tensor<4x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = pare.gemm %x, %w {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false, activation = "relu"} : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %1 = pare.matmul %x, %w {activation = "gelu_tanh"} : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// The verifier knows every activation name, but hand-written IR can omit
// the parameters: the pass fails at the op instead of reading past them.
func.func @missing_params(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{cannot split fused activation 'leaky_relu': it takes 1 activation_params, the op has 0}}
  %0 = pare.add %x, %y {activation = "leaky_relu"} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
