// A streaming temporal shift (online TSM, one frame per call) keeps the
// previous frame's shifted channels in a file-scope static state buffer
// (outside the arena, persisting between calls), [batch][inner][fold] for
// NHWC, [batch][fold][inner] otherwise. pare_temporal_shift_step(element
// bytes, x, y, state, batch, channels, inner, fold, channels_last) takes
// channels [0, fold) from the state and stores this frame's. The header adds
// <name>_reset() (state = zero, int8: the zero point) and <name>_step();
// state that resets to a non-zero value is reset before the first frame.
// The state counts in the SRAM of the memory report.
// RUN: rm -rf %t %t.json && pare compile %s -o %t --name st -q --memory-report %t.json
// RUN: FileCheck %s --input-file %t/st.c
// RUN: FileCheck %s --check-prefix=HDR --input-file %t/st.h
// RUN: FileCheck %s --check-prefix=JSON --input-file %t.json
// RUN: cd %t && for f in *.c; do gcc -std=c99 -Wall -Wextra -Werror -pedantic -c "$f" -o "$f.o" || exit 1; done
// Without the static arena: reset stays, run and step go.
// RUN: gcc -std=c99 -Wall -Wextra -Werror -pedantic -DST_NO_STATIC_ARENA -c %t/st.c -o %t/nostatic.o
// RUN: nm %t/nostatic.o | FileCheck %s --check-prefix=NOSTATIC
// The 136 state bytes count against --sram: 2048 (stack estimate) + 136 > 2100.
// RUN: not pare compile %s -o %t/small --name st --sram 2100 2>&1 | FileCheck %s --check-prefix=SRAM

// CHECK: /* Streaming state (pare.temporal_shift, streaming): the previous frame's
// CHECK-NEXT: * shifted channels of each stream, kept between calls (136 bytes, not in the arena). */
// CHECK-NEXT: static float st_tsm_f32_state[12];
// CHECK-NEXT: static int8_t st_tsm_int8_state[48];
// CHECK-NEXT: static float st_tsm_nchw_state[10];
// CHECK-NEXT: static int st_state_ready; /* reset before the first frame */
// CHECK-EMPTY:
// CHECK-NEXT: void st_reset(void) {
// CHECK-NEXT: size_t i;
// CHECK-NEXT: for (i = 0; i < 12; ++i)
// CHECK-NEXT: st_tsm_f32_state[i] = 0.0f;
// CHECK-NEXT: for (i = 0; i < 48; ++i)
// CHECK-NEXT: st_tsm_int8_state[i] = 5;
// CHECK-NEXT: for (i = 0; i < 10; ++i)
// CHECK-NEXT: st_tsm_nchw_state[i] = 0.0f;
// CHECK-NEXT: st_state_ready = 1;
// CHECK-NEXT: }

// CHECK-LABEL: int st_run_with_arena(
// CHECK: if (!st_state_ready)
// CHECK-NEXT: st_reset();
// CHECK: /* ONNX node "tsm_f32": temporal_shift -> 2x2x3x8 */
// CHECK-NEXT: /* streaming: channels [0, 1) come from the previous frame (st_tsm_f32_state), which then keeps this frame's */
// CHECK-NEXT: pare_temporal_shift_step(4, x, y, st_tsm_f32_state, 2, 8, 6, 1, 1);
// CHECK: /* ONNX node "tsm_int8": temporal_shift -> 1x2x3x16 */
// CHECK: pare_temporal_shift_step(1, q, z, st_tsm_int8_state, 1, 16, 6, 8, 1);
// CHECK: /* ONNX node "tsm_nchw": temporal_shift -> 1x4x5 */
// CHECK: pare_temporal_shift_step(4, n_v, m, st_tsm_nchw_state, 1, 4, 5, 2, 0);

// CHECK-LABEL: int st_step(const float *x, const int8_t *q, const float *n_v, float *y, int8_t *z, float *m) {
// CHECK-NEXT: return st_run(x, q, n_v, y, z, m);

// HDR: /* This model is streaming: its temporal shifts keep the previous frame's
// HDR-NEXT: * shifted channels in static state buffers (ST_STATE_BYTES bytes, outside the
// HDR-NEXT: * arena) between calls, so each call consumes the next frame of a stream.
// HDR-NEXT: * Not reentrant: one stream at a time (the state is shared by st_run,
// HDR-NEXT: * st_run_with_arena and st_step). Call st_reset() before a new stream. */
// HDR-NEXT: #define ST_STREAMING 1
// HDR-NEXT: #define ST_STATE_BYTES 136
// HDR: void st_reset(void);
// HDR: #ifndef ST_NO_STATIC_ARENA
// HDR: int st_step(const float *x, const int8_t *q, const float *n_v, float *y, int8_t *z, float *m);
// HDR-NEXT: #endif

// JSON: "sram": {"arena_bytes": 0, "stack_estimate_bytes": 2048, "state_bytes": 136, "total_bytes": 2184,

// NOSTATIC: T st_reset
// NOSTATIC-NOT: st_run{{$}}
// NOSTATIC-NOT: st_step

// SRAM: error: the model needs 2.1 KiB of SRAM (arena 0.0 KiB + stack estimate 2.0 KiB + streaming state 0.1 KiB) but --sram allows 2.1 KiB.

!q = !quant.uniform<i8:f32, 0.1:5>
func.func @main(%x: tensor<2x2x3x8xf32> {pare.name = "x"}, %q: tensor<1x2x3x16xi8> {pare.name = "q"},
                %n: tensor<1x4x5xf32> {pare.name = "n"})
    -> (tensor<2x2x3x8xf32> {pare.name = "y"}, tensor<1x2x3x16xi8> {pare.name = "z"},
        tensor<1x4x5xf32> {pare.name = "m"}) {
  %0 = pare.temporal_shift %x {frames = 1 : i64, fold = 1 : i64, mode = "unidirectional", channels_last, streaming} : (tensor<2x2x3x8xf32>) -> tensor<2x2x3x8xf32> loc("tsm_f32")
  %qq = pare.storage_cast %q : (tensor<1x2x3x16xi8>) -> tensor<1x2x3x16x!q> loc("qin")
  %1 = pare.temporal_shift %qq {frames = 1 : i64, fold = 8 : i64, mode = "unidirectional", channels_last, streaming} : (tensor<1x2x3x16x!q>) -> tensor<1x2x3x16x!q> loc("tsm_int8")
  %2 = pare.storage_cast %1 : (tensor<1x2x3x16x!q>) -> tensor<1x2x3x16xi8> loc("qout")
  %3 = pare.temporal_shift %n {frames = 1 : i64, fold = 2 : i64, mode = "unidirectional", streaming} : (tensor<1x4x5xf32>) -> tensor<1x4x5xf32> loc("tsm_nchw")
  return %0, %2, %3 : tensor<2x2x3x8xf32>, tensor<1x2x3x16xi8>, tensor<1x4x5xf32>
}
