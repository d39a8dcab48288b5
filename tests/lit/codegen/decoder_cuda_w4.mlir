// The CUDA decoder target on a step function whose linears are 4-bit
// pare.matmul_nbits (Inputs/decoder_tiny_w4.mlir: hidden 48, MLP 80, layer 0
// and lm_head in groups of 16, layer 1 in groups of 32), with --cuda-fusion off
// (the fused int4 launches: decoder_cuda_w4_fusion.mlir). Each becomes one
// pare_llm_matmul_w4_<f32|f16> launch (runtime-stubs/cuda-llm/pare_cu_llm_w4.cu)
// with K, N and the group size; lm_head, marked pare.tail, on the last row.
// The weights file holds each weight packed for the kernels: rows of two
// weights a byte padded to 32 weights (16 bytes: K 48 -> 32 bytes, K 80 -> 48
// bytes), then the (scale, zero) pairs of the padded row's groups (K 80 in
// groups of 32: 3) as float, or half for fp16. The offsets below follow from
// those sizes: embedding 40 x 48 floats = 7680 bytes, the input norm 192, then
// q_proj's 48 x 32 packed bytes at 7872 and its 48 x 4 x 2 floats at 9408;
// the payload ends with lm_head's 40 x 4 x 2 floats at 52096 + 1280 = 53376.
// RUN: rm -rf %t && pare compile %S/Inputs/decoder_tiny_w4.mlir --target cuda --cuda-fusion off -o %t/f32 --name tiny_w4 -q
// RUN: FileCheck %s --input-file %t/f32/tiny_w4.cu
// RUN: pare compile %S/Inputs/decoder_tiny_w4.mlir --target cuda --precision fp16 --cuda-fusion off -o %t/f16 --name tiny_w4 -q
// RUN: FileCheck %s --check-prefix=F16 --input-file %t/f16/tiny_w4.cu
// RUN: FileCheck %s --check-prefix=MK --input-file %t/f16/tiny_w4.mk
// RUN: cmp %t/f16/pare_cu_llm_w4.cu %srcroot/runtime-stubs/cuda-llm/pare_cu_llm_w4.cu
// RUN: grep -c "PARE_TRY(pare_llm_matmul_w4_f32(" %t/f32/tiny_w4.cu | FileCheck %s --check-prefix=COUNT
// RUN: grep -c "PARE_TRY(pare_llm_matmul_w4_f16(" %t/f16/tiny_w4.cu | FileCheck %s --check-prefix=COUNT
// RUN: not grep "pare_llm_matmul_f" %t/f32/tiny_w4.cu

// COUNT: 15

// CHECK: #define TINY_W4_PAYLOAD_BYTES 53376ull
// CHECK: /* /model/layers.0/self_attn/q_proj/MatMul: int4 [48][48] in groups of 16, rows padded to 32 bytes; (scale, zero) of 4 groups a row */
// CHECK-NEXT: const uint8_t *const model_layers_0_self_attn_q_proj_MatMul_w4 = (const uint8_t *)(d + 7872);
// CHECK-NEXT: const float *const model_layers_0_self_attn_q_proj_MatMul_w4_sz = (const float *)(d + 9408);
// CHECK: /* /model/layers.0/mlp/down_proj/MatMul: int4 [48][80] in groups of 16, rows padded to 48 bytes; (scale, zero) of 6 groups a row */
// CHECK: /* /model/layers.1/mlp/down_proj/MatMul: int4 [48][80] in groups of 32, rows padded to 48 bytes; (scale, zero) of 3 groups a row */
// CHECK: /* /lm_head/MatMul: int4 [40][48] in groups of 16, rows padded to 32 bytes; (scale, zero) of 4 groups a row */
// CHECK-NEXT: const uint8_t *const lm_head_MatMul_w4 = (const uint8_t *)(d + 50816);
// CHECK-NEXT: const float *const lm_head_MatMul_w4_sz = (const float *)(d + 52096);
// CHECK: PARE_TRY(pare_llm_matmul_w4_f32(model_layers_0_input_layernorm_Mul_1, model_layers_0_self_attn_q_proj_MatMul_w4, model_layers_0_self_attn_q_proj_MatMul_w4_sz, model_layers_0_self_attn_q_proj_MatMul, n, 48, 48, 16, PARE_ACT_NONE, 0.0f, 0.0f, stream));
// CHECK: PARE_TRY(pare_llm_matmul_w4_f32(model_layers_0_input_layernorm_Mul_1, model_layers_0_self_attn_k_proj_MatMul_w4, {{.*}}, n, 48, 24, 16,
// CHECK: PARE_TRY(pare_llm_matmul_w4_f32(model_layers_0_mlp_Mul, model_layers_0_mlp_down_proj_MatMul_w4, model_layers_0_mlp_down_proj_MatMul_w4_sz, model_layers_0_mlp_down_proj_MatMul, n, 80, 48, 16,
// CHECK: PARE_TRY(pare_llm_matmul_w4_f32(model_layers_1_input_layernorm_Mul_1, model_layers_1_self_attn_q_proj_MatMul_w4, {{.*}}, n, 48, 48, 32,
// CHECK: if (last) {
// CHECK: PARE_TRY(pare_llm_matmul_w4_f32(model_norm_Mul_1, lm_head_MatMul_w4, lm_head_MatMul_w4_sz, lm_head_MatMul, 1, 48, 40, 16, PARE_ACT_NONE, 0.0f, 0.0f, stream));
// CHECK-NEXT: /* the logits of the last row, as float */

// fp16: the pairs are half; q_proj's packed rows at 3968 (a half embedding of
// 3840 bytes, the norm's 96 rounded up to 64), its pairs 1536 bytes later.
// F16: #define TINY_W4_PAYLOAD_BYTES
// F16: const uint8_t *const model_layers_0_self_attn_q_proj_MatMul_w4 = (const uint8_t *)(d + 3968);
// F16-NEXT: const pare_half *const model_layers_0_self_attn_q_proj_MatMul_w4_sz = (const pare_half *)(d + 5504);
// F16: PARE_TRY(pare_llm_matmul_w4_f16(model_layers_0_input_layernorm_Mul_1, model_layers_0_self_attn_q_proj_MatMul_w4, model_layers_0_self_attn_q_proj_MatMul_w4_sz, model_layers_0_self_attn_q_proj_MatMul, n, 48, 48, 16,

// MK: TINY_W4_OBJECTS = tiny_w4.o pare_cu_llm.o pare_cu_llm_attn.o pare_cu_llm_w4.o
// MK: pare_cu_llm_w4.o: pare_cu_llm_w4.cu pare_cu_llm.cuh pare_cu_llm_device.cuh pare_activation.h
// MK-NEXT: $(NVCC) -std=c++17 $(NVCCFLAGS) -c pare_cu_llm_w4.cu -o $@
