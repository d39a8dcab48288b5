// Parse -> print -> parse of a representative set of pare ops: the printed
// form must read back to the same ops, attributes and inferred types. The
// second RUN line goes through the generic op form as well.
// RUN: pare-opt %s | pare-opt | FileCheck %s
// RUN: pare-opt %s --mlir-print-op-generic | pare-opt | FileCheck %s

// CHECK-LABEL: func.func @constant
// CHECK: pare.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
// CHECK: pare.constant {pare.note = "shape"} dense<[1, -1, 4]> : tensor<3xi64>
// CHECK: pare.constant dense<[true, false]> : tensor<2xi1>
// CHECK: pare.constant dense<7> : tensor<i32>
func.func @constant() -> (tensor<2x2xf32>, tensor<3xi64>, tensor<2xi1>, tensor<i32>) {
  %0 = pare.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %1 = pare.constant {pare.note = "shape"} dense<[1, -1, 4]> : tensor<3xi64>
  %2 = pare.constant dense<[true, false]> : tensor<2xi1>
  %3 = pare.constant dense<7> : tensor<i32>
  return %0, %1, %2, %3 : tensor<2x2xf32>, tensor<3xi64>, tensor<2xi1>, tensor<i32>
}

// CHECK-LABEL: func.func @conv
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x8x8xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK: pare.conv %[[X]], %[[W]], %[[B]]
// CHECK-SAME: activation = "clip", activation_params = array<f32: 0.000000e+00, 6.000000e+00>
// CHECK-SAME: dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>
// CHECK-SAME: (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
func.func @conv(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  %0 = pare.conv %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64, activation = "clip", activation_params = array<f32: 0.0, 6.0>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// Channels-last depthwise conv without bias: weight OHWI = 4x3x3x1.
// CHECK-LABEL: func.func @conv_nhwc_depthwise
// CHECK: pare.conv %{{.*}}, %{{.*}} {channels_last, dilations = array<i64: 2, 2>, group = 4 : i64, pads = array<i64: 2, 2, 2, 2>, strides = array<i64: 1, 1>}
// CHECK-SAME: (tensor<1x8x8x4xf32>, tensor<4x3x3x1xf32>) -> tensor<1x8x8x4xf32>
func.func @conv_nhwc_depthwise(%x: tensor<1x8x8x4xf32>, %w: tensor<4x3x3x1xf32>) -> tensor<1x8x8x4xf32> {
  %0 = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 2, 2>, pads = array<i64: 2, 2, 2, 2>, group = 4 : i64, channels_last} : (tensor<1x8x8x4xf32>, tensor<4x3x3x1xf32>) -> tensor<1x8x8x4xf32>
  return %0 : tensor<1x8x8x4xf32>
}

// CHECK-LABEL: func.func @gemm_matmul
// CHECK: pare.gemm %{{.*}}, %{{.*}}, %{{.*}} {alpha = 5.000000e-01 : f32, beta = 2.000000e+00 : f32, trans_a = false, trans_b = true} : (tensor<2x3xf32>, tensor<5x3xf32>, tensor<5xf32>) -> tensor<2x5xf32>
// CHECK: pare.matmul %{{.*}}, %{{.*}} {activation = "relu"} : (tensor<7x1x2x3xf32>, tensor<4x3x6xf32>) -> tensor<7x4x2x6xf32>
// CHECK: pare.matmul %{{.*}}, %{{.*}} : (tensor<3xf32>, tensor<3x6xf32>) -> tensor<6xf32>
func.func @gemm_matmul(%a: tensor<2x3xf32>, %b: tensor<5x3xf32>, %c: tensor<5xf32>,
                       %p: tensor<7x1x2x3xf32>, %q: tensor<4x3x6xf32>, %v: tensor<3xf32>, %m: tensor<3x6xf32>)
    -> (tensor<2x5xf32>, tensor<7x4x2x6xf32>, tensor<6xf32>) {
  %0 = pare.gemm %a, %b, %c {alpha = 0.5 : f32, beta = 2.0 : f32, trans_a = false, trans_b = true} : (tensor<2x3xf32>, tensor<5x3xf32>, tensor<5xf32>) -> tensor<2x5xf32>
  %1 = pare.matmul %p, %q {activation = "relu"} : (tensor<7x1x2x3xf32>, tensor<4x3x6xf32>) -> tensor<7x4x2x6xf32>
  %2 = pare.matmul %v, %m : (tensor<3xf32>, tensor<3x6xf32>) -> tensor<6xf32>
  return %0, %1, %2 : tensor<2x5xf32>, tensor<7x4x2x6xf32>, tensor<6xf32>
}

// Binary ops broadcast; compares give i1.
// CHECK-LABEL: func.func @elementwise
// CHECK: pare.add %{{.*}}, %{{.*}} : (tensor<2x1x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
// CHECK: pare.sub %{{.*}}, %{{.*}} {activation = "leaky_relu", activation_params = array<f32: 1.000000e-01>} : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
// CHECK: pare.mul
// CHECK: pare.div
// CHECK: pare.pow %{{.*}}, %{{.*}} : (tensor<2x3x4xf32>, tensor<i64>) -> tensor<2x3x4xf32>
// CHECK: pare.max
// CHECK: pare.min
// CHECK: pare.mod %{{.*}}, %{{.*}} {fmod = true} : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
// CHECK: pare.less %{{.*}}, %{{.*}} : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xi1>
// CHECK: pare.greater_or_equal
// CHECK: pare.and %{{.*}}, %{{.*}} : (tensor<2x3x4xi1>, tensor<2x3x4xi1>) -> tensor<2x3x4xi1>
// CHECK: pare.not %{{.*}} : (tensor<2x3x4xi1>) -> tensor<2x3x4xi1>
// CHECK: pare.where %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x3x4xi1>, tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
func.func @elementwise(%a: tensor<2x1x4xf32>, %b: tensor<3x1xf32>, %c: tensor<4xf32>, %e: tensor<i64>, %s: tensor<f32>) -> tensor<2x3x4xf32> {
  %0 = pare.add %a, %b : (tensor<2x1x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
  %1 = pare.sub %0, %c {activation = "leaky_relu", activation_params = array<f32: 0.1>} : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  %2 = pare.mul %1, %0 : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %3 = pare.div %2, %c : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  %4 = pare.pow %3, %e : (tensor<2x3x4xf32>, tensor<i64>) -> tensor<2x3x4xf32>
  %5 = pare.max %4, %s : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
  %6 = pare.min %5, %s : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
  %7 = pare.mod %6, %5 {fmod = true} : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %8 = pare.less %7, %c : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xi1>
  %9 = pare.greater_or_equal %7, %s : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xi1>
  %10 = pare.and %8, %9 : (tensor<2x3x4xi1>, tensor<2x3x4xi1>) -> tensor<2x3x4xi1>
  %11 = pare.not %10 : (tensor<2x3x4xi1>) -> tensor<2x3x4xi1>
  %12 = pare.where %11, %7, %s : (tensor<2x3x4xi1>, tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
  return %12 : tensor<2x3x4xf32>
}

// CHECK-LABEL: func.func @unary_and_activations
// CHECK: pare.sqrt
// CHECK: pare.exp
// CHECK: pare.erf
// CHECK: pare.neg
// CHECK: pare.relu %{{.*}} : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK: pare.clip %{{.*}} {max = 6.000000e+00 : f32, min = 0.000000e+00 : f32}
// CHECK: pare.leaky_relu %{{.*}} {alpha = 2.000000e-01 : f32}
// CHECK: pare.hard_sigmoid %{{.*}} {alpha = 2.000000e-01 : f32, beta = 5.000000e-01 : f32}
// CHECK: pare.hard_swish
// CHECK: pare.selu %{{.*}} {alpha = 1.500000e+00 : f32, gamma = 1.000000e+00 : f32}
// CHECK: pare.gelu %{{.*}} {tanh_approximation = true}
// CHECK: pare.sigmoid
// CHECK: pare.tanh
// CHECK: pare.mish
func.func @unary_and_activations(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %0 = pare.sqrt %x : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %1 = pare.exp %0 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %2 = pare.erf %1 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %3 = pare.neg %2 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %4 = pare.relu %3 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %5 = pare.clip %4 {min = 0.0 : f32, max = 6.0 : f32} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %6 = pare.leaky_relu %5 {alpha = 0.2 : f32} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %7 = pare.hard_sigmoid %6 {alpha = 0.2 : f32, beta = 0.5 : f32} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %8 = pare.hard_swish %7 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %9 = pare.selu %8 {alpha = 1.5 : f32, gamma = 1.0 : f32} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %10 = pare.gelu %9 {tanh_approximation = true} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %11 = pare.sigmoid %10 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %12 = pare.tanh %11 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %13 = pare.mish %12 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %13 : tensor<2x8xf32>
}

// 8x8 input, 3x3 window, stride 2: floor mode gives 3, ceil mode 4 (the
// last window starts at 6, inside the input).
// CHECK-LABEL: func.func @pools
// CHECK: pare.max_pool %{{.*}} {ceil_mode = false, count_include_pad = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x2x8x8xf32>) -> tensor<1x2x3x3xf32>
// CHECK: pare.average_pool %{{.*}} {ceil_mode = true, count_include_pad = true, {{.*}}} : (tensor<1x2x8x8xf32>) -> tensor<1x2x4x4xf32>
// CHECK: pare.max_pool %{{.*}} {ceil_mode = false, channels_last, {{.*}}} : (tensor<1x8x8x2xf32>) -> tensor<1x3x3x2xf32>
// CHECK: pare.global_average_pool %{{.*}} : (tensor<1x2x8x8xf32>) -> tensor<1x2x1x1xf32>
// CHECK: pare.global_max_pool %{{.*}} {channels_last} : (tensor<1x8x8x2xf32>) -> tensor<1x1x1x2xf32>
func.func @pools(%x: tensor<1x2x8x8xf32>, %y: tensor<1x8x8x2xf32>) -> (tensor<1x2x3x3xf32>, tensor<1x2x4x4xf32>, tensor<1x3x3x2xf32>, tensor<1x2x1x1xf32>, tensor<1x1x1x2xf32>) {
  %0 = pare.max_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : (tensor<1x2x8x8xf32>) -> tensor<1x2x3x3xf32>
  %1 = pare.average_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = true, count_include_pad = true} : (tensor<1x2x8x8xf32>) -> tensor<1x2x4x4xf32>
  %2 = pare.max_pool %y {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false, channels_last} : (tensor<1x8x8x2xf32>) -> tensor<1x3x3x2xf32>
  %3 = pare.global_average_pool %x : (tensor<1x2x8x8xf32>) -> tensor<1x2x1x1xf32>
  %4 = pare.global_max_pool %y {channels_last} : (tensor<1x8x8x2xf32>) -> tensor<1x1x1x2xf32>
  return %0, %1, %2, %3, %4 : tensor<1x2x3x3xf32>, tensor<1x2x4x4xf32>, tensor<1x3x3x2xf32>, tensor<1x2x1x1xf32>, tensor<1x1x1x2xf32>
}

// CHECK-LABEL: func.func @normalisation
// CHECK: pare.batch_norm %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 9.99999974E-6 : f32} : (tensor<1x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32>
// CHECK: pare.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {axis = 2 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<1x3x4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4x4xf32>
// CHECK: pare.softmax %{{.*}} {axis = 1 : i64} : (tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
// CHECK: pare.log_softmax %{{.*}} {axis = 3 : i64}
func.func @normalisation(%x: tensor<1x3x4x4xf32>, %p: tensor<3xf32>, %g: tensor<4x4xf32>) -> tensor<1x3x4x4xf32> {
  %0 = pare.batch_norm %x, %p, %p, %p, %p {epsilon = 1.0e-5 : f32} : (tensor<1x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32>
  %1 = pare.layer_norm %0, %g, %g {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<1x3x4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4x4xf32>
  %2 = pare.softmax %1 {axis = 1 : i64} : (tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  %3 = pare.log_softmax %2 {axis = 3 : i64} : (tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  return %3 : tensor<1x3x4x4xf32>
}

// CHECK-LABEL: func.func @reductions
// CHECK: pare.reduce_mean %{{.*}} {axes = array<i64: 2, 3>, keepdims = true} : (tensor<2x3x4x5xf32>) -> tensor<2x3x1x1xf32>
// CHECK: pare.reduce_sum %{{.*}} {axes = array<i64: 0, 2>, keepdims = false} : (tensor<2x3x4x5xf32>) -> tensor<3x5xf32>
// CHECK: pare.reduce_log_sum_exp
// CHECK: pare.arg_max %{{.*}} {axis = 1 : i64, keepdims = false, select_last_index = true} : (tensor<2x3x4x5xf32>) -> tensor<2x4x5xi64>
func.func @reductions(%x: tensor<2x3x4x5xf32>) -> (tensor<2x3x1x1xf32>, tensor<3x5xf32>, tensor<1x3x4x1xf32>, tensor<2x4x5xi64>) {
  %0 = pare.reduce_mean %x {axes = array<i64: 2, 3>, keepdims = true} : (tensor<2x3x4x5xf32>) -> tensor<2x3x1x1xf32>
  %1 = pare.reduce_sum %x {axes = array<i64: 0, 2>, keepdims = false} : (tensor<2x3x4x5xf32>) -> tensor<3x5xf32>
  %2 = pare.reduce_log_sum_exp %x {axes = array<i64: 0, 3>, keepdims = true} : (tensor<2x3x4x5xf32>) -> tensor<1x3x4x1xf32>
  %3 = pare.arg_max %x {axis = 1 : i64, keepdims = false, select_last_index = true} : (tensor<2x3x4x5xf32>) -> tensor<2x4x5xi64>
  return %0, %1, %2, %3 : tensor<2x3x1x1xf32>, tensor<3x5xf32>, tensor<1x3x4x1xf32>, tensor<2x4x5xi64>
}

// CHECK-LABEL: func.func @data_movement
// CHECK: pare.reshape %{{.*}} : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
// CHECK: pare.flatten %{{.*}} {axis = 2 : i64} : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
// CHECK: pare.unsqueeze %{{.*}} {axes = array<i64: 0, 3>} : (tensor<6x4xf32>) -> tensor<1x6x4x1xf32>
// CHECK: pare.squeeze %{{.*}} {axes = array<i64: 0>} : (tensor<1x6x4x1xf32>) -> tensor<6x4x1xf32>
// CHECK: pare.transpose %{{.*}} {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
// CHECK: pare.concat %{{.*}}, %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x1x4xf32>, tensor<2x3x4xf32>) -> tensor<2x7x4xf32>
// CHECK: pare.slice %{{.*}} {ends = array<i64: 2, -1, 4>, starts = array<i64: 0, 6, 1>, steps = array<i64: 1, -2, 2>} : (tensor<2x7x4xf32>) -> tensor<2x4x2xf32>
// CHECK: %{{.*}}:3 = pare.split %{{.*}} {axis = 1 : i64, sizes = array<i64: 2, 0, 5>} : (tensor<2x7x4xf32>) -> (tensor<2x2x4xf32>, tensor<2x0x4xf32>, tensor<2x5x4xf32>)
// CHECK: pare.pad %{{.*}} {mode = "reflect", pads_begin = array<i64: 0, 1, 1>, pads_end = array<i64: 0, 1, -1>, value = 0.000000e+00 : f32} : (tensor<2x3x4xf32>) -> tensor<2x5x4xf32>
// CHECK: pare.gather %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<5x6xi32>) -> tensor<2x5x6x4xf32>
// CHECK: pare.cast %{{.*}} {to = i8} : (tensor<2x3x4xf32>) -> tensor<2x3x4xi8>
// CHECK: pare.cast %{{.*}} {to = ui8}
// CHECK: pare.expand %{{.*}} {shape = array<i64: 5, 1, 1, 1>} : (tensor<2x3x4xf32>) -> tensor<5x2x3x4xf32>
// CHECK: pare.identity %{{.*}} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
func.func @data_movement(%x: tensor<2x3x4xf32>, %y: tensor<2x1x4xf32>, %i: tensor<5x6xi32>) {
  %0 = pare.reshape %x : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
  %1 = pare.flatten %x {axis = 2 : i64} : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
  %2 = pare.unsqueeze %1 {axes = array<i64: 0, 3>} : (tensor<6x4xf32>) -> tensor<1x6x4x1xf32>
  %3 = pare.squeeze %2 {axes = array<i64: 0>} : (tensor<1x6x4x1xf32>) -> tensor<6x4x1xf32>
  %4 = pare.transpose %x {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  %5 = pare.concat %x, %y, %x {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x1x4xf32>, tensor<2x3x4xf32>) -> tensor<2x7x4xf32>
  %6 = pare.slice %5 {starts = array<i64: 0, 6, 1>, ends = array<i64: 2, -1, 4>, steps = array<i64: 1, -2, 2>} : (tensor<2x7x4xf32>) -> tensor<2x4x2xf32>
  %7:3 = pare.split %5 {axis = 1 : i64, sizes = array<i64: 2, 0, 5>} : (tensor<2x7x4xf32>) -> (tensor<2x2x4xf32>, tensor<2x0x4xf32>, tensor<2x5x4xf32>)
  %8 = pare.pad %x {pads_begin = array<i64: 0, 1, 1>, pads_end = array<i64: 0, 1, -1>, mode = "reflect", value = 0.0 : f32} : (tensor<2x3x4xf32>) -> tensor<2x5x4xf32>
  %9 = pare.gather %x, %i {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<5x6xi32>) -> tensor<2x5x6x4xf32>
  %10 = pare.cast %x {to = i8} : (tensor<2x3x4xf32>) -> tensor<2x3x4xi8>
  %11 = pare.cast %x {to = ui8} : (tensor<2x3x4xf32>) -> tensor<2x3x4xui8>
  %12 = pare.expand %x {shape = array<i64: 5, 1, 1, 1>} : (tensor<2x3x4xf32>) -> tensor<5x2x3x4xf32>
  %13 = pare.identity %x : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return
}

// CHECK-LABEL: func.func @resize
// CHECK: pare.resize %{{.*}} {antialias = false, coordinate_transformation_mode = "half_pixel", cubic_coeff_a = -7.500000e-01 : f64, exclude_outside = false, extrapolation_value = 0.000000e+00 : f64, mode = "nearest", nearest_mode = "round_prefer_floor", roi = array<f64>, scales = array<f64: 1.000000e+00, 1.000000e+00, 2.000000e+00, 2.000000e+00>, sizes = array<i64: 1, 3, 8, 8>} : (tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32>
// CHECK: pare.resize %{{.*}} {antialias = true, coordinate_transformation_mode = "tf_crop_and_resize", cubic_coeff_a = -5.000000e-01 : f64, exclude_outside = true, extrapolation_value = 1.000000e+01 : f64, mode = "cubic", nearest_mode = "floor", roi = array<f64: 0.000000e+00, 0.000000e+00, 1.000000e-01, 2.000000e-01, 1.000000e+00, 1.000000e+00, 9.000000e-01, 8.000000e-01>, scales = array<f64: 1.000000e+00, 1.000000e+00, 5.000000e-01, 7.500000e-01>, sizes = array<i64: 1, 3, 2, 3>} : (tensor<1x3x4x4xf32>) -> tensor<1x3x2x3xf32>
func.func @resize(%x: tensor<1x3x4x4xf32>) {
  %0 = pare.resize %x {sizes = array<i64: 1, 3, 8, 8>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, mode = "nearest", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64>, extrapolation_value = 0.0 : f64} : (tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32>
  %1 = pare.resize %x {sizes = array<i64: 1, 3, 2, 3>, scales = array<f64: 1.0, 1.0, 0.5, 0.75>, mode = "cubic", coordinate_transformation_mode = "tf_crop_and_resize", nearest_mode = "floor", cubic_coeff_a = -0.5 : f64, exclude_outside = true, antialias = true, roi = array<f64: 0.0, 0.0, 0.1, 0.2, 1.0, 1.0, 0.9, 0.8>, extrapolation_value = 10.0 : f64} : (tensor<1x3x4x4xf32>) -> tensor<1x3x2x3xf32>
  return
}

// The memory plan's attributes survive a round trip.
// CHECK-LABEL: func.func @planned
// CHECK-SAME: attributes {pare.arena_bytes = 64 : i64, pare.live_bytes_bound = 64 : i64}
// CHECK: pare.relu %{{.*}} {pare.offsets = array<i64: 0>}
// CHECK: pare.relu %{{.*}} {pare.offsets = array<i64: -1>}
func.func @planned(%x: tensor<16xf32>) -> tensor<16xf32> attributes {pare.arena_bytes = 64 : i64, pare.live_bytes_bound = 64 : i64} {
  %0 = pare.relu %x {pare.offsets = array<i64: 0>} : (tensor<16xf32>) -> tensor<16xf32>
  %1 = pare.relu %0 {pare.offsets = array<i64: -1>} : (tensor<16xf32>) -> tensor<16xf32>
  return %1 : tensor<16xf32>
}

// Transposed conv: NCHW with [C_in, C_out / group, kh, kw] weights; output
// 2 * (5 - 1) + 1 + 3 - 1 - 0 = 11 high, 2 * 4 + 0 + 3 - 0 - 1 = 10 wide.
// CHECK-LABEL: func.func @conv_transpose
// CHECK: pare.conv_transpose %{{.*}}, %{{.*}}, %{{.*}} {activation = "relu", dilations = array<i64: 1, 1>, group = 2 : i64, output_padding = array<i64: 1, 0>, pads = array<i64: 1, 0, 0, 1>, strides = array<i64: 2, 2>}
// CHECK-SAME: (tensor<1x4x5x5xf32>, tensor<4x3x3x3xf32>, tensor<6xf32>) -> tensor<1x6x11x10xf32>
// CHECK: pare.conv_transpose %{{.*}}, %{{.*}} {channels_last, dilations = array<i64: 2, 1>
// CHECK-SAME: (tensor<1x5x5x4xf32>, tensor<4x3x3x2xf32>) -> tensor<1x9x7x2xf32>
func.func @conv_transpose(%x: tensor<1x4x5x5xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<6xf32>, %xl: tensor<1x5x5x4xf32>, %wl: tensor<4x3x3x2xf32>) -> (tensor<1x6x11x10xf32>, tensor<1x9x7x2xf32>) {
  %0 = pare.conv_transpose %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 0, 0, 1>, output_padding = array<i64: 1, 0>, group = 2 : i64, activation = "relu"} : (tensor<1x4x5x5xf32>, tensor<4x3x3x3xf32>, tensor<6xf32>) -> tensor<1x6x11x10xf32>
  %1 = pare.conv_transpose %xl, %wl {strides = array<i64: 1, 1>, dilations = array<i64: 2, 1>, pads = array<i64: 0, 0, 0, 0>, output_padding = array<i64: 0, 0>, group = 1 : i64, channels_last} : (tensor<1x5x5x4xf32>, tensor<4x3x3x2xf32>) -> tensor<1x9x7x2xf32>
  return %0, %1 : tensor<1x6x11x10xf32>, tensor<1x9x7x2xf32>
}

// GatherElements: the result has the indices' shape.
// CHECK-LABEL: func.func @gather_elements
// CHECK: pare.gather_elements %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<3x4xf32>, tensor<3x6xi64>) -> tensor<3x6xf32>
// CHECK: pare.gather_elements %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<3x4xf32>, tensor<2x2xi32>) -> tensor<2x2xf32>
func.func @gather_elements(%d: tensor<3x4xf32>, %i: tensor<3x6xi64>, %j: tensor<2x2xi32>) -> (tensor<3x6xf32>, tensor<2x2xf32>) {
  %0 = pare.gather_elements %d, %i {axis = 1 : i64} : (tensor<3x4xf32>, tensor<3x6xi64>) -> tensor<3x6xf32>
  %1 = pare.gather_elements %d, %j {axis = 0 : i64} : (tensor<3x4xf32>, tensor<2x2xi32>) -> tensor<2x2xf32>
  return %0, %1 : tensor<3x6xf32>, tensor<2x2xf32>
}

// int8 transposed conv (TFLite TRANSPOSE_CONV): channels-last weight
// [C_in, kh, kw, C_out] quantized per output channel (axis 3), i32 bias.
// CHECK-LABEL: func.func @qconv_transpose
// CHECK: pare.qconv_transpose %{{.*}}, %{{.*}}, %{{.*}} {activation = "relu", channels_last, dilations = array<i64: 1, 1>, group = 1 : i64, output_padding = array<i64: 0, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
// CHECK-SAME: -> tensor<1x4x4x2x!quant.uniform<i8:f32, 1.000000e-01:-3>>
func.func @qconv_transpose(%x: tensor<1x2x2x3x!quant.uniform<i8:f32, 5.000000e-02:4>>, %w: tensor<3x2x2x2x!quant.uniform<i8:f32:3, {2.000000e-02,3.000000e-02}>>, %b: tensor<2xi32>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 1.000000e-01:-3>> {
  %0 = pare.qconv_transpose %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, output_padding = array<i64: 0, 0>, group = 1 : i64, channels_last, activation = "relu"} : (tensor<1x2x2x3x!quant.uniform<i8:f32, 5.000000e-02:4>>, tensor<3x2x2x2x!quant.uniform<i8:f32:3, {2.000000e-02,3.000000e-02}>>, tensor<2xi32>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 1.000000e-01:-3>>
  return %0 : tensor<1x4x4x2x!quant.uniform<i8:f32, 1.000000e-01:-3>>
}
