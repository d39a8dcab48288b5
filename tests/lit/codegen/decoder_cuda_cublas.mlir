// --cuda-gemm cublas on the CUDA decoder (issues 17 / 18; issue 6 allows the
// library as an option): every product launch of the hand-written Llama
// (Inputs/decoder_tiny.mlir) and of its int4 variant (decoder_tiny_w4.mlir)
// becomes the pare_llm_blas_* entry point of pare_cu_llm_blas.cuh with the
// decoder's library context first; the other launches stay pare's. The
// context is made with the stream in setup, sized for a prefill chunk of the
// step's largest products (K 12, N 24: the gated pair's 2 x 12; int4: K 80,
// N 80 and 80 x 48 halves of dequantized weight), and destroyed before it.
// The files pare_cu_llm_blas* ship only with the option, and the .mk builds
// pare_cu_llm_blas.o and links -lcublas -lcublasLt. The default (--cuda-gemm
// pare) names none of it. A non-CUDA target, a plain CUDA graph and an
// unknown library are errors.
// RUN: rm -rf %t && mkdir -p %t
// RUN: pare compile %S/Inputs/decoder_tiny.mlir --target cuda --precision fp16 --cuda-gemm cublas --emit-runner -o %t/f16 --name tiny -q
// RUN: FileCheck %s --input-file %t/f16/tiny.cu
// RUN: FileCheck %s --check-prefix=HDR --input-file %t/f16/tiny.h
// RUN: FileCheck %s --check-prefix=MK --input-file %t/f16/tiny.mk
// RUN: cmp %t/f16/pare_cu_llm_blas.cu %srcroot/runtime-stubs/cuda-llm/pare_cu_llm_blas.cu
// RUN: cmp %t/f16/pare_cu_llm_blas.cuh %srcroot/runtime-stubs/cuda-llm/pare_cu_llm_blas.cuh
// RUN: cmp %t/f16/pare_cu_llm_blas_impl.cuh %srcroot/runtime-stubs/cuda-llm/pare_cu_llm_blas_impl.cuh
// RUN: for k in qkv linear gated; do echo "$k $(grep -c "PARE_TRY(pare_llm_blas_${k}_f16(tiny_g.blas, " %t/f16/tiny.cu) $(grep -c "PARE_TRY(pare_llm_${k}_f16(" %t/f16/tiny.cu)"; done | FileCheck %s --check-prefix=COUNT
// RUN: pare compile %S/Inputs/decoder_tiny.mlir --target cuda --cuda-gemm cublas --cuda-fusion off -o %t/off --name tiny -q
// RUN: FileCheck %s --check-prefix=OFF --input-file %t/off/tiny.cu
// RUN: pare compile %S/Inputs/decoder_tiny_w4.mlir --target cuda --precision fp16 --cuda-gemm cublas -o %t/w4 --name tiny_w4 -q
// RUN: FileCheck %s --check-prefix=W4 --input-file %t/w4/tiny_w4.cu
// RUN: grep -c "PARE_TRY(pare_llm_blas_matmul_w4_f16(tiny_w4_g.blas, " %t/w4/tiny_w4.cu | FileCheck %s --check-prefix=W4COUNT
// RUN: pare compile %S/Inputs/decoder_tiny.mlir --target cuda --precision fp16 --cuda-gemm pare --emit-runner -o %t/default --name tiny -q
// RUN: not grep -l blas %t/default/tiny.cu %t/default/tiny.h %t/default/tiny.mk
// RUN: not ls %t/default/pare_cu_llm_blas.cu
// RUN: not pare compile %S/Inputs/decoder_tiny.mlir --target generic-c --cuda-gemm cublas -o %t/bad 2>&1 | FileCheck %s --check-prefix=CTARGET
// RUN: not pare compile %S/cuda_matmul.onnxtext --target cuda --cuda-gemm cublas -o %t/bad 2>&1 | FileCheck %s --check-prefix=GRAPH
// RUN: not pare compile %S/Inputs/decoder_tiny.mlir --target cuda --cuda-gemm mkl -o %t/bad 2>&1 | FileCheck %s --check-prefix=BADFLAG
// RUN: not ls %t/bad
// The context's allocations count against --gpu-memory (0.03 GB: the
// default decoder fits, the 32 MiB library workspace and the scratch do not).
// RUN: pare compile %S/Inputs/decoder_tiny.mlir --target cuda --gpu-memory 0.03 -o %t/small --name tiny -q
// RUN: not pare compile %S/Inputs/decoder_tiny.mlir --target cuda --cuda-gemm cublas --gpu-memory 0.03 -o %t/small_cublas --name tiny 2>&1 | FileCheck %s --check-prefix=MEM

// CHECK: an LLM decoder for CUDA (sm_90, fp16, --cuda-gemm cublas: prefill products on cuBLAS / cuBLASLt)
// CHECK: #include "pare_cu_llm.cuh"
// CHECK-NEXT: #include "pare_cu_llm_blas.cuh"
// CHECK: static const char *const tiny_family_names[TINY_FAMILIES] = {"embed", "blas_qkv", "decode_attention", "blas_linear", "blas_gated", "logits", "sample"};
// CHECK: pare_llm_blas *blas; {{.*}}--cuda-gemm cublas
// CHECK-NEXT: } tiny_g;
// CHECK-LABEL: static cudaError_t tiny_enqueue(int32_t n, int last) {
// CHECK: PARE_TRY(pare_llm_embed_f16(
// CHECK: PARE_TRY(pare_llm_blas_qkv_f16(tiny_g.blas, model_embed_tokens_Gather, l0_input_norm, 1e-05f, l0_q_proj_t, l0_k_proj_t, l0_v_proj_t, positions, NULL, 0, model_layers_0_self_attn_Add_inv_freq, 4, 0, model_layers_0_self_attn_Add, k_cache + (size_t)0 * TINY_LAYER_CACHE, v_cache + (size_t)0 * TINY_LAYER_CACHE, n, 8, 2, 1, 4, TINY_MAX_CONTEXT, stream));
// CHECK: PARE_TRY(pare_llm_decode_attention_f16(
// CHECK: PARE_TRY(pare_llm_blas_linear_f16(tiny_g.blas, model_layers_0_self_attn_MatMul_1, NULL, 0.0f, l0_o_proj_t, model_embed_tokens_Gather, model_layers_0_Add, n, 8, 8, PARE_ACT_NONE, 0.0f, 0.0f, stream));
// CHECK: PARE_TRY(pare_llm_blas_gated_f16(tiny_g.blas, model_layers_0_Add, l0_post_norm, 1e-05f, l0_gate_proj_t, l0_up_proj_t, model_layers_0_mlp_Mul, n, 8, 12, PARE_ACT_SILU, 0.0f, 0.0f, stream));
// CHECK: if (last) {
// CHECK: PARE_TRY(pare_llm_blas_linear_f16(tiny_g.blas, model_layers_1_Add_1 + (size_t)(n - 1) * 8, final_norm, 1e-05f, lm_head_weight_t, NULL, lm_head_MatMul, 1, 8, 16,
// CHECK-LABEL: static int tiny_setup(void) {
// CHECK: cudaStreamCreateWithFlags(&tiny_g.stream
// CHECK: if ((err = pare_llm_blas_create(&tiny_g.blas, TINY_PREFILL_CHUNK, 12, 24, 0ull, 0, tiny_g.stream)) != cudaSuccess) {
// CHECK-NEXT: tiny_device_error("pare_llm_blas_create (cuBLAS, --cuda-gemm cublas)", err);
// CHECK-NEXT: tiny_free();
// CHECK-NEXT: return TINY_ERR_DEVICE;
// CHECK-LABEL: void tiny_free(void) {
// CHECK: pare_llm_blas_destroy(tiny_g.blas);
// CHECK-NEXT: tiny_g.blas = NULL;
// CHECK-NEXT: if (tiny_g.stream)
// CHECK-NEXT: cudaStreamDestroy(tiny_g.stream);

// HDR: an LLM decoder for CUDA (sm_90, fp16, --cuda-gemm cublas: prefill products on cuBLAS / cuBLASLt)

// MK: # --cuda-gemm cublas: the prefill products run on cuBLAS / cuBLASLt (linked with -lcublas -lcublasLt).
// MK: TINY_OBJECTS = tiny.o pare_cu_llm.o pare_cu_llm_attn.o pare_cu_llm_w4.o pare_cu_llm_blas.o
// MK-NEXT: TINY_LIBS = -lcublas -lcublasLt
// MK: $(NVCC) $(NVCCFLAGS) -o $@ generate.o pare_tokenizer.o $(TINY_OBJECTS) $(TINY_LIBS) -lm
// MK: tiny.o: tiny.cu tiny.h pare_cu_llm.cuh pare_cu_llm_blas.cuh pare_activation.h
// MK: pare_cu_llm_blas.o: pare_cu_llm_blas.cu pare_cu_llm_blas.cuh pare_cu_llm_blas_impl.cuh
// MK-NEXT: $(NVCC) -std=c++17 $(NVCCFLAGS) -c pare_cu_llm_blas.cu -o $@

// Two layers: qkv, o_proj + down (linear), gated; lm_head is a linear too.
// COUNT: qkv 2 0
// COUNT-NEXT: linear 5 0
// COUNT-NEXT: gated 2 0

// --cuda-fusion off: the plain matmuls go to the library, norms and rotary stay pare's.
// OFF: PARE_TRY(pare_llm_rms_norm_f32(
// OFF: PARE_TRY(pare_llm_blas_matmul_f32(tiny_g.blas, model_layers_0_input_layernorm_Mul_1, l0_q_proj_t, model_layers_0_self_attn_q_proj_MatMul, n, 8, 8, PARE_ACT_NONE, 0.0f, 0.0f, stream));
// OFF: PARE_TRY(pare_llm_rotary_f32(
// OFF: pare_llm_blas_create(&tiny_g.blas, TINY_PREFILL_CHUNK, 12, 16, 0ull, 0, tiny_g.stream)

// W4: PARE_TRY(pare_llm_blas_matmul_w4_f16(tiny_w4_g.blas, model_layers_0_input_layernorm_Mul_1, model_layers_0_self_attn_q_proj_MatMul_w4, model_layers_0_self_attn_q_proj_MatMul_w4_sz, model_layers_0_self_attn_q_proj_MatMul, n, 48, 48, 16, PARE_ACT_NONE, 0.0f, 0.0f, stream));
// W4: pare_llm_blas_create(&tiny_w4_g.blas, TINY_W4_PREFILL_CHUNK, 80, 80, 7680ull, 0, tiny_w4_g.stream)
// W4COUNT: 15

// CTARGET: pare: error: --cuda-gemm applies to decoders (--max-context) on --target cuda
// GRAPH: pare: error: --cuda-gemm cublas applies to decoders (--max-context); this model compiles as a plain graph
// BADFLAG: --cuda-gemm: mkl not in {pare,cublas}
// MEM: error: --max-context 32 needs {{[0-9]+}} bytes of GPU memory (weights {{[0-9]+}}, KV cache {{[0-9]+}}, activations and I/O {{[0-9]+}}, cuBLAS workspace 33559040), more than the 30000000 bytes of --gpu-memory; the weights and the cuBLAS workspace alone do not fit
