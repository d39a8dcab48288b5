// Batched decoding on the CUDA target (--max-batch 4) of the hand-written
// decoder step function (Inputs/decoder_tiny.mlir: 2 layers, 1 KV head of 4,
// max context 32, the final norm and lm_head pare.tail). The K and V caches
// hold 4 slots ([slot][layer][kv_head][32][4]: SLOT_CACHE elements a slot),
// the host a position per slot. enqueue(n, last, slot) runs one sequence in a
// slot's caches (prefill / decode: the cache pointers moved to the slot, the
// kernels' slots NULL) or, with slot -1, decode_batch's rows each in the slot
// of the device array at SLOTS_OFFSET (every cache-touching launch passes
// `slots, slot_stride`; the tail ops and the logits then run on all n rows).
// decode_batch checks everything before it writes and replays one CUDA graph
// per row count, captured at its first use. The attention workspace covers
// MAX_BATCH rows, the pinned logits MAX_BATCH rows. --max-batch 1 is the
// default's output byte for byte. A KV cache of too many slots is refused
// naming --max-batch, with the largest that fits.
// RUN: rm -rf %t %t1 %t0 && pare compile %S/Inputs/decoder_tiny.mlir --target cuda -o %t/f32 --name tiny -q --max-batch 4
// RUN: FileCheck %s --input-file %t/f32/tiny.cu
// RUN: FileCheck %s --check-prefix=HDR --input-file %t/f32/tiny.h
// RUN: pare compile %S/Inputs/decoder_tiny.mlir --target cuda --cuda-fusion off --precision fp16 -o %t/off --name tiny -q --max-batch 4
// RUN: FileCheck %s --check-prefix=OFF --input-file %t/off/tiny.cu
// RUN: pare compile %S/Inputs/decoder_tiny_w4.mlir --target cuda -o %t/w4 --name tiny_w4 -q --max-batch 4
// RUN: FileCheck %s --check-prefix=W4 --input-file %t/w4/tiny_w4.cu
// RUN: pare compile %S/Inputs/decoder_tiny_w8a8.mlir --target cuda --precision fp16 --cuda-gemm cublas --prefill-chunk 2 -o %t/w8 --name tiny_w8 -q --max-batch 8
// RUN: FileCheck %s --check-prefix=W8 --input-file %t/w8/tiny_w8.cu
// RUN: pare compile %S/Inputs/decoder_tiny.mlir --target cuda -o %t1 --name tiny -q --max-batch 1
// RUN: pare compile %S/Inputs/decoder_tiny.mlir --target cuda -o %t0 --name tiny -q
// RUN: for f in tiny.cu tiny.h tiny_weights.bin tiny.mk; do cmp %t0/$f %t1/$f; done
// RUN: not grep -q slot %t0/tiny.h
// RUN: not pare compile %S/Inputs/decoder_tiny.mlir --target cuda -o %t/big --max-batch 256 --gpu-memory 0.001 2>&1 | FileCheck %s --check-prefix=MEM
// RUN: pare compile %S/Inputs/decoder_tiny.mlir --target cuda -o %t/fits --max-batch 184 --gpu-memory 0.001 -q

// HDR: #define TINY_MAX_BATCH 4
// HDR: int tiny_reset_slot(int32_t slot);
// HDR: int32_t tiny_slot_position(int32_t slot);
// HDR: int tiny_prefill_slot(int32_t slot, const int32_t *ids, int32_t n, float *logits_of_last);
// HDR: int tiny_decode_batch(const int32_t *slots, const int32_t *ids, int32_t n, float *logits);

// The caches: 4 slots x 2 layers x 1 kv head x 32 positions x 4 floats.
// CHECK: * ids | positions | slots | logits. */
// CHECK: /* [4 slots][2 layers][1 kv heads][32 positions][4] */
// CHECK: #define TINY_CACHE_BYTES 4096ull
// CHECK: #define TINY_LAYER_CACHE 128ull
// CHECK: #define TINY_SLOT_CACHE 256ull
// CHECK: #define TINY_SLOTS_OFFSET
// CHECK: /* float logits of the last row (of every row in decode_batch) */
// Workspace rows: 4 x 2 heads x 64 splits x (4 + 2) floats.
// CHECK: #define TINY_ATTN_WS_BYTES 12288ull
// CHECK: static_assert(TINY_ATTN_WS_BYTES >= PARE_LLM_ATTN_WORKSPACE_FLOATS_ROWS(TINY_MAX_BATCH, 2, 4) * sizeof(float)

// CHECK: int32_t position[TINY_MAX_BATCH];
// CHECK: cudaGraphExec_t batch_graphs[TINY_MAX_BATCH];

// CHECK-LABEL: static cudaError_t tiny_enqueue(int32_t n, int last, int32_t slot) {
// CHECK: const int32_t *const slots = slot < 0 ? (const int32_t *)(d + TINY_SLOTS_OFFSET) : NULL;
// CHECK-NEXT: const long long slot_stride = slot < 0 ? (long long)TINY_SLOT_CACHE : 0;
// CHECK-NEXT: const int32_t tail_rows = slot < 0 ? n : 1;
// CHECK-NEXT: const size_t slot_base = slot < 0 ? 0 : (size_t)slot * TINY_SLOT_CACHE;
// CHECK-NEXT: float *const k_cache = (float *)(d + TINY_K_CACHE_OFFSET) + slot_base;
// CHECK-NEXT: float *const v_cache = (float *)(d + TINY_V_CACHE_OFFSET) + slot_base;
// CHECK: PARE_TRY(pare_llm_qkv_f32(model_embed_tokens_Gather, {{.*}}, positions, slots, slot_stride, model_layers_0_self_attn_Add_inv_freq, {{.*}}, k_cache + (size_t)0 * TINY_LAYER_CACHE, v_cache + (size_t)0 * TINY_LAYER_CACHE, n,
// CHECK-NEXT: /* ONNX node "/model/layers.0/self_attn/MatMul_1": attention -> nx8 */
// CHECK-NEXT: PARE_TRY(pare_llm_decode_attention_f32(model_layers_0_self_attn_Add, k_cache + (size_t)0 * TINY_LAYER_CACHE, v_cache + (size_t)0 * TINY_LAYER_CACHE, positions, slots, slot_stride, model_layers_0_self_attn_MatMul_1, n, 2, 1, 4, TINY_MAX_CONTEXT, 0.5f, attn_ws, stream));
// CHECK: PARE_TRY(pare_llm_qkv_f32({{.*}}, positions, slots, slot_stride, {{.*}}, k_cache + (size_t)1 * TINY_LAYER_CACHE,
// CHECK: PARE_TRY(pare_llm_decode_attention_f32({{.*}}, positions, slots, slot_stride, {{.*}}, attn_ws, stream));
// The tail on tail_rows rows: the last, or every row of decode_batch.
// CHECK: if (last) {
// CHECK-NEXT: /* fused linear (rms_norm prologue) -> 1x16 (last row only; every row in decode_batch): ONNX nodes "/model/norm/Mul_1", "/lm_head/MatMul" */
// CHECK-NEXT: PARE_TRY(pare_llm_linear_f32(model_layers_1_Add_1 + (size_t)(n - tail_rows) * 8, final_norm, 1e-05f, lm_head_weight_t, NULL, lm_head_MatMul, tail_rows, 8, 16,
// CHECK-NEXT: /* the logits of the last row (of every row in decode_batch), as float */
// CHECK-NEXT: PARE_TRY(pare_llm_logits_f32(lm_head_MatMul, logits, tail_rows * TINY_VOCAB, stream));

// CHECK: "cudaMalloc of %llu bytes (weights %llu, KV cache %llu for 4 slots of %d positions, "
// CHECK: cudaMallocHost((void **)&tiny_g.logits, sizeof(float) * TINY_VOCAB * TINY_MAX_BATCH)
// CHECK: cudaMallocHost((void **)&tiny_g.batch_staging,
// The graphs of every row count are destroyed with the rest.
// CHECK-LABEL: void tiny_free(void) {
// CHECK: for (i = 0; i < TINY_MAX_BATCH; ++i)
// CHECK-NEXT: if (tiny_g.batch_graphs[i]) {
// CHECK-NEXT: cudaGraphExecDestroy(tiny_g.batch_graphs[i]);
// CHECK: memset(tiny_g.position, 0, sizeof tiny_g.position);
// CHECK-LABEL: void tiny_reset(void) {
// CHECK-NEXT: memset(tiny_g.position, 0, sizeof tiny_g.position);
// CHECK: int32_t tiny_position(void) { return tiny_g.position[0]; }

// prefill on one slot; prefill is slot 0's.
// CHECK-LABEL: int tiny_prefill_slot(int32_t slot, const int32_t *ids, int32_t n, float *logits_of_last) {
// CHECK: if (!ids || n <= 0 || slot < 0 || slot >= TINY_MAX_BATCH)
// CHECK: if (n > TINY_MAX_CONTEXT - tiny_g.position[slot])
// CHECK: tiny_enqueue(rows, done + rows == n && logits_of_last != NULL, slot)
// CHECK: tiny_g.position[slot] += n;
// CHECK-LABEL: int tiny_prefill(const int32_t *ids, int32_t n, float *logits_of_last) {
// CHECK-NEXT: return tiny_prefill_slot(0, ids, n, logits_of_last);
// CHECK-LABEL: static int tiny_capture(cudaGraphExec_t *exec, const tiny_sampling *sampling, int32_t rows, int32_t slot) {
// CHECK: launched = tiny_enqueue(rows, 1, slot);
// decode / decode_sample / profile: slot 0's graph.
// CHECK-LABEL: int tiny_decode(int32_t id, float *logits) {
// CHECK: if (tiny_g.position[0] >= TINY_MAX_CONTEXT)
// CHECK: (rc = tiny_capture(&tiny_g.decode_graph, NULL, 1, 0))
// CHECK: tiny_g.position[0] += 1;
// CHECK: (rc = tiny_capture(&tiny_g.sample_graph, s, 1, 0))
// CHECK: rc = tiny_capture(&exec, &greedy, 1, 0);

// CHECK: decode_batch: a slot outside 0 .. 3, a slot twice or more than 4 rows)";
// CHECK-LABEL: int tiny_reset_slot(int32_t slot) {
// CHECK-NEXT: if (slot < 0 || slot >= TINY_MAX_BATCH)
// CHECK-NEXT: return TINY_ERR_ARG;
// CHECK-NEXT: tiny_g.position[slot] = 0;
// CHECK-LABEL: int32_t tiny_slot_position(int32_t slot) {
// CHECK-NEXT: return slot < 0 || slot >= TINY_MAX_BATCH ? -1 : tiny_g.position[slot];
// CHECK-LABEL: static int tiny_finish_rows(float *logits, int32_t n) {
// CHECK: sizeof(float) * TINY_VOCAB * (size_t)n, cudaMemcpyDeviceToHost,
// Everything checked before anything is written; a graph per row count.
// CHECK-LABEL: int tiny_decode_batch(const int32_t *slots, const int32_t *ids, int32_t n, float *logits) {
// CHECK: if (!slots || !ids || !logits || n <= 0 || n > TINY_MAX_BATCH)
// CHECK: if (slots[i] < 0 || slots[i] >= TINY_MAX_BATCH || seen[slots[i]] || ids[i] < 0 ||
// CHECK-NEXT: ids[i] >= TINY_VOCAB)
// CHECK: if (tiny_g.position[slots[i]] >= TINY_MAX_CONTEXT)
// CHECK-NEXT: return TINY_ERR_CONTEXT;
// CHECK: if (!tiny_g.batch_graphs[n - 1] &&
// CHECK-NEXT: (rc = tiny_capture(&tiny_g.batch_graphs[n - 1], NULL, n, -1)) != TINY_OK)
// CHECK: staged[TINY_MAX_BATCH + i] = tiny_g.position[slots[i]];
// CHECK-NEXT: staged[2 * TINY_MAX_BATCH + i] = slots[i];
// CHECK: (err = cudaMemcpyAsync(tiny_g.device + TINY_SLOTS_OFFSET, staged + 2 * TINY_MAX_BATCH,
// CHECK: if ((err = cudaGraphLaunch(tiny_g.batch_graphs[n - 1], tiny_g.stream)) != cudaSuccess)
// CHECK: if ((rc = tiny_finish_rows(logits, n)) != TINY_OK)
// CHECK: tiny_g.position[slots[i]] += 1;

// Unfused: kv_write and pare_llm_attention take the slots too; the tail norm
// and lm_head run on tail_rows.
// OFF: PARE_TRY(pare_llm_kv_write_f16(model_layers_0_self_attn_Add_1, model_layers_0_self_attn_v_proj_MatMul, positions, slots, slot_stride, k_cache + (size_t)0 * TINY_LAYER_CACHE, v_cache + (size_t)0 * TINY_LAYER_CACHE, n, 1, 4, TINY_MAX_CONTEXT, stream));
// OFF-NEXT: PARE_TRY(pare_llm_attention_f16(model_layers_0_self_attn_Add, k_cache + (size_t)0 * TINY_LAYER_CACHE, v_cache + (size_t)0 * TINY_LAYER_CACHE, positions, slots, slot_stride, model_layers_0_self_attn_MatMul_1, n, 2, 1, 4, TINY_MAX_CONTEXT, 0.5f, stream));
// OFF: PARE_TRY(pare_llm_rms_norm_f16(model_layers_1_Add_1 + (size_t)(n - tail_rows) * 8, final_norm, model_norm_Mul_1, tail_rows, 8, 1e-05f, stream));
// OFF-NEXT: /* ONNX node "/lm_head/MatMul": matmul -> 1x16 (last row only; every row in decode_batch) */
// OFF-NEXT: PARE_TRY(pare_llm_matmul_f16(model_norm_Mul_1, lm_head_weight_t, lm_head_MatMul, tail_rows, 8, 16,

// W4: PARE_TRY(pare_llm_qkv_w4_f32(model_embed_tokens_Gather, {{.*}}, 16, positions, slots, slot_stride, model_layers_0_self_attn_Add_inv_freq,
// W4: PARE_TRY(pare_llm_decode_attention_f32({{.*}}, positions, slots, slot_stride,

// W8A8 (int8 q / k / v, then kv_write), cuBLAS prefill, --prefill-chunk 2:
// a decode_batch step of 8 rows is the largest, so the int8 workspace and the
// library context are sized for MAX_BATCH rows.
// W8: static_assert(TINY_W8_W8_WS_BYTES >= PARE_LLM_W8_WORKSPACE_BYTES(TINY_W8_MAX_BATCH, 12),
// W8: PARE_TRY(pare_llm_kv_write_f16({{.*}}, positions, slots, slot_stride, k_cache + (size_t)0 * TINY_W8_LAYER_CACHE,
// W8: PARE_TRY(pare_llm_decode_attention_f16({{.*}}, positions, slots, slot_stride,
// W8: pare_llm_blas_create(&tiny_w8_g.blas, TINY_W8_MAX_BATCH, 12,

// MEM: error: --max-context 32 with --max-batch 256 needs 1368576 bytes of GPU memory (weights 4704, KV cache 524288 for 256 slots, activations and I/O 839584), more than the 1000000 bytes of --gpu-memory; the largest --max-context that fits is 9 (at --max-batch 256); at --max-context 32 the largest --max-batch that fits is 184
