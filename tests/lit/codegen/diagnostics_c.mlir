// What the C target cannot emit, reported at the op's node by `pare compile`
// (codegen/c): ranks beyond the kernels' 8, run-time batch norm parameters,
// mixed exponent types, pad values that are not numbers, int8 ops the
// kernels do not cover (non-8-bit or unsigned requantization, i16
// quantization, int32 results with a fused activation, depthwise weights
// computed at run time, dilated int8 pooling, int8 softmax / average pool
// without their output quantization) and malformed temporal-shift attributes
// on a convolution. Exit code 1, no files. (errors.mlir and
// temporal_shift_errors.mlir have the rest.)
// RUN: rm -rf %t && split-file %s %t
// RUN: for f in $(LC_ALL=C ls %t/*.mlir); do echo "== $(basename $f)"; not pare compile $f -o %t/out 2>&1; done > %t/log
// RUN: FileCheck %s --input-file %t/log
// RUN: not ls %t/out

// CHECK-LABEL: == add_rank9.mlir
// CHECK-NEXT: node 'add': error: the C target cannot emit pare.add: tensors of rank > 8
// CHECK-LABEL: == avgpool_int8_no_zero_point.mlir
// CHECK-NEXT: node 'pool': error: the C target cannot emit pare.average_pool: an int8 average pool without its output quantization
// CHECK-LABEL: == batch_norm_runtime.mlir
// CHECK-NEXT: node 'bn': error: the C target cannot emit pare.batch_norm: batch norm with parameters computed at run time
// CHECK-LABEL: == dequantize_i32.mlir
// CHECK-NEXT: node 'dq': error: the C target cannot emit pare.dequantize: dequantization other than int8 -> float32
// CHECK-LABEL: == matmul_batch9.mlir
// CHECK-NEXT: node 'mm': error: the C target cannot emit pare.matmul: more than 8 batch dims
// CHECK-LABEL: == maxpool_int8_dilated.mlir
// CHECK-NEXT: node 'pool': error: the C target cannot emit pare.max_pool: dilated int8 pooling
// CHECK-LABEL: == pad_value_string.mlir
// CHECK-NEXT: node 'pad': error: the C target cannot emit pare.pad: pad value attribute
// CHECK-LABEL: == pow_i32_exponent.mlir
// CHECK-NEXT: node 'pow': error: the C target cannot emit pare.pow: an exponent of a different element type
// CHECK-LABEL: == qadd_rank9.mlir
// CHECK-NEXT: node 'add': error: the C target cannot emit pare.qadd: tensors of rank > 8
// CHECK-LABEL: == qconv_i32_relu.mlir
// CHECK-NEXT: node 'conv': error: the C target cannot emit pare.qconv: a fused activation on an i32 result
// CHECK-LABEL: == qdepthwise_runtime_weights.mlir
// CHECK-NEXT: node 'dw': error: the C target cannot emit pare.qconv: a depthwise convolution with non-constant weights
// CHECK-LABEL: == qfc_i32_relu.mlir
// CHECK-NEXT: node 'fc': error: the C target cannot emit pare.qfully_connected: a fused activation on an i32 result
// CHECK-LABEL: == quantize_i16.mlir
// CHECK-NEXT: node 'q': error: the C target cannot emit pare.quantize: quantization other than float32 -> int8
// CHECK-LABEL: == requantize_i16.mlir
// CHECK-NEXT: node 'rq': error: the C target cannot emit pare.requantize: requantization of non-8-bit tensors
// CHECK-LABEL: == requantize_u8_scale.mlir
// CHECK-NEXT: node 'rq': error: the C target cannot emit pare.requantize: a uint8 <-> int8 conversion that changes the scale
// CHECK-LABEL: == shift_frames_misfit.mlir
// CHECK-NEXT: node 'conv': error: the C target cannot emit pare.conv: shift attributes that do not fit the input (4 frames in clips of 3, fold 2 of 16 channels)
// CHECK-LABEL: == shift_in_place.mlir
// CHECK-NEXT: node 'tsm': error: the C target cannot emit pare.temporal_shift: an offline temporal shift in place (only streaming shifts may be)
// CHECK-LABEL: == shift_mode_sideways.mlir
// CHECK-NEXT: node 'conv': error: the C target cannot emit pare.conv: pare.shift_mode must be bidirectional, bidirectional_reversed or unidirectional
// CHECK-LABEL: == shift_no_fold.mlir
// CHECK-NEXT: node 'conv': error: the C target cannot emit pare.conv: pare.shift_frames needs pare.shift_fold (i64) and pare.shift_mode (string)
// CHECK-LABEL: == slice_rank9.mlir
// CHECK-NEXT: node 'slice': error: the C target cannot emit pare.slice: rank > 8
// CHECK-LABEL: == softmax_int8.mlir
// CHECK-NEXT: node 'softmax': error: the C target cannot emit pare.softmax: an int8 softmax without its output quantization
// CHECK-LABEL: == transpose_rank9.mlir
// CHECK-NEXT: node 'tr': error: the C target cannot emit pare.transpose: rank > 8

//--- add_rank9.mlir
func.func @main(%a: tensor<1x1x1x1x1x1x1x2x2xf32>, %b: tensor<1x1x1x1x1x1x1x1x2xf32>) -> tensor<1x1x1x1x1x1x1x2x2xf32> {
  %0 = pare.add %a, %b : (tensor<1x1x1x1x1x1x1x2x2xf32>, tensor<1x1x1x1x1x1x1x1x2xf32>) -> tensor<1x1x1x1x1x1x1x2x2xf32> loc("add")
  return %0 : tensor<1x1x1x1x1x1x1x2x2xf32>
}
//--- avgpool_int8_no_zero_point.mlir
!x = !quant.uniform<i8:f32, 0.05:-3>
func.func @main(%q: tensor<1x4x4x2xi8>) -> tensor<1x2x2x2xi8> {
  %xq = pare.storage_cast %q : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2x!x> loc("qin")
  %y = pare.average_pool %xq {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false, channels_last, pare.out_scale = 0.1 : f32} : (tensor<1x4x4x2x!x>) -> tensor<1x2x2x2x!x> loc("pool")
  %o = pare.storage_cast %y : (tensor<1x2x2x2x!x>) -> tensor<1x2x2x2xi8> loc("qout")
  return %o : tensor<1x2x2x2xi8>
}
//--- batch_norm_runtime.mlir
func.func @main(%x: tensor<1x2x3x3xf32>, %s: tensor<2xf32>, %b: tensor<2xf32>, %m: tensor<2xf32>, %v: tensor<2xf32>) -> tensor<1x2x3x3xf32> {
  %0 = pare.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-5 : f32} : (tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32> loc("bn")
  return %0 : tensor<1x2x3x3xf32>
}
//--- dequantize_i32.mlir
!i = !quant.uniform<i32:f32, 0.5>
func.func @main(%x: tensor<4xi32>) -> tensor<4xf32> {
  %q = pare.storage_cast %x : (tensor<4xi32>) -> tensor<4x!i> loc("in")
  %f = pare.dequantize %q : (tensor<4x!i>) -> tensor<4xf32> loc("dq")
  return %f : tensor<4xf32>
}
//--- matmul_batch9.mlir
func.func @main(%a: tensor<2x1x1x1x1x1x1x1x2x2x3xf32>, %b: tensor<2x1x1x1x1x1x1x1x2x3x4xf32>) -> tensor<2x1x1x1x1x1x1x1x2x2x4xf32> {
  %0 = pare.matmul %a, %b : (tensor<2x1x1x1x1x1x1x1x2x2x3xf32>, tensor<2x1x1x1x1x1x1x1x2x3x4xf32>) -> tensor<2x1x1x1x1x1x1x1x2x2x4xf32> loc("mm")
  return %0 : tensor<2x1x1x1x1x1x1x1x2x2x4xf32>
}
//--- maxpool_int8_dilated.mlir
!x = !quant.uniform<i8:f32, 0.05:-3>
func.func @main(%q: tensor<1x5x5x2xi8>) -> tensor<1x3x3x2xi8> {
  %xq = pare.storage_cast %q : (tensor<1x5x5x2xi8>) -> tensor<1x5x5x2x!x> loc("qin")
  %y = pare.max_pool %xq {kernel_shape = array<i64: 2, 2>, strides = array<i64: 1, 1>, dilations = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false, channels_last} : (tensor<1x5x5x2x!x>) -> tensor<1x3x3x2x!x> loc("pool")
  %o = pare.storage_cast %y : (tensor<1x3x3x2x!x>) -> tensor<1x3x3x2xi8> loc("qout")
  return %o : tensor<1x3x3x2xi8>
}
//--- pad_value_string.mlir
func.func @main(%x: tensor<2x3xf32>) -> tensor<2x5xf32> {
  %0 = pare.pad %x {pads_begin = array<i64: 0, 1>, pads_end = array<i64: 0, 1>, mode = "constant", value = "zero"} : (tensor<2x3xf32>) -> tensor<2x5xf32> loc("pad")
  return %0 : tensor<2x5xf32>
}
//--- pow_i32_exponent.mlir
func.func @main(%a: tensor<4xf32>, %b: tensor<4xi32>) -> tensor<4xf32> {
  %0 = pare.pow %a, %b : (tensor<4xf32>, tensor<4xi32>) -> tensor<4xf32> loc("pow")
  return %0 : tensor<4xf32>
}
//--- qadd_rank9.mlir
!x = !quant.uniform<i8:f32, 0.05:-3>
func.func @main(%q: tensor<1x1x1x1x1x1x1x2x2xi8>) -> tensor<1x1x1x1x1x1x1x2x2xi8> {
  %xq = pare.storage_cast %q : (tensor<1x1x1x1x1x1x1x2x2xi8>) -> tensor<1x1x1x1x1x1x1x2x2x!x> loc("qin")
  %y = pare.qadd %xq, %xq : (tensor<1x1x1x1x1x1x1x2x2x!x>, tensor<1x1x1x1x1x1x1x2x2x!x>) -> tensor<1x1x1x1x1x1x1x2x2x!x> loc("add")
  %o = pare.storage_cast %y : (tensor<1x1x1x1x1x1x1x2x2x!x>) -> tensor<1x1x1x1x1x1x1x2x2xi8> loc("qout")
  return %o : tensor<1x1x1x1x1x1x1x2x2xi8>
}
//--- qconv_i32_relu.mlir
!x = !quant.uniform<i8:f32, 0.05:-3>
!w = !quant.uniform<i8:f32, 0.01>
func.func @main(%q: tensor<1x3x3x4xi8>) -> tensor<1x3x3x2xi32> {
  %xq = pare.storage_cast %q : (tensor<1x3x3x4xi8>) -> tensor<1x3x3x4x!x> loc("qin")
  %w8 = pare.constant dense<3> : tensor<2x1x1x4xi8> loc("w8")
  %wq = pare.storage_cast %w8 : (tensor<2x1x1x4xi8>) -> tensor<2x1x1x4x!w> loc("wq")
  %y = pare.qconv %xq, %wq {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last, activation = "relu"} : (tensor<1x3x3x4x!x>, tensor<2x1x1x4x!w>) -> tensor<1x3x3x2xi32> loc("conv")
  return %y : tensor<1x3x3x2xi32>
}
//--- qdepthwise_runtime_weights.mlir
!x = !quant.uniform<i8:f32, 0.05:-3>
!w = !quant.uniform<i8:f32, 0.01>
!y = !quant.uniform<i8:f32, 0.1:4>
func.func @main(%q: tensor<1x3x3x4xi8>, %w8: tensor<4x3x3x1xi8>) -> tensor<1x3x3x4xi8> {
  %xq = pare.storage_cast %q : (tensor<1x3x3x4xi8>) -> tensor<1x3x3x4x!x> loc("qin")
  %wq = pare.storage_cast %w8 : (tensor<4x3x3x1xi8>) -> tensor<4x3x3x1x!w> loc("wq")
  %y = pare.qconv %xq, %wq {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 4 : i64, channels_last} : (tensor<1x3x3x4x!x>, tensor<4x3x3x1x!w>) -> tensor<1x3x3x4x!y> loc("dw")
  %o = pare.storage_cast %y : (tensor<1x3x3x4x!y>) -> tensor<1x3x3x4xi8> loc("qout")
  return %o : tensor<1x3x3x4xi8>
}
//--- qfc_i32_relu.mlir
!x = !quant.uniform<i8:f32, 0.05:-3>
!w = !quant.uniform<i8:f32, 0.01>
func.func @main(%q: tensor<1x4xi8>) -> tensor<1x2xi32> {
  %xq = pare.storage_cast %q : (tensor<1x4xi8>) -> tensor<1x4x!x> loc("qin")
  %w8 = pare.constant dense<3> : tensor<2x4xi8> loc("w8")
  %wq = pare.storage_cast %w8 : (tensor<2x4xi8>) -> tensor<2x4x!w> loc("wq")
  %y = pare.qfully_connected %xq, %wq {activation = "relu"} : (tensor<1x4x!x>, tensor<2x4x!w>) -> tensor<1x2xi32> loc("fc")
  return %y : tensor<1x2xi32>
}
//--- quantize_i16.mlir
!q = !quant.uniform<i16:f32, 0.5>
func.func @main(%x: tensor<4xf32>) -> tensor<4xi16> {
  %q = pare.quantize %x : (tensor<4xf32>) -> tensor<4x!q> loc("q")
  %r = pare.storage_cast %q : (tensor<4x!q>) -> tensor<4xi16> loc("raw")
  return %r : tensor<4xi16>
}
//--- requantize_i16.mlir
!a = !quant.uniform<i16:f32, 0.5>
!b = !quant.uniform<i16:f32, 0.25>
func.func @main(%x: tensor<4xi16>) -> tensor<4xi16> {
  %q = pare.storage_cast %x : (tensor<4xi16>) -> tensor<4x!a> loc("in")
  %r = pare.requantize %q : (tensor<4x!a>) -> tensor<4x!b> loc("rq")
  %o = pare.storage_cast %r : (tensor<4x!b>) -> tensor<4xi16> loc("out")
  return %o : tensor<4xi16>
}
//--- requantize_u8_scale.mlir
!a = !quant.uniform<i8:f32, 0.5>
!b = !quant.uniform<u8:f32, 0.25:128>
func.func @main(%x: tensor<4xi8>) -> tensor<4xui8> {
  %q = pare.storage_cast %x : (tensor<4xi8>) -> tensor<4x!a> loc("in")
  %r = pare.requantize %q : (tensor<4x!a>) -> tensor<4x!b> loc("rq")
  %o = pare.storage_cast %r : (tensor<4x!b>) -> tensor<4xui8> loc("out")
  return %o : tensor<4xui8>
}
//--- shift_frames_misfit.mlir
func.func @main(%x: tensor<4x3x5x16xf32>) -> tensor<4x3x5x8xf32> {
  %w = pare.constant dense<0.5> : tensor<8x1x1x16xf32> loc("w")
  %y = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last, pare.shift_frames = 3 : i64, pare.shift_fold = 2 : i64, pare.shift_mode = "bidirectional"} : (tensor<4x3x5x16xf32>, tensor<8x1x1x16xf32>) -> tensor<4x3x5x8xf32> loc("conv")
  return %y : tensor<4x3x5x8xf32>
}
//--- shift_in_place.mlir
func.func @main(%x: tensor<4x3x5x16xf32>) -> tensor<4x3x5x16xf32> {
  %r = pare.relu %x : (tensor<4x3x5x16xf32>) -> tensor<4x3x5x16xf32> loc("relu")
  %y = pare.temporal_shift %r {frames = 4 : i64, fold = 2 : i64, mode = "bidirectional", channels_last, pare.in_place} : (tensor<4x3x5x16xf32>) -> tensor<4x3x5x16xf32> loc("tsm")
  return %y : tensor<4x3x5x16xf32>
}
//--- shift_mode_sideways.mlir
func.func @main(%x: tensor<4x3x5x16xf32>) -> tensor<4x3x5x8xf32> {
  %w = pare.constant dense<0.5> : tensor<8x1x1x16xf32> loc("w")
  %y = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last, pare.shift_frames = 4 : i64, pare.shift_fold = 2 : i64, pare.shift_mode = "sideways"} : (tensor<4x3x5x16xf32>, tensor<8x1x1x16xf32>) -> tensor<4x3x5x8xf32> loc("conv")
  return %y : tensor<4x3x5x8xf32>
}
//--- shift_no_fold.mlir
func.func @main(%x: tensor<4x3x5x16xf32>) -> tensor<4x3x5x8xf32> {
  %w = pare.constant dense<0.5> : tensor<8x1x1x16xf32> loc("w")
  %y = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last, pare.shift_frames = 4 : i64, pare.shift_mode = "bidirectional"} : (tensor<4x3x5x16xf32>, tensor<8x1x1x16xf32>) -> tensor<4x3x5x8xf32> loc("conv")
  return %y : tensor<4x3x5x8xf32>
}
//--- slice_rank9.mlir
func.func @main(%a: tensor<1x1x1x1x1x1x1x2x4xf32>) -> tensor<1x1x1x1x1x1x1x2x2xf32> {
  %0 = pare.slice %a {starts = array<i64: 0, 0, 0, 0, 0, 0, 0, 0, 1>, ends = array<i64: 1, 1, 1, 1, 1, 1, 1, 2, 3>, steps = array<i64: 1, 1, 1, 1, 1, 1, 1, 1, 1>} : (tensor<1x1x1x1x1x1x1x2x4xf32>) -> tensor<1x1x1x1x1x1x1x2x2xf32> loc("slice")
  return %0 : tensor<1x1x1x1x1x1x1x2x2xf32>
}
//--- softmax_int8.mlir
!x = !quant.uniform<i8:f32, 0.05:-3>
func.func @main(%q: tensor<1x4xi8>) -> tensor<1x4xi8> {
  %xq = pare.storage_cast %q : (tensor<1x4xi8>) -> tensor<1x4x!x> loc("qin")
  %y = pare.softmax %xq {axis = 1 : i64} : (tensor<1x4x!x>) -> tensor<1x4x!x> loc("softmax")
  %o = pare.storage_cast %y : (tensor<1x4x!x>) -> tensor<1x4xi8> loc("qout")
  return %o : tensor<1x4xi8>
}
//--- transpose_rank9.mlir
func.func @main(%a: tensor<1x1x1x1x1x1x1x2x3xf32>) -> tensor<1x1x1x1x1x1x1x3x2xf32> {
  %0 = pare.transpose %a {perm = array<i64: 0, 1, 2, 3, 4, 5, 6, 8, 7>} : (tensor<1x1x1x1x1x1x1x2x3xf32>) -> tensor<1x1x1x1x1x1x1x3x2xf32> loc("tr")
  return %0 : tensor<1x1x1x1x1x1x1x3x2xf32>
}
