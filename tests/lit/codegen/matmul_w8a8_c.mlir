// pare.matmul_w8a8 (issue 19) in a plain graph on the C target: one
// pare_matmul_w8a8_f32 call over all rows with the op's int8 weight array,
// its float scales, K bytes of activation codes on the stack and the
// act_scale of the mode (0 = per token); pare_llm_w8.c is shipped. The
// runner on hand-picked rows checks the arithmetic: row 0's max is 127, so
// per token s = 1 and the codes are round(x) half away from zero (2.5 -> 3,
// -2.5 -> -3); per tensor s = 2 (127 / 2 = 63.5 -> 64, 0.5 -> 1); row 1 is
// zeros. y = (acc * s) * sw with sw = [0.5, 1, 2, 1].
// RUN: rm -rf %t && pare compile %s -o %t/out --emit-runner --name w8 -q
// RUN: FileCheck %s --input-file %t/out/w8.c
// RUN: ls %t/out | FileCheck %s --check-prefix=FILES
// RUN: gcc -std=c99 -Wall -Wextra -Werror -pedantic %t/out/*.c -lm -o %t/runner
// RUN: %python -c "import numpy as n; n.save('%t/x.npy', n.array([[127, 2.5, -2.5, 1], [0, 0, 0, 0]], n.float32))"
// RUN: %t/runner -o %t %t/x.npy
// RUN: %python -c "import numpy as n, glob; [print(f.split('/')[-1], n.load(f).tolist()) for f in sorted(glob.glob('%t/*.npy')) if not f.endswith('x.npy')]" | FileCheck %s --check-prefix=OUT

// CHECK: #include "pare_llm.h"
// CHECK: int8_t xq[4];
// CHECK-NEXT: pare_matmul_w8a8_f32({{.*}}, 2, /* K */ 4, /* N */ 4, /* act_scale (per-token) */ 0.0f, xq);
// CHECK: int8_t xq[4];
// CHECK-NEXT: pare_matmul_w8a8_f32({{.*}}, 2, /* K */ 4, /* N */ 4, /* act_scale (per-tensor) */ 2.0f, xq);
// FILES: pare_llm_w8.c
// OUT: [63.5, 0.0, -6.0, 1.0], [0.0, 0.0, 0.0, 0.0]]
// OUT: [64.0, 0.0, -4.0, 2.0], [0.0, 0.0, 0.0, 0.0]]

func.func @main(%x: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %w = pare.constant dense<[[1, 0, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 0, 1]]> : tensor<4x4xi8> loc("w")
  %s = pare.constant dense<[0.5, 1.0, 2.0, 1.0]> : tensor<4xf32> loc("s")
  %t = pare.matmul_w8a8 %x, %w, %s {act_quant = "per-token"} : (tensor<2x4xf32>, tensor<4x4xi8>, tensor<4xf32>) -> tensor<2x4xf32> loc("token")
  %u = pare.matmul_w8a8 %x, %w, %s {act_quant = "per-tensor", act_scale = 2.0 : f32} : (tensor<2x4xf32>, tensor<4x4xi8>, tensor<4xf32>) -> tensor<2x4xf32> loc("tensor")
  return %t, %u : tensor<2x4xf32>, tensor<2x4xf32>
}
