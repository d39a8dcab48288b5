/*
 * Runs a model compiled by pare once on a test input compiled into the
 * firmware, and prints over semihosting, one value a line:
 *
 *   model: ppocr_cls
 *   output 0 "softmax_0.tmp_0" float 2
 *   out0[0] = 9.99997199e-01 (0x3f7fffd1)
 *   out0[1] = 2.80146486e-06 (0x363c0003)
 *   status: 0
 *   instructions: 123456789
 *   stack: 1234 bytes
 *   heap: 428 bytes
 *
 * Floats are printed with 9 significant digits and, in parentheses, their
 * exact IEEE-754 bits; integers (int8 / uint8 models) as plain decimals.
 *
 * Everything model-specific comes from PARE_TEST_INPUT, a header that
 * scripts/run_cortex_m.py writes: it includes the model's header and defines
 *   the input arrays (const, so they stay in flash) and the output buffers,
 *   PARE_MODEL_NAME_STR  the model's name, as a string,
 *   PARE_RUN()           the call, e.g. ppocr_cls_run(pare_in0, pare_out0),
 *   PARE_OUTPUTS         { {name, PARE_T_F32, buffer, element count}, ... }.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cycles.h"
#include "startup.h"

enum pare_type { PARE_T_F32, PARE_T_F64, PARE_T_I8, PARE_T_U8, PARE_T_I16, PARE_T_U16,
                 PARE_T_I32, PARE_T_U32, PARE_T_I64, PARE_T_U64 };

struct pare_output {
  const char *name;
  enum pare_type type;
  const void *data;
  unsigned long count;
};

#include PARE_TEST_INPUT

static const char *const type_names[] = {"float",   "double",   "int8_t",  "uint8_t",
                                         "int16_t", "uint16_t", "int32_t", "uint32_t",
                                         "int64_t", "uint64_t"};

/* newlib-nano's printf has no %lld and its %e needs malloc; these two cover it. */
static void print_u64(uint64_t v) {
  char buf[21];
  int i = 20;
  buf[i] = '\0';
  do {
    buf[--i] = (char)('0' + v % 10u);
    v /= 10u;
  } while (v);
  fputs(buf + i, stdout);
}

static void print_i64(int64_t v) {
  if (v < 0) {
    putchar('-');
    print_u64(0u - (uint64_t)v);
  } else {
    print_u64((uint64_t)v);
  }
}

/* 9 significant digits, d.dddddddde+XX: enough to tell any two floats apart. */
static void print_real(double v) {
  uint64_t digits;
  int exp10 = 0;
  if (v != v) {
    fputs("nan", stdout);
    return;
  }
  if (v < 0 || (v == 0 && 1 / v < 0)) {
    putchar('-');
    v = -v;
  }
  if (v > 1.7976931348623157e308) {
    fputs("inf", stdout);
    return;
  }
  if (v != 0) {
    while (v >= 10) {
      v /= 10;
      ++exp10;
    }
    while (v < 1) {
      v *= 10;
      --exp10;
    }
  }
  digits = (uint64_t)(v * 1e8 + 0.5);
  if (digits >= 1000000000u) { /* rounding carried into a new digit */
    digits /= 10u;
    ++exp10;
  }
  printf("%lu.%08lue%c%02d", (unsigned long)(digits / 100000000u),
         (unsigned long)(digits % 100000000u), exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
}

static void print_element(enum pare_type type, const void *data, unsigned long i) {
  switch (type) {
  case PARE_T_F32: {
    float f = ((const float *)data)[i];
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    print_real(f);
    printf(" (0x%08lx)", (unsigned long)bits);
    break;
  }
  case PARE_T_F64: print_real(((const double *)data)[i]); break;
  case PARE_T_I8: print_i64(((const int8_t *)data)[i]); break;
  case PARE_T_U8: print_i64(((const uint8_t *)data)[i]); break;
  case PARE_T_I16: print_i64(((const int16_t *)data)[i]); break;
  case PARE_T_U16: print_i64(((const uint16_t *)data)[i]); break;
  case PARE_T_I32: print_i64(((const int32_t *)data)[i]); break;
  case PARE_T_U32: print_i64(((const uint32_t *)data)[i]); break;
  case PARE_T_I64: print_i64(((const int64_t *)data)[i]); break;
  case PARE_T_U64: print_u64(((const uint64_t *)data)[i]); break;
  }
}

static char stdout_buffer[128];

int main(void) {
  static const struct pare_output outputs[] = PARE_OUTPUTS;
  const unsigned num_outputs = sizeof outputs / sizeof outputs[0];
  uint64_t instructions;
  unsigned long stack;
  unsigned o;
  unsigned long i;
  int status;

  setvbuf(stdout, stdout_buffer, _IOLBF, sizeof stdout_buffer); /* not from the heap */
  printf("model: %s\n", PARE_MODEL_NAME_STR);

  pare_count_begin();
  status = PARE_RUN();
  instructions = pare_count_end();
  stack = pare_stack_used();

  for (o = 0; o < num_outputs; ++o) {
    printf("output %u \"%s\" %s %lu\n", o, outputs[o].name, type_names[outputs[o].type],
           outputs[o].count);
    for (i = 0; i < outputs[o].count; ++i) {
      printf("out%u[%lu] = ", o, i);
      print_element(outputs[o].type, outputs[o].data, i);
      putchar('\n');
    }
  }
  printf("status: %d\n", status);
  fputs("instructions: ", stdout);
  print_u64(instructions);
  printf("\nticks: %lu (icount shift %d)\n", (unsigned long)pare_count_ticks(), PARE_ICOUNT_SHIFT);
  printf("stack: %lu bytes\nheap: %lu bytes\n", stack, pare_heap_used());
  fflush(stdout);
  return status == 0 ? 0 : 1;
}
