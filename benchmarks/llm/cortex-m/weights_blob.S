/*
 * A decoder's weights file (pare compile's <name>_weights.bin) as read-only
 * data, so that it stays in flash and <name>_init_from_memory binds the
 * weights in place: assemble with -DPARE_WEIGHTS_BIN='"path/to/x_weights.bin"'.
 * 16-byte aligned (the decoder reads its floats in place). Defines
 * pare_weights_blob and pare_weights_blob_end (decoder_main.c).
 */
  .section .rodata.pare_weights_blob, "a"
  .balign 16
  .global pare_weights_blob
  .global pare_weights_blob_end
pare_weights_blob:
  .incbin PARE_WEIGHTS_BIN
pare_weights_blob_end:

#if defined(__linux__) && defined(__ELF__)
/* The host build: no executable stack. */
  .section .note.GNU-stack, "", %progbits
#endif
