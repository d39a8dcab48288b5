/*
 * pare CUDA runtime: Hopper (sm_90a) tensor-core GEMM for half inputs, used by
 * pare_cu_matmul_f16 and pare_cu_conv2d_f16 when the code is built for sm_90a
 * with PARE_CU_SM90A defined (the CMake file pare emits for --cuda-arch sm_90
 * does both) and the device is compute capability 9.0.
 *
 * One block of 384 threads computes a 128 x BN tile (BN = 64, 128 or 256) of
 * Y = epilogue(A B^T) with A [M][K] and B [N][K], both K-contiguous:
 *  - warpgroup 0 produces: B, and A for a matmul, arrive by TMA
 *    (cp.async.bulk.tensor, 128-byte swizzle, zero fill past the edges) into a
 *    ring of shared-memory slices 64 deep in K; a convolution's A is gathered
 *    on the fly (implicit im2col) by the warpgroup's 128 threads with 16-byte
 *    cp.async into the same swizzled layout, or element by element (A and B)
 *    when channels or K are not multiples of 8;
 *  - warpgroups 1 and 2 consume: each multiplies its 64 rows of the slice by
 *    the BN columns with wgmma.mma_async m64nBNk16 (fp32 accumulators in
 *    registers), then hands the slice back;
 *  - mbarriers order the ring (full: data landed; empty: both consumers done);
 *  - the epilogue parks the accumulators in the (then idle) ring as float and
 *    writes rows of 8 outputs (alpha, C / bias, residual, activation;
 *    pcg_tc_out8) with 16-byte stores.
 * Weights are read through TMA descriptors built on the host at launch
 * (pcw_map of pare_cu_sm90.cuh: the CUDA runtime is still the only library
 * linked).
 */
#ifndef PARE_CU_GEMM_SM90_CUH
#define PARE_CU_GEMM_SM90_CUH

#if defined(PARE_CU_SM90A)

#include "pare_cu_conv_gemm_impl.cuh"
/* mbarriers, TMA, wgmma and tensor maps, shared with the LLM prefill GEMM. */
#include "pare_cu_sm90.cuh"

#include <cstring>

namespace {

constexpr int PCW_BM = 128;     /* block rows (two consumer warpgroups of 64) */
constexpr int PCW_BK = 64;      /* K per slice: 128 bytes of halves, one swizzle row */
constexpr int PCW_THREADS = 384;
constexpr int PCW_SMEM_LIMIT = 200 * 1024;

/* Operand producers: A and B by TMA (matmul); B by TMA and A gathered with
 * cp.async (convolution, icg % 8 == 0); both gathered element by element
 * (convolution with any icg and K, e.g. a first layer's 3 channels). */
enum { PCW_A_TMA = 0, PCW_A_CONV = 1, PCW_A_CONV_ELEM = 2 };

template <int BN> struct PcwCfg {
  static constexpr int A_BYTES = PCW_BM * PCW_BK * 2;
  static constexpr int B_BYTES = BN * PCW_BK * 2;
  static constexpr int STAGE_BYTES = A_BYTES + B_BYTES;
  static constexpr int MAX_STAGES = PCW_SMEM_LIMIT / STAGE_BYTES > 8 ? 8 : PCW_SMEM_LIMIT / STAGE_BYTES;
  static constexpr int EPI_BYTES = PCW_BM * (BN + 8) * 4; /* float tile of the epilogue */
  /* The ring of `stages` slices (also holding the epilogue tile). */
  __host__ __device__ static constexpr int ring_bytes(int stages)
  {
    return stages * STAGE_BYTES > EPI_BYTES ? stages * STAGE_BYTES : EPI_BYTES;
  }
  /* Ring, 1 KiB alignment slack, full / empty barriers. */
  static constexpr int smem(int stages) { return ring_bytes(stages) + 1024 + 2 * stages * 8; }
};

/* ---------------------------------------------------------------- kernel -- */

/* Block b covers tile (tm, tn); n_fast: consecutive blocks share A rows
 * (walk N first), else they share B columns. */
template <int BN, int AM>
__global__ void __launch_bounds__(PCW_THREADS, BN == 64 ? 2 : 1)
    pcw_gemm_kernel(const __grid_constant__ CUtensorMap ta, const __grid_constant__ CUtensorMap tb,
                    const PcgGemm<__half> p, int tiles_m, int tiles_n, int n_fast, int S)
{
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  using Cfg = PcwCfg<BN>;
  extern __shared__ unsigned char pcw_raw[];
  unsigned char *ring =
      reinterpret_cast<unsigned char *>((reinterpret_cast<uintptr_t>(pcw_raw) + 1023) & ~uintptr_t(1023));
  uint64_t *full = reinterpret_cast<uint64_t *>(ring + Cfg::ring_bytes(S));
  uint64_t *empty = full + S;
  int *rows = reinterpret_cast<int *>(empty + S); /* PCW_A_CONV: [3][PCW_BM] */

  const int wg = threadIdx.x / 128, t = threadIdx.x % 128;
  const int b = blockIdx.x;
  const int tm = n_fast ? b / tiles_n : b % tiles_m, tn = n_fast ? b % tiles_n : b / tiles_m;
  const int m0 = tm * PCW_BM, n0 = tn * BN;
  const int kts = (p.K + PCW_BK - 1) / PCW_BK;

  if (threadIdx.x == 0) {
    for (int s = 0; s < S; s++) {
      pcw_bar_init(&full[s], AM == PCW_A_TMA ? 1 : AM == PCW_A_CONV ? 1 + 128 : 128);
      pcw_bar_init(&empty[s], 2);
    }
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
  }
  if constexpr (AM != PCW_A_TMA) {
    /* Row table of the implicit im2col: image row base, top-left input tap. */
    if (wg == 0) {
      const int i = m0 + t;
      if (i < p.M) {
        const int ox = i % p.ow, q = i / p.ow, oy = q % p.oh, img = q / p.oh;
        rows[t] = img * p.ih;
        rows[PCW_BM + t] = oy * p.sh - p.pt;
        rows[2 * PCW_BM + t] = ox * p.sw - p.pl;
      } else {
        rows[t] = -1;
      }
    }
  }
  __syncthreads();

  if (wg == 0) {
    /* ------------------------------------------------------ producer -- */
    if constexpr (AM == PCW_A_TMA) {
      if (t == 0) {
        for (int kt = 0; kt < kts; kt++) {
          const int s = kt % S;
          if (kt >= S) pcw_bar_wait(&empty[s], ((kt / S) - 1) & 1);
          unsigned char *sa = ring + s * Cfg::STAGE_BYTES;
          pcw_bar_expect_tx(&full[s], Cfg::STAGE_BYTES);
          pcw_tma_load(sa, &ta, &full[s], kt * PCW_BK, m0);
          pcw_tma_load(sa + Cfg::A_BYTES, &tb, &full[s], kt * PCW_BK, n0);
        }
      }
    } else if constexpr (AM == PCW_A_CONV) {
      /* Thread t fills 16-byte chunk c of rows r0, r0 + 16, ..: the chunk's
       * 8 channels belong to one kernel tap (icg % 8 == 0). */
      const int c = t % 8, r0 = t / 8;
      for (int kt = 0; kt < kts; kt++) {
        const int s = kt % S;
        pcw_producers_wait(&empty[s], kt, S, t);
        unsigned char *sa = ring + s * Cfg::STAGE_BYTES;
        if (t == 0) {
          pcw_bar_expect_tx(&full[s], Cfg::B_BYTES);
          pcw_tma_load(sa + Cfg::A_BYTES, &tb, &full[s], kt * PCW_BK, n0);
        }
        const int k = kt * PCW_BK + 8 * c;
        const bool kv = k < p.K;
        const int ci = k % p.icg, rs = k / p.icg;
        const int dy = (rs / p.kw) * p.dh, dx = (rs % p.kw) * p.dw;
#pragma unroll
        for (int i = 0; i < 8; i++) {
          const int rr = r0 + 16 * i;
          const int ib = rows[rr], iy = rows[PCW_BM + rr] + dy, ix = rows[2 * PCW_BM + rr] + dx;
          const bool valid = kv && ib >= 0 && iy >= 0 && iy < p.ih && ix >= 0 && ix < p.iw;
          const __half *src = valid ? p.a + ((long long)(ib + iy) * p.iw + ix) * p.ic + ci : p.a;
          pcg_cp_async16(sa + rr * 128 + ((c ^ (rr & 7)) << 4), src, valid);
        }
        pcw_bar_arrive_cp_async(&full[s]);
      }
    } else {
      /* Element by element: thread t packs 8 consecutive K values (chunk c)
       * of rows r0, r0 + 16, .. of A and of B into 16-byte swizzled stores,
       * then hands them to the async proxy (wgmma) and arrives. */
      const int c = t % 8, r0 = t / 8;
      for (int kt = 0; kt < kts; kt++) {
        const int s = kt % S;
        pcw_producers_wait(&empty[s], kt, S, t);
        unsigned char *sa = ring + s * Cfg::STAGE_BYTES, *sb = sa + Cfg::A_BYTES;
        const int k0 = kt * PCW_BK + 8 * c;
        const int ci0 = k0 % p.icg, rs0 = k0 / p.icg;
        for (int i = 0; i < 8; i++) {
          const int rr = r0 + 16 * i;
          const int ib = rows[rr], iy0 = rows[PCW_BM + rr], ix0 = rows[2 * PCW_BM + rr];
          int ci = ci0, sx = rs0 % p.kw, ry = rs0 / p.kw;
          uint32_t packed[4];
#pragma unroll
          for (int e = 0; e < 8; e++) {
            __half v = __float2half_rn(0.0f);
            const int iy = iy0 + ry * p.dh, ix = ix0 + sx * p.dw;
            if (ib >= 0 && k0 + e < p.K && iy >= 0 && iy < p.ih && ix >= 0 && ix < p.iw)
              v = p.a[((long long)(ib + iy) * p.iw + ix) * p.ic + ci];
            const uint32_t bits = __half_as_ushort(v);
            packed[e / 2] = e % 2 ? (packed[e / 2] | bits << 16) : bits;
            if (++ci == p.icg) {
              ci = 0;
              if (++sx == p.kw) { sx = 0; ++ry; }
            }
          }
          *reinterpret_cast<uint4 *>(sa + rr * 128 + ((c ^ (rr & 7)) << 4)) =
              make_uint4(packed[0], packed[1], packed[2], packed[3]);
        }
        for (int i = 0; i < BN / 16; i++) {
          const int nn = r0 + 16 * i, n = n0 + nn;
          uint32_t packed[4];
#pragma unroll
          for (int e = 0; e < 8; e++) {
            const __half v = n < p.N && k0 + e < p.K ? p.b[(long long)n * p.b_cs + k0 + e]
                                                     : __float2half_rn(0.0f);
            const uint32_t bits = __half_as_ushort(v);
            packed[e / 2] = e % 2 ? (packed[e / 2] | bits << 16) : bits;
          }
          *reinterpret_cast<uint4 *>(sb + nn * 128 + ((c ^ (nn & 7)) << 4)) =
              make_uint4(packed[0], packed[1], packed[2], packed[3]);
        }
        asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
        pcw_bar_arrive(&full[s]);
      }
    }
  } else {
    /* ------------------------------------------------------ consumers -- */
    const int cw = wg - 1;
    float d[BN / 2];
#pragma unroll
    for (int i = 0; i < BN / 2; i++) d[i] = 0.0f;
    for (int kt = 0; kt < kts; kt++) {
      const int s = kt % S;
      pcw_bar_wait(&full[s], (kt / S) & 1);
      /* cp.async wrote the A slice through the generic proxy. */
      if constexpr (AM != PCW_A_TMA) asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
      const unsigned char *sa = ring + s * Cfg::STAGE_BYTES + cw * 64 * 128;
      const unsigned char *sb = ring + s * Cfg::STAGE_BYTES + Cfg::A_BYTES;
      const uint64_t da = pcw_desc(sa), db = pcw_desc(sb);
      pcw_fence_regs(d);
      pcw_wgmma_fence();
#pragma unroll
      for (int kk = 0; kk < PCW_BK / 16; kk++) {
        /* 16 halves = 32 bytes further along K: +2 in the descriptor. */
        if constexpr (BN == 256) pcw_mma_n256(d, da + 2 * kk, db + 2 * kk);
        else if constexpr (BN == 128) pcw_mma_n128(d, da + 2 * kk, db + 2 * kk);
        else pcw_mma_n64(d, da + 2 * kk, db + 2 * kk);
      }
      pcw_wgmma_commit();
      /* Keep this slice's products in flight; the previous slice is done. */
      asm volatile("wgmma.wait_group.sync.aligned 1;\n" ::: "memory");
      pcw_fence_regs(d);
      if (kt > 0 && t == 0) pcw_bar_arrive(&empty[(kt - 1) % S]);
    }
    pcw_wgmma_wait0();
    pcw_fence_regs(d);

    /* Epilogue through shared memory (the ring is free once both consumers
     * are done with it): fragments in as float, then rows of 8 outputs out
     * with 16-byte stores (pcg_tc_out8). Accumulator register 4j + 2h + e
     * holds row 16 warp + lane / 4 + 8 h, column 8 j + 2 (lane % 4) + e. */
    constexpr int LD = BN + 8; /* conflict-free float2 stores per half warp */
    float *cs = reinterpret_cast<float *>(ring) + cw * 64 * LD;
    asm volatile("bar.sync 1, 256;\n" ::: "memory");
    const int warp = t / 32, lane = t % 32;
#pragma unroll
    for (int j = 0; j < BN / 8; j++)
#pragma unroll
      for (int h = 0; h < 2; h++)
        *reinterpret_cast<float2 *>(cs + (warp * 16 + lane / 4 + 8 * h) * LD + 8 * j + 2 * (lane % 4)) =
            make_float2(d[4 * j + 2 * h], d[4 * j + 2 * h + 1]);
    asm volatile("bar.sync %0, 128;\n" ::"r"(2 + cw) : "memory");
#pragma unroll 1
    for (int e = t; e < 64 * (BN / 8); e += 128) {
      const int row = e / (BN / 8), c8 = (e % (BN / 8)) * 8;
      const int gi = m0 + cw * 64 + row, gj = n0 + c8;
      if (gi < p.M && gj < p.N) pcg_tc_out8(p, 0, gi, gj, cs + row * LD + c8);
    }
  }
#else
  __trap(); /* built without sm_90a: the host never launches this */
#endif
}

/* -------------------------------------------------------------- host -- */

template <int BN, int AM>
cudaError_t pcw_launch(const PcgGemm<__half> &p, const CUtensorMap &ta, const CUtensorMap &tb,
                       int tiles_m, int tiles_n, int n_fast, cudaStream_t stream)
{
  /* As many stages as K has slices (short K: smaller blocks that share an
   * SM), at least 2 (a slice is handed back once the next one is in use). */
  using Cfg = PcwCfg<BN>;
  const int kts = (p.K + PCW_BK - 1) / PCW_BK;
  const int stages = kts < 2 ? 2 : kts < Cfg::MAX_STAGES ? kts : Cfg::MAX_STAGES;
  const int smem = Cfg::smem(stages) + (AM != PCW_A_TMA ? 3 * PCW_BM * 4 : 0);
  constexpr int max_smem = Cfg::smem(Cfg::MAX_STAGES) + (AM != PCW_A_TMA ? 3 * PCW_BM * 4 : 0);
  auto kernel = pcw_gemm_kernel<BN, AM>;
  /* Once per device (bit d of `done`); the attribute stays set. */
  static unsigned long long done = 0;
  int dev = 0;
  cudaError_t e = cudaGetDevice(&dev);
  if (e != cudaSuccess) return e;
  const unsigned long long bit = dev < 64 ? 1ull << dev : 0;
  if (!(done & bit)) {
    e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, max_smem);
    if (e != cudaSuccess) return e;
    done |= bit;
  }
  kernel<<<tiles_m * tiles_n, PCW_THREADS, smem, stream>>>(ta, tb, p, tiles_m, tiles_n, n_fast,
                                                          stages);
  return cudaGetLastError();
}

/* Block width for the wave count: est = waves x BN / efficiency. Returns 0
 * when even the best leaves most SMs idle (the split-K path does better). */
inline int pcw_pick_bn(long long M, long long N, long long K)
{
  /* Short K: each block is mostly prologue and epilogue; the narrow blocks
   * run two per SM and hide each other's. */
  if (K <= 4 * PCW_BK && (M + PCW_BM - 1) / PCW_BM * ((N + 63) / 64) >= 4LL * pcg_num_sms()) return 64;
  const long long sms = pcg_num_sms();
  const int bns[3] = {256, 128, 64};
  const double eff[3] = {1.0, 0.92, 0.75};
  int best = 0;
  double best_t = 0.0;
  long long best_tiles = 0;
  for (int c = 0; c < 3; c++) {
    const long long tiles = ((M + PCW_BM - 1) / PCW_BM) * ((N + bns[c] - 1) / bns[c]);
    const long long waves = (tiles + sms - 1) / sms;
    const double est = (double)waves * bns[c] / eff[c];
    if (c == 0 || est < best_t) { best_t = est; best = c; best_tiles = tiles; }
  }
  return best_tiles * 2 < sms ? 0 : bns[best];
}

/* Big enough to pay for the 384-thread blocks (16 M multiply-adds). */
inline bool pcw_worth_it(long long M, long long N, long long K)
{
  return M >= PCW_BM && N >= 16 && K >= 16 && M * N * K >= (1LL << 24);
}

template <int AM>
bool pcw_run(const PcgGemm<__half> &p, int bn, const CUtensorMap &ta, const CUtensorMap &tb,
             cudaStream_t stream, cudaError_t *err)
{
  const int tiles_m = (p.M + PCW_BM - 1) / PCW_BM, tiles_n = (p.N + bn - 1) / bn;
  /* Walk N first when A is the bigger operand (convolutions). */
  const int n_fast = (long long)p.M > 2LL * p.N;
  switch (bn) {
  case 256: *err = pcw_launch<256, AM>(p, ta, tb, tiles_m, tiles_n, n_fast, stream); break;
  case 128: *err = pcw_launch<128, AM>(p, ta, tb, tiles_m, tiles_n, n_fast, stream); break;
  default: *err = pcw_launch<64, AM>(p, ta, tb, tiles_m, tiles_n, n_fast, stream); break;
  }
  return true;
}

} // namespace

#endif /* PARE_CU_SM90A */

#endif /* PARE_CU_GEMM_SM90_CUH */
