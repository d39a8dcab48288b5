/*
 * Startup code for a bare-metal Cortex-M firmware under QEMU (or on a board
 * with a debugger attached): the vector table, Reset_Handler, fault handlers
 * and the exit path through Arm semihosting.
 *
 * Reset_Handler copies .data from flash to SRAM, zeroes .bss, turns the FPU
 * on when the code is compiled for one, calls main() and ends the program with
 * main's status (QEMU exits with that status). A fault prints "HardFault" with
 * the faulting pc and exits with status 3.
 *
 * There is no heap: _sbrk always fails, so a stray malloc() returns NULL
 * instead of silently growing into the stack. The model keeps its activations
 * in a static arena (.bss) and its weights in flash (.rodata).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "semihosting.h"

int main(void);
extern void initialise_monitor_handles(void); /* librdimon: opens stdin/stdout/stderr */

/* Symbols defined by the linker script (see sections.ld). */
extern uint32_t __data_load__, __data_start__, __data_end__, __bss_start__, __bss_end__;
extern uint32_t __stack_top__;

/* ------------------------------------------------------------ semihosting */
int pare_semihost(int op, const void *arg) {
  register int r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void pare_semihost_puts(const char *s) { pare_semihost(SYS_WRITE0, s); }

void pare_exit(int status) {
  /* SYS_EXIT_EXTENDED carries an exit code; QEMU exits with it. */
  const uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
  for (;;)
    pare_semihost(SYS_EXIT_EXTENDED, block);
}

/* --------------------------------------------------------------- handlers */
void Reset_Handler(void) {
  uint32_t *src = &__data_load__, *dst = &__data_start__;
  while (dst < &__data_end__)
    *dst++ = *src++;
  for (dst = &__bss_start__; dst < &__bss_end__;)
    *dst++ = 0;
#ifdef __ARM_FP
  /* CPACR: full access to coprocessors 10 and 11 (the FPU). */
  *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
  initialise_monitor_handles();
  pare_exit(main());
}

static void put_hex(const char *label, uint32_t v) {
  char buf[24];
  int i;
  pare_semihost_puts(label);
  for (i = 0; i < 8; ++i)
    buf[i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 0xFu];
  buf[8] = '\0';
  pare_semihost_puts(buf);
}

/* Called by HardFault_Handler with the exception stack frame (r0-r3, r12, lr, pc, xpsr). */
__attribute__((used)) void pare_hardfault(const uint32_t *frame) {
  put_hex("HardFault: pc=0x", frame[6]);
  put_hex(" lr=0x", frame[5]);
  put_hex(" cfsr=0x", *(volatile uint32_t *)0xE000ED28u);
  put_hex(" hfsr=0x", *(volatile uint32_t *)0xE000ED2Cu);
  pare_semihost_puts("\n");
  pare_exit(3);
}

__attribute__((naked)) void HardFault_Handler(void) {
  /* Only the main stack is used, so the frame is on MSP. */
  __asm__ volatile("mrs r0, msp\n\tb pare_hardfault");
}

void Default_Handler(void) {
  uint32_t ipsr;
  __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
  put_hex("unexpected exception ", ipsr);
  pare_semihost_puts("\n");
  pare_exit(4);
}

/* No heap: newlib's malloc() fails cleanly (its stdio is given a static buffer in main.c). */
void *_sbrk(ptrdiff_t incr) {
  (void)incr;
  errno = ENOMEM;
  return (void *)-1;
}

/* ----------------------------------------------------------- vector table */
typedef void (*pare_handler)(void);
struct pare_vectors {
  uint32_t *initial_sp;
  pare_handler handlers[15]; /* exceptions 1..15; no device interrupts are used */
};

__attribute__((section(".vectors"), used)) const struct pare_vectors pare_vector_table = {
    &__stack_top__,
    {
        Reset_Handler,     /* 1 Reset */
        Default_Handler,   /* 2 NMI */
        HardFault_Handler, /* 3 HardFault (MemManage, BusFault, UsageFault escalate here) */
        Default_Handler,   /* 4 MemManage */
        Default_Handler,   /* 5 BusFault */
        Default_Handler,   /* 6 UsageFault */
        0, 0, 0, 0,        /* 7-10 reserved */
        Default_Handler,   /* 11 SVCall */
        Default_Handler,   /* 12 DebugMonitor */
        0,                 /* 13 reserved */
        Default_Handler,   /* 14 PendSV */
        Default_Handler,   /* 15 SysTick */
    },
};
