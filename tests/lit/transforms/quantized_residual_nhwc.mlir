// A residual block as onnxruntime's quantizer writes it (NCHW, one
// DequantizeLinear per tensor shared by the add and the convolution of the
// branch):
// after the graph phase (pare-unique-dequantize, pare-convert-to-nhwc) each
// consumer has its own dequantize, the add runs NHWC between the
// convolutions, and the quantize phase makes every op int8 with layout
// transposes only at the function's boundary.
// RUN: pare-opt %s --pare-graph-pipeline --split-input-file | FileCheck %s --check-prefix=GRAPH
// RUN: pare-opt %s --pare-graph-pipeline --pare-quantize-pipeline --split-input-file | FileCheck %s

!x = !quant.uniform<i8:f32, 0.5:-1>
!h = !quant.uniform<i8:f32, 0.25:2>
!s = !quant.uniform<i8:f32, 0.75:0>
!y = !quant.uniform<i8:f32, 0.125:-4>
!w = !quant.uniform<i8:f32:0, {0.25, 0.125, 0.5, 0.0625}>

// GRAPH-LABEL: func.func @residual
// GRAPH: pare.transpose
// GRAPH-NOT: pare.transpose
// GRAPH: pare.dequantize {{.*}}{pare.shared_dequantize}
// GRAPH-NOT: pare.transpose
// GRAPH: %[[A:.*]] = pare.add %{{.*}}, %{{.*}} : (tensor<1x3x3x4xf32>, tensor<1x3x3x4xf32>) -> tensor<1x3x3x4xf32>
// GRAPH-NOT: pare.transpose
// GRAPH: pare.conv {{.*}}channels_last
// GRAPH: pare.transpose
// GRAPH-NEXT: pare.dequantize
// GRAPH-NEXT: return

// CHECK-LABEL: func.func @residual
// CHECK: pare.transpose
// CHECK-NOT: pare.transpose
// CHECK: pare.qconv
// CHECK-NOT: pare.transpose
// CHECK: pare.qconv
// CHECK-NOT: pare.transpose
// CHECK: pare.qadd {{.*}} -> tensor<1x3x3x4x!quant.uniform<i8:f32, 7.500000e-01>>
// CHECK-NOT: pare.transpose
// CHECK: pare.qconv
// CHECK-NOT: pare.conv
// CHECK-NOT: pare.add
// CHECK: pare.transpose
// CHECK-NEXT: pare.dequantize
// CHECK-NEXT: return
func.func @residual(%x: tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32> {
  %w8 = pare.constant dense<[[[[1]], [[2]], [[3]], [[4]]], [[[-1]], [[2]], [[-3]], [[4]]], [[[5]], [[6]], [[7]], [[8]]], [[[-5]], [[6]], [[-7]], [[8]]]]> : tensor<4x4x1x1xi8>
  %wq = pare.storage_cast %w8 : (tensor<4x4x1x1xi8>) -> tensor<4x4x1x1x!w>
  %wf = pare.dequantize %wq : (tensor<4x4x1x1x!w>) -> tensor<4x4x1x1xf32>
  %xq = pare.quantize %x : (tensor<1x4x3x3xf32>) -> tensor<1x4x3x3x!x>
  %xf = pare.dequantize %xq : (tensor<1x4x3x3x!x>) -> tensor<1x4x3x3xf32>
  %c0 = pare.conv %xf, %wf {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x4x3x3xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x3x3xf32>
  %c0q = pare.quantize %c0 : (tensor<1x4x3x3xf32>) -> tensor<1x4x3x3x!x>
  %c0f = pare.dequantize %c0q : (tensor<1x4x3x3x!x>) -> tensor<1x4x3x3xf32>
  %c = pare.conv %c0f, %wf {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x4x3x3xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x3x3xf32>
  %cq = pare.quantize %c : (tensor<1x4x3x3xf32>) -> tensor<1x4x3x3x!h>
  %cf = pare.dequantize %cq : (tensor<1x4x3x3x!h>) -> tensor<1x4x3x3xf32>
  %a = pare.add %c0f, %cf : (tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %aq = pare.quantize %a : (tensor<1x4x3x3xf32>) -> tensor<1x4x3x3x!s>
  %af = pare.dequantize %aq : (tensor<1x4x3x3x!s>) -> tensor<1x4x3x3xf32>
  %c2 = pare.conv %af, %wf {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x4x3x3xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x3x3xf32>
  %yq = pare.quantize %c2 : (tensor<1x4x3x3xf32>) -> tensor<1x4x3x3x!y>
  %yf = pare.dequantize %yq : (tensor<1x4x3x3x!y>) -> tensor<1x4x3x3xf32>
  return %yf : tensor<1x4x3x3xf32>
}

// -----

// A residual add of a graph input and a convolution of it: the add reads
// the input's transpose that the convolution reads, and its own transpose
// moves on to the output (before: the convolution's output went back to
// NCHW for the add, a transpose inside the graph).
// CHECK-LABEL: func.func @input_residual
// CHECK: %[[Q:.*]] = pare.quantize
// CHECK: %[[T:.*]] = pare.transpose %[[Q]]
// CHECK-NOT: pare.transpose
// CHECK: %[[C:.*]] = pare.qconv %[[T]]
// CHECK-NOT: pare.transpose
// CHECK: pare.qadd %[[C]], %[[T]]
// CHECK: pare.transpose
// CHECK-NEXT: pare.dequantize
// CHECK-NEXT: return
func.func @input_residual(%x: tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32> {
  %w8 = pare.constant dense<[[[[1]], [[2]], [[3]], [[4]]], [[[-1]], [[2]], [[-3]], [[4]]], [[[5]], [[6]], [[7]], [[8]]], [[[-5]], [[6]], [[-7]], [[8]]]]> : tensor<4x4x1x1xi8>
  %wq = pare.storage_cast %w8 : (tensor<4x4x1x1xi8>) -> tensor<4x4x1x1x!quant.uniform<i8:f32:0, {0.25, 0.125, 0.5, 0.0625}>>
  %wf = pare.dequantize %wq : (tensor<4x4x1x1x!quant.uniform<i8:f32:0, {0.25, 0.125, 0.5, 0.0625}>>) -> tensor<4x4x1x1xf32>
  %xq = pare.quantize %x : (tensor<1x4x3x3xf32>) -> tensor<1x4x3x3x!quant.uniform<i8:f32, 0.5:-1>>
  %xf = pare.dequantize %xq : (tensor<1x4x3x3x!quant.uniform<i8:f32, 0.5:-1>>) -> tensor<1x4x3x3xf32>
  %c = pare.conv %xf, %wf {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x4x3x3xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x3x3xf32>
  %cq = pare.quantize %c : (tensor<1x4x3x3xf32>) -> tensor<1x4x3x3x!quant.uniform<i8:f32, 0.25:2>>
  %cf = pare.dequantize %cq : (tensor<1x4x3x3x!quant.uniform<i8:f32, 0.25:2>>) -> tensor<1x4x3x3xf32>
  %a = pare.add %cf, %xf : (tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %aq = pare.quantize %a : (tensor<1x4x3x3xf32>) -> tensor<1x4x3x3x!quant.uniform<i8:f32, 0.75:0>>
  %af = pare.dequantize %aq : (tensor<1x4x3x3x!quant.uniform<i8:f32, 0.75:0>>) -> tensor<1x4x3x3xf32>
  return %af : tensor<1x4x3x3xf32>
}
