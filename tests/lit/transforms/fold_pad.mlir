// FoldPad: a constant pad of the spatial dims that feeds a conv, max pool or
// average pool becomes part of that op's pads, in float, in the QDQ form
// tf2onnx writes for a TFLite int8 PAD, and on int8 storage padded with the
// zero point. Pads that would change the result stay.
// RUN: pare-opt %s --pare-fold-pad --split-input-file | FileCheck %s

// A torch export of asymmetric padding: pad bottom / right by 1, then a
// 3x3 conv with pads 1 -> pads [1, 1, 2, 2].
// CHECK-LABEL: func.func @float_conv
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x5x5xf32>
// CHECK-NOT: pare.pad
// CHECK: pare.conv %[[X]], %{{.*}} {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32>
func.func @float_conv(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32> {
  %p = pare.pad %x {mode = "constant", pads_begin = array<i64: 0, 0, 0, 0>, pads_end = array<i64: 0, 0, 1, 1>, value = 0.0 : f32} : (tensor<1x2x5x5xf32>) -> tensor<1x2x6x6xf32>
  %0 = pare.conv %p, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : (tensor<1x2x6x6xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32>
  return %0 : tensor<1x3x3x3xf32>
}

// -----

// Channels-last: H and W are dims 1 and 2.
// CHECK-LABEL: func.func @float_conv_channels_last
// CHECK-NOT: pare.pad
// CHECK: pare.conv %arg0, %arg1 {channels_last, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 2, 0, 0, 1>, {{.*}}} : (tensor<1x4x4x2xf32>
func.func @float_conv_channels_last(%x: tensor<1x4x4x2xf32>, %w: tensor<3x1x1x2xf32>) -> tensor<1x6x5x3xf32> {
  %p = pare.pad %x {mode = "constant", pads_begin = array<i64: 0, 2, 0, 0>, pads_end = array<i64: 0, 0, 1, 0>, value = 0.0 : f32} : (tensor<1x4x4x2xf32>) -> tensor<1x6x5x2xf32>
  %0 = pare.conv %p, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last} : (tensor<1x6x5x2xf32>, tensor<3x1x1x2xf32>) -> tensor<1x6x5x3xf32>
  return %0 : tensor<1x6x5x3xf32>
}

// -----

// tf2onnx's form of a TFLite int8 PAD before a stride-2 depthwise conv:
// dequantize -> pad(0.0) -> quantize -> dequantize. The conv reads the
// quantize of the unpadded tensor, with the same parameters.
// CHECK-LABEL: func.func @qdq_depthwise
// CHECK-SAME: (%[[Q:.*]]: tensor<1x2x4x4x!quant.uniform<i8:f32, 2.500000e-01:-128>>
// CHECK: %[[D:.*]] = pare.dequantize %[[Q]]
// CHECK-NOT: pare.pad
// CHECK: %[[Q2:.*]] = pare.quantize %[[D]] : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4x!quant.uniform<i8:f32, 2.500000e-01:-128>>
// CHECK: %[[D2:.*]] = pare.dequantize %[[Q2]] : (tensor<1x2x4x4x!quant.uniform<i8:f32, 2.500000e-01:-128>>) -> tensor<1x2x4x4xf32>
// CHECK: pare.conv %[[D2]], %{{.*}} {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 0, 0, 1, 1>, strides = array<i64: 2, 2>}
func.func @qdq_depthwise(%q: tensor<1x2x4x4x!quant.uniform<i8:f32, 0.25:-128>>, %w: tensor<2x1x3x3xf32>) -> tensor<1x2x2x2xf32> {
  %d = pare.dequantize %q : (tensor<1x2x4x4x!quant.uniform<i8:f32, 0.25:-128>>) -> tensor<1x2x4x4xf32>
  %p = pare.pad %d {mode = "constant", pads_begin = array<i64: 0, 0, 0, 0>, pads_end = array<i64: 0, 0, 1, 1>, value = 0.0 : f32} : (tensor<1x2x4x4xf32>) -> tensor<1x2x5x5xf32>
  %pq = pare.quantize %p : (tensor<1x2x5x5xf32>) -> tensor<1x2x5x5x!quant.uniform<i8:f32, 0.25:-128>>
  %pd = pare.dequantize %pq : (tensor<1x2x5x5x!quant.uniform<i8:f32, 0.25:-128>>) -> tensor<1x2x5x5xf32>
  %0 = pare.conv %pd, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 2 : i64} : (tensor<1x2x5x5xf32>, tensor<2x1x3x3xf32>) -> tensor<1x2x2x2xf32>
  return %0 : tensor<1x2x2x2xf32>
}

// -----

// A pad of int8 storage with the zero point (3) as its value.
// CHECK-LABEL: func.func @int8_pad_zero_point
// CHECK-SAME: (%[[R:.*]]: tensor<1x1x4x4xi8>
// CHECK-NOT: pare.pad
// CHECK: %[[S:.*]] = pare.storage_cast %[[R]] : (tensor<1x1x4x4xi8>) -> tensor<1x1x4x4x!quant.uniform<i8:f32, 5.000000e-01:3>>
// CHECK: %[[D:.*]] = pare.dequantize %[[S]]
// CHECK: pare.conv %[[D]], %{{.*}} {{.*}}pads = array<i64: 1, 1, 1, 1>
func.func @int8_pad_zero_point(%r: tensor<1x1x4x4xi8>, %w: tensor<1x1x3x3xf32>) -> tensor<1x1x4x4xf32> {
  %p = pare.pad %r {mode = "constant", pads_begin = array<i64: 0, 0, 1, 1>, pads_end = array<i64: 0, 0, 1, 1>, value = 3 : i8} : (tensor<1x1x4x4xi8>) -> tensor<1x1x6x6xi8>
  %s = pare.storage_cast %p : (tensor<1x1x6x6xi8>) -> tensor<1x1x6x6x!quant.uniform<i8:f32, 0.5:3>>
  %d = pare.dequantize %s : (tensor<1x1x6x6x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<1x1x6x6xf32>
  %0 = pare.conv %d, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x1x6x6xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

// Pads that are not the conv's zero padding stay: an int8 pad with a value
// other than the zero point, a float pad of 1, a pad of the channels, a crop
// (negative pad), reflect mode, a pad with another user.
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-6: pare.pad
func.func @kept(%r: tensor<1x1x4x4xi8>, %x: tensor<1x1x4x4xf32>, %w: tensor<1x1x3x3xf32>, %w2: tensor<1x2x3x3xf32>) -> (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x2x2xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x6x6xf32>) {
  %p0 = pare.pad %r {mode = "constant", pads_begin = array<i64: 0, 0, 1, 1>, pads_end = array<i64: 0, 0, 1, 1>, value = 0 : i8} : (tensor<1x1x4x4xi8>) -> tensor<1x1x6x6xi8>
  %s0 = pare.storage_cast %p0 : (tensor<1x1x6x6xi8>) -> tensor<1x1x6x6x!quant.uniform<i8:f32, 0.5:3>>
  %d0 = pare.dequantize %s0 : (tensor<1x1x6x6x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<1x1x6x6xf32>
  %c0 = pare.conv %d0, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x1x6x6xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x4x4xf32>
  %p1 = pare.pad %x {mode = "constant", pads_begin = array<i64: 0, 0, 1, 1>, pads_end = array<i64: 0, 0, 1, 1>, value = 1.0 : f32} : (tensor<1x1x4x4xf32>) -> tensor<1x1x6x6xf32>
  %c1 = pare.conv %p1, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x1x6x6xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x4x4xf32>
  %p2 = pare.pad %x {mode = "constant", pads_begin = array<i64: 0, 1, 1, 1>, pads_end = array<i64: 0, 0, 1, 1>, value = 0.0 : f32} : (tensor<1x1x4x4xf32>) -> tensor<1x2x6x6xf32>
  %c2 = pare.conv %p2, %w2 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x2x6x6xf32>, tensor<1x2x3x3xf32>) -> tensor<1x1x4x4xf32>
  %p3 = pare.pad %x {mode = "constant", pads_begin = array<i64: 0, 0, -1, 0>, pads_end = array<i64: 0, 0, 1, 0>, value = 0.0 : f32} : (tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %c3 = pare.conv %p3, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x2x2xf32>
  %p4 = pare.pad %x {mode = "reflect", pads_begin = array<i64: 0, 0, 1, 1>, pads_end = array<i64: 0, 0, 1, 1>, value = 0.0 : f32} : (tensor<1x1x4x4xf32>) -> tensor<1x1x6x6xf32>
  %c4 = pare.conv %p4, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x1x6x6xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x4x4xf32>
  %p5 = pare.pad %x {mode = "constant", pads_begin = array<i64: 0, 0, 1, 1>, pads_end = array<i64: 0, 0, 1, 1>, value = 0.0 : f32} : (tensor<1x1x4x4xf32>) -> tensor<1x1x6x6xf32>
  %c5 = pare.conv %p5, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x1x6x6xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x4x4xf32>
  return %c0, %c1, %c2, %c3, %c4, %c5, %p5 : tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x2x2xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x6x6xf32>
}

// -----

// Max pools pad with -inf: a pad of -inf folds, a zero pad folds after a
// relu (every value >= 0), and a QDQ zero pad folds where the zero point is
// the bottom of the int8 range (-128).
// CHECK-LABEL: func.func @max_pool_folds
// CHECK-NOT: pare.pad
// CHECK: pare.max_pool %arg0 {{.*}}pads = array<i64: 1, 1, 0, 0>
// CHECK: %[[R:.*]] = pare.relu %arg0
// CHECK: pare.max_pool %[[R]] {{.*}}pads = array<i64: 0, 0, 1, 1>
// CHECK: %[[Q:.*]] = pare.quantize %{{.*}} : (tensor<1x1x4x4xf32>) -> tensor<1x1x4x4x!quant.uniform<i8:f32, 1.000000e-01:-128>>
// CHECK: %[[D:.*]] = pare.dequantize %[[Q]]
// CHECK: pare.max_pool %[[D]] {{.*}}pads = array<i64: 1, 1, 1, 1>
func.func @max_pool_folds(%x: tensor<1x1x4x4xf32>, %q: tensor<1x1x4x4x!quant.uniform<i8:f32, 0.1:-128>>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>, tensor<1x1x3x3xf32>) {
  %p0 = pare.pad %x {mode = "constant", pads_begin = array<i64: 0, 0, 1, 1>, pads_end = array<i64: 0, 0, 0, 0>, value = 0xFF800000 : f32} : (tensor<1x1x4x4xf32>) -> tensor<1x1x5x5xf32>
  %m0 = pare.max_pool %p0 {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : (tensor<1x1x5x5xf32>) -> tensor<1x1x2x2xf32>
  %r = pare.relu %x : (tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %p1 = pare.pad %r {mode = "constant", pads_begin = array<i64: 0, 0, 0, 0>, pads_end = array<i64: 0, 0, 1, 1>, value = 0.0 : f32} : (tensor<1x1x4x4xf32>) -> tensor<1x1x5x5xf32>
  %m1 = pare.max_pool %p1 {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : (tensor<1x1x5x5xf32>) -> tensor<1x1x2x2xf32>
  %d = pare.dequantize %q : (tensor<1x1x4x4x!quant.uniform<i8:f32, 0.1:-128>>) -> tensor<1x1x4x4xf32>
  %p2 = pare.pad %d {mode = "constant", pads_begin = array<i64: 0, 0, 1, 1>, pads_end = array<i64: 0, 0, 1, 1>, value = 0.0 : f32} : (tensor<1x1x4x4xf32>) -> tensor<1x1x6x6xf32>
  %pq = pare.quantize %p2 : (tensor<1x1x6x6xf32>) -> tensor<1x1x6x6x!quant.uniform<i8:f32, 0.1:-128>>
  %pd = pare.dequantize %pq : (tensor<1x1x6x6x!quant.uniform<i8:f32, 0.1:-128>>) -> tensor<1x1x6x6xf32>
  %m2 = pare.max_pool %pd {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : (tensor<1x1x6x6xf32>) -> tensor<1x1x3x3xf32>
  return %m0, %m1, %m2 : tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>, tensor<1x1x3x3xf32>
}

// -----

// Zero pads a max pool could pick stay: x may be negative; a QDQ zero point
// above the bottom of the range; a pad as wide as the kernel (a window of
// nothing but padding).
// CHECK-LABEL: func.func @max_pool_kept
// CHECK-COUNT-3: pare.pad
func.func @max_pool_kept(%x: tensor<1x1x4x4xf32>, %q: tensor<1x1x4x4x!quant.uniform<i8:f32, 0.1:-100>>, %r: tensor<1x1x4x4xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x3x3xf32>, tensor<1x1x5x5xf32>) {
  %p0 = pare.pad %x {mode = "constant", pads_begin = array<i64: 0, 0, 0, 0>, pads_end = array<i64: 0, 0, 1, 1>, value = 0.0 : f32} : (tensor<1x1x4x4xf32>) -> tensor<1x1x5x5xf32>
  %m0 = pare.max_pool %p0 {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : (tensor<1x1x5x5xf32>) -> tensor<1x1x2x2xf32>
  %d = pare.dequantize %q : (tensor<1x1x4x4x!quant.uniform<i8:f32, 0.1:-100>>) -> tensor<1x1x4x4xf32>
  %p1 = pare.pad %d {mode = "constant", pads_begin = array<i64: 0, 0, 1, 1>, pads_end = array<i64: 0, 0, 1, 1>, value = 0.0 : f32} : (tensor<1x1x4x4xf32>) -> tensor<1x1x6x6xf32>
  %pq = pare.quantize %p1 : (tensor<1x1x6x6xf32>) -> tensor<1x1x6x6x!quant.uniform<i8:f32, 0.1:-100>>
  %pd = pare.dequantize %pq : (tensor<1x1x6x6x!quant.uniform<i8:f32, 0.1:-100>>) -> tensor<1x1x6x6xf32>
  %m1 = pare.max_pool %pd {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : (tensor<1x1x6x6xf32>) -> tensor<1x1x3x3xf32>
  %rr = pare.relu %r : (tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %p2 = pare.pad %rr {mode = "constant", pads_begin = array<i64: 0, 0, 2, 2>, pads_end = array<i64: 0, 0, 0, 0>, value = 0.0 : f32} : (tensor<1x1x4x4xf32>) -> tensor<1x1x6x6xf32>
  %m2 = pare.max_pool %p2 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : (tensor<1x1x6x6xf32>) -> tensor<1x1x5x5xf32>
  return %m0, %m1, %m2 : tensor<1x1x2x2xf32>, tensor<1x1x3x3xf32>, tensor<1x1x5x5xf32>
}

// -----

// Average pools count the zeros: the pad becomes pads with
// count_include_pad. A pool that pads itself without counting its pads
// keeps the explicit pad.
// CHECK-LABEL: func.func @average_pool
// CHECK: pare.average_pool %arg0 {ceil_mode = false, count_include_pad = true, {{.*}}pads = array<i64: 1, 1, 1, 1>
// CHECK: %[[P:.*]] = pare.pad %arg0
// CHECK: pare.average_pool %[[P]] {ceil_mode = false, count_include_pad = false, {{.*}}pads = array<i64: 1, 1, 1, 1>
func.func @average_pool(%x: tensor<1x1x4x4xf32>) -> (tensor<1x1x4x4xf32>, tensor<1x1x6x6xf32>) {
  %p0 = pare.pad %x {mode = "constant", pads_begin = array<i64: 0, 0, 1, 1>, pads_end = array<i64: 0, 0, 1, 1>, value = 0.0 : f32} : (tensor<1x1x4x4xf32>) -> tensor<1x1x6x6xf32>
  %a0 = pare.average_pool %p0 {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : (tensor<1x1x6x6xf32>) -> tensor<1x1x4x4xf32>
  %p1 = pare.pad %x {mode = "constant", pads_begin = array<i64: 0, 0, 1, 1>, pads_end = array<i64: 0, 0, 1, 1>, value = 0.0 : f32} : (tensor<1x1x4x4xf32>) -> tensor<1x1x6x6xf32>
  %a1 = pare.average_pool %p1 {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, ceil_mode = false, count_include_pad = false} : (tensor<1x1x6x6xf32>) -> tensor<1x1x6x6xf32>
  return %a0, %a1 : tensor<1x1x4x4xf32>, tensor<1x1x6x6xf32>
}
