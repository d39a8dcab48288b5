// ConvertToFP16: f32 tensors inside the function become f16 (constants
// rounded to half), casts keep the function's f32 boundary, integer tensors
// and f32 attributes are untouched.
// RUN: pare-opt %s --pare-convert-to-fp16 --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @chain
// CHECK-SAME: (%[[X:.*]]: tensor<1x4xf32> {pare.name = "x"}) -> (tensor<1x4xf32> {pare.name = "y"})
// 1/3 and 0.1 round to the nearest halves, 0.33325195 and 0.099975586.
// CHECK-DAG: %[[W:.*]] = pare.constant dense<[1.000000e+00, 5.000000e-01, 3.332520e-01, 9.997550e-02]> : tensor<4xf16>
// CHECK-DAG: %[[H:.*]] = pare.cast %[[X]] {to = f16} : (tensor<1x4xf32>) -> tensor<1x4xf16>
// CHECK: %[[M:.*]] = pare.mul %[[H]], %[[W]] : (tensor<1x4xf16>, tensor<4xf16>) -> tensor<1x4xf16>
// CHECK: %[[C:.*]] = pare.clip %[[M]] {max = 6.000000e+00 : f32, min = 0.000000e+00 : f32} : (tensor<1x4xf16>) -> tensor<1x4xf16>
// CHECK: %[[O:.*]] = pare.cast %[[C]] {to = f32} : (tensor<1x4xf16>) -> tensor<1x4xf32>
// CHECK: return %[[O]] : tensor<1x4xf32>
func.func @chain(%x: tensor<1x4xf32> {pare.name = "x"}) -> (tensor<1x4xf32> {pare.name = "y"}) {
  %w = pare.constant dense<[1.0, 0.5, 0.333333343, 0.1]> : tensor<4xf32>
  %0 = pare.mul %x, %w : (tensor<1x4xf32>, tensor<4xf32>) -> tensor<1x4xf32>
  %1 = pare.clip %0 {min = 0.0 : f32, max = 6.0 : f32} : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return %1 : tensor<1x4xf32>
}

// -----

// Integer tensors keep their type; a cast to f32 becomes a cast to f16.
// CHECK-LABEL: func.func @gather_cast
// CHECK: %[[I:.*]] = pare.constant dense<[0, 2]> : tensor<2xi64>
// CHECK: pare.gather %{{.*}}, %[[I]] {axis = 0 : i64} : (tensor<3xf16>, tensor<2xi64>) -> tensor<2xf16>
// CHECK: pare.cast %{{.*}} {to = f16} : (tensor<2xi32>) -> tensor<2xf16>
func.func @gather_cast(%x: tensor<3xf32>, %n: tensor<2xi32>) -> (tensor<2xf32>, tensor<2xf32>) {
  %i = pare.constant dense<[0, 2]> : tensor<2xi64>
  %0 = pare.gather %x, %i {axis = 0 : i64} : (tensor<3xf32>, tensor<2xi64>) -> tensor<2xf32>
  %1 = pare.cast %n {to = f32} : (tensor<2xi32>) -> tensor<2xf32>
  return %0, %1 : tensor<2xf32>, tensor<2xf32>
}
