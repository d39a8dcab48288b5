/* Batched decoding of a generated decoder (`pare compile --max-batch N`, N >= 3, --name dec):
 *
 *   batch_harness WEIGHTS
 *
 * Decodes several sequences (prompts of different lengths, different numbers of steps) one at a
 * time on slot 0 with dec_prefill / dec_decode, then all together in other slots, the prompts by
 * dec_prefill_slot or by one dec_prefill_batch, then dec_decode_batch (rows in a different order each step, the batch shrinking
 * as sequences end), and requires every logit to be equal bit for bit: a batched row runs the same
 * per-row code as a single-sequence decode. Then the API's errors, each with the state unchanged.
 * Prints one line per failure and exits 1 on any. */
#include "dec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEQS 5
#define MAX_STEPS 9

static int failures;

static void fail(const char *what, int a, int b)
{
  printf("FAIL: %s (%d, %d)\n", what, a, b);
  ++failures;
}

static void expect(int got, int want, const char *what)
{
  if (got != want)
    fail(what, got, want);
}

static uint32_t lcg_state = 12345u;

static int32_t next_id(void)
{
  lcg_state = lcg_state * 1664525u + 1013904223u;
  return (int32_t)((lcg_state >> 8) % (uint32_t)DEC_VOCAB);
}

int main(int argc, char **argv)
{
  /* Slot 0 stays free for the single-sequence calls. */
  enum { B = DEC_MAX_BATCH - 1 < SEQS ? DEC_MAX_BATCH - 1 : SEQS };
  static int32_t prompt[B][DEC_MAX_CONTEXT], steps_ids[B][MAX_STEPS];
  static float ref_last[B][DEC_VOCAB], ref[B][MAX_STEPS][DEC_VOCAB];
  static float got[DEC_MAX_BATCH * DEC_VOCAB], one[DEC_VOCAB], full_ref[DEC_MAX_BATCH * DEC_VOCAB];
  int32_t len[B], steps[B], slot_of[B], slots[DEC_MAX_BATCH], ids[DEC_MAX_BATCH], who[DEC_MAX_BATCH];
  int s, t, i, n, rc, mode;

  if (argc != 2) {
    fprintf(stderr, "usage: %s WEIGHTS\n", argv[0]);
    return 2;
  }
  if (DEC_MAX_BATCH < 3 || DEC_MAX_CONTEXT < 4) { /* B >= 2 sequences beside slot 0 */
    fprintf(stderr, "the harness needs --max-batch >= 3 and a context of 4 or more\n");
    return 2;
  }
  slots[0] = 0;
  ids[0] = 0;
  expect(dec_decode_batch(slots, ids, 1, got), DEC_ERR_STATE, "decode_batch before init");
  if ((rc = dec_init(argv[1])) != DEC_OK) {
    printf("FAIL: dec_init: %s\n", dec_strerror(rc));
    return 1;
  }

  /* Sequences: prompt lengths 1 .. context / 2 (one crosses a prefill chunk when the context
     allows), steps 1 .. MAX_STEPS within the context, slots from the top down. */
  for (s = 0; s < B; ++s) {
    int32_t room;
    len[s] = 1 + (s * 7 + s * s * 3) % (DEC_MAX_CONTEXT / 2);
    if (s == 1 && DEC_PREFILL_CHUNK + 2 <= DEC_MAX_CONTEXT / 2)
      len[s] = DEC_PREFILL_CHUNK + 2;
    room = DEC_MAX_CONTEXT - len[s];
    steps[s] = 1 + (s * 5 + 3) % MAX_STEPS;
    if (steps[s] > room)
      steps[s] = room;
    slot_of[s] = DEC_MAX_BATCH - 1 - s;
    for (i = 0; i < len[s]; ++i)
      prompt[s][i] = next_id();
    for (t = 0; t < steps[s]; ++t)
      steps_ids[s][t] = next_id();
  }

  /* The reference: one sequence at a time on slot 0. */
  for (s = 0; s < B; ++s) {
    dec_reset();
    expect(dec_prefill(prompt[s], len[s], ref_last[s]), DEC_OK, "reference prefill");
    for (t = 0; t < steps[s]; ++t)
      expect(dec_decode(steps_ids[s][t], ref[s][t]), DEC_OK, "reference decode");
  }

  /* Together: the prompts one slot at a time (last sequence first) or all in one
     prefill_batch call (sequences cut across prefill chunks), then batched steps. */
  for (mode = 0; mode < 2; ++mode) {
    dec_reset();
    if (mode == 0) {
      for (s = B - 1; s >= 0; --s) {
        expect(dec_prefill_slot(slot_of[s], prompt[s], len[s], one), DEC_OK, "prefill_slot");
        if (memcmp(one, ref_last[s], sizeof one) != 0)
          fail("prefill_slot logits differ from prefill on slot 0 (sequence, slot)", s, slot_of[s]);
      }
    } else {
      static int32_t all[B * DEC_MAX_CONTEXT];
      int32_t total = 0;
      for (s = 0; s < B; ++s) {
        memcpy(all + total, prompt[s], sizeof(int32_t) * (size_t)len[s]);
        total += len[s];
      }
      expect(dec_prefill_batch(slot_of, len, B, all, got), DEC_OK, "prefill_batch");
      for (s = 0; s < B; ++s)
        if (memcmp(got + (size_t)s * DEC_VOCAB, ref_last[s], sizeof ref_last[s]) != 0)
          fail("prefill_batch logits differ from prefill on slot 0 (sequence, slot)", s, slot_of[s]);
    }
    for (s = 0; s < B; ++s)
      expect(dec_slot_position(slot_of[s]), len[s], "slot_position after the prompts");
    expect(dec_position(), 0, "slot 0 untouched by the other slots");
    for (t = 0; t < MAX_STEPS; ++t) {
      n = 0;
      for (i = 0; i < B; ++i) {
        s = (i + t) % B; /* a different row order each step */
        if (t < steps[s]) {
          who[n] = s;
          slots[n] = slot_of[s];
          ids[n] = steps_ids[s][t];
          ++n;
        }
      }
      if (n == 0)
        break;
      expect(dec_decode_batch(slots, ids, n, got), DEC_OK, "decode_batch");
      for (i = 0; i < n; ++i) {
        s = who[i];
        if (memcmp(got + (size_t)i * DEC_VOCAB, ref[s][t], sizeof ref[s][t]) != 0)
          fail("decode_batch row differs from a single-sequence decode (sequence, step)", s, t);
        expect(dec_slot_position(slot_of[s]), len[s] + t + 1, "slot_position after decode_batch");
      }
    }
  }

  /* Errors: each refused with every slot as it was. */
  {
    int32_t before[DEC_MAX_BATCH];
    for (i = 0; i < DEC_MAX_BATCH; ++i)
      before[i] = dec_slot_position(i);
    slots[0] = slot_of[0];
    slots[1] = slot_of[1];
    ids[0] = ids[1] = 1;
    expect(dec_decode_batch(slots, ids, 0, got), DEC_ERR_ARG, "n = 0");
    expect(dec_decode_batch(slots, ids, DEC_MAX_BATCH + 1, got), DEC_ERR_ARG, "n > MAX_BATCH");
    expect(dec_decode_batch(NULL, ids, 1, got), DEC_ERR_ARG, "slots NULL");
    expect(dec_decode_batch(slots, NULL, 1, got), DEC_ERR_ARG, "ids NULL");
    expect(dec_decode_batch(slots, ids, 1, NULL), DEC_ERR_ARG, "logits NULL");
    slots[1] = slots[0];
    expect(dec_decode_batch(slots, ids, 2, got), DEC_ERR_ARG, "a slot given twice");
    slots[1] = DEC_MAX_BATCH;
    expect(dec_decode_batch(slots, ids, 2, got), DEC_ERR_ARG, "slot MAX_BATCH");
    slots[1] = -1;
    expect(dec_decode_batch(slots, ids, 2, got), DEC_ERR_ARG, "slot -1");
    slots[1] = slot_of[1];
    ids[1] = DEC_VOCAB;
    expect(dec_decode_batch(slots, ids, 2, got), DEC_ERR_ARG, "an id outside the vocabulary");
    ids[1] = -1;
    expect(dec_decode_batch(slots, ids, 2, got), DEC_ERR_ARG, "id -1");
    expect(dec_reset_slot(-1), DEC_ERR_ARG, "reset_slot -1");
    expect(dec_reset_slot(DEC_MAX_BATCH), DEC_ERR_ARG, "reset_slot MAX_BATCH");
    expect(dec_slot_position(DEC_MAX_BATCH), -1, "slot_position MAX_BATCH");
    expect(dec_slot_position(-1), -1, "slot_position -1");
    expect(dec_prefill_slot(DEC_MAX_BATCH, ids, 1, NULL), DEC_ERR_ARG, "prefill_slot MAX_BATCH");
    {
      int32_t counts[2] = {1, 1};
      slots[0] = slot_of[0];
      slots[1] = slot_of[1];
      ids[0] = ids[1] = 1;
      expect(dec_prefill_batch(slots, NULL, 2, ids, got), DEC_ERR_ARG, "prefill_batch counts NULL");
      counts[1] = 0;
      expect(dec_prefill_batch(slots, counts, 2, ids, got), DEC_ERR_ARG, "prefill_batch count 0");
      counts[1] = DEC_MAX_CONTEXT;
      expect(dec_prefill_batch(slots, counts, 2, ids, got), DEC_ERR_CONTEXT,
             "prefill_batch past a slot's context");
      counts[1] = 1;
      slots[1] = slots[0];
      expect(dec_prefill_batch(slots, counts, 2, ids, got), DEC_ERR_ARG, "prefill_batch slot twice");
      slots[1] = slot_of[1];
      ids[1] = DEC_VOCAB;
      expect(dec_prefill_batch(slots, counts, 2, ids, NULL), DEC_ERR_ARG, "prefill_batch bad id");
    }
    for (i = 0; i < DEC_MAX_BATCH; ++i)
      expect(dec_slot_position(i), before[i], "a refused call left a slot as it was");

    /* A full slot: decode_batch with it is refused before any row is written. */
    {
      static int32_t fill[DEC_MAX_CONTEXT];
      int32_t full = slot_of[B - 1], other = slot_of[0];
      memset(fill, 0, sizeof fill);
      expect(dec_reset_slot(full), DEC_OK, "reset_slot");
      expect(dec_prefill_slot(full, fill, DEC_MAX_CONTEXT, NULL), DEC_OK, "fill a slot");
      expect(dec_prefill_slot(full, fill, 1, NULL), DEC_ERR_CONTEXT, "prefill_slot past the context");
      slots[0] = other;
      slots[1] = full;
      ids[0] = ids[1] = 1;
      expect(dec_decode_batch(slots, ids, 2, got), DEC_ERR_CONTEXT, "decode_batch with a full slot");
      expect(dec_slot_position(other), before[other], "the other row was not written");
      expect(dec_slot_position(full), DEC_MAX_CONTEXT, "the full slot stays full");
    }

    /* After the refusals, sequence 0 continues where it was: its next step equals a single-
       sequence decode of the same tokens. */
    if (steps[0] < DEC_MAX_CONTEXT - len[0]) {
      int32_t extra = next_id();
      slots[0] = slot_of[0];
      ids[0] = extra;
      expect(dec_decode_batch(slots, ids, 1, got), DEC_OK, "decode_batch after refusals");
      dec_reset();
      expect(dec_prefill(prompt[0], len[0], NULL), DEC_OK, "replay prefill");
      for (t = 0; t < steps[0]; ++t)
        expect(dec_decode(steps_ids[0][t], one), DEC_OK, "replay decode");
      expect(dec_decode(extra, one), DEC_OK, "replay decode");
      if (memcmp(one, got, sizeof one) != 0)
        fail("a refused call changed a slot's cache (sequence, slot)", 0, slot_of[0]);
    }
  }

  /* A step of every slot at once (the arena holds DEC_MAX_BATCH rows). */
  {
    int32_t first[DEC_MAX_BATCH];
    for (i = 0; i < DEC_MAX_BATCH; ++i) {
      first[i] = next_id();
      ids[i] = next_id();
      slots[i] = DEC_MAX_BATCH - 1 - i;
      dec_reset();
      expect(dec_prefill(&first[i], 1, NULL), DEC_OK, "reference prefill");
      expect(dec_decode(ids[i], full_ref + (size_t)i * DEC_VOCAB), DEC_OK, "reference decode");
    }
    dec_reset();
    for (i = 0; i < DEC_MAX_BATCH; ++i)
      expect(dec_prefill_slot(slots[i], &first[i], 1, NULL), DEC_OK, "prefill_slot");
    expect(dec_decode_batch(slots, ids, DEC_MAX_BATCH, got), DEC_OK, "decode_batch of every slot");
    for (i = 0; i < DEC_MAX_BATCH; ++i)
      if (memcmp(got + (size_t)i * DEC_VOCAB, full_ref + (size_t)i * DEC_VOCAB,
                 sizeof(float) * DEC_VOCAB) != 0)
        fail("a row of a full batch differs from a single-sequence decode (row, slot)", i, slots[i]);
  }
  dec_free();
  printf("%s: %d sequences in %d slots, %d failure%s\n", failures ? "FAIL" : "ok", B,
         DEC_MAX_BATCH, failures, failures == 1 ? "" : "s");
  return failures ? 1 : 0;
}
