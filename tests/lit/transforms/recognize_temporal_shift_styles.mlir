// pare-recognize-temporal-shift on the other ways exports write a shift
// (issue 13): a 4-D view [N, T, C, H*W] (MMAction2, zeros as x - x), a 5-D
// tensor flattened after its shift (a model input [N, T, C, H, W]), the two
// groups' directions reversed, zeros from ops on constants the folders have
// not run on yet, one view per group, an activation between the view and the
// data movement, and a tensor too large for distinct float32 probe values.
// RUN: pare-opt %s --split-input-file --pare-recognize-temporal-shift --canonicalize | FileCheck %s

// MMAction2's shift: x.view(-1, T, C, H * W), zeros = x - x, channel slices
// first, then the time slices.
// CHECK-LABEL: func.func @mmaction_view
// CHECK-NEXT: %[[S:.*]] = pare.temporal_shift %arg0 {fold = 1 : i64, frames = 4 : i64, mode = "bidirectional"} : (tensor<4x4x1x2xf32>) -> tensor<4x4x1x2xf32>
// CHECK-NEXT: return %[[S]]
func.func @mmaction_view(%x: tensor<4x4x1x2xf32>) -> tensor<4x4x1x2xf32> {
  %v = pare.reshape %x : (tensor<4x4x1x2xf32>) -> tensor<1x4x4x2xf32>
  %l = pare.slice %v {starts = array<i64: 0, 0, 0, 0>, ends = array<i64: 1, 4, 1, 2>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x1x2xf32>
  %m = pare.slice %v {starts = array<i64: 0, 0, 1, 0>, ends = array<i64: 1, 4, 2, 2>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x1x2xf32>
  %r = pare.slice %v {starts = array<i64: 0, 0, 2, 0>, ends = array<i64: 1, 4, 4, 2>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x2x2xf32>
  %zl = pare.sub %l, %l : (tensor<1x4x1x2xf32>, tensor<1x4x1x2xf32>) -> tensor<1x4x1x2xf32>
  %bl = pare.slice %zl {starts = array<i64: 0, 0, 0, 0>, ends = array<i64: 1, 1, 1, 2>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x4x1x2xf32>) -> tensor<1x1x1x2xf32>
  %l1 = pare.slice %l {starts = array<i64: 0, 1, 0, 0>, ends = array<i64: 1, 4, 1, 2>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x4x1x2xf32>) -> tensor<1x3x1x2xf32>
  %lc = pare.concat %l1, %bl {axis = 1 : i64} : (tensor<1x3x1x2xf32>, tensor<1x1x1x2xf32>) -> tensor<1x4x1x2xf32>
  %zm = pare.sub %m, %m : (tensor<1x4x1x2xf32>, tensor<1x4x1x2xf32>) -> tensor<1x4x1x2xf32>
  %bm = pare.slice %zm {starts = array<i64: 0, 0, 0, 0>, ends = array<i64: 1, 1, 1, 2>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x4x1x2xf32>) -> tensor<1x1x1x2xf32>
  %m1 = pare.slice %m {starts = array<i64: 0, 0, 0, 0>, ends = array<i64: 1, 3, 1, 2>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x4x1x2xf32>) -> tensor<1x3x1x2xf32>
  %mc = pare.concat %bm, %m1 {axis = 1 : i64} : (tensor<1x1x1x2xf32>, tensor<1x3x1x2xf32>) -> tensor<1x4x1x2xf32>
  %o = pare.concat %lc, %mc, %r {axis = 2 : i64} : (tensor<1x4x1x2xf32>, tensor<1x4x1x2xf32>, tensor<1x4x2x2xf32>) -> tensor<1x4x4x2xf32>
  %y = pare.reshape %o : (tensor<1x4x4x2xf32>) -> tensor<4x4x1x2xf32>
  return %y : tensor<4x4x1x2xf32>
}

// -----

// A 5-D input [N, T, C, H, W], shifted, then flattened to [N*T, C, H, W]:
// the shift runs on the flattened input.
// CHECK-LABEL: func.func @five_d_input
// CHECK-NEXT: %[[V:.*]] = pare.reshape %arg0 : (tensor<1x4x4x1x1xf32>) -> tensor<4x4x1x1xf32>
// CHECK-NEXT: %[[S:.*]] = pare.temporal_shift %[[V]] {fold = 1 : i64, frames = 4 : i64, mode = "bidirectional"} : (tensor<4x4x1x1xf32>) -> tensor<4x4x1x1xf32>
// CHECK-NEXT: return %[[S]]
func.func @five_d_input(%x5: tensor<1x4x4x1x1xf32>) -> tensor<4x4x1x1xf32> {
  %z = pare.constant dense<0.0> : tensor<1x1x1x1x1xf32>
  %a = pare.slice %x5 {starts = array<i64: 0, 1, 0, 0, 0>, ends = array<i64: 1, 4, 1, 1, 1>, steps = array<i64: 1, 1, 1, 1, 1>} : (tensor<1x4x4x1x1xf32>) -> tensor<1x3x1x1x1xf32>
  %a2 = pare.concat %a, %z {axis = 1 : i64} : (tensor<1x3x1x1x1xf32>, tensor<1x1x1x1x1xf32>) -> tensor<1x4x1x1x1xf32>
  %b = pare.slice %x5 {starts = array<i64: 0, 0, 1, 0, 0>, ends = array<i64: 1, 3, 2, 1, 1>, steps = array<i64: 1, 1, 1, 1, 1>} : (tensor<1x4x4x1x1xf32>) -> tensor<1x3x1x1x1xf32>
  %b2 = pare.concat %z, %b {axis = 1 : i64} : (tensor<1x1x1x1x1xf32>, tensor<1x3x1x1x1xf32>) -> tensor<1x4x1x1x1xf32>
  %c = pare.slice %x5 {starts = array<i64: 0, 0, 2, 0, 0>, ends = array<i64: 1, 4, 4, 1, 1>, steps = array<i64: 1, 1, 1, 1, 1>} : (tensor<1x4x4x1x1xf32>) -> tensor<1x4x2x1x1xf32>
  %y5 = pare.concat %a2, %b2, %c {axis = 2 : i64} : (tensor<1x4x1x1x1xf32>, tensor<1x4x1x1x1xf32>, tensor<1x4x2x1x1xf32>) -> tensor<1x4x4x1x1xf32>
  %y = pare.reshape %y5 : (tensor<1x4x4x1x1xf32>) -> tensor<4x4x1x1xf32>
  return %y : tensor<4x4x1x1xf32>
}

// -----

// The groups' directions reversed (out[:, 1:, :f] = x[:, :-1, :f];
// out[:, :-1, f:2f] = x[:, 1:, f:2f]): channel 0 takes frame t-1, channel 1
// frame t+1.
// CHECK-LABEL: func.func @reversed
// CHECK-NEXT: %[[S:.*]] = pare.temporal_shift %arg0 {fold = 1 : i64, frames = 4 : i64, mode = "bidirectional_reversed"} : (tensor<4x4x1x1xf32>) -> tensor<4x4x1x1xf32>
// CHECK-NEXT: return %[[S]]
func.func @reversed(%x: tensor<4x4x1x1xf32>) -> tensor<4x4x1x1xf32> {
  %z = pare.constant dense<0.0> : tensor<1x1x1x1x1xf32>
  %x5 = pare.reshape %x : (tensor<4x4x1x1xf32>) -> tensor<1x4x4x1x1xf32>
  %a = pare.slice %x5 {starts = array<i64: 0, 0, 0, 0, 0>, ends = array<i64: 1, 3, 1, 1, 1>, steps = array<i64: 1, 1, 1, 1, 1>} : (tensor<1x4x4x1x1xf32>) -> tensor<1x3x1x1x1xf32>
  %a2 = pare.concat %z, %a {axis = 1 : i64} : (tensor<1x1x1x1x1xf32>, tensor<1x3x1x1x1xf32>) -> tensor<1x4x1x1x1xf32>
  %b = pare.slice %x5 {starts = array<i64: 0, 1, 1, 0, 0>, ends = array<i64: 1, 4, 2, 1, 1>, steps = array<i64: 1, 1, 1, 1, 1>} : (tensor<1x4x4x1x1xf32>) -> tensor<1x3x1x1x1xf32>
  %b2 = pare.concat %b, %z {axis = 1 : i64} : (tensor<1x3x1x1x1xf32>, tensor<1x1x1x1x1xf32>) -> tensor<1x4x1x1x1xf32>
  %c = pare.slice %x5 {starts = array<i64: 0, 0, 2, 0, 0>, ends = array<i64: 1, 4, 4, 1, 1>, steps = array<i64: 1, 1, 1, 1, 1>} : (tensor<1x4x4x1x1xf32>) -> tensor<1x4x2x1x1xf32>
  %y5 = pare.concat %a2, %b2, %c {axis = 2 : i64} : (tensor<1x4x1x1x1xf32>, tensor<1x4x1x1x1xf32>, tensor<1x4x2x1x1xf32>) -> tensor<1x4x4x1x1xf32>
  %y = pare.reshape %y5 : (tensor<1x4x4x1x1xf32>) -> tensor<4x4x1x1xf32>
  return %y : tensor<4x4x1x1xf32>
}

// -----

// One view of x per group, and zeros from a scalar 0 expanded (not folded
// yet: the recogniser evaluates it with the probe).
// CHECK-LABEL: func.func @view_per_group
// CHECK-NEXT: %[[S:.*]] = pare.temporal_shift %arg0 {fold = 1 : i64, frames = 2 : i64, mode = "unidirectional"} : (tensor<4x2x1x1xf32>) -> tensor<4x2x1x1xf32>
// CHECK-NEXT: return %[[S]]
func.func @view_per_group(%x: tensor<4x2x1x1xf32>) -> tensor<4x2x1x1xf32> {
  %s = pare.constant dense<0.0> : tensor<f32>
  %z = pare.expand %s {shape = array<i64: 2, 1, 1, 1, 1>} : (tensor<f32>) -> tensor<2x1x1x1x1xf32>
  %xa = pare.reshape %x : (tensor<4x2x1x1xf32>) -> tensor<2x2x2x1x1xf32>
  %a = pare.slice %xa {starts = array<i64: 0, 0, 0, 0, 0>, ends = array<i64: 2, 1, 1, 1, 1>, steps = array<i64: 1, 1, 1, 1, 1>} : (tensor<2x2x2x1x1xf32>) -> tensor<2x1x1x1x1xf32>
  %a2 = pare.concat %z, %a {axis = 1 : i64} : (tensor<2x1x1x1x1xf32>, tensor<2x1x1x1x1xf32>) -> tensor<2x2x1x1x1xf32>
  %xb = pare.reshape %x : (tensor<4x2x1x1xf32>) -> tensor<2x2x2x1x1xf32>
  %b = pare.slice %xb {starts = array<i64: 0, 0, 1, 0, 0>, ends = array<i64: 2, 2, 2, 1, 1>, steps = array<i64: 1, 1, 1, 1, 1>} : (tensor<2x2x2x1x1xf32>) -> tensor<2x2x1x1x1xf32>
  %y5 = pare.concat %a2, %b {axis = 2 : i64} : (tensor<2x2x1x1x1xf32>, tensor<2x2x1x1x1xf32>) -> tensor<2x2x2x1x1xf32>
  %y = pare.reshape %y5 : (tensor<2x2x2x1x1xf32>) -> tensor<4x2x1x1xf32>
  return %y : tensor<4x2x1x1xf32>
}

// -----

// A ReLU between the view and the data movement: the shift is recognised
// from the ReLU's result (a 5-D tensor), after it. (On an all-positive probe
// the ReLU is the identity: taking the view's input as the shift's would drop
// it.)
// CHECK-LABEL: func.func @relu_before_the_shift
// CHECK-NEXT: %[[V:.*]] = pare.reshape %arg0 : (tensor<4x4x1x1xf32>) -> tensor<1x4x4x1x1xf32>
// CHECK-NEXT: %[[R:.*]] = pare.relu %[[V]]
// CHECK-NEXT: %[[B:.*]] = pare.reshape %[[R]] : (tensor<1x4x4x1x1xf32>) -> tensor<4x4x1x1xf32>
// CHECK-NEXT: %[[S:.*]] = pare.temporal_shift %[[B]] {fold = 1 : i64, frames = 4 : i64, mode = "bidirectional"}
// CHECK-NEXT: return %[[S]]
func.func @relu_before_the_shift(%x: tensor<4x4x1x1xf32>) -> tensor<4x4x1x1xf32> {
  %z = pare.constant dense<0.0> : tensor<1x1x1x1x1xf32>
  %x5 = pare.reshape %x : (tensor<4x4x1x1xf32>) -> tensor<1x4x4x1x1xf32>
  %r5 = pare.relu %x5 : (tensor<1x4x4x1x1xf32>) -> tensor<1x4x4x1x1xf32>
  %a = pare.slice %r5 {starts = array<i64: 0, 1, 0, 0, 0>, ends = array<i64: 1, 4, 1, 1, 1>, steps = array<i64: 1, 1, 1, 1, 1>} : (tensor<1x4x4x1x1xf32>) -> tensor<1x3x1x1x1xf32>
  %a2 = pare.concat %a, %z {axis = 1 : i64} : (tensor<1x3x1x1x1xf32>, tensor<1x1x1x1x1xf32>) -> tensor<1x4x1x1x1xf32>
  %b = pare.slice %r5 {starts = array<i64: 0, 0, 1, 0, 0>, ends = array<i64: 1, 3, 2, 1, 1>, steps = array<i64: 1, 1, 1, 1, 1>} : (tensor<1x4x4x1x1xf32>) -> tensor<1x3x1x1x1xf32>
  %b2 = pare.concat %z, %b {axis = 1 : i64} : (tensor<1x1x1x1x1xf32>, tensor<1x3x1x1x1xf32>) -> tensor<1x4x1x1x1xf32>
  %c = pare.slice %r5 {starts = array<i64: 0, 0, 2, 0, 0>, ends = array<i64: 1, 4, 4, 1, 1>, steps = array<i64: 1, 1, 1, 1, 1>} : (tensor<1x4x4x1x1xf32>) -> tensor<1x4x2x1x1xf32>
  %y5 = pare.concat %a2, %b2, %c {axis = 2 : i64} : (tensor<1x4x1x1x1xf32>, tensor<1x4x1x1x1xf32>, tensor<1x4x2x1x1xf32>) -> tensor<1x4x4x1x1xf32>
  %y = pare.reshape %y5 : (tensor<1x4x4x1x1xf32>) -> tensor<4x4x1x1xf32>
  return %y : tensor<4x4x1x1xf32>
}

// -----

// More elements (16,793,600) than float32 counts exactly: the probes repeat
// values modulo two primes, and the shift is still found.
// CHECK-LABEL: func.func @large
// CHECK-NEXT: %[[S:.*]] = pare.temporal_shift %arg0 {fold = 1 : i64, frames = 8 : i64, mode = "unidirectional"} : (tensor<8x2x1024x1025xf32>) -> tensor<8x2x1024x1025xf32>
// CHECK-NEXT: return %[[S]]
func.func @large(%x: tensor<8x2x1024x1025xf32>) -> tensor<8x2x1024x1025xf32> {
  %z = pare.constant dense<0.0> : tensor<1x1x1x1024x1025xf32>
  %x5 = pare.reshape %x : (tensor<8x2x1024x1025xf32>) -> tensor<1x8x2x1024x1025xf32>
  %a = pare.slice %x5 {starts = array<i64: 0, 0, 0, 0, 0>, ends = array<i64: 1, 7, 1, 1024, 1025>, steps = array<i64: 1, 1, 1, 1, 1>} : (tensor<1x8x2x1024x1025xf32>) -> tensor<1x7x1x1024x1025xf32>
  %a2 = pare.concat %z, %a {axis = 1 : i64} : (tensor<1x1x1x1024x1025xf32>, tensor<1x7x1x1024x1025xf32>) -> tensor<1x8x1x1024x1025xf32>
  %c = pare.slice %x5 {starts = array<i64: 0, 0, 1, 0, 0>, ends = array<i64: 1, 8, 2, 1024, 1025>, steps = array<i64: 1, 1, 1, 1, 1>} : (tensor<1x8x2x1024x1025xf32>) -> tensor<1x8x1x1024x1025xf32>
  %y5 = pare.concat %a2, %c {axis = 2 : i64} : (tensor<1x8x1x1024x1025xf32>, tensor<1x8x1x1024x1025xf32>) -> tensor<1x8x2x1024x1025xf32>
  %y = pare.reshape %y5 : (tensor<1x8x2x1024x1025xf32>) -> tensor<8x2x1024x1025xf32>
  return %y : tensor<8x2x1024x1025xf32>
}
