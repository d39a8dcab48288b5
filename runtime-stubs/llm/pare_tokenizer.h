/*
 * pare byte-level BPE tokenizer, plain C99 (host runner component: uses malloc
 * and stdio). Reads a Hugging Face tokenizer.json and gives the ids the Python
 * `tokenizers` library gives for the byte-level BPE tokenizers that GPT-2,
 * SmolLM2 and Llama-3 style models ship.
 *
 * Supported tokenizer.json contents (anything else is a load error naming the
 * field, never a silently different tokenization):
 *  - model: BPE with vocab and merges ("a b" strings or [a, b] pairs), unk_token,
 *    fuse_unk, byte_fallback, ignore_merges; dropout null; continuing_subword_prefix
 *    and end_of_word_suffix null or "".
 *  - normalizer: null or an empty Sequence.
 *  - pre_tokenizer: ByteLevel (add_prefix_space, use_regex: the GPT-2 pattern), or a
 *    Sequence of Digits (individual_digits) and Split (String or Regex pattern, every
 *    behavior, invert) ending in ByteLevel.
 *  - added_tokens (matched before pre-tokenization, longest first; lstrip, rstrip,
 *    normalized; single_word must be false).
 *  - post_processor: null, ByteLevel, TemplateProcessing (single sequence template),
 *    or a Sequence of these.
 *  - decoder: ByteLevel, or a Sequence of ByteLevel, ByteFallback, Fuse and Replace
 *    (String pattern) where decoding one id at a time gives the same bytes.
 * Regex patterns are run by a small backtracking engine with Oniguruma's
 * semantics (first alternative wins, greedy/lazy/possessive quantifiers,
 * lookahead, \p{..} general categories, (?i:...)); look-behind, back-references
 * and \w are load errors. Quantified single characters (\p{L}+) match any
 * length; a quantified group ((?:ab)+) recurses per repetition, and a match
 * needing more than a few thousand levels gives PARE_TOK_ERR_REGEX.
 * Unicode data: pare_tokenizer_unicode.h (generated; Unicode 14.0.0, the
 * version of the Oniguruma that `tokenizers` 0.19 links).
 */
#ifndef PARE_TOKENIZER_H
#define PARE_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pare_tokenizer pare_tokenizer;

/* Return codes of encode / decode / check_vocab. */
enum {
  PARE_TOK_OK = 0,
  PARE_TOK_ERR_ARG = 1,   /* NULL argument, id out of range */
  PARE_TOK_ERR_UTF8 = 2,  /* text to encode is not valid UTF-8 */
  PARE_TOK_ERR_NOMEM = 3, /* out of memory */
  PARE_TOK_ERR_REGEX = 4, /* a pre-tokenizer pattern backtracked past its budget */
  PARE_TOK_ERR_VOCAB = 5  /* the tokenizer's ids do not fit the model's vocabulary */
};

/* Reads and checks tokenizer.json. Returns NULL on failure with a message naming
 * the file and the field in err (errlen bytes, always NUL-terminated if errlen > 0). */
pare_tokenizer *pare_tokenizer_load(const char *path, char *err, size_t errlen);

/* The same from JSON text in memory; name is used in error messages. */
pare_tokenizer *pare_tokenizer_load_json(const char *json, size_t len, const char *name,
                                         char *err, size_t errlen);

void pare_tokenizer_free(pare_tokenizer *tok);

/* text (UTF-8, len bytes) -> *ids (malloc'd, the caller free()s it; NULL when
 * *n == 0), *n ids. The ids of HF `encode(text, add_special_tokens=False)`. Not
 * thread-safe on one tokenizer (it caches words). */
int pare_tokenizer_encode(pare_tokenizer *tok, const char *text, size_t len, int32_t **ids,
                          size_t *n);

/* As pare_tokenizer_encode; add_special != 0 also applies the post-processor's
 * template (e.g. a BOS id first), as HF `encode(text)` does by default. */
int pare_tokenizer_encode_ex(pare_tokenizer *tok, const char *text, size_t len, int add_special,
                             int32_t **ids, size_t *n);

/* One id -> its bytes (*bytes points into the tokenizer, valid until free). A
 * token may hold part of a UTF-8 character: the concatenation of the bytes of
 * consecutive ids is the text. Special tokens give their content. */
int pare_tokenizer_decode(const pare_tokenizer *tok, int32_t id, const char **bytes,
                          size_t *len);

/* Largest id of the vocabulary and the added tokens, plus one. */
int32_t pare_tokenizer_vocab_size(const pare_tokenizer *tok);

/* PARE_TOK_OK when every id of the tokenizer is a row of a model with model_vocab
 * logits (models may pad their vocabulary), else PARE_TOK_ERR_VOCAB with a message
 * in err. */
int pare_tokenizer_check_vocab(const pare_tokenizer *tok, int64_t model_vocab, char *err,
                               size_t errlen);

/* Id of a token given by its content ("<|im_end|>", or a vocab entry in its
 * byte-level spelling), -1 when absent. Added tokens first. */
int32_t pare_tokenizer_token_id(const pare_tokenizer *tok, const char *token);

/* 1 when id is an added token marked special (end of text, chat markers). */
int pare_tokenizer_is_special(const pare_tokenizer *tok, int32_t id);

const char *pare_tokenizer_strerror(int code);

#ifdef __cplusplus
}
#endif

#endif /* PARE_TOKENIZER_H */
