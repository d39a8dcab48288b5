// pare-insert-qdq on resize: nearest and a linear resize TFLite's integer
// bilinear computes get quantize / dequantize pairs whose result keeps the
// input's parameters (values are copied or averaged: no requantization); a
// cubic resize (it overshoots its inputs' range, and has no int8 kernel)
// stays in float.
// RUN: pare-opt %s --pare-insert-qdq | FileCheck %s

// Input [-1, 1]: scale 2/255, zero point 0, for the input and both resizes,
// whatever their own calibrated ranges.
// CHECK-LABEL: func.func @resize
// CHECK: %[[XQ:.*]] = pare.quantize %arg0 : (tensor<1x2x2x1xf32>) -> tensor<1x2x2x1x!quant.uniform<i8:f32, 0.0078431372549019607>>
// CHECK: %[[XD:.*]] = pare.dequantize %[[XQ]]
// CHECK: %[[N:.*]] = pare.resize %[[XD]] {{.*}}mode = "nearest"
// CHECK: pare.quantize %[[N]] : (tensor<1x4x4x1xf32>) -> tensor<1x4x4x1x!quant.uniform<i8:f32, 0.0078431372549019607>>
// CHECK: %[[L:.*]] = pare.resize %{{.*}} {{.*}}mode = "linear"
// CHECK: pare.quantize %[[L]] : (tensor<1x4x4x1xf32>) -> tensor<1x4x4x1x!quant.uniform<i8:f32, 0.0078431372549019607>>
// CHECK: %[[C:.*]] = pare.resize %{{.*}} {{.*}}mode = "cubic"
// CHECK-NOT: pare.quantize
// CHECK: return
func.func @resize(%x: tensor<1x2x2x1xf32> {pare.range = array<f32: -1.0, 1.0>}) -> (tensor<1x4x4x1xf32>, tensor<1x4x4x1xf32>, tensor<1x4x4x1xf32>) {
  %n = pare.resize %x {sizes = array<i64: 1, 4, 4, 1>, scales = array<f64: 1.0, 2.0, 2.0, 1.0>, mode = "nearest", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64>, extrapolation_value = 0.0 : f64, pare.ranges = array<f32: -0.5, 0.5>} : (tensor<1x2x2x1xf32>) -> tensor<1x4x4x1xf32>
  %l = pare.resize %x {sizes = array<i64: 1, 4, 4, 1>, scales = array<f64: 1.0, 2.0, 2.0, 1.0>, mode = "linear", coordinate_transformation_mode = "align_corners", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64>, extrapolation_value = 0.0 : f64, pare.ranges = array<f32: -0.5, 0.5>} : (tensor<1x2x2x1xf32>) -> tensor<1x4x4x1xf32>
  %c = pare.resize %x {sizes = array<i64: 1, 4, 4, 1>, scales = array<f64: 1.0, 2.0, 2.0, 1.0>, mode = "cubic", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64>, extrapolation_value = 0.0 : f64, pare.ranges = array<f32: -1.5, 1.5>} : (tensor<1x2x2x1xf32>) -> tensor<1x4x4x1xf32>
  return %n, %l, %c : tensor<1x4x4x1xf32>, tensor<1x4x4x1xf32>, tensor<1x4x4x1xf32>
}
