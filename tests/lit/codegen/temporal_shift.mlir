// pare.temporal_shift (TSM) as one call of the type-generic pare_temporal_shift:
// element bytes, x, y, frames N*T, frames per clip T, channels, inner (H*W),
// fold, bidirectional, channels_last, &zero. A 4-D NCHW shift is computed in
// NHWC between layout transposes (pare-convert-to-nhwc); one of another rank
// stays NCHW. int8 shifts the stored values; zero is the zero point.
// --shift-fusion off: nothing here is folded into a convolution anyway.
// RUN: rm -rf %t %t.json && pare compile %s -o %t --name ts -q --shift-fusion off --memory-report %t.json
// RUN: FileCheck %s --input-file %t/ts.c
// RUN: FileCheck %s --check-prefix=HDR --input-file %t/ts.h
// RUN: FileCheck %s --check-prefix=JSON --input-file %t.json
// RUN: cd %t && for f in *.c; do gcc -std=c99 -Wall -Wextra -Werror -pedantic -c "$f" -o "$f.o" || exit 1; done

// CHECK-LABEL: int ts_run_with_arena(const float *x, const float *s, const float *v, const int8_t *q, float *y, float *t, float *w, int8_t *z, void *arena_memory) {

// CHECK: /* ONNX node "tsm_nchw": temporal_shift -> 6x8x5 */
// CHECK-NEXT: /* bidirectional shift of 1 channel each way over clips of 3 frames */
// CHECK-NEXT: {
// CHECK-NEXT: static const float tsm_zero = 0.0f;
// CHECK-NEXT: pare_temporal_shift(4, x, y, 6, 3, 8, 5, 1, 1, 0, &tsm_zero);
// CHECK-NEXT: }

// CHECK: /* NCHW -> NHWC layout change at ONNX node "tsm_4d": transpose -> 4x2x3x8 */
// CHECK: /* ONNX node "tsm_4d": temporal_shift -> 4x2x3x8 */
// CHECK-NEXT: /* unidirectional shift of 3 channels over clips of 2 frames */
// CHECK: pare_temporal_shift(4, [[IN:[a-z0-9_]+]], [[OUT:[a-z0-9_]+]], 4, 2, 8, 6, 3, 0, 1, &tsm_zero);
// CHECK: /* NHWC -> NCHW layout change at ONNX node "tsm_4d": transpose -> 4x8x2x3 */
// CHECK: pare_transpose(4, [[OUT]], in_shape, perm, 4, t);

// CHECK: /* ONNX node "tsm_nhwc": temporal_shift -> 4x2x3x8 */
// CHECK-NEXT: /* unidirectional shift of 2 channels over clips of 4 frames */
// CHECK: pare_temporal_shift(4, v, w, 4, 4, 8, 6, 2, 0, 1, &tsm_zero);

// CHECK: /* ONNX node "tsm_int8": temporal_shift -> 4x2x3x8 */
// CHECK-NEXT: /* bidirectional shift of 2 channels each way over clips of 2 frames */
// CHECK-NEXT: {
// CHECK-NEXT: static const int8_t tsm_zero = -7;
// CHECK-NEXT: pare_temporal_shift(1, q, z, 4, 2, 8, 6, 2, 1, 1, &tsm_zero);
// CHECK: return 0;

// Offline shifts keep no state: no streaming API.
// HDR-NOT: _reset
// HDR-NOT: _step
// HDR-NOT: STREAMING
// JSON: "sram": {"arena_bytes": {{[0-9]+}}, "stack_estimate_bytes": 2048, "state_bytes": 0,

!q = !quant.uniform<i8:f32, 0.05:-7>
func.func @main(%x: tensor<6x8x5xf32> {pare.name = "x"}, %s: tensor<4x8x2x3xf32> {pare.name = "s"},
                %v: tensor<4x2x3x8xf32> {pare.name = "v"}, %q: tensor<4x2x3x8xi8> {pare.name = "q"})
    -> (tensor<6x8x5xf32> {pare.name = "y"}, tensor<4x8x2x3xf32> {pare.name = "t"},
        tensor<4x2x3x8xf32> {pare.name = "w"}, tensor<4x2x3x8xi8> {pare.name = "z"}) {
  %0 = pare.temporal_shift %x {frames = 3 : i64, fold = 1 : i64, mode = "bidirectional"} : (tensor<6x8x5xf32>) -> tensor<6x8x5xf32> loc("tsm_nchw")
  %1 = pare.temporal_shift %s {frames = 2 : i64, fold = 3 : i64, mode = "unidirectional"} : (tensor<4x8x2x3xf32>) -> tensor<4x8x2x3xf32> loc("tsm_4d")
  %2 = pare.temporal_shift %v {frames = 4 : i64, fold = 2 : i64, mode = "unidirectional", channels_last} : (tensor<4x2x3x8xf32>) -> tensor<4x2x3x8xf32> loc("tsm_nhwc")
  %qq = pare.storage_cast %q : (tensor<4x2x3x8xi8>) -> tensor<4x2x3x8x!q> loc("qin")
  %3 = pare.temporal_shift %qq {frames = 2 : i64, fold = 2 : i64, mode = "bidirectional", channels_last} : (tensor<4x2x3x8x!q>) -> tensor<4x2x3x8x!q> loc("tsm_int8")
  %4 = pare.storage_cast %3 : (tensor<4x2x3x8x!q>) -> tensor<4x2x3x8xi8> loc("qout")
  return %0, %1, %2, %4 : tensor<6x8x5xf32>, tensor<4x8x2x3xf32>, tensor<4x2x3x8xf32>, tensor<4x2x3x8xi8>
}
