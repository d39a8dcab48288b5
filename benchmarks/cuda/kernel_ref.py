#!/usr/bin/env python3
"""cuBLAS / cuDNN (through PyTorch, fp16, same GPU) on the shapes that
`tests/cuda/test_conv_gemm.cu --bench` times: median of 50 runs after 5
warm-ups, CUDA events. Run by benchmarks/cuda/kernel_bench.sh."""
import torch
import torch.nn.functional as F


def median_ms(fn):
    for _ in range(5):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(50):
        e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        e0.record()
        fn()
        e1.record()
        e1.synchronize()
        times.append(e0.elapsed_time(e1))
    times.sort()
    return times[len(times) // 2]


def report(name, ms, flops):
    print(f"ref  {name:<52} {ms:9.4f} ms {flops / (ms * 1e9):8.2f} TFLOP/s")


def main():
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    dev = torch.device("cuda")
    h = torch.float16
    print("gpu:", torch.cuda.get_device_name(0), "torch", torch.__version__)
    for seq in (1, 512):
        for name, n, k in (("qkv/o proj", 4096, 4096), ("mlp up", 16384, 4096), ("mlp down", 4096, 16384)):
            a = torch.randn(seq, k, device=dev, dtype=h)
            w = torch.randn(n, k, device=dev, dtype=h)
            report(f"{name} [{seq}x{k}]x[{k}x{n}]^T (cuBLAS)", median_ms(lambda: F.linear(a, w)), 2.0 * seq * n * k)
    q = torch.randn(32, 512, 128, device=dev, dtype=h)
    kt = torch.randn(32, 128, 512, device=dev, dtype=h)
    report("attn QK^T [512x128]x[128x512] b32 (cuBLAS)", median_ms(lambda: torch.bmm(q, kt)), 2.0 * 32 * 512 * 512 * 128)
    p = torch.randn(32, 512, 512, device=dev, dtype=h)
    v = torch.randn(32, 512, 128, device=dev, dtype=h)
    report("attn PV [512x512]x[512x128] b32 (cuBLAS)", median_ms(lambda: torch.bmm(p, v)), 2.0 * 32 * 512 * 128 * 512)
    convs = (("resnet18 conv1", 224, 3, 64, 7, 2), ("resnet18 l1 3x3", 56, 64, 64, 3, 1),
             ("resnet18 l2 3x3 s2", 56, 64, 128, 3, 2), ("resnet18 l2 3x3", 28, 128, 128, 3, 1),
             ("resnet18 l3 3x3", 14, 256, 256, 3, 1), ("resnet18 l4 3x3", 7, 512, 512, 3, 1),
             ("resnet18 down 1x1 s2", 56, 64, 128, 1, 2), ("mbv2 expand 1x1", 56, 24, 144, 1, 1),
             ("mbv2 project 1x1", 56, 144, 24, 1, 1), ("mbv2 1x1 7x7", 7, 960, 320, 1, 1))
    for n in (1, 64):
        for name, hw, ic, oc, ks, s in convs:
            x = torch.randn(n, ic, hw, hw, device=dev, dtype=h).to(memory_format=torch.channels_last)
            w = torch.randn(oc, ic, ks, ks, device=dev, dtype=h).to(memory_format=torch.channels_last)
            b = torch.randn(oc, device=dev, dtype=h)
            o = (hw + 2 * (ks // 2) - ks) // s + 1
            fn = lambda: F.relu(F.conv2d(x, w, b, stride=s, padding=ks // 2))  # noqa: E731
            report(f"{name} n{n} {hw}x{hw}x{ic}->{oc} k{ks} s{s} (cuDNN+relu)", median_ms(fn),
                   2.0 * n * o * o * oc * ks * ks * ic)


if __name__ == "__main__":
    main()
