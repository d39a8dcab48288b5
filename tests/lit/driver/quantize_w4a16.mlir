// pare compile --quantize w4a16 on a decoder step function (one Llama layer,
// vocabulary 16): AWQ calibrated on token ids (.npy), round to nearest
// without calibration, and the refused flags and inputs (nothing written).
// RUN: rm -rf %t && mkdir -p %t/dir %t/text
// RUN: %python -c "import numpy as np; np.save('%t/ids.npy', (np.arange(40) * 7 % 16).astype(np.int64))"
// RUN: %python -c "import numpy as np; np.save('%t/dir/b.npy', (np.arange(20) * 5 % 16).astype(np.int32)); np.save('%t/dir/a.npy', (np.arange(20) * 3 % 16).astype(np.int32))"
// RUN: %python -c "import numpy as np; np.save('%t/big.npy', np.array([1, 2, 99], np.int64))"
// RUN: %python -c "import numpy as np; np.save('%t/float.npy', np.zeros(40, np.float32))"
// RUN: echo "some text" > %t/text/a.txt
// RUN: pare compile %S/../transforms/Inputs/w4a16_layer.mlir --max-context 32 --quantize w4a16 --group-size 16 --calibration %t/ids.npy --calibration-windows 3 --calibration-length 8 -v --compile-to quantize -o - 2>&1 | FileCheck %s --check-prefix=AWQ
// AWQ: pare: calibration: window 3/3
// AWQ: pare: w4a16: scale group: rms_norm 'input_layernorm' -> 'q_proj' 'k_proj' 'v_proj': alpha
// AWQ: pare: w4a16: scale group: gated product 'gated' -> 'down_proj'
// AWQ: pare: w4a16 g16 (AWQ): 7 linears to 4 bits, 4 scale groups; calibration 3 windows x 8 tokens (of 40 tokens in 1 file) in {{[0-9.]+}} s, search on 24 rows per linear input in
// AWQ-COUNT-7: pare.matmul_nbits
// RUN: pare compile %S/../transforms/Inputs/w4a16_layer.mlir --max-context 32 --quantize w4a16 --group-size 16 --calibration %t/dir --calibration-windows 100 --calibration-length 8 --compile-to quantize -o - 2>&1 | FileCheck %s --check-prefix=DIR
// DIR: pare: w4a16 g16 (AWQ): 7 linears to 4 bits, 4 scale groups; calibration 5 windows x 8 tokens (of 40 tokens in 2 files)
// --awq-search-rows: the searches' sample, at most every calibration token.
// RUN: pare compile %S/../transforms/Inputs/w4a16_layer.mlir --max-context 32 --quantize w4a16 --group-size 16 --calibration %t/ids.npy --calibration-windows 3 --calibration-length 8 --awq-search-rows 10 --compile-to quantize -o - 2>&1 | FileCheck %s --check-prefix=ROWS
// ROWS: pare: w4a16 g16 (AWQ): {{.*}}, search on 10 rows per linear input in
// RUN: pare compile %S/../transforms/Inputs/w4a16_layer.mlir --max-context 32 --quantize w4a16 --group-size 16 --calibration %t/ids.npy --calibration-windows 3 --calibration-length 8 --awq-search-rows 5000 --compile-to quantize -o - 2>&1 | FileCheck %s --check-prefix=ALLROWS
// ALLROWS: pare: w4a16 g16 (AWQ): {{.*}}, search on 24 rows per linear input in
// RUN: pare compile %S/../transforms/Inputs/w4a16_layer.mlir --max-context 32 --quantize w4a16 --group-size 32 --awq off --compile-to quantize -o - 2>&1 | FileCheck %s --check-prefix=RTN
// RTN: pare: w4a16 g32 (round to nearest): 7 linears to 4 bits{{$}}
// Not a decoder:
// RUN: not pare compile %S/max_context.onnxtext --max-context 64 --quantize w4a16 --awq off -o %t/out 2>&1 | FileCheck %s --check-prefix=NOTDEC
// NOTDEC: pare: error: --quantize w4a16 quantizes decoders; '{{.*}}max_context.onnxtext' is not one (the input is not integer token ids)
// Flags:
// RUN: not pare compile %S/../transforms/Inputs/w4a16_layer.mlir --quantize w4a16 --awq off -o %t/out 2>&1 | FileCheck %s --check-prefix=NOMAX
// NOMAX: pare: error: --quantize w4a16 quantizes decoders (LLMs): it needs --max-context N
// RUN: not pare compile %S/../transforms/Inputs/w4a16_layer.mlir --max-context 32 --quantize w4a16 --group-size 24 --awq off -o %t/out 2>&1 | FileCheck %s --check-prefix=POW2
// POW2: pare: error: --group-size must be a power of two >= 16, not 24
// RUN: not pare compile %S/../transforms/Inputs/w4a16_layer.mlir --max-context 32 --quantize w4a16 --group-size 64 --awq off -o %t/out 2>&1 | FileCheck %s --check-prefix=DIVIDE
// DIVIDE: node 'q_proj': error: the group size 64 does not divide this linear's 32 inputs (--group-size)
// RUN: not pare compile %S/../transforms/Inputs/w4a16_layer.mlir --max-context 32 --quantize w4a16 -o %t/out 2>&1 | FileCheck %s --check-prefix=NOCAL
// NOCAL: pare: error: --quantize w4a16 needs --calibration FILE|DIR (text, or token ids as .npy) for its AWQ search; --awq off quantizes without it (round to nearest)
// RUN: not pare compile %S/../transforms/Inputs/w4a16_layer.mlir --max-context 32 --quantize w4a16 --calibration %t/missing.txt -o %t/out 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: pare: error: --calibration '{{.*}}missing.txt' does not exist
// RUN: not pare compile %S/../transforms/Inputs/w4a16_layer.mlir --max-context 32 --group-size 32 -o %t/out 2>&1 | FileCheck %s --check-prefix=NOTW4
// NOTW4: pare: error: --group-size, --awq, --tokenizer, --calibration-windows and --calibration-length apply to --quantize w4a16
// RUN: not pare compile %S/../transforms/Inputs/w4a16_layer.mlir --max-context 32 --quantize w4a16 --awq off --awq-search-rows 64 -o %t/out 2>&1 | FileCheck %s --check-prefix=ROWSOFF
// ROWSOFF: pare: error: --awq-search-rows applies to --quantize w4a16 with AWQ (not --awq off)
// RUN: not pare compile %S/../transforms/Inputs/w4a16_layer.mlir --max-context 32 --quantize w8a8 --calibration %t/ids.npy --awq-search-rows 64 -o %t/out 2>&1 | FileCheck %s --check-prefix=ROWSOFF
// RUN: not pare compile %S/../transforms/Inputs/w4a16_layer.mlir --max-context 32 --quantize w4a16 --calibration %t/ids.npy --awq-search-rows 0 -o %t/out 2>&1 | FileCheck %s --check-prefix=ROWSZERO
// ROWSZERO: --awq-search-rows: must be a positive integer, not '0'
// RUN: not pare compile %S/../transforms/Inputs/w4a16_layer.mlir --max-context 32 --quantize w4a16 --awq maybe -o %t/out 2>&1 | FileCheck %s --check-prefix=AWQVAL
// AWQVAL: --awq: maybe not in {on,off}
// Calibration data:
// RUN: not pare compile %S/../transforms/Inputs/w4a16_layer.mlir --max-context 32 --quantize w4a16 --group-size 16 --calibration %t/ids.npy -o %t/out 2>&1 | FileCheck %s --check-prefix=SHORT
// SHORT: pare: error: --calibration '{{.*}}ids.npy' gives 40 tokens, fewer than one window of 512 (--calibration-length)
// RUN: not pare compile %S/../transforms/Inputs/w4a16_layer.mlir --max-context 32 --quantize w4a16 --group-size 16 --calibration %t/big.npy --calibration-length 2 -o %t/out 2>&1 | FileCheck %s --check-prefix=VOCAB
// VOCAB: pare: error: --calibration: '{{.*}}big.npy' holds the id 99, outside the model's vocabulary of 16
// RUN: not pare compile %S/../transforms/Inputs/w4a16_layer.mlir --max-context 32 --quantize w4a16 --group-size 16 --calibration %t/float.npy --calibration-length 2 -o %t/out 2>&1 | FileCheck %s --check-prefix=FLOAT
// FLOAT: pare: error: --calibration: '{{.*}}float.npy' is not token ids (a 1-D or 2-D integer array); its dtype is <f4
// RUN: not pare compile %S/../transforms/Inputs/w4a16_layer.mlir --max-context 32 --quantize w4a16 --group-size 16 --calibration %t/text -o %t/out 2>&1 | FileCheck %s --check-prefix=NOTOK
// NOTOK: pare: error: --calibration '{{.*}}a.txt' is text: pass the model's tokenizer with --tokenizer tokenizer.json (or give token ids as .npy files)
// RUN: not ls %t/out
