/*
 * Batched decoding of a generated decoder (`pare compile --max-batch N`, N >= 2; the C or the
 * CUDA target, through the pare_model.h of --emit-runner):
 *
 *   batch_check -w WEIGHTS [--seqs B] [--steps T] [--tol TOL] [--seed S]
 *   batch_check -w WEIGHTS --bench B1,B2,... [--context C] [--tokens T] [--runs R]
 *
 * Check (the default): B sequences (default MAX_BATCH; prompts of different lengths, each
 * decoding a different number of steps) are decoded one at a time in slot 0 after a reset:
 * prefill, then greedy decode steps (the reference logits and tokens). Then all of them together:
 * every slot emptied by one reset, each sequence prefilled into a slot of a shuffled assignment
 * (prefill_slot; then, where the model has PARE_MODEL_PREFILL_BATCH, all again by one
 * prefill_batch call), then decode_batch steps fed the reference tokens, the rows in a different order
 * each step and the batch shrinking as sequences end; a last full step of MAX_BATCH rows repeats
 * the rows of one step (fresh slots) against their single-sequence logits. Every row's logits must
 * be within TOL * max|ref| of the single-sequence ones (rows of more than PARE_LLM_GEMV_ROWS = 4
 * take the GEMM path on the CUDA target: not bit-identical; TOL 1e-4 fp32, 2e-2 fp16), and each
 * row's argmax must be the reference token unless the reference's top two are within that
 * tolerance. The slots' positions must advance as the calls say, and the API's errors (a slot out
 * of range or given twice, an id outside the vocabulary, n <= 0 or > MAX_BATCH, a full slot) must
 * be refused with every slot unchanged. Prints the largest differences (rows <= 4 and > 4) and
 * exits 1 on any failure.
 *
 * --bench: for each batch size B (<= MAX_BATCH): every slot reset, B slots prefilled with a
 * C-token prompt (default 128), 2 warm-up steps, then T (default 64) decode_batch steps of B rows
 * timed (wall clock, best of R runs, default 3; fixed token ids: the speed does not depend on
 * them); one line "bench: batch=B steps=T ms_per_step=X tokens_per_s=Y" each, and one for slot 0's
 * plain decode (the single-sequence graph) as "bench: decode steps=T ms_per_step=X tokens_per_s=Y".
 *
 * Built like decoder_check.c: cc -std=c99 -I OUTDIR batch_check.c + the decoder's objects.
 */
#define _POSIX_C_SOURCE 200809L
#include "pare_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef PARE_MODEL_DECODE_BATCH
#error "batch_check needs a decoder compiled with --max-batch 2 or more (PARE_MODEL_DECODE_BATCH)"
#endif

#define BC_V PARE_MODEL_VOCAB
#define BC_B PARE_MODEL_MAX_BATCH
#define BC_C PARE_MODEL_MAX_CONTEXT

static int g_failures = 0;

static void fail(const char *what)
{
  printf("FAIL %s\n", what);
  ++g_failures;
}

static void expect(int got, int want, const char *what)
{
  char line[256];
  if (got == want)
    return;
  snprintf(line, sizeof line, "%s: returned %d (%s), expected %d", what, got,
           PARE_MODEL_STRERROR(got), want);
  fail(line);
}

static unsigned long long g_rng = 0x9e3779b97f4a7c15ull;

static unsigned next_u32(void)
{
  g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
  return (unsigned)(g_rng >> 33);
}

static int32_t random_id(void) { return (int32_t)(next_u32() % (unsigned)BC_V); }

static int argmax(const float *v)
{
  int i, best = 0;
  for (i = 1; i < BC_V; ++i)
    if (v[i] > v[best])
      best = i;
  return best;
}

static double max_abs(const float *v)
{
  double m = 0;
  int i;
  for (i = 0; i < BC_V; ++i)
    if (fabs(v[i]) > m)
      m = fabs(v[i]);
  return m;
}

/* |got - ref| / max|ref| over one row. */
static double rel_diff(const float *got, const float *ref)
{
  double d = 0, scale = max_abs(ref);
  int i;
  for (i = 0; i < BC_V; ++i) {
    if (got[i] != got[i])
      return INFINITY;
    if (fabs((double)got[i] - ref[i]) > d)
      d = fabs((double)got[i] - ref[i]);
  }
  return d / (scale > 0 ? scale : 1);
}

static double now_s(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void check_rc(int rc, const char *what)
{
  if (rc != PARE_MODEL_OK) {
    fprintf(stderr, "batch_check: %s: %s\n", what, PARE_MODEL_STRERROR(rc));
    exit(1);
  }
}

/* The positions of every slot, for "unchanged" checks. */
static void positions(int32_t *out)
{
  int s;
  for (s = 0; s < BC_B; ++s)
    out[s] = PARE_MODEL_SLOT_POSITION(s);
}

static void expect_unchanged(const int32_t *before, const char *what)
{
  int32_t now[BC_B];
  char line[256];
  int s;
  positions(now);
  for (s = 0; s < BC_B; ++s)
    if (now[s] != before[s]) {
      snprintf(line, sizeof line, "%s: slot %d moved from %d to %d", what, s, (int)before[s],
               (int)now[s]);
      fail(line);
      return;
    }
}

/* One row against its reference: logits within tol, the argmax the reference token unless the
 * reference's top two are closer than the tolerance. */
struct Stat {
  double small, large; /* largest rel_diff of rows in steps of <= 4 rows and of more */
  int rows, argmax_ok, near_ties;
};

static void compare_row(struct Stat *st, const float *got, const float *ref, int32_t token, int n,
                        double tol, const char *what)
{
  double d = rel_diff(got, ref), scale = max_abs(ref);
  int a = argmax(got);
  char line[256];
  if (n > 4)
    st->large = d > st->large ? d : st->large;
  else
    st->small = d > st->small ? d : st->small;
  ++st->rows;
  if (!(d <= tol)) {
    snprintf(line, sizeof line, "%s: logits differ by %.3g of max|ref| (tol %.3g, %d rows)", what,
             d, tol, n);
    fail(line);
  }
  if (a == token) {
    ++st->argmax_ok;
  } else if (fabs((double)ref[token] - ref[a]) <= 2 * tol * scale) {
    ++st->near_ties;
  } else {
    snprintf(line, sizeof line, "%s: argmax %d, the single sequence's %d (%d rows)", what, a,
             (int)token, n);
    fail(line);
  }
}

static int run_check(int seqs, int max_steps, double tol)
{
  int32_t *len = calloc((size_t)seqs, sizeof *len), *steps = calloc((size_t)seqs, sizeof *steps);
  int32_t *prompt = calloc((size_t)seqs * BC_C, sizeof *prompt);
  int32_t *tokens = calloc((size_t)seqs * (size_t)(max_steps + 1), sizeof *tokens);
  float *ref = malloc(sizeof(float) * BC_V * (size_t)seqs * (size_t)(max_steps + 1));
  float *got = malloc(sizeof(float) * BC_V * BC_B);
  int32_t slot_of[BC_B], slots[BC_B], ids[BC_B], who[BC_B], before[BC_B];
  struct Stat st = {0, 0, 0, 0, 0};
  int s, t, i, n, rc, rot = 0, mode, longest = 0;
#ifdef PARE_MODEL_PREFILL_BATCH
  const int modes = 2;
#else
  const int modes = 1;
#endif
  char what[128];
  if (!len || !steps || !prompt || !tokens || !ref || !got) {
    fprintf(stderr, "batch_check: out of memory\n");
    return 1;
  }
#define REF(s, t) (ref + ((size_t)(s) * (size_t)(max_steps + 1) + (size_t)(t)) * BC_V)
#define TOK(s, t) tokens[(size_t)(s) * (size_t)(max_steps + 1) + (size_t)(t)]
  /* Prompts of 1 .. a quarter of the context (different lengths), steps max_steps - s % 3. */
  for (s = 0; s < seqs; ++s) {
    int most = BC_C / 4 > 1 ? BC_C / 4 : 1;
    len[s] = 1 + (int32_t)((unsigned)(s * 7 + 3) % (unsigned)most);
    /* One prompt longer than a prefill chunk where the context allows (prefill_batch then cuts
     * the sequences across steps). */
    if (s == 1 && PARE_MODEL_PREFILL_CHUNK + 6 <= BC_C)
      len[s] = PARE_MODEL_PREFILL_CHUNK + 2;
    steps[s] = max_steps - s % 3 > 1 ? max_steps - s % 3 : 1;
    if (len[s] + steps[s] + 1 > BC_C)
      steps[s] = BC_C - len[s] - 1;
    for (i = 0; i < len[s]; ++i)
      prompt[(size_t)s * BC_C + (size_t)i] = random_id();
  }
  /* The references: one sequence at a time in slot 0, greedy. REF(s, 0) is the prompt's last
   * logits, REF(s, t) those after the t-th decoded token TOK(s, t - 1). */
  for (s = 0; s < seqs; ++s) {
    PARE_MODEL_RESET();
    check_rc(PARE_MODEL_PREFILL(prompt + (size_t)s * BC_C, len[s], REF(s, 0)), "reference prefill");
    for (t = 0; t < steps[s]; ++t) {
      TOK(s, t) = argmax(REF(s, t));
      check_rc(PARE_MODEL_DECODE(TOK(s, t), REF(s, t + 1)), "reference decode");
    }
    TOK(s, steps[s]) = argmax(REF(s, steps[s]));
    if (PARE_MODEL_POSITION() != len[s] + steps[s])
      fail("position after the reference decode");
  }
  /* Together: a shuffled slot for each sequence (slot 0 among them). */
  for (i = 0; i < BC_B; ++i)
    slot_of[i] = i;
  for (i = BC_B - 1; i > 0; --i) {
    int j = (int)(next_u32() % (unsigned)(i + 1)), x = slot_of[i];
    slot_of[i] = slot_of[j];
    slot_of[j] = x;
  }
  /* Together: the prompts by prefill_slot (mode 0) or by one prefill_batch call (mode 1, where
   * the model has it), then decode_batch steps. */
  for (mode = 0; mode < modes; ++mode) {
    PARE_MODEL_RESET();
    if (mode == 0) {
      for (s = 0; s < seqs; ++s) {
        check_rc(PARE_MODEL_PREFILL_SLOT(slot_of[s], prompt + (size_t)s * BC_C, len[s], got),
                 "prefill_slot");
        snprintf(what, sizeof what, "prefill_slot of sequence %d (slot %d)", s, (int)slot_of[s]);
        compare_row(&st, got, REF(s, 0), TOK(s, 0), 1, tol, what);
      }
    }
#ifdef PARE_MODEL_PREFILL_BATCH
    else {
      /* Every prompt in one call, sequence after sequence (steps of PREFILL_CHUNK rows may cut
       * a sequence in two). */
      int32_t *all = malloc(sizeof(int32_t) * (size_t)seqs * BC_C), total = 0;
      float *last = malloc(sizeof(float) * BC_V * (size_t)seqs);
      if (!all || !last) {
        fprintf(stderr, "batch_check: out of memory\n");
        exit(1);
      }
      for (s = 0; s < seqs; ++s) {
        memcpy(all + total, prompt + (size_t)s * BC_C, sizeof(int32_t) * (size_t)len[s]);
        total += len[s];
      }
      check_rc(PARE_MODEL_PREFILL_BATCH(slot_of, len, seqs, all, last), "prefill_batch");
      for (s = 0; s < seqs; ++s) {
        snprintf(what, sizeof what, "prefill_batch, sequence %d (slot %d)", s, (int)slot_of[s]);
        compare_row(&st, last + (size_t)s * BC_V, REF(s, 0), TOK(s, 0), total, tol, what);
      }
      free(all);
      free(last);
    }
#endif
    for (s = 0; s < seqs; ++s)
      if (PARE_MODEL_SLOT_POSITION(slot_of[s]) != len[s])
        fail("slot_position after the prompts");
    for (t = 0; t < max_steps; ++t) {
      /* The unfinished sequences, rotated by one more each step. */
      n = 0;
      for (i = 0; i < seqs; ++i) {
        s = (i + rot) % seqs;
        if (t < steps[s])
          who[n++] = s;
      }
      ++rot;
      if (n == 0)
        break;
      for (i = 0; i < n; ++i) {
        slots[i] = slot_of[who[i]];
        ids[i] = TOK(who[i], t);
      }
      rc = PARE_MODEL_DECODE_BATCH(slots, ids, n, got);
      if (rc != PARE_MODEL_OK) {
        expect(rc, PARE_MODEL_OK, "decode_batch");
        break;
      }
      for (i = 0; i < n; ++i) {
        snprintf(what, sizeof what, "decode_batch step %d, row %d (sequence %d, slot %d)", t, i,
                 who[i], (int)slots[i]);
        compare_row(&st, got + (size_t)i * BC_V, REF(who[i], t + 1), TOK(who[i], t + 1), n, tol,
                    what);
      }
    }
    for (s = 0; s < seqs; ++s)
      if (PARE_MODEL_SLOT_POSITION(slot_of[s]) != len[s] + steps[s])
        fail("slot_position after the batched steps");
  }
  /* A full step: MAX_BATCH rows (the GEMM path past 4 rows), sequence s % seqs in every slot,
   * prefilled afresh, decoding its first token. */
  PARE_MODEL_RESET();
  for (i = 0; i < BC_B; ++i) {
    s = i % seqs;
    check_rc(PARE_MODEL_PREFILL_SLOT(slot_of[i], prompt + (size_t)s * BC_C, len[s], NULL),
             "prefill_slot (full step)");
    slots[i] = slot_of[i];
    ids[i] = TOK(s, 0);
  }
  rc = PARE_MODEL_DECODE_BATCH(slots, ids, BC_B, got);
  expect(rc, PARE_MODEL_OK, "decode_batch of MAX_BATCH rows");
  if (rc == PARE_MODEL_OK)
    for (i = 0; i < BC_B; ++i) {
      snprintf(what, sizeof what, "full step row %d (sequence %d)", i, i % seqs);
      compare_row(&st, got + (size_t)i * BC_V, REF(i % seqs, 1), TOK(i % seqs, 1), BC_B, tol,
                  what);
    }

  /* Errors, every slot unchanged. */
  positions(before);
  slots[0] = 0;
  slots[1] = 0;
  ids[0] = ids[1] = 0;
  expect(PARE_MODEL_DECODE_BATCH(slots, ids, 2, got), PARE_MODEL_ERR_ARG, "a slot given twice");
  expect_unchanged(before, "a slot given twice");
  slots[1] = BC_B;
  expect(PARE_MODEL_DECODE_BATCH(slots, ids, 2, got), PARE_MODEL_ERR_ARG, "slot MAX_BATCH");
  slots[1] = -1;
  expect(PARE_MODEL_DECODE_BATCH(slots, ids, 2, got), PARE_MODEL_ERR_ARG, "slot -1");
  slots[1] = 1;
  ids[1] = BC_V;
  expect(PARE_MODEL_DECODE_BATCH(slots, ids, 2, got), PARE_MODEL_ERR_ARG, "an id past the vocabulary");
  ids[1] = -1;
  expect(PARE_MODEL_DECODE_BATCH(slots, ids, 2, got), PARE_MODEL_ERR_ARG, "id -1");
  ids[1] = 0;
  expect(PARE_MODEL_DECODE_BATCH(slots, ids, 0, got), PARE_MODEL_ERR_ARG, "n = 0");
  expect(PARE_MODEL_DECODE_BATCH(slots, ids, BC_B + 1, got), PARE_MODEL_ERR_ARG, "n > MAX_BATCH");
  expect(PARE_MODEL_DECODE_BATCH(NULL, ids, 1, got), PARE_MODEL_ERR_ARG, "slots NULL");
  expect(PARE_MODEL_DECODE_BATCH(slots, NULL, 1, got), PARE_MODEL_ERR_ARG, "ids NULL");
  expect(PARE_MODEL_DECODE_BATCH(slots, ids, 1, NULL), PARE_MODEL_ERR_ARG, "logits NULL");
  expect(PARE_MODEL_PREFILL_SLOT(BC_B, ids, 1, NULL), PARE_MODEL_ERR_ARG, "prefill_slot MAX_BATCH");
  expect(PARE_MODEL_PREFILL_SLOT(-1, ids, 1, NULL), PARE_MODEL_ERR_ARG, "prefill_slot -1");
  expect(PARE_MODEL_RESET_SLOT(BC_B), PARE_MODEL_ERR_ARG, "reset_slot MAX_BATCH");
  expect(PARE_MODEL_SLOT_POSITION(BC_B), -1, "slot_position MAX_BATCH");
  expect(PARE_MODEL_SLOT_POSITION(-1), -1, "slot_position -1");
#ifdef PARE_MODEL_PREFILL_BATCH
  {
    int32_t counts[2] = {1, 1};
    slots[0] = 0;
    slots[1] = 1;
    ids[0] = ids[1] = 0;
    expect(PARE_MODEL_PREFILL_BATCH(slots, NULL, 2, ids, got), PARE_MODEL_ERR_ARG,
           "prefill_batch counts NULL");
    counts[1] = 0;
    expect(PARE_MODEL_PREFILL_BATCH(slots, counts, 2, ids, got), PARE_MODEL_ERR_ARG,
           "prefill_batch count 0");
    counts[1] = BC_C + 1;
    expect(PARE_MODEL_PREFILL_BATCH(slots, counts, 2, ids, got), PARE_MODEL_ERR_CONTEXT,
           "prefill_batch past a slot's context");
    counts[1] = 1;
    slots[1] = 0;
    expect(PARE_MODEL_PREFILL_BATCH(slots, counts, 2, ids, got), PARE_MODEL_ERR_ARG,
           "prefill_batch with a slot twice");
    slots[1] = 1;
    ids[1] = BC_V;
    expect(PARE_MODEL_PREFILL_BATCH(slots, counts, 2, ids, NULL), PARE_MODEL_ERR_ARG,
           "prefill_batch with an id past the vocabulary");
  }
#endif
  expect_unchanged(before, "the refused calls");
  /* A full slot: the step is refused before anything is written, the other row's slot too. */
  {
    int32_t *fill = calloc(BC_C, sizeof *fill);
    int32_t full = slot_of[0], other = slot_of[1 % BC_B];
    check_rc(PARE_MODEL_RESET_SLOT(full), "reset_slot");
    expect(PARE_MODEL_SLOT_POSITION(full), 0, "slot_position after reset_slot");
    if (fill)
      check_rc(PARE_MODEL_PREFILL_SLOT(full, fill, BC_C, NULL), "prefill_slot of a whole context");
    free(fill);
    positions(before);
    slots[0] = other;
    slots[1] = full;
    ids[0] = ids[1] = 0;
    expect(PARE_MODEL_DECODE_BATCH(slots, ids, 2, got), PARE_MODEL_ERR_CONTEXT, "a full slot");
    expect_unchanged(before, "a full slot");
    expect(PARE_MODEL_PREFILL_SLOT(full, ids, 1, NULL), PARE_MODEL_ERR_CONTEXT,
           "prefill_slot of a full slot");
  }
  /* Slot 0's single-sequence calls still work after the batched ones (its graph). */
  PARE_MODEL_RESET();
  check_rc(PARE_MODEL_PREFILL(prompt, len[0], got), "prefill after the batched steps");
  check_rc(PARE_MODEL_DECODE(TOK(0, 0), got), "decode after the batched steps");
  compare_row(&st, got, REF(0, 1), TOK(0, 1), 1, tol, "slot 0's decode after decode_batch");

  for (s = 0; s < seqs; ++s)
    longest = len[s] > longest ? len[s] : longest;
  printf("batch_check: %d sequences (prompts of up to %d tokens, up to %d steps) in %d slots, %d "
         "rows compared\n",
         seqs, longest, max_steps, BC_B, st.rows);
  printf("batch_check: max |batched - single| / max|single|: %.3g (steps of <= 4 rows), %.3g "
         "(more rows), tol %.3g\n",
         st.small, st.large, tol);
  printf("batch_check: argmax == the single sequence's token: %d of %d rows (%d near ties)\n",
         st.argmax_ok, st.rows, st.near_ties);
  free(len);
  free(steps);
  free(prompt);
  free(tokens);
  free(ref);
  free(got);
  return g_failures ? 1 : 0;
#undef REF
#undef TOK
}

static int run_bench(const char *list, int context, int tokens, int runs)
{
  float *logits = malloc(sizeof(float) * BC_V * BC_B);
  int32_t *prompt = malloc(sizeof(int32_t) * (size_t)(context > 0 ? context : 1));
  int32_t slots[BC_B], ids[BC_B];
  const char *p = list;
  int i, t, r;
  if (!logits || !prompt)
    return 1;
  if (context < 1 || context + tokens + 2 > BC_C) {
    fprintf(stderr, "batch_check: --context %d + --tokens %d + 2 warm-up steps pass MAX_CONTEXT %d\n",
            context, tokens, BC_C);
    return 1;
  }
  for (i = 0; i < context; ++i)
    prompt[i] = random_id();
  /* Slot 0's plain decode: the single-sequence graph. */
  {
    double best = 1e30;
    for (r = 0; r < runs; ++r) {
      double t0;
      PARE_MODEL_RESET();
      check_rc(PARE_MODEL_PREFILL(prompt, context, NULL), "prefill");
      for (t = 0; t < 2; ++t)
        check_rc(PARE_MODEL_DECODE(t % BC_V, logits), "decode");
      t0 = now_s();
      for (t = 0; t < tokens; ++t)
        check_rc(PARE_MODEL_DECODE((t * 7 + 1) % BC_V, logits), "decode");
      t0 = now_s() - t0;
      best = t0 < best ? t0 : best;
    }
    printf("bench: decode steps=%d ms_per_step=%.4f tokens_per_s=%.1f\n", tokens,
           1e3 * best / tokens, tokens / best);
  }
  while (*p) {
    char *end;
    long b = strtol(p, &end, 10);
    double best = 1e30;
    if (end == p || b < 1 || b > BC_B) {
      fprintf(stderr, "batch_check: --bench takes batch sizes 1 .. %d separated by commas\n", BC_B);
      return 1;
    }
    for (r = 0; r < runs; ++r) {
      double t0;
      PARE_MODEL_RESET();
      for (i = 0; i < b; ++i) {
        slots[i] = (int32_t)i;
        check_rc(PARE_MODEL_PREFILL_SLOT((int32_t)i, prompt, context, NULL), "prefill_slot");
      }
      for (t = 0; t < 2; ++t) { /* the graph of b rows captured, the clocks up */
        for (i = 0; i < b; ++i)
          ids[i] = (int32_t)((t + i) % BC_V);
        check_rc(PARE_MODEL_DECODE_BATCH(slots, ids, (int32_t)b, logits), "decode_batch");
      }
      t0 = now_s();
      for (t = 0; t < tokens; ++t) {
        for (i = 0; i < b; ++i)
          ids[i] = (int32_t)((t * 7 + i + 1) % BC_V);
        check_rc(PARE_MODEL_DECODE_BATCH(slots, ids, (int32_t)b, logits), "decode_batch");
      }
      t0 = now_s() - t0;
      best = t0 < best ? t0 : best;
    }
    printf("bench: batch=%ld steps=%d ms_per_step=%.4f tokens_per_s=%.1f\n", b, tokens,
           1e3 * best / tokens, (double)b * tokens / best);
    fflush(stdout);
    p = *end == ',' ? end + 1 : end;
  }
  free(logits);
  free(prompt);
  return 0;
}

int main(int argc, char **argv)
{
  const char *weights = NULL, *bench = NULL;
  int seqs = BC_B, steps = 8, context = 128, tokens = 64, runs = 3, i, rc;
  double tol = 1e-4;
  for (i = 1; i < argc; ++i) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) {
      fprintf(stderr, "batch_check: %s needs a value\n", a);
      return 2;
    }
    if (!strcmp(a, "-w"))
      weights = v;
    else if (!strcmp(a, "--seqs"))
      seqs = atoi(v);
    else if (!strcmp(a, "--steps"))
      steps = atoi(v);
    else if (!strcmp(a, "--tol"))
      tol = atof(v);
    else if (!strcmp(a, "--seed"))
      g_rng ^= (unsigned long long)strtoull(v, NULL, 10) * 0x2545f4914f6cdd1dull;
    else if (!strcmp(a, "--bench"))
      bench = v;
    else if (!strcmp(a, "--context"))
      context = atoi(v);
    else if (!strcmp(a, "--tokens"))
      tokens = atoi(v);
    else if (!strcmp(a, "--runs"))
      runs = atoi(v);
    else {
      fprintf(stderr, "batch_check: unknown argument %s\n", a);
      return 2;
    }
    ++i;
  }
  if (!weights || seqs < 1 || seqs > BC_B || steps < 1 || tokens < 1 || runs < 1) {
    fprintf(stderr, "usage: batch_check -w WEIGHTS [--seqs 1..%d] [--steps T] [--tol TOL] [--seed S]\n"
                    "       batch_check -w WEIGHTS --bench B1,B2,... [--context C] [--tokens T] "
                    "[--runs R]\n",
            BC_B);
    return 2;
  }
  if (steps + 2 > BC_C - BC_C / 4)
    steps = BC_C - BC_C / 4 - 2 > 1 ? BC_C - BC_C / 4 - 2 : 1;
  if ((rc = PARE_MODEL_INIT(weights)) != PARE_MODEL_OK) {
    fprintf(stderr, "batch_check: init: %s\n", PARE_MODEL_STRERROR(rc));
    return 1;
  }
  rc = bench ? run_bench(bench, context, tokens, runs) : run_check(seqs, steps, tol);
  PARE_MODEL_FREE();
  if (!bench)
    printf("%s\n", rc ? "batch_check: FAILED" : "batch_check: ok");
  return rc;
}
