/*
 * Drives a decoder compiled by pare (through pare_model.h, so one source for
 * any --name) for tests/e2e/llm_decoder_c.py:
 *
 *   llm_decoder_harness WEIGHTS.bin OUT.bin K id0 id1 ... id(L-1)
 *
 * writes to OUT.bin, as float32, the logits after each prefix computed from
 * an empty cache ([L][VOCAB], full recomputation), then the logits of a
 * prefill of the first K ids followed by decode steps ([L-K+1][VOCAB]);
 * writes to OUT.bin.all the logits of every row of one prefill_all of the L
 * ids ([L][VOCAB]); and
 * checks the API's error codes: before init, missing / corrupt / truncated /
 * unaligned weights, NULL / empty / out-of-range ids, prefill_all without a
 * logits array, a prompt, a prefill_all and a decode step past
 * the maximum context (refused with the state unchanged). Prints one line
 * per failed check and exits 1 on any.
 */
#include "pare_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

static void expect(int got, int want, const char *what)
{
  if (got != want) {
    printf("FAIL %s: got %d (%s), want %d\n", what, got, PARE_MODEL_STRERROR(got), want);
    ++failures;
  }
}

static unsigned char *read_all(const char *path, size_t *size)
{
  FILE *f = fopen(path, "rb");
  unsigned char *buf;
  long n;
  if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    printf("FAIL cannot read %s\n", path);
    exit(1);
  }
  buf = (unsigned char *)malloc((size_t)n + 4);
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
    printf("FAIL cannot read %s\n", path);
    exit(1);
  }
  fclose(f);
  *size = (size_t)n;
  return buf;
}

int main(int argc, char **argv)
{
  const char *weights, *out_path;
  int32_t *ids, *many, bad;
  float *logits, *saved, *all;
  char *all_path;
  unsigned char *blob;
  size_t size;
  long L, K, p;
  FILE *out;
  if (argc < 5) {
    fprintf(stderr, "usage: %s WEIGHTS.bin OUT.bin K id...\n", argv[0]);
    return 2;
  }
  weights = argv[1];
  out_path = argv[2];
  K = strtol(argv[3], NULL, 10);
  L = argc - 4;
  if (K < 1 || K > L)
    return 2;
  ids = (int32_t *)malloc(sizeof(int32_t) * (size_t)L);
  many = (int32_t *)malloc(sizeof(int32_t) * (size_t)(PARE_MODEL_MAX_CONTEXT + 1));
  logits = (float *)malloc(sizeof(float) * (size_t)PARE_MODEL_VOCAB);
  saved = (float *)malloc(sizeof(float) * (size_t)PARE_MODEL_VOCAB);
  all = (float *)malloc(sizeof(float) * (size_t)L * (size_t)PARE_MODEL_VOCAB);
  all_path = (char *)malloc(strlen(argv[2]) + 5);
  if (!ids || !many || !logits || !saved || !all || !all_path)
    return 2;
  for (p = 0; p < L; ++p)
    ids[p] = (int32_t)strtol(argv[4 + p], NULL, 10);
  for (p = 0; p <= PARE_MODEL_MAX_CONTEXT; ++p)
    many[p] = ids[p % L];

  /* Not initialised; weights missing, corrupt, truncated. */
  expect(PARE_MODEL_PREFILL(ids, 1, logits), PARE_MODEL_ERR_STATE, "prefill before init");
  expect(PARE_MODEL_DECODE(ids[0], logits), PARE_MODEL_ERR_STATE, "decode before init");
  expect(PARE_MODEL_INIT("/nonexistent/weights.bin"), PARE_MODEL_ERR_WEIGHTS, "missing file");
  expect(PARE_MODEL_INIT(NULL), PARE_MODEL_ERR_ARG, "NULL path");
  blob = read_all(weights, &size);
  expect(PARE_MODEL_INIT_FROM_MEMORY(blob, size - 1), PARE_MODEL_ERR_WEIGHTS, "truncated blob");
  expect(PARE_MODEL_INIT_FROM_MEMORY(blob + 1, size), PARE_MODEL_ERR_ARG, "unaligned blob");
  blob[size - 1] ^= 0x40;
  expect(PARE_MODEL_INIT_FROM_MEMORY(blob, size), PARE_MODEL_ERR_WEIGHTS, "corrupt payload");
  blob[size - 1] ^= 0x40;
  expect(PARE_MODEL_INIT_FROM_MEMORY(blob, size), PARE_MODEL_OK, "init from memory");
  PARE_MODEL_FREE();
  free(blob);
  expect(PARE_MODEL_PREFILL(ids, 1, logits), PARE_MODEL_ERR_STATE, "prefill after free");
  expect(PARE_MODEL_INIT(weights), PARE_MODEL_OK, "init");

  out = fopen(out_path, "wb");
  if (!out)
    return 2;
  /* Every prefix from an empty cache. */
  for (p = 0; p < L; ++p) {
    PARE_MODEL_RESET();
    expect(PARE_MODEL_PREFILL(ids, (int32_t)(p + 1), logits), PARE_MODEL_OK, "full prefill");
    expect(PARE_MODEL_POSITION(), (int)(p + 1), "position after prefill");
    fwrite(logits, sizeof(float), (size_t)PARE_MODEL_VOCAB, out);
  }
  memcpy(saved, logits, sizeof(float) * (size_t)PARE_MODEL_VOCAB);
  /* Prefill K, then decode one by one. */
  PARE_MODEL_RESET();
  expect(PARE_MODEL_PREFILL(ids, (int32_t)K, logits), PARE_MODEL_OK, "prefill K");
  fwrite(logits, sizeof(float), (size_t)PARE_MODEL_VOCAB, out);
  for (p = K; p < L; ++p) {
    expect(PARE_MODEL_DECODE(ids[p], logits), PARE_MODEL_OK, "decode");
    fwrite(logits, sizeof(float), (size_t)PARE_MODEL_VOCAB, out);
  }
  fclose(out);
  /* Every row's logits in one call. */
  PARE_MODEL_RESET();
  expect(PARE_MODEL_PREFILL_ALL(ids, (int32_t)L, all), PARE_MODEL_OK, "prefill_all");
  expect(PARE_MODEL_POSITION(), (int)L, "position after prefill_all");
  strcpy(all_path, out_path);
  strcat(all_path, ".all");
  out = fopen(all_path, "wb");
  if (!out)
    return 2;
  fwrite(all, sizeof(float), (size_t)L * (size_t)PARE_MODEL_VOCAB, out);
  fclose(out);

  /* Bad arguments leave the state alone. */
  expect(PARE_MODEL_PREFILL(NULL, 1, logits), PARE_MODEL_ERR_ARG, "NULL ids");
  expect(PARE_MODEL_PREFILL(ids, 0, logits), PARE_MODEL_ERR_ARG, "n = 0");
  bad = -1;
  expect(PARE_MODEL_PREFILL(&bad, 1, logits), PARE_MODEL_ERR_ARG, "id -1");
  expect(PARE_MODEL_DECODE(PARE_MODEL_VOCAB, logits), PARE_MODEL_ERR_ARG, "id VOCAB");
  expect(PARE_MODEL_PREFILL_ALL(ids, 1, NULL), PARE_MODEL_ERR_ARG, "prefill_all without logits");
  expect(PARE_MODEL_POSITION(), (int)L, "position after refused calls");

  /* Past the maximum context: refused before anything is written. */
  PARE_MODEL_RESET();
  expect(PARE_MODEL_PREFILL(many, PARE_MODEL_MAX_CONTEXT + 1, logits), PARE_MODEL_ERR_CONTEXT,
         "prompt longer than the context");
  expect(PARE_MODEL_POSITION(), 0, "position after a refused prompt");
  expect(PARE_MODEL_PREFILL(many, PARE_MODEL_MAX_CONTEXT, NULL), PARE_MODEL_OK,
         "prompt of the whole context");
  expect(PARE_MODEL_DECODE(ids[0], logits), PARE_MODEL_ERR_CONTEXT, "decode past the context");
  expect(PARE_MODEL_POSITION(), PARE_MODEL_MAX_CONTEXT, "position after a refused decode");
  PARE_MODEL_RESET();
  expect(PARE_MODEL_PREFILL(many, PARE_MODEL_MAX_CONTEXT - 1, NULL), PARE_MODEL_OK,
         "prompt of the context less one");
  expect(PARE_MODEL_PREFILL(ids, 2, logits), PARE_MODEL_ERR_CONTEXT, "prefill past the context");
  expect(PARE_MODEL_PREFILL_ALL(ids, 2, all), PARE_MODEL_ERR_CONTEXT,
         "prefill_all past the context");
  expect(PARE_MODEL_POSITION(), PARE_MODEL_MAX_CONTEXT - 1, "position after a refused prefill");

  /* The same tokens again give the same logits (the refused calls changed nothing). */
  PARE_MODEL_RESET();
  expect(PARE_MODEL_PREFILL(ids, (int32_t)L, logits), PARE_MODEL_OK, "prefill again");
  if (memcmp(logits, saved, sizeof(float) * (size_t)PARE_MODEL_VOCAB) != 0) {
    printf("FAIL the logits of the same tokens differ after refused calls\n");
    ++failures;
  }
  PARE_MODEL_FREE();
  expect(PARE_MODEL_DECODE(ids[0], logits), PARE_MODEL_ERR_STATE, "decode after free");
  free(ids);
  free(many);
  free(logits);
  free(saved);
  free(all);
  free(all_path);
  printf("%d failed checks\n", failures);
  return failures ? 1 : 0;
}
