// ConvertToNHWC: spatial ops compute channels-last between transposes that
// cancel across layout-agnostic ops; only the function boundary keeps them.
// RUN: pare-opt %s --pare-convert-to-nhwc --split-input-file | FileCheck %s

// A constant OIHW weight is transposed to OHWI at compile time:
// O=1, I=2, H=1, W=2: [[[[1, 2]], [[3, 4]]]] -> [[[[1, 3], [2, 4]]]].
// The result's NHWC -> NCHW transpose only moves a size-1 dim: a reshape.
// CHECK-LABEL: func.func @conv_constant_weight
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x3x3xf32>)
// CHECK: %[[W:.*]] = pare.constant dense<{{\[}}[{{\[}}[1.000000e+00, 3.000000e+00], [2.000000e+00, 4.000000e+00]]]]> : tensor<1x1x2x2xf32>
// CHECK: %[[T:.*]] = pare.transpose %[[X]] {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x3x3xf32>) -> tensor<1x3x3x2xf32>
// CHECK: %[[C:.*]] = pare.conv %[[T]], %[[W]] {channels_last, {{.*}}} : (tensor<1x3x3x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x3x2x1xf32>
// CHECK: %[[R:.*]] = pare.reshape %[[C]] : (tensor<1x3x2x1xf32>) -> tensor<1x1x3x2xf32>
// CHECK: return %[[R]]
func.func @conv_constant_weight(%x: tensor<1x2x3x3xf32>) -> tensor<1x1x3x2xf32> {
  %w = pare.constant dense<[[[[1.0, 2.0]], [[3.0, 4.0]]]]> : tensor<1x2x1x2xf32>
  %0 = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x2x3x3xf32>, tensor<1x2x1x2xf32>) -> tensor<1x1x3x2xf32>
  return %0 : tensor<1x1x3x2xf32>
}

// -----

// conv -> add(bias) -> relu -> max_pool -> conv -> concat -> softmax ->
// reduce_mean -> mul: one transpose in, one out. The constant bias [4,1,1]
// becomes [1,1,1,4]; concat / softmax / reduce axes move from 1 to 3; a
// run-time weight gets a transpose (or a reshape when it only moves unit dims).
// CHECK-LABEL: func.func @network
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x8x8xf32>, %[[W1:.*]]: tensor<4x3x3x3xf32>, %[[W2:.*]]: tensor<4x4x1x1xf32>)
// CHECK-DAG: %[[B:.*]] = pare.constant dense<{{\[}}[{{\[}}[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]]]]> : tensor<1x1x1x4xf32>
// CHECK-DAG: %[[XT:.*]] = pare.transpose %[[X]] {perm = array<i64: 0, 2, 3, 1>}
// CHECK-DAG: %[[W1T:.*]] = pare.transpose %[[W1]] {perm = array<i64: 0, 2, 3, 1>}
// CHECK: %[[C1:.*]] = pare.conv %[[XT]], %[[W1T]] {channels_last, {{.*}}} : (tensor<1x8x8x3xf32>, tensor<4x3x3x3xf32>) -> tensor<1x8x8x4xf32>
// CHECK: %[[A:.*]] = pare.add %[[C1]], %[[B]] : (tensor<1x8x8x4xf32>, tensor<1x1x1x4xf32>) -> tensor<1x8x8x4xf32>
// CHECK: %[[R:.*]] = pare.relu %[[A]] : (tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
// CHECK: %[[P:.*]] = pare.max_pool %[[R]] {ceil_mode = false, channels_last, {{.*}}} : (tensor<1x8x8x4xf32>) -> tensor<1x4x4x4xf32>
// CHECK: %[[W2R:.*]] = pare.reshape %[[W2]] : (tensor<4x4x1x1xf32>) -> tensor<4x1x1x4xf32>
// CHECK: %[[C2:.*]] = pare.conv %[[P]], %[[W2R]] {channels_last, {{.*}}} : (tensor<1x4x4x4xf32>, tensor<4x1x1x4xf32>) -> tensor<1x4x4x4xf32>
// CHECK: %[[CAT:.*]] = pare.concat %[[P]], %[[C2]] {axis = 3 : i64} : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x8xf32>
// CHECK: %[[SM:.*]] = pare.softmax %[[CAT]] {axis = 3 : i64}
// CHECK: %[[RM:.*]] = pare.reduce_mean %[[SM]] {axes = array<i64: 3>, keepdims = true} : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x1xf32>
// CHECK: %[[M:.*]] = pare.mul %[[C2]], %[[RM]] : (tensor<1x4x4x4xf32>, tensor<1x4x4x1xf32>) -> tensor<1x4x4x4xf32>
// CHECK: %[[OUT:.*]] = pare.transpose %[[M]] {perm = array<i64: 0, 3, 1, 2>}
// CHECK-NOT: pare.transpose
// CHECK: return %[[OUT]]
func.func @network(%x: tensor<1x3x8x8xf32>, %w1: tensor<4x3x3x3xf32>, %w2: tensor<4x4x1x1xf32>) -> tensor<1x4x4x4xf32> {
  %b = pare.constant dense<[[[1.0]], [[2.0]], [[3.0]], [[4.0]]]> : tensor<4x1x1xf32>
  %0 = pare.conv %x, %w1 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  %1 = pare.add %0, %b : (tensor<1x4x8x8xf32>, tensor<4x1x1xf32>) -> tensor<1x4x8x8xf32>
  %2 = pare.relu %1 : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %3 = pare.max_pool %2 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  %4 = pare.conv %3, %w2 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x4x4x4xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x4x4xf32>
  %5 = pare.concat %3, %4 {axis = 1 : i64} : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x8x4x4xf32>
  %6 = pare.softmax %5 {axis = 1 : i64} : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %7 = pare.reduce_mean %6 {axes = array<i64: 1>, keepdims = true} : (tensor<1x8x4x4xf32>) -> tensor<1x1x4x4xf32>
  %8 = pare.mul %4, %7 : (tensor<1x4x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x4x4x4xf32>
  return %8 : tensor<1x4x4x4xf32>
}

// -----

// Squeeze-excite: the 1xCx1x1 gate computed at run time joins the NHWC
// tensor without a transpose (moving unit dims is free).
// CHECK-LABEL: func.func @squeeze_excite
// CHECK: pare.transpose %{{.*}} {perm = array<i64: 0, 2, 3, 1>}
// CHECK-NOT: pare.transpose
// CHECK: %[[C:.*]] = pare.conv {{.*}}channels_last
// CHECK: %[[G:.*]] = pare.global_average_pool %[[C]] {channels_last} : (tensor<1x4x4x4xf32>) -> tensor<1x1x1x4xf32>
// CHECK: %[[S:.*]] = pare.sigmoid %[[G]] : (tensor<1x1x1x4xf32>) -> tensor<1x1x1x4xf32>
// CHECK: %[[M:.*]] = pare.mul %[[C]], %[[S]] : (tensor<1x4x4x4xf32>, tensor<1x1x1x4xf32>) -> tensor<1x4x4x4xf32>
// CHECK: pare.transpose %[[M]] {perm = array<i64: 0, 3, 1, 2>}
// CHECK-NOT: pare.transpose
// CHECK: return
func.func @squeeze_excite(%x: tensor<1x4x4x4xf32>, %w: tensor<4x4x1x1xf32>) -> tensor<1x4x4x4xf32> {
  %0 = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x4x4x4xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x4x4xf32>
  %1 = pare.global_average_pool %0 : (tensor<1x4x4x4xf32>) -> tensor<1x4x1x1xf32>
  %2 = pare.sigmoid %1 : (tensor<1x4x1x1xf32>) -> tensor<1x4x1x1xf32>
  %3 = pare.mul %0, %2 : (tensor<1x4x4x4xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x4x4xf32>
  return %3 : tensor<1x4x4x4xf32>
}

// -----

// Batch norm and average pooling switch too; ops of other ranks and ops
// already channels-last stay as they are.
// CHECK-LABEL: func.func @batch_norm_pool_and_others
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x4x4xf32>, %[[Y:.*]]: tensor<2x3x4xf32>, %[[P:.*]]: tensor<2xf32>, %[[Z:.*]]: tensor<1x4x4x2xf32>)
// CHECK: %[[T:.*]] = pare.transpose %[[X]] {perm = array<i64: 0, 2, 3, 1>}
// CHECK: %[[BN:.*]] = pare.batch_norm %[[T]], %[[P]], %[[P]], %[[P]], %[[P]] {channels_last, {{.*}}} : (tensor<1x4x4x2xf32>, {{.*}}) -> tensor<1x4x4x2xf32>
// CHECK: %[[AP:.*]] = pare.average_pool %[[BN]] {ceil_mode = false, channels_last, count_include_pad = true, {{.*}}} : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
// CHECK: %[[BACK:.*]] = pare.transpose %[[AP]] {perm = array<i64: 0, 3, 1, 2>}
// CHECK: %[[R:.*]] = pare.relu %[[Y]] : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
// CHECK: %[[GM:.*]] = pare.global_max_pool %[[Z]] {channels_last} : (tensor<1x4x4x2xf32>) -> tensor<1x1x1x2xf32>
// CHECK: return %[[BACK]], %[[R]], %[[GM]]
func.func @batch_norm_pool_and_others(%x: tensor<1x2x4x4xf32>, %y: tensor<2x3x4xf32>, %p: tensor<2xf32>, %z: tensor<1x4x4x2xf32>) -> (tensor<1x2x2x2xf32>, tensor<2x3x4xf32>, tensor<1x1x1x2xf32>) {
  %0 = pare.batch_norm %x, %p, %p, %p, %p {epsilon = 1.0e-5 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %1 = pare.average_pool %0 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = true} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %2 = pare.relu %y : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %3 = pare.global_max_pool %z {channels_last} : (tensor<1x4x4x2xf32>) -> tensor<1x1x1x2xf32>
  return %1, %2, %3 : tensor<1x2x2x2xf32>, tensor<2x3x4xf32>, tensor<1x1x1x2xf32>
}
