// LowerQuantized with ONNX rounding (models that arrive quantized): pools and
// softmax follow onnxruntime. dequantize -> average_pool -> quantize and
// dequantize -> softmax -> quantize become int8 ops (onnxruntime's
// QLinearAveragePool / QLinearSoftmax) that keep the input's quantization
// and carry the output's in pare.out_scale / pare.out_zero_point, retyped by
// two storage casts; global average pool becomes pare.qglobal_average_pool.
// A pool whose dequantize feeds other ops stays in float (onnxruntime does
// not fuse it either).
// RUN: pare-opt %s --pare-lower-quantized --canonicalize --split-input-file | FileCheck %s

!x = !quant.uniform<i8:f32, 0.5:-1>
!y = !quant.uniform<i8:f32, 0.25:3>
// CHECK-LABEL: func.func @avgpool
// CHECK: %[[P:.*]] = pare.average_pool %{{.*}} {{{.*}}pare.out_scale = 2.500000e-01 : f64, pare.out_zero_point = 3 : i64{{.*}}} : (tensor<1x2x4x4x!quant.uniform<i8:f32, 5.000000e-01:-1>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 5.000000e-01:-1>>
// CHECK: %[[R:.*]] = pare.storage_cast %[[P]] {{.*}} -> tensor<1x2x2x2xi8>
// CHECK: pare.storage_cast %[[R]] {{.*}} -> tensor<1x2x2x2x!quant.uniform<i8:f32, 2.500000e-01:3>>
// CHECK-NOT: pare.quantize %{{.*}} : (tensor<1x2x2x2xf32>)
module attributes {pare.int8_rounding = "onnx"} {
func.func @avgpool(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %xq = pare.quantize %x : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4x!x>
  %xf = pare.dequantize %xq : (tensor<1x2x4x4x!x>) -> tensor<1x2x4x4xf32>
  %p = pare.average_pool %xf {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %yq = pare.quantize %p : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2x!y>
  %yf = pare.dequantize %yq : (tensor<1x2x2x2x!y>) -> tensor<1x2x2x2xf32>
  return %yf : tensor<1x2x2x2xf32>
}
}

// -----

!x = !quant.uniform<i8:f32, 0.5:-1>
!y = !quant.uniform<i8:f32, 0.25:3>
// CHECK-LABEL: func.func @avgpool_shared
// CHECK: pare.average_pool %{{.*}} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
module attributes {pare.int8_rounding = "onnx"} {
func.func @avgpool_shared(%x: tensor<1x2x4x4xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x4x4xf32>) {
  %xq = pare.quantize %x : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4x!x>
  %xf = pare.dequantize %xq : (tensor<1x2x4x4x!x>) -> tensor<1x2x4x4xf32>
  %p = pare.average_pool %xf {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %yq = pare.quantize %p : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2x!y>
  %yf = pare.dequantize %yq : (tensor<1x2x2x2x!y>) -> tensor<1x2x2x2xf32>
  return %yf, %xf : tensor<1x2x2x2xf32>, tensor<1x2x4x4xf32>
}
}

// -----

!x = !quant.uniform<i8:f32, 0.5:-1>
!y = !quant.uniform<i8:f32, 0.25:3>
// CHECK-LABEL: func.func @gap
// CHECK: pare.qglobal_average_pool %{{.*}} : (tensor<1x2x4x4x!quant.uniform<i8:f32, 5.000000e-01:-1>>) -> tensor<1x2x1x1x!quant.uniform<i8:f32, 2.500000e-01:3>>
module attributes {pare.int8_rounding = "onnx"} {
func.func @gap(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x1x1xf32> {
  %xq = pare.quantize %x : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4x!x>
  %xf = pare.dequantize %xq : (tensor<1x2x4x4x!x>) -> tensor<1x2x4x4xf32>
  %p = pare.global_average_pool %xf : (tensor<1x2x4x4xf32>) -> tensor<1x2x1x1xf32>
  %yq = pare.quantize %p : (tensor<1x2x1x1xf32>) -> tensor<1x2x1x1x!y>
  %yf = pare.dequantize %yq : (tensor<1x2x1x1x!y>) -> tensor<1x2x1x1xf32>
  return %yf : tensor<1x2x1x1xf32>
}
}

// -----

!x = !quant.uniform<i8:f32, 0.5:3>
!y = !quant.uniform<i8:f32, 0.00390625:-128>
// CHECK-LABEL: func.func @softmax
// CHECK: %[[S:.*]] = pare.softmax %{{.*}} {axis = -1 : i64, pare.out_scale = 3.906250e-03 : f64, pare.out_zero_point = -128 : i64} : (tensor<1x4x!quant.uniform<i8:f32, 5.000000e-01:3>>) -> tensor<1x4x!quant.uniform<i8:f32, 5.000000e-01:3>>
// CHECK: %[[R:.*]] = pare.storage_cast %[[S]] {{.*}} -> tensor<1x4xi8>
// CHECK: pare.storage_cast %[[R]] {{.*}} -> tensor<1x4x!quant.uniform<i8:f32, 3.906250e-03:-128>>
module attributes {pare.int8_rounding = "onnx"} {
func.func @softmax(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %xq = pare.quantize %x : (tensor<1x4xf32>) -> tensor<1x4x!x>
  %xf = pare.dequantize %xq : (tensor<1x4x!x>) -> tensor<1x4xf32>
  %s = pare.softmax %xf {axis = -1 : i64} : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %yq = pare.quantize %s : (tensor<1x4xf32>) -> tensor<1x4x!y>
  %yf = pare.dequantize %yq : (tensor<1x4x!y>) -> tensor<1x4xf32>
  return %yf : tensor<1x4xf32>
}
}
