// pare.temporal_shift with mode bidirectional_reversed (channels [0, fold)
// from frame t-1, [fold, 2 fold) from t+1): the kernels take it as
// bidirectional = 2, alone and when the shift is fused into the 1x1
// convolution that reads it (the row gather).
// RUN: rm -rf %t && pare compile %s -o %t/split --name tr -q --shift-fusion off
// RUN: FileCheck %s --check-prefix=SPLIT --input-file %t/split/tr.c
// RUN: cd %t/split && for f in *.c; do gcc -std=c99 -Wall -Wextra -Werror -pedantic -c "$f" -o "$f.o" || exit 1; done
// RUN: pare compile %s -o %t/fused --name tr -q
// RUN: FileCheck %s --check-prefix=FUSED --input-file %t/fused/tr.c
// RUN: cd %t/fused && for f in *.c; do gcc -std=c99 -Wall -Wextra -Werror -pedantic -c "$f" -o "$f.o" || exit 1; done

// SPLIT: /* bidirectional_reversed shift of 2 channels each way over clips of 4 frames */
// SPLIT: pare_temporal_shift(4, {{[a-z0-9_]+}}, {{[a-z0-9_]+}}, 8, 4, 16, 6, 2, 2, 1, &tsm_zero);

// FUSED: /* input read through a bidirectional_reversed temporal shift (2 channels each way, clips of 4 frames), never stored:
// FUSED: pare_temporal_shift_row(4, {{[a-z0-9_]+}}, tsm_row, tsm_f, 4, 2, 3, 16, tsm_r, 2, 2, &tsm_zero);
// FUSED-NOT: pare_temporal_shift(

func.func @main(%x: tensor<8x16x2x3xf32> {pare.name = "x"}) -> (tensor<8x4x2x3xf32> {pare.name = "y"}) {
  %w = pare.constant dense<0.5> : tensor<4x16x1x1xf32>
  %s = pare.temporal_shift %x {frames = 4 : i64, fold = 2 : i64, mode = "bidirectional_reversed"} : (tensor<8x16x2x3xf32>) -> tensor<8x16x2x3xf32> loc("tsm")
  %y = pare.conv %s, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<8x16x2x3xf32>, tensor<4x16x1x1xf32>) -> tensor<8x4x2x3xf32> loc("conv")
  return %y : tensor<8x4x2x3xf32>
}
