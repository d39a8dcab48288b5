// What the CUDA target cannot emit, reported at the op's node (or the input)
// by `pare compile --target cuda` (codegen/cuda): non-float operands, mixed
// element types, run-time batch norm parameters, int32 gather indices, casts
// other than f32 <-> f16, partially broadcast matmul batch dims, pad values
// that are not numbers, ops without a CUDA kernel, element types CUDA has no
// type for, and constants without their data (a resource blob). Exit code 1, no files.
// RUN: rm -rf %t && split-file %s %t
// RUN: for f in $(LC_ALL=C ls %t/*.mlir); do echo "== $(basename $f)"; not pare compile $f --target cuda -o %t/out 2>&1; done > %t/log
// RUN: FileCheck %s --input-file %t/log
// RUN: not ls %t/out

// CHECK-LABEL: == add_i32.mlir
// CHECK-NEXT: node 'add': error: the cuda target cannot emit pare.add: only float32 / float16 tensors
// CHECK-LABEL: == batch_norm_runtime.mlir
// CHECK-NEXT: node 'bn': error: the cuda target cannot emit pare.batch_norm: batch norm with run-time parameters
// CHECK-LABEL: == cast_f32_i64.mlir
// CHECK-NEXT: node 'to_i64': error: the cuda target cannot emit pare.cast: casts other than float32 <-> float16
// CHECK-LABEL: == cast_f64_mid.mlir
// CHECK-NEXT: node 'to_f64': error: the cuda target has no type for element type 'f64'
// CHECK-LABEL: == gather_i32.mlir
// CHECK-NEXT: node 'gather': error: the cuda target cannot emit pare.gather: int32 gather indices
// CHECK-LABEL: == input_f64.mlir
// CHECK-NEXT: {{.*}}.mlir:1:1: error: the cuda target has no type for input element type 'f64'
// CHECK-LABEL: == matmul_partial_broadcast.mlir
// CHECK-NEXT: node 'mm': error: the cuda target cannot emit pare.matmul: partially broadcast batch dims
// CHECK-LABEL: == pad_value_string.mlir
// CHECK-NEXT: node 'pad': error: the cuda target cannot emit pare.pad: pad value
// CHECK-LABEL: == pow_f16_exponent.mlir
// CHECK-NEXT: node 'pow': error: the cuda target cannot emit pare.pow: operands of different element types
// CHECK-LABEL: == resource.mlir
// CHECK-NEXT: node 'w': error: the cuda target needs constants with data
// CHECK-LABEL: == scatter_nd.mlir
// CHECK-NEXT: node 'scatter': error: the cuda target cannot emit pare.scatter_nd: no CUDA kernel for this op

//--- add_i32.mlir
func.func @main(%a: tensor<4xi32>) -> tensor<4xi32> {
  %0 = pare.add %a, %a : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32> loc("add")
  return %0 : tensor<4xi32>
}
//--- batch_norm_runtime.mlir
func.func @main(%x: tensor<1x2x3x3xf32>, %s: tensor<2xf32>, %b: tensor<2xf32>, %m: tensor<2xf32>, %v: tensor<2xf32>) -> tensor<1x2x3x3xf32> {
  %0 = pare.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-5 : f32} : (tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32> loc("bn")
  return %0 : tensor<1x2x3x3xf32>
}
//--- cast_f32_i64.mlir
func.func @main(%a: tensor<4xf32>) -> tensor<4xi64> {
  %0 = pare.cast %a {to = i64} : (tensor<4xf32>) -> tensor<4xi64> loc("to_i64")
  return %0 : tensor<4xi64>
}
//--- cast_f64_mid.mlir
func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = pare.cast %a {to = f64} : (tensor<4xf32>) -> tensor<4xf64> loc("to_f64")
  %1 = pare.cast %0 {to = f32} : (tensor<4xf64>) -> tensor<4xf32> loc("to_f32")
  return %1 : tensor<4xf32>
}
//--- gather_i32.mlir
func.func @main(%d: tensor<4x3xf32>, %i: tensor<2xi32>) -> tensor<2x3xf32> {
  %0 = pare.gather %d, %i {axis = 0 : i64} : (tensor<4x3xf32>, tensor<2xi32>) -> tensor<2x3xf32> loc("gather")
  return %0 : tensor<2x3xf32>
}
//--- input_f64.mlir
func.func @main(%a: tensor<4xf64>) -> tensor<4xf64> {
  %0 = pare.relu %a : (tensor<4xf64>) -> tensor<4xf64> loc("relu")
  return %0 : tensor<4xf64>
}
//--- matmul_partial_broadcast.mlir
func.func @main(%a: tensor<2x1x2x3xf32>, %b: tensor<1x3x3x4xf32>) -> tensor<2x3x2x4xf32> {
  %0 = pare.matmul %a, %b : (tensor<2x1x2x3xf32>, tensor<1x3x3x4xf32>) -> tensor<2x3x2x4xf32> loc("mm")
  return %0 : tensor<2x3x2x4xf32>
}
//--- pad_value_string.mlir
func.func @main(%x: tensor<2x3xf32>) -> tensor<2x5xf32> {
  %0 = pare.pad %x {pads_begin = array<i64: 0, 1>, pads_end = array<i64: 0, 1>, mode = "constant", value = "zero"} : (tensor<2x3xf32>) -> tensor<2x5xf32> loc("pad")
  return %0 : tensor<2x5xf32>
}
//--- pow_f16_exponent.mlir
func.func @main(%a: tensor<4xf32>, %b: tensor<4xf16>) -> tensor<4xf32> {
  %0 = pare.pow %a, %b : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32> loc("pow")
  return %0 : tensor<4xf32>
}
//--- resource.mlir
func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
  %w = pare.constant dense_resource<blob1> : tensor<4xf32> loc("w")
  %0 = pare.add %a, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> loc("add")
  return %0 : tensor<4xf32>
}
{-#
  dialect_resources: {
    builtin: {
      blob1: "0x040000000000803F0000803F0000803F0000803F"
    }
  }
#-}
//--- scatter_nd.mlir
func.func @main(%d: tensor<4xf32>, %i: tensor<1x1xi64>, %u: tensor<1xf32>) -> tensor<4xf32> {
  %0 = pare.scatter_nd %d, %i, %u {reduction = "none"} : (tensor<4xf32>, tensor<1x1xi64>, tensor<1xf32>) -> tensor<4xf32> loc("scatter")
  return %0 : tensor<4xf32>
}
