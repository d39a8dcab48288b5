/*
 * Times a C decoder compiled by pare (through pare_model.h, any --name) for
 * benchmarks/llm/host_decode.py:
 *
 *   host_decode_bench WEIGHTS.bin N id0 id1 ... id(L-1)
 *
 * prefills the L prompt ids from an empty cache, then runs N greedy decode
 * steps (each fed the argmax of the previous logits, ties to the lowest id,
 * as onnxruntime's side of the benchmark picks). Prints
 *   prefill_s: S      (the prompt's prefill)
 *   decode_s: S       (the N decode steps)
 *   ids: a b c ...    (the N + 1 greedy ids: after the prompt, after each step)
 * Exits 1 with a message on any error. Plain C99 plus clock_gettime.
 */
#define _POSIX_C_SOURCE 199309L

#include "pare_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int32_t argmax(const float *logits)
{
  int32_t i, best = 0;
  for (i = 1; i < PARE_MODEL_VOCAB; ++i)
    if (logits[i] > logits[best])
      best = i;
  return best;
}

int main(int argc, char **argv)
{
  int32_t *ids, *made;
  float *logits;
  long n, len, i;
  double t0, t1, t2;
  int rc;
  if (argc < 4) {
    fprintf(stderr, "usage: %s WEIGHTS.bin N id...\n", argv[0]);
    return 1;
  }
  n = strtol(argv[2], NULL, 10);
  len = argc - 3;
  if (n < 0 || len + n > PARE_MODEL_MAX_CONTEXT) {
    fprintf(stderr, "host_decode_bench: %ld prompt ids + %ld steps pass the context (%d)\n", len, n,
            (int)PARE_MODEL_MAX_CONTEXT);
    return 1;
  }
  ids = (int32_t *)malloc(sizeof(int32_t) * (size_t)len);
  made = (int32_t *)malloc(sizeof(int32_t) * (size_t)(n + 1));
  logits = (float *)malloc(sizeof(float) * (size_t)PARE_MODEL_VOCAB);
  if (!ids || !made || !logits) {
    fprintf(stderr, "host_decode_bench: out of memory\n");
    return 1;
  }
  for (i = 0; i < len; ++i)
    ids[i] = (int32_t)strtol(argv[3 + i], NULL, 10);
  rc = PARE_MODEL_INIT(argv[1]);
  if (rc != PARE_MODEL_OK) {
    fprintf(stderr, "host_decode_bench: %s: %s\n", argv[1], PARE_MODEL_STRERROR(rc));
    return 1;
  }
  t0 = now_s();
  rc = PARE_MODEL_PREFILL(ids, (int32_t)len, logits);
  t1 = now_s();
  made[0] = argmax(logits);
  for (i = 0; rc == PARE_MODEL_OK && i < n; ++i) {
    rc = PARE_MODEL_DECODE(made[i], logits);
    made[i + 1] = argmax(logits);
  }
  t2 = now_s();
  if (rc != PARE_MODEL_OK) {
    fprintf(stderr, "host_decode_bench: %s\n", PARE_MODEL_STRERROR(rc));
    return 1;
  }
  printf("prefill_s: %.6f\ndecode_s: %.6f\nids:", t1 - t0, t2 - t1);
  for (i = 0; i <= n; ++i)
    printf(" %ld", (long)made[i]);
  printf("\n");
  PARE_MODEL_FREE();
  free(ids);
  free(made);
  free(logits);
  return 0;
}
