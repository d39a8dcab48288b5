// Bug: codegen/c/CEmitter.cpp Emitter::weight() assumes every pare.constant
// holds a DenseElementsAttr (m_Constant(&DenseElementsAttr), then an assert
// that Debian's release LLVM compiles out); a constant with another
// ElementsAttr, e.g. dense_resource (as written by pare's own elided .mlir
// output), makes `pare compile` dereference a null attribute and segfault.
// Expected: an error at the constant (or support for resource blobs).
// RUN: not pare compile %s -o %t 2>&1 | FileCheck %s
// CHECK: error:

func.func @main(%x: tensor<1x3x4x4xf32>) -> tensor<1x4x4x4xf32> {
  %w = pare.constant dense_resource<__elided__> : tensor<4x3x1x1xf32>
  %0 = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x3x4x4xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}
