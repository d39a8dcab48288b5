// The CUDA decoder's fused launches (issue 17, codegen/cuda/DecoderFusion.h)
// on the hand-written step function (Inputs/decoder_tiny.mlir, 2 layers):
// five launches a layer (qkv with the input norm as prologue and the rotated
// k / v written to the cache, split decode attention on the workspace, o_proj
// with the residual add, the SiLU-gated MLP half with the post-attention norm,
// down with the residual add) and the final norm in lm_head's prologue, each
// launch citing the ONNX nodes it covers. A group whose intermediate has
// another user, or an MLP that is not SiLU-gated, falls back to one launch
// per op; --cuda-fusion off keeps every op's launch (decoder_cuda.mlir).
// RUN: rm -rf %t && mkdir -p %t
// RUN: pare compile %S/Inputs/decoder_tiny.mlir --target cuda -o %t/f32 --name tiny -q
// RUN: FileCheck %s --input-file %t/f32/tiny.cu
// RUN: for k in qkv decode_attention linear gated rms_norm rotary kv_write attention binary activation matmul; do echo "$k $(grep -c "PARE_TRY(pare_llm_${k}_f32(" %t/f32/tiny.cu)"; done | FileCheck %s --check-prefix=COUNT
// RUN: pare compile %S/Inputs/decoder_tiny.mlir --target cuda --precision fp16 -o %t/f16 --name tiny -q
// RUN: FileCheck %s --check-prefix=F16 --input-file %t/f16/tiny.cu
// RUN: FileCheck %s --check-prefix=HDR --input-file %t/f16/tiny.h
// RUN: pare compile %S/Inputs/decoder_tiny.mlir --target cuda --cuda-fusion off -o %t/off --name tiny -q
// RUN: for k in qkv decode_attention linear gated rms_norm rotary kv_write attention; do echo "$k $(grep -c "PARE_TRY(pare_llm_${k}_f32(" %t/off/tiny.cu)"; done | FileCheck %s --check-prefix=OFF
// Broken patterns: layer 0's MLP is tanh-gated; layer 1's o_proj result also
// feeds the post-attention norm (so its add cannot be an epilogue).
// RUN: sed -e 's/%%l0_s = pare.sigmoid %%l0_g /%%l0_s = pare.tanh %%l0_g /' -e 's/%%l1_h2 = pare.rms_norm %%l1_r1,/%%l1_h2 = pare.rms_norm %%l1_o,/' %S/Inputs/decoder_tiny.mlir > %t/broken.mlir
// RUN: pare compile %t/broken.mlir --target cuda -o %t/broken --name tiny -q
// RUN: FileCheck %s --check-prefix=BROKEN --input-file %t/broken/tiny.cu
// RUN: not pare compile %S/Inputs/decoder_tiny.mlir --target cuda --cuda-fusion maybe -o %t/bad 2>&1 | FileCheck %s --check-prefix=BADFLAG
// RUN: not pare compile %S/Inputs/decoder_tiny.mlir --cuda-fusion off -o %t/bad 2>&1 | FileCheck %s --check-prefix=CTARGET

// CHECK: #define TINY_ATTN_WS_OFFSET
// CHECK: static_assert(TINY_ATTN_WS_BYTES >= PARE_LLM_ATTN_WORKSPACE_FLOATS(2, 4) * sizeof(float)
// embed, 2 x 5, lm_head, logits.
// CHECK: #define TINY_LAUNCHES 13
// CHECK-LABEL: static cudaError_t tiny_enqueue(int32_t n, int last) {
// CHECK: float *const attn_ws = (float *)(d + TINY_ATTN_WS_OFFSET);
// CHECK: PARE_PROF(0); PARE_TRY(pare_llm_embed_f32(embed, ids, model_embed_tokens_Gather, n, 8, stream));
// CHECK-NEXT: /* fused qkv (rms_norm prologue) -> nx8: ONNX nodes "/model/layers.0/input_layernorm/Mul_1", "/model/layers.0/self_attn/q_proj/MatMul", "/model/layers.0/self_attn/k_proj/MatMul", "/model/layers.0/self_attn/v_proj/MatMul", "/model/layers.0/self_attn/Add", "/model/layers.0/self_attn/Add_1" */
// CHECK-NEXT: PARE_PROF(1); PARE_TRY(pare_llm_qkv_f32(model_embed_tokens_Gather, l0_input_norm, 1e-05f, l0_q_proj_t, l0_k_proj_t, l0_v_proj_t, positions, NULL, 0, model_layers_0_self_attn_Add_inv_freq, 4, 0, model_layers_0_self_attn_Add, k_cache + (size_t)0 * TINY_LAYER_CACHE, v_cache + (size_t)0 * TINY_LAYER_CACHE, n, 8, 2, 1, 4, TINY_MAX_CONTEXT, stream));
// CHECK-NEXT: /* ONNX node "/model/layers.0/self_attn/MatMul_1": attention -> nx8 */
// CHECK-NEXT: PARE_PROF(2); PARE_TRY(pare_llm_decode_attention_f32(model_layers_0_self_attn_Add, k_cache + (size_t)0 * TINY_LAYER_CACHE, v_cache + (size_t)0 * TINY_LAYER_CACHE, positions, NULL, 0, model_layers_0_self_attn_MatMul_1, n, 2, 1, 4, TINY_MAX_CONTEXT, 0.5f, attn_ws, stream));
// CHECK-NEXT: /* fused linear (residual add) -> nx8: ONNX nodes "/model/layers.0/self_attn/o_proj/MatMul", "/model/layers.0/Add" */
// CHECK-NEXT: PARE_PROF(3); PARE_TRY(pare_llm_linear_f32(model_layers_0_self_attn_MatMul_1, NULL, 0.0f, l0_o_proj_t, model_embed_tokens_Gather, model_layers_0_Add, n, 8, 8, PARE_ACT_NONE, 0.0f, 0.0f, stream));
// CHECK-NEXT: /* fused gated (rms_norm prologue) -> nx12: ONNX nodes "/model/layers.0/post_attention_layernorm/Mul_1", "/model/layers.0/mlp/gate_proj/MatMul", "/model/layers.0/mlp/act_fn/Sigmoid", "/model/layers.0/mlp/act_fn/Mul", "/model/layers.0/mlp/up_proj/MatMul", "/model/layers.0/mlp/Mul" */
// CHECK-NEXT: PARE_PROF(4); PARE_TRY(pare_llm_gated_f32(model_layers_0_Add, l0_post_norm, 1e-05f, l0_gate_proj_t, l0_up_proj_t, model_layers_0_mlp_Mul, n, 8, 12, PARE_ACT_SILU, 0.0f, 0.0f, stream));
// CHECK-NEXT: /* fused linear (residual add) -> nx8: ONNX nodes "/model/layers.0/mlp/down_proj/MatMul", "/model/layers.0/Add_1" */
// CHECK-NEXT: PARE_PROF(3); PARE_TRY(pare_llm_linear_f32(model_layers_0_mlp_Mul, NULL, 0.0f, l0_down_proj_t, model_layers_0_Add, model_layers_0_Add_1, n, 12, 8, PARE_ACT_NONE, 0.0f, 0.0f, stream));
// CHECK-NEXT: /* fused qkv (rms_norm prologue) -> nx8: ONNX nodes "/model/layers.1/input_layernorm/Mul_1",
// CHECK: if (last) {
// CHECK-NEXT: /* fused linear (rms_norm prologue) -> 1x16 (last row only): ONNX nodes "/model/norm/Mul_1", "/lm_head/MatMul" */
// CHECK-NEXT: PARE_PROF(3); PARE_TRY(pare_llm_linear_f32(model_layers_1_Add_1 + (size_t)(n - 1) * 8, final_norm, 1e-05f, lm_head_weight_t, NULL, lm_head_MatMul, 1, 8, 16, PARE_ACT_NONE, 0.0f, 0.0f, stream));
// CHECK-NEXT: /* the logits of the last row, as float */
// CHECK-NEXT: PARE_PROF(5); PARE_TRY(pare_llm_logits_f32(lm_head_MatMul, logits, TINY_VOCAB, stream));
// The workspaces are cleared once, at setup.
// CHECK: cudaMemsetAsync(tiny_g.device + TINY_ATTN_WS_OFFSET, 0,
// The sampled step: the decode launches and the sampler in one graph.
// CHECK-LABEL: static int tiny_capture(
// CHECK: launched = tiny_enqueue(1, 1);
// CHECK: launched = pare_llm_sample_f32((const float *)(d + TINY_LOGITS_OFFSET), TINY_VOCAB,
// CHECK-LABEL: int tiny_decode_sample(int32_t id, const tiny_sampling *params, int32_t *next) {
// CHECK: cudaGraphLaunch(tiny_g.sample_graph, tiny_g.stream)
// CHECK: tiny_finish_next(next)
// CHECK-LABEL: int tiny_profile(int32_t id, int32_t tokens) {

// COUNT: qkv 2
// COUNT-NEXT: decode_attention 2
// COUNT-NEXT: linear 5
// COUNT-NEXT: gated 2
// COUNT-NEXT: rms_norm 0
// COUNT-NEXT: rotary 0
// COUNT-NEXT: kv_write 0
// COUNT-NEXT: attention 0
// COUNT-NEXT: binary 0
// COUNT-NEXT: activation 0
// COUNT-NEXT: matmul 0

// F16: PARE_TRY(pare_llm_qkv_f16(
// F16: PARE_TRY(pare_llm_decode_attention_f16(
// F16: PARE_TRY(pare_llm_linear_f16(
// F16: PARE_TRY(pare_llm_gated_f16(
// F16: PARE_TRY(pare_llm_linear_f16(model_layers_1_Add_1 + (size_t)(n - 1) * 8, final_norm,

// HDR: typedef struct {
// HDR: } tiny_sampling;
// HDR: int tiny_decode_sample(int32_t id, const tiny_sampling *params, int32_t *next);
// HDR: int tiny_sample(const tiny_sampling *params, int32_t *next);
// HDR: int tiny_profile(int32_t id, int32_t tokens);

// OFF: qkv 0
// OFF-NEXT: decode_attention 0
// OFF-NEXT: linear 0
// OFF-NEXT: gated 0
// OFF-NEXT: rms_norm 5
// OFF-NEXT: rotary 4
// OFF-NEXT: kv_write 2
// OFF-NEXT: attention 2

// Layer 0: attention half fused, the tanh-gated MLP one launch per op but down's residual add.
// BROKEN: PARE_TRY(pare_llm_qkv_f32(model_embed_tokens_Gather,
// BROKEN: PARE_TRY(pare_llm_linear_f32(model_layers_0_self_attn_MatMul_1, NULL, 0.0f, l0_o_proj_t, model_embed_tokens_Gather,
// BROKEN-NEXT: /* ONNX node "/model/layers.0/post_attention_layernorm/Mul_1": rms_norm -> nx8 */
// BROKEN: /* ONNX node "/model/layers.0/mlp/act_fn/Sigmoid": tanh -> nx12 */
// BROKEN: /* fused linear (residual add) -> nx8: ONNX nodes "/model/layers.0/mlp/down_proj/MatMul", "/model/layers.0/Add_1" */
// Layer 1: o_proj's result has two users: a plain matmul, its add, and the
// gated half reads it through its norm prologue.
// BROKEN: /* ONNX node "/model/layers.1/self_attn/o_proj/MatMul": matmul -> nx8 */
// BROKEN-NEXT: PARE_PROF({{[0-9]+}}); PARE_TRY(pare_llm_matmul_f32(model_layers_1_self_attn_MatMul_1, l1_o_proj_t, model_layers_1_self_attn_o_proj_MatMul,
// BROKEN-NEXT: /* ONNX node "/model/layers.1/Add": add -> nx8 */
// BROKEN: PARE_TRY(pare_llm_gated_f32(model_layers_1_self_attn_o_proj_MatMul, l1_post_norm,

// BADFLAG: --cuda-fusion: maybe not in {on,off}
// CTARGET: error: --cuda-fusion applies to decoders (--max-context) on --target cuda
