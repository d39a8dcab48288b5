/* Instruction counting with the MPS2 FPGAIO counter; see cycles.h. */
#include "cycles.h"

#define FPGAIO_COUNTER (*(volatile const uint32_t *)0x40028018u) /* 25 MHz free-running */

static uint32_t start_ticks, last_ticks;

void pare_count_begin(void) { start_ticks = FPGAIO_COUNTER; }

uint64_t pare_count_end(void) {
  last_ticks = FPGAIO_COUNTER - start_ticks; /* modulo 2^32 */
  /* ticks * 40 ns / 2^shift ns per instruction, rounded to nearest */
  return ((uint64_t)last_ticks * 40u + ((1u << PARE_ICOUNT_SHIFT) >> 1)) >> PARE_ICOUNT_SHIFT;
}

uint32_t pare_count_ticks(void) { return last_ticks; }
