// Under ONNX rounding (models that arrive quantized) convolutions, depthwise
// convolutions, fully connected layers and global average pools run on the
// per-layer specialised kernels in their onnxruntime form ("<kernel>_onnx":
// one float32 scale per output channel, x_scale * w_scale[c] / y_scale, in
// place of the Q31 multiplier and shift arrays), with the same scratch and
// in-place depthwise as under TFLite rounding; the residual add is
// onnxruntime's QLinearAdd. A layer whose float32 scale overflows (inf: only
// the generic kernels give onnxruntime's NaN -> -128) or whose bias is too
// large for exact int32 sums stays on the generic kernels
// (pare_conv2d_acc_s8 + pare_requantize_acc_s8). --kernels generic calls the
// extern forms.
// RUN: rm -rf %t && pare compile %s -o %t --name onr -q
// RUN: FileCheck %s --input-file %t/onr.c
// RUN: not grep -E "_multiplier|_shift\[|pare_conv2d_s8_impl|pare_fully_connected_s8_impl" %t/onr.c
// RUN: pare compile %s -o %t/generic --name onr -q --kernels generic
// RUN: FileCheck %s --check-prefix=GENERIC --input-file %t/generic/onr.c
// RUN: cd %t && for f in *.c; do gcc -std=c99 -Wall -Wextra -Werror -pedantic -c "$f" -o "$f.o" || exit 1; done

// CHECK: extern const float onr_pw_scale[4];
// CHECK: ONR_LAYER void onr_pw_kernel(const int8_t *x, int8_t *y, int16_t *scratch) {
// CHECK-NEXT: pare_conv2d_s8_onnx_impl(x, 1, 4, 4, 8, -3,
// CHECK-NEXT: onr_pw_weight, onr_pw_bias, onr_pw_scale,
// CHECK: ONR_LAYER void onr_dw_kernel(const int8_t *x, int8_t *y, int16_t *scratch) {
// CHECK-NEXT: pare_depthwise_conv2d_s8_inplace_onnx_impl(x, 1, 4, 4, 4, 4,
// CHECK: ONR_LAYER void onr_add_kernel(const int8_t *a, const int8_t *b, int8_t *y) {
// CHECK: pare_add_s8_onnx_impl(
// CHECK: ONR_LAYER void onr_gap_kernel(const int8_t *x, int8_t *y) {
// CHECK-NEXT: pare_global_avgpool_s8_onnx_impl(x, 1, 16, 4,
// CHECK: ONR_LAYER void onr_fc_kernel(const int8_t *x, int8_t *y) {
// CHECK-NEXT: pare_fully_connected_s8_onnx_impl(x, 1, 4, 1,
// CHECK: pare_conv2d_acc_s8(
// CHECK-NEXT: {{.*}}onr_big_w_zero_point
// CHECK: pare_requantize_acc_s8(
// CHECK: pare_conv2d_acc_s8(
// CHECK-NEXT: {{.*}}onr_bigbias_w_zero_point

// GENERIC: pare_conv2d_s8_onnx(
// GENERIC: pare_depthwise_conv2d_s8_inplace_onnx(
// GENERIC: pare_add_s8_onnx(
// GENERIC: pare_global_avgpool_s8_onnx(
// GENERIC: pare_fully_connected_s8_onnx(

!x = !quant.uniform<i8:f32, 0.05:-3>
!w = !quant.uniform<i8:f32:0, {0.01, 0.02, 0.005, 0.04}>
!y = !quant.uniform<i8:f32, 0.1:4>
!wd = !quant.uniform<i8:f32:0, {0.02, 0.01, 0.03, 0.015}>
!y2 = !quant.uniform<i8:f32, 0.08:-2>
!y3 = !quant.uniform<i8:f32, 0.15:1>
!wf = !quant.uniform<i8:f32:0, {0.01, 0.02}>
!y4 = !quant.uniform<i8:f32, 0.2:0>
!wbig = !quant.uniform<i8:f32, 1.0e30>
!ytiny = !quant.uniform<i8:f32, 1.0e-30>
module attributes {pare.int8_rounding = "onnx"} {
  func.func @main(%q: tensor<1x4x4x8xi8>) -> (tensor<1x2xi8>, tensor<1x4x4x4xi8>, tensor<1x4x4x4xi8>) {
    %xq = pare.storage_cast %q : (tensor<1x4x4x8xi8>) -> tensor<1x4x4x8x!x> loc("qin")
    %w8 = pare.constant dense<3> : tensor<4x1x1x8xi8> loc("w8")
    %wq = pare.storage_cast %w8 : (tensor<4x1x1x8xi8>) -> tensor<4x1x1x8x!w> loc("wq")
    %b8 = pare.constant dense<100> : tensor<4xi32> loc("b8")
    %pw = pare.qconv %xq, %wq, %b8 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last} : (tensor<1x4x4x8x!x>, tensor<4x1x1x8x!w>, tensor<4xi32>) -> tensor<1x4x4x4x!y> loc("pw")
    %wd8 = pare.constant dense<-2> : tensor<4x3x3x1xi8> loc("wd8")
    %wdq = pare.storage_cast %wd8 : (tensor<4x3x3x1xi8>) -> tensor<4x3x3x1x!wd> loc("wdq")
    %dw = pare.qconv %pw, %wdq {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 4 : i64, channels_last} : (tensor<1x4x4x4x!y>, tensor<4x3x3x1x!wd>) -> tensor<1x4x4x4x!y2> loc("dw")
    %add = pare.qadd %dw, %pw : (tensor<1x4x4x4x!y2>, tensor<1x4x4x4x!y>) -> tensor<1x4x4x4x!y3> loc("add")
    %gap = pare.qglobal_average_pool %add {channels_last} : (tensor<1x4x4x4x!y3>) -> tensor<1x1x1x4x!y3> loc("gap")
    %flat = pare.reshape %gap : (tensor<1x1x1x4x!y3>) -> tensor<1x4x!y3> loc("flat")
    %wf8 = pare.constant dense<5> : tensor<2x4xi8> loc("wf8")
    %wfq = pare.storage_cast %wf8 : (tensor<2x4xi8>) -> tensor<2x4x!wf> loc("wfq")
    %fc = pare.qfully_connected %flat, %wfq : (tensor<1x4x!y3>, tensor<2x4x!wf>) -> tensor<1x2x!y4> loc("fc")
    %out = pare.storage_cast %fc : (tensor<1x2x!y4>) -> tensor<1x2xi8> loc("qout")
    %wb8 = pare.constant dense<1> : tensor<4x1x1x8xi8> loc("wb8")
    %wbq = pare.storage_cast %wb8 : (tensor<4x1x1x8xi8>) -> tensor<4x1x1x8x!wbig> loc("wbq")
    %big = pare.qconv %xq, %wbq {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last} : (tensor<1x4x4x8x!x>, tensor<4x1x1x8x!wbig>) -> tensor<1x4x4x4x!ytiny> loc("big")
    %out2 = pare.storage_cast %big : (tensor<1x4x4x4x!ytiny>) -> tensor<1x4x4x4xi8> loc("qout2")
    %bb = pare.constant dense<2000000000> : tensor<4xi32> loc("bb")
    %bigbias = pare.qconv %xq, %wq, %bb {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last} : (tensor<1x4x4x8x!x>, tensor<4x1x1x8x!w>, tensor<4xi32>) -> tensor<1x4x4x4x!y> loc("bigbias")
    %out3 = pare.storage_cast %bigbias : (tensor<1x4x4x4x!y>) -> tensor<1x4x4x4xi8> loc("qout3")
    return %out, %out2, %out3 : tensor<1x2xi8>, tensor<1x4x4x4xi8>, tensor<1x4x4x4xi8>
  }
}
