// Float islands of a quantized model (pare.int8_islands = "quantize" on the
// module: --int8-islands quantize, the Cortex-M default) become int8 in
// LowerQuantized. A conv whose output only the quantize after the add
// covers takes that quantize's parameters (or its calibrated range,
// pare.ranges); ops ONNX rounding keeps in float (a shared dequantize's
// average pool, a change of scale) become int8; the function's pare.islands
// lists each node made int8 and where its scales came from. Without the
// attribute (--int8-islands keep) all of them stay in float.
// RUN: pare-opt %s --pare-lower-quantized --canonicalize --split-input-file | FileCheck %s

!x = !quant.uniform<i8:f32, 0.5:-1>
!r = !quant.uniform<i8:f32, 0.25:3>
!s = !quant.uniform<i8:f32, 0.75:-2>
!w = !quant.uniform<i8:f32:0, {0.25, 0.125}>
// CHECK-LABEL: func.func @conv_add
// CHECK-SAME: pare.islands = [{node = "conv_a", op = "conv", scales = "input 0.5 (dequantize), output 0.75 (quantize downstream after 'add_a')"}, {node = "add_a", op = "add", scales = "input 0.75 (quantize downstream after 'add_a'), input 0.25 (dequantize), output 0.75 (quantize)"}]
// CHECK: %[[C:.*]] = pare.qconv {{.*}} -> tensor<1x2x2x2x!quant.uniform<i8:f32, 7.500000e-01:-2>>
// CHECK: pare.qadd %[[C]], %{{.*}} -> tensor<1x2x2x2x!quant.uniform<i8:f32, 7.500000e-01:-2>>
// CHECK-NOT: pare.conv
// CHECK-NOT: pare.add
module attributes {pare.int8_rounding = "onnx", pare.int8_islands = "quantize"} {
func.func @conv_add(%x: tensor<1x2x2x3xf32>, %res: tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %w8 = pare.constant dense<[[[[1, 2, 3]]], [[[-1, 2, -3]]]]> : tensor<2x1x1x3xi8>
  %wq = pare.storage_cast %w8 : (tensor<2x1x1x3xi8>) -> tensor<2x1x1x3x!w>
  %wf = pare.dequantize %wq : (tensor<2x1x1x3x!w>) -> tensor<2x1x1x3xf32>
  %xq = pare.quantize %x : (tensor<1x2x2x3xf32>) -> tensor<1x2x2x3x!x>
  %xf = pare.dequantize %xq : (tensor<1x2x2x3x!x>) -> tensor<1x2x2x3xf32>
  %rq = pare.quantize %res : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2x!r>
  %rf = pare.dequantize %rq : (tensor<1x2x2x2x!r>) -> tensor<1x2x2x2xf32>
  %c = pare.conv %xf, %wf {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last} : (tensor<1x2x2x3xf32>, tensor<2x1x1x3xf32>) -> tensor<1x2x2x2xf32> loc("conv_a")
  %a = pare.add %c, %rf : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> loc("add_a")
  %aq = pare.quantize %a : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2x!s>
  %af = pare.dequantize %aq : (tensor<1x2x2x2x!s>) -> tensor<1x2x2x2xf32>
  return %af : tensor<1x2x2x2xf32>
}
}

// -----

!x = !quant.uniform<i8:f32, 0.5:-1>
!r = !quant.uniform<i8:f32, 0.25:3>
!s = !quant.uniform<i8:f32, 0.75:-2>
!w = !quant.uniform<i8:f32:0, {0.25, 0.125}>
// CHECK-LABEL: func.func @conv_add_keep
// CHECK-NOT: pare.islands
// CHECK: pare.conv
// CHECK: pare.add
module attributes {pare.int8_rounding = "onnx"} {
func.func @conv_add_keep(%x: tensor<1x2x2x3xf32>, %res: tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %w8 = pare.constant dense<[[[[1, 2, 3]]], [[[-1, 2, -3]]]]> : tensor<2x1x1x3xi8>
  %wq = pare.storage_cast %w8 : (tensor<2x1x1x3xi8>) -> tensor<2x1x1x3x!w>
  %wf = pare.dequantize %wq : (tensor<2x1x1x3x!w>) -> tensor<2x1x1x3xf32>
  %xq = pare.quantize %x : (tensor<1x2x2x3xf32>) -> tensor<1x2x2x3x!x>
  %xf = pare.dequantize %xq : (tensor<1x2x2x3x!x>) -> tensor<1x2x2x3xf32>
  %rq = pare.quantize %res : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2x!r>
  %rf = pare.dequantize %rq : (tensor<1x2x2x2x!r>) -> tensor<1x2x2x2xf32>
  %c = pare.conv %xf, %wf {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last} : (tensor<1x2x2x3xf32>, tensor<2x1x1x3xf32>) -> tensor<1x2x2x2xf32> loc("conv_a")
  %a = pare.add %c, %rf : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> loc("add_a")
  %aq = pare.quantize %a : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2x!s>
  %af = pare.dequantize %aq : (tensor<1x2x2x2x!s>) -> tensor<1x2x2x2xf32>
  return %af : tensor<1x2x2x2xf32>
}
}

// -----

// A calibrated range wins over the quantize downstream: [-2, 6] gives scale
// 8/255 and zero point -64.
!x = !quant.uniform<i8:f32, 0.5:-1>
!s = !quant.uniform<i8:f32, 0.75:-2>
// CHECK-LABEL: func.func @calibrated
// CHECK-SAME: scales = "input 0.5 (dequantize), output 0.0313725 (calibration)"
// CHECK: %[[R:.*]] = pare.lookup_table {{.*}} -> tensor<4x!quant.uniform<i8:f32, {{.*}}:-64>>
// CHECK: pare.lookup_table %[[R]]
// CHECK-NOT: pare.ranges
module attributes {pare.int8_rounding = "onnx", pare.int8_islands = "quantize"} {
func.func @calibrated(%x: tensor<4xf32>) -> tensor<4xf32> {
  %xq = pare.quantize %x : (tensor<4xf32>) -> tensor<4x!x>
  %xf = pare.dequantize %xq : (tensor<4x!x>) -> tensor<4xf32>
  %e = pare.tanh %xf {pare.ranges = array<f32: -2.0, 6.0>} : (tensor<4xf32>) -> tensor<4xf32> loc("tanh_a")
  %r = pare.relu %e : (tensor<4xf32>) -> tensor<4xf32> loc("relu_a")
  %rq = pare.quantize %r : (tensor<4xf32>) -> tensor<4x!s>
  %rf = pare.dequantize %rq : (tensor<4x!s>) -> tensor<4xf32>
  return %rf : tensor<4xf32>
}
}

// -----

// ONNX rounding keeps these in float to follow onnxruntime; as islands they
// become int8: the average pool of a shared dequantize, a change of scale.
!x = !quant.uniform<i8:f32, 0.5:-1>
!y = !quant.uniform<i8:f32, 0.25:3>
// CHECK-LABEL: func.func @onnx_float_ops
// CHECK-SAME: {node = "pool_a", op = "average_pool"
// CHECK-SAME: {node = "q_b", op = "requantize", scales = "input 0.5 (dequantize), output 0.25 (quantize)"}
// CHECK: pare.average_pool {{.*}}pare.out_scale = 2.500000e-01 : f64, pare.out_zero_point = 3 : i64
// CHECK: pare.requantize
// CHECK-NOT: pare.average_pool {{.*}}f32>
module attributes {pare.int8_rounding = "onnx", pare.int8_islands = "quantize"} {
func.func @onnx_float_ops(%x: tensor<1x4x4x2xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x4x4x2xf32>) {
  %xq = pare.quantize %x : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2x!x>
  %xf = pare.dequantize %xq {pare.shared_dequantize} : (tensor<1x4x4x2x!x>) -> tensor<1x4x4x2xf32>
  %p = pare.average_pool %xf {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false, channels_last} : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32> loc("pool_a")
  %pq = pare.quantize %p : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2x!y>
  %pf = pare.dequantize %pq : (tensor<1x2x2x2x!y>) -> tensor<1x2x2x2xf32>
  %x2 = pare.dequantize %xq {pare.shared_dequantize} : (tensor<1x4x4x2x!x>) -> tensor<1x4x4x2xf32>
  %bq = pare.quantize %x2 : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2x!y> loc("q_b")
  %bf = pare.dequantize %bq : (tensor<1x4x4x2x!y>) -> tensor<1x4x4x2xf32>
  return %pf, %bf : tensor<1x2x2x2xf32>, tensor<1x4x4x2xf32>
}
}

// -----

// A division by a constant (an exported hard-swish's / 6) becomes the int8
// multiplication by its reciprocal.
!x = !quant.uniform<i8:f32, 0.5:-1>
!s = !quant.uniform<i8:f32, 0.125:-2>
// CHECK-LABEL: func.func @div_constant
// CHECK-SAME: {node = "div_a", op = "mul"
// CHECK: pare.qmul
// CHECK-NOT: pare.div
module attributes {pare.int8_rounding = "onnx", pare.int8_islands = "quantize"} {
func.func @div_constant(%x: tensor<4xf32>) -> tensor<4xf32> {
  %six = pare.constant dense<6.0> : tensor<f32>
  %xq = pare.quantize %x : (tensor<4xf32>) -> tensor<4x!x>
  %xf = pare.dequantize %xq : (tensor<4x!x>) -> tensor<4xf32>
  %d = pare.div %xf, %six : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32> loc("div_a")
  %dq = pare.quantize %d : (tensor<4xf32>) -> tensor<4x!s>
  %df = pare.dequantize %dq : (tensor<4x!s>) -> tensor<4xf32>
  return %df : tensor<4xf32>
}
}
