// What the C target cannot emit, reported at the op (its node name) through
// `pare compile`, plus errors in .mlir input itself. Exit code 1, no files.
// RUN: rm -rf %t && split-file %s %t
// RUN: for f in $(LC_ALL=C ls %t/*.mlir); do echo "== $(basename $f)"; not pare compile $f -o %t/out 2>&1; done > %t/log
// RUN: FileCheck %s --input-file %t/log
// RUN: not ls %t/out

// CHECK-LABEL: == add_f64.mlir
// CHECK-NEXT: node 'add': error: the C target cannot emit pare.add: element type other than float32, int32, int64
// CHECK-LABEL: == add_i16.mlir
// CHECK-NEXT: node 'add': error: the C target cannot emit pare.add: element type other than float32, int32, int64
// CHECK-LABEL: == input_f16.mlir
// CHECK-NEXT: input_f16.mlir:1:1: error: the C target has no type for input element type 'f16'
// CHECK-LABEL: == mod_int_fmod.mlir
// CHECK-NEXT: node 'mod': error: the C target cannot emit pare.mod: integer Mod with fmod=1
// CHECK-LABEL: == no_main.mlir
// CHECK-NEXT: no_main.mlir{{.*}}: error: no func.func @main to emit
// CHECK-LABEL: == parse_error.mlir
// CHECK-NEXT: parse_error.mlir:2:8: error: custom op 'pare.frobnicate' is unknown
// CHECK-LABEL: == softmax_i32.mlir
// CHECK-NEXT: node 'softmax': error: the C target cannot emit pare.softmax: only float32 tensors are supported by this kernel
// CHECK-LABEL: == sqrt_i32.mlir
// CHECK-NEXT: node 'sqrt': error: the C target cannot emit pare.sqrt: this element type
// CHECK-LABEL: == wrong_type.mlir
// CHECK-NEXT: wrong_type.mlir:2:8: error: 'pare.relu' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<5xf32>'

//--- add_f64.mlir
func.func @main(%a: tensor<4xf64>) -> tensor<4xf64> {
  %0 = pare.add %a, %a : (tensor<4xf64>, tensor<4xf64>) -> tensor<4xf64> loc("add")
  return %0 : tensor<4xf64>
}
//--- add_i16.mlir
func.func @main(%a: tensor<4xi16>) -> tensor<4xi16> {
  %0 = pare.add %a, %a : (tensor<4xi16>, tensor<4xi16>) -> tensor<4xi16> loc("add")
  return %0 : tensor<4xi16>
}
//--- input_f16.mlir
func.func @main(%a: tensor<4xf16>) -> tensor<4xf16> {
  %0 = pare.relu %a : (tensor<4xf16>) -> tensor<4xf16> loc("relu")
  return %0 : tensor<4xf16>
}
//--- mod_int_fmod.mlir
func.func @main(%a: tensor<4xi32>) -> tensor<4xi32> {
  %0 = pare.mod %a, %a {fmod = true} : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32> loc("mod")
  return %0 : tensor<4xi32>
}
//--- no_main.mlir
func.func @other(%a: tensor<4xf32>) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}
//--- parse_error.mlir
func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = pare.frobnicate %a : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
//--- softmax_i32.mlir
func.func @main(%a: tensor<4xi32>) -> tensor<4xi32> {
  %0 = pare.softmax %a {axis = 0 : i64} : (tensor<4xi32>) -> tensor<4xi32> loc("softmax")
  return %0 : tensor<4xi32>
}
//--- sqrt_i32.mlir
func.func @main(%a: tensor<4xi32>) -> tensor<4xi32> {
  %0 = pare.sqrt %a : (tensor<4xi32>) -> tensor<4xi32> loc("sqrt")
  return %0 : tensor<4xi32>
}
//--- wrong_type.mlir
func.func @main(%a: tensor<4xf32>) -> tensor<5xf32> {
  %0 = pare.relu %a : (tensor<4xf32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}
