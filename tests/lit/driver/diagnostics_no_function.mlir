// A module without a function: every command refuses it with one error and
// exit 1 (compile names the @main it looks for).
// RUN: rm -rf %t && mkdir -p %t
// RUN: not pare profile %s 2>&1 | FileCheck %s
// RUN: not pare profile %s --quantize int8 --json 2>&1 | FileCheck %s
// RUN: not pare validate %s --reference %t 2>&1 | FileCheck %s
// RUN: not pare inspect %s 2>&1 | FileCheck %s
// RUN: not pare inspect %s --quantize int8 --calibration %t 2>&1 | FileCheck %s
// RUN: not pare compile %s -o %t/out 2>&1 | FileCheck %s --check-prefix=COMPILE
// RUN: not ls %t/out
// CHECK: pare: error: the model has no function
// COMPILE: error: no func.func @main to emit

module {
}
