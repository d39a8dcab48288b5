// Kernel calls for data-movement, reduction and elementwise ops, compiled
// from pare IR (.mlir input; loc("...") names play the ONNX node names).
// Broadcasting ops get per-operand element strides (0 on broadcast dims);
// concat and split are row copies; results that are function outputs are
// written straight into the caller's buffers.
// RUN: rm -rf %t && pare compile %s -o %t --name ops -q
// RUN: FileCheck %s --input-file %t/ops.c
// RUN: cd %t && for f in *.c; do gcc -std=c99 -Wall -Wextra -Werror -pedantic -c "$f" -o "$f.o" || exit 1; done

// CHECK-LABEL: int ops_run_with_arena(const float *x, const int64_t *ids, const float *c, float *sum, float *t, float *sl, float *pad, float *gath, float *mean, float *sm, float *cast, float *sel, float *cat, float *first, float *ex, void *arena_memory) {
// CHECK: uint8_t *[[GT:[a-z0-9_]+]] = (uint8_t *)(arena + OPS_OFFSET_{{[a-z0-9_]+}});

// CHECK: /* ONNX node "add": add -> 2x3x4 */
// CHECK-NEXT: {
// CHECK-NEXT: static const int32_t shape[3] = {2, 3, 4};
// CHECK-NEXT: static const int32_t a_strides[3] = {12, 4, 1};
// CHECK-NEXT: static const int32_t b_strides[3] = {0, 4, 1};
// CHECK-NEXT: pare_binary_f32(PARE_BIN_ADD, x, a_strides, c, b_strides, sum, shape, 3,
// CHECK-NEXT: PARE_ACT_NONE, 0.0f, 0.0f);

// CHECK: /* ONNX node "transpose": transpose -> 2x4x3 */
// CHECK: static const int32_t in_shape[3] = {2, 3, 4};
// CHECK-NEXT: static const int32_t perm[3] = {0, 2, 1};
// CHECK-NEXT: pare_transpose(4, sum, in_shape, perm, 3, t);

// Rows 2, 0 of dim 1, walking backwards.
// CHECK: /* ONNX node "slice": slice -> 2x2x4 */
// CHECK: static const int32_t starts[3] = {0, 2, 0};
// CHECK-NEXT: static const int32_t steps[3] = {1, -2, 1};
// CHECK-NEXT: static const int32_t out_shape[3] = {2, 2, 4};
// CHECK-NEXT: pare_slice(4, x, in_shape, 3, starts, steps, sl, out_shape);

// Mode codes: 0 constant, 1 reflect, 2 edge, 3 wrap.
// CHECK: /* ONNX node "pad": pad -> 2x5x4 */
// CHECK: static const int32_t pads_begin[3] = {0, 1, 0};
// CHECK: static const float value = 0.0f;
// CHECK-NEXT: pare_pad(4, x, in_shape, 3, pads_begin, 1, &value, pad, out_shape);

// Gather: element bytes, data, outer, axis length, inner, indices, count, out.
// CHECK: /* ONNX node "gather": gather -> 2x2x2x4 */
// CHECK-NEXT: pare_gather(4, x, 2, 3, 4, ops_gather_indices, 4, gath);

// CHECK: /* ONNX node "mean": reduce_mean -> 2x3x1 */
// CHECK: static const uint8_t mask[3] = {0, 0, 1};
// CHECK-NEXT: pare_reduce_f32(PARE_RED_MEAN, x, in_shape, 3, mask, mean);

// Softmax over axis 1: outer 2, axis 3, inner 4.
// CHECK: /* ONNX node "softmax": softmax -> 2x3x4 */
// CHECK-NEXT: pare_softmax_f32(x, sm, 2, 3, 4, 0);

// CHECK: /* ONNX node "cast": cast -> 2x3 */
// CHECK-NEXT: pare_cast(PARE_I64, ids, PARE_F32, cast, 6);

// The i1 result lives in the arena as bytes.
// CHECK: /* ONNX node "greater": greater -> 2x3x4 */
// CHECK: pare_compare(PARE_CMP_GREATER, PARE_F32, x, a_strides, c, b_strides, [[GT]], shape, 3);
// CHECK: /* ONNX node "where": where -> 2x3x4 */
// CHECK: pare_where(4, [[GT]], c_strides, x, x_strides, sum, y_strides, sel, shape, 3);

// Concat along dim 1: 2 rows of 48 bytes from each input into 96-byte rows.
// CHECK: /* ONNX node "concat": concat -> 2x6x4 */
// CHECK-NEXT: pare_copy_rows((uint8_t *)cat + 0, 96, x, 48, 2, 48);
// CHECK-NEXT: pare_copy_rows((uint8_t *)cat + 48, 96, sum, 48, 2, 48);
// CHECK: /* ONNX node "split": split -> 2x1x4 */
// CHECK-NEXT: pare_copy_rows(first, 16, (const uint8_t *)x + 0, 48, 2, 16);
// CHECK-NEXT: pare_copy_rows({{[a-z0-9_]+}}, 32, (const uint8_t *)x + 16, 48, 2, 32);

// CHECK: /* ONNX node "expand": expand -> 2x3x4 */
// CHECK: static const int32_t x_strides[3] = {0, 4, 1};
// CHECK-NEXT: pare_broadcast(4, c, x_strides, ex, shape, 3);
// CHECK: return 0;

func.func @main(%x: tensor<2x3x4xf32> {pare.name = "x"}, %i: tensor<2x3xi64> {pare.name = "ids"}, %c: tensor<3x4xf32> {pare.name = "c"})
    -> (tensor<2x3x4xf32> {pare.name = "sum"}, tensor<2x4x3xf32> {pare.name = "t"}, tensor<2x2x4xf32> {pare.name = "sl"},
        tensor<2x5x4xf32> {pare.name = "pad"}, tensor<2x2x2x4xf32> {pare.name = "gath"}, tensor<2x3x1xf32> {pare.name = "mean"},
        tensor<2x3x4xf32> {pare.name = "sm"}, tensor<2x3xf32> {pare.name = "cast"}, tensor<2x3x4xf32> {pare.name = "sel"},
        tensor<2x6x4xf32> {pare.name = "cat"}, tensor<2x1x4xf32> {pare.name = "first"}, tensor<2x3x4xf32> {pare.name = "ex"}) {
  %0 = pare.add %x, %c : (tensor<2x3x4xf32>, tensor<3x4xf32>) -> tensor<2x3x4xf32> loc("add")
  %1 = pare.transpose %0 {perm = array<i64: 0, 2, 1>} : (tensor<2x3x4xf32>) -> tensor<2x4x3xf32> loc("transpose")
  %2 = pare.slice %x {starts = array<i64: 0, 2, 0>, ends = array<i64: 2, -1, 4>, steps = array<i64: 1, -2, 1>} : (tensor<2x3x4xf32>) -> tensor<2x2x4xf32> loc("slice")
  %3 = pare.pad %x {pads_begin = array<i64: 0, 1, 0>, pads_end = array<i64: 0, 1, 0>, mode = "reflect", value = 0.0 : f32} : (tensor<2x3x4xf32>) -> tensor<2x5x4xf32> loc("pad")
  %g = pare.constant dense<[[0, 2], [1, 1]]> : tensor<2x2xi64> loc("indices")
  %4 = pare.gather %x, %g {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x2xi64>) -> tensor<2x2x2x4xf32> loc("gather")
  %5 = pare.reduce_mean %x {axes = array<i64: 2>, keepdims = true} : (tensor<2x3x4xf32>) -> tensor<2x3x1xf32> loc("mean")
  %6 = pare.softmax %x {axis = 1 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32> loc("softmax")
  %7 = pare.cast %i {to = f32} : (tensor<2x3xi64>) -> tensor<2x3xf32> loc("cast")
  %8 = pare.greater %x, %c : (tensor<2x3x4xf32>, tensor<3x4xf32>) -> tensor<2x3x4xi1> loc("greater")
  %9 = pare.where %8, %x, %0 : (tensor<2x3x4xi1>, tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32> loc("where")
  %10 = pare.concat %x, %0 {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x6x4xf32> loc("concat")
  %11:2 = pare.split %x {axis = 1 : i64, sizes = array<i64: 1, 2>} : (tensor<2x3x4xf32>) -> (tensor<2x1x4xf32>, tensor<2x2x4xf32>) loc("split")
  %12 = pare.expand %c {shape = array<i64: 2, 1, 1>} : (tensor<3x4xf32>) -> tensor<2x3x4xf32> loc("expand")
  return %0, %1, %2, %3, %4, %5, %6, %7, %9, %10, %11#0, %12 : tensor<2x3x4xf32>, tensor<2x4x3xf32>, tensor<2x2x4xf32>, tensor<2x5x4xf32>, tensor<2x2x2x4xf32>, tensor<2x3x1xf32>, tensor<2x3x4xf32>, tensor<2x3xf32>, tensor<2x3x4xf32>, tensor<2x6x4xf32>, tensor<2x1x4xf32>, tensor<2x3x4xf32>
}
