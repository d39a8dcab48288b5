// The CUDA decoder's fused launches with int4 weights (issue 18,
// codegen/cuda/DecoderFusion.h) on the hand-written W4 step function
// (Inputs/decoder_tiny_w4.mlir: every linear a 4-bit pare.matmul_nbits, layer 0
// and lm_head in groups of 16, layer 1 in groups of 32): five launches a layer
// as for float weights, each the int4 form of its fused kernel with the group
// size after the packed weights (pare_llm_qkv_w4 with the input norm as
// prologue and k / v written to the cache, pare_llm_linear_w4 with the residual
// add, pare_llm_gated_w4 with the post-attention norm, pare_llm_linear_w4 for
// down with the residual add), lm_head with the final norm on the last row. The
// int4 launches share one workspace (their prefill dequantizes the weights into
// it): the largest group's, the gated MLP's 2 x 80 rows of K 48. A group never
// mixes dense and int4 weights, nor int4 group sizes. --cuda-fusion off keeps
// one pare_llm_matmul_w4 an op (decoder_cuda_w4.mlir), and so does --cuda-gemm
// cublas (decoder_cuda_cublas.mlir: its int4 prefill products run on cuBLAS).
// RUN: rm -rf %t && mkdir -p %t
// RUN: pare compile %S/Inputs/decoder_tiny_w4.mlir --target cuda -o %t/f32 --name tiny_w4 -q
// RUN: FileCheck %s --input-file %t/f32/tiny_w4.cu
// RUN: for k in qkv_w4 decode_attention linear_w4 gated_w4 matmul_w4 rms_norm rotary kv_write binary activation qkv linear gated; do echo "$k $(grep -c "PARE_TRY(pare_llm_${k}_f32(" %t/f32/tiny_w4.cu)"; done | FileCheck %s --check-prefix=COUNT
// RUN: pare compile %S/Inputs/decoder_tiny_w4.mlir --target cuda --precision fp16 -o %t/f16 --name tiny_w4 -q
// RUN: FileCheck %s --check-prefix=F16 --input-file %t/f16/tiny_w4.cu

// CHECK: #define TINY_W4_W4_WS_OFFSET
// CHECK: #define TINY_W4_W4_WS_BYTES 30768ull
// CHECK: static_assert(TINY_W4_W4_WS_BYTES >= PARE_LLM_W4_FUSED_WORKSPACE_BYTES(48, 160, sizeof(float)), "the fused int4 linears' workspace of pare_cu_llm.cuh");
// embed, 2 x 5, lm_head, logits.
// CHECK: #define TINY_W4_LAUNCHES 13
// CHECK-LABEL: static cudaError_t tiny_w4_enqueue(int32_t n, int last) {
// CHECK: void *const w4_ws = (void *)(d + TINY_W4_W4_WS_OFFSET);
// CHECK: PARE_TRY(pare_llm_embed_f32(embed, ids, model_embed_tokens_Gather, n, 48, stream));
// CHECK-NEXT: /* fused int4 qkv (groups of 16) (rms_norm prologue) -> nx48: ONNX nodes "/model/layers.0/input_layernorm/Mul_1", "/model/layers.0/self_attn/q_proj/MatMul", "/model/layers.0/self_attn/k_proj/MatMul", "/model/layers.0/self_attn/v_proj/MatMul", "/model/layers.0/self_attn/Add", "/model/layers.0/self_attn/Add_1" */
// CHECK-NEXT: PARE_TRY(pare_llm_qkv_w4_f32(model_embed_tokens_Gather, l0_input_norm, 1e-05f, model_layers_0_self_attn_q_proj_MatMul_w4, model_layers_0_self_attn_q_proj_MatMul_w4_sz, model_layers_0_self_attn_k_proj_MatMul_w4, model_layers_0_self_attn_k_proj_MatMul_w4_sz, model_layers_0_self_attn_v_proj_MatMul_w4, model_layers_0_self_attn_v_proj_MatMul_w4_sz, 16, positions, NULL, 0, model_layers_0_self_attn_Add_inv_freq, 12, 0, model_layers_0_self_attn_Add, k_cache + (size_t)0 * TINY_W4_LAYER_CACHE, v_cache + (size_t)0 * TINY_W4_LAYER_CACHE, n, 48, 4, 2, 12, TINY_W4_MAX_CONTEXT, w4_ws, stream));
// CHECK-NEXT: /* ONNX node "/model/layers.0/self_attn/MatMul_1": attention -> nx48 */
// CHECK-NEXT: PARE_TRY(pare_llm_decode_attention_f32(
// CHECK-NEXT: /* fused int4 linear (groups of 16) (residual add) -> nx48: ONNX nodes "/model/layers.0/self_attn/o_proj/MatMul", "/model/layers.0/Add" */
// CHECK-NEXT: PARE_TRY(pare_llm_linear_w4_f32(model_layers_0_self_attn_MatMul_1, NULL, 0.0f, model_layers_0_self_attn_o_proj_MatMul_w4, model_layers_0_self_attn_o_proj_MatMul_w4_sz, 16, model_embed_tokens_Gather, model_layers_0_Add, n, 48, 48, PARE_ACT_NONE, 0.0f, 0.0f, w4_ws, stream));
// CHECK-NEXT: /* fused int4 gated (groups of 16) (rms_norm prologue) -> nx80: ONNX nodes "/model/layers.0/post_attention_layernorm/Mul_1", "/model/layers.0/mlp/gate_proj/MatMul", "/model/layers.0/mlp/act_fn/Sigmoid", "/model/layers.0/mlp/act_fn/Mul", "/model/layers.0/mlp/up_proj/MatMul", "/model/layers.0/mlp/Mul" */
// CHECK-NEXT: PARE_TRY(pare_llm_gated_w4_f32(model_layers_0_Add, l0_post_norm, 1e-05f, model_layers_0_mlp_gate_proj_MatMul_w4, model_layers_0_mlp_gate_proj_MatMul_w4_sz, model_layers_0_mlp_up_proj_MatMul_w4, model_layers_0_mlp_up_proj_MatMul_w4_sz, 16, model_layers_0_mlp_Mul, n, 48, 80, PARE_ACT_SILU, 0.0f, 0.0f, w4_ws, stream));
// CHECK-NEXT: /* fused int4 linear (groups of 16) (residual add) -> nx48: ONNX nodes "/model/layers.0/mlp/down_proj/MatMul", "/model/layers.0/Add_1" */
// CHECK-NEXT: PARE_TRY(pare_llm_linear_w4_f32(model_layers_0_mlp_Mul, NULL, 0.0f, model_layers_0_mlp_down_proj_MatMul_w4, model_layers_0_mlp_down_proj_MatMul_w4_sz, 16, model_layers_0_Add, model_layers_0_Add_1, n, 80, 48, PARE_ACT_NONE, 0.0f, 0.0f, w4_ws, stream));
// CHECK-NEXT: /* fused int4 qkv (groups of 32) (rms_norm prologue) -> nx48: ONNX nodes "/model/layers.1/input_layernorm/Mul_1",
// CHECK-NEXT: PARE_TRY(pare_llm_qkv_w4_f32(model_layers_0_Add_1, l1_input_norm, 1e-05f, {{.*}}, 32, positions,
// CHECK: if (last) {
// CHECK-NEXT: /* fused int4 linear (groups of 16) (rms_norm prologue) -> 1x40 (last row only): ONNX nodes "/model/norm/Mul_1", "/lm_head/MatMul" */
// CHECK-NEXT: PARE_TRY(pare_llm_linear_w4_f32(model_layers_1_Add_1 + (size_t)(n - 1) * 48, final_norm, 1e-05f, lm_head_MatMul_w4, lm_head_MatMul_w4_sz, 16, NULL, lm_head_MatMul, 1, 48, 40, PARE_ACT_NONE, 0.0f, 0.0f, w4_ws, stream));
// CHECK-NEXT: /* the logits of the last row, as float */

// COUNT: qkv_w4 2
// COUNT-NEXT: decode_attention 2
// COUNT-NEXT: linear_w4 5
// COUNT-NEXT: gated_w4 2
// COUNT-NEXT: matmul_w4 0
// COUNT-NEXT: rms_norm 0
// COUNT-NEXT: rotary 0
// COUNT-NEXT: kv_write 0
// COUNT-NEXT: binary 0
// COUNT-NEXT: activation 0
// COUNT-NEXT: qkv 0
// COUNT-NEXT: linear 0
// COUNT-NEXT: gated 0

// F16: static_assert(TINY_W4_W4_WS_BYTES >= PARE_LLM_W4_FUSED_WORKSPACE_BYTES(48, 160, sizeof(pare_half)),
// F16: PARE_TRY(pare_llm_qkv_w4_f16(model_embed_tokens_Gather, l0_input_norm, 1e-05f, model_layers_0_self_attn_q_proj_MatMul_w4, {{.*}}, 16, positions,
// F16: PARE_TRY(pare_llm_gated_w4_f16(model_layers_0_Add, l0_post_norm, 1e-05f,
