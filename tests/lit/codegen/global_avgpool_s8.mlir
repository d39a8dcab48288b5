// The int8 global average pool follows TFLite: with the same quantization in
// and out (AVERAGE_POOL_2D, CMSIS-NN's arm_avgpool_s8) the raw int8 sum is
// divided by the cell count with rounding: the kernel gets zero points 0 and
// the unit multiplier (2^30, shift 1). Otherwise (MEAN, reference_integer_ops)
// the sum of x - x_zp is requantized by the scale ratio alone (0.5 / 0.25 = 2:
// 2^30, shift 2) and then divided with rounding; 1/25 is not folded into the
// multiplier. A mean over height and width compiles to the same kernel.
// RUN: rm -rf %t && pare compile %s -o %t --name gap -q --int8-rounding tflite
// RUN: FileCheck %s --input-file %t/gap.c
// RUN: pare compile %s -o %t/generic --name gap -q --int8-rounding tflite --kernels generic
// RUN: FileCheck %s --check-prefix=GENERIC --input-file %t/generic/gap.c
// RUN: cd %t && for f in *.c; do gcc -std=c99 -Wall -Wextra -Werror -pedantic -c "$f" -o "$f.o" || exit 1; done

// Per layer, the kernel body with literal constants (the division by the
// cell count becomes a multiply).
// CHECK: GAP_LAYER void gap_same_kernel(const int8_t *x, int8_t *y) {
// CHECK-NEXT: pare_global_avgpool_s8_impl(x, 1, 25, 16, 0, 1073741824, 1,
// CHECK-NEXT: 0, -128, 127, y, (int32_t *)NULL);
// CHECK: GAP_LAYER void gap_ratio_kernel(const int8_t *x, int8_t *y) {
// CHECK-NEXT: pare_global_avgpool_s8_impl(x, 1, 25, 16, -3, 1073741824, 2,
// CHECK-NEXT: 7, -128, 127, y, (int32_t *)NULL);
// CHECK: GAP_LAYER void gap_mean_kernel(const int8_t *x, int8_t *y) {
// CHECK-NEXT: pare_global_avgpool_s8_impl(x, 1, 25, 16, -3, 1073741824, 2,
// CHECK: /* ONNX node "same": qglobal_average_pool -> 1x1x1x16 */
// CHECK-NEXT: gap_same_kernel(q, same);
// CHECK: /* ONNX node "ratio": qglobal_average_pool -> 1x1x1x16 */
// CHECK-NEXT: gap_ratio_kernel(q2, ratio);
// CHECK: /* ONNX node "mean": qglobal_average_pool -> 1x1x1x16 */
// CHECK-NEXT: gap_mean_kernel(q3, mean);
// With --kernels generic, the extern kernel with the same arguments.
// GENERIC: pare_global_avgpool_s8(q, 1, 25, 16, 0, 1073741824, 1,
// GENERIC-NEXT: 0, -128, 127, same, (int32_t *)NULL);

!x = !quant.uniform<i8:f32, 0.5:-3>
!y = !quant.uniform<i8:f32, 0.25:7>
func.func @main(%x: tensor<1x5x5x16xf32> {pare.name = "x"}, %x2: tensor<1x5x5x16xf32> {pare.name = "x2"},
               %x3: tensor<1x5x5x16xf32> {pare.name = "x3"})
    -> (tensor<1x1x1x16xf32> {pare.name = "a"}, tensor<1x1x1x16xf32> {pare.name = "b"},
        tensor<1x16xf32> {pare.name = "c"}) {
  %xq = pare.quantize %x : (tensor<1x5x5x16xf32>) -> tensor<1x5x5x16x!x> loc("q")
  %xf = pare.dequantize %xq : (tensor<1x5x5x16x!x>) -> tensor<1x5x5x16xf32> loc("dq")
  %g1 = pare.global_average_pool %xf {channels_last} : (tensor<1x5x5x16xf32>) -> tensor<1x1x1x16xf32> loc("same")
  %aq = pare.quantize %g1 : (tensor<1x1x1x16xf32>) -> tensor<1x1x1x16x!x> loc("same_q")
  %af = pare.dequantize %aq : (tensor<1x1x1x16x!x>) -> tensor<1x1x1x16xf32> loc("same_dq")
  %xq2 = pare.quantize %x2 : (tensor<1x5x5x16xf32>) -> tensor<1x5x5x16x!x> loc("q2")
  %xf2 = pare.dequantize %xq2 : (tensor<1x5x5x16x!x>) -> tensor<1x5x5x16xf32> loc("dq2")
  %g2 = pare.global_average_pool %xf2 {channels_last} : (tensor<1x5x5x16xf32>) -> tensor<1x1x1x16xf32> loc("ratio")
  %bq = pare.quantize %g2 : (tensor<1x1x1x16xf32>) -> tensor<1x1x1x16x!y> loc("ratio_q")
  %bf = pare.dequantize %bq : (tensor<1x1x1x16x!y>) -> tensor<1x1x1x16xf32> loc("ratio_dq")
  %xq3 = pare.quantize %x3 : (tensor<1x5x5x16xf32>) -> tensor<1x5x5x16x!x> loc("q3")
  %xf3 = pare.dequantize %xq3 : (tensor<1x5x5x16x!x>) -> tensor<1x5x5x16xf32> loc("dq3")
  %m = pare.reduce_mean %xf3 {axes = array<i64: 1, 2>, keepdims = false} : (tensor<1x5x5x16xf32>) -> tensor<1x16xf32> loc("mean")
  %cq = pare.quantize %m : (tensor<1x16xf32>) -> tensor<1x16x!y> loc("mean_q")
  %cf = pare.dequantize %cq : (tensor<1x16x!y>) -> tensor<1x16xf32> loc("mean_dq")
  return %af, %bf, %cf : tensor<1x1x1x16xf32>, tensor<1x1x1x16xf32>, tensor<1x16xf32>
}
