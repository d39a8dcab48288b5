// ScatterND: the data is copied to the output, then each index tuple's slice
// is written (or combined, with a reduction). Arguments: element type, data,
// element count, indices, number of index tuples, index depth k, the first k
// dims of data, slice elements, updates, reduction code, out.
// RUN: rm -rf %t && pare compile %s -o %t --name sc -q
// RUN: FileCheck %s --input-file %t/sc.c
// RUN: cd %t && for f in *.c; do gcc -std=c99 -Wall -Wextra -Werror -pedantic -c "$f" -o "$f.o" || exit 1; done

// CHECK-LABEL: int sc_run_with_arena(
// CHECK: /* ONNX node "rows": scatter_nd -> 4x3x2 */
// CHECK-NEXT: {
// CHECK-NEXT: static const int32_t dims[1] = {4};
// CHECK-NEXT: pare_scatter_nd(PARE_F32, x, 24, i, 2, 1, dims, 6, u, 0, rows);
// CHECK: /* ONNX node "add": scatter_nd -> 4x3x2 */
// CHECK: static const int32_t dims[2] = {4, 3};
// CHECK-NEXT: pare_scatter_nd(PARE_F32, x, 24, {{[a-z0-9_]+}}, 2, 2, dims, 2, {{[a-z0-9_]+}}, 1, add);
// CHECK: /* ONNX node "min": scatter_nd -> 5 */
// CHECK: pare_scatter_nd(PARE_U8, q, 5, {{[a-z0-9_]+}}, 1, 1, dims, 1, {{[a-z0-9_]+}}, 4, min);
// CHECK: /* ONNX node "flags": scatter_nd -> 2x2 */
// CHECK: pare_scatter_nd(PARE_BOOL, p, 4, {{[a-z0-9_]+}}, 1, 2, dims, 1, {{[a-z0-9_]+}}, 0, flags);
// CHECK: return 0;

func.func @main(%x: tensor<4x3x2xf32> {pare.name = "x"}, %i: tensor<2x1xi64> {pare.name = "i"},
                %u: tensor<2x3x2xf32> {pare.name = "u"}, %q: tensor<5xui8> {pare.name = "q"},
                %p: tensor<2x2xi1> {pare.name = "p"})
    -> (tensor<4x3x2xf32> {pare.name = "rows"}, tensor<4x3x2xf32> {pare.name = "add"},
        tensor<5xui8> {pare.name = "min"}, tensor<2x2xi1> {pare.name = "flags"}) {
  %0 = pare.scatter_nd %x, %i, %u {reduction = "none"} : (tensor<4x3x2xf32>, tensor<2x1xi64>, tensor<2x3x2xf32>) -> tensor<4x3x2xf32> loc("rows")
  %bi = pare.constant dense<[[0, -1], [3, 1]]> : tensor<2x2xi64> loc("bi")
  %bu = pare.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32> loc("bu")
  %1 = pare.scatter_nd %x, %bi, %bu {reduction = "add"} : (tensor<4x3x2xf32>, tensor<2x2xi64>, tensor<2x2xf32>) -> tensor<4x3x2xf32> loc("add")
  %qi = pare.constant dense<[[-1]]> : tensor<1x1xi64> loc("qi")
  %qu = pare.constant dense<[3]> : tensor<1xui8> loc("qu")
  %2 = pare.scatter_nd %q, %qi, %qu {reduction = "min"} : (tensor<5xui8>, tensor<1x1xi64>, tensor<1xui8>) -> tensor<5xui8> loc("min")
  %pi = pare.constant dense<[[1, 0]]> : tensor<1x2xi64> loc("pi")
  %pu = pare.constant dense<true> : tensor<1xi1> loc("pu")
  %3 = pare.scatter_nd %p, %pi, %pu {reduction = "none"} : (tensor<2x2xi1>, tensor<1x2xi64>, tensor<1xi1>) -> tensor<2x2xi1> loc("flags")
  return %0, %1, %2, %3 : tensor<4x3x2xf32>, tensor<4x3x2xf32>, tensor<5xui8>, tensor<2x2xi1>
}
