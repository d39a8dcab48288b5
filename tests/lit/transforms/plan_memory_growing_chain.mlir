// Known gap of the first-fit placement (dialects/Pare/Analysis/ArenaPlanner.cpp
// placeFirstFit): on a chain whose tensors grow, each buffer is placed
// beside its predecessor at the lowest free offset, so the third buffer
// cannot reuse the first one's bytes and the arena exceeds the lower bound.
//   %0 relu  64 B  steps [0, 1]
//   %1 pad  128 B  steps [1, 2]
//   %2 pad  192 B  steps [2, 3]
// Bound: max(64 + 128, 128 + 192) = 320, reached by %0 -> 0, %1 -> 192,
// %2 -> 0. First fit gives %0 -> 0, %1 -> 64, %2 -> 192: 384 bytes.
// (NCHW models hit this at every "transpose -> conv" pair that grows.)
// RUN: pare-opt %s --pare-plan-memory | FileCheck %s
// CHECK-LABEL: func.func @growing_chain
// CHECK-SAME: pare.arena_bytes = 320 : i64, pare.live_bytes_bound = 320 : i64
func.func @growing_chain(%x: tensor<16xf32>) -> tensor<48xf32> {
  %0 = pare.relu %x : (tensor<16xf32>) -> tensor<16xf32>
  %1 = pare.pad %0 {pads_begin = array<i64: 8>, pads_end = array<i64: 8>, mode = "constant", value = 0.0 : f32} : (tensor<16xf32>) -> tensor<32xf32>
  %2 = pare.pad %1 {pads_begin = array<i64: 8>, pads_end = array<i64: 8>, mode = "constant", value = 0.0 : f32} : (tensor<32xf32>) -> tensor<48xf32>
  %3 = pare.relu %2 : (tensor<48xf32>) -> tensor<48xf32>
  return %3 : tensor<48xf32>
}
