// The CUDA decoder target with SmoothQuant W8A8 linears (issue 19): each
// pare.matmul_w8a8 becomes one pare_llm_linear_w8a8_<f32|f16> launch
// (runtime-stubs/cuda-llm/pare_cu_llm_w8.cu) with K, N, act_scale 0 for a
// per-token op or its calibrated scale for a per-tensor one, and the int8
// linears' workspace w8_ws; its weights are an "s8" blob of rows padded to 32
// bytes (PARE_LLM_W8_ROW_BYTES: K 8 and K 12 -> 32) and a float scale per
// output channel, float in fp16 too. Inputs/decoder_tiny_w8a8.mlir: layer 0's
// q_proj per token (its norm also feeds float k / v: a plain launch, no
// prologue), its down_proj per tensor (0.03) with the residual add folded.
// Offsets: embedding 16 x 8 floats (512 bytes), the norm's 32 at 512, then
// q_proj's 8 x 32 bytes at 576 and its 8 floats at 832; the workspace is
// PARE_LLM_W8_WORKSPACE_BYTES(32 rows, K 12) = 32 x 32 + 32 x 4 + 256 = 1408
// bytes at the end of the allocation. The .mk builds pare_cu_llm_w8.o only
// for a decoder with int8 linears.
// RUN: rm -rf %t && mkdir -p %t
// RUN: pare compile %S/Inputs/decoder_tiny_w8a8.mlir --target cuda -o %t/f32 --name tiny -q
// RUN: FileCheck %s --input-file %t/f32/tiny.cu
// RUN: FileCheck %s --check-prefix=MK --input-file %t/f32/tiny.mk
// RUN: cmp %t/f32/pare_cu_llm_w8.cu %srcroot/runtime-stubs/cuda-llm/pare_cu_llm_w8.cu
// RUN: %python -c "import struct,sys; b=open(sys.argv[1],'rb').read()[64:]; w=struct.unpack('<64b', b[576:640]); s=struct.unpack('<2f', b[832:840]); print('row0', list(w[:8]), 'pad', set(w[8:32]), 'row1', list(w[32:40]), 'pad', set(w[40:64])); print('scales %%.9g %%.9g' %% s)" %t/f32/tiny_weights.bin | FileCheck %s --check-prefix=BYTES
// RUN: pare compile %S/Inputs/decoder_tiny_w8a8.mlir --target cuda --precision fp16 -o %t/f16 --name tiny -q
// RUN: FileCheck %s --check-prefix=F16 --input-file %t/f16/tiny.cu
// RUN: pare compile %S/Inputs/decoder_tiny.mlir --target cuda -o %t/float --name tiny -q
// RUN: not grep -e w8 %t/float/tiny.mk
// RUN: not grep -e W8_WS -e w8_ws %t/float/tiny.cu
// A plain graph (no decoder) has no int8 kernels on the CUDA target:
// RUN: not pare compile %S/matmul_w8a8_c.mlir --target cuda -o %t/plain 2>&1 | FileCheck %s --check-prefix=PLAIN
// PLAIN: node 'token': error: the cuda target cannot emit pare.matmul_w8a8: int8 W8A8 linears run in CUDA decoders only (--max-context N with a graph pare can derive a decoder from)

// Every linear but lm_head int8 (pare-quantize-w8a8 unsmoothed, per token, on
// Inputs/decoder_tiny.mlir): fused, each layer's input norm is the prologue of
// q, k and v (each recomputes it where it quantizes the row; no norm launch,
// no stored norm), the post-attention norm that of gate and up, gate applies
// SiLU (g * sigmoid(g)) as its epilogue, o_proj and down_proj add the
// residual: 7 launches of pare_llm_linear_w8a8 a layer, no pare_llm_rms_norm
// but lm_head's prologue, no sigmoid launch. With --cuda-fusion off: the norms
// and adds are their own launches, every int8 linear reads its input plainly.
// RUN: pare-opt %S/Inputs/decoder_tiny.mlir --pass-pipeline='builtin.module(pare-quantize-w8a8{alpha=off})' -mlir-print-debuginfo -o %t/q.mlir
// RUN: pare compile %t/q.mlir --target cuda -o %t/fused --name tiny -q
// RUN: FileCheck %s --check-prefix=FUSE --input-file %t/fused/tiny.cu
// RUN: grep -c "PARE_TRY(pare_llm_linear_w8a8_f32(" %t/fused/tiny.cu | FileCheck %s --check-prefix=COUNT
// RUN: pare compile %t/q.mlir --target cuda --cuda-fusion off -o %t/nofuse --name tiny -q
// RUN: FileCheck %s --check-prefix=NOFUSE --input-file %t/nofuse/tiny.cu
// RUN: grep -c "PARE_TRY(pare_llm_linear_w8a8_f32(" %t/nofuse/tiny.cu | FileCheck %s --check-prefix=COUNT
// RUN: grep -c "PARE_TRY(pare_llm_linear_w8a8_f32(.*, NULL, 0.0f, .*, NULL, " %t/nofuse/tiny.cu | FileCheck %s --check-prefix=COUNT

// CHECK: #define TINY_PAYLOAD_BYTES 4704ull
// CHECK: #define TINY_W8_WS_OFFSET [[WS:[0-9]+]]ull
// CHECK-NEXT: #define TINY_W8_WS_BYTES 1408ull
// CHECK: #define TINY_DEVICE_BYTES
// CHECK: static_assert(TINY_W8_WS_BYTES >= PARE_LLM_W8_WORKSPACE_BYTES(TINY_PREFILL_CHUNK, 12), "the int8 linears' workspace of pare_cu_llm.cuh");
// CHECK: void *const w8_ws = (void *)(d + TINY_W8_WS_OFFSET);
// CHECK: /* /model/layers.0/self_attn/q_proj/MatMul: int8 [8][8], rows padded to 32 bytes; a float scale per output */
// CHECK-NEXT: const int8_t *const model_layers_0_self_attn_q_proj_MatMul_w8 = (const int8_t *)(d + 576);
// CHECK-NEXT: const float *const model_layers_0_self_attn_q_proj_MatMul_w8_scale = (const float *)(d + 832);
// CHECK: /* /model/layers.0/mlp/down_proj/MatMul: int8 [8][12], rows padded to 32 bytes; a float scale per output */
// CHECK: PARE_TRY(pare_llm_rms_norm_f32(
// CHECK: PARE_TRY(pare_llm_linear_w8a8_f32(model_layers_0_input_layernorm_Mul_1, NULL, 0.0f, model_layers_0_self_attn_q_proj_MatMul_w8, model_layers_0_self_attn_q_proj_MatMul_w8_scale, NULL, model_layers_0_self_attn_q_proj_MatMul, n, 8, 8, 0.0f, PARE_ACT_NONE, 0.0f, 0.0f, w8_ws, stream));
// CHECK: /* fused int8 linear (residual add) -> nx8: ONNX nodes "/model/layers.0/mlp/down_proj/MatMul", "/model/layers.0/Add_1" */
// CHECK-NEXT: PARE_TRY(pare_llm_linear_w8a8_f32(model_layers_0_mlp_Mul, NULL, 0.0f, model_layers_0_mlp_down_proj_MatMul_w8, model_layers_0_mlp_down_proj_MatMul_w8_scale, model_layers_0_Add, model_layers_0_Add_1, n, 12, 8, 0.03f, PARE_ACT_NONE, 0.0f, 0.0f, w8_ws, stream));
// CHECK-NOT: pare_llm_linear_w8a8

// The first two padded rows of q_proj (Inputs: [-127, -36, -13, 38, -2, 1,
// -103, 35], [-42, 127, -31, 13, -16, 14, -76, 71]), zeros to 32 bytes, and
// its first scales as float.
// BYTES: row0 [-127, -36, -13, 38, -2, 1, -103, 35] pad {0} row1 [-42, 127, -31, 13, -16, 14, -76, 71] pad {0}
// BYTES-NEXT: scales 0.00799566973 0.00830716547

// fp16: the same int8 rows and float scales (q_proj at 320: a half embedding
// of 256 bytes, the norm's 16 rounded up to 64).
// F16: const int8_t *const model_layers_0_self_attn_q_proj_MatMul_w8 = (const int8_t *)(d + 320);
// F16-NEXT: const float *const model_layers_0_self_attn_q_proj_MatMul_w8_scale = (const float *)(d + 576);
// F16: PARE_TRY(pare_llm_linear_w8a8_f16(model_layers_0_input_layernorm_Mul_1, NULL, 0.0f, {{.*}}, n, 8, 8, 0.0f,
// F16: PARE_TRY(pare_llm_linear_w8a8_f16(model_layers_0_mlp_Mul, NULL, 0.0f, {{.*}}, model_layers_0_Add, model_layers_0_Add_1, n, 12, 8, 0.03f,

// MK: TINY_OBJECTS = tiny.o pare_cu_llm.o pare_cu_llm_attn.o pare_cu_llm_w4.o pare_cu_llm_w8.o
// MK: pare_cu_llm_w8.o: pare_cu_llm_w8.cu pare_cu_llm_w8_impl.cuh pare_cu_llm.cuh pare_cu_llm_device.cuh pare_activation.h
// MK-NEXT: $(NVCC) -std=c++17 $(NVCCFLAGS) -c pare_cu_llm_w8.cu -o $@

// COUNT: 14

// FUSE-NOT: model_layers_0_input_layernorm_Mul_1
// FUSE: /* fused int8 linear (rms_norm prologue) -> nx8: ONNX nodes "/model/layers.0/input_layernorm/Mul_1", "/model/layers.0/self_attn/q_proj/MatMul" */
// FUSE-NEXT: PARE_TRY(pare_llm_linear_w8a8_f32(model_embed_tokens_Gather, l0_input_norm, 1e-05f, model_layers_0_self_attn_q_proj_MatMul_w8, model_layers_0_self_attn_q_proj_MatMul_w8_scale, NULL, model_layers_0_self_attn_q_proj_MatMul, n, 8, 8, 0.0f, PARE_ACT_NONE, 0.0f, 0.0f, w8_ws, stream));
// FUSE: PARE_TRY(pare_llm_linear_w8a8_f32(model_embed_tokens_Gather, l0_input_norm, 1e-05f, model_layers_0_self_attn_k_proj_MatMul_w8, {{.*}}, NULL, model_layers_0_self_attn_k_proj_MatMul, n, 8, 4,
// FUSE: PARE_TRY(pare_llm_linear_w8a8_f32(model_embed_tokens_Gather, l0_input_norm, 1e-05f, model_layers_0_self_attn_v_proj_MatMul_w8, {{.*}}, NULL, model_layers_0_self_attn_v_proj_MatMul, n, 8, 4,
// FUSE: /* fused int8 linear (residual add) -> nx8: ONNX nodes "/model/layers.0/self_attn/o_proj/MatMul", "/model/layers.0/Add" */
// FUSE-NEXT: PARE_TRY(pare_llm_linear_w8a8_f32(model_layers_0_self_attn_MatMul_1, NULL, 0.0f, model_layers_0_self_attn_o_proj_MatMul_w8, model_layers_0_self_attn_o_proj_MatMul_w8_scale, model_embed_tokens_Gather, model_layers_0_Add, n, 8, 8,
// FUSE: /* fused int8 linear (rms_norm prologue) (SiLU) -> nx12: ONNX nodes "/model/layers.0/post_attention_layernorm/Mul_1", "/model/layers.0/mlp/gate_proj/MatMul", "/model/layers.0/mlp/act_fn/Sigmoid", "/model/layers.0/mlp/act_fn/Mul" */
// FUSE-NEXT: PARE_TRY(pare_llm_linear_w8a8_f32(model_layers_0_Add, l0_post_norm, 1e-05f, model_layers_0_mlp_gate_proj_MatMul_w8, {{.*}}, NULL, model_layers_0_mlp_act_fn_Mul, n, 8, 12, 0.0f, PARE_ACT_SILU, 0.0f, 0.0f, w8_ws, stream));
// FUSE: PARE_TRY(pare_llm_linear_w8a8_f32(model_layers_0_Add, l0_post_norm, 1e-05f, model_layers_0_mlp_up_proj_MatMul_w8, {{.*}}, NULL, model_layers_0_mlp_up_proj_MatMul, n, 8, 12,
// FUSE: PARE_TRY(pare_llm_linear_w8a8_f32(model_layers_0_mlp_Mul, NULL, 0.0f, model_layers_0_mlp_down_proj_MatMul_w8, {{.*}}, model_layers_0_Add, model_layers_0_Add_1, n, 12, 8,
// FUSE-NOT: pare_llm_rms_norm_f32(
// FUSE-NOT: pare_llm_activation_f32(
// FUSE: if (last) {
// FUSE: PARE_TRY(pare_llm_linear_f32(model_layers_1_Add_1 + (size_t)(n - 1) * 8, final_norm, 1e-05f,

// NOFUSE: PARE_TRY(pare_llm_rms_norm_f32(model_embed_tokens_Gather, l0_input_norm, model_layers_0_input_layernorm_Mul_1, n, 8, 1e-05f, stream));
// NOFUSE: PARE_TRY(pare_llm_linear_w8a8_f32(model_layers_0_input_layernorm_Mul_1, NULL, 0.0f, model_layers_0_self_attn_q_proj_MatMul_w8, {{.*}}, NULL, model_layers_0_self_attn_q_proj_MatMul, n, 8, 8,
// NOFUSE: PARE_TRY(pare_llm_linear_w8a8_f32(model_layers_0_self_attn_MatMul_1, NULL, 0.0f, model_layers_0_self_attn_o_proj_MatMul_w8, {{.*}}, NULL, model_layers_0_self_attn_o_proj_MatMul, n, 8, 8,
// NOFUSE: PARE_TRY(pare_llm_binary_f32(PARE_LLM_ADD,
