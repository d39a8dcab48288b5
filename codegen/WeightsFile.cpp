//===- WeightsFile.cpp - the binary weights file of decoder targets -------===//
//
// Each stored blob keeps its own string until the file is assembled; a
// table from the xxh3 hash of a blob's bytes to the entries that stored them
// finds identical blobs (the bytes are compared too: a hash is not proof).
// The payload's FNV-1a hash, what the generated code checks the file
// against, is carried along as blobs are stored. Large models make all of
// this matter: Llama-2-7B's payload is 13 GB in fp16.
//
//===----------------------------------------------------------------------===//

#include "codegen/WeightsFile.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/xxhash.h"

#include <algorithm>

#include <cassert>
#include <cstring>

using namespace mlir;

namespace pare::codegen {

uint64_t weightsHashFrom(uint64_t h, llvm::StringRef bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= kFnvPrime;
  }
  return h;
}

uint64_t weightsHash(llvm::StringRef bytes) { return weightsHashFrom(kFnvBasis, bytes); }

uint16_t floatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, sizeof x);
  uint16_t sign = uint16_t((x >> 16) & 0x8000u);
  uint32_t a = x & 0x7fffffffu;
  if (a >= 0x7f800000u) // infinity, or NaN made quiet (keeping its top payload bits)
    return sign | (a > 0x7f800000u ? uint16_t(0x7e00u | ((a >> 13) & 0x3ffu)) : uint16_t(0x7c00u));
  if (a >= 0x477ff000u) // 65520 and above round to infinity
    return sign | 0x7c00u;
  if (a < 0x38800000u) { // below 2^-14: a subnormal half (or zero)
    if (a <= 0x33000000u) // at most 2^-25: rounds to zero (2^-25 ties to even zero)
      return sign;
    uint32_t e = a >> 23, mant = (a & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126 - e; // 14 .. 24
    uint32_t h = mant >> shift, rem = mant & ((1u << shift) - 1), halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (h & 1u)))
      ++h; // may carry into the smallest normal, which is the right encoding
    return sign | uint16_t(h);
  }
  uint32_t h = (a - 0x38000000u) >> 13, rem = a & 0x1fffu; // exponent rebiased 127 -> 15
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u)))
    ++h;
  return sign | uint16_t(h);
}

const char *blobDTypeName(BlobDType t) {
  switch (t) {
  case BlobDType::F16:
    return "f16";
  case BlobDType::U8:
    return "u8";
  case BlobDType::U4:
    return "u4";
  case BlobDType::S8:
    return "s8";
  case BlobDType::F32:
    break;
  }
  return "f32";
}
const char *blobLayoutName(BlobLayout l) {
  switch (l) {
  case BlobLayout::Transposed:
    return "transposed";
  case BlobLayout::RowsPadded32:
    return "rows-padded-32";
  case BlobLayout::RowMajor:
    break;
  }
  return "row-major";
}
int64_t blobElemBytes(BlobDType t) {
  return t == BlobDType::F16 ? 2 : t == BlobDType::F32 ? 4 : 1;
}

std::string packU4(llvm::ArrayRef<int8_t> values, int64_t rows, int64_t k) {
  assert(int64_t(values.size()) == rows * k && "packU4: rows * k values");
  int64_t row = (k + 1) / 2;
  std::string out(size_t(rows * row), '\0');
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < k; ++i)
      out[size_t(r * row + i / 2)] |= char((values[size_t(r * k + i)] & 15) << (i % 2 ? 4 : 0));
  return out;
}

size_t WeightsFileBuilder::addBytes(std::string name, llvm::StringRef bytes, BlobDType dtype,
                                    BlobLayout layout, std::vector<int64_t> shape) {
  return add(std::move(name), bytes, nullptr, dtype, layout, std::move(shape));
}

size_t WeightsFileBuilder::add(std::string name, llvm::StringRef bytes, std::string *owned,
                               BlobDType dtype, BlobLayout layout, std::vector<int64_t> shape) {
  assert(!taken && "nothing is added after takeFile()");
  WeightBlob b;
  b.name = std::move(name);
  b.bytes = bytes.size();
  b.dtype = dtype;
  b.layout = layout;
  b.shape = std::move(shape);
  // xxh3 only finds candidates (it runs at memory speed; the FNV-1a of the
  // file is a byte-serial loop, run once per stored byte below).
  uint64_t h = llvm::xxh3_64bits(bytes);
  std::vector<size_t> &same = stored[h];
  for (size_t i : same) {
    const WeightBlob &e = entries[i];
    if (e.dtype == dtype && e.bytes == b.bytes && chunks[chunkOf[i]] == bytes) {
      b.offset = e.offset;
      b.sharedWith = int64_t(i);
      entries.push_back(std::move(b));
      return entries.size() - 1;
    }
  }
  uint64_t start = (size + kWeightsAlignment - 1) / kWeightsAlignment * kWeightsAlignment;
  for (; size < start; ++size)
    fnv *= kFnvPrime; // a zero byte of padding: hashed like the rest (h ^ 0 = h)
  b.offset = start;
  fnv = weightsHashFrom(fnv, bytes);
  size += bytes.size();
  same.push_back(entries.size());
  chunkOf[entries.size()] = chunks.size();
  chunks.push_back(owned ? std::move(*owned) : std::string(bytes));
  entries.push_back(std::move(b));
  return entries.size() - 1;
}

size_t WeightsFileBuilder::addFloats(std::string name, llvm::ArrayRef<float> values,
                                     llvm::ArrayRef<int64_t> shape, BlobDType dtype,
                                     BlobLayout layout) {
  std::vector<int64_t> storedShape(shape.begin(), shape.end());
  size_t n = values.size();
  std::string bytes(n * size_t(blobElemBytes(dtype)), '\0');
  auto put = [&](size_t to, float v) {
    if (dtype == BlobDType::F16)
      llvm::support::endian::write16le(&bytes[2 * to], floatToHalf(v));
    else
      llvm::support::endian::write32le(&bytes[4 * to], llvm::bit_cast<uint32_t>(v));
  };
  if (layout == BlobLayout::Transposed) {
    assert(shape.size() == 2 && "only a matrix is stored transposed");
    size_t k = size_t(shape[0]), cols = size_t(shape[1]);
    storedShape = {shape[1], shape[0]};
    // Stored [cols][k] from [k][cols], in tiles so that both the reads and
    // the writes stay within a few cache lines.
    constexpr size_t kTile = 64;
    for (size_t i0 = 0; i0 < k; i0 += kTile)
      for (size_t o0 = 0; o0 < cols; o0 += kTile)
        for (size_t o = o0, oe = std::min(o0 + kTile, cols); o < oe; ++o)
          for (size_t i = i0, ie = std::min(i0 + kTile, k); i < ie; ++i)
            put(o * k + i, values[i * cols + o]);
  } else {
    for (size_t i = 0; i < n; ++i)
      put(i, values[i]);
  }
  return add(std::move(name), bytes, &bytes, dtype, layout, std::move(storedShape));
}

FailureOr<size_t> WeightsFileBuilder::addConstant(Location loc, std::string name,
                                                  DenseElementsAttr attr, BlobDType dtype,
                                                  BlobLayout layout) {
  auto type = cast<ShapedType>(attr.getType());
  if (!type.getElementType().isF32())
    return emitError(loc) << "weight '" << name << "' has element type " << type.getElementType()
                          << "; the weights file holds float32 constants";
  if (layout == BlobLayout::Transposed && type.getRank() != 2)
    return emitError(loc) << "weight '" << name
                          << "' is stored transposed but is not a matrix (rank "
                          << type.getRank() << ")";
  // A dense (non-splat) f32 attribute holds its values as host floats: read
  // them in place rather than copying a tensor that may be gigabytes.
  if (!attr.isSplat())
    return addFloats(std::move(name),
                     llvm::ArrayRef<float>(reinterpret_cast<const float *>(attr.getRawData().data()),
                                           size_t(type.getNumElements())),
                     type.getShape(), dtype, layout);
  std::vector<float> values(size_t(type.getNumElements()), attr.getSplatValue<float>());
  return addFloats(std::move(name), values, type.getShape(), dtype, layout);
}

FailureOr<size_t> WeightsFileBuilder::addIntegers(Location loc, std::string name,
                                                  DenseElementsAttr attr, BlobDType dtype) {
  assert((dtype == BlobDType::U4 || dtype == BlobDType::U8 || dtype == BlobDType::S8) &&
         "addIntegers: U4, U8 or S8");
  bool s8 = dtype == BlobDType::S8;
  auto type = cast<ShapedType>(attr.getType());
  if (!isa<IntegerType>(type.getElementType()))
    return emitError(loc) << "weight '" << name << "' has element type " << type.getElementType()
                          << (s8 ? "; int8 weights are integers"
                                 : "; 4-bit weights and zero points are integers");
  if (dtype == BlobDType::U4 && type.getRank() != 2)
    return emitError(loc) << "4-bit weight '" << name << "' is not a matrix (rank "
                          << type.getRank() << ")";
  // Symmetric int8 has no -128: the kernels negate and clamp to +-127.
  int64_t lo = s8 ? -127 : 0, hi = s8 ? 127 : 15;
  std::vector<int8_t> values;
  values.reserve(type.getNumElements());
  for (const APInt &v : attr.getValues<APInt>()) {
    int64_t x = v.getSExtValue();
    if (x < lo || x > hi)
      return emitError(loc) << "weight '" << name << "' holds " << x << " at element "
                            << values.size() << (s8 ? "; int8 weights lie in -127 .. 127"
                                                    : "; 4-bit values lie in 0 .. 15");
    values.push_back(int8_t(x));
  }
  std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
  if (dtype != BlobDType::U4)
    return addBytes(std::move(name),
                    llvm::StringRef(reinterpret_cast<const char *>(values.data()), values.size()),
                    dtype, BlobLayout::RowMajor, std::move(shape));
  std::string packed = packU4(values, shape[0], shape[1]); // before `shape` is moved
  return addBytes(std::move(name), packed, dtype, BlobLayout::RowMajor, std::move(shape));
}

std::string WeightsFileBuilder::header() const {
  std::string out(kWeightsHeaderBytes, '\0');
  auto put = [&](size_t at, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i)
      out[at + i] = char((v >> (8 * i)) & 0xff);
  };
  std::memcpy(&out[0], kWeightsMagic, 8);
  put(8, kWeightsVersion, 4);
  put(12, kWeightsAlignment, 4);
  put(16, size, 8);
  put(24, fnv, 8);
  return out;
}

std::string WeightsFileBuilder::file() const {
  std::string out = header();
  out.reserve(kWeightsHeaderBytes + size);
  for (const std::string &c : chunks) {
    out.resize(kWeightsHeaderBytes + (out.size() - kWeightsHeaderBytes + kWeightsAlignment - 1) /
                                          kWeightsAlignment * kWeightsAlignment,
               '\0');
    out += c;
  }
  return out;
}

std::string WeightsFileBuilder::takeFile() {
  std::string out = header();
  out.reserve(kWeightsHeaderBytes + size);
  for (std::string &c : chunks) {
    out.resize(kWeightsHeaderBytes + (out.size() - kWeightsHeaderBytes + kWeightsAlignment - 1) /
                                          kWeightsAlignment * kWeightsAlignment,
               '\0');
    out += c;
    std::string().swap(c); // each blob's memory goes back as it is copied
  }
  chunks.clear();
  taken = true;
  return out;
}

std::string decoderApiHeader(const DecoderApi &api) {
  const std::string &p = api.name;
  std::string u = llvm::StringRef(p).upper();
  std::string h = api.banner;
  h += "#ifndef " + u + "_H\n#define " + u + "_H\n\n#include <stddef.h>\n#include <stdint.h>\n\n";
  h += "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  h += "/* Positions the KV cache holds: prefill + decode tokens since the last reset. */\n";
  h += "#define " + u + "_MAX_CONTEXT " + std::to_string(api.maxContext) + "\n";
  h += "/* Logits per token (ids are 0 .. VOCAB-1). */\n";
  h += "#define " + u + "_VOCAB " + std::to_string(api.vocab) + "\n";
  h += "/* Rows one prefill step computes (longer prompts run in chunks). */\n";
  h += "#define " + u + "_PREFILL_CHUNK " + std::to_string(api.prefillChunk) + "\n\n";
  h += "enum {\n"
       "  " + u + "_OK = 0,\n"
       "  " + u + "_ERR_CONTEXT = 1, /* the tokens would pass " + u + "_MAX_CONTEXT: nothing done */\n"
       "  " + u + "_ERR_ARG = 2,     /* NULL pointer, n <= 0, an id outside the vocabulary, or\n"
       "                           a weights blob in memory not aligned for floats */\n"
       "  " + u + "_ERR_WEIGHTS = 3, /* weights file missing, of the wrong size or hash */\n"
       "  " + u + "_ERR_STATE = 4,   /* not initialised */\n"
       "  " + u + "_ERR_DEVICE = 5   /* CUDA error (the CUDA target only) */\n"
       "};\n\n";
  h += "/* Reads and checks the weights file once (after " + p + "_free, or a failed init). */\n";
  h += "int " + p + "_init(const char *weights_path);\n";
  h += "/* The same from the file's bytes in memory (a linker-embedded blob: align it to\n"
       "   64 bytes, e.g. .balign 64 before .incbin), checked and used in place, never\n"
       "   copied by the C target; keep it alive until " + p + "_free. */\n";
  h += "int " + p + "_init_from_memory(const void *blob, size_t size);\n";
  h += "/* Releases what init took; init may be called again. */\n";
  h += "void " + p + "_free(void);\n";
  h += "/* Empties the KV cache: the next token is at position 0. */\n";
  h += "void " + p + "_reset(void);\n";
  h += "/* Tokens in the KV cache. */\n";
  h += "int32_t " + p + "_position(void);\n";
  h += "/* Appends n tokens; writes the logits after the last one (" + u +
       "_VOCAB floats) unless NULL. */\n";
  h += "int " + p + "_prefill(const int32_t *ids, int32_t n, float *logits_of_last);\n";
  if (api.prefillAll) {
    h += "/* Appends n tokens as " + p + "_prefill does and writes the logits after each of\n"
         "   them: logits[i * " + u + "_VOCAB + v] for token i < n (n * " + u +
         "_VOCAB floats, not NULL).\n"
         "   Scores a whole text window in one call (perplexity) at prefill speed. */\n";
    h += "int " + p + "_prefill_all(const int32_t *ids, int32_t n, float *logits);\n";
  }
  h += "/* Appends one token and writes its logits (" + u + "_VOCAB floats). */\n";
  h += "int " + p + "_decode(int32_t id, float *logits);\n";
  if (api.maxBatch > 1) {
    h += "\n/* Batched decoding: the KV cache holds " + u + "_MAX_BATCH sequences at once, one per\n"
         "   slot 0 .. " + u + "_MAX_BATCH - 1, and one " + p + "_decode_batch step advances up to\n"
         "   " + u + "_MAX_BATCH of them together, reading every weight once for all of them.\n"
         "   The calls above work on slot 0 (" + p + "_reset empties every slot). A row's\n"
         "   logits are those the same tokens give in a slot of their own. */\n";
    h += "#define " + u + "_MAX_BATCH " + std::to_string(api.maxBatch) + "\n";
    h += "/* Empties one slot: its next token is at position 0. */\n";
    h += "int " + p + "_reset_slot(int32_t slot);\n";
    h += "/* Tokens in one slot's KV cache; -1 for a slot outside 0 .. " + u +
         "_MAX_BATCH - 1. */\n";
    h += "int32_t " + p + "_slot_position(int32_t slot);\n";
    h += "/* " + p + "_prefill on one slot. */\n";
    h += "int " + p + "_prefill_slot(int32_t slot, const int32_t *ids, int32_t n, "
         "float *logits_of_last);\n";
    h += "/* One token for each of n (1 .. " + u + "_MAX_BATCH) distinct slots: slots[i] appends\n"
         "   ids[i] and gets logits[i * " + u + "_VOCAB + v] (n * " + u +
         "_VOCAB floats, not NULL).\n"
         "   Every slot, id and context is checked before anything is written. */\n";
    h += "int " + p + "_decode_batch(const int32_t *slots, const int32_t *ids, int32_t n, "
         "float *logits);\n";    if (api.prefillBatch) {
      h += "/* Several prompts in one step: sequence i (i < nseq <= " + u +
           "_MAX_BATCH, distinct slots)\n"
           "   appends counts[i] >= 1 tokens to slots[i]; ids holds them sequence after sequence.\n"
           "   logits_of_last (unless NULL) gets each sequence's logits after its last token\n"
           "   (nseq * " + u + "_VOCAB floats). Checked before anything is written. */\n";
      h += "int " + p + "_prefill_batch(const int32_t *slots, const int32_t *counts, int32_t nseq,\n"
           "                  const int32_t *ids, float *logits_of_last);\n";
    }

  }
  if (api.gpuSampling) {
    h += "/* How the next token is drawn on the GPU: temperature <= 0 takes the argmax\n"
         "   (lowest id on ties); otherwise softmax(logits / temperature) cut to the top_k\n"
         "   largest logits (0: no cut) and to the top_p nucleus (>= 1: no cut), drawn\n"
         "   with a counter-based generator of seed and a step counter on the device\n"
         "   (restarted by " + p + "_reset): the algorithm of pare_cu_llm.cuh's\n"
         "   pare_llm_sample. top_k >= 0, top_p > 0. */\n";
    h += "typedef struct {\n  float temperature;\n  int32_t top_k;\n  float top_p;\n"
         "  uint64_t seed;\n} " + p + "_sampling;\n";
    h += "/* Appends one token and draws the next into *next: the step and the draw are\n"
         "   one CUDA graph replay and only the id is copied back (params NULL: greedy). */\n";
    h += "int " + p + "_decode_sample(int32_t id, const " + p + "_sampling *params, int32_t *next);\n";
    h += "/* Draws a token from the logits of the last " + p + "_decode, or of a\n"
         "   " + p + "_prefill given logits_of_last (the first generated token). */\n";
    h += "int " + p + "_sample(const " + p + "_sampling *params, int32_t *next);\n";
    h += "/* Appends `tokens` copies of id (timing only) through the decode_sample\n"
         "   step with an event between launches, and prints on stderr a table\n"
         "   \"profile: family | launches/token | us/token | %\" per kernel family. */\n";
    h += "int " + p + "_profile(int32_t id, int32_t tokens);\n";
  }
  h += "/* A one-line message for a return code. */\n";
  h += "const char *" + p + "_strerror(int code);\n\n";
  h += "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " + u + "_H */\n";
  return h;
}

std::string decoderRunnerShim(const DecoderApi &api) {
  const std::string &p = api.name;
  std::string u = llvm::StringRef(p).upper();
  std::string h = api.banner;
  h += "/* The model generate.c runs: its API under fixed names. */\n";
  h += "#ifndef PARE_MODEL_H\n#define PARE_MODEL_H\n\n#include \"" + p + ".h\"\n\n";
  h += "#define PARE_MODEL_NAME \"" + p + "\"\n";
  for (const char *m : {"MAX_CONTEXT", "VOCAB", "PREFILL_CHUNK", "OK", "ERR_CONTEXT", "ERR_ARG",
                        "ERR_WEIGHTS", "ERR_STATE", "ERR_DEVICE"})
    h += std::string("#define PARE_MODEL_") + m + " " + u + "_" + m + "\n";
  for (const char *f : {"init", "init_from_memory", "free", "reset", "position", "prefill", "decode",
                        "strerror"})
    h += "#define PARE_MODEL_" + llvm::StringRef(f).upper() + " " + p + "_" + f + "\n";
  if (api.prefillAll)
    h += "/* Every row's logits in one call (the runner's --ppl uses it when defined). */\n"
         "#define PARE_MODEL_PREFILL_ALL " + p + "_prefill_all\n";
  if (api.maxBatch > 1) {
    h += "/* Several sequences at once (the runner's --batch uses them when defined). */\n"
         "#define PARE_MODEL_MAX_BATCH " + u + "_MAX_BATCH\n";
    for (const char *f : {"reset_slot", "slot_position", "prefill_slot", "decode_batch"})
      h += "#define PARE_MODEL_" + llvm::StringRef(f).upper() + " " + p + "_" + f + "\n";
    if (api.prefillBatch)
      h += "#define PARE_MODEL_PREFILL_BATCH " + p + "_prefill_batch\n";
  }
  if (api.gpuSampling)
    h += "/* Next tokens drawn on the GPU (the runner uses them when defined). */\n"
         "#define PARE_MODEL_SAMPLING " + p + "_sampling\n"
         "#define PARE_MODEL_DECODE_SAMPLE " + p + "_decode_sample\n"
         "#define PARE_MODEL_SAMPLE " + p + "_sample\n"
         "#define PARE_MODEL_PROFILE " + p + "_profile\n";
  h += "\n#endif /* PARE_MODEL_H */\n";
  return h;
}

} // namespace pare::codegen
