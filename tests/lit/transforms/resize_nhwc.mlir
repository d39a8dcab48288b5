// ConvertToNHWC: a transpose moves down through pare.resize, whose sizes,
// scales and roi follow their dims, so a resize between two convolutions
// works on their NHWC tensors and no transpose is left between them.
// RUN: pare-opt %s --pare-convert-to-nhwc | FileCheck %s

// CHECK-LABEL: func.func @fpn
// CHECK: pare.transpose %arg0
// CHECK-NEXT: pare.reshape
// CHECK-NEXT: %[[C:.*]] = pare.conv {{.*}}channels_last
// CHECK-NEXT: %[[R:.*]] = pare.resize %[[C]] {{{.*}}roi = array<f64: 0.000000e+00, 1.000000e-01, 2.000000e-01, 0.000000e+00, 1.000000e+00, 9.000000e-01, 8.000000e-01, 1.000000e+00>, scales = array<f64: 1.000000e+00, 2.000000e+00, 1.500000e+00, 1.000000e+00>, sizes = array<i64: 1, 8, 6, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x8x6x2xf32>
// CHECK-NEXT: pare.reshape
// CHECK-NEXT: pare.conv %[[R]]
// CHECK-NEXT: pare.transpose
// CHECK-NEXT: return
func.func @fpn(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>) -> tensor<1x2x8x6xf32> {
  %c = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %r = pare.resize %c {sizes = array<i64: 1, 2, 8, 6>, scales = array<f64: 1.0, 1.0, 2.0, 1.5>, roi = array<f64: 0.0, 0.0, 0.1, 0.2, 1.0, 1.0, 0.9, 0.8>, mode = "linear", coordinate_transformation_mode = "tf_crop_and_resize", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, extrapolation_value = 0.0 : f64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x8x6xf32>
  %d = pare.conv %r, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x2x8x6xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x8x6xf32>
  return %d : tensor<1x2x8x6xf32>
}
