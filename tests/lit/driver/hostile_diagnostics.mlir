// A diagnostic stays one line whatever the node's name holds (issue 12):
// newlines, escape sequences, control and non-ASCII bytes are escaped and
// long names cut at 120 bytes with "...".
// RUN: rm -rf %t && mkdir -p %t
// RUN: not pare compile %s -o %t/out 2>%t/err
// RUN: FileCheck %s --input-file %t/err
// RUN: count 1 < %t/err
// RUN: not grep -P '[\x00-\x08\x0b-\x1f\x7f-\xff]' %t/err
// CHECK: node 'bad\nnode\033[31m */ \001\377\\{{z+}}...': error: the C target cannot emit pare.add: element type other than float32, int32, int64

func.func @main(%a: tensor<4xf64>) -> tensor<4xf64> {
  %0 = pare.add %a, %a : (tensor<4xf64>, tensor<4xf64>) -> tensor<4xf64> loc("bad\0Anode\1B[31m */ \01\FF\5Czzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")
  return %0 : tensor<4xf64>
}
