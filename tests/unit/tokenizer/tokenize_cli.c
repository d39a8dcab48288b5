/*
 * Test driver of runtime-stubs/llm/pare_tokenizer.c (test_tokenizer.py builds
 * and runs it).
 *
 *   tokenize_cli TOKENIZER.json [--special] [--out DIR] [--repeat N] [--check-vocab V] FILE...
 *
 * Encodes each FILE; with --out writes DIR/<i>.ids (int32 little-endian, the
 * i-th FILE from 0). Without --special (the template adds ids that are not in
 * the text), decodes the ids back one at a time and reports a file whose
 * concatenated bytes differ from its text (the round trip). Prints
 * one line per file, "FILE <tab> ids <tab> roundtrip ok|DIFF at byte N|skipped", then
 * "encode_seconds S tokens T bytes B" (S: processor seconds of the fastest of
 * --repeat runs of all files, each with a freshly loaded tokenizer: an empty
 * word cache). --check-vocab V only loads and runs pare_tokenizer_check_vocab;
 * --decode IDS decodes each id of the file IDS (int32 little-endian) and
 * writes, per id, its byte count (uint32 little-endian) and its bytes.
 * Exits 1 on a load, encode or round-trip failure, with the message on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pare_tokenizer.h"

static char *read_file(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  char *buf;
  long n;
  if (!f)
    return NULL;
  if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return NULL;
  }
  buf = (char *)malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = (size_t)n;
  return buf;
}

/* Processor time, not wall time: the figures stay meaningful on a loaded machine. */
static double now(void)
{
  return (double)clock() / (double)CLOCKS_PER_SEC;
}

int main(int argc, char **argv)
{
  char err[1024];
  const char *out_dir = NULL;
  int special = 0, repeat = 1, first_file = 0, i, status = 0, rep, roundtrip_failed = 0;
  long long check_vocab = -1;
  const char *decode_path = NULL;
  pare_tokenizer *tok;
  double best = -1.0;
  size_t total_ids = 0, total_bytes = 0;
  if (argc < 2) {
    fprintf(stderr, "usage: %s TOKENIZER.json [--special] [--out DIR] [--repeat N] "
                    "[--check-vocab V] FILE...\n", argv[0]);
    return 2;
  }
  for (i = 2; i < argc && !first_file; i++) {
    if (strcmp(argv[i], "--special") == 0)
      special = 1;
    else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
      out_dir = argv[++i];
    else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
      repeat = atoi(argv[++i]);
    else if (strcmp(argv[i], "--check-vocab") == 0 && i + 1 < argc)
      check_vocab = atoll(argv[++i]);
    else if (strcmp(argv[i], "--decode") == 0 && i + 1 < argc)
      decode_path = argv[++i];
    else
      first_file = i;
  }
  tok = pare_tokenizer_load(argv[1], err, sizeof(err));
  if (!tok) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  if (check_vocab >= 0) {
    int r = pare_tokenizer_check_vocab(tok, check_vocab, err, sizeof(err));
    printf("vocab_size %d\n", (int)pare_tokenizer_vocab_size(tok));
    if (r != PARE_TOK_OK)
      fprintf(stderr, "%s\n", err);
    pare_tokenizer_free(tok);
    return r == PARE_TOK_OK ? 0 : 1;
  }
  if (decode_path) {
    size_t len = 0, k;
    char *data = read_file(decode_path, &len);
    if (!data) {
      fprintf(stderr, "%s: cannot read\n", decode_path);
      pare_tokenizer_free(tok);
      return 1;
    }
    for (k = 0; k + 4 <= len && !status; k += 4) {
      const unsigned char *q = (const unsigned char *)data + k;
      int32_t id = (int32_t)((uint32_t)q[0] | ((uint32_t)q[1] << 8) | ((uint32_t)q[2] << 16) |
                             ((uint32_t)q[3] << 24));
      const char *b;
      size_t bl;
      unsigned char hdr[4];
      if (pare_tokenizer_decode(tok, id, &b, &bl) != PARE_TOK_OK) {
        fprintf(stderr, "id %d: decode failed\n", (int)id);
        status = 1;
        break;
      }
      hdr[0] = (unsigned char)(bl & 0xFF);
      hdr[1] = (unsigned char)((bl >> 8) & 0xFF);
      hdr[2] = (unsigned char)((bl >> 16) & 0xFF);
      hdr[3] = (unsigned char)((bl >> 24) & 0xFF);
      fwrite(hdr, 1, 4, stdout);
      fwrite(b, 1, bl, stdout);
    }
    free(data);
    pare_tokenizer_free(tok);
    return status;
  }
  for (rep = 0; rep < (repeat > 0 ? repeat : 1) && first_file && !status; rep++) {
    double t0, spent = 0.0;
    if (rep > 0) {
      /* Each timed run starts with an empty word cache, as a fresh process would. */
      pare_tokenizer_free(tok);
      tok = pare_tokenizer_load(argv[1], err, sizeof(err));
      if (!tok) {
        fprintf(stderr, "%s\n", err);
        return 1;
      }
    }
    for (i = first_file; i < argc && !status; i++) {
      size_t len = 0, n = 0, k, pos = 0;
      char *text = read_file(argv[i], &len);
      int32_t *ids = NULL;
      int r;
      long diff = -1;
      if (!text) {
        fprintf(stderr, "%s: cannot read\n", argv[i]);
        status = 1;
        break;
      }
      t0 = now();
      r = pare_tokenizer_encode_ex(tok, text, len, special, &ids, &n);
      spent += now() - t0;
      if (r != PARE_TOK_OK) {
        fprintf(stderr, "%s: encode failed: %s\n", argv[i], pare_tokenizer_strerror(r));
        free(text);
        status = 1;
        break;
      }
      if (rep == 0) {
        /* Round trip, one id at a time as a streaming runner prints them. */
        for (k = 0; k < n && !special; k++) {
          const char *b;
          size_t bl;
          if (pare_tokenizer_decode(tok, ids[k], &b, &bl) != PARE_TOK_OK) {
            diff = (long)pos;
            break;
          }
          if (pos + bl > len || memcmp(text + pos, b, bl) != 0) {
            size_t j = 0;
            while (pos + j < len && j < bl && text[pos + j] == b[j])
              j++;
            diff = (long)(pos + j);
            break;
          }
          pos += bl;
        }
        if (!special && diff < 0 && pos != len)
          diff = (long)pos;
        if (out_dir) {
          char path[4096];
          FILE *f;
          snprintf(path, sizeof(path), "%s/%d.ids", out_dir, i - first_file);
          f = fopen(path, "wb");
          if (!f || (n && fwrite(ids, sizeof(int32_t), n, f) != n)) {
            fprintf(stderr, "%s: cannot write\n", path);
            status = 1;
          }
          if (f)
            fclose(f);
        }
        if (diff >= 0) {
          printf("%s\t%zu\troundtrip DIFF at byte %ld\n", argv[i], n, diff);
          roundtrip_failed = 1;
        } else {
          printf("%s\t%zu\troundtrip %s\n", argv[i], n, special ? "skipped" : "ok");
        }
        total_ids += n;
        total_bytes += len;
      }
      free(ids);
      free(text);
    }
    if (best < 0 || spent < best)
      best = spent;
  }
  if (first_file)
    printf("encode_seconds %.6f tokens %zu bytes %zu\n", best, total_ids, total_bytes);
  pare_tokenizer_free(tok);
  return status || roundtrip_failed;
}
