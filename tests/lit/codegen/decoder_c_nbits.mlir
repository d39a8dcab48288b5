// The C decoder target with pare.matmul_nbits linears (Inputs/decoder_tiny_nbits.mlir:
// layer 0 and lm_head 4-bit, layer 1 float). Each 4-bit weight is a "u4" blob
// of the weights file ([N][K] two per byte along K, low nibble = even k), its
// scales an f32 blob and its zero points a "u8" blob; the step calls
// pare_matmul_nbits_f32 on the chunk's n rows (lm_head, a tail op, on the
// tail's rows); pare_llm_w4.c is shipped and built by the .mk. The code
// compiles with -std=c99 -Wall -Wextra -Werror -pedantic.
// RUN: rm -rf %t && pare compile %S/Inputs/decoder_tiny_nbits.mlir -o %t --name tiny -q
// RUN: FileCheck %s --input-file %t/tiny.c
// RUN: FileCheck %s --check-prefix=MK --input-file %t/tiny.mk
// RUN: ls %t | FileCheck %s --check-prefix=FILES
// RUN: gcc -std=c99 -Wall -Wextra -Werror -pedantic -c %t/tiny.c -o %t/tiny.o
// RUN: gcc -std=c99 -Wall -Wextra -Werror -pedantic -c %t/pare_llm_w4.c -o %t/pare_llm_w4.o

// CHECK: /* u4 [8][8] row-major at payload offset [[QOFF:[0-9]+]];
// CHECK-NEXT: static const uint8_t *tiny_model_layers_0_self_attn_q_proj_MatMul_qweight;
// CHECK-NEXT: /* f32 [8][1] row-major at payload offset [[SOFF:[0-9]+]];
// CHECK-NEXT: static const float *tiny_model_layers_0_self_attn_q_proj_MatMul_scales;
// CHECK-NEXT: /* u8 [8][1] row-major at payload offset [[ZOFF:[0-9]+]];
// CHECK-NEXT: static const uint8_t *tiny_model_layers_0_self_attn_q_proj_MatMul_zero_points;
// CHECK: /* u4 [16][8] row-major
// CHECK-NEXT: static const uint8_t *tiny_lm_head_MatMul_qweight;
// CHECK: tiny_model_layers_0_self_attn_q_proj_MatMul_qweight = (const uint8_t *)(const void *)(payload + [[QOFF]]);
// CHECK-NEXT: tiny_model_layers_0_self_attn_q_proj_MatMul_scales = (const float *)(const void *)(payload + [[SOFF]]);
// CHECK-NEXT: tiny_model_layers_0_self_attn_q_proj_MatMul_zero_points = (const uint8_t *)(const void *)(payload + [[ZOFF]]);
// CHECK: pare_matmul_nbits_f32(model_layers_0_input_layernorm_Mul_1, tiny_model_layers_0_self_attn_q_proj_MatMul_qweight, tiny_model_layers_0_self_attn_q_proj_MatMul_scales, tiny_model_layers_0_self_attn_q_proj_MatMul_zero_points, model_layers_0_self_attn_q_proj_MatMul, n, 8, 8, 16, PARE_ACT_NONE, 0.0f, 0.0f);
// CHECK: pare_matmul_nbits_f32(model_layers_0_mlp_Mul, {{.*}}, n, 12, 8, 16,
// CHECK: pare_matmul_nt_f32(model_layers_1_input_layernorm_Mul_1,
// CHECK: if (logits) {
// CHECK: pare_matmul_nbits_f32(model_norm_Mul_1, tiny_lm_head_MatMul_qweight, tiny_lm_head_MatMul_scales, tiny_lm_head_MatMul_zero_points, lm_head_MatMul, {{[a-z]+}}, 8, 16, 16,

// MK: TINY_SOURCES = tiny.c pare_llm.c pare_llm_w4.c pare_k_elementwise.c

// FILES: pare_llm_w4.c
