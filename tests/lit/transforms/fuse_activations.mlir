// FuseActivations: an activation whose input comes from a conv / gemm /
// matmul / float binary op with no other user becomes the producer's
// `activation` (+ `activation_params`); the producer keeps both locations, so
// the C comments cite both ONNX nodes. x * relu6(x + 3) / 6 is recognised as
// hard_swish first.
// RUN: pare-opt %s --pare-fuse-activations --split-input-file --mlir-print-debuginfo --mlir-print-local-scope | FileCheck %s

// CHECK-LABEL: func.func @conv_relu
// CHECK: %[[C:.*]] = pare.conv %{{.*}}, %{{.*}} {activation = "relu", channels_last, {{.*}}} : (tensor<1x4x4x2xf32>, tensor<3x1x1x2xf32>) -> tensor<1x4x4x3xf32> loc(fused["conv1", "relu1"])
// CHECK-NOT: pare.relu
// CHECK: return %[[C]]
func.func @conv_relu(%x: tensor<1x4x4x2xf32>, %w: tensor<3x1x1x2xf32>) -> tensor<1x4x4x3xf32> {
  %0 = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last} : (tensor<1x4x4x2xf32>, tensor<3x1x1x2xf32>) -> tensor<1x4x4x3xf32> loc("conv1")
  %1 = pare.relu %0 : (tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32> loc("relu1")
  return %1 : tensor<1x4x4x3xf32>
}

// -----

// Parameters travel in activation_params: clip [min, max], leaky_relu
// [alpha], hard_sigmoid [alpha, beta]; gelu's tanh form is "gelu_tanh".
// CHECK-LABEL: func.func @parameters
// CHECK: pare.gemm {{.*}}{activation = "clip", activation_params = array<f32: 0.000000e+00, 6.000000e+00>, alpha = 1.000000e+00 : f32
// CHECK: pare.matmul {{.*}}{activation = "leaky_relu", activation_params = array<f32: 1.000000e-01>}
// CHECK: pare.add {{.*}}{activation = "hard_sigmoid", activation_params = array<f32: 2.000000e-01, 5.000000e-01>}
// CHECK: pare.sub {{.*}}{activation = "gelu_tanh"}
// CHECK: pare.mul {{.*}}{activation = "sigmoid"}
// CHECK: pare.div {{.*}}{activation = "tanh"}
// CHECK-NOT: pare.{{(clip|leaky_relu|hard_sigmoid|gelu|sigmoid|tanh)}}
// CHECK: return
func.func @parameters(%a: tensor<2x4xf32>, %b: tensor<4x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %0 = pare.gemm %a, %b {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false} : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  %1 = pare.clip %0 {min = 0.0 : f32, max = 6.0 : f32} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %2 = pare.matmul %a, %b : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  %3 = pare.leaky_relu %2 {alpha = 0.1 : f32} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %4 = pare.add %a, %a : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %5 = pare.hard_sigmoid %4 {alpha = 0.2 : f32, beta = 0.5 : f32} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %6 = pare.sub %a, %a : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %7 = pare.gelu %6 {tanh_approximation = true} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %8 = pare.mul %a, %a : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %9 = pare.sigmoid %8 : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %10 = pare.div %a, %a : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %11 = pare.tanh %10 : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return %1, %3, %5, %7, %9, %11 : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// No fusion: the producer has a second user; the producer already carries an
// activation (only the first fuses); the producer cannot carry one (pool);
// integer elementwise ops do not take activations.
// CHECK-LABEL: func.func @no_fusion
// CHECK: %[[C:.*]] = pare.conv %{{.*}}, %{{.*}} {channels_last, {{.*}}}
// CHECK: pare.relu %[[C]]
// CHECK: %[[M:.*]] = pare.matmul %{{.*}}, %{{.*}} {activation = "relu"}
// CHECK: pare.sigmoid %[[M]]
// CHECK: %[[P:.*]] = pare.max_pool
// CHECK: pare.relu %[[P]]
// CHECK: %[[I:.*]] = pare.add %{{.*}}, %{{.*}} : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
// CHECK: pare.relu %[[I]] : (tensor<4xi32>) -> tensor<4xi32>
func.func @no_fusion(%x: tensor<1x4x4x2xf32>, %w: tensor<3x1x1x2xf32>, %a: tensor<2x4xf32>, %b: tensor<4x4xf32>, %i: tensor<4xi32>)
    -> (tensor<1x4x4x3xf32>, tensor<1x4x4x3xf32>, tensor<2x4xf32>, tensor<1x2x2x2xf32>, tensor<4xi32>) {
  %0 = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last} : (tensor<1x4x4x2xf32>, tensor<3x1x1x2xf32>) -> tensor<1x4x4x3xf32>
  %1 = pare.relu %0 : (tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32>
  %2 = pare.matmul %a, %b : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  %3 = pare.relu %2 : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %4 = pare.sigmoid %3 : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %5 = pare.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false, channels_last} : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
  %6 = pare.relu %5 : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %7 = pare.add %i, %i : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %8 = pare.relu %7 : (tensor<4xi32>) -> tensor<4xi32>
  return %0, %1, %4, %6, %8 : tensor<1x4x4x3xf32>, tensor<1x4x4x3xf32>, tensor<2x4xf32>, tensor<1x2x2x2xf32>, tensor<4xi32>
}

// -----

// Exporters' hard-swish, x * clip(x + 3, 0, 6) / 6, becomes one hard_swish
// that then fuses into x's producer; the location keeps every node.
// CHECK-LABEL: func.func @hard_swish
// CHECK-NOT: pare.constant
// CHECK: %[[M:.*]] = pare.matmul %{{.*}}, %{{.*}} {activation = "hard_swish"} : (tensor<2x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32> loc(fused["mm", "add3", "relu6", "mul", "div6"])
// CHECK-NEXT: return %[[M]]
func.func @hard_swish(%x: tensor<2x8xf32>, %w: tensor<8x8xf32>) -> tensor<2x8xf32> {
  %three = pare.constant dense<3.0> : tensor<f32>
  %six = pare.constant dense<6.0> : tensor<f32>
  %0 = pare.matmul %x, %w : (tensor<2x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32> loc("mm")
  %1 = pare.add %0, %three : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32> loc("add3")
  %2 = pare.clip %1 {min = 0.0 : f32, max = 6.0 : f32} : (tensor<2x8xf32>) -> tensor<2x8xf32> loc("relu6")
  %3 = pare.mul %0, %2 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32> loc("mul")
  %4 = pare.div %3, %six : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32> loc("div6")
  return %4 : tensor<2x8xf32>
}

// -----

// Not hard-swish: the divisor is 5, so only the clip fuses (into the add).
// CHECK-LABEL: func.func @not_hard_swish
// CHECK: pare.add {{.*}}{activation = "clip", activation_params = array<f32: 0.000000e+00, 6.000000e+00>}
// CHECK: pare.mul
// CHECK: pare.div
// CHECK-NOT: hard_swish
func.func @not_hard_swish(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %three = pare.constant dense<3.0> : tensor<f32>
  %five = pare.constant dense<5.0> : tensor<f32>
  %1 = pare.add %x, %three : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %2 = pare.clip %1 {min = 0.0 : f32, max = 6.0 : f32} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %3 = pare.mul %x, %2 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %4 = pare.div %3, %five : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  return %4 : tensor<2x8xf32>
}

// -----

// A Linear layer as exported (matmul + constant per-column bias) becomes one
// gemm with the bias as C; a rank-3 input is flattened by free reshapes.
// CHECK-LABEL: func.func @linear_bias
// CHECK: %[[A:.*]] = pare.reshape %{{.*}} : (tensor<1x5x16xf32>) -> tensor<5x16xf32>
// CHECK: %[[G:.*]] = pare.gemm %[[A]], %{{.*}}, %{{.*}} {alpha = 1.000000e+00 : f32, beta = 1.000000e+00 : f32, trans_a = false, trans_b = false} : (tensor<5x16xf32>, tensor<16x8xf32>, tensor<8xf32>) -> tensor<5x8xf32>
// CHECK: %[[R:.*]] = pare.reshape %[[G]] : (tensor<5x8xf32>) -> tensor<1x5x8xf32>
// CHECK-NOT: pare.add
// CHECK: return %[[R]]
func.func @linear_bias(%x: tensor<1x5x16xf32>) -> tensor<1x5x8xf32> {
  %w = pare.constant dense<0.5> : tensor<16x8xf32>
  %b = pare.constant dense<0.25> : tensor<8xf32>
  %0 = pare.matmul %x, %w : (tensor<1x5x16xf32>, tensor<16x8xf32>) -> tensor<1x5x8xf32> loc("fc")
  %1 = pare.add %0, %b : (tensor<1x5x8xf32>, tensor<8xf32>) -> tensor<1x5x8xf32> loc("fc_bias")
  return %1 : tensor<1x5x8xf32>
}

// -----

// Exact GELU as exported, x * (erf(x / sqrt 2) + 1) * 0.5, is one gelu, which
// then fuses into the gemm through the reshape between them.
// CHECK-LABEL: func.func @gelu_after_linear
// CHECK: %[[G:.*]] = pare.gemm {{.*}} {activation = "gelu", {{.*}}} : (tensor<5x16xf32>, tensor<16x8xf32>, tensor<8xf32>) -> tensor<5x8xf32>
// CHECK-NOT: pare.erf
// CHECK-NOT: pare.mul
// CHECK: %[[R:.*]] = pare.reshape %[[G]]
// CHECK: return %[[R]]
func.func @gelu_after_linear(%x: tensor<1x5x16xf32>) -> tensor<1x5x8xf32> {
  %w = pare.constant dense<0.5> : tensor<16x8xf32>
  %b = pare.constant dense<0.25> : tensor<8xf32>
  %sqrt2 = pare.constant dense<1.41421354> : tensor<f32>
  %one = pare.constant dense<1.0> : tensor<f32>
  %half = pare.constant dense<0.5> : tensor<f32>
  %0 = pare.matmul %x, %w : (tensor<1x5x16xf32>, tensor<16x8xf32>) -> tensor<1x5x8xf32>
  %1 = pare.add %0, %b : (tensor<1x5x8xf32>, tensor<8xf32>) -> tensor<1x5x8xf32>
  %2 = pare.div %1, %sqrt2 : (tensor<1x5x8xf32>, tensor<f32>) -> tensor<1x5x8xf32>
  %3 = pare.erf %2 : (tensor<1x5x8xf32>) -> tensor<1x5x8xf32>
  %4 = pare.add %3, %one : (tensor<1x5x8xf32>, tensor<f32>) -> tensor<1x5x8xf32>
  %5 = pare.mul %1, %4 : (tensor<1x5x8xf32>, tensor<1x5x8xf32>) -> tensor<1x5x8xf32>
  %6 = pare.mul %5, %half : (tensor<1x5x8xf32>, tensor<f32>) -> tensor<1x5x8xf32>
  return %6 : tensor<1x5x8xf32>
}
