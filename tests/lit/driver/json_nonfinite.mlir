// JSON output is strict JSON (issue 12): a number that is not finite prints
// as null (here the int8 error of a layer whose float output is NaN), never as
// a bare nan; Python's json module, told to reject NaN, reads it.
// RUN: rm -rf %t && mkdir -p %t/cal
// RUN: %python -c "import numpy as n; n.save('%t/cal/x.npy', n.ones((1, 4), n.float32))"
// RUN: pare inspect %s --json --quantize int8 --calibration %t/cal > %t/out.json
// RUN: FileCheck %s --input-file %t/out.json
// RUN: %python -c "import json, sys; json.load(open(sys.argv[1]), parse_constant=lambda c: sys.exit('bad constant ' + c))" %t/out.json
// CHECK: "name": "mul",
// CHECK-NEXT: "sqnr_db": null,

func.func @main(%x: tensor<1x4xf32> {pare.name = "x"}) -> (tensor<1x4xf32> {pare.name = "y"}) {
  %c = pare.constant dense<[[0x7FC00000, 1.0, 2.0, 3.0]]> : tensor<1x4xf32> loc("c")
  %0 = pare.mul %x, %c : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32> loc("mul")
  return %0 : tensor<1x4xf32>
}
