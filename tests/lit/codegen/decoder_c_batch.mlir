// Batched decoding on the C target (--max-batch 3) of the hand-written decoder
// step function (Inputs/decoder_tiny.mlir: 2 layers, 1 KV head of 4, max
// context 32). The KV cache holds 3 slots ([slot][layer][kv_head][32][4]), one
// position per slot; the step takes either one slot (prefill / decode: rows
// pos0 .. pos0 + n - 1, the attention as in the single-sequence build at that
// slot's cache) or a slot per row (decode_batch: each row stores and attends in
// its own slot, the same one-row calls a decode makes; prefill_batch cuts several
// slots' prompts into steps of PREFILL_CHUNK rows and moves each sequence's last
// row to the end before the tail ops). The arena is planned for
// max(PREFILL_CHUNK, MAX_BATCH) rows; both check every slot, count, id and
// context before they write. --max-batch 1 is the single-sequence output byte for
// byte; plain graphs and values outside 1 .. 256 are refused naming the flag.
// RUN: rm -rf %t %t1 %t0 && pare compile %S/Inputs/decoder_tiny.mlir -o %t --name tiny -q --max-batch 3
// RUN: FileCheck %s --input-file %t/tiny.c
// RUN: FileCheck %s --check-prefix=HDR --input-file %t/tiny.h
// RUN: gcc -std=c99 -Wall -Wextra -Werror -pedantic -c %t/tiny.c -o %t/tiny.o
// RUN: pare compile %S/Inputs/decoder_tiny.mlir -o %t1 --name tiny -q --max-batch 1
// RUN: pare compile %S/Inputs/decoder_tiny.mlir -o %t0 --name tiny -q
// RUN: for f in tiny.c tiny.h tiny_weights.bin; do cmp %t0/$f %t1/$f; done
// RUN: not pare compile %S/Inputs/decoder_tiny.mlir -o %t/bad --max-batch 0 2>&1 | FileCheck %s --check-prefix=RANGE
// RUN: not pare compile %S/Inputs/decoder_tiny.mlir -o %t/bad --max-batch 257 2>&1 | FileCheck %s --check-prefix=RANGE

// CHECK: KV cache [slot][layer][kv_head][32][head_dim]
// CHECK: /* Floats of one slot's K (and V) cache. */
// CHECK-NEXT: #define TINY_CACHE_FLOATS 256
// CHECK: static float tiny_k_cache[TINY_MAX_BATCH * TINY_CACHE_FLOATS];
// CHECK: static int32_t tiny_row_slots[TINY_PREFILL_CHUNK];
// CHECK-NEXT: static int32_t tiny_last_rows[TINY_MAX_BATCH];
// CHECK: static int32_t tiny_pos[TINY_MAX_BATCH]; /* tokens in each slot */
// CHECK: static void tiny_step(const int32_t *ids, int32_t n, float *logits, int32_t tn, int32_t slot,
// CHECK-NEXT: const int32_t *slots, const int32_t *last)
// CHECK: const int32_t pos0 = slots ? 0 : tiny_pos[slot];
// CHECK: tiny_positions[r] = tiny_pos[slots[r]]++;
// CHECK: if (!slots) {
// CHECK-NEXT: pare_kv_store_f32({{.*}}, tiny_k_cache + (size_t)slot * TINY_CACHE_FLOATS + TINY_CACHE_LAYER_0, {{.*}}, n, 1, 4, TINY_MAX_CONTEXT, pos0);
// CHECK-NEXT: pare_attention_f32({{.*}}, n, pos0 + n, {{.*}}, pos0, {{.*}});
// CHECK-NEXT: } else {
// CHECK-NEXT: for (r = 0; r < n; ++r) {
// CHECK-NEXT: const size_t at = (size_t)slots[r] * TINY_CACHE_FLOATS + TINY_CACHE_LAYER_0;
// CHECK-NEXT: const int32_t pr = (int32_t)tiny_positions[r];
// CHECK-NEXT: pare_kv_store_f32({{.*}} + (size_t)r * 4, {{.*}} + (size_t)r * 4, tiny_k_cache + at, tiny_v_cache + at, 1, 1, 4, TINY_MAX_CONTEXT, pr);
// CHECK-NEXT: pare_attention_f32({{.*}} + (size_t)r * 8, tiny_k_cache + at, tiny_v_cache + at, {{.*}} + (size_t)r * 8, 1, pr + 1, {{.*}}, pr, {{.*}});
// CHECK: if (logits && last)
// CHECK-NEXT: for (r = tn - 1; r >= 0; --r)
// CHECK-NEXT: if (last[r] != n - tn + r) {
// CHECK-NEXT: memcpy([[FINAL:[A-Za-z0-9_]+]] + (size_t)(n - tn + r) * 8, [[FINAL]] + (size_t)last[r] * 8, 8 * sizeof(float));
// CHECK: if (!slots)
// CHECK-NEXT: tiny_pos[slot] = pos0 + n;
// CHECK: static int tiny_batch(const int32_t *slots, const int32_t *counts, int32_t nseq,
// CHECK: if (slots[i] < 0 || slots[i] >= TINY_MAX_BATCH || seen[slots[i]] || c <= 0)
// CHECK: if ((counts ? counts[i] : 1) > TINY_MAX_CONTEXT - tiny_pos[slots[i]])
// CHECK-NEXT: return TINY_ERR_CONTEXT;
// CHECK: if (ids[t] < 0 || ids[t] >= TINY_IDS)
// CHECK: tiny_step(ids + done, rows, logits && tn ? logits + (size_t)first * TINY_VOCAB : NULL, tn, 0,
// CHECK-NEXT: tiny_row_slots, tiny_last_rows);
// CHECK: int tiny_prefill_batch(const int32_t *slots, const int32_t *counts, int32_t nseq,
// CHECK: return tiny_batch(slots, counts, nseq, ids, logits_of_last);
// CHECK: int tiny_decode_batch(const int32_t *slots, const int32_t *ids, int32_t n, float *logits)
// CHECK: return tiny_batch(slots, NULL, n, ids, logits);

// HDR: #define TINY_PREFILL_CHUNK 16
// HDR: #define TINY_MAX_BATCH 3
// HDR: int tiny_reset_slot(int32_t slot);
// HDR: int32_t tiny_slot_position(int32_t slot);
// HDR: int tiny_prefill_slot(int32_t slot, const int32_t *ids, int32_t n, float *logits_of_last);
// HDR: int tiny_decode_batch(const int32_t *slots, const int32_t *ids, int32_t n, float *logits);
// HDR: int tiny_prefill_batch(const int32_t *slots, const int32_t *counts, int32_t nseq,

// RANGE: --max-batch
