// The C decoder target with pare.matmul_w8a8 linears (Inputs/decoder_tiny_w8a8.mlir:
// layer 0's q_proj per token, its down_proj per tensor). Each int8 weight is an
// "s8" blob [N][K] of the weights file, its scales an f32 blob; the step calls
// pare_matmul_w8a8_f32 on the chunk's n rows with act_scale 0 (per token) or the
// calibrated one, the activation codes in one static buffer of the largest K
// (12); pare_llm_w8.c is shipped and built by the .mk. The code compiles with
// -std=c99 -Wall -Wextra -Werror -pedantic, passes the decoder harness's API
// checks, and its logits (prefix by prefix, prefill + decode, prefill_all)
// stay within 0.2 of the float model on the dequantized weights
// (Inputs/decoder_tiny_w8a8_ref.mlir; measured 0.14, from quantizing the
// activations; logits reach 3.4).
// RUN: rm -rf %t && mkdir -p %t
// RUN: pare compile %S/Inputs/decoder_tiny_w8a8.mlir -o %t/w8 --name tiny --emit-runner -q
// RUN: FileCheck %s --input-file %t/w8/tiny.c
// RUN: FileCheck %s --check-prefix=MK --input-file %t/w8/tiny.mk
// RUN: ls %t/w8 | FileCheck %s --check-prefix=FILES
// RUN: pare compile %S/Inputs/decoder_tiny_w8a8_ref.mlir -o %t/ref --name tiny --emit-runner -q
// RUN: cd %t/w8 && gcc -std=c99 -Wall -Wextra -Werror -pedantic -I. %srcroot/tests/e2e/llm_decoder_harness.c tiny.c pare_llm.c pare_llm_w8.c pare_k_elementwise.c -lm -o harness
// RUN: cd %t/w8 && ./harness tiny_weights.bin logits.bin 3 1 5 9 2 14 7 | FileCheck %s --check-prefix=HARNESS
// RUN: cd %t/ref && gcc -std=c99 -I. %srcroot/tests/e2e/llm_decoder_harness.c tiny.c pare_llm.c pare_k_elementwise.c -lm -o harness
// RUN: cd %t/ref && ./harness tiny_weights.bin logits.bin 3 1 5 9 2 14 7
// RUN: %python -c "import numpy as np, sys; f = lambda p: np.fromfile(p, np.float32); a, b = f(sys.argv[1] + '/w8/logits.bin'), f(sys.argv[1] + '/ref/logits.bin'); aa, ba = f(sys.argv[1] + '/w8/logits.bin.all'), f(sys.argv[1] + '/ref/logits.bin.all'); print('sizes', a.size, aa.size, 'max diff under 0.2:', bool(np.abs(a - b).max() < 0.2 and np.abs(aa - ba).max() < 0.2), 'logits over 1:', bool(np.abs(b).max() > 1))" %t | FileCheck %s --check-prefix=CMP

// CHECK: /* int8 activation codes for pare_matmul_w8a8_f32 (a chunk's rows, the largest K). */
// CHECK-NEXT: static int8_t tiny_act_codes[PARE_LLM_W8_SCRATCH(TINY_PREFILL_CHUNK, 12)];
// CHECK: /* s8 [8][8] row-major at payload offset [[WOFF:[0-9]+]]; l0_q_proj_w */
// CHECK-NEXT: static const int8_t *tiny_model_layers_0_self_attn_q_proj_MatMul_weight;
// CHECK-NEXT: /* f32 [8] row-major at payload offset [[SOFF:[0-9]+]]; l0_q_proj_s */
// CHECK-NEXT: static const float *tiny_model_layers_0_self_attn_q_proj_MatMul_weight_scales;
// CHECK: /* s8 [8][12] row-major at payload offset {{[0-9]+}}; l0_down_proj_w */
// CHECK-NEXT: static const int8_t *tiny_model_layers_0_mlp_down_proj_MatMul_weight;
// CHECK: tiny_model_layers_0_self_attn_q_proj_MatMul_weight = (const int8_t *)(const void *)(payload + [[WOFF]]);
// CHECK-NEXT: tiny_model_layers_0_self_attn_q_proj_MatMul_weight_scales = (const float *)(const void *)(payload + [[SOFF]]);
// CHECK: pare_matmul_w8a8_f32(model_layers_0_input_layernorm_Mul_1, tiny_model_layers_0_self_attn_q_proj_MatMul_weight, tiny_model_layers_0_self_attn_q_proj_MatMul_weight_scales, model_layers_0_self_attn_q_proj_MatMul, n, 8, 8, 0.0f, tiny_act_codes);
// CHECK: pare_matmul_nt_f32(model_layers_0_input_layernorm_Mul_1, tiny_model_layers_0_self_attn_k_proj_MatMul_weight,
// CHECK: pare_matmul_w8a8_f32(model_layers_0_mlp_Mul, tiny_model_layers_0_mlp_down_proj_MatMul_weight, tiny_model_layers_0_mlp_down_proj_MatMul_weight_scales, model_layers_0_mlp_down_proj_MatMul, n, 12, 8, 0.03f, tiny_act_codes);
// CHECK-NOT: pare_matmul_w8a8_f32

// MK: TINY_SOURCES = tiny.c pare_llm.c pare_llm_w8.c pare_k_elementwise.c

// FILES: pare_llm_w8.c

// HARNESS-NOT: FAIL
// HARNESS: 0 failed checks

// CMP: sizes 160 96 max diff under 0.2: True logits over 1: True
