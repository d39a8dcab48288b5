// LowerQuantized: dequantize -> resize -> quantize becomes pare.resize on the
// int8 tensor in the input's quantization (nearest copies stored values;
// linear is TFLite's integer RESIZE_BILINEAR), requantized where the output's
// quantization differs. A linear resize TFLite cannot compute
// (half_pixel_symmetric here), and any linear resize of a model that arrives
// quantized (ONNX rounding: onnxruntime interpolates in float), stays in float.
// RUN: pare-opt %s --pare-lower-quantized --canonicalize --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @nearest
// CHECK-NEXT: %[[R:.*]] = pare.resize %arg0 {{.*}} : (tensor<1x4x4x2x!quant.uniform<i8:f32, 5.000000e-01:-3>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 5.000000e-01:-3>>
// CHECK-NEXT: pare.requantize %[[R]] {{.*}} -> tensor<1x8x8x2x!quant.uniform<i8:f32, 2.500000e-01:10>>
// CHECK-LABEL: func.func @bilinear
// CHECK-NEXT: %[[R:.*]] = pare.resize %arg0 {{.*}}mode = "linear"{{.*}} -> tensor<1x8x8x2x!quant.uniform<i8:f32, 5.000000e-01:-3>>
// CHECK-NEXT: pare.dequantize %[[R]]
// CHECK-LABEL: func.func @symmetric
// CHECK-NEXT: pare.dequantize %arg0
// CHECK-NEXT: pare.resize %{{.*}} : (tensor<1x4x4x2xf32>) -> tensor<1x8x8x2xf32>
// CHECK-NEXT: pare.quantize
!a = !quant.uniform<i8:f32, 0.5:-3>
!b = !quant.uniform<i8:f32, 0.25:10>
func.func @nearest(%x: tensor<1x4x4x2x!a>) -> tensor<1x8x8x2xf32> {
  %f = pare.dequantize %x : (tensor<1x4x4x2x!a>) -> tensor<1x4x4x2xf32>
  %r = pare.resize %f {sizes = array<i64: 1, 8, 8, 2>, scales = array<f64: 1.0, 2.0, 2.0, 1.0>, mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64>, extrapolation_value = 0.0 : f64} : (tensor<1x4x4x2xf32>) -> tensor<1x8x8x2xf32>
  %q = pare.quantize %r : (tensor<1x8x8x2xf32>) -> tensor<1x8x8x2x!b>
  %o = pare.dequantize %q : (tensor<1x8x8x2x!b>) -> tensor<1x8x8x2xf32>
  return %o : tensor<1x8x8x2xf32>
}
func.func @bilinear(%x: tensor<1x4x4x2x!a>) -> tensor<1x8x8x2xf32> {
  %f = pare.dequantize %x : (tensor<1x4x4x2x!a>) -> tensor<1x4x4x2xf32>
  %r = pare.resize %f {sizes = array<i64: 1, 8, 8, 2>, scales = array<f64: 1.0, 2.0, 2.0, 1.0>, mode = "linear", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64>, extrapolation_value = 0.0 : f64} : (tensor<1x4x4x2xf32>) -> tensor<1x8x8x2xf32>
  %q = pare.quantize %r : (tensor<1x8x8x2xf32>) -> tensor<1x8x8x2x!a>
  %o = pare.dequantize %q : (tensor<1x8x8x2x!a>) -> tensor<1x8x8x2xf32>
  return %o : tensor<1x8x8x2xf32>
}
func.func @symmetric(%x: tensor<1x4x4x2x!a>) -> tensor<1x8x8x2xf32> {
  %f = pare.dequantize %x : (tensor<1x4x4x2x!a>) -> tensor<1x4x4x2xf32>
  %r = pare.resize %f {sizes = array<i64: 1, 8, 8, 2>, scales = array<f64: 1.0, 2.0, 2.0, 1.0>, mode = "linear", coordinate_transformation_mode = "half_pixel_symmetric", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64>, extrapolation_value = 0.0 : f64} : (tensor<1x4x4x2xf32>) -> tensor<1x8x8x2xf32>
  %q = pare.quantize %r : (tensor<1x8x8x2xf32>) -> tensor<1x8x8x2x!a>
  %o = pare.dequantize %q : (tensor<1x8x8x2x!a>) -> tensor<1x8x8x2xf32>
  return %o : tensor<1x8x8x2xf32>
}

// -----

!a = !quant.uniform<i8:f32, 0.5:-3>
// CHECK-LABEL: func.func @bilinear_onnx_rounding
// CHECK-NEXT: pare.dequantize %arg0
// CHECK-NEXT: pare.resize %{{.*}} : (tensor<1x4x4x2xf32>) -> tensor<1x8x8x2xf32>
// CHECK-NEXT: pare.quantize
module attributes {pare.int8_rounding = "onnx"} {
func.func @bilinear_onnx_rounding(%x: tensor<1x4x4x2x!a>) -> tensor<1x8x8x2xf32> {
  %f = pare.dequantize %x : (tensor<1x4x4x2x!a>) -> tensor<1x4x4x2xf32>
  %r = pare.resize %f {sizes = array<i64: 1, 8, 8, 2>, scales = array<f64: 1.0, 2.0, 2.0, 1.0>, mode = "linear", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64>, extrapolation_value = 0.0 : f64} : (tensor<1x4x4x2xf32>) -> tensor<1x8x8x2xf32>
  %q = pare.quantize %r : (tensor<1x8x8x2xf32>) -> tensor<1x8x8x2x!a>
  %o = pare.dequantize %q : (tensor<1x8x8x2x!a>) -> tensor<1x8x8x2xf32>
  return %o : tensor<1x8x8x2xf32>
}
}
