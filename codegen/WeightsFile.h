//===- WeightsFile.h - the binary weights file of decoder targets ---------===//
//
// LLM weights are far too large for C initialisers (135M parameters would be
// a gigabyte of source), so the decoder emitters (C and CUDA) write them into
// one binary file that the generated code reads once, checks by size and
// hash, and uses in place. Layout (all integers little-endian):
//
//   offset  0: magic "PAREWTS1"
//   offset  8: u32 version (1)
//   offset 12: u32 alignment of the blobs (64)
//   offset 16: u64 payload bytes
//   offset 24: u64 FNV-1a-64 of the payload
//   offset 32: zeros up to kWeightsHeaderBytes (64), where the payload starts
//
// The payload is the blobs, each at a multiple of the alignment from its
// start (zero padding between them, hashed like the rest). Identical blobs
// of one element type are stored once: a tied embedding table and the
// transposed lm_head weight it equals share their bytes. Each use of a blob
// keeps its own entry (name, element type, layout, stored shape). The 4-bit
// weights of pare.matmul_nbits are a "u4" blob, [N][K] packed two per byte
// along K (low nibble = even k, each row padded to whole bytes: onnxruntime's
// MatMulNBits order, what pare_matmul_nbits_f32 reads); their scales are an
// f32 blob and their zero points a "u8" blob, one per byte. The int8 weights
// of pare.matmul_w8a8 are an "s8" blob [N][K] (one per byte, -127 .. 127),
// their scales an f32 blob.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_CODEGEN_WEIGHTSFILE_H
#define PARE_CODEGEN_WEIGHTSFILE_H

#include "codegen/EmittedFile.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace pare::codegen {

constexpr char kWeightsMagic[9] = "PAREWTS1";
constexpr uint32_t kWeightsVersion = 1;
constexpr uint32_t kWeightsAlignment = 64;
/// The header's bytes, padded to the alignment: the payload starts here.
constexpr uint64_t kWeightsHeaderBytes = 64;

/// FNV-1a, 64 bits, with the published offset basis 0xcbf29ce484222325 and
/// prime 0x100000001b3: the hash of the payload. (TextEscape.h's fnv1a64,
/// which names long identifiers, starts from another basis; it stays as it
/// is so that existing outputs do not change.)
uint64_t weightsHash(llvm::StringRef bytes);
constexpr uint64_t kFnvBasis = 0xcbf29ce484222325ULL, kFnvPrime = 0x100000001b3ULL;
/// weightsHash continued from the state `h` over `bytes`: the hash of a
/// concatenation is computed piece by piece.
uint64_t weightsHashFrom(uint64_t h, llvm::StringRef bytes);

/// IEEE binary16 bits of `f`, rounded to nearest even (subnormals, overflow
/// to infinity, NaN kept a quiet NaN with its sign).
uint16_t floatToHalf(float f);

/// Element type of a blob as stored.
enum class BlobDType : uint8_t {
  F32,
  F16,
  U8, ///< unsigned bytes (4-bit zero points, one per byte)
  U4, ///< unsigned 4-bit values, two per byte (packU4)
  S8  ///< signed bytes -127 .. 127 (symmetric int8 weights)
};
/// How a blob's elements are ordered.
enum class BlobLayout : uint8_t {
  RowMajor,   ///< the tensor's own order
  Transposed, ///< a [K, N] matrix stored [N, K]: one row per output (GEMV)
  /// A U4 or S8 [N, K] matrix whose rows are padded with zeros to a multiple
  /// of 32 values (U4: 16 bytes, one 128-bit load; S8: 32 bytes), the CUDA
  /// target's packing (pare_cu_llm.cuh: PARE_LLM_W4_ROW_BYTES,
  /// PARE_LLM_W8_ROW_BYTES).
  RowsPadded32
};

const char *blobDTypeName(BlobDType t); ///< "f32", "f16", "u8", "u4", "s8"
/// "row-major", "transposed", "rows-padded-32"
const char *blobLayoutName(BlobLayout l);
/// Bytes per element of the float and byte types (not U4: half a byte).
int64_t blobElemBytes(BlobDType t);

/// Packs 4-bit values [rows][k] (each 0 .. 15) two per byte along k: byte
/// j of a row holds element 2j in its low nibble and 2j + 1 in its high one,
/// an odd k's last byte a zero high nibble; rows of (k + 1) / 2 bytes. The
/// layout of pare_pack_u4 (runtime-stubs/c/pare_llm_w4.c).
std::string packU4(llvm::ArrayRef<int8_t> values, int64_t rows, int64_t k);

/// One use of a blob.
struct WeightBlob {
  std::string name;   ///< the emitter's name for it
  uint64_t offset = 0; ///< from the start of the payload
  uint64_t bytes = 0;
  BlobDType dtype = BlobDType::F32;
  BlobLayout layout = BlobLayout::RowMajor;
  std::vector<int64_t> shape; ///< as stored (a transposed [K, N] is [N, K])
  /// Index of the earlier entry whose bytes this one shares, or -1.
  int64_t sharedWith = -1;
};

/// Builds the payload blob by blob, then the file.
class WeightsFileBuilder {
public:
  /// Adds `bytes` as a blob used as `dtype` / `layout` / `shape`; bytes
  /// equal to an earlier blob's of the same element type are not stored
  /// again. Returns the entry's index in blobs().
  size_t addBytes(std::string name, llvm::StringRef bytes, BlobDType dtype, BlobLayout layout,
                  std::vector<int64_t> shape);
  /// Adds float32 values of a tensor of `shape`: a 2-D [K, N] one stored
  /// [N, K] when `layout` is Transposed, converted to `dtype`.
  size_t addFloats(std::string name, llvm::ArrayRef<float> values, llvm::ArrayRef<int64_t> shape,
                   BlobDType dtype, BlobLayout layout);
  /// addFloats of a float32 constant; an error at `loc` for another element
  /// type, or for Transposed on a tensor that is not 2-D.
  mlir::FailureOr<size_t> addConstant(mlir::Location loc, std::string name,
                                      mlir::DenseElementsAttr attr, BlobDType dtype,
                                      BlobLayout layout);
  /// An integer constant as a U4 blob (a 2-D [rows, k] of 0 .. 15, packU4),
  /// a U8 blob (0 .. 15, any shape, one per byte) or an S8 blob (-127 .. 127,
  /// any shape, one per byte); an error at `loc` for a float constant, a
  /// value outside the type's range, or U4 of a tensor not 2-D.
  mlir::FailureOr<size_t> addIntegers(mlir::Location loc, std::string name,
                                      mlir::DenseElementsAttr attr, BlobDType dtype);

  const std::vector<WeightBlob> &blobs() const { return entries; }
  uint64_t payloadBytes() const { return size; }
  /// weightsHash of the payload (kept up to date as blobs are stored: the
  /// payload is hashed once, not once per call).
  uint64_t hash() const { return fnv; }
  /// Header and payload: the file's contents.
  std::string file() const;
  /// file(), releasing each blob's memory as it is copied (the file and the
  /// blobs are not held twice); nothing may be added afterwards, and
  /// blobs(), payloadBytes() and hash() still describe the file.
  std::string takeFile();

private:
  /// addBytes; `owned`, when not null, holds `bytes` and is moved from
  /// when they are stored (no copy).
  size_t add(std::string name, llvm::StringRef bytes, std::string *owned, BlobDType dtype,
             BlobLayout layout, std::vector<int64_t> shape);
  /// The header of the file (magic, version, alignment, size, hash).
  std::string header() const;

  /// The stored blobs' bytes in payload order (each at the next multiple of
  /// the alignment): one allocation each, so that the payload never moves
  /// while it grows and the file is assembled once at the end.
  std::vector<std::string> chunks;
  uint64_t size = 0;       ///< payload bytes so far
  uint64_t fnv = kFnvBasis; ///< weightsHash of those bytes
  bool taken = false;       ///< takeFile() has run
  std::vector<WeightBlob> entries;
  /// (xxh3 of the bytes) -> entries first storing bytes with that hash.
  llvm::DenseMap<uint64_t, std::vector<size_t>> stored;
  /// entry that stored its bytes -> its index in chunks.
  llvm::DenseMap<size_t, size_t> chunkOf;
};

/// What the generated decoder API of both targets is made of.
struct DecoderApi {
  std::string name;         ///< symbol prefix (--name)
  std::string banner;       ///< first line(s) of the file, a C comment
  int64_t maxContext = 0;   ///< NAME_MAX_CONTEXT
  int64_t vocab = 0;        ///< NAME_VOCAB
  int64_t prefillChunk = 0; ///< NAME_PREFILL_CHUNK: rows of one prefill step
  bool prefillAll = false;  ///< has NAME_prefill_all (every row's logits; C target)
  /// has NAME_sampling, NAME_decode_sample, NAME_sample and NAME_profile
  /// (sampling on the GPU, issue 17; CUDA target)
  bool gpuSampling = false;
  /// NAME_MAX_BATCH: KV-cache slots (--max-batch); >= 2 adds NAME_reset_slot,
  /// NAME_slot_position, NAME_prefill_slot and NAME_decode_batch.
  int64_t maxBatch = 1;
  /// with maxBatch >= 2: has NAME_prefill_batch (several slots' prompts in
  /// one step; C target)
  bool prefillBatch = false;
};

/// <name>.h of a decoder, identical for C and CUDA: the macros, the error
/// codes and the prototypes of the README's API.
std::string decoderApiHeader(const DecoderApi &api);

/// pare_model.h: what the one generate.c source includes to reach the model
/// of either target (PARE_MODEL_INIT -> <name>_init, ...).
std::string decoderRunnerShim(const DecoderApi &api);

/// runtime-stubs/llm (the generate.c runner and the tokenizer), embedded at
/// build time: what the decoder emitters copy with --emit-runner.
const std::vector<EmittedFile> &llmRunnerFiles();

} // namespace pare::codegen

#endif // PARE_CODEGEN_WEIGHTSFILE_H
