// pare.matmul_nbits the CUDA kernels cannot take, reported at the node by the
// plain graph and by the decoder: a qweight value or a zero point outside
// 0..15 (the verifier checks shapes, not constant values), weights that are
// not constants (a graph input), an input of another float type than the
// result. Exit code 1, no files.
// RUN: rm -rf %t && split-file %s %t
// RUN: for f in $(LC_ALL=C ls %t/*.mlir); do echo "== $(basename $f)"; not pare compile $f --target cuda -o %t/out 2>&1; done > %t/log
// RUN: FileCheck %s --input-file %t/log
// RUN: not ls %t/out

// CHECK-LABEL: == decoder_zero.mlir
// CHECK-NEXT: node 'lm': error: the cuda decoder cannot emit pare.matmul_nbits 'lm': a zero point 16 is outside 0..15
// CHECK-LABEL: == plain_input.mlir
// CHECK-NEXT: node 'lin': error: the cuda target cannot emit pare.matmul_nbits 'lin': qweight, scales and zero points must be constants (integer, float, integer)
// CHECK-LABEL: == plain_qweight.mlir
// CHECK-NEXT: node 'lin': error: the cuda target cannot emit pare.matmul_nbits 'lin': a qweight value -1 is outside 0..15

//--- plain_qweight.mlir
func.func @main(%x: tensor<2x32xf32>) -> tensor<2x4xf32> {
  %q = pare.constant dense<-1> : tensor<4x32xi8> loc("q")
  %s = pare.constant dense<0.5> : tensor<4x1xf32> loc("s")
  %z = pare.constant dense<8> : tensor<4x1xi8> loc("z")
  %y = pare.matmul_nbits %x, %q, %s, %z {bits = 4 : i64, group_size = 32 : i64} : (tensor<2x32xf32>, tensor<4x32xi8>, tensor<4x1xf32>, tensor<4x1xi8>) -> tensor<2x4xf32> loc("lin")
  return %y : tensor<2x4xf32>
}

//--- plain_input.mlir
func.func @main(%x: tensor<2x32xf32>, %q: tensor<4x32xi8>) -> tensor<2x4xf32> {
  %s = pare.constant dense<0.5> : tensor<4x1xf32> loc("s")
  %z = pare.constant dense<8> : tensor<4x1xi8> loc("z")
  %y = pare.matmul_nbits %x, %q, %s, %z {bits = 4 : i64, group_size = 32 : i64} : (tensor<2x32xf32>, tensor<4x32xi8>, tensor<4x1xf32>, tensor<4x1xi8>) -> tensor<2x4xf32> loc("lin")
  return %y : tensor<2x4xf32>
}

//--- decoder_zero.mlir
module attributes {pare.decoder = {layers = 0 : i64, max_context = 8 : i64}} {
  func.func @step(%ids: tensor<?xi64>, %positions: tensor<?xi64>) -> tensor<?x4xf32> {
    %embed = pare.constant dense<0.25> : tensor<4x32xf32> loc("embed")
    %x = pare.gather %embed, %ids {axis = 0 : i64} : (tensor<4x32xf32>, tensor<?xi64>) -> tensor<?x32xf32> loc("gather")
    %q = pare.constant dense<3> : tensor<4x32xi8> loc("q")
    %s = pare.constant dense<0.5> : tensor<4x1xf32> loc("s")
    %z = pare.constant dense<16> : tensor<4x1xi8> loc("z")
    %y = pare.matmul_nbits %x, %q, %s, %z {bits = 4 : i64, group_size = 32 : i64} : (tensor<?x32xf32>, tensor<4x32xi8>, tensor<4x1xf32>, tensor<4x1xi8>) -> tensor<?x4xf32> loc("lm")
    return %y : tensor<?x4xf32>
  }
}
