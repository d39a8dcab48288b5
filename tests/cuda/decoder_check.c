/*
 * Checks a generated LLM decoder (the C or the CUDA target: both have the
 * same API) against reference logits of every position of one token sequence
 * (onnxruntime running the full-sequence model, or another build):
 *
 *   prefill   prefill of the whole sequence: the last position's logits
 *   decode    one decode per token: every position's logits
 *   split     prefill of the first K tokens, then decode: every position after
 *   chunks    prefills of 1, 2, 3 ... tokens: the last of each
 * and the API's error paths (uninitialised, missing / foreign weights, NULL,
 * n <= 0, ids outside the vocabulary, a context past MAX_CONTEXT, with the
 * position unchanged). A decoder with GPU sampling (PARE_MODEL_DECODE_SAMPLE,
 * the CUDA target) also has its greedy draws checked against the argmax of
 * the decode mode's logits, a seeded top-k / top-p run repeated after a reset
 * (the same ids), top_k 1 against greedy, and a bad top_p refused; --bench
 * then also times decode_sample steps and prints the profile table.
 * Prints the largest |a - r| / max|r| of each mode and
 * the greedy (argmax) agreement; exits 1 when a mode exceeds --tol or an error
 * path answers wrongly.
 *
 *   decoder_check -w WEIGHTS --ids IDS.npy [--ref REF.npy] [--tol T] [--split K]
 *                 [--dump OUT.npy] [--bench N] [--foreign OTHER_WEIGHTS]
 *
 * IDS.npy: int64 / int32, [S] or [1, S]. REF.npy: float32 [S, V] or [1, S, V].
 * --dump writes the decode mode's logits [S, V] (a reference made by one
 * target for the other). --bench N times a prefill of the sequence and N
 * greedy decode steps after it (wall clock, after a warm-up).
 *
 * Built against one generated decoder through the pare_model.h of
 * `pare compile --emit-runner` (its API under fixed names):
 *   cc -std=c99 -I OUTDIR decoder_check.c ... (and the decoder's objects)
 */
#define _POSIX_C_SOURCE 200809L
#include "pare_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DC_V PARE_MODEL_VOCAB

static int g_failures = 0;

static void fail(const char *what)
{
  printf("FAIL %s\n", what);
  ++g_failures;
}

/* ------------------------------------------------------------------ npy -- */

/* Reads a little-endian .npy of `descr` ("<f4", "<i8", "<i4"); returns the
 * data and its element count, or NULL. */
static void *read_npy(const char *path, char *descr, size_t *count)
{
  unsigned char pre[10];
  char *header = NULL, *p;
  size_t hlen, n = 1, esize;
  void *data = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "decoder_check: cannot open %s\n", path);
    return NULL;
  }
  if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0)
    goto bad;
  if (pre[6] == 1) {
    hlen = pre[8] | (size_t)pre[9] << 8;
  } else {
    unsigned char more[2];
    if (fread(more, 1, 2, f) != 2)
      goto bad;
    hlen = pre[8] | (size_t)pre[9] << 8 | (size_t)more[0] << 16 | (size_t)more[1] << 24;
  }
  header = (char *)malloc(hlen + 1);
  if (!header || fread(header, 1, hlen, f) != hlen)
    goto bad;
  header[hlen] = 0;
  p = strstr(header, "'descr'");
  if (!p || !(p = strchr(p + 7, '\'')))
    goto bad;
  memcpy(descr, p + 1, 3);
  descr[3] = 0;
  if (strstr(header, "'fortran_order': True"))
    goto bad;
  p = strstr(header, "'shape'");
  if (!p || !(p = strchr(p, '(')))
    goto bad;
  for (++p; *p && *p != ')';) {
    char *end;
    long d = strtol(p, &end, 10);
    if (end == p) {
      ++p;
      continue;
    }
    n *= (size_t)d;
    p = end;
  }
  esize = descr[2] == '8' ? 8 : 4;
  data = malloc(n * esize + 1);
  if (!data || fread(data, esize, n, f) != n)
    goto bad;
  fclose(f);
  free(header);
  *count = n;
  return data;
bad:
  fprintf(stderr, "decoder_check: %s is not a .npy file this reads\n", path);
  fclose(f);
  free(header);
  free(data);
  return NULL;
}

static int write_npy(const char *path, const float *v, size_t rows, size_t cols)
{
  char header[128];
  int len;
  FILE *f = fopen(path, "wb");
  if (!f)
    return 1;
  len = snprintf(header, sizeof header, "{'descr': '<f4', 'fortran_order': False, 'shape': (%lu, %lu), }",
                 (unsigned long)rows, (unsigned long)cols);
  while ((10 + len + 1) % 64)
    header[len++] = ' ';
  header[len++] = '\n';
  fwrite("\x93NUMPY\x01\x00", 1, 8, f);
  fputc(len & 0xff, f);
  fputc(len >> 8, f);
  fwrite(header, 1, (size_t)len, f);
  fwrite(v, sizeof(float), rows * cols, f);
  return fclose(f) != 0;
}

/* ------------------------------------------------------------ compare -- */

struct Stat {
  const char *name;
  double worst; /* max over rows of max|a - r| / max|r| */
  int rows, argmax_same;
};

static int argmax(const float *v)
{
  int i, best = 0;
  for (i = 1; i < DC_V; ++i)
    if (v[i] > v[best])
      best = i;
  return best;
}

static void compare(struct Stat *s, const float *got, const float *ref)
{
  double diff = 0, scale = 0;
  int i;
  for (i = 0; i < DC_V; ++i) {
    double d = fabs((double)got[i] - ref[i]);
    if (!(d <= diff)) /* NaN counts as the largest */
      diff = d;
    if (fabs(ref[i]) > scale)
      scale = fabs(ref[i]);
  }
  diff /= scale > 0 ? scale : 1;
  if (!(diff <= s->worst))
    s->worst = diff;
  s->rows++;
  s->argmax_same += argmax(got) == argmax(ref);
}

static void expect(int got, int want, const char *what)
{
  char line[256];
  if (got == want)
    return;
  snprintf(line, sizeof line, "%s: returned %d (%s), expected %d", what, got, PARE_MODEL_STRERROR(got), want);
  fail(line);
}

static double now_s(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
  const char *weights = NULL, *ids_path = NULL, *ref_path = NULL, *dump = NULL, *foreign = NULL;
  double tol = 1e-4;
  int split = -1, bench = 0, i, s_len, rc;
  char descr[4];
  size_t count, ref_count = 0;
  void *raw;
  int32_t *ids;
  float *ref = NULL, *logits, *all;
  struct Stat stats[4] = {{"prefill", 0, 0, 0}, {"decode", 0, 0, 0}, {"split", 0, 0, 0},
                          {"chunks", 0, 0, 0}};

  for (i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "-w"))
      weights = argv[i + 1];
    else if (!strcmp(argv[i], "--ids"))
      ids_path = argv[i + 1];
    else if (!strcmp(argv[i], "--ref"))
      ref_path = argv[i + 1];
    else if (!strcmp(argv[i], "--tol"))
      tol = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--split"))
      split = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--dump"))
      dump = argv[i + 1];
    else if (!strcmp(argv[i], "--bench"))
      bench = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--foreign"))
      foreign = argv[i + 1];
    else
      break;
  }
  if (i != argc || !weights || !ids_path) {
    fprintf(stderr, "usage: decoder_check -w WEIGHTS --ids IDS.npy [--ref REF.npy] [--tol T] "
                    "[--split K] [--dump OUT.npy] [--bench N] [--foreign OTHER_WEIGHTS]\n");
    return 2;
  }
  raw = read_npy(ids_path, descr, &count);
  if (!raw)
    return 2;
  s_len = (int)count;
  ids = (int32_t *)malloc(sizeof(int32_t) * count);
  for (i = 0; i < s_len; ++i)
    ids[i] = descr[2] == '8' ? (int32_t)((long long *)raw)[i] : ((int32_t *)raw)[i];
  free(raw);
  if (s_len < 2 || s_len > PARE_MODEL_MAX_CONTEXT) {
    fprintf(stderr, "decoder_check: %d ids; 2 .. %d fit this model\n", s_len, PARE_MODEL_MAX_CONTEXT);
    return 2;
  }
  if (ref_path) {
    ref = (float *)read_npy(ref_path, descr, &ref_count);
    if (!ref)
      return 2;
    if (strcmp(descr, "<f4") != 0 || ref_count != (size_t)s_len * DC_V) {
      fprintf(stderr, "decoder_check: %s is not float32 [%d, %d]\n", ref_path, s_len, DC_V);
      return 2;
    }
  }
  if (split < 0)
    split = s_len / 2;
  logits = (float *)malloc(sizeof(float) * DC_V);
  all = (float *)malloc(sizeof(float) * DC_V * (size_t)s_len);

  /* ---- error paths before and at init ---- */
  expect(PARE_MODEL_PREFILL(ids, 1, logits), PARE_MODEL_ERR_STATE, "prefill before init");
  expect(PARE_MODEL_DECODE(ids[0], logits), PARE_MODEL_ERR_STATE, "decode before init");
  expect(PARE_MODEL_INIT("/nonexistent/weights.bin"), PARE_MODEL_ERR_WEIGHTS, "init from a missing file");
  if (foreign)
    expect(PARE_MODEL_INIT(foreign), PARE_MODEL_ERR_WEIGHTS, "init from another model's weights");
  rc = PARE_MODEL_INIT(weights);
  if (rc != PARE_MODEL_OK) {
    fprintf(stderr, "decoder_check: init: %s\n", PARE_MODEL_STRERROR(rc));
    return 1;
  }
  expect(PARE_MODEL_PREFILL(NULL, 1, logits), PARE_MODEL_ERR_ARG, "prefill(NULL)");
  expect(PARE_MODEL_PREFILL(ids, 0, logits), PARE_MODEL_ERR_ARG, "prefill of 0 tokens");
  {
    int32_t bad[2];
    bad[0] = ids[0];
    bad[1] = DC_V;
    expect(PARE_MODEL_PREFILL(bad, 2, logits), PARE_MODEL_ERR_ARG, "prefill of an id past the vocabulary");
  }
  expect(PARE_MODEL_DECODE(-1, logits), PARE_MODEL_ERR_ARG, "decode of id -1");
  if (PARE_MODEL_POSITION() != 0)
    fail("a refused call moved the position");

  /* ---- prefill of the whole sequence ---- */
  PARE_MODEL_RESET();
  expect(PARE_MODEL_PREFILL(ids, s_len, logits), PARE_MODEL_OK, "prefill");
  if (ref)
    compare(&stats[0], logits, ref + (size_t)(s_len - 1) * DC_V);
  if (PARE_MODEL_POSITION() != s_len)
    fail("position after prefill");

  /* ---- decode token by token ---- */
  PARE_MODEL_RESET();
  for (i = 0; i < s_len; ++i) {
    expect(PARE_MODEL_DECODE(ids[i], all + (size_t)i * DC_V), PARE_MODEL_OK, "decode");
    if (ref)
      compare(&stats[1], all + (size_t)i * DC_V, ref + (size_t)i * DC_V);
  }
  if (dump && write_npy(dump, all, (size_t)s_len, DC_V)) {
    fprintf(stderr, "decoder_check: cannot write %s\n", dump);
    return 2;
  }

#ifdef PARE_MODEL_DECODE_SAMPLE
  /* ---- sampling on the GPU ---- */
  {
    PARE_MODEL_SAMPLING greedy = {0.0f, 0, 1.0f, 0}, top = {0.8f, 40, 0.95f, 1234};
    PARE_MODEL_SAMPLING top1 = {1.0f, 1, 1.0f, 99}, bad = {1.0f, 0, 0.0f, 0};
    int32_t next = -1, *drawn = (int32_t *)malloc(sizeof(int32_t) * (size_t)s_len);
    int wrong = 0, differs = 0, rep;
    PARE_MODEL_RESET();
    for (i = 0; i < s_len; ++i) {
      expect(PARE_MODEL_DECODE_SAMPLE(ids[i], i % 2 ? &greedy : NULL, &next), PARE_MODEL_OK,
             "decode_sample (greedy)");
      wrong += next != argmax(all + (size_t)i * DC_V);
    }
    if (wrong)
      fail("decode_sample's greedy ids differ from the argmax of decode's logits");
    PARE_MODEL_RESET();
    expect(PARE_MODEL_PREFILL(ids, s_len, logits), PARE_MODEL_OK, "prefill before sample");
    expect(PARE_MODEL_SAMPLE(&greedy, &next), PARE_MODEL_OK, "sample");
    if (next != argmax(logits))
      fail("sample after prefill is not the argmax of its logits");
    expect(PARE_MODEL_SAMPLE(&bad, &next), PARE_MODEL_ERR_ARG, "sample with top_p 0");
    for (rep = 0; rep < 2; ++rep) {
      PARE_MODEL_RESET();
      for (i = 0; i < s_len; ++i) {
        expect(PARE_MODEL_DECODE_SAMPLE(ids[i], &top, &next), PARE_MODEL_OK, "decode_sample (top-k / top-p)");
        if (next < 0 || next >= DC_V)
          fail("decode_sample drew an id outside the vocabulary");
        if (rep == 0)
          drawn[i] = next;
        else
          differs += drawn[i] != next;
      }
    }
    if (differs)
      fail("the same seed after a reset drew other ids");
    PARE_MODEL_RESET();
    wrong = 0;
    for (i = 0; i < s_len; ++i) {
      expect(PARE_MODEL_DECODE_SAMPLE(ids[i], &top1, &next), PARE_MODEL_OK, "decode_sample (top_k 1)");
      wrong += next != argmax(all + (size_t)i * DC_V);
    }
    if (wrong)
      fail("decode_sample with top_k 1 is not the argmax");
    expect(PARE_MODEL_DECODE_SAMPLE(ids[0], &bad, &next), PARE_MODEL_ERR_ARG, "decode_sample with top_p 0");
    printf("sampling: greedy and top_k 1 match the argmax on %d rows, seeded draws repeat\n", s_len);
    free(drawn);
  }
#endif

  /* ---- prefill K, then decode ---- */
  PARE_MODEL_RESET();
  expect(PARE_MODEL_PREFILL(ids, split, logits), PARE_MODEL_OK, "prefill of the split");
  if (ref)
    compare(&stats[2], logits, ref + (size_t)(split - 1) * DC_V);
  for (i = split; i < s_len; ++i) {
    expect(PARE_MODEL_DECODE(ids[i], logits), PARE_MODEL_OK, "decode after the split");
    if (ref)
      compare(&stats[2], logits, ref + (size_t)i * DC_V);
  }

  /* ---- prefills of growing pieces ---- */
  PARE_MODEL_RESET();
  {
    int at = 0, piece = 1;
    while (at < s_len) {
      int n = piece < s_len - at ? piece : s_len - at;
      expect(PARE_MODEL_PREFILL(ids + at, n, logits), PARE_MODEL_OK, "prefill of a piece");
      at += n;
      if (ref)
        compare(&stats[3], logits, ref + (size_t)(at - 1) * DC_V);
      ++piece;
    }
  }

  /* ---- the context limit ---- */
  {
    int32_t *many = (int32_t *)malloc(sizeof(int32_t) * (PARE_MODEL_MAX_CONTEXT + 1));
    for (i = 0; i <= PARE_MODEL_MAX_CONTEXT; ++i)
      many[i] = ids[i % s_len];
    PARE_MODEL_RESET();
    expect(PARE_MODEL_PREFILL(many, PARE_MODEL_MAX_CONTEXT + 1, NULL), PARE_MODEL_ERR_CONTEXT, "prefill past the context");
    if (PARE_MODEL_POSITION() != 0)
      fail("a prefill past the context moved the position");
    expect(PARE_MODEL_PREFILL(many, PARE_MODEL_MAX_CONTEXT, NULL), PARE_MODEL_OK, "prefill of the whole context");
    expect(PARE_MODEL_DECODE(ids[0], logits), PARE_MODEL_ERR_CONTEXT, "decode past the context");
    expect(PARE_MODEL_PREFILL(ids, 1, logits), PARE_MODEL_ERR_CONTEXT, "prefill past a full context");
    if (PARE_MODEL_POSITION() != PARE_MODEL_MAX_CONTEXT)
      fail("position at a full context");
    free(many);
  }

  if (ref) {
    for (i = 0; i < 4; ++i) {
      printf("%-8s max|a-r|/max|r| = %.3g over %d row(s), argmax agrees on %d/%d\n",
             stats[i].name, stats[i].worst, stats[i].rows, stats[i].argmax_same, stats[i].rows);
      if (!(stats[i].worst <= tol)) {
        char line[128];
        snprintf(line, sizeof line, "%s: %.3g > --tol %.3g", stats[i].name, stats[i].worst, tol);
        fail(line);
      }
    }
  }

  if (bench > 0) {
    double t0, t1, t2;
    int steps = 0, next;
    PARE_MODEL_RESET();
    PARE_MODEL_PREFILL(ids, s_len, logits); /* warm-up: the decode graph is captured here */
    PARE_MODEL_DECODE(argmax(logits), logits);
    PARE_MODEL_RESET();
    t0 = now_s();
    expect(PARE_MODEL_PREFILL(ids, s_len, logits), PARE_MODEL_OK, "timed prefill");
    t1 = now_s();
    next = argmax(logits);
    while (steps < bench && PARE_MODEL_POSITION() < PARE_MODEL_MAX_CONTEXT) {
      expect(PARE_MODEL_DECODE(next, logits), PARE_MODEL_OK, "timed decode");
      next = argmax(logits);
      ++steps;
    }
    t2 = now_s();
    if (steps == 0)
      steps = 1; /* a full context: no decode timed */
    printf("bench: prefill %d tokens %.3f ms (%.0f tok/s); decode %d tokens %.4f ms/token "
           "(%.0f tok/s)\n",
           s_len, (t1 - t0) * 1e3, s_len / (t1 - t0), steps, (t2 - t1) * 1e3 / steps,
           steps / (t2 - t1));
#ifdef PARE_MODEL_DECODE_SAMPLE
    {
      /* The runner's loop: each step and its draw on the GPU, only ids back. */
      int32_t id = -1;
      PARE_MODEL_RESET();
      expect(PARE_MODEL_PREFILL(ids, s_len, logits), PARE_MODEL_OK, "prefill");
      expect(PARE_MODEL_SAMPLE(NULL, &id), PARE_MODEL_OK, "sample");
      expect(PARE_MODEL_DECODE_SAMPLE(id, NULL, &id), PARE_MODEL_OK, "warm-up decode_sample");
      t1 = now_s();
      steps = 0;
      while (steps < bench && PARE_MODEL_POSITION() < PARE_MODEL_MAX_CONTEXT) {
        expect(PARE_MODEL_DECODE_SAMPLE(id, NULL, &id), PARE_MODEL_OK, "timed decode_sample");
        ++steps;
      }
      t2 = now_s();
      if (steps > 0)
        printf("bench: decode_sample %d tokens %.4f ms/token (%.0f tok/s)\n", steps,
               (t2 - t1) * 1e3 / steps, steps / (t2 - t1));
      if (PARE_MODEL_POSITION() < PARE_MODEL_MAX_CONTEXT) {
        int room = PARE_MODEL_MAX_CONTEXT - PARE_MODEL_POSITION();
        expect(PARE_MODEL_PROFILE(id, room < 16 ? room : 16), PARE_MODEL_OK, "profile");
      }
    }
#endif
  }
  PARE_MODEL_FREE();
  expect(PARE_MODEL_DECODE(ids[0], logits), PARE_MODEL_ERR_STATE, "decode after free");
  printf("%s: %d failure(s)\n", g_failures ? "FAILED" : "ok", g_failures);
  free(ids);
  free(ref);
  free(logits);
  free(all);
  return g_failures ? 1 : 0;
}
