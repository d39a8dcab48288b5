// UniqueDequantize: a dequantize that feeds several ops is cloned so that each
// op reads its own, all marked pare.shared_dequantize; a function result keeps
// the original. A dequantize with one user is left alone.
// RUN: pare-opt %s --pare-unique-dequantize --split-input-file | FileCheck %s

!x = !quant.uniform<i8:f32, 0.5:-1>
// CHECK-LABEL: func.func @residual
// CHECK: %[[Q:.*]] = pare.quantize
// CHECK: %[[D0:.*]] = pare.dequantize %[[Q]] {pare.shared_dequantize}
// CHECK: %[[D1:.*]] = pare.dequantize %[[Q]] {pare.shared_dequantize}
// CHECK: pare.relu %[[D1]]
// CHECK: pare.add %[[D0]], %{{.*}}
func.func @residual(%x: tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32> {
  %q = pare.quantize %x : (tensor<1x4x2x2xf32>) -> tensor<1x4x2x2x!x>
  %d = pare.dequantize %q : (tensor<1x4x2x2x!x>) -> tensor<1x4x2x2xf32>
  %r = pare.relu %d : (tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32>
  %a = pare.add %d, %r : (tensor<1x4x2x2xf32>, tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32>
  return %a : tensor<1x4x2x2xf32>
}

// -----

!x = !quant.uniform<i8:f32, 0.5:-1>
// CHECK-LABEL: func.func @result_keeps_original
// CHECK: %[[Q:.*]] = pare.quantize
// CHECK: %[[D:.*]] = pare.dequantize %[[Q]] {pare.shared_dequantize}
// CHECK: %[[C:.*]] = pare.dequantize %[[Q]] {pare.shared_dequantize}
// CHECK: %[[R:.*]] = pare.relu %[[C]]
// CHECK: return %[[R]], %[[D]]
func.func @result_keeps_original(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %q = pare.quantize %x : (tensor<4xf32>) -> tensor<4x!x>
  %d = pare.dequantize %q : (tensor<4x!x>) -> tensor<4xf32>
  %r = pare.relu %d : (tensor<4xf32>) -> tensor<4xf32>
  return %r, %d : tensor<4xf32>, tensor<4xf32>
}

// -----

!x = !quant.uniform<i8:f32, 0.5:-1>
// CHECK-LABEL: func.func @single_use
// CHECK: pare.dequantize
// CHECK-NOT: pare.shared_dequantize
// CHECK-NOT: pare.dequantize
func.func @single_use(%x: tensor<4xf32>) -> tensor<4xf32> {
  %q = pare.quantize %x : (tensor<4xf32>) -> tensor<4x!x>
  %d = pare.dequantize %q : (tensor<4x!x>) -> tensor<4xf32>
  %r = pare.relu %d : (tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}
