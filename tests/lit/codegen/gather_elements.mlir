// GatherElements: the data and indices shapes as static arrays, then one call
// (int64 indices: pare_gather_elements, int32: the _i32idx variant); constant
// indices live in the weights file. Compiles in strict C99.
// RUN: rm -rf %t && pare compile %s -o %t/c --name ge -q
// RUN: FileCheck %s --input-file %t/c/ge.c
// RUN: cd %t/c && for f in *.c; do gcc -std=c99 -Wall -Wextra -Werror -pedantic -c "$f" -o "$f.o" || exit 1; done

// CHECK: /* ONNX node "by_row": gather_elements -> 2x5 */
// CHECK-NEXT: {
// CHECK-NEXT: static const int32_t data_shape[2] = {2, 3};
// CHECK-NEXT: static const int32_t indices_shape[2] = {2, 5};
// CHECK-NEXT: pare_gather_elements(4, x, data_shape, 2, 1, i, indices_shape, a);
// CHECK: /* ONNX node "by_col": gather_elements -> 1x3 */
// CHECK: static const int32_t indices_shape[2] = {1, 3};
// CHECK-NEXT: pare_gather_elements_i32idx(4, x, data_shape, 2, 0, ge_by_col_indices, indices_shape, b);

func.func @main(%x: tensor<2x3xf32> {pare.name = "x"}, %i: tensor<2x5xi64> {pare.name = "i"}) -> (tensor<2x5xf32> {pare.name = "a"}, tensor<1x3xf32> {pare.name = "b"}) {
  %0 = pare.gather_elements %x, %i {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x5xi64>) -> tensor<2x5xf32> loc("by_row")
  %j = pare.constant dense<[[1, -2, 0]]> : tensor<1x3xi32>
  %1 = pare.gather_elements %x, %j {axis = 0 : i64} : (tensor<2x3xf32>, tensor<1x3xi32>) -> tensor<1x3xf32> loc("by_col")
  return %0, %1 : tensor<2x5xf32>, tensor<1x3xf32>
}
