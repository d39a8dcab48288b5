// Operator reordering (planner=pare): two branches each grow a tensor and
// shrink it again. In the model's order both large tensors are live at once;
// list scheduling runs each branch to its small result first, which lowers
// the lower bound itself, so the ops move (pare.reordered). TFLite Micro's
// greedy-by-size keeps the model's order.
// RUN: pare-opt %s --pare-plan-memory | FileCheck %s
// RUN: pare-opt %s --pass-pipeline='builtin.module(func.func(pare-plan-memory{planner=greedy-by-size}))' | FileCheck %s --check-prefix=GREEDY

//   %0 relu  64 B (read by both branches)
//   %1 pad  256 B -> %3 slice 16 B       (branch A)
//   %2 pad  256 B -> %4 slice 16 B       (branch B)
// Model order %1 %2 %3 %4: %0 + %1 + %2 = 576 bytes live at %2.
// Reordered %1 %3 %2 %4: at most %0 + %3 + %2 = 336 (16-byte aligned).
// CHECK-LABEL: func.func @branches
// CHECK-SAME: pare.arena_bytes = 336 : i64, pare.live_bytes_bound = 336 : i64, pare.reordered
// CHECK: %[[R:.*]] = pare.relu
// CHECK: %[[A:.*]] = pare.pad %[[R]]
// CHECK: pare.slice %[[A]]
// CHECK: %[[B:.*]] = pare.pad %[[R]]
// CHECK: pare.slice %[[B]]
// CHECK: pare.concat
// GREEDY-LABEL: func.func @branches
// GREEDY-SAME: pare.arena_bytes = 576 : i64, pare.live_bytes_bound = 576 : i64}
// GREEDY: pare.pad
// GREEDY: pare.pad
// GREEDY: pare.slice
// GREEDY: pare.slice
func.func @branches(%x: tensor<16xf32>) -> tensor<8xf32> {
  %0 = pare.relu %x : (tensor<16xf32>) -> tensor<16xf32>
  %1 = pare.pad %0 {pads_begin = array<i64: 24>, pads_end = array<i64: 24>, mode = "constant", value = 0.0 : f32} : (tensor<16xf32>) -> tensor<64xf32>
  %2 = pare.pad %0 {pads_begin = array<i64: 20>, pads_end = array<i64: 28>, mode = "constant", value = 1.0 : f32} : (tensor<16xf32>) -> tensor<64xf32>
  %3 = pare.slice %1 {starts = array<i64: 20>, ends = array<i64: 24>, steps = array<i64: 1>} : (tensor<64xf32>) -> tensor<4xf32>
  %4 = pare.slice %2 {starts = array<i64: 20>, ends = array<i64: 24>, steps = array<i64: 1>} : (tensor<64xf32>) -> tensor<4xf32>
  %5 = pare.concat %3, %4 {axis = 0 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<8xf32>
  return %5 : tensor<8xf32>
}
