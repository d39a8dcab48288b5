// Verifier and shape-function errors of the pare ops. Each error names the
// op and the offending shapes; a shape-function failure is followed by MLIR's
// generic "failed to infer returned types".
// RUN: pare-opt %s -split-input-file -verify-diagnostics

func.func @add_bad_broadcast(%a: tensor<1x3xf32>, %b: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // expected-error @+2 {{add: shapes 1x3 and 1x4 do not broadcast}}
  // expected-error @+1 {{'pare.add' op failed to infer returned types}}
  %0 = pare.add %a, %b : (tensor<1x3xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

// -----

func.func @mul_bad_broadcast_rank3(%a: tensor<2x3x4xf32>, %b: tensor<3x2xf32>) -> tensor<2x3x4xf32> {
  // expected-error @+2 {{mul: shapes 2x3x4 and 3x2 do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.mul %a, %b : (tensor<2x3x4xf32>, tensor<3x2xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

func.func @sub_element_types(%a: tensor<4xf32>, %b: tensor<4xi32>) -> tensor<4xf32> {
  // expected-error @+2 {{sub: operand element types differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.sub %a, %b : (tensor<4xf32>, tensor<4xi32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// The declared result type must equal the inferred one.
func.func @relu_wrong_result(%a: tensor<1x3xf32>) -> tensor<1x4xf32> {
  // expected-error @+2 {{'pare.relu' op inferred type(s) 'tensor<1x3xf32>' are incompatible with return type(s) of operation 'tensor<1x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.relu %a : (tensor<1x3xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

// -----

func.func @add_wrong_result(%a: tensor<2x1xf32>, %b: tensor<3xf32>) -> tensor<3x2xf32> {
  // expected-error @+2 {{inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<3x2xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.add %a, %b : (tensor<2x1xf32>, tensor<3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @unknown_activation(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{unknown fused activation 'swish'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.add %a, %b {activation = "swish"} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @constant_type_mismatch() -> tensor<3xf32> {
  // expected-error @+1 {{'pare.constant' op value type 'tensor<2xf32>' differs from result type 'tensor<3xf32>'}}
  %0 = "pare.constant"() {value = dense<1.0> : tensor<2xf32>} : () -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

//===----------------------------------------------------------------------===//
// conv / gemm / matmul
//===----------------------------------------------------------------------===//

func.func @conv_channel_mismatch(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+2 {{conv: input has 3 channels but the weight 4x2x3x3 with group 1 expects 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

// Channels-last: the input's channels are its last dim, the weight's its last.
func.func @conv_nhwc_group_mismatch(%x: tensor<1x8x8x6xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x6x6x4xf32> {
  // expected-error @+2 {{conv: input has 6 channels but the weight 4x3x3x3 with group 3 expects 9}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 3 : i64, channels_last} : (tensor<1x8x8x6xf32>, tensor<4x3x3x3xf32>) -> tensor<1x6x6x4xf32>
  return %0 : tensor<1x6x6x4xf32>
}

// -----

func.func @conv_rank(%x: tensor<1x3x8xf32>, %w: tensor<4x3x3xf32>) -> tensor<1x4x6xf32> {
  // expected-error @+2 {{conv: expected a rank-4 input and weight, got 1x3x8 and 4x3x3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x3x8xf32>, tensor<4x3x3xf32>) -> tensor<1x4x6xf32>
  return %0 : tensor<1x4x6xf32>
}

// -----

func.func @conv_bias(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+2 {{conv: bias shape 3 does not match 4 output channels}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.conv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_pads_count(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+2 {{conv: expected 2 strides, 2 dilations and 4 pads}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_kernel_too_big(%x: tensor<1x3x3x3xf32>, %w: tensor<4x3x5x5xf32>) -> tensor<1x4x1x1xf32> {
  // expected-error @+2 {{conv: a 5x5 kernel does not fit the padded 3x3 input}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x3x3x3xf32>, tensor<4x3x5x5xf32>) -> tensor<1x4x1x1xf32>
  return %0 : tensor<1x4x1x1xf32>
}

// -----

func.func @gemm_inner(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  // expected-error @+2 {{gemm: inner dimensions differ (3 vs 4)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.gemm %a, %b {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false} : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @gemm_bias(%a: tensor<2x3xf32>, %b: tensor<5x3xf32>, %c: tensor<3xf32>) -> tensor<2x5xf32> {
  // expected-error @+2 {{gemm: C of shape 3 does not broadcast to 2x5}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.gemm %a, %b, %c {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<2x3xf32>, tensor<5x3xf32>, tensor<3xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @gemm_rank(%a: tensor<2x3x1xf32>, %b: tensor<3x5xf32>) -> tensor<2x5xf32> {
  // expected-error @+2 {{gemm: expected rank-2 A and B, got 2x3x1 and 3x5}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.gemm %a, %b {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false} : (tensor<2x3x1xf32>, tensor<3x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @matmul_inner(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  // expected-error @+2 {{matmul: inner dimensions differ: 2x3 x 4x5}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @matmul_batch(%a: tensor<2x4x3xf32>, %b: tensor<3x3x5xf32>) -> tensor<2x4x5xf32> {
  // expected-error @+2 {{matmul: batch dimensions do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.matmul %a, %b : (tensor<2x4x3xf32>, tensor<3x3x5xf32>) -> tensor<2x4x5xf32>
  return %0 : tensor<2x4x5xf32>
}

// -----

func.func @matmul_scalar(%a: tensor<f32>, %b: tensor<3xf32>) -> tensor<f32> {
  // expected-error @+2 {{matmul: operands must have rank >= 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.matmul %a, %b : (tensor<f32>, tensor<3xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

//===----------------------------------------------------------------------===//
// compares, logical, where
//===----------------------------------------------------------------------===//

func.func @and_not_boolean(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi1> {
  // expected-error @+2 {{and: operands must be boolean}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.and %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @equal_types(%a: tensor<4xi64>, %b: tensor<4xi32>) -> tensor<4xi1> {
  // expected-error @+2 {{equal: operand element types differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.equal %a, %b : (tensor<4xi64>, tensor<4xi32>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @where_condition(%c: tensor<4xf32>, %x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{where: condition must be boolean}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.where %c, %x, %x : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @where_types(%c: tensor<4xi1>, %x: tensor<4xf32>, %y: tensor<4xi64>) -> tensor<4xf32> {
  // expected-error @+2 {{where: x and y element types differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.where %c, %x, %y : (tensor<4xi1>, tensor<4xf32>, tensor<4xi64>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @where_broadcast(%c: tensor<3xi1>, %x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+2 {{where: condition, x and y shapes do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.where %c, %x, %x : (tensor<3xi1>, tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// pooling and normalisation
//===----------------------------------------------------------------------===//

func.func @pool_pads(%x: tensor<1x2x8x8xf32>) -> tensor<1x2x10x10xf32> {
  // expected-error @+2 {{max_pool: pads must be smaller than the kernel}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 2, 2, 2, 2>, ceil_mode = false, count_include_pad = false} : (tensor<1x2x8x8xf32>) -> tensor<1x2x10x10xf32>
  return %0 : tensor<1x2x10x10xf32>
}

// -----

func.func @pool_rank(%x: tensor<2x8x8xf32>) -> tensor<2x4x4xf32> {
  // expected-error @+2 {{average_pool: expected a rank-4 input, got 2x8x8}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.average_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : (tensor<2x8x8xf32>) -> tensor<2x4x4xf32>
  return %0 : tensor<2x4x4xf32>
}

// -----

func.func @pool_window_too_big(%x: tensor<1x2x2x2xf32>) -> tensor<1x2x1x1xf32> {
  // expected-error @+2 {{max_pool: the window does not fit the padded input}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.max_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : (tensor<1x2x2x2xf32>) -> tensor<1x2x1x1xf32>
  return %0 : tensor<1x2x1x1xf32>
}

// -----

func.func @global_pool_rank(%x: tensor<2x8xf32>) -> tensor<2x1xf32> {
  // expected-error @+2 {{global pooling needs a rank >= 3 input, got 2x8}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.global_average_pool %x : (tensor<2x8xf32>) -> tensor<2x1xf32>
  return %0 : tensor<2x1xf32>
}

// -----

func.func @batch_norm_params(%x: tensor<1x3x4x4xf32>, %p: tensor<3xf32>, %q: tensor<4xf32>) -> tensor<1x3x4x4xf32> {
  // expected-error @+2 {{batch_norm: parameter shape 4 does not match 3 channels}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.batch_norm %x, %p, %p, %q, %p {epsilon = 1.0e-5 : f32} : (tensor<1x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<4xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32>
  return %0 : tensor<1x3x4x4xf32>
}

// -----

func.func @layer_norm_scale(%x: tensor<2x3x4xf32>, %g: tensor<4xf32>) -> tensor<2x3x4xf32> {
  // expected-error @+2 {{layer_norm: scale and bias must have 12 elements (the normalised dims)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.layer_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

func.func @layer_norm_axis(%x: tensor<2x3x4xf32>, %g: tensor<4xf32>) -> tensor<2x3x4xf32> {
  // expected-error @+2 {{layer_norm: axis out of range}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.layer_norm %x, %g {axis = 3 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

func.func @reduce_axis(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+2 {{reduce: axis 2 out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.reduce_sum %x {axes = array<i64: 2>, keepdims = true} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @arg_max_axis(%x: tensor<2x3xf32>) -> tensor<2xi64> {
  // expected-error @+2 {{arg reduce: axis out of range}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.arg_max %x {axis = -1 : i64, keepdims = false, select_last_index = false} : (tensor<2x3xf32>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}

// -----

//===----------------------------------------------------------------------===//
// data movement
//===----------------------------------------------------------------------===//

func.func @reshape_count(%a: tensor<1x3xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'pare.reshape' op cannot reshape 'tensor<1x3xf32>' to 'tensor<4xf32>': element counts differ}}
  %0 = pare.reshape %a : (tensor<1x3xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @reshape_element_type(%a: tensor<2x3xf32>) -> tensor<6xi32> {
  // expected-error @+1 {{'pare.reshape' op element types differ}}
  %0 = pare.reshape %a : (tensor<2x3xf32>) -> tensor<6xi32>
  return %0 : tensor<6xi32>
}

// -----

func.func @flatten_axis(%a: tensor<2x3xf32>) -> tensor<6x1xf32> {
  // expected-error @+2 {{flatten: axis out of range}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.flatten %a {axis = 3 : i64} : (tensor<2x3xf32>) -> tensor<6x1xf32>
  return %0 : tensor<6x1xf32>
}

// -----

func.func @squeeze_not_one(%a: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error @+2 {{squeeze: axis 1 is not a size-1 dim of 2x3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.squeeze %a {axes = array<i64: 1>} : (tensor<2x3xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @unsqueeze_axes(%a: tensor<2x3xf32>) -> tensor<2x3x1xf32> {
  // expected-error @+2 {{unsqueeze: invalid axes}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.unsqueeze %a {axes = array<i64: 5>} : (tensor<2x3xf32>) -> tensor<2x3x1xf32>
  return %0 : tensor<2x3x1xf32>
}

// -----

func.func @transpose_perm_length(%a: tensor<2x3x4xf32>) -> tensor<3x2xf32> {
  // expected-error @+2 {{transpose: perm has 2 entries for a rank-3 input}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.transpose %a {perm = array<i64: 1, 0>} : (tensor<2x3x4xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @transpose_perm_repeat(%a: tensor<2x3x4xf32>) -> tensor<3x3x2xf32> {
  // expected-error @+2 {{transpose: perm is not a permutation}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.transpose %a {perm = array<i64: 1, 1, 0>} : (tensor<2x3x4xf32>) -> tensor<3x3x2xf32>
  return %0 : tensor<3x3x2xf32>
}

// -----

func.func @transpose_perm_range(%a: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+2 {{transpose: perm is not a permutation}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.transpose %a {perm = array<i64: 2, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @concat_mismatch(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) -> tensor<4x3xf32> {
  // expected-error @+2 {{concat: input 2x4 differs outside the concatenation axis}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @concat_rank(%a: tensor<2x3xf32>, %b: tensor<2x3x1xf32>) -> tensor<2x6xf32> {
  // expected-error @+2 {{concat: inputs differ in rank or element type}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x3x1xf32>) -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

func.func @concat_axis(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+2 {{concat: axis out of range}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.concat %a {axis = 2 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @slice_step_zero(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{slice: step 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.slice %a {starts = array<i64: 0>, ends = array<i64: 4>, steps = array<i64: 0>} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @slice_entries(%a: tensor<4x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+2 {{slice: starts, ends and steps need one entry per dim}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.slice %a {starts = array<i64: 0>, ends = array<i64: 2>, steps = array<i64: 1>} : (tensor<4x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @split_sizes(%a: tensor<2x7xf32>) -> (tensor<2x2xf32>, tensor<2x3xf32>) {
  // expected-error @+2 {{split: sizes add up to 5 but the axis has 7}}
  // expected-error @+1 {{failed to infer returned types}}
  %0:2 = pare.split %a {axis = 1 : i64, sizes = array<i64: 2, 3>} : (tensor<2x7xf32>) -> (tensor<2x2xf32>, tensor<2x3xf32>)
  return %0#0, %0#1 : tensor<2x2xf32>, tensor<2x3xf32>
}

// -----

func.func @split_negative(%a: tensor<2x7xf32>) -> (tensor<2x9xf32>, tensor<2x2xf32>) {
  // expected-error @+2 {{split: negative size}}
  // expected-error @+1 {{failed to infer returned types}}
  %0:2 = pare.split %a {axis = 1 : i64, sizes = array<i64: 9, -2>} : (tensor<2x7xf32>) -> (tensor<2x9xf32>, tensor<2x2xf32>)
  return %0#0, %0#1 : tensor<2x9xf32>, tensor<2x2xf32>
}

// -----

func.func @split_axis(%a: tensor<2x7xf32>) -> tensor<2x7xf32> {
  // expected-error @+2 {{split: axis out of range}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.split %a {axis = 2 : i64, sizes = array<i64: 7>} : (tensor<2x7xf32>) -> tensor<2x7xf32>
  return %0 : tensor<2x7xf32>
}

// -----

func.func @pad_mode(%a: tensor<4xf32>) -> tensor<6xf32> {
  // expected-error @+2 {{pad: unknown mode 'mirror'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.pad %a {pads_begin = array<i64: 1>, pads_end = array<i64: 1>, mode = "mirror", value = 0.0 : f32} : (tensor<4xf32>) -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

func.func @pad_reflect_too_wide(%a: tensor<4xf32>) -> tensor<12xf32> {
  // expected-error @+2 {{pad: reflect pads must be smaller than the dim}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.pad %a {pads_begin = array<i64: 4>, pads_end = array<i64: 4>, mode = "reflect", value = 0.0 : f32} : (tensor<4xf32>) -> tensor<12xf32>
  return %0 : tensor<12xf32>
}

// -----

func.func @pad_negative_size(%a: tensor<4xf32>) -> tensor<0xf32> {
  // expected-error @+2 {{pad: negative output size}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.pad %a {pads_begin = array<i64: -3>, pads_end = array<i64: -3>, mode = "constant", value = 0.0 : f32} : (tensor<4xf32>) -> tensor<0xf32>
  return %0 : tensor<0xf32>
}

// -----

func.func @pad_entries(%a: tensor<4x4xf32>) -> tensor<6x4xf32> {
  // expected-error @+2 {{pad: needs one begin and one end pad per dim}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.pad %a {pads_begin = array<i64: 1>, pads_end = array<i64: 1>, mode = "constant", value = 0.0 : f32} : (tensor<4x4xf32>) -> tensor<6x4xf32>
  return %0 : tensor<6x4xf32>
}

// -----

func.func @gather_indices(%a: tensor<4x3xf32>, %i: tensor<2xf32>) -> tensor<2x3xf32> {
  // expected-error @+2 {{gather: indices must be int32 or int64}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.gather %a, %i {axis = 0 : i64} : (tensor<4x3xf32>, tensor<2xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @gather_axis(%a: tensor<4x3xf32>, %i: tensor<2xi64>) -> tensor<4x3xf32> {
  // expected-error @+2 {{gather: axis out of range}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.gather %a, %i {axis = 2 : i64} : (tensor<4x3xf32>, tensor<2xi64>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @expand_bad(%a: tensor<2x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+2 {{expand: 2x3 does not broadcast to 4x3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.expand %a {shape = array<i64: 4, 3>} : (tensor<2x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @cast_wrong_result(%a: tensor<2x3xf32>) -> tensor<2x3xi32> {
  // expected-error @+2 {{inferred type(s) 'tensor<2x3xi64>' are incompatible with return type(s) of operation 'tensor<2x3xi32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.cast %a {to = i64} : (tensor<2x3xf32>) -> tensor<2x3xi32>
  return %0 : tensor<2x3xi32>
}

// -----

//===----------------------------------------------------------------------===//
// conv_transpose / gather_elements
//===----------------------------------------------------------------------===//

// The weight's first dim is the input channels: [C_in, C_out / group, kh, kw].
func.func @conv_transpose_channels(%x: tensor<1x3x5x5xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x2x7x7xf32> {
  // expected-error @+2 {{conv_transpose: input has 3 channels but the weight 4x2x3x3 with group 1 expects 4 (a multiple of the group)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.conv_transpose %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, output_padding = array<i64: 0, 0>, group = 1 : i64} : (tensor<1x3x5x5xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x7x7xf32>
  return %0 : tensor<1x2x7x7xf32>
}

// -----

func.func @conv_transpose_bias(%x: tensor<1x4x5x5xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<3xf32>) -> tensor<1x6x7x7xf32> {
  // expected-error @+2 {{conv_transpose: bias shape 3 does not match 6 output channels}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.conv_transpose %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, output_padding = array<i64: 0, 0>, group = 2 : i64} : (tensor<1x4x5x5xf32>, tensor<4x3x3x3xf32>, tensor<3xf32>) -> tensor<1x6x7x7xf32>
  return %0 : tensor<1x6x7x7xf32>
}

// -----

func.func @conv_transpose_output_padding(%x: tensor<1x4x5x5xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x3x7x7xf32> {
  // expected-error @+2 {{conv_transpose: strides and dilations must be positive, pads and output_padding non-negative}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.conv_transpose %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, output_padding = array<i64: -1, 0>, group = 1 : i64} : (tensor<1x4x5x5xf32>, tensor<4x3x3x3xf32>) -> tensor<1x3x7x7xf32>
  return %0 : tensor<1x3x7x7xf32>
}

// -----

func.func @gather_elements_rank(%d: tensor<3x4xf32>, %i: tensor<3xi64>) -> tensor<3xf32> {
  // expected-error @+2 {{gather_elements: indices 3 must have the rank of data 3x4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.gather_elements %d, %i {axis = 0 : i64} : (tensor<3x4xf32>, tensor<3xi64>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @gather_elements_dims(%d: tensor<3x4xf32>, %i: tensor<3x5xi64>) -> tensor<3x5xf32> {
  // expected-error @+2 {{gather_elements: indices 3x5 exceed data 3x4 at dim 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.gather_elements %d, %i {axis = 0 : i64} : (tensor<3x4xf32>, tensor<3x5xi64>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

func.func @clip_dynamic_bound_count(%x: tensor<4xf32>, %lo: tensor<2xf32>, %hi: tensor<f32>) -> tensor<4xf32> {
  // expected-error @+1 {{'pare.clip_dynamic' op bounds must hold one element, got 'tensor<2xf32>'}}
  %0 = pare.clip_dynamic %x, %lo, %hi : (tensor<4xf32>, tensor<2xf32>, tensor<f32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @clip_dynamic_bound_type(%x: tensor<4xf32>, %lo: tensor<f32>, %hi: tensor<f16>) -> tensor<4xf32> {
  // expected-error @+1 {{'pare.clip_dynamic' op bound element type 'f16' differs from the input's 'f32'}}
  %0 = pare.clip_dynamic %x, %lo, %hi : (tensor<4xf32>, tensor<f32>, tensor<f16>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @clip_dynamic_integer(%x: tensor<4xi32>, %lo: tensor<i32>, %hi: tensor<i32>) -> tensor<4xi32> {
  // expected-error @+1 {{'pare.clip_dynamic' op expects a float input (integer Clip imports as max / min)}}
  %0 = pare.clip_dynamic %x, %lo, %hi : (tensor<4xi32>, tensor<i32>, tensor<i32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @resize_sizes_count(%x: tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32> {
  // expected-error @+2 {{resize: needs one size and one scale per dim}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.resize %x {sizes = array<i64: 8, 8>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, mode = "nearest", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64>, extrapolation_value = 0.0 : f64} : (tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32>
  return %0 : tensor<1x3x8x8xf32>
}

// -----

func.func @resize_scale_zero(%x: tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32> {
  // expected-error @+2 {{resize: scales must be positive and finite}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.resize %x {sizes = array<i64: 1, 3, 8, 8>, scales = array<f64: 1.0, 1.0, 2.0, 0.0>, mode = "nearest", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64>, extrapolation_value = 0.0 : f64} : (tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32>
  return %0 : tensor<1x3x8x8xf32>
}

// -----

func.func @resize_roi_count(%x: tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32> {
  // expected-error @+2 {{resize: roi needs 2 * rank numbers (starts, then ends)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.resize %x {sizes = array<i64: 1, 3, 8, 8>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, mode = "nearest", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64: 0.0, 1.0>, extrapolation_value = 0.0 : f64} : (tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32>
  return %0 : tensor<1x3x8x8xf32>
}

// -----

func.func @resize_mode(%x: tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32> {
  // expected-error @+2 {{resize: unknown mode 'area'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.resize %x {sizes = array<i64: 1, 3, 8, 8>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, mode = "area", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64>, extrapolation_value = 0.0 : f64} : (tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32>
  return %0 : tensor<1x3x8x8xf32>
}

// -----

func.func @resize_transformation(%x: tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32> {
  // expected-error @+2 {{resize: unknown coordinate_transformation_mode 'centre'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.resize %x {sizes = array<i64: 1, 3, 8, 8>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, mode = "nearest", coordinate_transformation_mode = "centre", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64>, extrapolation_value = 0.0 : f64} : (tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32>
  return %0 : tensor<1x3x8x8xf32>
}

// -----

func.func @resize_nearest_mode(%x: tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32> {
  // expected-error @+2 {{resize: unknown nearest_mode 'nearest'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.resize %x {sizes = array<i64: 1, 3, 8, 8>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, mode = "nearest", coordinate_transformation_mode = "half_pixel", nearest_mode = "nearest", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64>, extrapolation_value = 0.0 : f64} : (tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32>
  return %0 : tensor<1x3x8x8xf32>
}

// -----

func.func @resize_crop_without_roi(%x: tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32> {
  // expected-error @+2 {{resize: tf_crop_and_resize needs a roi}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.resize %x {sizes = array<i64: 1, 3, 8, 8>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, mode = "nearest", coordinate_transformation_mode = "tf_crop_and_resize", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64>, extrapolation_value = 0.0 : f64} : (tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32>
  return %0 : tensor<1x3x8x8xf32>
}

// -----

func.func @resize_nearest_antialias(%x: tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32> {
  // expected-error @+2 {{resize: antialias applies to linear and cubic modes only}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.resize %x {sizes = array<i64: 1, 3, 8, 8>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, mode = "nearest", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = true, roi = array<f64>, extrapolation_value = 0.0 : f64} : (tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32>
  return %0 : tensor<1x3x8x8xf32>
}

// -----

// TFLite's TRANSPOSE_CONV has no groups.
func.func @qconv_transpose_group(%x: tensor<1x2x2x4x!quant.uniform<i8:f32, 5.000000e-02>>, %w: tensor<4x2x2x1x!quant.uniform<i8:f32, 2.000000e-02>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 1.000000e-01>> {
  // expected-error @+1 {{'pare.qconv_transpose' op group must be 1 (TFLite TRANSPOSE_CONV has no groups), got 2}}
  %0 = pare.qconv_transpose %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, output_padding = array<i64: 0, 0>, group = 2 : i64, channels_last} : (tensor<1x2x2x4x!quant.uniform<i8:f32, 5.000000e-02>>, tensor<4x2x2x1x!quant.uniform<i8:f32, 2.000000e-02>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 1.000000e-01>>
  return %0 : tensor<1x4x4x2x!quant.uniform<i8:f32, 1.000000e-01>>
}

// -----

// The weight of a channels-last qconv_transpose is per channel along its last axis.
func.func @qconv_transpose_axis(%x: tensor<1x2x2x3x!quant.uniform<i8:f32, 5.000000e-02>>, %w: tensor<3x2x2x2x!quant.uniform<i8:f32:0, {2.000000e-02,3.000000e-02,4.000000e-02}>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 1.000000e-01>> {
  // expected-error @+1 {{'pare.qconv_transpose' op weight is quantized along axis 0; expected per tensor or axis 3}}
  %0 = pare.qconv_transpose %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, output_padding = array<i64: 0, 0>, group = 1 : i64, channels_last} : (tensor<1x2x2x3x!quant.uniform<i8:f32, 5.000000e-02>>, tensor<3x2x2x2x!quant.uniform<i8:f32:0, {2.000000e-02,3.000000e-02,4.000000e-02}>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 1.000000e-01>>
  return %0 : tensor<1x4x4x2x!quant.uniform<i8:f32, 1.000000e-01>>
}
