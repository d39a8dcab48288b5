/* Drives the code generated from header.mlir through its public API only:
 * the shape / size macros, NAME_run and NAME_run_with_arena. */
#include <stdio.h>
#include <stdint.h>

#include "My_Net.h"

int main(void) {
  static const float a[MY_NET_INPUT_1_SIZE] = {1.0f, 2.0f, 3.0f};
  static const float b[MY_NET_INPUT_1_1_SIZE] = {10.0f, 20.0f, 30.0f};
  static const uint8_t mask[MY_NET_OUT_Y_SIZE] = {1, 0, 1};
  float y[MY_NET_OUT_Y_SIZE];
  uint8_t first[MY_NET_T_1ST_SIZE];
  float copy[MY_NET_COPY_SIZE];
  static const long shape[MY_NET_OUT_Y_RANK] = MY_NET_OUT_Y_SHAPE;
  /* One byte more than needed, so that arena + 1 is misaligned but in bounds. */
  static union { uint8_t bytes[MY_NET_ARENA_BYTES + MY_NET_ARENA_ALIGN]; double align; } arena;
  int i, rc;

  rc = My_Net_run(a, b, mask, y, first, copy);
  printf("run: %d shape: %ldx%ld\n", rc, shape[0], shape[1]);
  for (i = 0; i < MY_NET_OUT_Y_SIZE; ++i)
    printf("y[%d] = %g, 1st[%d] = %d, copy[%d] = %g\n", i, y[i], i, first[i], i, copy[i]);
  rc = My_Net_run_with_arena(a, b, mask, y, first, copy, arena.bytes + 1);
  printf("misaligned: %d\n", rc);
  return 0;
}
