// LowerQuantized: a ReduceMean over height and width of a 4-D tensor becomes
// TFLite's int8 MEAN, the int8 global average pool (NHWC, axes 1, 2; an NCHW
// mean over axes 2, 3 is transposed to NHWC first), reshaped to the
// reduction's shape. An average pool whose padded windows count their padding
// (count_include_pad, which TFLite has no mode for) lowers to int8 only with
// zero point 0, where the cells outside the input are real zeros; otherwise it
// stays in float.
// RUN: pare-opt %s --pare-lower-quantized --canonicalize --split-input-file | FileCheck %s

!x = !quant.uniform<i8:f32, 0.5:-3>
!y = !quant.uniform<i8:f32, 0.25:7>
// CHECK-LABEL: func.func @mean_nhwc
// CHECK: %[[P:.*]] = pare.qglobal_average_pool %{{.*}} {channels_last} : (tensor<1x5x5x8x!quant.uniform<i8:f32, 5.000000e-01:-3>>) -> tensor<1x1x1x8x!quant.uniform<i8:f32, 2.500000e-01:7>>
// CHECK: %[[R:.*]] = pare.reshape %[[P]] : (tensor<1x1x1x8x!quant.uniform<i8:f32, 2.500000e-01:7>>) -> tensor<1x8x!quant.uniform<i8:f32, 2.500000e-01:7>>
// CHECK: pare.dequantize %[[R]]
// CHECK-NOT: reduce_mean
func.func @mean_nhwc(%x: tensor<1x5x5x8xf32>) -> tensor<1x8xf32> {
  %xq = pare.quantize %x : (tensor<1x5x5x8xf32>) -> tensor<1x5x5x8x!x>
  %xf = pare.dequantize %xq : (tensor<1x5x5x8x!x>) -> tensor<1x5x5x8xf32>
  %m = pare.reduce_mean %xf {axes = array<i64: 1, 2>, keepdims = false} : (tensor<1x5x5x8xf32>) -> tensor<1x8xf32>
  %yq = pare.quantize %m : (tensor<1x8xf32>) -> tensor<1x8x!y>
  %yf = pare.dequantize %yq : (tensor<1x8x!y>) -> tensor<1x8xf32>
  return %yf : tensor<1x8xf32>
}

// -----

!x = !quant.uniform<i8:f32, 0.5:-3>
!y = !quant.uniform<i8:f32, 0.25:7>
// CHECK-LABEL: func.func @mean_nchw
// CHECK: %[[T:.*]] = pare.transpose %{{.*}} {perm = array<i64: 0, 2, 3, 1>} : (tensor<2x8x5x6x!quant.uniform<i8:f32, 5.000000e-01:-3>>) -> tensor<2x5x6x8x!quant.uniform<i8:f32, 5.000000e-01:-3>>
// CHECK: %[[P:.*]] = pare.qglobal_average_pool %[[T]] {channels_last} : {{.*}} -> tensor<2x1x1x8x!quant.uniform<i8:f32, 2.500000e-01:7>>
// CHECK: pare.reshape %[[P]] : {{.*}} -> tensor<2x8x1x1x!quant.uniform<i8:f32, 2.500000e-01:7>>
// CHECK-NOT: reduce_mean
func.func @mean_nchw(%x: tensor<2x8x5x6xf32>) -> tensor<2x8x1x1xf32> {
  %xq = pare.quantize %x : (tensor<2x8x5x6xf32>) -> tensor<2x8x5x6x!x>
  %xf = pare.dequantize %xq : (tensor<2x8x5x6x!x>) -> tensor<2x8x5x6xf32>
  %m = pare.reduce_mean %xf {axes = array<i64: 2, 3>, keepdims = true} : (tensor<2x8x5x6xf32>) -> tensor<2x8x1x1xf32>
  %yq = pare.quantize %m : (tensor<2x8x1x1xf32>) -> tensor<2x8x1x1x!y>
  %yf = pare.dequantize %yq : (tensor<2x8x1x1x!y>) -> tensor<2x8x1x1xf32>
  return %yf : tensor<2x8x1x1xf32>
}

// -----

!x = !quant.uniform<i8:f32, 0.5:-3>
!y = !quant.uniform<i8:f32, 0.25:7>
// A mean over other axes stays in float.
// CHECK-LABEL: func.func @mean_channels
// CHECK: pare.reduce_mean %{{.*}} {axes = array<i64: 3>
func.func @mean_channels(%x: tensor<1x5x5x8xf32>) -> tensor<1x5x5xf32> {
  %xq = pare.quantize %x : (tensor<1x5x5x8xf32>) -> tensor<1x5x5x8x!x>
  %xf = pare.dequantize %xq : (tensor<1x5x5x8x!x>) -> tensor<1x5x5x8xf32>
  %m = pare.reduce_mean %xf {axes = array<i64: 3>, keepdims = false} : (tensor<1x5x5x8xf32>) -> tensor<1x5x5xf32>
  %yq = pare.quantize %m : (tensor<1x5x5xf32>) -> tensor<1x5x5x!y>
  %yf = pare.dequantize %yq : (tensor<1x5x5x!y>) -> tensor<1x5x5xf32>
  return %yf : tensor<1x5x5xf32>
}

// -----

!x = !quant.uniform<i8:f32, 0.5:-3>
!z = !quant.uniform<i8:f32, 0.5:0>
// CHECK-LABEL: func.func @avgpool_count_include_pad
// Zero point -3: the padded window stays in float.
// CHECK: pare.average_pool %{{.*}} : (tensor<1x9x9x4xf32>) -> tensor<1x5x5x4xf32>
// Zero point 0: int8.
// CHECK: pare.average_pool %{{.*}} : (tensor<1x9x9x4x!quant.uniform<i8:f32, 5.000000e-01>>) -> tensor<1x5x5x4x!quant.uniform<i8:f32, 5.000000e-01>>
func.func @avgpool_count_include_pad(%x: tensor<1x9x9x4xf32>) -> (tensor<1x5x5x4xf32>, tensor<1x5x5x4xf32>) {
  %xq = pare.quantize %x : (tensor<1x9x9x4xf32>) -> tensor<1x9x9x4x!x>
  %xf = pare.dequantize %xq : (tensor<1x9x9x4x!x>) -> tensor<1x9x9x4xf32>
  %p = pare.average_pool %xf {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, ceil_mode = false, count_include_pad = true, channels_last} : (tensor<1x9x9x4xf32>) -> tensor<1x5x5x4xf32>
  %pq = pare.quantize %p : (tensor<1x5x5x4xf32>) -> tensor<1x5x5x4x!x>
  %pf = pare.dequantize %pq : (tensor<1x5x5x4x!x>) -> tensor<1x5x5x4xf32>
  %zq = pare.quantize %x : (tensor<1x9x9x4xf32>) -> tensor<1x9x9x4x!z>
  %zf = pare.dequantize %zq : (tensor<1x9x9x4x!z>) -> tensor<1x9x9x4xf32>
  %r = pare.average_pool %zf {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, ceil_mode = false, count_include_pad = true, channels_last} : (tensor<1x9x9x4xf32>) -> tensor<1x5x5x4xf32>
  %rq = pare.quantize %r : (tensor<1x5x5x4xf32>) -> tensor<1x5x5x4x!z>
  %rf = pare.dequantize %rq : (tensor<1x5x5x4x!z>) -> tensor<1x5x5x4xf32>
  return %pf, %rf : tensor<1x5x5x4xf32>, tensor<1x5x5x4xf32>
}
