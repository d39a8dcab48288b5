/* What startup.c offers the rest of the firmware: Arm semihosting (the few
 * operations used here), the exit path, the stack and heap high-water marks. */
#ifndef PARE_STARTUP_H
#define PARE_STARTUP_H

#define SYS_WRITE0 0x04        /* write a NUL-terminated string to the console */
#define SYS_EXIT_EXTENDED 0x20 /* exit with a status code */
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

int pare_semihost(int op, const void *arg);
void pare_semihost_puts(const char *s);
void pare_exit(int status) __attribute__((noreturn));

/* Bytes of stack used so far (the stack is painted at reset and scanned). */
unsigned long pare_stack_used(void);
/* Bytes of heap handed to malloc so far (newlib's stdio; see startup.c). */
unsigned long pare_heap_used(void);

#endif
