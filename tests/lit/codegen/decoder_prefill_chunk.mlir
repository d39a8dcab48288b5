// --prefill-chunk N: the rows of one prefill step of a decoder (a longer
// prompt runs in chunks, each reading every weight once), at most the
// context. The CUDA default is 512 (a 512-token prompt is one chunk), the C
// targets' min(64, context / 2). The hand-written Llama (Inputs/
// decoder_tiny.mlir) with a 1024-position context shows the defaults, a
// chunk of 128, one beyond the context (capped to 1024) and the C target's.
// N < 1 and a plain graph are errors.
// RUN: rm -rf %t && mkdir -p %t
// RUN: sed -e 's/max_context = 32 : i64/max_context = 1024 : i64/' %S/Inputs/decoder_tiny.mlir > %t/long.mlir
// RUN: pare compile %t/long.mlir --target cuda -o %t/cuda --name tiny -q
// RUN: pare compile %t/long.mlir --target cuda --cuda-gemm cublas -o %t/cublas --name tiny -q
// RUN: pare compile %t/long.mlir --target cuda --prefill-chunk 128 -o %t/cuda128 --name tiny -q
// RUN: pare compile %t/long.mlir --target cuda --prefill-chunk 4096 -o %t/cuda4096 --name tiny -q
// RUN: pare compile %t/long.mlir --target generic-c -o %t/c --name tiny -q
// RUN: pare compile %t/long.mlir --target generic-c --prefill-chunk 16 -o %t/c16 --name tiny -q
// RUN: grep -h "define TINY_PREFILL_CHUNK" %t/cuda/tiny.h %t/cublas/tiny.h %t/cuda128/tiny.h %t/cuda4096/tiny.h %t/c/tiny.h %t/c16/tiny.h | FileCheck %s
// RUN: not pare compile %t/long.mlir --target cuda --prefill-chunk 0 -o %t/bad 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not pare compile %S/cuda_matmul.onnxtext --target cuda --prefill-chunk 64 -o %t/bad 2>&1 | FileCheck %s --check-prefix=GRAPH
// RUN: not ls %t/bad

// CHECK: #define TINY_PREFILL_CHUNK 512
// CHECK-NEXT: #define TINY_PREFILL_CHUNK 512
// CHECK-NEXT: #define TINY_PREFILL_CHUNK 128
// CHECK-NEXT: #define TINY_PREFILL_CHUNK 1024
// CHECK-NEXT: #define TINY_PREFILL_CHUNK 64
// CHECK-NEXT: #define TINY_PREFILL_CHUNK 16

// ZERO: pare: error: --prefill-chunk: Value 0 not in range 1 to 1048576
// GRAPH: pare: error: --prefill-chunk applies to decoders (--max-context); this model compiles as a plain graph
