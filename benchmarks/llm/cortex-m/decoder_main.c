/*
 * A decoder compiled by pare (the C target, here --quantize w8a8) run bare
 * metal: the weights file is linked into flash (weights_blob.S, .incbin) and
 * bound in place by <name>_init_from_memory, so nothing is allocated or read
 * from a file; the activations, the KV cache and the int8 codes are the
 * decoder's static arrays (.bss). The same source builds for the host (gcc,
 * -DPARE_DEMO_HOST), so that the two runs can be compared.
 *
 * It prefills PROMPT (its bytes are the token ids: the demo model has a
 * byte vocabulary) and then decodes PARE_DEMO_TOKENS tokens greedily,
 * printing, over semihosting on the MPS2 boards:
 *
 *   prefill 16: 1234567 instructions
 *   step 0: token 101, 123456 instructions
 *   logits 0 0: 3c8e2a1f 3c0b... (8 logits a line, IEEE-754 bits)
 *   ...
 *   stack: 1234 bytes
 *
 * (step 0's logits are the prefill's; instructions from the MPS2 FPGAIO
 * counter under qemu -icount, examples/cortex-m/cycles.h; 0 on the host.)
 * With -DPARE_DEMO_PROFILE and kernel_profile.c, also the instructions of
 * each runtime kernel over the decode steps ("profile ..." lines).
 * benchmarks/llm/w8a8_cortex_m.sh builds and runs it and reads these lines.
 */
#include "pare_model.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef PARE_DEMO_HOST
static void pare_count_begin(void) {}
static uint64_t pare_count_end(void) { return 0; }
static unsigned long pare_stack_used(void) { return 0; }
#else
#include "cycles.h"
#include "startup.h"
#endif

#ifdef PARE_DEMO_PROFILE
/* kernel_profile.c: instructions per runtime kernel over the decode steps. */
void pare_demo_profile_reset(void);
void pare_demo_profile_print(void);
#endif

#ifndef PARE_DEMO_TOKENS
#define PARE_DEMO_TOKENS 16
#endif

extern const unsigned char pare_weights_blob[];
extern const unsigned char pare_weights_blob_end[];

static const char prompt[] = "Call me Ishmael.";
static float logits[PARE_MODEL_VOCAB];

static void print_logits(int step)
{
  int i;
  for (i = 0; i < PARE_MODEL_VOCAB; ++i) {
    uint32_t bits;
    memcpy(&bits, &logits[i], sizeof bits);
    if (i % 8 == 0)
      printf("logits %d %d:", step, i);
    printf(" %08lx", (unsigned long)bits);
    if (i % 8 == 7 || i == PARE_MODEL_VOCAB - 1)
      putchar('\n');
  }
}

static int32_t argmax(void)
{
  int32_t i, best = 0;
  for (i = 1; i < PARE_MODEL_VOCAB; ++i)
    if (logits[i] > logits[best])
      best = i;
  return best;
}

static char stdout_buffer[128];

int main(void)
{
  int32_t ids[sizeof prompt - 1];
  int32_t n = (int32_t)(sizeof prompt - 1), i, next;
  unsigned long instr;
  int rc;
  setvbuf(stdout, stdout_buffer, _IOLBF, sizeof stdout_buffer); /* not from the heap */
  rc = PARE_MODEL_INIT_FROM_MEMORY(pare_weights_blob,
                                   (size_t)(pare_weights_blob_end - pare_weights_blob));
  if (rc != PARE_MODEL_OK) {
    printf("init: %s\n", PARE_MODEL_STRERROR(rc));
    return 1;
  }
  printf("model: %s, vocab %d, max context %d\n", PARE_MODEL_NAME, PARE_MODEL_VOCAB,
         PARE_MODEL_MAX_CONTEXT);
  for (i = 0; i < n; ++i)
    ids[i] = (int32_t)(unsigned char)prompt[i];
  pare_count_begin();
  rc = PARE_MODEL_PREFILL(ids, n, logits);
  instr = (unsigned long)pare_count_end();
  if (rc != PARE_MODEL_OK) {
    printf("prefill: %s\n", PARE_MODEL_STRERROR(rc));
    return 1;
  }
  printf("prefill %ld: %lu instructions\n", (long)n, instr);
#ifdef PARE_DEMO_PROFILE
  pare_demo_profile_reset();
#endif
  for (i = 0; i < PARE_DEMO_TOKENS; ++i) {
    next = argmax();
    print_logits((int)i);
    if (i + 1 == PARE_DEMO_TOKENS) {
      printf("step %ld: token %ld\n", (long)i, (long)next);
      break;
    }
    pare_count_begin();
    rc = PARE_MODEL_DECODE(next, logits);
    instr = (unsigned long)pare_count_end();
    if (rc != PARE_MODEL_OK) {
      printf("decode: %s\n", PARE_MODEL_STRERROR(rc));
      return 1;
    }
    printf("step %ld: token %ld, %lu instructions\n", (long)i, (long)next, instr);
  }
#ifdef PARE_DEMO_PROFILE
  pare_demo_profile_print();
#endif
  printf("stack: %lu bytes\n", pare_stack_used());
  fflush(stdout);
  return 0;
}
