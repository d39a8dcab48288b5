// Resize kernel calls (runtime-stubs/c/pare_k_resize.c): the sampling tables
// of each dim in the weights file, copied dims merged (leading ones into one
// dim, trailing ones into the contiguous inner block: an NHWC bilinear
// resize reads 3 channels per tap), and tf_crop_and_resize's coordinates
// outside the crop marked -1.
// RUN: rm -rf %t && pare compile %s -o %t --name rs -q
// RUN: FileCheck %s --input-file %t/rs.c
// RUN: FileCheck %s --check-prefix=W --input-file %t/rs_weights.c
// RUN: cd %t && for f in *.c; do gcc -std=c99 -Wall -Wextra -Werror -pedantic -c "$f" -o "$f.o" || exit 1; done

// CHECK: /* ONNX node "up": resize -> 1x3x8x8 */
// CHECK-NEXT: {
// CHECK-NEXT: static const pare_resize_dim_t dims[3] = {
// CHECK-NEXT: {3, 3, 0, NULL, NULL},
// CHECK-NEXT: {4, 8, 1, rs_up_resize_index_2, NULL},
// CHECK-NEXT: {4, 8, 1, rs_up_resize_index_3, NULL},
// CHECK-NEXT: };
// CHECK-NEXT: static const float extrapolation = 0.0f;
// CHECK-NEXT: pare_resize_nearest(4, input0, output0, dims, 3, 1, &extrapolation);

// CHECK: /* ONNX node "bilinear": resize -> 1x7x7x3 */
// CHECK: {1, 1, 0, NULL, NULL},
// CHECK-NEXT: {4, 7, 2, rs_bilinear_resize_index_1, rs_bilinear_resize_weight_1},
// CHECK-NEXT: {4, 7, 2, rs_bilinear_resize_index_2, rs_bilinear_resize_weight_2},
// CHECK: pare_resize_f32(input1, output1, dims, 3, 3, 0.0f);

// CHECK: /* ONNX node "crop": resize -> 1x3x2x3 */
// CHECK: {3, 3, 0, NULL, NULL},
// CHECK-NEXT: {4, 2, 2, rs_crop_resize_index_2, rs_crop_resize_weight_2},
// CHECK-NEXT: {4, 3, 2, rs_crop_resize_index_3, rs_crop_resize_weight_3},
// CHECK: pare_resize_f32(input0, output2, dims, 3, 1, -2.5f);

// Nearest, asymmetric, floor: each input coordinate twice.
// W: const int32_t rs_up_resize_index_2[8] = {
// W-NEXT: 0, 0, 1, 1, 2, 2, 3, 3
// Align corners 4 -> 7: input coordinates x / 2, integer ones as the right
// neighbour of their left one (weight 1).
// W: const int32_t rs_bilinear_resize_index_1[14] = {
// W-NEXT: 0, 0, 0, 1, 0, 1, 1, 2,
// W-NEXT: 1, 2, 2, 3, 2, 3
// W: const float rs_bilinear_resize_weight_1[14] = {
// W-NEXT: 0.0f, 1.0f, 0.5f, 0.5f, 0.0f, 1.0f, 0.5f, 0.5f,
// W-NEXT: 0.0f, 1.0f, 0.5f, 0.5f, 0.0f, 1.0f
// Crop [0.5, 1.5] of a width of 4 to 3: coordinates 1.5, 3, 4.5 (outside).
// W: const int32_t rs_crop_resize_index_3[6] = {
// W-NEXT: 1, 2, 2, 3, -1, -1
// W: const float rs_crop_resize_weight_3[6] = {
// W-NEXT: 0.5f, 0.5f, 0.0f, 1.0f, 0.0f, 0.0f

func.func @main(%x: tensor<1x3x4x4xf32>, %h: tensor<1x4x4x3xf32>) -> (tensor<1x3x8x8xf32>, tensor<1x7x7x3xf32>, tensor<1x3x2x3xf32>) {
  %0 = pare.resize %x {sizes = array<i64: 1, 3, 8, 8>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64>, extrapolation_value = 0.0 : f64} : (tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32> loc("up")
  %1 = pare.resize %h {sizes = array<i64: 1, 7, 7, 3>, scales = array<f64: 1.0, 1.75, 1.75, 1.0>, mode = "linear", coordinate_transformation_mode = "align_corners", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64>, extrapolation_value = 0.0 : f64} : (tensor<1x4x4x3xf32>) -> tensor<1x7x7x3xf32> loc("bilinear")
  %2 = pare.resize %x {sizes = array<i64: 1, 3, 2, 3>, scales = array<f64: 1.0, 1.0, 0.5, 0.75>, mode = "linear", coordinate_transformation_mode = "tf_crop_and_resize", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64: 0.0, 0.0, 0.0, 0.5, 1.0, 1.0, 1.0, 1.5>, extrapolation_value = -2.5 : f64} : (tensor<1x3x4x4xf32>) -> tensor<1x3x2x3xf32> loc("crop")
  return %0, %1, %2 : tensor<1x3x8x8xf32>, tensor<1x7x7x3xf32>, tensor<1x3x2x3xf32>
}
