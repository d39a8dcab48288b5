/* Bare startup for QEMU mps2-an386 / mps2-an500 with newlib (rdimon semihosting).
   Reset: enable the FPU, copy .data, clear .bss, run constructors, call main, exit via semihosting. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern uint32_t __data_load, __data_start, __data_end, __bss_start__, __bss_end__, __stack_top;
extern int main(void);
extern void initialise_monitor_handles(void);
extern void __libc_init_array(void);
void Reset_Handler(void);
static void Fault_Handler(void) { exit(99); }

__attribute__((section(".vectors"), used)) static const void *const vectors[16] = {
    &__stack_top, (void *)Reset_Handler, (void *)Fault_Handler, (void *)Fault_Handler,
    (void *)Fault_Handler, (void *)Fault_Handler, (void *)Fault_Handler, 0, 0, 0, 0,
    (void *)Fault_Handler, (void *)Fault_Handler, 0, (void *)Fault_Handler, (void *)Fault_Handler};

void Reset_Handler(void)
{
  uint32_t *s, *d;
  *(volatile uint32_t *)0xE000ED88 |= 0xFu << 20; /* CPACR: CP10, CP11 full access */
  __asm volatile("dsb\n isb" ::: "memory");
  for (s = &__data_load, d = &__data_start; d < &__data_end;) *d++ = *s++;
  for (d = &__bss_start__; d < &__bss_end__;) *d++ = 0;
  initialise_monitor_handles();
  __libc_init_array();
  exit(main());
}
void _init(void) {}
void _fini(void) {}
