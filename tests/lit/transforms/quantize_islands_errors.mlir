// Float islands that cannot become int8: a value inside the island with no
// quantize downstream through ops that keep its range and no calibrated
// range is an error naming its node; an op with no int8 kernel stays in
// float with a warning.
// RUN: pare-opt %s --pare-lower-quantized --split-input-file -verify-diagnostics

!x = !quant.uniform<i8:f32, 0.5:-1>
!s = !quant.uniform<i8:f32, 0.75:-2>
module attributes {pare.int8_rounding = "onnx", pare.int8_islands = "quantize"} {
func.func @silu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %xq = pare.quantize %x : (tensor<4xf32>) -> tensor<4x!x>
  %xf = pare.dequantize %xq : (tensor<4x!x>) -> tensor<4xf32>
  // expected-error @+1 {{int8 island: the output of this pare.tanh has no quantization parameters (no quantize follows it through ops that keep its range); give --calibration DIR to measure it, or --int8-islands keep to run the island in float}}
  %t = pare.tanh %xf : (tensor<4xf32>) -> tensor<4xf32>
  %s = pare.sigmoid %t : (tensor<4xf32>) -> tensor<4xf32>
  %m = pare.mul %t, %s : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %mq = pare.quantize %m : (tensor<4xf32>) -> tensor<4x!s>
  %mf = pare.dequantize %mq : (tensor<4x!s>) -> tensor<4xf32>
  return %mf : tensor<4xf32>
}
}

// -----

!x = !quant.uniform<i8:f32, 0.5:-1>
!s = !quant.uniform<i8:f32, 0.75:-2>
module attributes {pare.int8_rounding = "onnx", pare.int8_islands = "quantize"} {
func.func @no_kernel(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %xq = pare.quantize %x : (tensor<4xf32>) -> tensor<4x!x>
  %xf = pare.dequantize %xq : (tensor<4x!x>) -> tensor<4xf32>
  %yq = pare.quantize %y : (tensor<4xf32>) -> tensor<4x!x>
  %yf = pare.dequantize %yq : (tensor<4x!x>) -> tensor<4xf32>
  // expected-warning @+1 {{int8 island: pare.div has no int8 kernel here and stays in float}}
  %d = pare.div %xf, %yf : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %dq = pare.quantize %d : (tensor<4xf32>) -> tensor<4x!s>
  %df = pare.dequantize %dq : (tensor<4x!s>) -> tensor<4xf32>
  return %df : tensor<4xf32>
}
}
