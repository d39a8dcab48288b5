// pare-insert-qdq: calibrated ranges (pare.range on arguments, pare.ranges on
// op results) become dequantize(quantize(x)) pairs around every op with an
// int8 kernel, with TFLite's asymmetric int8 parameters for the range
// widened to include 0: scale = (max - min) / 255, zero point
// round(-128 - min / scale). Conv / gemm / matmul weights become symmetric
// per-output-channel int8 constants (scale max|w| / 127, round half to
// even); biases stay float. The ranges are removed.
// RUN: pare-opt %s --split-input-file --pare-insert-qdq -verify-diagnostics | FileCheck %s

// Input [-1, 1]: scale 2/255, zero point 0. Weight channel 0: 0.5 / 127, and
// -0.25 is -63.5 steps -> -64; channel 1: 1 / 127. Conv result [-2, 2]:
// 4/255. The max pool keeps its input's parameters (its own range [0, 2] is
// not used), so its int8 kernel needs no requantization.
// CHECK-LABEL: func.func @conv_pool
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x2x2xf32>) -> tensor<1x1x1x2xf32>
// CHECK: %[[W:.*]] = pare.constant dense<{{\[\[\[\[}}5.000000e-01, -2.500000e-01]]], {{\[\[\[}}1.000000e+00, 0.000000e+00]]]]> : tensor<2x1x1x2xf32>
// CHECK: %[[B:.*]] = pare.constant dense<[1.250000e-01, 2.500000e-01]> : tensor<2xf32>
// CHECK: %[[XQ:.*]] = pare.quantize %[[X]] : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.0078431372549019607>>
// CHECK: %[[XD:.*]] = pare.dequantize %[[XQ]]
// CHECK: %[[W8:.*]] = pare.constant dense<{{\[\[\[\[}}127, -64]]], {{\[\[\[}}127, 0]]]]> : tensor<2x1x1x2xi8>
// CHECK: %[[WQ:.*]] = pare.storage_cast %[[W8]] : (tensor<2x1x1x2xi8>) -> tensor<2x1x1x2x!quant.uniform<i8:f32:0, {0.003937007874015748,0.0078740157480314959}>>
// CHECK: %[[WD:.*]] = pare.dequantize %[[WQ]]
// CHECK: %[[C:.*]] = pare.conv %[[XD]], %[[WD]], %[[B]] {channels_last, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
// CHECK: %[[CQ:.*]] = pare.quantize %[[C]] : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.015686274509803921>>
// CHECK: %[[CD:.*]] = pare.dequantize %[[CQ]]
// CHECK: %[[P:.*]] = pare.max_pool %[[CD]] {ceil_mode = false, channels_last, count_include_pad = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
// CHECK: %[[PQ:.*]] = pare.quantize %[[P]] : (tensor<1x1x1x2xf32>) -> tensor<1x1x1x2x!quant.uniform<i8:f32, 0.015686274509803921>>
// CHECK: %[[PD:.*]] = pare.dequantize %[[PQ]]
// CHECK: return %[[PD]]
// CHECK-NOT: pare.range
func.func @conv_pool(%x: tensor<1x2x2x2xf32> {pare.range = array<f32: -1.0, 1.0>}) -> tensor<1x1x1x2xf32> {
  %w = pare.constant dense<[[[[0.5, -0.25]]], [[[1.0, 0.0]]]]> : tensor<2x1x1x2xf32>
  %b = pare.constant dense<[0.125, 0.25]> : tensor<2xf32>
  %c = pare.conv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last, pare.ranges = array<f32: -2.0, 2.0>} : (tensor<1x2x2x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %p = pare.max_pool %c {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false, channels_last, pare.ranges = array<f32: 0.0, 2.0>} : (tensor<1x2x2x2xf32>) -> tensor<1x1x1x2xf32>
  return %p : tensor<1x1x1x2xf32>
}

// -----

// An op whose result (sigmoid) or one of whose inputs (the add reads the
// sigmoid) has no range stays in float, with a warning at the op; the relu
// before them is quantized ([0, 1]: scale 1/255, zero point -128).
// CHECK-LABEL: func.func @no_range
// CHECK: pare.quantize %{{.*}} -> tensor<4x!quant.uniform<i8:f32, 0.0039215686274509803:-128>>
// CHECK: %[[R:.*]] = pare.relu
// CHECK: %[[RQ:.*]] = pare.quantize %[[R]] : (tensor<4xf32>) -> tensor<4x!quant.uniform<i8:f32, 0.0039215686274509803:-128>>
// CHECK: %[[RD:.*]] = pare.dequantize %[[RQ]]
// CHECK-NEXT: %[[S:.*]] = pare.sigmoid %[[RD]] : (tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT: %[[A:.*]] = pare.add %[[S]], %[[RD]] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT: return %[[A]]
// CHECK-NOT: pare.range
func.func @no_range(%x: tensor<4xf32> {pare.range = array<f32: 0.0, 1.0>}) -> tensor<4xf32> {
  %0 = pare.relu %x {pare.ranges = array<f32: 0.0, 1.0>} : (tensor<4xf32>) -> tensor<4xf32>
  // expected-warning @+1 {{no calibration range; left in float}}
  %1 = pare.sigmoid %0 : (tensor<4xf32>) -> tensor<4xf32>
  // expected-warning @+1 {{no calibration range; left in float}}
  %2 = pare.add %1, %0 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %2 : tensor<4xf32>
}
