/*
 * pare's LLM runner: one source for the C and the CUDA decoder targets.
 * It reaches the model through pare_model.h, which pare writes next to it
 * (PARE_MODEL_PREFILL -> <name>_prefill, ...), and the text through the
 * standalone tokenizer (pare_tokenizer.h).
 *
 *   generate -w W.bin --tokenizer tokenizer.json -p "prompt" [-n 128] [--chat]
 *            [--temperature 0] [--top-k 0] [--top-p 1] [--seed 0]
 *            [--ids] [--profile]
 *     prints the generated text as it comes (the prompt tokenized as HF's
 *     default encode(), with the post-processor's special tokens), then (on
 *     stderr) prefill and decode tokens per second; --ids also prints the
 *     generated ids on a last line "ids: 1 2 3" (a stop token, <|im_end|> or
 *     <|endoftext|>, ends the list and counts towards -n), for comparison
 *     with a reference's greedy loop. Temperature 0 is greedy (argmax, the
 *     lowest id on ties). A model with PARE_MODEL_DECODE_SAMPLE (the CUDA
 *     target) picks every token on the GPU (pare_llm_sample: temperature,
 *     top-k, top-p, seeded counter-based draws; each decode step and its
 *     draw are one graph replay and only the id comes back); the C target
 *     samples on the host with temperature only (xorshift64* of --seed) and
 *     refuses --top-k / --top-p. --profile (CUDA) then decodes up to 32
 *     more tokens with an event between launches and prints on stderr
 *     "profile: family | launches/token | us/token | %" and one row per
 *     kernel family.
 *   generate -w W.bin --tokenizer tokenizer.json --ppl FILE --window W
 *            [--max-tokens T]
 *     perplexity of the file's text (the protocol of
 *     benchmarks/llm/ort_reference.py): the whole text tokenized once
 *     without special tokens, cut into consecutive windows of W tokens (a
 *     last partial window kept if it has at least 2), each window scored
 *     from an empty cache; token t+1 is scored by the logits after token t
 *     (log-softmax in double); the last line is
 *     "perplexity: P tokens: SCORED windows: K". A model with
 *     PARE_MODEL_PREFILL_ALL (the C target) computes a window's logits in
 *     prefill chunks, all rows at once; otherwise one decode step per token.
 *
 *   generate -w W.bin --tokenizer tokenizer.json -p "prompt" --batch B [-n 128]
 *            [--temperature 0] [--seed 0] [--ids]
 *     (a model compiled with --max-batch N, B <= N) the prompt prefilled into
 *     KV-cache slots 0 .. B-1, then all unfinished sequences advanced together
 *     by one PARE_MODEL_DECODE_BATCH step per token, tokens picked on the host
 *     (greedy, or --temperature draws); prints "[b] text" (and "ids[b]: ...")
 *     per sequence at the end, and on stderr the prefill and the decode rate
 *     in tokens/s summed over the sequences: batch-serving throughput.
 *
 * Plain C99 plus clock_gettime; exits 1 with a message on any error.
 */
#define _POSIX_C_SOURCE 199309L

#include "pare_model.h"
#include "pare_tokenizer.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* SmolLM2's chat template (ChatML with its default system prompt). */
static const char *const CHAT_PREFIX =
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
    "Face<|im_end|>\n<|im_start|>user\n";
static const char *const CHAT_SUFFIX = "<|im_end|>\n<|im_start|>assistant\n";

static void usage(void)
{
  fprintf(stderr,
          "usage: generate -w WEIGHTS.bin --tokenizer tokenizer.json -p PROMPT [-n 128] [--chat]\n"
          "                [--temperature 0] [--top-k 0] [--top-p 1] [--seed 0] [--ids]\n"
          "                [--profile]\n"
          "       generate -w WEIGHTS.bin --tokenizer tokenizer.json --ppl FILE --window W\n"
          "                [--max-tokens T]\n"
          "       generate ... -p PROMPT --batch B [-n 128] [--temperature T] [--seed S] [--ids]\n"
          "                (a model compiled with --max-batch)\n"
          "model %s: context %d tokens, vocabulary %d\n",
          PARE_MODEL_NAME, (int)PARE_MODEL_MAX_CONTEXT, (int)PARE_MODEL_VOCAB);
}

static void die(const char *what, const char *detail)
{
  fprintf(stderr, "generate: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  exit(1);
}

static double now_s(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static long parse_int(const char *flag, const char *s, long lo, long hi)
{
  char *end = NULL;
  long v = strtol(s, &end, 10);
  if (!*s || *end || v < lo || v > hi) {
    fprintf(stderr, "generate: %s needs an integer in %ld .. %ld, not '%s'\n", flag, lo, hi, s);
    exit(1);
  }
  return v;
}

/* The whole file, NUL-terminated; *len without the NUL. */
static char *read_file(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t cap = 0, n = 0, got;
  if (!f)
    die("cannot open", path);
  do {
    if (n + 65536 + 1 > cap) {
      char *grown;
      cap = (n + 65536 + 1) * 2;
      grown = (char *)realloc(buf, cap);
      if (!grown)
        die("out of memory reading", path);
      buf = grown;
    }
    got = fread(buf + n, 1, 65536, f);
    n += got;
  } while (got > 0);
  if (ferror(f))
    die("cannot read", path);
  fclose(f);
  buf[n] = '\0';
  *len = n;
  return buf;
}

static void check(int rc, const char *what)
{
  if (rc != PARE_MODEL_OK)
    die(what, PARE_MODEL_STRERROR(rc));
}

/* Tokens picked on the host: the C target's, and --batch's on either target. */
#if !defined(PARE_MODEL_DECODE_SAMPLE) || defined(PARE_MODEL_DECODE_BATCH)
#define PARE_HOST_SAMPLING 1
/* xorshift64*: a fixed, portable sequence for --seed. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static double rng_uniform(void)
{
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (double)((rng_state * 0x2545f4914f6cdd1dULL) >> 11) * (1.0 / 9007199254740992.0);
}

static int32_t pick(const float *logits, double temperature)
{
  int32_t i, best = 0;
  double sum = 0.0, r, max;
  for (i = 1; i < PARE_MODEL_VOCAB; ++i)
    if (logits[i] > logits[best])
      best = i;
  if (temperature <= 0.0)
    return best;
  max = logits[best];
  for (i = 0; i < PARE_MODEL_VOCAB; ++i)
    sum += exp(((double)logits[i] - max) / temperature);
  r = rng_uniform() * sum;
  for (i = 0; i < PARE_MODEL_VOCAB; ++i) {
    r -= exp(((double)logits[i] - max) / temperature);
    if (r <= 0.0)
      return i;
  }
  return best;
}
#endif

static void print_token(const pare_tokenizer *tok, int32_t id)
{
  const char *bytes;
  size_t len;
  if (pare_tokenizer_decode(tok, id, &bytes, &len) == PARE_TOK_OK)
    fwrite(bytes, 1, len, stdout);
  fflush(stdout);
}

/* How the next token is chosen (--temperature, --top-k, --top-p, --seed). */
typedef struct {
  double temperature, top_p;
  long top_k, seed;
} sampling;

#ifdef PARE_MODEL_DECODE_SAMPLE
static PARE_MODEL_SAMPLING gpu_sampling(const sampling *s)
{
  PARE_MODEL_SAMPLING g;
  g.temperature = (float)s->temperature;
  g.top_k = (int32_t)s->top_k;
  g.top_p = (float)s->top_p;
  g.seed = (uint64_t)s->seed;
  return g;
}
#endif

/* The prompt's ids as HF's default encode() gives them (with --chat, wrapped in the
   template first); exits on an error or an empty prompt. */
static void encode_prompt(pare_tokenizer *tok, const char *prompt, int chat, int32_t **ids,
                          size_t *n_ids)
{
  size_t len = strlen(prompt) + (chat ? strlen(CHAT_PREFIX) + strlen(CHAT_SUFFIX) : 0);
  char *text = (char *)malloc(len + 1);
  int rc;
  if (!text)
    die("out of memory", NULL);
  if (chat) {
    strcpy(text, CHAT_PREFIX);
    strcat(text, prompt);
    strcat(text, CHAT_SUFFIX);
  } else {
    strcpy(text, prompt);
  }
  rc = pare_tokenizer_encode_ex(tok, text, len, 1, ids, n_ids);
  free(text);
  if (rc != PARE_TOK_OK)
    die("cannot tokenize the prompt", pare_tokenizer_strerror(rc));
  if (*n_ids == 0)
    die("the prompt has no tokens", NULL);
}

static int generate(pare_tokenizer *tok, const char *prompt, long n_new, int chat,
                    const sampling *sampler, int print_ids, int profile, float *logits)
{
#ifdef PARE_MODEL_DECODE_SAMPLE
  PARE_MODEL_SAMPLING gpu = gpu_sampling(sampler);
#endif
  int32_t *made_ids = (int32_t *)malloc(sizeof(int32_t) * (size_t)(n_new > 0 ? n_new : 1));
  size_t n_ids = 0;
  int32_t *ids = NULL, next, stop_a, stop_b;
  int rc;
  long made = 0;
  double t0, t1, t2;
  if (!made_ids)
    die("out of memory", NULL);
  encode_prompt(tok, prompt, chat, &ids, &n_ids);
  stop_a = pare_tokenizer_token_id(tok, "<|im_end|>");
  stop_b = pare_tokenizer_token_id(tok, "<|endoftext|>");

  t0 = now_s();
  rc = n_ids > (size_t)PARE_MODEL_MAX_CONTEXT ? PARE_MODEL_ERR_CONTEXT
                                               : PARE_MODEL_PREFILL(ids, (int32_t)n_ids, logits);
  t1 = now_s();
  if (rc != PARE_MODEL_OK) {
    fprintf(stderr, "generate: prefill of the prompt's %lu tokens: %s\n", (unsigned long)n_ids,
            PARE_MODEL_STRERROR(rc));
    free(ids);
    free(made_ids);
    return 1;
  }
  if (!chat)
    fputs(prompt, stdout);
#ifdef PARE_MODEL_DECODE_SAMPLE
  /* The first token from the prefill's logits, on the device. */
  if (n_new > 0)
    check(PARE_MODEL_SAMPLE(&gpu, &next), "sample");
#endif
  while (made < n_new) {
#ifndef PARE_MODEL_DECODE_SAMPLE
    next = pick(logits, sampler->temperature);
#endif
    if (next == stop_a || next == stop_b) {
      made_ids[made++] = next; /* listed by --ids, as reference loops list it */
      break;
    }
    print_token(tok, next);
    made_ids[made++] = next;
    if (made == n_new)
      break;
    if (PARE_MODEL_POSITION() >= PARE_MODEL_MAX_CONTEXT) {
      fprintf(stderr, "\ngenerate: stopped at the model's context of %d tokens\n",
              (int)PARE_MODEL_MAX_CONTEXT);
      break;
    }
#ifdef PARE_MODEL_DECODE_SAMPLE
    check(PARE_MODEL_DECODE_SAMPLE(next, &gpu, &next), "decode");
#else
    check(PARE_MODEL_DECODE(next, logits), "decode");
#endif
  }
  t2 = now_s();
  fputc('\n', stdout);
  if (print_ids) {
    long k;
    fputs("ids:", stdout);
    for (k = 0; k < made; ++k)
      printf(" %ld", (long)made_ids[k]);
    fputc('\n', stdout);
  }
  fflush(stdout); /* the text before the figures when both go to one file */
  fprintf(stderr, "prefill: %lu tokens in %.1f ms (%.1f tokens/s)\n", (unsigned long)n_ids,
          1e3 * (t1 - t0), (double)n_ids / (t1 - t0 > 0 ? t1 - t0 : 1e-9));
  /* The first generated token comes from the prefill's logits; each later
     one is a decode step. */
  fprintf(stderr, "decode: %ld tokens in %.1f ms (%.1f tokens/s)\n", made > 0 ? made - 1 : 0,
          1e3 * (t2 - t1), made > 1 ? (double)(made - 1) / (t2 - t1 > 0 ? t2 - t1 : 1e-9) : 0.0);
#ifdef PARE_MODEL_PROFILE
  if (profile) {
    int32_t room = PARE_MODEL_MAX_CONTEXT - PARE_MODEL_POSITION();
    rc = PARE_MODEL_PROFILE(made > 0 ? made_ids[made - 1] : ids[n_ids - 1], room < 32 ? room : 32);
    if (rc != PARE_MODEL_OK)
      fprintf(stderr, "profile: unavailable: %s\n", PARE_MODEL_STRERROR(rc));
  }
#else
  (void)profile;
#endif
  free(made_ids);
  free(ids);
  return 0;
}

#ifdef PARE_MODEL_DECODE_BATCH
/* --batch B: the prompt in slots 0 .. B-1 (one PARE_MODEL_PREFILL_BATCH call where the model
   has it), then every unfinished sequence advanced by one
   PARE_MODEL_DECODE_BATCH step at a time (tokens picked on the host, each sequence with its
   own draws of the one generator); prints each sequence's continuation when all are done. */
static int generate_batch(pare_tokenizer *tok, const char *prompt, long n_new, int chat,
                          long batch, const sampling *sampler, int print_ids)
{
  size_t n_ids = 0, v = (size_t)PARE_MODEL_VOCAB;
  int32_t *ids = NULL, stop_a, stop_b;
  float *logits = (float *)malloc(sizeof(float) * v * (size_t)batch);
  int32_t *made = (int32_t *)malloc(sizeof(int32_t) * (size_t)batch * (size_t)(n_new > 0 ? n_new : 1));
  int32_t *next = (int32_t *)malloc(sizeof(int32_t) * (size_t)batch);
  int32_t *slots = (int32_t *)malloc(sizeof(int32_t) * (size_t)batch);
  int32_t *step_ids = (int32_t *)malloc(sizeof(int32_t) * (size_t)batch);
  long *count = (long *)calloc((size_t)batch, sizeof(long));
  char *done = (char *)malloc((size_t)batch);
  long b, k, decoded = 0, steps = 0;
  int32_t n, i;
  double t0, t1, t2;
  if (!logits || !made || !next || !slots || !step_ids || !count || !done)
    die("out of memory", NULL);
  encode_prompt(tok, prompt, chat, &ids, &n_ids);
  stop_a = pare_tokenizer_token_id(tok, "<|im_end|>");
  stop_b = pare_tokenizer_token_id(tok, "<|endoftext|>");
  PARE_MODEL_RESET();
  t0 = now_s();
  if (n_ids > (size_t)PARE_MODEL_MAX_CONTEXT) {
    fprintf(stderr, "generate: prefill of the prompt's %lu tokens: %s\n", (unsigned long)n_ids,
            PARE_MODEL_STRERROR(PARE_MODEL_ERR_CONTEXT));
    return 1;
  }
#ifdef PARE_MODEL_PREFILL_BATCH
  {
    /* Every copy of the prompt in one call: steps of up to PREFILL_CHUNK rows across them. */
    int32_t *all = (int32_t *)malloc(sizeof(int32_t) * n_ids * (size_t)batch);
    int32_t *counts = (int32_t *)malloc(sizeof(int32_t) * (size_t)batch);
    int rc;
    if (!all || !counts)
      die("out of memory", NULL);
    for (b = 0; b < batch; ++b) {
      memcpy(all + (size_t)b * n_ids, ids, sizeof(int32_t) * n_ids);
      counts[b] = (int32_t)n_ids;
      slots[b] = (int32_t)b;
    }
    rc = PARE_MODEL_PREFILL_BATCH(slots, counts, (int32_t)batch, all, logits);
    free(counts);
    free(all);
    check(rc, "prefill_batch");
  }
#else
  for (b = 0; b < batch; ++b)
    check(PARE_MODEL_PREFILL_SLOT((int32_t)b, ids, (int32_t)n_ids, logits + (size_t)b * v),
          "prefill_slot");
#endif
  t1 = now_s();
  for (b = 0; b < batch; ++b) {
    done[b] = n_new <= 0;
    next[b] = n_new > 0 ? pick(logits + (size_t)b * v, sampler->temperature) : 0;
  }
  for (;;) {
    /* Record each sequence's new token; those that go on form the next step. */
    n = 0;
    for (b = 0; b < batch; ++b) {
      if (done[b])
        continue;
      made[b * n_new + count[b]++] = next[b];
      if (next[b] == stop_a || next[b] == stop_b || count[b] == n_new ||
          PARE_MODEL_SLOT_POSITION((int32_t)b) >= PARE_MODEL_MAX_CONTEXT) {
        done[b] = 1;
        continue;
      }
      slots[n] = (int32_t)b;
      step_ids[n++] = next[b];
    }
    if (n == 0)
      break;
    check(PARE_MODEL_DECODE_BATCH(slots, step_ids, n, logits), "decode_batch");
    decoded += n;
    ++steps;
    for (i = 0; i < n; ++i)
      next[slots[i]] = pick(logits + (size_t)i * v, sampler->temperature);
  }
  t2 = now_s();
  for (b = 0; b < batch; ++b) {
    long c = count[b];
    printf("[%ld] ", b);
    if (!chat)
      fputs(prompt, stdout);
    for (k = 0; k < c; ++k)
      if (made[b * n_new + k] != stop_a && made[b * n_new + k] != stop_b)
        print_token(tok, made[b * n_new + k]);
    fputc('\n', stdout);
    if (print_ids) {
      printf("ids[%ld]:", b);
      for (k = 0; k < c; ++k)
        printf(" %ld", (long)made[b * n_new + k]);
      fputc('\n', stdout);
    }
  }
  fflush(stdout);
  fprintf(stderr, "prefill: %ld x %lu tokens in %.1f ms (%.1f tokens/s)\n", batch,
          (unsigned long)n_ids, 1e3 * (t1 - t0),
          (double)batch * (double)n_ids / (t1 - t0 > 0 ? t1 - t0 : 1e-9));
  fprintf(stderr, "decode: %ld tokens in %ld steps of up to %ld sequences in %.1f ms (%.1f tokens/s)\n",
          decoded, steps, batch, 1e3 * (t2 - t1),
          decoded > 0 ? (double)decoded / (t2 - t1 > 0 ? t2 - t1 : 1e-9) : 0.0);
  free(done);
  free(count);
  free(step_ids);
  free(slots);
  free(next);
  free(made);
  free(logits);
  free(ids);
  return 0;
}
#endif

/* -log softmax(logits)[next], in double. */
static double token_nll(const float *logits, int32_t next)
{
  double max = logits[0], sum = 0.0;
  int32_t i;
  for (i = 1; i < PARE_MODEL_VOCAB; ++i)
    if (logits[i] > max)
      max = logits[i];
  for (i = 0; i < PARE_MODEL_VOCAB; ++i)
    sum += exp((double)logits[i] - max);
  return max + log(sum) - (double)logits[next];
}

static int perplexity(pare_tokenizer *tok, const char *path, long window, long max_tokens,
                      float *logits)
{
  size_t len, n_ids = 0, start, t;
  char *text = read_file(path, &len);
  int32_t *ids = NULL;
  double nll = 0.0, t0, secs;
  long scored = 0, windows = 0;
  int rc = pare_tokenizer_encode(tok, text, len, &ids, &n_ids);
#ifdef PARE_MODEL_PREFILL_ALL
  /* The logits of one prefill chunk, every row. */
  float *rows = (float *)malloc(sizeof(float) * (size_t)PARE_MODEL_PREFILL_CHUNK *
                                (size_t)PARE_MODEL_VOCAB);
  if (!rows)
    die("out of memory", NULL);
#endif
  free(text);
  if (rc != PARE_TOK_OK)
    die("cannot tokenize the text", pare_tokenizer_strerror(rc));
  if (max_tokens > 0 && n_ids > (size_t)max_tokens)
    n_ids = (size_t)max_tokens;
  t0 = now_s();
  for (start = 0; start + 2 <= n_ids; start += (size_t)window) {
    size_t end = start + (size_t)window < n_ids ? start + (size_t)window : n_ids;
    PARE_MODEL_RESET();
#ifdef PARE_MODEL_PREFILL_ALL
    (void)logits;
    for (t = start; t + 1 < end;) {
      size_t n = end - 1 - t < (size_t)PARE_MODEL_PREFILL_CHUNK ? end - 1 - t
                                                                : (size_t)PARE_MODEL_PREFILL_CHUNK;
      size_t j;
      check(PARE_MODEL_PREFILL_ALL(ids + t, (int32_t)n, rows), "prefill_all");
      for (j = 0; j < n; ++j, ++t, ++scored)
        nll += token_nll(rows + j * (size_t)PARE_MODEL_VOCAB, ids[t + 1]);
    }
#else
    for (t = start; t + 1 < end; ++t) {
      check(PARE_MODEL_DECODE(ids[t], logits), "decode");
      nll += token_nll(logits, ids[t + 1]);
      ++scored;
    }
#endif
    ++windows;
  }
  secs = now_s() - t0;
  free(ids);
#ifdef PARE_MODEL_PREFILL_ALL
  free(rows);
#endif
  if (scored == 0)
    die("the text has fewer than 2 tokens", path);
  fprintf(stderr, "%ld tokens scored in %.1f s (%.1f tokens/s)\n", scored, secs,
          (double)scored / (secs > 0 ? secs : 1e-9));
  printf("perplexity: %.6f tokens: %ld windows: %ld\n", exp(nll / (double)scored), scored,
         windows);
  return 0;
}

int main(int argc, char **argv)
{
  const char *weights = NULL, *tok_path = NULL, *prompt = NULL, *ppl = NULL;
  long n_new = 128, window = 0, max_tokens = 0, batch = 0;
  sampling sampler = {0.0, 1.0, 0, 0};
  int chat = 0, print_ids = 0, profile = 0, i, rc;
  char err[512];
  pare_tokenizer *tok;
  float *logits;
  for (i = 1; i < argc; ++i) {
    const char *a = argv[i];
    int has_value = i + 1 < argc;
    if (!strcmp(a, "--chat")) {
      chat = 1;
    } else if (!strcmp(a, "--ids")) {
      print_ids = 1;
    } else if (!strcmp(a, "--profile")) {
#ifndef PARE_MODEL_PROFILE
      die("--profile needs the CUDA target (the kernel-family table times GPU launches)", NULL);
#endif
      profile = 1;
    } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage();
      return 0;
    } else if (!has_value) {
      fprintf(stderr, "generate: %s needs a value (or is unknown)\n", a);
      usage();
      return 1;
    } else if (!strcmp(a, "-w")) {
      weights = argv[++i];
    } else if (!strcmp(a, "--tokenizer")) {
      tok_path = argv[++i];
    } else if (!strcmp(a, "-p")) {
      prompt = argv[++i];
    } else if (!strcmp(a, "-n")) {
      n_new = parse_int("-n", argv[++i], 0, 1L << 30);
    } else if (!strcmp(a, "--temperature")) {
      char *end = NULL;
      const char *s = argv[++i];
      sampler.temperature = strtod(s, &end);
      if (!*s || *end || !(sampler.temperature >= 0.0) || sampler.temperature > 1e30)
        die("--temperature needs a number >= 0, not", s);
    } else if (!strcmp(a, "--top-p")) {
      char *end = NULL;
      const char *s = argv[++i];
      sampler.top_p = strtod(s, &end);
      if (!*s || *end || !(sampler.top_p > 0.0 && sampler.top_p <= 1.0))
        die("--top-p needs a number in (0, 1], not", s);
    } else if (!strcmp(a, "--top-k")) {
      sampler.top_k = parse_int("--top-k", argv[++i], 0, (long)PARE_MODEL_VOCAB);
    } else if (!strcmp(a, "--seed")) {
      sampler.seed = parse_int("--seed", argv[++i], 0, 2147483647L);
    } else if (!strcmp(a, "--ppl")) {
      ppl = argv[++i];
    } else if (!strcmp(a, "--window")) {
      window = parse_int("--window", argv[++i], 2, (long)PARE_MODEL_MAX_CONTEXT);
    } else if (!strcmp(a, "--max-tokens")) {
      max_tokens = parse_int("--max-tokens", argv[++i], 2, 2147483647L);
    } else if (!strcmp(a, "--batch")) {
#ifdef PARE_MODEL_DECODE_BATCH
      batch = parse_int("--batch", argv[++i], 1, (long)PARE_MODEL_MAX_BATCH);
#else
      die("--batch needs a model compiled with --max-batch N (N >= 2)", NULL);
#endif
    } else {
      fprintf(stderr, "generate: unknown option %s\n", a);
      usage();
      return 1;
    }
  }
  if (!weights || !tok_path || (!prompt && !ppl) || (prompt && ppl)) {
    usage();
    return 1;
  }
  if (ppl && window == 0)
    die("--ppl needs --window W (2 .. the model's context)", NULL);
  if (batch && (ppl || profile))
    die("--batch generates text; it does not combine with --ppl or --profile", NULL);
#ifndef PARE_MODEL_DECODE_SAMPLE
  if (sampler.top_k != 0 || sampler.top_p < 1.0)
    die("--top-k and --top-p need the CUDA target's GPU sampler; this model's runner samples "
        "on the host with --temperature only", NULL);
#endif
  if (batch && (sampler.top_k != 0 || sampler.top_p < 1.0))
    die("--batch samples on the host with --temperature only (no --top-k / --top-p)", NULL);
#ifdef PARE_HOST_SAMPLING
  rng_state ^= (uint64_t)sampler.seed * 0x9e3779b97f4a7c15ULL;
#endif

  tok = pare_tokenizer_load(tok_path, err, sizeof err);
  if (!tok)
    die(err, NULL);
  if (pare_tokenizer_check_vocab(tok, (int64_t)PARE_MODEL_VOCAB, err, sizeof err) != 0)
    die(err, NULL);
  rc = PARE_MODEL_INIT(weights);
  if (rc != PARE_MODEL_OK) {
    fprintf(stderr, "generate: %s: %s\n", weights, PARE_MODEL_STRERROR(rc));
    return 1;
  }
  logits = (float *)malloc(sizeof(float) * (size_t)PARE_MODEL_VOCAB);
  if (!logits)
    die("out of memory", NULL);
#ifdef PARE_MODEL_DECODE_BATCH
  if (batch)
    rc = generate_batch(tok, prompt, n_new, chat, batch, &sampler, print_ids);
  else
#endif
    rc = ppl ? perplexity(tok, ppl, window, max_tokens, logits)
             : generate(tok, prompt, n_new, chat, &sampler, print_ids, profile, logits);
  free(logits);
  PARE_MODEL_FREE();
  pare_tokenizer_free(tok);
  return rc;
}
