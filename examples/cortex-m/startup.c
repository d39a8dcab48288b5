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
 * The model needs no heap (its activations are a static arena in .bss, its
 * weights are in flash). newlib-nano's stdio does allocate its FILE structures
 * once, at the first printf, so the linker script reserves a small .heap
 * (PARE_HEAP_BYTES) and _sbrk below hands out exactly that, never more.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "startup.h"

int main(void);
extern void initialise_monitor_handles(void); /* librdimon: opens stdin/stdout/stderr */

/* Symbols defined by the linker script (see sections.ld). */
extern uint32_t __data_load__, __data_start__, __data_end__, __bss_start__, __bss_end__;
extern uint32_t __stack_guard__, __stack_limit__, __stack_top__;
extern char __heap_start__[], __heap_end__[];
static char *heap_break = __heap_start__;

#define STACK_PAINT 0x5AC3A55Au

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
  uint32_t *src = &__data_load__, *dst = &__data_start__, *sp;
  /* Paint the free stack below this frame, for pare_stack_used(). */
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  for (src = &__stack_limit__; src < sp - 16;)
    *src++ = STACK_PAINT;
  src = &__data_load__;
  while (dst < &__data_end__)
    *dst++ = *src++;
  for (dst = &__bss_start__; dst < &__bss_end__;)
    *dst++ = 0;
#if defined(__ARM_ARCH_7EM__) || defined(__ARM_ARCH_7M__)
  /* ARMv7-M MPU region 0: the 32 bytes below the stack, no access, so a stack
   * overflow faults (QEMU ignores writes below SRAM; a board may too). */
  *(volatile uint32_t *)0xE000ED98u = 0;                          /* MPU_RNR: region 0 */
  *(volatile uint32_t *)0xE000ED9Cu = (uint32_t)&__stack_guard__; /* MPU_RBAR: base */
  *(volatile uint32_t *)0xE000EDA0u = (1u << 28) | (4u << 1) | 1u; /* MPU_RASR: XN, AP=0, 32 B, on */
  *(volatile uint32_t *)0xE000ED94u = (1u << 2) | 1u;             /* MPU_CTRL: PRIVDEFENA, on */
  __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
#ifdef __ARM_FP
  /* CPACR: full access to coprocessors 10 and 11 (the FPU). */
  *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
  initialise_monitor_handles();
  pare_exit(main());
}

unsigned long pare_stack_used(void) {
  const uint32_t *p = &__stack_limit__;
  while (p < &__stack_top__ && *p == STACK_PAINT)
    ++p;
  return (unsigned long)((const char *)&__stack_top__ - (const char *)p);
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
  /* Only the main stack is used, so the frame is on MSP. Report from a fresh
   * stack: the old one may be what overflowed. */
  __asm__ volatile("mrs r0, msp\n\tldr r1, =__stack_top__\n\tmov sp, r1\n\tb pare_hardfault");
}

void Default_Handler(void) {
  uint32_t ipsr;
  __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
  put_hex("unexpected exception ", ipsr);
  pare_semihost_puts("\n");
  pare_exit(4);
}

/* malloc's source of memory: the .heap section, and nothing beyond it. */
void *_sbrk(ptrdiff_t incr) {
  char *prev = heap_break;
  if (incr < 0 || incr > __heap_end__ - heap_break) {
    errno = ENOMEM;
    return (void *)-1;
  }
  heap_break += incr;
  return prev;
}

unsigned long pare_heap_used(void) { return (unsigned long)(heap_break - __heap_start__); }

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
