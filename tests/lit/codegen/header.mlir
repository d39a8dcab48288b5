// The public header: ARENA / NUM / RANK / SHAPE / SIZE macros named after the
// --name prefix and the tensors' names (made C identifiers, kept unique), the
// two entry points, C++ linkage guards. The API is then used from C and the
// header compiled as C++.
// RUN: rm -rf %t && pare compile %s -o %t/out --name My_Net -q
// RUN: FileCheck %s --input-file %t/out/My_Net.h
// RUN: FileCheck %s --check-prefix=SRC --input-file %t/out/My_Net.c
// RUN: gcc -std=c99 -Wall -Wextra -Werror -pedantic -I%t/out %S/Inputs/header_main.c %t/out/*.c -lm -o %t/main
// RUN: %t/main | FileCheck %s --check-prefix=OUT
// Without the static arena the library has no run() and no arena array.
// RUN: gcc -std=c99 -Wall -Wextra -Werror -pedantic -DMY_NET_NO_STATIC_ARENA -c %t/out/My_Net.c -o %t/nostatic.o
// RUN: nm %t/nostatic.o | FileCheck %s --check-prefix=NOSTATIC
// RUN: echo '#include "My_Net.h"' | g++ -x c++ -std=c++11 -Wall -Werror -fsyntax-only -I%t/out -

// CHECK: #ifndef MY_NET_H
// CHECK-NEXT: #define MY_NET_H
// CHECK: #ifdef __cplusplus
// CHECK-NEXT: extern "C" {
// CHECK: #define MY_NET_ARENA_BYTES 16
// CHECK: #define MY_NET_ARENA_ALIGN 16
// CHECK: #define MY_NET_NUM_INPUTS 3
// CHECK-NEXT: #define MY_NET_NUM_OUTPUTS 3
// "input.1" and "input:1" both become input_1: the second gets a suffix.
// CHECK: /* input 0: "input.1", float 1x3 */
// CHECK-NEXT: #define MY_NET_INPUT_1_RANK 2
// CHECK-NEXT: #define MY_NET_INPUT_1_SHAPE {1, 3}
// CHECK-NEXT: #define MY_NET_INPUT_1_SIZE 3
// CHECK: /* input 1: "input:1", float 1x3 */
// CHECK-NEXT: #define MY_NET_INPUT_1_1_RANK 2
// Booleans are bytes.
// CHECK: /* input 2: "mask", uint8_t 1x3 */
// CHECK: /* output 0: "out/y", float 1x3 */
// CHECK-NEXT: #define MY_NET_OUT_Y_RANK 2
// A name may not start with a digit.
// CHECK: /* output 1: "1st", uint8_t 1x3 */
// CHECK-NEXT: #define MY_NET_T_1ST_RANK 2
// CHECK: /* output 2: "copy", float 1x3 */
// CHECK: int My_Net_run_with_arena(const float *input_1, const float *input_1_1, const uint8_t *mask_v, float *out_y, uint8_t *t_1st, float *copy, void *arena);
// CHECK: #ifndef MY_NET_NO_STATIC_ARENA
// CHECK: int My_Net_run(const float *input_1, const float *input_1_1, const uint8_t *mask_v, float *out_y, uint8_t *t_1st, float *copy);
// CHECK-NEXT: #endif
// CHECK: #endif /* MY_NET_H */

// An output that is an input (or a second use of a value) is copied.
// SRC: /* output "copy" is a copy of another tensor */
// SRC-NEXT: pare_copy_rows(copy, 0, input_1, 0, 1, 12);

// OUT: run: 0 shape: 1x3
// OUT-NEXT: y[0] = 11, 1st[0] = 0, copy[0] = 1
// OUT-NEXT: y[1] = 2, 1st[1] = 1, copy[1] = 2
// OUT-NEXT: y[2] = 33, 1st[2] = 0, copy[2] = 3
// OUT-NEXT: misaligned: 1

// NOSTATIC: T My_Net_run_with_arena
// NOSTATIC-NOT: My_Net_run{{$}}
// NOSTATIC-NOT: My_Net_arena

func.func @main(%a: tensor<1x3xf32> {pare.name = "input.1"}, %b: tensor<1x3xf32> {pare.name = "input:1"}, %m: tensor<1x3xi1> {pare.name = "mask"})
    -> (tensor<1x3xf32> {pare.name = "out/y"}, tensor<1x3xi1> {pare.name = "1st"}, tensor<1x3xf32> {pare.name = "copy"}) {
  %0 = pare.add %a, %b : (tensor<1x3xf32>, tensor<1x3xf32>) -> tensor<1x3xf32> loc("add")
  %1 = pare.where %m, %0, %a : (tensor<1x3xi1>, tensor<1x3xf32>, tensor<1x3xf32>) -> tensor<1x3xf32> loc("where")
  %2 = pare.not %m : (tensor<1x3xi1>) -> tensor<1x3xi1> loc("not")
  return %1, %2, %a : tensor<1x3xf32>, tensor<1x3xi1>, tensor<1x3xf32>
}
