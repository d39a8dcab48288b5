/* Arm semihosting: the few operations this firmware uses (see startup.c). */
#ifndef PARE_SEMIHOSTING_H
#define PARE_SEMIHOSTING_H

#define SYS_WRITE0 0x04                     /* write a NUL-terminated string to the console */
#define SYS_EXIT_EXTENDED 0x20              /* exit with a status code */
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

int pare_semihost(int op, const void *arg);
void pare_semihost_puts(const char *s);
void pare_exit(int status) __attribute__((noreturn));

#endif
