// PlanMemory: tensor lifetimes over the op order, in-place ops, placement in
// one arena. Each case states the byte sizes and live ranges (op steps,
// counted from 0 over the function body) and CHECKs the exact offsets, the
// arena size and the lower bound (the largest sum of live bytes at one step,
// an in-place pair counting once).
// RUN: pare-opt %s --pare-plan-memory --split-input-file | FileCheck %s
// RUN: pare-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(pare-plan-memory{alignment=64}))' | FileCheck %s --check-prefix=ALIGN64
// RUN: pare-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(pare-plan-memory{planner=greedy-by-size}))' | FileCheck %s --check-prefix=GREEDY

// A chain of equal 64-byte elementwise ops: each operand dies at its one
// user, so every op runs in place (pare.in_place = operand 0) and one
// buffer holds the chain. The last result is the caller's output buffer
// (-1) and takes no arena space.
//   %0 relu    64 B  steps [0, 1]  -> 0
//   %1 sigmoid 64 B  steps [1, 2]  -> 0, in place over %0
//   %2 tanh    64 B  steps [2, 3]  -> 0, in place over %1
//   %3 neg     output              -> -1
// CHECK-LABEL: func.func @chain
// CHECK-SAME: attributes {pare.arena_bytes = 64 : i64, pare.live_bytes_bound = 64 : i64}
// Each op also records the bytes live while it runs (operands, results).
// CHECK: pare.relu %{{.*}} {pare.live_bytes = 64 : i64, pare.offsets = array<i64: 0>}
// CHECK: pare.sigmoid %{{.*}} {pare.in_place = 0 : i64, pare.live_bytes = 64 : i64, pare.offsets = array<i64: 0>}
// CHECK: pare.tanh %{{.*}} {pare.in_place = 0 : i64, pare.live_bytes = 64 : i64, pare.offsets = array<i64: 0>}
// CHECK: pare.neg %{{.*}} pare.offsets = array<i64: -1>}
// ALIGN64-LABEL: func.func @chain
// ALIGN64-SAME: attributes {pare.arena_bytes = 64 : i64, pare.live_bytes_bound = 64 : i64}
// TFLite Micro's greedy-by-size has no in-place ops: two buffers ping-pong.
// GREEDY-LABEL: func.func @chain
// GREEDY-SAME: attributes {pare.arena_bytes = 128 : i64, pare.live_bytes_bound = 128 : i64}
// GREEDY: pare.relu %{{.*}} {pare.live_bytes = 64 : i64, pare.offsets = array<i64: 0>}
// GREEDY: pare.sigmoid %{{.*}} {pare.live_bytes = 128 : i64, pare.offsets = array<i64: 64>}
// GREEDY: pare.tanh %{{.*}} pare.offsets = array<i64: 0>}
func.func @chain(%x: tensor<16xf32>) -> tensor<16xf32> {
  %0 = pare.relu %x : (tensor<16xf32>) -> tensor<16xf32>
  %1 = pare.sigmoid %0 : (tensor<16xf32>) -> tensor<16xf32>
  %2 = pare.tanh %1 : (tensor<16xf32>) -> tensor<16xf32>
  %3 = pare.neg %2 : (tensor<16xf32>) -> tensor<16xf32>
  return %3 : tensor<16xf32>
}

// -----

// A branch: %0 feeds a slice and a pad, which meet again in the concat.
//   %0 relu  128 B  steps [0, 2]  -> 0
//   %1 slice  32 B  steps [1, 3]  -> 128  (beside %0)
//   %2 pad   192 B  steps [2, 4]  -> 160  (beside %0 and %1)
//   %3 relu   32 B  steps [3, 4]  -> 128  (in place over %1, which dies)
//   %4 concat output              -> -1
// Peak: step 2 holds %0 + %1 + %2 = 352 bytes, and the arena is that.
// With 64-byte alignment %1 takes 64 bytes: %2 moves to 192, arena 384.
// CHECK-LABEL: func.func @branch
// CHECK-SAME: attributes {pare.arena_bytes = 352 : i64, pare.live_bytes_bound = 352 : i64}
// CHECK: pare.relu %{{.*}} pare.offsets = array<i64: 0>}
// CHECK: pare.slice {{.*}}pare.offsets = array<i64: 128>
// CHECK: pare.pad {{.*}}pare.offsets = array<i64: 160>
// CHECK: pare.relu %{{.*}} {pare.in_place = 0 : i64, {{.*}}pare.offsets = array<i64: 128>}
// CHECK: pare.concat {{.*}}pare.offsets = array<i64: -1>
// ALIGN64-LABEL: func.func @branch
// ALIGN64-SAME: attributes {pare.arena_bytes = 384 : i64, pare.live_bytes_bound = 384 : i64}
// ALIGN64: pare.relu %{{.*}} pare.offsets = array<i64: 0>}
// ALIGN64: pare.slice {{.*}}pare.offsets = array<i64: 128>
// ALIGN64: pare.pad {{.*}}pare.offsets = array<i64: 192>
// ALIGN64: pare.relu %{{.*}} pare.offsets = array<i64: 128>}
func.func @branch(%x: tensor<32xf32>) -> tensor<56xf32> {
  %0 = pare.relu %x : (tensor<32xf32>) -> tensor<32xf32>
  %1 = pare.slice %0 {starts = array<i64: 0>, ends = array<i64: 8>, steps = array<i64: 1>} : (tensor<32xf32>) -> tensor<8xf32>
  %2 = pare.pad %0 {pads_begin = array<i64: 8>, pads_end = array<i64: 8>, mode = "constant", value = 0.0 : f32} : (tensor<32xf32>) -> tensor<48xf32>
  %3 = pare.relu %1 : (tensor<8xf32>) -> tensor<8xf32>
  %4 = pare.concat %2, %3 {axis = 0 : i64} : (tensor<48xf32>, tensor<8xf32>) -> tensor<56xf32>
  return %4 : tensor<56xf32>
}

// -----

// Constants get no offsets; a reshape aliases its input (-1) and its uses
// extend the input's lifetime; a split has one offset per result; a value
// returned twice is written to the first output and copied to the second.
//   step 0 constant, no plan
//   %1 add   64 B  steps [1, 4] (used through the reshape at 4)  -> 0
//   %2 reshape alias                                             -> -1
//   %3 relu  64 B  steps [3, 5]                                  -> 64
//   %4 relu  output 0                                            -> -1
//   %5 split 32 B + 32 B, steps [5, 6]                           -> 0, 32
//   %6 concat outputs 1 and 2                                    -> -1
// CHECK-LABEL: func.func @aliases
// CHECK-SAME: attributes {pare.arena_bytes = 128 : i64, pare.live_bytes_bound = 128 : i64}
// CHECK: pare.constant dense<1.000000e+00> : tensor<2x8xf32>
// CHECK: pare.add %{{.*}}, %{{.*}} pare.offsets = array<i64: 0>}
// CHECK: pare.reshape %{{.*}} pare.offsets = array<i64: -1>}
// CHECK: pare.relu %{{.*}} pare.offsets = array<i64: 64>}
// CHECK: pare.relu %{{.*}} pare.offsets = array<i64: -1>}
// CHECK: pare.split {{.*}}pare.offsets = array<i64: 0, 32>
// CHECK: pare.concat {{.*}}pare.offsets = array<i64: -1>
// ALIGN64-LABEL: func.func @aliases
// ALIGN64-SAME: attributes {pare.arena_bytes = 192 : i64, pare.live_bytes_bound = 192 : i64}
// ALIGN64: pare.split {{.*}}pare.offsets = array<i64: 0, 128>
func.func @aliases(%x: tensor<2x8xf32>) -> (tensor<16xf32>, tensor<2x8xf32>, tensor<2x8xf32>) {
  %c = pare.constant dense<1.0> : tensor<2x8xf32>
  %0 = pare.add %x, %c : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %r = pare.reshape %0 : (tensor<2x8xf32>) -> tensor<16xf32>
  %1 = pare.relu %x : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %2 = pare.relu %r : (tensor<16xf32>) -> tensor<16xf32>
  %3:2 = pare.split %1 {axis = 0 : i64, sizes = array<i64: 1, 1>} : (tensor<2x8xf32>) -> (tensor<1x8xf32>, tensor<1x8xf32>)
  %4 = pare.concat %3#1, %3#0 {axis = 0 : i64} : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<2x8xf32>
  return %2, %4, %4 : tensor<16xf32>, tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// Element sizes: i1 takes one byte per element, i64 eight; sizes are rounded
// up to the alignment (16 by default).
//   %0 less  i1  12 x 1 B = 12 B (16 aligned)  steps [0, 2]  -> 0
//   %1 cast  i64 12 x 8 B = 96 B, output 1                   -> -1
//   %2 where f32 12 x 4 B = 48 B               steps [2, 3]  -> 16
//   %3 reduce_sum output 0                                   -> -1
// Peak: step 2 holds %0 and %2, 16 + 48 = 64 bytes.
// CHECK-LABEL: func.func @element_sizes
// CHECK-SAME: attributes {pare.arena_bytes = 64 : i64, pare.live_bytes_bound = 64 : i64}
// CHECK: pare.less {{.*}}pare.offsets = array<i64: 0>
// CHECK: pare.cast {{.*}}pare.offsets = array<i64: -1>
// CHECK: pare.where {{.*}}pare.offsets = array<i64: 16>
// CHECK: pare.reduce_sum {{.*}}pare.offsets = array<i64: -1>
func.func @element_sizes(%a: tensor<3x4xf32>, %b: tensor<3x4xf32>) -> (tensor<3x1xf32>, tensor<3x4xi64>) {
  %0 = pare.less %a, %b : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xi1>
  %1 = pare.cast %0 {to = i64} : (tensor<3x4xi1>) -> tensor<3x4xi64>
  %2 = pare.where %0, %a, %b : (tensor<3x4xi1>, tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %3 = pare.reduce_sum %2 {axes = array<i64: 1>, keepdims = true} : (tensor<3x4xf32>) -> tensor<3x1xf32>
  return %3, %1 : tensor<3x1xf32>, tensor<3x4xi64>
}
