// The C decoder target on the hand-written decoder step function
// (Inputs/decoder_tiny.mlir: 2 layers, hidden 8, 2 query / 1 KV heads of 4,
// vocabulary 16, max context 32, the final norm and lm_head marked
// pare.tail). One step function runs every op on n rows from a static arena
// planned for PREFILL_CHUNK (16) rows; attention stores k / v into its KV
// cache layer, then attends over positions 0 .. pos0 + r; the tail ops run
// inside `if (logits)` on the last tn rows (1 for prefill / decode, every row
// for prefill_all), lm_head writing straight into the caller's logits. Weights are read from
// tiny_weights.bin: matmul weights stored transposed, the tied lm_head
// sharing the embedding's bytes. The API is checked before any write.
// The code compiles with -std=c99 -Wall -Wextra -Werror -pedantic and is
// byte-identical on a second compile.
// RUN: rm -rf %t %t2 && pare compile %S/Inputs/decoder_tiny.mlir -o %t --name tiny -q
// RUN: FileCheck %s --input-file %t/tiny.c
// RUN: FileCheck %s --check-prefix=HDR --input-file %t/tiny.h
// RUN: FileCheck %s --check-prefix=MK --input-file %t/tiny.mk
// RUN: ls %t | FileCheck %s --check-prefix=FILES
// RUN: gcc -std=c99 -Wall -Wextra -Werror -pedantic -c %t/tiny.c -o %t/tiny.o
// RUN: gcc -std=c99 -Wall -Wextra -Werror -pedantic -c %t/pare_llm.c -o %t/pare_llm.o
// RUN: pare compile %S/Inputs/decoder_tiny.mlir -o %t2 --name tiny -q
// RUN: for f in tiny.c tiny.h tiny.mk tiny_weights.bin; do cmp %t/$f %t2/$f; done
// RUN: %python -c "import struct,sys; b=open(sys.argv[1],'rb').read(); print(b[:8].decode(), *struct.unpack('<IIQ', b[8:24]), len(b))" %t/tiny_weights.bin | FileCheck %s --check-prefix=BIN

// FILES: pare_activation.h
// FILES-NEXT: pare_k_elementwise.c
// FILES-NEXT: pare_kernels.h
// FILES-NEXT: pare_llm.c
// FILES-NEXT: pare_llm.h
// FILES-NEXT: tiny.c
// FILES-NEXT: tiny.h
// FILES-NEXT: tiny.mk
// FILES-NEXT: tiny_weights.bin

// 20 distinct blobs of 64-byte aligned floats (4640 bytes); lm_head is not stored again.
// BIN: PAREWTS1 1 64 4640 4704

// HDR: #define TINY_MAX_CONTEXT 32
// HDR: #define TINY_VOCAB 16
// HDR: #define TINY_PREFILL_CHUNK 16
// HDR: TINY_OK = 0,
// HDR-NEXT: TINY_ERR_CONTEXT = 1,
// HDR-NEXT: TINY_ERR_ARG = 2,
// HDR: TINY_ERR_WEIGHTS = 3,
// HDR-NEXT: TINY_ERR_STATE = 4,
// HDR-NEXT: TINY_ERR_DEVICE = 5
// HDR: int tiny_init(const char *weights_path);
// HDR: int tiny_init_from_memory(const void *blob, size_t size);
// HDR: void tiny_free(void);
// HDR: void tiny_reset(void);
// HDR: int32_t tiny_position(void);
// HDR: int tiny_prefill(const int32_t *ids, int32_t n, float *logits_of_last);
// HDR: int tiny_prefill_all(const int32_t *ids, int32_t n, float *logits);
// HDR: int tiny_decode(int32_t id, float *logits);
// HDR: const char *tiny_strerror(int code);

// MK: # Threads (pare_llm.h): make -f tiny.mk CFLAGS="-O3 -march=native -DPARE_LLM_THREADS=4 -pthread"
// MK: TINY_SOURCES = tiny.c pare_llm.c pare_k_elementwise.c
// MK: generate: $(RUNNER_SOURCES) $(TINY_SOURCES)

// CHECK: #define TINY_WEIGHTS_BYTES 4640ULL
// CHECK: #define TINY_IDS 16
// CHECK: #define TINY_CACHE_LAYER_0 0
// CHECK-NEXT: #define TINY_CACHE_LAYER_1 128
// CHECK-NEXT: #define TINY_CACHE_FLOATS 256
// CHECK: static float tiny_arena[TINY_ARENA_FLOATS];
// CHECK-NEXT: static float tiny_k_cache[TINY_CACHE_FLOATS];
// CHECK-NEXT: static float tiny_v_cache[TINY_CACHE_FLOATS];
// CHECK: static const float tiny_model_layers_0_self_attn_Add_inv_freq[2] = {1.0f, 0.01f};
// CHECK: /* f32 [16][8] row-major at payload offset 0; embed */
// CHECK: /* f32 [4][8] transposed at payload offset 832; l0_k_proj */
// CHECK: /* f32 [16][8] transposed at payload offset 0, the bytes of tiny_model_embed_tokens_Gather_table; lm_head_weight */
// CHECK-NEXT: static const float *tiny_lm_head_MatMul_weight;

// CHECK-LABEL: static void tiny_step(const int32_t *ids, int32_t n, float *logits, int32_t tn)
// CHECK: float *const lm_head_MatMul = logits; /* the logits, in the caller's array */
// CHECK: tiny_positions[r] = (int64_t)pos0 + r;
// CHECK: /* ONNX node "/model/embed_tokens/Gather" */
// CHECK-NEXT: pare_embed_f32(tiny_model_embed_tokens_Gather_table, ids, model_embed_tokens_Gather, n, 8);
// CHECK: pare_rms_norm_f32(model_embed_tokens_Gather, tiny_model_layers_0_input_layernorm_Mul_1_weight, model_layers_0_input_layernorm_Mul_1, n, 8, 1e-05f);
// CHECK: pare_matmul_nt_f32(model_layers_0_input_layernorm_Mul_1, tiny_model_layers_0_self_attn_k_proj_MatMul_weight, model_layers_0_self_attn_k_proj_MatMul, n, 8, 4, PARE_ACT_NONE, 0.0f, 0.0f);
// CHECK: pare_rotary_f32(model_layers_0_self_attn_q_proj_MatMul, model_layers_0_self_attn_Add, tiny_positions, n, 2, 4, tiny_model_layers_0_self_attn_Add_inv_freq, 2, 0);
// CHECK: /* ONNX node "/model/layers.0/self_attn/MatMul_1" */
// CHECK-NEXT: pare_kv_store_f32(model_layers_0_self_attn_Add_1, model_layers_0_self_attn_v_proj_MatMul, tiny_k_cache + TINY_CACHE_LAYER_0, tiny_v_cache + TINY_CACHE_LAYER_0, n, 1, 4, TINY_MAX_CONTEXT, pos0);
// CHECK-NEXT: pare_attention_f32(model_layers_0_self_attn_Add, tiny_k_cache + TINY_CACHE_LAYER_0, tiny_v_cache + TINY_CACHE_LAYER_0, model_layers_0_self_attn_MatMul_1, n, pos0 + n, 4, (int64_t)TINY_MAX_CONTEXT * 4, 2, 1, 4, 0.5f, 1, pos0, (tiny_arena + {{[0-9]+}}));
// CHECK: pare_binary_f32(PARE_BIN_MUL, model_layers_0_mlp_gate_proj_MatMul, a_strides, model_layers_0_mlp_act_fn_Sigmoid, b_strides, model_layers_0_mlp_act_fn_Mul, shape, 2, PARE_ACT_NONE, 0.0f, 0.0f);
// CHECK: tiny_k_cache + TINY_CACHE_LAYER_1
// CHECK: if (logits) {
// CHECK-NEXT: /* ONNX node "/model/norm/Mul_1" */
// CHECK-NEXT: pare_rms_norm_f32((model_layers_1_Add_1 + (size_t)(n - tn) * 8), tiny_model_norm_Mul_1_weight, model_norm_Mul_1, tn, 8, 1e-05f);
// CHECK-NEXT: /* ONNX node "/lm_head/MatMul" */
// CHECK-NEXT: pare_matmul_nt_f32(model_norm_Mul_1, tiny_lm_head_MatMul_weight, lm_head_MatMul, tn, 8, 16, PARE_ACT_NONE, 0.0f, 0.0f);
// CHECK-NEXT: }
// CHECK-NEXT: tiny_pos = pos0 + n;

// CHECK-LABEL: int tiny_init_from_memory(const void *blob, size_t size)
// CHECK: if (size != 64 + TINY_WEIGHTS_BYTES || memcmp(b, "PAREWTS1", 8) != 0 ||
// CHECK: if (hash != TINY_WEIGHTS_HASH)
// CHECK-NEXT: return TINY_ERR_WEIGHTS;

// CHECK-LABEL: static int tiny_append(const int32_t *ids, int32_t n, float *logits, int all)
// CHECK: if (!tiny_ready)
// CHECK-NEXT: return TINY_ERR_STATE;
// CHECK-NEXT: if (!ids || n <= 0 || (all && !logits))
// CHECK-NEXT: return TINY_ERR_ARG;
// CHECK: if (ids[i] < 0 || ids[i] >= TINY_IDS)
// CHECK-NEXT: return TINY_ERR_ARG;
// CHECK: if (n > TINY_MAX_CONTEXT - tiny_pos)
// CHECK-NEXT: return TINY_ERR_CONTEXT;
// CHECK: if (all)
// CHECK-NEXT: tiny_step(ids + done, rows, logits + (size_t)done * TINY_VOCAB, rows);
// CHECK-NEXT: else
// CHECK-NEXT: tiny_step(ids + done, rows, done + rows == n ? logits : NULL, 1);
// CHECK-LABEL: int tiny_prefill(const int32_t *ids, int32_t n, float *logits_of_last)
// CHECK-NEXT: {
// CHECK-NEXT: return tiny_append(ids, n, logits_of_last, 0);
// CHECK-LABEL: int tiny_prefill_all(const int32_t *ids, int32_t n, float *logits)
// CHECK-NEXT: {
// CHECK-NEXT: return tiny_append(ids, n, logits, 1);
// CHECK-LABEL: int tiny_decode(int32_t id, float *logits)
// CHECK-NEXT: {
// CHECK-NEXT: return tiny_prefill(&id, 1, logits);
