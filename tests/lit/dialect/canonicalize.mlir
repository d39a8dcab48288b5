// Folders and canonicalisation patterns of the pare ops: constant folding of
// shape arithmetic, transpose / reshape composition, no-op folds, and
// flatten / squeeze / unsqueeze becoming reshape.
// RUN: pare-opt %s --canonicalize | FileCheck %s

// CHECK-LABEL: func.func @fold_shape_arith
// CHECK-NEXT: %[[C:.*]] = pare.constant dense<[3, 6, 9]> : tensor<3xi64>
// CHECK-NEXT: return %[[C]]
func.func @fold_shape_arith() -> tensor<3xi64> {
  %a = pare.constant dense<[1, 2, 3]> : tensor<3xi64>
  %b = pare.constant dense<2> : tensor<i64>
  %0 = pare.mul %a, %b : (tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  %1 = pare.add %0, %a : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  return %1 : tensor<3xi64>
}

// Shape -> Gather -> Unsqueeze -> Concat, as exporters write it.
// CHECK-LABEL: func.func @fold_gather_concat
// CHECK-NEXT: %[[C:.*]] = pare.constant dense<[1, -1, 1]> : tensor<3xi64>
// CHECK-NEXT: return %[[C]]
func.func @fold_gather_concat() -> tensor<3xi64> {
  %s = pare.constant dense<[1, 3, 8, 8]> : tensor<4xi64>
  %i = pare.constant dense<0> : tensor<i64>
  %m = pare.constant dense<[-1]> : tensor<1xi64>
  %0 = pare.gather %s, %i {axis = 0 : i64} : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %1 = pare.unsqueeze %0 {axes = array<i64: 0>} : (tensor<i64>) -> tensor<1xi64>
  %2 = pare.concat %1, %m, %1 {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  return %2 : tensor<3xi64>
}

// Integer division by zero is left to run time.
// CHECK-LABEL: func.func @no_fold_div_by_zero
// CHECK: pare.div
func.func @no_fold_div_by_zero() -> tensor<2xi64> {
  %a = pare.constant dense<[4, 5]> : tensor<2xi64>
  %b = pare.constant dense<[2, 0]> : tensor<2xi64>
  %0 = pare.div %a, %b : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}

// transpose(transpose(x, [1,2,0]), [2,0,1]) is the identity.
// CHECK-LABEL: func.func @compose_transposes
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NOT: pare.transpose
// CHECK: return %[[X]]
func.func @compose_transposes(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = pare.transpose %x {perm = array<i64: 1, 2, 0>} : (tensor<2x3x4xf32>) -> tensor<3x4x2xf32>
  %1 = pare.transpose %0 {perm = array<i64: 2, 0, 1>} : (tensor<3x4x2xf32>) -> tensor<2x3x4xf32>
  return %1 : tensor<2x3x4xf32>
}

// CHECK-LABEL: func.func @compose_transposes_partial
// CHECK: pare.transpose %{{.*}} {perm = array<i64: 2, 1, 0>} : (tensor<2x3x4xf32>) -> tensor<4x3x2xf32>
// CHECK-NOT: pare.transpose
func.func @compose_transposes_partial(%x: tensor<2x3x4xf32>) -> tensor<4x3x2xf32> {
  %0 = pare.transpose %x {perm = array<i64: 1, 0, 2>} : (tensor<2x3x4xf32>) -> tensor<3x2x4xf32>
  %1 = pare.transpose %0 {perm = array<i64: 2, 0, 1>} : (tensor<3x2x4xf32>) -> tensor<4x3x2xf32>
  return %1 : tensor<4x3x2xf32>
}

// A transpose that only moves size-1 dims keeps the element order.
// CHECK-LABEL: func.func @transpose_of_unit_dims
// CHECK-NEXT: pare.reshape %{{.*}} : (tensor<1x3x1x4xf32>) -> tensor<3x1x4x1xf32>
func.func @transpose_of_unit_dims(%x: tensor<1x3x1x4xf32>) -> tensor<3x1x4x1xf32> {
  %0 = pare.transpose %x {perm = array<i64: 1, 0, 3, 2>} : (tensor<1x3x1x4xf32>) -> tensor<3x1x4x1xf32>
  return %0 : tensor<3x1x4x1xf32>
}

// CHECK-LABEL: func.func @reshape_chain
// CHECK-NEXT: pare.reshape %{{.*}} : (tensor<2x3x4xf32>) -> tensor<24xf32>
// CHECK-NEXT: return
func.func @reshape_chain(%x: tensor<2x3x4xf32>) -> tensor<24xf32> {
  %0 = pare.flatten %x {axis = 1 : i64} : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
  %1 = pare.unsqueeze %0 {axes = array<i64: 0>} : (tensor<2x12xf32>) -> tensor<1x2x12xf32>
  %2 = pare.squeeze %1 {axes = array<i64: 0>} : (tensor<1x2x12xf32>) -> tensor<2x12xf32>
  %3 = pare.reshape %2 : (tensor<2x12xf32>) -> tensor<24xf32>
  return %3 : tensor<24xf32>
}

// CHECK-LABEL: func.func @no_op_folds
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @no_op_folds(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = pare.identity %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = pare.cast %0 {to = f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %2 = pare.slice %1 {starts = array<i64: 0, 0>, ends = array<i64: 2, 3>, steps = array<i64: 1, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %3 = pare.expand %2 {shape = array<i64: 1, 3>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %4 = pare.transpose %3 {perm = array<i64: 0, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %5 = pare.concat %4 {axis = 0 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %6 = pare.reshape %5 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %6 : tensor<2x3xf32>
}

// Data-movement ops on constants fold to constants.
// CHECK-LABEL: func.func @fold_constant_data
// CHECK-DAG: pare.constant dense<{{\[}}[1, 4], [2, 5], [3, 6]]> : tensor<3x2xi64>
// CHECK-DAG: pare.constant dense<[6, 4]> : tensor<2xi64>
// CHECK-DAG: pare.constant dense<{{\[}}[1.500000e+00, -2.500000e+00], [1.500000e+00, -2.500000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: pare.constant dense<[1, 2, 3]> : tensor<3xi32>
// CHECK-DAG: pare.constant dense<false> : tensor<2xi1>
// CHECK-DAG: pare.constant dense<[-1.500000e+00, 2.500000e+00]> : tensor<2xf32>
// CHECK-DAG: pare.constant dense<[1.500000e+00, 0.000000e+00]> : tensor<2xf32>
// CHECK-NOT: pare.{{(transpose|slice|reshape|expand|cast|less|neg|where)}}
// CHECK: return
func.func @fold_constant_data() -> (tensor<3x2xi64>, tensor<2xi64>, tensor<2x2xf32>, tensor<3xi32>, tensor<2xi1>, tensor<2xf32>, tensor<2xf32>) {
  %a = pare.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>
  %0 = pare.transpose %a {perm = array<i64: 1, 0>} : (tensor<2x3xi64>) -> tensor<3x2xi64>
  %1 = pare.slice %a {starts = array<i64: 1, 2>, ends = array<i64: 2, -1>, steps = array<i64: 1, -2>} : (tensor<2x3xi64>) -> tensor<1x2xi64>
  %2 = pare.reshape %1 : (tensor<1x2xi64>) -> tensor<2xi64>
  %f = pare.constant dense<[1.5, -2.5]> : tensor<2xf32>
  %3 = pare.expand %f {shape = array<i64: 2, 1>} : (tensor<2xf32>) -> tensor<2x2xf32>
  %4 = pare.cast %a {to = i32} : (tensor<2x3xi64>) -> tensor<2x3xi32>
  %5 = pare.slice %4 {starts = array<i64: 0, 0>, ends = array<i64: 1, 3>, steps = array<i64: 1, 1>} : (tensor<2x3xi32>) -> tensor<1x3xi32>
  %6 = pare.reshape %5 : (tensor<1x3xi32>) -> tensor<3xi32>
  %7 = pare.less %f, %f : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xi1>
  %8 = pare.neg %f : (tensor<2xf32>) -> tensor<2xf32>
  %z = pare.constant dense<0.0> : tensor<f32>
  %c = pare.constant dense<[true, false]> : tensor<2xi1>
  %9 = pare.where %c, %f, %z : (tensor<2xi1>, tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  return %0, %2, %3, %6, %7, %8, %9 : tensor<3x2xi64>, tensor<2xi64>, tensor<2x2xf32>, tensor<3xi32>, tensor<2xi1>, tensor<2xf32>, tensor<2xf32>
}
