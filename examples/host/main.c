/*
 * A host program that runs a model compiled by pare: the PaddleOCR text
 * direction classifier, compiled with
 *   pare compile examples/models/ppocr_cls_mobilenetv3.onnx \
 *       --input-shape x=1,3,48,192 --name ppocr_cls -o <dir>
 * It feeds a synthetic "text line" (dark glyph-like blobs on a light
 * background, normalised to [-1, 1] as PaddleOCR does), runs the model and
 * prints the two class probabilities.
 */
#include <stdio.h>

#include "ppocr_cls.h"

static float input[PPOCR_CLS_X_SIZE];
static float probs[PPOCR_CLS_SOFTMAX_0_TMP_0_SIZE];

int main(void) {
  const int c = 3, h = 48, w = 192;
  int ch, y, x, status;
  for (ch = 0; ch < c; ++ch)
    for (y = 0; y < h; ++y)
      for (x = 0; x < w; ++x) {
        /* Glyphs: 12-pixel cells with a stroke pattern in the middle rows. */
        int in_glyph = (y > 12 && y < 36) && ((x % 12) < 3 || ((x / 12) % 3 == 0 && y % 8 < 2));
        float pixel = in_glyph ? 0.1f : 0.9f;         /* ink on paper, in [0, 1] */
        input[(ch * h + y) * w + x] = (pixel - 0.5f) / 0.5f; /* PaddleOCR normalisation */
      }
  status = ppocr_cls_run(input, probs);
  if (status != 0) {
    fprintf(stderr, "ppocr_cls_run failed (%d)\n", status);
    return 1;
  }
  printf("arena: %d bytes\n", PPOCR_CLS_ARENA_BYTES);
  printf("P(upright)     = %.6f\n", probs[0]);
  printf("P(rotated 180) = %.6f\n", probs[1]);
  return 0;
}
