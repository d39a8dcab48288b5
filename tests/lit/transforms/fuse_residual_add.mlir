// FuseResidualAdd marks a producer whose only user is the next op, an add of
// a residual; PlanMemory then gives the producer no buffer and starts the
// add's buffer at the producer (so it never overlaps the producer's inputs).
// RUN: pare-opt %s --pare-fuse-residual-add | FileCheck %s
// RUN: pare-opt %s --pare-fuse-residual-add --pare-plan-memory | FileCheck %s --check-prefix=PLAN

// CHECK-LABEL: func.func @block
// CHECK: pare.conv {{.*}} {channels_last, {{.*}}}
// CHECK-NOT: pare.residual_add
// CHECK: pare.conv {{.*}} {channels_last, {{.*}} pare.residual_add, {{.*}}}
// CHECK: pare.add
// A producer with an activation is not marked (the add comes after it).
// CHECK: pare.conv {{.*}} {activation = "relu"
// CHECK-NOT: pare.residual_add
// CHECK: return

// x (256 B, input) -> c1 (256 B) -> c2 (256 B, marked) ; add(c2, c1) -> relu
// c1 dies at the add, c2 has no buffer, the add's buffer starts at c2 and so
// cannot share bytes with c1.
// PLAN-LABEL: func.func @block
// PLAN: pare.conv {{.*}}pare.offsets = array<i64: 0>
// PLAN: pare.conv {{.*}}pare.offsets = array<i64: -1>, pare.residual_add
// PLAN: pare.add {{.*}}pare.offsets = array<i64: 256>}
func.func @block(%x: tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> {
  %w = pare.constant dense<0.5> : tensor<4x1x1x4xf32>
  %c1 = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last} : (tensor<1x4x4x4xf32>, tensor<4x1x1x4xf32>) -> tensor<1x4x4x4xf32>
  %c2 = pare.conv %c1, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last} : (tensor<1x4x4x4xf32>, tensor<4x1x1x4xf32>) -> tensor<1x4x4x4xf32>
  %a = pare.add %c2, %c1 {activation = "relu"} : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %c3 = pare.conv %a, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last, activation = "relu"} : (tensor<1x4x4x4xf32>, tensor<4x1x1x4xf32>) -> tensor<1x4x4x4xf32>
  %b = pare.add %c3, %a : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  return %b : tensor<1x4x4x4xf32>
}
