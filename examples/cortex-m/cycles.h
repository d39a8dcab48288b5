/*
 * Instruction counting under QEMU's -icount.
 *
 * QEMU does not model cycles. With "-icount shift=S,sleep=off" every guest
 * instruction advances the virtual clock by 2^S ns, and the MPS2 board timers
 * tick at 25 MHz (40 ns), so the FPGAIO COUNTER at 0x40028018 measures
 * instructions: one tick is 40 / 2^S instructions.
 *   shift=7 (default): 3.2 ticks per instruction, an exact count
 *                      (up to 2^32 / 3.2 = 1.3e9 instructions per measurement);
 *   shift=0:           one tick per 40 instructions (up to 1.7e11).
 * Build with -DPARE_ICOUNT_SHIFT=S matching the QEMU command line.
 *
 * On real hardware use the DWT cycle counter instead; these registers only
 * exist on the MPS2 boards.
 */
#ifndef PARE_CYCLES_H
#define PARE_CYCLES_H

#include <stdint.h>

#ifndef PARE_ICOUNT_SHIFT
#define PARE_ICOUNT_SHIFT 7
#endif

/* Starts a measurement. */
void pare_count_begin(void);
/* Instructions executed since pare_count_begin() (rounded to the nearest one). */
uint64_t pare_count_end(void);
/* Raw counter ticks of the last measurement (25 MHz). */
uint32_t pare_count_ticks(void);

#endif
