// Clip with bounds computed at run time (pare.clip_dynamic): the C target
// calls the clip activation with each bound read from its one-element tensor
// when the call runs, a constant bound as a literal (its weight is not
// emitted); the CUDA target passes device pointers, NULL plus a literal for a
// constant bound. Bounds that fold to constants canonicalize to pare.clip,
// which fuses into the producing conv (the constant fast path).
// RUN: rm -rf %t && pare compile %s -o %t/c --name clips -q
// RUN: FileCheck %s --input-file %t/c/clips.c
// RUN: FileCheck %s --check-prefix=WEIGHTS --input-file %t/c/clips_weights.c
// RUN: cd %t/c && for f in *.c; do gcc -std=c99 -Wall -Wextra -Werror -pedantic -c "$f" -o "$f.o" || exit 1; done
// RUN: pare compile %s --target cuda -o %t/cu --name clips -q
// RUN: FileCheck %s --check-prefix=CUDA --input-file %t/cu/clips.cu
// RUN: pare-opt %s --canonicalize | FileCheck %s --check-prefix=CANON

// CHECK-LABEL: int clips_run_with_arena(
// CHECK: /* ONNX node "floor_sub": sub
// CHECK: pare_binary_f32(PARE_BIN_SUB, max, a_strides, clips_floor_sub_b, b_strides, floor_sub, shape, 1,
// CHECK: /* ONNX node "power_to_db_floor": clip_dynamic -> 2x8 */
// CHECK-NEXT: pare_activation_f32(p, db, 16, PARE_ACT_CLIP,
// CHECK-NEXT: (floor_sub)[0], 3.4028235e+38f);
// CHECK: /* ONNX node "both": clip_dynamic -> 2x8 */
// CHECK-NEXT: pare_activation_f32(x, both, 16, PARE_ACT_CLIP,
// CHECK-NEXT: (lo)[0], (hi)[0]);
// CHECK: /* ONNX node "max_only": clip_dynamic -> 2x8 */
// CHECK-NEXT: pare_activation_f32(x, max_only, 16, PARE_ACT_CLIP,
// CHECK-NEXT: -3.4028235e+38f, (hi)[0]);
// CHECK: /* ONNX node "lo_and_six": clip_dynamic -> 2x8 */
// CHECK-NEXT: pare_activation_f32(x, lo_and_six, 16, PARE_ACT_CLIP,
// CHECK-NEXT: (lo)[0], 6.0f);
// CHECK: /* ONNX node "folded": clip -> 2x8 */
// CHECK-NEXT: pare_activation_f32(x, folded, 16, PARE_ACT_CLIP, -1.0f, 6.0f);

// WEIGHTS: const float clips_floor_sub_b[1]
// WEIGHTS-NOT: power_to_db_floor
// WEIGHTS-NOT: max_only
// WEIGHTS-NOT: lo_and_six

// CUDA: pare_cu_clip_f32(p, floor_sub, NULL, 0.0f, 3.4028235e+38f, db, 16, stream)
// CUDA: pare_cu_clip_f32(x, lo, hi, 0.0f, 0.0f, both, 16, stream)
// CUDA: pare_cu_clip_f32(x, NULL, hi, -3.4028235e+38f, 0.0f, max_only, 16, stream)
// CUDA: pare_cu_clip_f32(x, lo, NULL, 0.0f, 6.0f, lo_and_six, 16, stream)
// CUDA: pare_cu_activation_f32(x, folded, 16, PARE_ACT_CLIP, -1.0f, 6.0f, stream)

// CANON-LABEL: func.func @main
// CANON: pare.clip_dynamic %arg3, %{{.*}}, %{{.*}}
// CANON: pare.clip_dynamic %arg0, %arg1, %arg2
// CANON: pare.clip_dynamic %arg0, %{{.*}}, %arg2
// CANON: pare.clip_dynamic %arg0, %arg1, %{{.*}}
// CANON: pare.clip %arg0 {max = 6.000000e+00 : f32, min = -1.000000e+00 : f32}
// CANON-NOT: clip_dynamic
func.func @main(%x: tensor<2x8xf32> {pare.name = "x"}, %lo: tensor<f32> {pare.name = "lo"},
                %hi: tensor<f32> {pare.name = "hi"}, %p: tensor<2x8xf32> {pare.name = "p"})
    -> (tensor<2x8xf32> {pare.name = "db"}, tensor<2x8xf32> {pare.name = "both"},
        tensor<2x8xf32> {pare.name = "max_only"}, tensor<2x8xf32> {pare.name = "lo_and_six"},
        tensor<2x8xf32> {pare.name = "folded"}) {
  %lowest = pare.constant dense<-3.40282347E+38> : tensor<f32> loc("lowest")
  %highest = pare.constant dense<3.40282347E+38> : tensor<f32> loc("highest")
  %six = pare.constant dense<6.0> : tensor<f32> loc("six")
  %eighty = pare.constant dense<80.0> : tensor<f32> loc("eighty")
  %m1 = pare.constant dense<-1.0> : tensor<1xf32> loc("m1")
  %mx = pare.reduce_max %p {axes = array<i64: 0, 1>, keepdims = false} : (tensor<2x8xf32>) -> tensor<f32> loc("max")
  %floor = pare.sub %mx, %eighty : (tensor<f32>, tensor<f32>) -> tensor<f32> loc("floor_sub")
  %0 = pare.clip_dynamic %p, %floor, %highest : (tensor<2x8xf32>, tensor<f32>, tensor<f32>) -> tensor<2x8xf32> loc("power_to_db_floor")
  %1 = pare.clip_dynamic %x, %lo, %hi : (tensor<2x8xf32>, tensor<f32>, tensor<f32>) -> tensor<2x8xf32> loc("both")
  %2 = pare.clip_dynamic %x, %lowest, %hi : (tensor<2x8xf32>, tensor<f32>, tensor<f32>) -> tensor<2x8xf32> loc("max_only")
  %3 = pare.clip_dynamic %x, %lo, %six : (tensor<2x8xf32>, tensor<f32>, tensor<f32>) -> tensor<2x8xf32> loc("lo_and_six")
  %4 = pare.clip_dynamic %x, %m1, %six : (tensor<2x8xf32>, tensor<1xf32>, tensor<f32>) -> tensor<2x8xf32> loc("folded")
  return %0, %1, %2, %3, %4 : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>
}
