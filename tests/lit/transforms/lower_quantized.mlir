// LowerQuantized: dequantize -> float op -> quantize becomes an int8 op that
// reads its scales from the quant element types; float biases become i32
// with scale x_scale * w_scale[c]; unary activations become 256-entry
// tables; uint8 becomes int8 (zero point - 128) inside the graph.
// RUN: pare-opt %s --pare-lower-quantized --canonicalize --split-input-file | FileCheck %s

!x = !quant.uniform<i8:f32, 0.5:-3>
!w = !quant.uniform<i8:f32:0, {0.25, 0.125}>
!y = !quant.uniform<i8:f32, 1.0:5>
// CHECK-LABEL: func.func @conv
// CHECK: %[[B:.*]] = pare.constant dense<[8, -32]> : tensor<2xi32>
// CHECK: %[[C:.*]] = pare.qconv %{{.*}}, %{{.*}}, %[[B]] {activation = "relu", channels_last
// CHECK-SAME: -> tensor<1x4x4x2x!quant.uniform<i8:f32, 1.000000e+00:5>>
// CHECK-NOT: pare.conv
// CHECK: pare.dequantize %[[C]]
func.func @conv(%x: tensor<1x4x4x3xf32>) -> tensor<1x4x4x2xf32> {
  %w8 = pare.constant dense<1> : tensor<2x1x1x3xi8>
  %wq = pare.storage_cast %w8 : (tensor<2x1x1x3xi8>) -> tensor<2x1x1x3x!w>
  %wf = pare.dequantize %wq : (tensor<2x1x1x3x!w>) -> tensor<2x1x1x3xf32>
  %b = pare.constant dense<[1.0, -2.0]> : tensor<2xf32>
  %xq = pare.quantize %x : (tensor<1x4x4x3xf32>) -> tensor<1x4x4x3x!x>
  %xf = pare.dequantize %xq : (tensor<1x4x4x3x!x>) -> tensor<1x4x4x3xf32>
  %c = pare.conv %xf, %wf, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last, activation = "relu"} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  %yq = pare.quantize %c : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2x!y>
  %yf = pare.dequantize %yq : (tensor<1x4x4x2x!y>) -> tensor<1x4x4x2xf32>
  return %yf : tensor<1x4x4x2xf32>
}

// -----

!a = !quant.uniform<i8:f32, 0.5:0>
!o = !quant.uniform<i8:f32, 1.0:0>
// CHECK-LABEL: func.func @add_and_table
// CHECK: %[[S:.*]] = pare.qadd
// CHECK: pare.lookup_table %[[S]] {function = "relu", table = array<i8: 0, 0,
// CHECK-NOT: pare.add
// CHECK-NOT: pare.relu
func.func @add_and_table(%a: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<8xf32> {
  %aq = pare.quantize %a : (tensor<8xf32>) -> tensor<8x!a>
  %af = pare.dequantize %aq : (tensor<8x!a>) -> tensor<8xf32>
  %bq = pare.quantize %b : (tensor<8xf32>) -> tensor<8x!a>
  %bf = pare.dequantize %bq : (tensor<8x!a>) -> tensor<8xf32>
  %s = pare.add %af, %bf : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %sq = pare.quantize %s : (tensor<8xf32>) -> tensor<8x!o>
  %sf = pare.dequantize %sq : (tensor<8x!o>) -> tensor<8xf32>
  %r = pare.relu %sf : (tensor<8xf32>) -> tensor<8xf32>
  %rq = pare.quantize %r : (tensor<8xf32>) -> tensor<8x!o>
  %rf = pare.dequantize %rq : (tensor<8x!o>) -> tensor<8xf32>
  return %rf : tensor<8xf32>
}

// -----

// A uint8 input becomes int8 by a flip at the edge; requantize and
// dequantize then work on int8.
!u = !quant.uniform<u8:f32, 0.5:128>
// CHECK-LABEL: func.func @uint8_input
// CHECK: %[[Q:.*]] = pare.storage_cast %arg0 : (tensor<4xui8>) -> tensor<4x!quant.uniform<u8:f32, 5.000000e-01:128>>
// CHECK: %[[F:.*]] = pare.requantize %[[Q]] : {{.*}} -> tensor<4x!quant.uniform<i8:f32, 5.000000e-01>>
// CHECK: pare.dequantize %[[F]]
func.func @uint8_input(%x: tensor<4xui8>) -> tensor<4xf32> {
  %q = pare.storage_cast %x : (tensor<4xui8>) -> tensor<4x!u>
  %f = pare.dequantize %q : (tensor<4x!u>) -> tensor<4xf32>
  return %f : tensor<4xf32>
}
