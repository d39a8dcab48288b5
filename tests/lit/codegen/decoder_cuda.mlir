// The CUDA decoder target on the hand-written decoder step function
// (Inputs/decoder_tiny.mlir: 2 layers, hidden 8, 2 query / 1 KV heads of 4,
// vocabulary 16, max context 32, the final norm and lm_head marked
// pare.tail). <name>.h is the C target's API; <name>.cu holds enqueue(n, last):
// one launch of a runtime-stubs/cuda-llm kernel per op on n rows, attention as
// a KV cache write then attention over the cache, the tail ops inside
// `if (last)` on the last row only, then the float logits. One device
// allocation: the weights payload (matmul weights stored transposed, the tied
// lm_head sharing the embedding's bytes), the activation arena planned for
// PREFILL_CHUNK rows, the K and V caches, the step's ids / positions and the
// logits. Decode captures enqueue(1, 1) into a CUDA graph once. fp16 stores
// weights, activations and the cache as half (the rotary frequencies stay
// float). Byte-identical on a second compile. This is the one-launch-per-op
// path (--cuda-fusion off); decoder_cuda_fusion.mlir checks the fused one.
// RUN: rm -rf %t %t2 && pare compile %S/Inputs/decoder_tiny.mlir --target cuda --cuda-fusion off -o %t/f32 --name tiny -q
// RUN: FileCheck %s --input-file %t/f32/tiny.cu
// RUN: FileCheck %s --check-prefix=HDR --input-file %t/f32/tiny.h
// RUN: ls %t/f32 | FileCheck %s --check-prefix=FILES
// RUN: pare compile %S/Inputs/decoder_tiny.mlir --target cuda --cuda-fusion off --precision fp16 -o %t/f16 --name tiny -q --emit-runner
// RUN: FileCheck %s --check-prefix=F16 --input-file %t/f16/tiny.cu
// RUN: FileCheck %s --check-prefix=MK --input-file %t/f16/tiny.mk
// RUN: ls %t/f16 | FileCheck %s --check-prefix=RUNNER
// RUN: pare compile %S/Inputs/decoder_tiny.mlir --target cuda --cuda-fusion off -o %t2 --name tiny -q
// RUN: for f in tiny.cu tiny.h tiny.mk tiny_weights.bin; do cmp %t/f32/$f %t2/$f; done
// RUN: for f in pare_cu_llm.cu pare_cu_llm.cuh pare_cu_llm_attn.cu pare_cu_llm_device.cuh pare_cu_llm_w8_impl.cuh; do cmp %t/f32/$f %srcroot/runtime-stubs/cuda-llm/$f; done
// RUN: %python -c "import struct,sys; b=open(sys.argv[1],'rb').read(); print(b[:8].decode(), *struct.unpack('<IIQ', b[8:24]), len(b))" %t/f32/tiny_weights.bin | FileCheck %s --check-prefix=BIN
// RUN: %python -c "import struct,sys; b=open(sys.argv[1],'rb').read(); print(b[:8].decode(), *struct.unpack('<IIQ', b[8:24]), len(b))" %t/f16/tiny_weights.bin | FileCheck %s --check-prefix=BIN16

// FILES: pare_activation.h
// FILES-NEXT: pare_cu_llm.cu
// FILES-NEXT: pare_cu_llm.cuh
// FILES-NEXT: pare_cu_llm_attn.cu
// FILES-NEXT: pare_cu_llm_device.cuh
// FILES-NEXT: pare_cu_llm_w4.cu
// FILES-NEXT: pare_cu_llm_w8.cu
// FILES-NEXT: pare_cu_llm_w8_impl.cuh
// FILES-NEXT: tiny.cu
// FILES-NEXT: tiny.h
// FILES-NEXT: tiny.mk
// FILES-NEXT: tiny_weights.bin

// RUNNER: generate.c
// RUNNER: pare_model.h
// RUNNER: pare_tokenizer.c

// The C target's 20 distinct blobs (lm_head not stored again; half in fp16)
// and the rotary frequencies (float), each 64-byte aligned.
// BIN: PAREWTS1 1 64 4704 4768
// BIN16: PAREWTS1 1 64 2512 2576

// HDR: #define TINY_MAX_CONTEXT 32
// HDR: #define TINY_VOCAB 16
// HDR: #define TINY_PREFILL_CHUNK 32
// HDR: TINY_ERR_DEVICE = 5
// HDR: int tiny_init(const char *weights_path);
// HDR: int tiny_prefill(const int32_t *ids, int32_t n, float *logits_of_last);
// HDR: int tiny_decode(int32_t id, float *logits);

// MK: NVCCFLAGS ?= -O3 -arch=sm_90
// MK: TINY_OBJECTS = tiny.o pare_cu_llm.o pare_cu_llm_attn.o pare_cu_llm_w4.o
// MK: generate: $(RUNNER_SOURCES) $(TINY_OBJECTS)
// MK: $(NVCC) $(NVCCFLAGS) -o $@ generate.o pare_tokenizer.o $(TINY_OBJECTS) -lm

// CHECK: #define TINY_PAYLOAD_BYTES 4704ull
// CHECK: #define TINY_ARENA_OFFSET 4864ull
// The cache: 2 layers x 1 kv head x 32 positions x 4 floats, K then V.
// CHECK: #define TINY_K_CACHE_OFFSET [[K:[0-9]+]]ull
// CHECK: #define TINY_V_CACHE_OFFSET [[V:[0-9]+]]ull
// CHECK: #define TINY_CACHE_BYTES 1024ull
// CHECK: #define TINY_LAYER_CACHE 128ull
// CHECK: #define TINY_DEVICE_BYTES

// CHECK: static cudaError_t tiny_enqueue(int32_t n, int last) {
// CHECK: float *const k_cache = (float *)(d + TINY_K_CACHE_OFFSET);
// CHECK: const float *const embed = (const float *)(d + 0);
// CHECK: /* l0_q_proj: 8x8, stored transposed */
// CHECK-NEXT: const float *const l0_q_proj_t = (const float *)(d + 576);
// CHECK: rotary frequencies of /model/layers.0/self_attn/Add
// The tied lm_head is the embedding's blob.
// CHECK: const float *const lm_head_weight_t = (const float *)(d + 0);
// CHECK: float *const model_embed_tokens_Gather = (float *)(d + TINY_ARENA_OFFSET + 0);

// CHECK: /* ONNX node "/model/embed_tokens/Gather": gather -> nx8 */
// CHECK-NEXT: PARE_TRY(pare_llm_embed_f32(embed, ids, model_embed_tokens_Gather, n, 8, stream));
// CHECK-NEXT: /* ONNX node "/model/layers.0/input_layernorm/Mul_1": rms_norm -> nx8 */
// CHECK-NEXT: PARE_TRY(pare_llm_rms_norm_f32(model_embed_tokens_Gather, l0_input_norm, model_layers_0_input_layernorm_Mul_1, n, 8, 1e-05f, stream));
// CHECK-NEXT: /* ONNX node "/model/layers.0/self_attn/q_proj/MatMul": matmul -> nx8 */
// CHECK-NEXT: PARE_TRY(pare_llm_matmul_f32(model_layers_0_input_layernorm_Mul_1, l0_q_proj_t, model_layers_0_self_attn_q_proj_MatMul, n, 8, 8, PARE_ACT_NONE, 0.0f, 0.0f, stream));
// CHECK: /* ONNX node "/model/layers.0/self_attn/Add": rotary -> nx8 */
// CHECK-NEXT: PARE_TRY(pare_llm_rotary_f32(model_layers_0_self_attn_q_proj_MatMul, positions, model_layers_0_self_attn_Add_inv_freq, model_layers_0_self_attn_Add, n, 2, 4, 4, 0, stream));
// CHECK: /* ONNX node "/model/layers.0/self_attn/MatMul_1": attention -> nx8 */
// CHECK-NEXT: PARE_TRY(pare_llm_kv_write_f32(model_layers_0_self_attn_Add_1, model_layers_0_self_attn_v_proj_MatMul, positions, NULL, 0, k_cache + (size_t)0 * TINY_LAYER_CACHE, v_cache + (size_t)0 * TINY_LAYER_CACHE, n, 1, 4, TINY_MAX_CONTEXT, stream));
// CHECK-NEXT: PARE_TRY(pare_llm_attention_f32(model_layers_0_self_attn_Add, k_cache + (size_t)0 * TINY_LAYER_CACHE, v_cache + (size_t)0 * TINY_LAYER_CACHE, positions, NULL, 0, model_layers_0_self_attn_MatMul_1, n, 2, 1, 4, TINY_MAX_CONTEXT, 0.5f, stream));
// CHECK: /* ONNX node "/model/layers.0/mlp/act_fn/Sigmoid": sigmoid -> nx12 */
// CHECK-NEXT: PARE_TRY(pare_llm_activation_f32(model_layers_0_mlp_gate_proj_MatMul, model_layers_0_mlp_act_fn_Sigmoid, (size_t)n * 12, PARE_ACT_SIGMOID, 0.0f, 0.0f, stream));
// CHECK-NEXT: /* ONNX node "/model/layers.0/mlp/act_fn/Mul": mul -> nx12 */
// CHECK-NEXT: PARE_TRY(pare_llm_binary_f32(PARE_LLM_MUL, model_layers_0_mlp_gate_proj_MatMul, 12, 1, model_layers_0_mlp_act_fn_Sigmoid, 12, 1, model_layers_0_mlp_act_fn_Mul, n, 12, PARE_ACT_NONE, 0.0f, 0.0f, stream));
// CHECK: k_cache + (size_t)1 * TINY_LAYER_CACHE
// The tail: the last row of the residual stream, one row of norm and lm_head.
// CHECK: if (last) {
// CHECK-NEXT: /* ONNX node "/model/norm/Mul_1": rms_norm -> 1x8 (last row only) */
// CHECK-NEXT: PARE_TRY(pare_llm_rms_norm_f32(model_layers_1_Add_1 + (size_t)(n - 1) * 8, final_norm, model_norm_Mul_1, 1, 8, 1e-05f, stream));
// CHECK-NEXT: /* ONNX node "/lm_head/MatMul": matmul -> 1x16 (last row only) */
// CHECK-NEXT: PARE_TRY(pare_llm_matmul_f32(model_norm_Mul_1, lm_head_weight_t, lm_head_MatMul, 1, 8, 16, PARE_ACT_NONE, 0.0f, 0.0f, stream));
// CHECK-NEXT: /* the logits of the last row, as float */
// CHECK-NEXT: PARE_TRY(pare_llm_logits_f32(lm_head_MatMul, logits, TINY_VOCAB, stream));
// CHECK-NEXT: }
// CHECK-NEXT: /* the end of the last launch (profile) */
// CHECK-NEXT: PARE_PROF({{[0-9]+}});
// CHECK-NEXT: return cudaSuccess;

// One device allocation; the weights file checked by size and hash.
// CHECK: if (tiny_u64(h + 16) != TINY_PAYLOAD_BYTES || tiny_u64(h + 24) != TINY_WEIGHTS_HASH) {
// CHECK: if ((err = cudaMalloc((void **)&tiny_g.device, TINY_DEVICE_BYTES)) != cudaSuccess) {

// CHECK-LABEL: int tiny_prefill(const int32_t *ids, int32_t n, float *logits_of_last) {
// CHECK: if (n > TINY_MAX_CONTEXT - tiny_g.position)
// CHECK-NEXT: return TINY_ERR_CONTEXT;
// CHECK: if ((err = tiny_enqueue(rows, done + rows == n && logits_of_last != NULL)) != cudaSuccess)

// The decode step: captured once, then the id and position written to the
// device and the graph replayed.
// CHECK-LABEL: static int tiny_capture(cudaGraphExec_t *exec, const tiny_sampling *sampling) {
// CHECK: cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal)
// CHECK: launched = tiny_enqueue(1, 1);
// CHECK: cudaGraphInstantiate(exec, graph, 0);
// CHECK-LABEL: int tiny_decode(int32_t id, float *logits) {
// CHECK: if (!tiny_g.decode_graph && (rc = tiny_capture(&tiny_g.decode_graph, NULL)) != TINY_OK)
// CHECK: tiny_g.staging[0] = id;
// CHECK-NEXT: tiny_g.staging[TINY_MAX_CONTEXT] = tiny_g.position;
// CHECK-NEXT: if ((err = tiny_upload(0, 1)) != cudaSuccess)
// CHECK: if ((err = cudaGraphLaunch(tiny_g.decode_graph, tiny_g.stream)) != cudaSuccess)

// F16: #define TINY_PAYLOAD_BYTES 2512ull
// F16: #define TINY_CACHE_BYTES 512ull
// F16: pare_half *const k_cache = (pare_half *)(d + TINY_K_CACHE_OFFSET);
// F16: const pare_half *const l0_q_proj_t = (const pare_half *)
// F16: const float *const model_layers_0_self_attn_Add_inv_freq = (const float *)
// F16: PARE_TRY(pare_llm_matmul_f16(
// F16: PARE_TRY(pare_llm_attention_f16(
// F16: PARE_TRY(pare_llm_logits_f16(lm_head_MatMul, logits, TINY_VOCAB, stream));
