// pare.matmul_nbits in a plain graph on the CUDA target: one
// pare_llm_matmul_w4_<f32|f16> launch over all rows of x (2 x 3 = 6 rows: the
// tiled prefill path) with K 40, N 8 and the group size, its weights packed into
// the weights blob as the decoder packs them (8 rows of 32 bytes: K 40 padded
// to 64 weights; then 8 x 4 groups of 16 (K padded to 64) x (scale, zero), 256
// bytes as float at the next 256-byte boundary, 128 as half); the module ships
// the decoder kernels (pare_cu_llm_w4.cu among them).
// RUN: rm -rf %t && pare compile %s --target cuda -o %t/f32 --name nb -q
// RUN: FileCheck %s --input-file %t/f32/nb.cu
// RUN: FileCheck %s --check-prefix=CMAKE --input-file %t/f32/nb.cmake
// RUN: pare compile %s --target cuda --precision fp16 -o %t/f16 --name nb -q
// RUN: FileCheck %s --check-prefix=F16 --input-file %t/f16/nb.cu
// RUN: cmp %t/f16/pare_cu_llm_w4.cu %srcroot/runtime-stubs/cuda-llm/pare_cu_llm_w4.cu

// CHECK: #include "pare_cu_llm.cuh"
// CHECK: const uint8_t *lin_w4 = (const uint8_t *)(w + 0);
// CHECK-NEXT: const float *lin_w4_sz = (const float *)(w + 256);
// CHECK: PARE_TRY(pare_llm_matmul_w4_f32(input0, lin_w4, lin_w4_sz, {{[a-z_0-9]+}}, 6, 40, 8, 16, PARE_ACT_NONE, 0.0f, 0.0f, stream));
// CMAKE: pare_cu_llm_w4.cu
// F16: const __half *lin_w4_sz = (const __half *)(w + 256);
// F16: PARE_TRY(pare_llm_matmul_w4_f16(cast, lin_w4, lin_w4_sz, {{[a-z_0-9]+}}, 6, 40, 8, 16, PARE_ACT_NONE, 0.0f, 0.0f, stream));

func.func @main(%x: tensor<2x3x40xf32>) -> tensor<2x3x8xf32> {
  %q = pare.constant dense<7> : tensor<8x40xi8> loc("q")
  %s = pare.constant dense<0.03125> : tensor<8x3xf32> loc("s")
  %z = pare.constant dense<8> : tensor<8x3xi8> loc("z")
  %y = pare.matmul_nbits %x, %q, %s, %z {bits = 4 : i64, group_size = 16 : i64} : (tensor<2x3x40xf32>, tensor<8x40xi8>, tensor<8x3xf32>, tensor<8x3xi8>) -> tensor<2x3x8xf32> loc("lin")
  return %y : tensor<2x3x8xf32>
}
