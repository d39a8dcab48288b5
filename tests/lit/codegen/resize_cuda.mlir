// Resize on the CUDA target (pare_cu_resize.cu): the sampling tables of the C
// target in the weights blob (int32 coordinates, float weights), a
// pare_cu_resize_geom of the merged dims, pare_cu_resize_f32 / _f16 for
// linear and cubic, pare_cu_resize_nearest (element bytes) for nearest.
// tests/e2e/resize_fpn.py --cuda builds such output with nvcc.
// RUN: rm -rf %t && pare compile %s --target cuda -o %t/f32 --name rs -q
// RUN: FileCheck %s --input-file %t/f32/rs.cu
// RUN: pare compile %s --target cuda --precision fp16 -o %t/f16 --name rs -q
// RUN: FileCheck %s --check-prefix=F16 --input-file %t/f16/rs.cu

// CHECK: const int *up_resize_index = (const int *)(w + {{[0-9]+}});
// CHECK: const int *bilinear_resize_index = (const int *)(w + {{[0-9]+}});
// CHECK: const float *bilinear_resize_weight = (const float *)(w + {{[0-9]+}});
// CHECK: /* ONNX node "up": resize -> 1x3x8x8 */
// CHECK-NEXT: {
// CHECK-NEXT: const pare_cu_resize_geom g = {3, 1, {3, 4, 4}, {3, 8, 8}, {0, 1, 1}, {0, 0, 8}};
// CHECK-NEXT: const float extrapolation = 0.0f;
// CHECK-NEXT: PARE_TRY(pare_cu_resize_nearest(4, input0, output0, g, up_resize_index, &extrapolation, stream));
// CHECK: /* ONNX node "bilinear": resize -> 1x7x7x3 */
// CHECK-NEXT: {
// CHECK-NEXT: const pare_cu_resize_geom g = {3, 3, {1, 4, 4}, {1, 7, 7}, {0, 2, 2}, {0, 0, 14}};
// CHECK-NEXT: PARE_TRY(pare_cu_resize_f32(input1, output1, g, bilinear_resize_index, bilinear_resize_weight, 0.0f, stream));
// CHECK: /* ONNX node "crop": resize -> 1x3x2x3 */
// CHECK: PARE_TRY(pare_cu_resize_f32({{.*}}, -2.5f, stream));

// F16-DAG: pare_cu_resize_nearest(2, {{.*}}, up_resize_index, &extrapolation, stream));
// F16-DAG: pare_cu_resize_f16({{.*}}, bilinear_resize_index, bilinear_resize_weight, 0.0f, stream));
// F16-DAG: pare_cu_resize_f16({{.*}}, crop_resize_index, crop_resize_weight, -2.5f, stream));

func.func @main(%x: tensor<1x3x4x4xf32>, %h: tensor<1x4x4x3xf32>) -> (tensor<1x3x8x8xf32>, tensor<1x7x7x3xf32>, tensor<1x3x2x3xf32>) {
  %0 = pare.resize %x {sizes = array<i64: 1, 3, 8, 8>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64>, extrapolation_value = 0.0 : f64} : (tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32> loc("up")
  %1 = pare.resize %h {sizes = array<i64: 1, 7, 7, 3>, scales = array<f64: 1.0, 1.75, 1.75, 1.0>, mode = "linear", coordinate_transformation_mode = "align_corners", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64>, extrapolation_value = 0.0 : f64} : (tensor<1x4x4x3xf32>) -> tensor<1x7x7x3xf32> loc("bilinear")
  %2 = pare.resize %x {sizes = array<i64: 1, 3, 2, 3>, scales = array<f64: 1.0, 1.0, 0.5, 0.75>, mode = "linear", coordinate_transformation_mode = "tf_crop_and_resize", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64: 0.0, 0.0, 0.0, 0.5, 1.0, 1.0, 1.0, 1.5>, extrapolation_value = -2.5 : f64} : (tensor<1x3x4x4xf32>) -> tensor<1x3x2x3xf32> loc("crop")
  return %0, %1, %2 : tensor<1x3x8x8xf32>, tensor<1x7x7x3xf32>, tensor<1x3x2x3xf32>
}
