/*
 * pare byte-level BPE tokenizer (see pare_tokenizer.h for what it supports).
 *
 * Plain C99. The pipeline is the one of Hugging Face `tokenizers`, step by step,
 * because the ids must be identical, including in corner cases:
 *   text -> split on added tokens (non-normalized ones, then normalized ones;
 *   leftmost-longest) -> pre-tokenizer steps (Digits / Split, each on the pieces
 *   of the previous one) -> ByteLevel (optional prefix space, GPT-2 regex, bytes
 *   mapped to printable code points) -> BPE per word (lowest merge rank first,
 *   leftmost among equals, with a per-word cache) -> ids.
 * Every byte-level word is handled as its raw bytes: the byte-to-code-point map
 * is a bijection, so the vocabulary's spellings are looked up once at load time
 * (the id of each byte, the merge table on id pairs) and encoding never builds
 * the mapped strings except for `ignore_merges`.
 */
#include "pare_tokenizer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pare_tokenizer_unicode.h"

/* Nesting limit of the JSON reader (tokenizer.json nests about 6 deep). */
#define JSON_MAX_DEPTH 64
/* Recursion limit of the regex matcher: a pattern whose match needs deeper
 * recursion on some input fails with PARE_TOK_ERR_REGEX instead of overflowing
 * the stack. Quantified single characters (\p{L}+) do not recurse per character. */
#define RX_MAX_DEPTH 4000
/* Backtracking steps allowed per search start position, for the same reason. */
#define RX_MAX_STEPS 10000000L
/* Words longer than this (bytes) are not cached, as in `tokenizers`. */
#define CACHE_MAX_WORD 256
/* The word cache is emptied when it holds this many words. */
#define CACHE_MAX_ENTRIES (1u << 20)
/* Largest vocabulary accepted (ids index per-id tables; real ones are < 300k). */
#define MAX_IDS (1 << 24)

/* ------------------------------------------------------------------ errors -- */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
  va_list ap;
  if (!err || errlen == 0)
    return;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

const char *pare_tokenizer_strerror(int code)
{
  switch (code) {
  case PARE_TOK_OK: return "ok";
  case PARE_TOK_ERR_ARG: return "invalid argument (null pointer or id out of range)";
  case PARE_TOK_ERR_UTF8: return "text is not valid UTF-8";
  case PARE_TOK_ERR_NOMEM: return "out of memory";
  case PARE_TOK_ERR_REGEX: return "pre-tokenizer pattern exceeded its backtracking budget";
  case PARE_TOK_ERR_VOCAB: return "tokenizer does not fit the model's vocabulary";
  default: return "unknown error";
  }
}

/* ------------------------------------------------------------------- arena -- */

/* Bump allocator: everything a loaded tokenizer owns (and the JSON tree while
 * loading) is freed at once. */
typedef struct arena_block {
  struct arena_block *next;
  size_t used, cap;
  /* Data follows, 16-byte aligned (the header is 3 pointer-sized words + padding). */
} arena_block;

typedef struct {
  arena_block *head;
} arena;

#define ARENA_HDR ((sizeof(arena_block) + 15u) & ~(size_t)15u)

static void *arena_alloc(arena *a, size_t n)
{
  arena_block *b = a->head;
  n = (n + 15u) & ~(size_t)15u;
  if (n == 0)
    n = 16;
  if (!b || b->cap - b->used < n) {
    size_t cap = n > ((size_t)1 << 20) ? n : ((size_t)1 << 20);
    b = (arena_block *)malloc(ARENA_HDR + cap);
    if (!b)
      return NULL;
    b->used = 0;
    b->cap = cap;
    b->next = a->head;
    a->head = b;
  }
  {
    void *p = (char *)b + ARENA_HDR + b->used;
    b->used += n;
    return p;
  }
}

static void arena_free(arena *a)
{
  arena_block *b = a->head;
  while (b) {
    arena_block *next = b->next;
    free(b);
    b = next;
  }
  a->head = NULL;
}

static char *arena_strdup(arena *a, const char *s, size_t n)
{
  char *p = (char *)arena_alloc(a, n + 1);
  if (!p)
    return NULL;
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

/* ------------------------------------------------------------------- utf-8 -- */

#define BAD_CP 0xFFFFFFFFu

/* Decodes one strict UTF-8 sequence (no overlongs, surrogates or > U+10FFFF). */
static uint32_t utf8_next(const unsigned char *s, size_t n, size_t *adv)
{
  uint32_t c = s[0];
  if (c < 0x80) {
    *adv = 1;
    return c;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    if (n < 2 || (s[1] & 0xC0) != 0x80)
      return BAD_CP;
    *adv = 2;
    return ((c & 0x1Fu) << 6) | (s[1] & 0x3Fu);
  }
  if (c >= 0xE0 && c <= 0xEF) {
    uint32_t cp;
    if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
      return BAD_CP;
    cp = ((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
    if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))
      return BAD_CP;
    *adv = 3;
    return cp;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    uint32_t cp;
    if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
      return BAD_CP;
    cp = ((c & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
    if (cp < 0x10000 || cp > 0x10FFFF)
      return BAD_CP;
    *adv = 4;
    return cp;
  }
  return BAD_CP;
}

/* Offset of the first invalid sequence, or n when s is valid UTF-8. */
static size_t utf8_check(const unsigned char *s, size_t n)
{
  size_t i = 0, adv;
  while (i < n) {
    if (s[i] < 0x80) {
      i++;
      continue;
    }
    if (utf8_next(s + i, n - i, &adv) == BAD_CP)
      return i;
    i += adv;
  }
  return n;
}

static size_t utf8_put(uint32_t cp, char *out)
{
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* ---------------------------------------------------------------- unicode -- */

static uint8_t uni_cat(uint32_t cp)
{
  size_t lo = 0, hi = sizeof(pare_tok_cat_ranges) / sizeof(pare_tok_cat_ranges[0]);
  if (cp < 256)
    return pare_tok_cat_latin1[cp];
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (cp < pare_tok_cat_ranges[mid].lo)
      hi = mid;
    else if (cp > pare_tok_cat_ranges[mid].hi)
      lo = mid + 1;
    else
      return pare_tok_cat_ranges[mid].cat;
  }
  return PARE_TOK_CAT_Cn;
}

/* White_Space: Oniguruma's \s on Unicode text and Rust's char::is_whitespace. */
static int uni_space(uint32_t cp)
{
  size_t i;
  if (cp < 256)
    return (cp >= 9 && cp <= 13) || cp == 32 || cp == 0x85 || cp == 0xA0;
  for (i = 0; i < sizeof(pare_tok_white_space) / sizeof(pare_tok_white_space[0]); i++)
    if (cp >= pare_tok_white_space[i][0] && cp <= pare_tok_white_space[i][1])
      return 1;
  return 0;
}

#define CATBIT(c) (1u << (c))
#define CATS_N (CATBIT(PARE_TOK_CAT_Nd) | CATBIT(PARE_TOK_CAT_Nl) | CATBIT(PARE_TOK_CAT_No))

/* Digits: Rust's char::is_numeric, which knows Unicode 15.0 (cat is Unicode 14.0's). */
static int uni_rust_numeric(uint32_t cp, uint8_t cat)
{
  size_t i;
  if (CATS_N & CATBIT(cat))
    return 1;
  if (cat != PARE_TOK_CAT_Cn)
    return 0;
  for (i = 0; i < sizeof(pare_tok_rust_numeric_extra) / sizeof(pare_tok_rust_numeric_extra[0]);
       i++)
    if (cp >= pare_tok_rust_numeric_extra[i][0] && cp <= pare_tok_rust_numeric_extra[i][1])
      return 1;
  return 0;
}

static uint32_t uni_fold(uint32_t cp)
{
  size_t lo = 0, hi = sizeof(pare_tok_case_fold) / sizeof(pare_tok_case_fold[0]);
  if (cp < 128)
    return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (cp < pare_tok_case_fold[mid][0])
      hi = mid;
    else if (cp > pare_tok_case_fold[mid][0])
      lo = mid + 1;
    else
      return pare_tok_case_fold[mid][1];
  }
  return cp;
}


/* ------------------------------------------------------------------- json -- */

typedef enum { J_NULL, J_FALSE, J_TRUE, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jval {
  jtype t;
  size_t n;           /* string bytes; array / object members */
  const char *s;      /* J_STR: bytes, NUL-terminated (may also contain NULs) */
  int is_int;         /* J_NUM: an integer literal that fits int64 */
  int64_t i;          /* J_NUM when is_int */
  struct jval *items; /* J_ARR items, J_OBJ values */
  struct jval *keys;  /* J_OBJ keys (J_STR) */
} jval;

typedef struct {
  const unsigned char *p, *end, *begin;
  arena *ar;
  jval *stack; /* members of the open containers */
  size_t sp, scap;
  char *err;
  size_t errlen;
  const char *name;
  int depth;
} jparser;

static void jp_pos(const jparser *jp, size_t *line, size_t *col)
{
  const unsigned char *q;
  *line = 1;
  *col = 1;
  for (q = jp->begin; q < jp->p; q++) {
    if (*q == '\n') {
      ++*line;
      *col = 1;
    } else if ((*q & 0xC0) != 0x80) {
      ++*col;
    }
  }
}

static int jp_fail(jparser *jp, const char *what)
{
  size_t line, col;
  jp_pos(jp, &line, &col);
  set_err(jp->err, jp->errlen, "%s: invalid JSON at line %zu column %zu: %s", jp->name, line, col,
          what);
  return 0;
}

static void jp_ws(jparser *jp)
{
  while (jp->p < jp->end &&
         (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r'))
    jp->p++;
}

static int jp_push(jparser *jp, const jval *v)
{
  if (jp->sp == jp->scap) {
    size_t cap = jp->scap ? jp->scap * 2 : 1024;
    jval *s = (jval *)realloc(jp->stack, cap * sizeof(jval));
    if (!s)
      return jp_fail(jp, "out of memory");
    jp->stack = s;
    jp->scap = cap;
  }
  jp->stack[jp->sp++] = *v;
  return 1;
}

static int hexval(int c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static int jp_hex4(jparser *jp, const unsigned char *q, uint32_t *out)
{
  int i;
  uint32_t v = 0;
  if (jp->end - q < 4)
    return jp_fail(jp, "truncated \\u escape");
  for (i = 0; i < 4; i++) {
    int h = hexval(q[i]);
    if (h < 0)
      return jp_fail(jp, "bad \\u escape");
    v = v * 16 + (uint32_t)h;
  }
  *out = v;
  return 1;
}

static int jp_string(jparser *jp, jval *v)
{
  const unsigned char *q = jp->p + 1, *start = q;
  char *out;
  size_t o = 0;
  /* First pass: find the closing quote (the unescaped text is never longer). */
  while (q < jp->end && *q != '"') {
    if (*q == '\\')
      q++;
    q++;
  }
  if (q >= jp->end)
    return jp_fail(jp, "unterminated string");
  out = (char *)arena_alloc(jp->ar, (size_t)(q - start) + 1);
  if (!out)
    return jp_fail(jp, "out of memory");
  q = start;
  while (*q != '"') {
    if (*q < 0x20) {
      jp->p = q;
      return jp_fail(jp, "control character in string");
    }
    if (*q == '\\') {
      uint32_t cp;
      jp->p = q;
      switch (q[1]) {
      case '"': out[o++] = '"'; q += 2; break;
      case '\\': out[o++] = '\\'; q += 2; break;
      case '/': out[o++] = '/'; q += 2; break;
      case 'b': out[o++] = '\b'; q += 2; break;
      case 'f': out[o++] = '\f'; q += 2; break;
      case 'n': out[o++] = '\n'; q += 2; break;
      case 'r': out[o++] = '\r'; q += 2; break;
      case 't': out[o++] = '\t'; q += 2; break;
      case 'u':
        if (!jp_hex4(jp, q + 2, &cp))
          return 0;
        q += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t lo;
          if (q[0] != '\\' || q[1] != 'u' || !jp_hex4(jp, q + 2, &lo) || lo < 0xDC00 ||
              lo > 0xDFFF)
            return jp_fail(jp, "unpaired surrogate in \\u escape");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          q += 6;
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return jp_fail(jp, "unpaired surrogate in \\u escape");
        }
        o += utf8_put(cp, out + o);
        break;
      default:
        return jp_fail(jp, "bad escape in string");
      }
    } else if (*q < 0x80) {
      out[o++] = (char)*q++;
    } else {
      size_t adv;
      if (utf8_next(q, (size_t)(jp->end - q), &adv) == BAD_CP) {
        jp->p = q;
        return jp_fail(jp, "invalid UTF-8 in string");
      }
      memcpy(out + o, q, adv);
      o += adv;
      q += adv;
    }
  }
  out[o] = 0;
  memset(v, 0, sizeof(*v));
  v->t = J_STR;
  v->s = out;
  v->n = o;
  jp->p = q + 1;
  return 1;
}

static int jp_number(jparser *jp, jval *v)
{
  const unsigned char *q = jp->p;
  int neg = 0, is_int = 1, overflow = 0;
  uint64_t mag = 0;
  if (*q == '-') {
    neg = 1;
    q++;
  }
  if (q >= jp->end || !(*q >= '0' && *q <= '9'))
    return jp_fail(jp, "bad number");
  if (*q == '0') {
    q++;
  } else {
    while (q < jp->end && *q >= '0' && *q <= '9') {
      if (mag > (UINT64_MAX - 9) / 10)
        overflow = 1;
      else
        mag = mag * 10 + (uint64_t)(*q - '0');
      q++;
    }
  }
  if (q < jp->end && *q == '.') {
    is_int = 0;
    q++;
    if (q >= jp->end || !(*q >= '0' && *q <= '9'))
      return jp_fail(jp, "bad number");
    while (q < jp->end && *q >= '0' && *q <= '9')
      q++;
  }
  if (q < jp->end && (*q == 'e' || *q == 'E')) {
    is_int = 0;
    q++;
    if (q < jp->end && (*q == '+' || *q == '-'))
      q++;
    if (q >= jp->end || !(*q >= '0' && *q <= '9'))
      return jp_fail(jp, "bad number");
    while (q < jp->end && *q >= '0' && *q <= '9')
      q++;
  }
  memset(v, 0, sizeof(*v));
  v->t = J_NUM;
  if (is_int && !overflow && mag <= (uint64_t)INT64_MAX) {
    v->is_int = 1;
    v->i = neg ? -(int64_t)mag : (int64_t)mag;
  }
  jp->p = q;
  return 1;
}

static int jp_lit(jparser *jp, const char *word, jtype t, jval *v)
{
  size_t n = strlen(word);
  if ((size_t)(jp->end - jp->p) < n || memcmp(jp->p, word, n) != 0)
    return jp_fail(jp, "unexpected character");
  jp->p += n;
  memset(v, 0, sizeof(*v));
  v->t = t;
  return 1;
}

static int jp_value(jparser *jp, jval *v);

/* Moves the top n members of the stack into the arena. */
static jval *jp_pop(jparser *jp, size_t n)
{
  jval *a = (jval *)arena_alloc(jp->ar, (n ? n : 1) * sizeof(jval));
  if (!a) {
    jp_fail(jp, "out of memory");
    return NULL;
  }
  memcpy(a, jp->stack + jp->sp - n, n * sizeof(jval));
  jp->sp -= n;
  return a;
}

static int jp_array(jparser *jp, jval *v)
{
  size_t base = jp->sp, n;
  jp->p++;
  jp_ws(jp);
  if (jp->p < jp->end && *jp->p == ']') {
    jp->p++;
  } else {
    for (;;) {
      jval item;
      if (!jp_value(jp, &item) || !jp_push(jp, &item))
        return 0;
      jp_ws(jp);
      if (jp->p < jp->end && *jp->p == ',') {
        jp->p++;
        continue;
      }
      if (jp->p < jp->end && *jp->p == ']') {
        jp->p++;
        break;
      }
      return jp_fail(jp, "expected ',' or ']'");
    }
  }
  n = jp->sp - base;
  memset(v, 0, sizeof(*v));
  v->t = J_ARR;
  v->n = n;
  v->items = jp_pop(jp, n);
  return v->items != NULL;
}

static int jp_object(jparser *jp, jval *v)
{
  size_t base = jp->sp, n, i;
  jp->p++;
  jp_ws(jp);
  if (jp->p < jp->end && *jp->p == '}') {
    jp->p++;
  } else {
    for (;;) {
      jval key, val;
      jp_ws(jp);
      if (jp->p >= jp->end || *jp->p != '"')
        return jp_fail(jp, "expected a string key");
      if (!jp_string(jp, &key))
        return 0;
      jp_ws(jp);
      if (jp->p >= jp->end || *jp->p != ':')
        return jp_fail(jp, "expected ':'");
      jp->p++;
      if (!jp_value(jp, &val) || !jp_push(jp, &key) || !jp_push(jp, &val))
        return 0;
      jp_ws(jp);
      if (jp->p < jp->end && *jp->p == ',') {
        jp->p++;
        continue;
      }
      if (jp->p < jp->end && *jp->p == '}') {
        jp->p++;
        break;
      }
      return jp_fail(jp, "expected ',' or '}'");
    }
  }
  n = (jp->sp - base) / 2;
  memset(v, 0, sizeof(*v));
  v->t = J_OBJ;
  v->n = n;
  v->keys = (jval *)arena_alloc(jp->ar, (n ? n : 1) * sizeof(jval));
  v->items = (jval *)arena_alloc(jp->ar, (n ? n : 1) * sizeof(jval));
  if (!v->keys || !v->items)
    return jp_fail(jp, "out of memory");
  for (i = 0; i < n; i++) {
    v->keys[i] = jp->stack[base + 2 * i];
    v->items[i] = jp->stack[base + 2 * i + 1];
  }
  jp->sp = base;
  return 1;
}

static int jp_value(jparser *jp, jval *v)
{
  int ok;
  jp_ws(jp);
  if (jp->p >= jp->end)
    return jp_fail(jp, "unexpected end of input");
  if (++jp->depth > JSON_MAX_DEPTH)
    return jp_fail(jp, "nested too deeply");
  switch (*jp->p) {
  case '{': ok = jp_object(jp, v); break;
  case '[': ok = jp_array(jp, v); break;
  case '"': ok = jp_string(jp, v); break;
  case 't': ok = jp_lit(jp, "true", J_TRUE, v); break;
  case 'f': ok = jp_lit(jp, "false", J_FALSE, v); break;
  case 'n': ok = jp_lit(jp, "null", J_NULL, v); break;
  default:
    if (*jp->p == '-' || (*jp->p >= '0' && *jp->p <= '9'))
      ok = jp_number(jp, v);
    else
      ok = jp_fail(jp, "unexpected character");
  }
  jp->depth--;
  return ok;
}

static int json_parse(const char *text, size_t len, arena *ar, const char *name, char *err,
                      size_t errlen, jval *root)
{
  jparser jp;
  int ok;
  memset(&jp, 0, sizeof(jp));
  jp.begin = jp.p = (const unsigned char *)text;
  jp.end = jp.p + len;
  jp.ar = ar;
  jp.err = err;
  jp.errlen = errlen;
  jp.name = name;
  /* A UTF-8 byte order mark is not JSON (serde_json rejects it too). */
  ok = jp_value(&jp, root);
  if (ok) {
    jp_ws(&jp);
    if (jp.p != jp.end)
      ok = jp_fail(&jp, "trailing characters after the top-level value");
  }
  free(jp.stack);
  return ok;
}

/* ------------------------------------------------------- loading context -- */

typedef struct {
  char *err;
  size_t errlen;
  const char *name;
} ldctx;

static int fail(ldctx *c, const char *fmt, ...)
{
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  set_err(c->err, c->errlen, "%s: %s", c->name, msg);
  return 0;
}

static int key_is(const jval *k, const char *s)
{
  size_t n = strlen(s);
  return k->n == n && memcmp(k->s, s, n) == 0;
}

/* obj's member named key (NULL if absent); a key given twice is an error. */
static int jget(ldctx *c, const jval *obj, const char *path, const char *key, const jval **out)
{
  size_t i;
  *out = NULL;
  for (i = 0; i < obj->n; i++) {
    if (key_is(&obj->keys[i], key)) {
      if (*out)
        return fail(c, "%s: field '%s' given twice", path, key);
      *out = &obj->items[i];
    }
  }
  return 1;
}

/* Every member of obj must be one of the NULL-terminated names. */
static int only_fields(ldctx *c, const jval *obj, const char *path, const char *const *names)
{
  size_t i;
  for (i = 0; i < obj->n; i++) {
    const char *const *q;
    for (q = names; *q; q++)
      if (key_is(&obj->keys[i], *q))
        break;
    if (!*q)
      return fail(c, "%s: field '%s' is not supported by pare's tokenizer", path,
                  obj->keys[i].s);
  }
  return 1;
}

static int want_obj(ldctx *c, const jval *v, const char *path)
{
  if (!v || v->t != J_OBJ)
    return fail(c, "%s: expected an object", path);
  return 1;
}

/* Optional boolean field (absent = dflt). */
static int get_bool(ldctx *c, const jval *obj, const char *path, const char *key, int dflt,
                    int *out)
{
  const jval *v;
  if (!jget(c, obj, path, key, &v))
    return 0;
  if (!v || v->t == J_NULL) {
    *out = dflt;
    return 1;
  }
  if (v->t != J_TRUE && v->t != J_FALSE)
    return fail(c, "%s.%s: expected true or false", path, key);
  *out = v->t == J_TRUE;
  return 1;
}

/* Object member "type" as a string. */
static int get_type(ldctx *c, const jval *obj, const char *path, const char **type)
{
  const jval *v;
  if (!want_obj(c, obj, path) || !jget(c, obj, path, "type", &v))
    return 0;
  if (!v || v->t != J_STR)
    return fail(c, "%s: missing \"type\"", path);
  *type = v->s;
  return 1;
}

static int get_id(ldctx *c, const jval *v, const char *path, int32_t *id)
{
  *id = 0;
  if (!v || v->t != J_NUM || !v->is_int || v->i < 0 || v->i > INT32_MAX - 1)
    return fail(c, "%s: expected a token id (integer 0 .. 2^31-2)", path);
  *id = (int32_t)v->i;
  return 1;
}

/* ------------------------------------------------------------ hash tables -- */

static uint64_t hash_bytes(const void *p, size_t n)
{
  const unsigned char *s = (const unsigned char *)p;
  uint64_t h = 1469598103934665603ull;
  size_t i;
  for (i = 0; i < n; i++) {
    h ^= s[i];
    h *= 1099511628211ull;
  }
  h ^= h >> 29;
  return h;
}

/* Byte string -> int32 (vocabulary, added-token contents, word cache). */
typedef struct {
  const char *s;
  uint32_t len;
  int32_t val;
  uint64_t hash;
} strent;

typedef struct {
  strent *e;
  size_t cap, count; /* cap: power of two */
} strtab;

static int strtab_grow(strtab *t)
{
  size_t cap = t->cap ? t->cap * 2 : 1024, i;
  strent *e = (strent *)calloc(cap, sizeof(strent));
  if (!e)
    return 0;
  for (i = 0; i < t->cap; i++) {
    if (t->e[i].s) {
      size_t j = (size_t)t->e[i].hash & (cap - 1);
      while (e[j].s)
        j = (j + 1) & (cap - 1);
      e[j] = t->e[i];
    }
  }
  free(t->e);
  t->e = e;
  t->cap = cap;
  return 1;
}

static strent *strtab_find(const strtab *t, const char *s, size_t len, uint64_t h)
{
  size_t j;
  if (!t->cap)
    return NULL;
  for (j = (size_t)h & (t->cap - 1); t->e[j].s; j = (j + 1) & (t->cap - 1))
    if (t->e[j].hash == h && t->e[j].len == len && memcmp(t->e[j].s, s, len) == 0)
      return &t->e[j];
  return NULL;
}

static int strtab_get(const strtab *t, const char *s, size_t len, int32_t *val)
{
  strent *e = strtab_find(t, s, len, hash_bytes(s, len));
  if (!e)
    return 0;
  *val = e->val;
  return 1;
}

/* Inserts s (not copied: it must outlive the table). Returns 0 on out of
 * memory, -1 when s is already present (its value is left alone). */
static int strtab_put(strtab *t, const char *s, size_t len, int32_t val)
{
  uint64_t h = hash_bytes(s, len);
  size_t j;
  if (strtab_find(t, s, len, h))
    return -1;
  if ((t->count + 1) * 4 > t->cap * 3 && !strtab_grow(t))
    return 0;
  j = (size_t)h & (t->cap - 1);
  while (t->e[j].s)
    j = (j + 1) & (t->cap - 1);
  t->e[j].s = s;
  t->e[j].len = (uint32_t)len;
  t->e[j].val = val;
  t->e[j].hash = h;
  t->count++;
  return 1;
}

static void strtab_free(strtab *t)
{
  free(t->e);
  memset(t, 0, sizeof(*t));
}

/* (left id, right id) -> (rank, merged id). */
typedef struct {
  uint64_t key; /* MERGE_EMPTY when free */
  int32_t rank, id;
} mergeent;

#define MERGE_EMPTY UINT64_MAX

typedef struct {
  mergeent *e;
  size_t cap, count;
} mergetab;

static size_t merge_slot(uint64_t key, size_t cap)
{
  uint64_t h = key * 0x9E3779B97F4A7C15ull;
  return (size_t)(h >> 20) & (cap - 1);
}

static int mergetab_grow(mergetab *t)
{
  size_t cap = t->cap ? t->cap * 2 : 4096, i;
  mergeent *e = (mergeent *)malloc(cap * sizeof(mergeent));
  if (!e)
    return 0;
  for (i = 0; i < cap; i++)
    e[i].key = MERGE_EMPTY;
  for (i = 0; i < t->cap; i++) {
    if (t->e[i].key != MERGE_EMPTY) {
      size_t j = merge_slot(t->e[i].key, cap);
      while (e[j].key != MERGE_EMPTY)
        j = (j + 1) & (cap - 1);
      e[j] = t->e[i];
    }
  }
  free(t->e);
  t->e = e;
  t->cap = cap;
  return 1;
}

static const mergeent *mergetab_get(const mergetab *t, int32_t a, int32_t b)
{
  uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
  size_t j = merge_slot(key, t->cap);
  for (; t->e[j].key != MERGE_EMPTY; j = (j + 1) & (t->cap - 1))
    if (t->e[j].key == key)
      return &t->e[j];
  return NULL;
}

/* A pair listed twice keeps its last rank (as `tokenizers`' HashMap collect). */
static int mergetab_put(mergetab *t, int32_t a, int32_t b, int32_t rank, int32_t id)
{
  uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
  size_t j;
  if ((t->count + 1) * 2 > t->cap && !mergetab_grow(t))
    return 0;
  for (j = merge_slot(key, t->cap); t->e[j].key != MERGE_EMPTY; j = (j + 1) & (t->cap - 1)) {
    if (t->e[j].key == key) {
      t->e[j].rank = rank;
      t->e[j].id = id;
      return 1;
    }
  }
  t->e[j].key = key;
  t->e[j].rank = rank;
  t->e[j].id = id;
  t->count++;
  return 1;
}

/* ------------------------------------------------------------------ regex -- */

/* The subset of Oniguruma's syntax that tokenizer.json patterns use, with its
 * matching semantics (backtracking, first alternative that matches wins).
 * Patterns are matched on arrays of code points with their general categories. */

enum { RX_EMPTY, RX_CHAR, RX_ANY, RX_SET, RX_CAT, RX_ALT, RX_REP, RX_LOOK, RX_ATOMIC, RX_BOL,
       RX_EOL, RX_BOS, RX_EOS };
enum { RXI_RANGE, RXI_CATS, RXI_SPACE };
enum { RXQ_GREEDY, RXQ_LAZY, RXQ_POSSESSIVE };

typedef struct {
  uint8_t kind, neg;
  uint32_t lo, hi; /* RXI_RANGE, inclusive */
  uint32_t cats;   /* RXI_CATS: bit per general category */
} rx_item;

typedef struct rx_node {
  uint8_t kind;
  uint8_t fold; /* RX_CHAR / RX_SET: case-insensitive */
  uint8_t neg;  /* RX_SET: [^...]; RX_LOOK: (?!...) */
  uint8_t mode; /* RX_REP: RXQ_* */
  uint32_t ch;  /* RX_CHAR (folded when fold) */
  int32_t min, max; /* RX_REP; max < 0: unbounded */
  rx_item *items;
  int nitems;
  struct rx_node **kids;
  int nkids;
} rx_node;

typedef struct {
  const uint32_t *p; /* pattern code points */
  size_t i, n;
  arena *ar;
  const char *what; /* error text */
  size_t at;        /* code point index of the error */
} rx_parser;

static rx_node *rx_new(rx_parser *P, int kind)
{
  rx_node *n = (rx_node *)arena_alloc(P->ar, sizeof(rx_node));
  if (!n) {
    P->what = "out of memory";
    return NULL;
  }
  memset(n, 0, sizeof(*n));
  n->kind = (uint8_t)kind;
  return n;
}

static rx_node *rx_err(rx_parser *P, const char *what)
{
  if (!P->what) {
    P->what = what;
    P->at = P->i;
  }
  return NULL;
}

/* Builds a node with the given children (copied into the arena). */
static rx_node *rx_list(rx_parser *P, int kind, rx_node **kids, int n)
{
  rx_node *node;
  if (n == 1)
    return kids[0];
  node = rx_new(P, n == 0 ? RX_EMPTY : kind);
  if (!node || n == 0)
    return node;
  node->kids = (rx_node **)arena_alloc(P->ar, (size_t)n * sizeof(rx_node *));
  if (!node->kids)
    return rx_err(P, "out of memory");
  memcpy(node->kids, kids, (size_t)n * sizeof(rx_node *));
  node->nkids = n;
  return node;
}

/* \p{Name} / \pX category names: one or two letters. */
static int rx_cat_mask(const uint32_t *name, size_t len, uint32_t *mask)
{
  int i;
  *mask = 0;
  if (len == 1) {
    for (i = 0; i < PARE_TOK_CAT_COUNT; i++)
      if ((uint32_t)(unsigned char)pare_tok_cat_names[i][0] == name[0])
        *mask |= CATBIT(i);
    return *mask != 0;
  }
  if (len == 2) {
    for (i = 0; i < PARE_TOK_CAT_COUNT; i++)
      if ((uint32_t)(unsigned char)pare_tok_cat_names[i][0] == name[0] &&
          (uint32_t)(unsigned char)pare_tok_cat_names[i][1] == name[1])
        *mask = CATBIT(i);
    return *mask != 0;
  }
  return 0;
}

static int rx_hex_escape(rx_parser *P, uint32_t *cp)
{
  /* After "\x" or "\u": \xHH, \x{H...}, \uHHHH. */
  uint32_t v = 0;
  int digits = 0, want = P->p[P->i - 1] == 'u' ? 4 : 2;
  if (P->p[P->i - 1] == 'x' && P->i < P->n && P->p[P->i] == '{') {
    P->i++;
    while (P->i < P->n && P->p[P->i] != '}') {
      int h = P->p[P->i] < 128 ? hexval((int)P->p[P->i]) : -1;
      if (h < 0 || ++digits > 6)
        return 0;
      v = v * 16 + (uint32_t)h;
      P->i++;
    }
    if (P->i >= P->n || digits == 0 || v > 0x10FFFF)
      return 0;
    P->i++;
    *cp = v;
    return 1;
  }
  while (digits < want) {
    int h = (P->i < P->n && P->p[P->i] < 128) ? hexval((int)P->p[P->i]) : -1;
    if (h < 0)
      return 0;
    v = v * 16 + (uint32_t)h;
    P->i++;
    digits++;
  }
  *cp = v;
  return 1;
}

/* Parses an escape after '\' into either a literal code point (returns 1) or a
 * set item (returns 2). in_class: inside [...]. Returns 0 on error. */
static int rx_escape(rx_parser *P, int in_class, uint32_t *cp, rx_item *item)
{
  uint32_t c;
  if (P->i >= P->n) {
    rx_err(P, "pattern ends with '\\'");
    return 0;
  }
  c = P->p[P->i++];
  memset(item, 0, sizeof(*item));
  switch (c) {
  case 'n': *cp = '\n'; return 1;
  case 'r': *cp = '\r'; return 1;
  case 't': *cp = '\t'; return 1;
  case 'f': *cp = '\f'; return 1;
  case 'v': *cp = '\v'; return 1;
  case 'a': *cp = 7; return 1;
  case 'e': *cp = 27; return 1;
  case 'x':
  case 'u':
    if (!rx_hex_escape(P, cp)) {
      rx_err(P, "bad hexadecimal escape");
      return 0;
    }
    return 1;
  case 's':
  case 'S':
    item->kind = RXI_SPACE;
    item->neg = c == 'S';
    return 2;
  case 'd':
  case 'D':
    /* Oniguruma on UTF-8: \d is any decimal digit (Nd). */
    item->kind = RXI_CATS;
    item->cats = CATBIT(PARE_TOK_CAT_Nd);
    item->neg = c == 'D';
    return 2;
  case 'p':
  case 'P': {
    size_t start, len;
    item->kind = RXI_CATS;
    item->neg = c == 'P';
    if (P->i < P->n && P->p[P->i] == '{') {
      start = ++P->i;
      if (P->i < P->n && P->p[P->i] == '^') {
        item->neg = !item->neg;
        start = ++P->i;
      }
      while (P->i < P->n && P->p[P->i] != '}')
        P->i++;
      if (P->i >= P->n) {
        rx_err(P, "unterminated \\p{");
        return 0;
      }
      len = P->i - start;
      P->i++;
    } else {
      start = P->i;
      len = P->i < P->n ? 1 : 0;
      P->i += len;
    }
    if (!rx_cat_mask(P->p + start, len, &item->cats)) {
      P->i = start;
      rx_err(P, "unsupported \\p{...} property (general categories like L, Lu, N, Nd are)");
      return 0;
    }
    return 2;
  }
  default:
    break;
  }
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
    P->i--;
    if (!in_class && (c == 'A' || c == 'z'))
      return 3; /* anchors, handled by the caller */
    rx_err(P, "unsupported escape (\\w, \\b, \\h, back-references, ... are not supported)");
    return 0;
  }
  *cp = c; /* escaped punctuation or non-ASCII: itself */
  return 1;
}

static int rx_add_item(rx_parser *P, rx_item **items, int *n, int *cap, const rx_item *it)
{
  if (*n == *cap) {
    int nc = *cap ? *cap * 2 : 8;
    rx_item *ni = (rx_item *)arena_alloc(P->ar, (size_t)nc * sizeof(rx_item));
    if (!ni) {
      rx_err(P, "out of memory");
      return 0;
    }
    if (*n)
      memcpy(ni, *items, (size_t)*n * sizeof(rx_item));
    *items = ni;
    *cap = nc;
  }
  (*items)[(*n)++] = *it;
  return 1;
}

static rx_node *rx_class(rx_parser *P, int fold)
{
  rx_node *node = rx_new(P, RX_SET);
  int cap = 0, first = 1;
  if (!node)
    return NULL;
  P->i++; /* '[' */
  if (P->i < P->n && P->p[P->i] == '^') {
    node->neg = 1;
    P->i++;
  }
  for (;;) {
    rx_item it;
    uint32_t lo;
    int r;
    if (P->i >= P->n)
      return rx_err(P, "unterminated [...]");
    if (P->p[P->i] == ']' && !first) {
      P->i++;
      break;
    }
    first = 0;
    if (P->p[P->i] == '[' || (P->p[P->i] == '&' && P->i + 1 < P->n && P->p[P->i + 1] == '&'))
      return rx_err(P, "nested classes and && in [...] are not supported");
    if (P->p[P->i] == '\\') {
      P->i++;
      r = rx_escape(P, 1, &lo, &it);
      if (r == 0)
        return NULL;
      if (r == 2) {
        if (!rx_add_item(P, &node->items, &node->nitems, &cap, &it))
          return NULL;
        continue;
      }
    } else {
      lo = P->p[P->i++];
    }
    memset(&it, 0, sizeof(it));
    it.kind = RXI_RANGE;
    it.lo = it.hi = lo;
    if (P->i + 1 < P->n && P->p[P->i] == '-' && P->p[P->i + 1] != ']') {
      uint32_t hi;
      P->i++;
      if (P->p[P->i] == '\\') {
        rx_item it2;
        P->i++;
        if (rx_escape(P, 1, &hi, &it2) != 1)
          return rx_err(P, "bad range in [...]");
      } else {
        hi = P->p[P->i++];
      }
      if (hi < lo)
        return rx_err(P, "empty range in [...]");
      it.hi = hi;
    }
    if (fold) {
      /* Only ranges whose every member folds to itself and is no one's fold
       * (no letters) are supported under (?i): enough for punctuation. */
      uint32_t c;
      size_t k;
      for (c = it.lo; c <= it.hi; c++) {
        if (uni_fold(c) != c)
          return rx_err(P, "letters in [...] under (?i) are not supported");
        if (c > 0xFFFF)
          break;
      }
      for (k = 0; k < sizeof(pare_tok_case_fold) / sizeof(pare_tok_case_fold[0]); k++)
        if (pare_tok_case_fold[k][1] >= it.lo && pare_tok_case_fold[k][1] <= it.hi)
          return rx_err(P, "letters in [...] under (?i) are not supported");
    }
    if (!rx_add_item(P, &node->items, &node->nitems, &cap, &it))
      return NULL;
  }
  return node;
}

static rx_node *rx_alt(rx_parser *P, int *fold);

/* Parses "{n}", "{n,}", "{n,m}", "{,m}" at P->i; 0 (position unchanged) when
 * the brace is not a quantifier (then it is a literal '{', as in Oniguruma). */
static int rx_braces(rx_parser *P, int32_t *min, int32_t *max)
{
  size_t i = P->i + 1;
  int64_t a = -1, b = -1;
  while (i < P->n && P->p[i] >= '0' && P->p[i] <= '9' && a < 100000)
    a = (a < 0 ? 0 : a * 10) + (int64_t)(P->p[i++] - '0');
  if (i < P->n && P->p[i] == '}') {
    if (a < 0)
      return 0;
    b = a;
  } else if (i < P->n && P->p[i] == ',') {
    i++;
    while (i < P->n && P->p[i] >= '0' && P->p[i] <= '9' && b < 100000)
      b = (b < 0 ? 0 : b * 10) + (int64_t)(P->p[i++] - '0');
    if (i >= P->n || P->p[i] != '}' || (a < 0 && b < 0))
      return 0;
    if (a < 0)
      a = 0;
  } else {
    return 0;
  }
  if (a > 100000 || b > 100000)
    return 0;
  *min = (int32_t)a;
  *max = (int32_t)b;
  P->i = i + 1;
  return 1;
}

static int rx_single_char(const rx_node *n)
{
  return n->kind == RX_CHAR || n->kind == RX_ANY || n->kind == RX_SET;
}

static rx_node *rx_atom(rx_parser *P, int *fold)
{
  uint32_t c = P->p[P->i];
  rx_node *n;
  if (c == '(') {
    int inner = *fold, kind = 0, neg = 0;
    P->i++;
    if (P->i < P->n && P->p[P->i] == '?') {
      P->i++;
      if (P->i >= P->n)
        return rx_err(P, "unterminated group");
      c = P->p[P->i];
      if (c == ':') {
        P->i++;
      } else if (c == '=' || c == '!') {
        kind = RX_LOOK;
        neg = c == '!';
        P->i++;
      } else if (c == '>') {
        kind = RX_ATOMIC;
        P->i++;
      } else if (c == 'i' || c == '-') {
        int on = 1;
        while (P->i < P->n && (P->p[P->i] == 'i' || P->p[P->i] == '-')) {
          if (P->p[P->i] == '-')
            on = 0;
          else
            inner = on;
          P->i++;
        }
        if (P->i < P->n && P->p[P->i] == ')') {
          /* (?i) switches the rest of the enclosing group. */
          P->i++;
          *fold = inner;
          return rx_new(P, RX_EMPTY);
        }
        if (P->i >= P->n || P->p[P->i] != ':')
          return rx_err(P, "unsupported group flags (only i is supported)");
        P->i++;
      } else if (c == '<') {
        return rx_err(P, "look-behind and named groups are not supported");
      } else {
        return rx_err(P, "unsupported (?...) group");
      }
    }
    n = rx_alt(P, &inner);
    if (!n)
      return NULL;
    if (P->i >= P->n || P->p[P->i] != ')')
      return rx_err(P, "missing ')'");
    P->i++;
    if (kind) {
      rx_node *g = rx_new(P, kind);
      if (!g)
        return NULL;
      g->neg = (uint8_t)neg;
      g->kids = (rx_node **)arena_alloc(P->ar, sizeof(rx_node *));
      if (!g->kids)
        return rx_err(P, "out of memory");
      g->kids[0] = n;
      g->nkids = 1;
      return g;
    }
    return n;
  }
  if (c == '[')
    return rx_class(P, *fold);
  if (c == '.') {
    P->i++;
    return rx_new(P, RX_ANY);
  }
  if (c == '^' || c == '$') {
    P->i++;
    return rx_new(P, c == '^' ? RX_BOL : RX_EOL);
  }
  if (c == '*' || c == '+' || c == '?')
    return rx_err(P, "quantifier without an operand");
  if (c == '\\') {
    rx_item it;
    uint32_t cp = 0;
    int r;
    P->i++;
    r = rx_escape(P, 0, &cp, &it);
    if (r == 0)
      return NULL;
    if (r == 3) {
      n = rx_new(P, P->p[P->i] == 'A' ? RX_BOS : RX_EOS);
      P->i++;
      return n;
    }
    if (r == 2) {
      n = rx_new(P, RX_SET);
      if (!n)
        return NULL;
      n->items = (rx_item *)arena_alloc(P->ar, sizeof(rx_item));
      if (!n->items)
        return rx_err(P, "out of memory");
      n->items[0] = it;
      n->nitems = 1;
      return n;
    }
    c = cp;
  } else {
    P->i++;
  }
  n = rx_new(P, RX_CHAR);
  if (!n)
    return NULL;
  n->fold = (uint8_t)*fold;
  n->ch = *fold ? uni_fold(c) : c;
  return n;
}

static rx_node *rx_cat(rx_parser *P, int *fold)
{
  rx_node *stackbuf[64], **kids = stackbuf;
  int n = 0, cap = 64;
  rx_node *res;
  while (P->i < P->n && P->p[P->i] != '|' && P->p[P->i] != ')') {
    rx_node *a = rx_atom(P, fold);
    if (!a)
      return NULL;
    while (P->i < P->n) {
      int32_t min, max;
      rx_node *r;
      uint32_t q = P->p[P->i];
      if (q == '*') {
        min = 0;
        max = -1;
        P->i++;
      } else if (q == '+') {
        min = 1;
        max = -1;
        P->i++;
      } else if (q == '?') {
        min = 0;
        max = 1;
        P->i++;
      } else if (q != '{' || !rx_braces(P, &min, &max)) {
        break;
      }
      if (a->kind == RX_EMPTY || a->kind == RX_BOL || a->kind == RX_EOL || a->kind == RX_BOS ||
          a->kind == RX_EOS || a->kind == RX_LOOK)
        return rx_err(P, "quantifier on an empty or zero-width expression");
      if (max >= 0 && max < min)
        return rx_err(P, "bad {min,max} quantifier");
      r = rx_new(P, RX_REP);
      if (!r)
        return NULL;
      r->min = min;
      r->max = max;
      r->mode = RXQ_GREEDY;
      if (P->i < P->n && P->p[P->i] == '?') {
        r->mode = RXQ_LAZY;
        P->i++;
      } else if (P->i < P->n && P->p[P->i] == '+') {
        r->mode = RXQ_POSSESSIVE;
        P->i++;
      }
      r->kids = (rx_node **)arena_alloc(P->ar, sizeof(rx_node *));
      if (!r->kids)
        return rx_err(P, "out of memory");
      r->kids[0] = a;
      r->nkids = 1;
      a = r;
    }
    if (a->kind == RX_EMPTY)
      continue;
    if (n == cap) {
      rx_node **nk = (rx_node **)arena_alloc(P->ar, (size_t)cap * 2 * sizeof(rx_node *));
      if (!nk)
        return rx_err(P, "out of memory");
      memcpy(nk, kids, (size_t)n * sizeof(rx_node *));
      kids = nk;
      cap *= 2;
    }
    kids[n++] = a;
  }
  res = rx_list(P, RX_CAT, kids, n);
  return res;
}

static rx_node *rx_alt(rx_parser *P, int *fold)
{
  rx_node *stackbuf[64], **kids = stackbuf;
  int n = 0, cap = 64;
  for (;;) {
    rx_node *c = rx_cat(P, fold);
    if (!c)
      return NULL;
    if (n == cap) {
      rx_node **nk = (rx_node **)arena_alloc(P->ar, (size_t)cap * 2 * sizeof(rx_node *));
      if (!nk)
        return rx_err(P, "out of memory");
      memcpy(nk, kids, (size_t)n * sizeof(rx_node *));
      kids = nk;
      cap *= 2;
    }
    kids[n++] = c;
    if (P->i < P->n && P->p[P->i] == '|') {
      P->i++;
      continue;
    }
    break;
  }
  return rx_list(P, RX_ALT, kids, n);
}

/* Compiles a UTF-8 pattern; on error returns NULL and describes it in msg. */
static rx_node *rx_compile(arena *ar, const char *pat, size_t len, char *msg, size_t msglen)
{
  rx_parser P;
  uint32_t *cps;
  size_t i = 0, n = 0, adv;
  rx_node *root;
  int fold = 0;
  memset(&P, 0, sizeof(P));
  cps = (uint32_t *)malloc((len + 1) * sizeof(uint32_t));
  if (!cps) {
    set_err(msg, msglen, "out of memory");
    return NULL;
  }
  while (i < len) {
    cps[n] = utf8_next((const unsigned char *)pat + i, len - i, &adv);
    if (cps[n] == BAD_CP) {
      free(cps);
      set_err(msg, msglen, "pattern is not valid UTF-8");
      return NULL;
    }
    n++;
    i += adv;
  }
  P.p = cps;
  P.n = n;
  P.ar = ar;
  root = rx_alt(&P, &fold);
  if (root && P.i < P.n)
    root = rx_err(&P, "unbalanced ')'");
  if (!root)
    set_err(msg, msglen, "%s (at character %zu)", P.what ? P.what : "bad pattern", P.at);
  free(cps);
  return root;
}

/* A literal pattern (Split's {"String": ...}): the concatenation of its characters. */
static rx_node *rx_literal(arena *ar, const char *s, size_t len)
{
  rx_parser P;
  rx_node **kids;
  size_t i = 0, adv;
  int n = 0;
  memset(&P, 0, sizeof(P));
  P.ar = ar;
  kids = (rx_node **)arena_alloc(ar, (len ? len : 1) * sizeof(rx_node *));
  if (!kids)
    return NULL;
  while (i < len) {
    rx_node *c = rx_new(&P, RX_CHAR);
    if (!c)
      return NULL;
    c->ch = utf8_next((const unsigned char *)s + i, len - i, &adv);
    i += adv;
    kids[n++] = c;
  }
  return rx_list(&P, RX_CAT, kids, n);
}

/* Matching. */

typedef struct {
  const uint32_t *cp;
  const uint8_t *cat;
  size_t n;
  size_t end; /* end of the match found */
  long steps;
  int depth;
  int error; /* budget exceeded */
} rx_ctx;

/* What remains to match after the current node: the rest of a concatenation,
 * or the next iteration of a repetition. */
typedef struct rx_frame {
  const rx_node *node; /* RX_CAT or RX_REP */
  int idx;             /* RX_CAT: next child */
  int32_t count;       /* RX_REP: iterations done */
  size_t start;        /* RX_REP: where the current iteration began */
  const struct rx_frame *next;
} rx_frame;

static int rx_item_match(const rx_item *it, uint32_t c, uint8_t cat)
{
  int m;
  switch (it->kind) {
  case RXI_RANGE: m = c >= it->lo && c <= it->hi; break;
  case RXI_CATS: m = (it->cats & CATBIT(cat)) != 0; break;
  default: m = uni_space(c); break;
  }
  return m != it->neg;
}

static int rx_char_match(const rx_node *n, uint32_t c, uint8_t cat)
{
  switch (n->kind) {
  case RX_CHAR: return (n->fold ? uni_fold(c) : c) == n->ch;
  case RX_ANY: return c != '\n';
  default: {
    int i, m = 0;
    for (i = 0; i < n->nitems && !m; i++)
      m = rx_item_match(&n->items[i], c, cat);
    return m != n->neg;
  }
  }
}

static int rx_m(rx_ctx *c, const rx_node *n, size_t pos, const rx_frame *k);

static int rx_rep(rx_ctx *c, const rx_node *n, int32_t count, size_t pos, const rx_frame *k);

static int rx_k(rx_ctx *c, size_t pos, const rx_frame *k)
{
  if (!k) {
    c->end = pos;
    return 1;
  }
  if (k->node->kind == RX_CAT) {
    if (k->idx + 1 == k->node->nkids)
      return rx_m(c, k->node->kids[k->idx], pos, k->next);
    {
      rx_frame f;
      f.node = k->node;
      f.idx = k->idx + 1;
      f.count = 0;
      f.start = 0;
      f.next = k->next;
      return rx_m(c, k->node->kids[k->idx], pos, &f);
    }
  }
  /* End of one iteration of a general repetition: an empty iteration past the
   * minimum cannot help and would loop forever. */
  if (pos == k->start && k->count > k->node->min)
    return 0;
  return rx_rep(c, k->node, k->count, pos, k->next);
}

static int rx_rep(rx_ctx *c, const rx_node *n, int32_t count, size_t pos, const rx_frame *k)
{
  rx_frame f;
  int can_more = n->max < 0 || count < n->max;
  f.node = n;
  f.idx = 0;
  f.count = count + 1;
  f.start = pos;
  f.next = k;
  if (n->mode == RXQ_LAZY) {
    if (count >= n->min && rx_k(c, pos, k))
      return 1;
    return can_more && !c->error && rx_m(c, n->kids[0], pos, &f);
  }
  if (can_more && rx_m(c, n->kids[0], pos, &f))
    return 1;
  return count >= n->min && !c->error && rx_k(c, pos, k);
}

static int rx_m(rx_ctx *c, const rx_node *n, size_t pos, const rx_frame *k)
{
  int r = 0;
  if (c->error)
    return 0;
  if (++c->steps > RX_MAX_STEPS || c->depth >= RX_MAX_DEPTH) {
    c->error = 1;
    return 0;
  }
  c->depth++;
  switch (n->kind) {
  case RX_EMPTY:
    r = rx_k(c, pos, k);
    break;
  case RX_CHAR:
  case RX_ANY:
  case RX_SET:
    r = pos < c->n && rx_char_match(n, c->cp[pos], c->cat[pos]) && rx_k(c, pos + 1, k);
    break;
  case RX_CAT: {
    rx_frame f;
    f.node = n;
    f.idx = 1;
    f.count = 0;
    f.start = 0;
    f.next = k;
    r = rx_m(c, n->kids[0], pos, &f);
    break;
  }
  case RX_ALT: {
    int i;
    for (i = 0; i < n->nkids && !r && !c->error; i++)
      r = rx_m(c, n->kids[i], pos, k);
    break;
  }
  case RX_REP:
    if (rx_single_char(n->kids[0])) {
      /* One character per iteration: count the run, then try the lengths in
       * the quantifier's order without recursing per character. */
      size_t run = 0, lo = (size_t)n->min, i;
      const rx_node *ch = n->kids[0];
      while (pos + run < c->n && (n->max < 0 || run < (size_t)n->max) &&
             rx_char_match(ch, c->cp[pos + run], c->cat[pos + run]))
        run++;
      if (run < lo)
        break;
      if (n->mode == RXQ_POSSESSIVE) {
        r = rx_k(c, pos + run, k);
      } else if (n->mode == RXQ_LAZY) {
        for (i = lo; i <= run && !r && !c->error; i++)
          r = rx_k(c, pos + i, k);
      } else {
        for (i = run + 1; i-- > lo && !r && !c->error;)
          r = rx_k(c, pos + i, k);
      }
    } else if (n->mode == RXQ_POSSESSIVE) {
      /* Atomic: iterate with each iteration's first match, never give back. */
      size_t p = pos, saved = c->end;
      int32_t count = 0;
      while ((n->max < 0 || count < n->max) && rx_m(c, n->kids[0], p, NULL)) {
        if (c->end == p)
          break;
        p = c->end;
        count++;
      }
      c->end = saved;
      r = !c->error && count >= n->min && rx_k(c, p, k);
    } else {
      r = rx_rep(c, n, 0, pos, k);
    }
    break;
  case RX_LOOK: {
    size_t saved = c->end;
    int m = rx_m(c, n->kids[0], pos, NULL);
    c->end = saved;
    r = !c->error && (m != n->neg) && rx_k(c, pos, k);
    break;
  }
  case RX_ATOMIC: {
    size_t saved = c->end;
    if (rx_m(c, n->kids[0], pos, NULL)) {
      size_t e = c->end;
      c->end = saved;
      r = rx_k(c, e, k);
    }
    break;
  }
  case RX_BOL:
    r = (pos == 0 || c->cp[pos - 1] == '\n') && rx_k(c, pos, k);
    break;
  case RX_EOL:
    r = (pos == c->n || c->cp[pos] == '\n') && rx_k(c, pos, k);
    break;
  case RX_BOS:
    r = pos == 0 && rx_k(c, pos, k);
    break;
  case RX_EOS:
    r = pos == c->n && rx_k(c, pos, k);
    break;
  default:
    break;
  }
  c->depth--;
  return r;
}

/* Leftmost match starting at or after from: 1 and [*s, *e), 0 when none, -1
 * when the budget ran out. */
static int rx_search(const rx_node *re, const uint32_t *cp, const uint8_t *cat, size_t n,
                     size_t from, size_t *s, size_t *e)
{
  rx_ctx c;
  size_t st;
  c.cp = cp;
  c.cat = cat;
  c.n = n;
  for (st = from; st <= n; st++) {
    c.end = 0;
    c.steps = 0;
    c.depth = 0;
    c.error = 0;
    if (rx_m(&c, re, st, NULL)) {
      *s = st;
      *e = c.end;
      return 1;
    }
    if (c.error)
      return -1;
  }
  return 0;
}

/* GPT-2's pre-tokenizer pattern, the one ByteLevel(use_regex) applies. */
static const char GPT2_PATTERN[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/* -------------------------------------------------------------- tokenizer -- */

enum { STEP_DIGITS, STEP_SPLIT, STEP_BYTELEVEL };
enum { BEH_REMOVED, BEH_ISOLATED, BEH_PREV, BEH_NEXT, BEH_CONTIGUOUS };

typedef struct {
  size_t s, e; /* byte range */
  int match;
} piece;

typedef struct {
  piece *v;
  size_t n, cap;
} piecevec;

/* Per-step scratch (steps recurse, each keeps its own). */
typedef struct {
  uint32_t *cp;
  uint8_t *cat;
  size_t *off; /* byte offset of each code point, plus the end */
  size_t cap;
  piecevec pieces;
  char *buf; /* ByteLevel: the piece with its prefix space */
  size_t bufcap;
} scratch;

typedef struct {
  int kind;
  int individual_digits;    /* STEP_DIGITS */
  const rx_node *re;        /* STEP_SPLIT, STEP_BYTELEVEL (use_regex) */
  int behavior, invert;     /* STEP_SPLIT */
  int add_prefix_space;     /* STEP_BYTELEVEL */
  scratch sc;
} step;

typedef struct {
  const char *s;
  size_t len;
  int32_t id;
  int lstrip, rstrip, normalized, special;
} added_tok;

typedef struct {
  int32_t *v;
  size_t n, cap;
} idvec;

typedef struct {
  int32_t rank, pos, id;
} heapent;

struct pare_tokenizer {
  arena ar;
  int32_t size; /* largest id + 1 */
  strtab vocab; /* model vocab: byte-level spelling -> id */
  mergetab merges;
  const char **spell; /* per id: spelling (added token content first), NULL for holes */
  uint32_t *spell_len;
  const char **dec; /* per id: decoded bytes */
  uint32_t *dec_len;
  uint8_t *special; /* per id */
  int32_t unk_id;   /* -1: none */
  int fuse_unk, byte_fallback, ignore_merges;
  uint32_t byte_cp[256];       /* byte -> code point of the byte-level alphabet */
  int32_t byte_id[256];        /* byte -> id of that code point's token, -1 if none */
  int32_t byte_fb[256][2];     /* byte_fallback ids of the code point's UTF-8 bytes */
  uint8_t byte_fb_n[256];      /* how many (0: no fallback) */
  added_tok *added;
  size_t nadded;
  size_t *added_by_byte[256]; /* per first byte: indices into added */
  size_t added_by_byte_n[256];
  step *steps;
  int nsteps;
  int32_t *tmpl_pre, *tmpl_post;
  size_t ntmpl_pre, ntmpl_post;
  /* Word cache: raw word bytes -> offset of [count, ids...] in cache_ids. */
  strtab cache;
  arena cache_ar;
  idvec cache_ids;
  /* BPE scratch. */
  int32_t *sym, *prev, *next;
  size_t symcap;
  heapent *heap;
  size_t heapcap;
  char *mapped;
  size_t mappedcap;
  piecevec added_pieces;
};

static int idvec_push(idvec *v, int32_t id)
{
  if (v->n == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 256;
    int32_t *p = (int32_t *)realloc(v->v, cap * sizeof(int32_t));
    if (!p)
      return 0;
    v->v = p;
    v->cap = cap;
  }
  v->v[v->n++] = id;
  return 1;
}

static int piece_push(piecevec *v, size_t s, size_t e, int match)
{
  if (v->n == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 64;
    piece *p = (piece *)realloc(v->v, cap * sizeof(piece));
    if (!p)
      return 0;
    v->v = p;
    v->cap = cap;
  }
  v->v[v->n].s = s;
  v->v[v->n].e = e;
  v->v[v->n].match = match;
  v->n++;
  return 1;
}

/* GPT-2's bytes_to_unicode: printable Latin-1 bytes map to themselves, the
 * others to U+0100 onwards in byte order. */
static void byte_level_alphabet(uint32_t *byte_cp)
{
  int b, n = 0;
  for (b = 0; b < 256; b++) {
    int printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
    byte_cp[b] = printable ? (uint32_t)b : (uint32_t)(256 + n++);
  }
}

/* --------------------------------------------------------- load: pieces -- */

static const char *const FIELDS_TOP[] = {"version", "truncation", "padding", "added_tokens",
                                         "normalizer", "pre_tokenizer", "post_processor",
                                         "decoder", "model", NULL};
static const char *const FIELDS_BPE[] = {"type", "dropout", "unk_token",
                                         "continuing_subword_prefix", "end_of_word_suffix",
                                         "fuse_unk", "byte_fallback", "ignore_merges", "vocab",
                                         "merges", NULL};
static const char *const FIELDS_ADDED[] = {"id", "content", "single_word", "lstrip", "rstrip",
                                           "normalized", "special", NULL};
static const char *const FIELDS_BYTELEVEL[] = {"type", "add_prefix_space", "trim_offsets",
                                               "use_regex", NULL};

static int load_model(ldctx *c, pare_tokenizer *t, const jval *model, int32_t *max_id)
{
  const jval *type, *vocab, *merges, *v;
  size_t i;
  if (!want_obj(c, model, "model") || !only_fields(c, model, "model", FIELDS_BPE) ||
      !jget(c, model, "model", "type", &type))
    return 0;
  if (type && (type->t != J_STR || strcmp(type->s, "BPE") != 0))
    return fail(c, "model.type: '%s' is not supported (only BPE)",
                type->t == J_STR ? type->s : "?");
  if (!jget(c, model, "model", "dropout", &v))
    return 0;
  if (v && v->t != J_NULL)
    return fail(c, "model.dropout: BPE dropout is not supported (must be null)");
  if (!jget(c, model, "model", "continuing_subword_prefix", &v))
    return 0;
  if (v && v->t != J_NULL && !(v->t == J_STR && v->n == 0))
    return fail(c, "model.continuing_subword_prefix: not supported (must be null or \"\")");
  if (!jget(c, model, "model", "end_of_word_suffix", &v))
    return 0;
  if (v && v->t != J_NULL && !(v->t == J_STR && v->n == 0))
    return fail(c, "model.end_of_word_suffix: not supported (must be null or \"\")");
  if (!get_bool(c, model, "model", "fuse_unk", 0, &t->fuse_unk) ||
      !get_bool(c, model, "model", "byte_fallback", 0, &t->byte_fallback) ||
      !get_bool(c, model, "model", "ignore_merges", 0, &t->ignore_merges))
    return 0;

  if (!jget(c, model, "model", "vocab", &vocab))
    return 0;
  if (!vocab || vocab->t != J_OBJ)
    return fail(c, "model.vocab: expected an object of token -> id");
  for (i = 0; i < vocab->n; i++) {
    int32_t id;
    int r;
    char *key;
    if (!get_id(c, &vocab->items[i], "model.vocab", &id))
      return 0;
    if (id > *max_id)
      *max_id = id;
    /* The JSON tree is freed after loading: the table keeps its own copy. */
    key = arena_strdup(&t->ar, vocab->keys[i].s, vocab->keys[i].n);
    r = key ? strtab_put(&t->vocab, key, vocab->keys[i].n, id) : 0;
    if (r == 0)
      return fail(c, "out of memory");
    if (r < 0)
      return fail(c, "model.vocab: token '%s' given twice", vocab->keys[i].s);
  }

  if (!jget(c, model, "model", "merges", &merges))
    return 0;
  if (!merges || merges->t != J_ARR)
    return fail(c, "model.merges: expected an array");
  for (i = 0; i < merges->n; i++) {
    const jval *m = &merges->items[i];
    const char *a, *b;
    size_t alen, blen;
    int32_t ia, ib, iab;
    char *ab;
    if (m->t == J_STR) {
      /* "a b": exactly one space (as `tokenizers` splits it). */
      const char *sp = (const char *)memchr(m->s, ' ', m->n);
      if (!sp || memchr(sp + 1, ' ', m->n - (size_t)(sp + 1 - m->s)))
        return fail(c, "model.merges[%zu]: '%s' is not two tokens separated by one space", i,
                    m->s);
      a = m->s;
      alen = (size_t)(sp - m->s);
      b = sp + 1;
      blen = m->n - alen - 1;
    } else if (m->t == J_ARR && m->n == 2 && m->items[0].t == J_STR && m->items[1].t == J_STR) {
      a = m->items[0].s;
      alen = m->items[0].n;
      b = m->items[1].s;
      blen = m->items[1].n;
    } else {
      return fail(c, "model.merges[%zu]: expected \"a b\" or [\"a\", \"b\"]", i);
    }
    if (!strtab_get(&t->vocab, a, alen, &ia))
      return fail(c, "model.merges[%zu]: token '%.*s' is not in the vocab", i, (int)alen, a);
    if (!strtab_get(&t->vocab, b, blen, &ib))
      return fail(c, "model.merges[%zu]: token '%.*s' is not in the vocab", i, (int)blen, b);
    ab = (char *)malloc(alen + blen + 1);
    if (!ab)
      return fail(c, "out of memory");
    memcpy(ab, a, alen);
    memcpy(ab + alen, b, blen);
    if (!strtab_get(&t->vocab, ab, alen + blen, &iab)) {
      fail(c, "model.merges[%zu]: merged token '%.*s' is not in the vocab", i,
           (int)(alen + blen), ab);
      free(ab);
      return 0;
    }
    free(ab);
    if (i > (size_t)INT32_MAX - 1)
      return fail(c, "model.merges: too many merges");
    if (!mergetab_put(&t->merges, ia, ib, (int32_t)i, iab))
      return fail(c, "out of memory");
  }
  if (!t->merges.cap && !mergetab_grow(&t->merges))
    return fail(c, "out of memory");

  if (!jget(c, model, "model", "unk_token", &v))
    return 0;
  t->unk_id = -1;
  if (v && v->t != J_NULL) {
    if (v->t != J_STR)
      return fail(c, "model.unk_token: expected a string or null");
    if (!strtab_get(&t->vocab, v->s, v->n, &t->unk_id))
      return fail(c, "model.unk_token: '%s' is not in the vocab", v->s);
  }
  return 1;
}

static int load_added(ldctx *c, pare_tokenizer *t, const jval *arr, int32_t *max_id)
{
  size_t i;
  if (!arr || arr->t == J_NULL)
    return 1;
  if (arr->t != J_ARR)
    return fail(c, "added_tokens: expected an array");
  t->added = (added_tok *)arena_alloc(&t->ar, (arr->n ? arr->n : 1) * sizeof(added_tok));
  if (!t->added)
    return fail(c, "out of memory");
  for (i = 0; i < arr->n; i++) {
    const jval *o = &arr->items[i], *v;
    added_tok *a = &t->added[t->nadded];
    char path[64];
    int single_word;
    size_t j;
    snprintf(path, sizeof(path), "added_tokens[%zu]", i);
    if (!want_obj(c, o, path) || !only_fields(c, o, path, FIELDS_ADDED) ||
        !jget(c, o, path, "id", &v) || !get_id(c, v, path, &a->id) ||
        !jget(c, o, path, "content", &v))
      return 0;
    if (!v || v->t != J_STR || v->n == 0)
      return fail(c, "%s.content: expected a non-empty string", path);
    a->s = arena_strdup(&t->ar, v->s, v->n);
    a->len = v->n;
    if (!a->s)
      return fail(c, "out of memory");
    if (!get_bool(c, o, path, "single_word", 0, &single_word) ||
        !get_bool(c, o, path, "lstrip", 0, &a->lstrip) ||
        !get_bool(c, o, path, "rstrip", 0, &a->rstrip) ||
        !get_bool(c, o, path, "normalized", 1, &a->normalized) ||
        !get_bool(c, o, path, "special", 0, &a->special))
      return 0;
    if (single_word)
      return fail(c, "%s.single_word: true is not supported ('%s')", path, a->s);
    for (j = 0; j < t->nadded; j++)
      if (t->added[j].len == a->len && memcmp(t->added[j].s, a->s, a->len) == 0)
        return fail(c, "%s: content '%s' given twice", path, a->s);
    if (a->id > *max_id)
      *max_id = a->id;
    t->nadded++;
  }
  return 1;
}

static int load_normalizer(ldctx *c, const jval *v)
{
  const char *type;
  const jval *list;
  if (!v || v->t == J_NULL)
    return 1;
  if (!get_type(c, v, "normalizer", &type))
    return 0;
  if (strcmp(type, "Sequence") == 0) {
    static const char *const f[] = {"type", "normalizers", NULL};
    if (!only_fields(c, v, "normalizer", f) || !jget(c, v, "normalizer", "normalizers", &list))
      return 0;
    if (list && list->t == J_ARR && list->n == 0)
      return 1;
    return fail(c, "normalizer: a non-empty Sequence is not supported");
  }
  return fail(c, "normalizer: type '%s' is not supported (only null or an empty Sequence)",
              type);
}

static int add_step(ldctx *c, pare_tokenizer *t, const step *s)
{
  step *ns = (step *)realloc(t->steps, (size_t)(t->nsteps + 1) * sizeof(step));
  if (!ns)
    return fail(c, "out of memory");
  t->steps = ns;
  t->steps[t->nsteps++] = *s;
  return 1;
}

static int load_pretok_one(ldctx *c, pare_tokenizer *t, const jval *v, const char *path)
{
  const char *type;
  step s;
  memset(&s, 0, sizeof(s));
  if (!get_type(c, v, path, &type))
    return 0;
  if (t->nsteps && t->steps[t->nsteps - 1].kind == STEP_BYTELEVEL)
    return fail(c, "%s: '%s' after ByteLevel is not supported (ByteLevel must be last)", path,
                type);
  if (strcmp(type, "ByteLevel") == 0) {
    if (!only_fields(c, v, path, FIELDS_BYTELEVEL) ||
        !get_bool(c, v, path, "add_prefix_space", 1, &s.add_prefix_space))
      return 0;
    {
      int use_regex;
      if (!get_bool(c, v, path, "use_regex", 1, &use_regex))
        return 0;
      if (use_regex) {
        char msg[256];
        s.re = rx_compile(&t->ar, GPT2_PATTERN, sizeof(GPT2_PATTERN) - 1, msg, sizeof(msg));
        if (!s.re)
          return fail(c, "%s: %s", path, msg);
      }
    }
    s.kind = STEP_BYTELEVEL;
    return add_step(c, t, &s);
  }
  if (strcmp(type, "Digits") == 0) {
    static const char *const f[] = {"type", "individual_digits", NULL};
    if (!only_fields(c, v, path, f) ||
        !get_bool(c, v, path, "individual_digits", 0, &s.individual_digits))
      return 0;
    s.kind = STEP_DIGITS;
    return add_step(c, t, &s);
  }
  if (strcmp(type, "Split") == 0) {
    static const char *const f[] = {"type", "pattern", "behavior", "invert", NULL};
    const jval *pat, *beh;
    if (!only_fields(c, v, path, f) || !jget(c, v, path, "pattern", &pat) ||
        !jget(c, v, path, "behavior", &beh) || !get_bool(c, v, path, "invert", 0, &s.invert))
      return 0;
    if (!pat || pat->t != J_OBJ || pat->n != 1 || pat->items[0].t != J_STR)
      return fail(c, "%s.pattern: expected {\"Regex\": ...} or {\"String\": ...}", path);
    if (key_is(&pat->keys[0], "Regex")) {
      char msg[256];
      s.re = rx_compile(&t->ar, pat->items[0].s, pat->items[0].n, msg, sizeof(msg));
      if (!s.re)
        return fail(c, "%s.pattern.Regex: %s", path, msg);
    } else if (key_is(&pat->keys[0], "String")) {
      if (pat->items[0].n == 0)
        return fail(c, "%s.pattern.String: empty", path);
      s.re = rx_literal(&t->ar, pat->items[0].s, pat->items[0].n);
      if (!s.re)
        return fail(c, "out of memory");
    } else {
      return fail(c, "%s.pattern: '%s' is not supported (Regex or String)", path,
                  pat->keys[0].s);
    }
    if (!beh || beh->t != J_STR)
      return fail(c, "%s.behavior: expected a string", path);
    if (strcmp(beh->s, "Removed") == 0)
      s.behavior = BEH_REMOVED;
    else if (strcmp(beh->s, "Isolated") == 0)
      s.behavior = BEH_ISOLATED;
    else if (strcmp(beh->s, "MergedWithPrevious") == 0)
      s.behavior = BEH_PREV;
    else if (strcmp(beh->s, "MergedWithNext") == 0)
      s.behavior = BEH_NEXT;
    else if (strcmp(beh->s, "Contiguous") == 0)
      s.behavior = BEH_CONTIGUOUS;
    else
      return fail(c, "%s.behavior: '%s' is not a split behavior", path, beh->s);
    s.kind = STEP_SPLIT;
    return add_step(c, t, &s);
  }
  return fail(c, "%s: type '%s' is not supported (ByteLevel, Digits, Split, Sequence)", path,
              type);
}

/* A section that is one step or a Sequence of steps ({"type": "Sequence",
   LIST: [...]}): `one` loads each step, named SECTION or SECTION.LIST[i]. */
typedef int (*step_loader)(ldctx *c, pare_tokenizer *t, const jval *v, const char *path);

static int load_sequence_or_one(ldctx *c, pare_tokenizer *t, const jval *v, const char *type,
                                const char *section, const char *list_field, step_loader one)
{
  const char *f[3];
  const jval *list;
  size_t i;
  if (strcmp(type, "Sequence") != 0)
    return one(c, t, v, section);
  f[0] = "type";
  f[1] = list_field;
  f[2] = NULL;
  if (!only_fields(c, v, section, f) || !jget(c, v, section, list_field, &list))
    return 0;
  if (!list || list->t != J_ARR)
    return fail(c, "%s.%s: expected an array", section, list_field);
  for (i = 0; i < list->n; i++) {
    char path[64];
    snprintf(path, sizeof(path), "%s.%s[%zu]", section, list_field, i);
    if (!one(c, t, &list->items[i], path))
      return 0;
  }
  return 1;
}

static int load_pretok(ldctx *c, pare_tokenizer *t, const jval *v)
{
  const char *type;
  if (!v || v->t == J_NULL)
    return fail(c, "pre_tokenizer: null; pare's tokenizer is byte-level BPE and needs ByteLevel");
  if (!get_type(c, v, "pre_tokenizer", &type))
    return 0;
  if (!load_sequence_or_one(c, t, v, type, "pre_tokenizer", "pretokenizers", load_pretok_one))
    return 0;
  if (!t->nsteps || t->steps[t->nsteps - 1].kind != STEP_BYTELEVEL)
    return fail(c, "pre_tokenizer: no ByteLevel step; pare's tokenizer is byte-level BPE");
  return 1;
}

/* Appends the ids of the special token named name (TemplateProcessing's table). */
static int tmpl_ids(ldctx *c, pare_tokenizer *t, const jval *specials, const char *name,
                    int32_t **ids, size_t *n)
{
  const jval *ent = NULL, *list;
  size_t i;
  if (specials && specials->t == J_OBJ && !jget(c, specials, "post_processor.special_tokens", name,
                                                &ent))
    return 0;
  if (!ent || ent->t != J_OBJ)
    return fail(c, "post_processor.special_tokens: no entry for '%s'", name);
  if (!jget(c, ent, "post_processor.special_tokens", "ids", &list))
    return 0;
  if (!list || list->t != J_ARR)
    return fail(c, "post_processor.special_tokens.%s.ids: expected an array", name);
  for (i = 0; i < list->n; i++) {
    int32_t id = 0, *nv;
    if (!get_id(c, &list->items[i], "post_processor.special_tokens ids", &id))
      return 0;
    nv = (int32_t *)realloc(*ids, (*n + 1) * sizeof(int32_t));
    if (!nv)
      return fail(c, "out of memory");
    *ids = nv;
    nv[(*n)++] = id;
  }
  (void)t;
  return 1;
}

static int load_template(ldctx *c, pare_tokenizer *t, const jval *v)
{
  static const char *const f[] = {"type", "single", "pair", "special_tokens", NULL};
  const jval *single, *specials;
  size_t i;
  int seen_a = 0;
  if (t->tmpl_pre || t->tmpl_post)
    return fail(c, "post_processor: two TemplateProcessing steps are not supported");
  if (!only_fields(c, v, "post_processor", f) ||
      !jget(c, v, "post_processor", "single", &single) ||
      !jget(c, v, "post_processor", "special_tokens", &specials))
    return 0;
  if (!single || single->t != J_ARR)
    return fail(c, "post_processor.single: expected an array");
  for (i = 0; i < single->n; i++) {
    const jval *item = &single->items[i], *id;
    if (item->t != J_OBJ || item->n != 1 || item->items[0].t != J_OBJ)
      return fail(c, "post_processor.single[%zu]: expected {\"SpecialToken\"|\"Sequence\": ...}",
                  i);
    if (!jget(c, &item->items[0], "post_processor.single", "id", &id))
      return 0;
    if (!id || id->t != J_STR)
      return fail(c, "post_processor.single[%zu].id: expected a string", i);
    if (key_is(&item->keys[0], "Sequence")) {
      if (strcmp(id->s, "A") != 0 || seen_a)
        return fail(c, "post_processor.single: only one sequence A is supported");
      seen_a = 1;
    } else if (key_is(&item->keys[0], "SpecialToken")) {
      if (!tmpl_ids(c, t, specials, id->s, seen_a ? &t->tmpl_post : &t->tmpl_pre,
                    seen_a ? &t->ntmpl_post : &t->ntmpl_pre))
        return 0;
    } else {
      return fail(c, "post_processor.single[%zu]: '%s' is not supported", i, item->keys[0].s);
    }
  }
  if (!seen_a)
    return fail(c, "post_processor.single: no sequence A");
  return 1;
}

static int load_post_one(ldctx *c, pare_tokenizer *t, const jval *v, const char *path)
{
  const char *type;
  if (!get_type(c, v, path, &type))
    return 0;
  if (strcmp(type, "ByteLevel") == 0)
    return only_fields(c, v, path, FIELDS_BYTELEVEL); /* offsets only: no effect on ids */
  if (strcmp(type, "TemplateProcessing") == 0)
    return load_template(c, t, v);
  return fail(c, "%s: type '%s' is not supported (ByteLevel, TemplateProcessing, Sequence)",
              path, type);
}

static int load_post(ldctx *c, pare_tokenizer *t, const jval *v)
{
  const char *type;
  if (!v || v->t == J_NULL)
    return 1;
  if (!get_type(c, v, "post_processor", &type))
    return 0;
  return load_sequence_or_one(c, t, v, type, "post_processor", "processors", load_post_one);
}

/* Decoder steps, applied to one token at a time. */
enum { DEC_BYTELEVEL, DEC_BYTEFALLBACK, DEC_FUSE, DEC_REPLACE };

typedef struct {
  int kind;
  const char *from, *to; /* DEC_REPLACE */
  size_t from_len, to_len;
} decstep;

static int is_byte_token(const char *s, size_t n, int *byte)
{
  int h1, h2;
  if (n != 6 || s[0] != '<' || s[1] != '0' || s[2] != 'x' || s[5] != '>')
    return 0;
  h1 = hexval((unsigned char)s[3]);
  h2 = hexval((unsigned char)s[4]);
  if (h1 < 0 || h2 < 0)
    return 0;
  *byte = h1 * 16 + h2;
  return 1;
}

static size_t utf8_count(const char *s, size_t n)
{
  size_t i, k = 0;
  for (i = 0; i < n; i++)
    k += ((unsigned char)s[i] & 0xC0) != 0x80;
  return k;
}

static int load_decoder_steps(ldctx *c, const jval *v, decstep *steps, int *n)
{
  const char *type;
  const jval *list = NULL;
  size_t i, count = 1;
  if (!v || v->t == J_NULL)
    return fail(c, "decoder: null (`tokenizers` would join tokens with spaces); expected "
                   "ByteLevel");
  if (!get_type(c, v, "decoder", &type))
    return 0;
  if (strcmp(type, "Sequence") == 0) {
    static const char *const f[] = {"type", "decoders", NULL};
    if (!only_fields(c, v, "decoder", f) || !jget(c, v, "decoder", "decoders", &list))
      return 0;
    if (!list || list->t != J_ARR)
      return fail(c, "decoder.decoders: expected an array");
    if (list->n > 16)
      return fail(c, "decoder.decoders: more than 16 steps");
    count = list->n;
  }
  *n = 0;
  for (i = 0; i < count; i++) {
    const jval *d = list ? &list->items[i] : v;
    char path[64];
    decstep *s = &steps[*n];
    snprintf(path, sizeof(path), list ? "decoder.decoders[%zu]" : "decoder", i);
    if (!get_type(c, d, path, &type))
      return 0;
    memset(s, 0, sizeof(*s));
    if (strcmp(type, "ByteLevel") == 0) {
      if (!only_fields(c, d, path, FIELDS_BYTELEVEL))
        return 0;
      s->kind = DEC_BYTELEVEL;
    } else if (strcmp(type, "ByteFallback") == 0 || strcmp(type, "Fuse") == 0) {
      static const char *const f[] = {"type", NULL};
      if (!only_fields(c, d, path, f))
        return 0;
      s->kind = type[0] == 'F' ? DEC_FUSE : DEC_BYTEFALLBACK;
    } else if (strcmp(type, "Replace") == 0) {
      static const char *const f[] = {"type", "pattern", "content", NULL};
      const jval *pat, *content;
      if (!only_fields(c, d, path, f) || !jget(c, d, path, "pattern", &pat) ||
          !jget(c, d, path, "content", &content))
        return 0;
      if (!pat || pat->t != J_OBJ || pat->n != 1 || !key_is(&pat->keys[0], "String") ||
          pat->items[0].t != J_STR || pat->items[0].n == 0)
        return fail(c, "%s.pattern: only a non-empty {\"String\": ...} is supported", path);
      if (!content || content->t != J_STR)
        return fail(c, "%s.content: expected a string", path);
      s->kind = DEC_REPLACE;
      s->from = pat->items[0].s;
      s->from_len = pat->items[0].n;
      s->to = content->s;
      s->to_len = content->n;
    } else {
      return fail(c, "%s: type '%s' is not supported (ByteLevel, ByteFallback, Fuse, Replace)",
                  path, type);
    }
    if (*n && steps[*n - 1].kind == DEC_BYTELEVEL)
      return fail(c, "%s: '%s' after ByteLevel is not supported", path, type);
    ++*n;
  }
  return 1;
}

/* Decodes every id once at load time. One token at a time gives what
 * `tokenizers` gives for the whole sequence only where no step looks across
 * tokens; the cases where it would are load errors. */
static int build_decode(ldctx *c, pare_tokenizer *t, const jval *decoder)
{
  decstep steps[16];
  int nsteps = 0, k, fused = 0;
  int32_t id;
  char *buf = NULL, *buf2 = NULL;
  size_t cap = 0;
  int ok = 1;
  int8_t cp_byte_ok[512];
  uint8_t cp_byte[512];
  if (!load_decoder_steps(c, decoder, steps, &nsteps))
    return 0;
  memset(cp_byte_ok, 0, sizeof(cp_byte_ok));
  for (k = 0; k < 256; k++) {
    cp_byte_ok[t->byte_cp[k]] = 1;
    cp_byte[t->byte_cp[k]] = (uint8_t)k;
  }
  t->dec = (const char **)arena_alloc(&t->ar, (size_t)t->size * sizeof(char *));
  t->dec_len = (uint32_t *)arena_alloc(&t->ar, (size_t)t->size * sizeof(uint32_t));
  if (!t->dec || !t->dec_len)
    return fail(c, "out of memory");
  for (id = 0; id < t->size && ok; id++) {
    size_t len = t->spell_len[id], need;
    int is_raw = 0; /* bytes, no longer text */
    t->dec[id] = NULL;
    t->dec_len[id] = 0;
    if (!t->spell[id])
      continue;
    need = len * 4 + 16;
    for (k = 0; k < nsteps; k++)
      if (steps[k].kind == DEC_REPLACE && steps[k].to_len > steps[k].from_len)
        need += len * (steps[k].to_len - steps[k].from_len + 1);
    if (need > cap) {
      free(buf);
      free(buf2);
      cap = need;
      buf = (char *)malloc(cap);
      buf2 = (char *)malloc(cap);
      if (!buf || !buf2) {
        ok = fail(c, "out of memory");
        break;
      }
    }
    memcpy(buf, t->spell[id], len);
    fused = 0;
    for (k = 0; k < nsteps && ok; k++) {
      const decstep *s = &steps[k];
      if (s->kind == DEC_FUSE) {
        fused = 1;
      } else if (s->kind == DEC_BYTEFALLBACK) {
        int byte;
        if (!is_raw && is_byte_token(buf, len, &byte)) {
          if (k + 1 < nsteps && !(k + 2 == nsteps && steps[k + 1].kind == DEC_FUSE))
            ok = fail(c, "decoder: ByteFallback followed by other steps, with byte tokens like "
                         "'%s' in the vocab, is not supported", t->spell[id]);
          buf[0] = (char)byte;
          len = 1;
          is_raw = 1;
        }
      } else if (s->kind == DEC_REPLACE) {
        size_t i = 0, o = 0;
        if (is_raw)
          continue;
        if (fused && utf8_count(s->from, s->from_len) > 1) {
          ok = fail(c, "decoder: Replace of a multi-character pattern after Fuse is not "
                       "supported");
          break;
        }
        while (i < len) {
          if (i + s->from_len <= len && memcmp(buf + i, s->from, s->from_len) == 0) {
            memcpy(buf2 + o, s->to, s->to_len);
            o += s->to_len;
            i += s->from_len;
          } else {
            buf2[o++] = buf[i++];
          }
        }
        memcpy(buf, buf2, o);
        len = o;
      } else if (s->kind == DEC_BYTELEVEL && !is_raw) {
        /* Each code point to its byte; a token with a code point outside the
         * byte-level alphabet stays as its UTF-8 (`tokenizers` does the same,
         * but for the whole text when Fuse came first: refuse that case). */
        size_t i = 0, o = 0, adv;
        int all = 1;
        while (i < len) {
          uint32_t cp = utf8_next((const unsigned char *)buf + i, len - i, &adv);
          if (cp == BAD_CP || cp >= 512 || !cp_byte_ok[cp]) {
            all = 0;
            break;
          }
          buf2[o++] = (char)cp_byte[cp];
          i += adv;
        }
        if (all) {
          memcpy(buf, buf2, o);
          len = o;
        } else if (fused) {
          ok = fail(c, "decoder: Fuse before ByteLevel with token '%.*s' (id %d) outside the "
                       "byte-level alphabet is not supported", (int)len, buf, (int)id);
          break;
        }
        is_raw = 1;
      }
    }
    if (!ok)
      break;
    t->dec[id] = arena_strdup(&t->ar, buf, len);
    t->dec_len[id] = (uint32_t)len;
    if (!t->dec[id])
      ok = fail(c, "out of memory");
  }
  free(buf);
  free(buf2);
  return ok;
}

static int build_tables(ldctx *c, pare_tokenizer *t)
{
  int b;
  size_t i;
  byte_level_alphabet(t->byte_cp);
  for (b = 0; b < 256; b++) {
    char u[4];
    size_t n = utf8_put(t->byte_cp[b], u), j;
    int32_t id;
    t->byte_id[b] = strtab_get(&t->vocab, u, n, &id) ? id : -1;
    t->byte_fb_n[b] = 0;
    if (t->byte_fallback) {
      /* `tokenizers` looks up "<0x%02X>" of each UTF-8 byte of the (mapped) character. */
      int all = 1;
      for (j = 0; j < n; j++) {
        char name[8];
        snprintf(name, sizeof(name), "<0x%02X>", (unsigned)(unsigned char)u[j]);
        if (!strtab_get(&t->vocab, name, 6, &t->byte_fb[b][j]))
          all = 0;
      }
      if (all)
        t->byte_fb_n[b] = (uint8_t)n;
    }
  }
  /* Added tokens by first byte; within a bucket the matcher takes the longest. */
  for (i = 0; i < t->nadded; i++)
    t->added_by_byte_n[(unsigned char)t->added[i].s[0]]++;
  for (b = 0; b < 256; b++) {
    if (!t->added_by_byte_n[b])
      continue;
    t->added_by_byte[b] = (size_t *)arena_alloc(&t->ar, t->added_by_byte_n[b] * sizeof(size_t));
    if (!t->added_by_byte[b])
      return fail(c, "out of memory");
    t->added_by_byte_n[b] = 0;
  }
  for (i = 0; i < t->nadded; i++) {
    unsigned char f = (unsigned char)t->added[i].s[0];
    t->added_by_byte[f][t->added_by_byte_n[f]++] = i;
  }
  return 1;
}

static pare_tokenizer *load_root(ldctx *c, const jval *root)
{
  pare_tokenizer *t;
  const jval *v, *model, *added;
  int32_t max_id = -1;
  size_t i;
  if (!want_obj(c, root, "top level") || !only_fields(c, root, "top level", FIELDS_TOP))
    return NULL;
  t = (pare_tokenizer *)calloc(1, sizeof(pare_tokenizer));
  if (!t) {
    fail(c, "out of memory");
    return NULL;
  }
  if (!jget(c, root, "top level", "version", &v))
    goto bad;
  if (v && (v->t != J_STR || strcmp(v->s, "1.0") != 0)) {
    fail(c, "version: '%s' is not supported (1.0)", v->t == J_STR ? v->s : "?");
    goto bad;
  }
  if (!jget(c, root, "top level", "truncation", &v))
    goto bad;
  if (v && v->t != J_NULL) {
    fail(c, "truncation: must be null (truncation is not supported)");
    goto bad;
  }
  if (!jget(c, root, "top level", "padding", &v))
    goto bad;
  if (v && v->t != J_NULL) {
    fail(c, "padding: must be null (padding is not supported)");
    goto bad;
  }
  if (!jget(c, root, "top level", "model", &model) || !load_model(c, t, model, &max_id) ||
      !jget(c, root, "top level", "added_tokens", &added) || !load_added(c, t, added, &max_id) ||
      !jget(c, root, "top level", "normalizer", &v) || !load_normalizer(c, v) ||
      !jget(c, root, "top level", "pre_tokenizer", &v) || !load_pretok(c, t, v) ||
      !jget(c, root, "top level", "post_processor", &v) || !load_post(c, t, v))
    goto bad;
  if (max_id < 0) {
    fail(c, "model.vocab: empty");
    goto bad;
  }
  if (max_id >= MAX_IDS) {
    fail(c, "id %d: ids from %d on are not supported", (int)max_id, MAX_IDS);
    goto bad;
  }
  t->size = max_id + 1;
  for (i = 0; i < t->ntmpl_pre + t->ntmpl_post; i++) {
    int32_t id = i < t->ntmpl_pre ? t->tmpl_pre[i] : t->tmpl_post[i - t->ntmpl_pre];
    if (id >= t->size) {
      fail(c, "post_processor: id %d is outside the vocabulary", (int)id);
      goto bad;
    }
  }
  t->spell = (const char **)arena_alloc(&t->ar, (size_t)t->size * sizeof(char *));
  t->spell_len = (uint32_t *)arena_alloc(&t->ar, (size_t)t->size * sizeof(uint32_t));
  t->special = (uint8_t *)arena_alloc(&t->ar, (size_t)t->size);
  if (!t->spell || !t->spell_len || !t->special) {
    fail(c, "out of memory");
    goto bad;
  }
  memset((void *)t->spell, 0, (size_t)t->size * sizeof(char *));
  memset(t->special, 0, (size_t)t->size);
  /* Decoding looks up added tokens first (AddedVocabulary::id_to_token). */
  for (i = 0; i < t->nadded; i++) {
    t->spell[t->added[i].id] = t->added[i].s;
    t->spell_len[t->added[i].id] = (uint32_t)t->added[i].len;
    t->special[t->added[i].id] = (uint8_t)t->added[i].special;
  }
  for (i = 0; i < t->vocab.cap; i++) {
    const strent *e = &t->vocab.e[i];
    if (e->s && !t->spell[e->val]) {
      t->spell[e->val] = e->s;
      t->spell_len[e->val] = e->len;
    }
  }
  if (t->vocab.count != 0) {
    /* Two vocab tokens with one id would decode ambiguously. */
    size_t distinct = 0;
    uint8_t *seen = (uint8_t *)calloc((size_t)t->size, 1);
    if (!seen) {
      fail(c, "out of memory");
      goto bad;
    }
    for (i = 0; i < t->vocab.cap; i++)
      if (t->vocab.e[i].s && !seen[t->vocab.e[i].val]) {
        seen[t->vocab.e[i].val] = 1;
        distinct++;
      }
    free(seen);
    if (distinct != t->vocab.count) {
      fail(c, "model.vocab: %zu tokens share ids with other tokens",
           t->vocab.count - distinct);
      goto bad;
    }
  }
  if (!build_tables(c, t))
    goto bad;
  if (!jget(c, root, "top level", "decoder", &v) || !build_decode(c, t, v))
    goto bad;
  return t;
bad:
  pare_tokenizer_free(t);
  return NULL;
}

pare_tokenizer *pare_tokenizer_load_json(const char *json, size_t len, const char *name,
                                         char *err, size_t errlen)
{
  arena tree;
  jval root;
  ldctx c;
  pare_tokenizer *t = NULL;
  if (err && errlen)
    err[0] = 0;
  if (!json) {
    set_err(err, errlen, "pare_tokenizer_load_json: json is NULL");
    return NULL;
  }
  c.err = err;
  c.errlen = errlen;
  c.name = name ? name : "tokenizer.json";
  memset(&tree, 0, sizeof(tree));
  if (json_parse(json, len, &tree, c.name, err, errlen, &root))
    t = load_root(&c, &root);
  arena_free(&tree);
  return t;
}

pare_tokenizer *pare_tokenizer_load(const char *path, char *err, size_t errlen)
{
  FILE *f;
  char *buf = NULL;
  size_t len = 0, cap = 0, got;
  pare_tokenizer *t;
  if (err && errlen)
    err[0] = 0;
  if (!path) {
    set_err(err, errlen, "pare_tokenizer_load: path is NULL");
    return NULL;
  }
  f = fopen(path, "rb");
  if (!f) {
    set_err(err, errlen, "%s: cannot open the tokenizer file", path);
    return NULL;
  }
  do {
    if (len == cap) {
      char *nb;
      cap = cap ? cap * 2 : ((size_t)1 << 22);
      nb = (char *)realloc(buf, cap);
      if (!nb) {
        free(buf);
        fclose(f);
        set_err(err, errlen, "%s: out of memory reading the file", path);
        return NULL;
      }
      buf = nb;
    }
    got = fread(buf + len, 1, cap - len, f);
    len += got;
  } while (got > 0);
  if (ferror(f)) {
    free(buf);
    fclose(f);
    set_err(err, errlen, "%s: read error", path);
    return NULL;
  }
  fclose(f);
  t = pare_tokenizer_load_json(buf, len, path, err, errlen);
  free(buf);
  return t;
}

void pare_tokenizer_free(pare_tokenizer *t)
{
  int i;
  if (!t)
    return;
  for (i = 0; i < t->nsteps; i++) {
    free(t->steps[i].sc.cp);
    free(t->steps[i].sc.cat);
    free(t->steps[i].sc.off);
    free(t->steps[i].sc.pieces.v);
    free(t->steps[i].sc.buf);
  }
  free(t->steps);
  free(t->tmpl_pre);
  free(t->tmpl_post);
  strtab_free(&t->vocab);
  free(t->merges.e);
  strtab_free(&t->cache);
  arena_free(&t->cache_ar);
  free(t->cache_ids.v);
  free(t->sym);
  free(t->prev);
  free(t->next);
  free(t->heap);
  free(t->mapped);
  free(t->added_pieces.v);
  arena_free(&t->ar);
  free(t);
}

/* ------------------------------------------------------------------ encode -- */

static void heap_push(heapent *h, size_t *n, heapent e)
{
  size_t i = (*n)++;
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (h[p].rank < e.rank || (h[p].rank == e.rank && h[p].pos < e.pos))
      break;
    h[i] = h[p];
    i = p;
  }
  h[i] = e;
}

static heapent heap_pop(heapent *h, size_t *n)
{
  heapent top = h[0], last = h[--*n];
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1, m = i;
    heapent *best = &last;
    if (l < *n && (h[l].rank < best->rank || (h[l].rank == best->rank && h[l].pos < best->pos))) {
      m = l;
      best = &h[l];
    }
    if (l + 1 < *n &&
        (h[l + 1].rank < best->rank || (h[l + 1].rank == best->rank && h[l + 1].pos < best->pos)))
      m = l + 1;
    if (m == i)
      break;
    h[i] = h[m];
    i = m;
  }
  if (*n)
    h[i] = last;
  return top;
}

static int grow_syms(pare_tokenizer *t, size_t n)
{
  if (n <= t->symcap)
    return 1;
  {
    size_t cap = n < 64 ? 64 : n * 2;
    int32_t *a = (int32_t *)realloc(t->sym, cap * sizeof(int32_t));
    int32_t *b, *d;
    heapent *h;
    if (!a)
      return 0;
    t->sym = a;
    b = (int32_t *)realloc(t->prev, cap * sizeof(int32_t));
    if (!b)
      return 0;
    t->prev = b;
    d = (int32_t *)realloc(t->next, cap * sizeof(int32_t));
    if (!d)
      return 0;
    t->next = d;
    /* Each merge pushes at most two entries: 3n bounds the heap. */
    h = (heapent *)realloc(t->heap, 3 * cap * sizeof(heapent));
    if (!h)
      return 0;
    t->heap = h;
    t->symcap = cap;
  }
  return 1;
}

/* BPE of one byte-level word (raw bytes); appends its ids. */
static int bpe_word(pare_tokenizer *t, const unsigned char *w, size_t n, idvec *out)
{
  size_t i, nsym = 0, nheap = 0, start_out = out->n;
  int32_t unk_pending = 0; /* a pending unk symbol (fuse_unk) */
  int32_t id;
  strent *hit = NULL;
  uint64_t h = 0;
  if (n == 0)
    return PARE_TOK_OK;
  if (t->ignore_merges) {
    size_t o = 0;
    if (t->mappedcap < 2 * n) {
      char *m = (char *)realloc(t->mapped, 2 * n);
      if (!m)
        return PARE_TOK_ERR_NOMEM;
      t->mapped = m;
      t->mappedcap = 2 * n;
    }
    for (i = 0; i < n; i++)
      o += utf8_put(t->byte_cp[w[i]], t->mapped + o);
    if (strtab_get(&t->vocab, t->mapped, o, &id))
      return idvec_push(out, id) ? PARE_TOK_OK : PARE_TOK_ERR_NOMEM;
  }
  if (n < CACHE_MAX_WORD) {
    h = hash_bytes(w, n);
    hit = strtab_find(&t->cache, (const char *)w, n, h);
    if (hit) {
      const int32_t *ids = t->cache_ids.v + hit->val;
      for (i = 0; i < (size_t)ids[0]; i++)
        if (!idvec_push(out, ids[1 + i]))
          return PARE_TOK_ERR_NOMEM;
      return PARE_TOK_OK;
    }
  }
  if (!grow_syms(t, 2 * n + 1))
    return PARE_TOK_ERR_NOMEM;
  /* Initial symbols, as BPE::merge_word builds them. */
  for (i = 0; i < n; i++) {
    unsigned char b = w[i];
    if (t->byte_id[b] >= 0) {
      if (unk_pending) {
        t->sym[nsym++] = t->unk_id;
        unk_pending = 0;
      }
      t->sym[nsym++] = t->byte_id[b];
      continue;
    }
    if (t->byte_fb_n[b]) {
      int k;
      for (k = 0; k < t->byte_fb_n[b]; k++)
        t->sym[nsym++] = t->byte_fb[b][k];
      continue;
    }
    if (t->unk_id >= 0) {
      if (unk_pending && !t->fuse_unk)
        t->sym[nsym++] = t->unk_id;
      unk_pending = 1;
    }
    /* Without unk the character is dropped, as `tokenizers` drops it. */
  }
  if (unk_pending)
    t->sym[nsym++] = t->unk_id;
  for (i = 0; i < nsym; i++) {
    t->prev[i] = (int32_t)i - 1;
    t->next[i] = i + 1 < nsym ? (int32_t)i + 1 : -1;
  }
  for (i = 0; i + 1 < nsym; i++) {
    const mergeent *m = mergetab_get(&t->merges, t->sym[i], t->sym[i + 1]);
    if (m) {
      heapent e;
      e.rank = m->rank;
      e.pos = (int32_t)i;
      e.id = m->id;
      heap_push(t->heap, &nheap, e);
    }
  }
  /* Lowest rank first, leftmost among equal ranks; stale entries are skipped
   * the way BPE::merge_all skips them (same merged id = still valid). */
  while (nheap) {
    heapent top = heap_pop(t->heap, &nheap);
    int32_t p = top.pos, nx;
    const mergeent *m;
    if (t->sym[p] < 0)
      continue;
    nx = t->next[p];
    if (nx < 0)
      continue;
    m = mergetab_get(&t->merges, t->sym[p], t->sym[nx]);
    if (!m || m->id != top.id)
      continue;
    t->sym[p] = top.id;
    t->sym[nx] = -1;
    t->next[p] = t->next[nx];
    if (t->next[nx] >= 0)
      t->prev[t->next[nx]] = p;
    if (t->prev[p] >= 0) {
      int32_t q = t->prev[p];
      m = mergetab_get(&t->merges, t->sym[q], t->sym[p]);
      if (m) {
        heapent e;
        e.rank = m->rank;
        e.pos = q;
        e.id = m->id;
        heap_push(t->heap, &nheap, e);
      }
    }
    if (t->next[p] >= 0) {
      m = mergetab_get(&t->merges, t->sym[p], t->sym[t->next[p]]);
      if (m) {
        heapent e;
        e.rank = m->rank;
        e.pos = p;
        e.id = m->id;
        heap_push(t->heap, &nheap, e);
      }
    }
  }
  if (nsym) {
    int32_t p = 0;
    while (p >= 0) {
      if (!idvec_push(out, t->sym[p]))
        return PARE_TOK_ERR_NOMEM;
      p = t->next[p];
    }
  }
  if (n < CACHE_MAX_WORD) {
    size_t k, cnt = out->n - start_out, off;
    char *key;
    int r;
    if (t->cache.count >= CACHE_MAX_ENTRIES) {
      strtab_free(&t->cache);
      arena_free(&t->cache_ar);
      t->cache_ids.n = 0;
    }
    key = arena_strdup(&t->cache_ar, (const char *)w, n);
    off = t->cache_ids.n;
    if (!key || off > (size_t)INT32_MAX - cnt - 1 || !idvec_push(&t->cache_ids, (int32_t)cnt))
      return PARE_TOK_ERR_NOMEM;
    for (k = 0; k < cnt; k++)
      if (!idvec_push(&t->cache_ids, out->v[start_out + k]))
        return PARE_TOK_ERR_NOMEM;
    r = strtab_put(&t->cache, key, n, (int32_t)off);
    if (r == 0)
      return PARE_TOK_ERR_NOMEM;
  }
  return PARE_TOK_OK;
}

static int scratch_fit(scratch *sc, size_t n)
{
  if (n + 1 > sc->cap) {
    size_t cap = (n + 1) * 2;
    uint32_t *cp = (uint32_t *)realloc(sc->cp, cap * sizeof(uint32_t));
    uint8_t *cat;
    size_t *off;
    if (!cp)
      return 0;
    sc->cp = cp;
    cat = (uint8_t *)realloc(sc->cat, cap);
    if (!cat)
      return 0;
    sc->cat = cat;
    off = (size_t *)realloc(sc->off, cap * sizeof(size_t));
    if (!off)
      return 0;
    sc->off = off;
    sc->cap = cap;
  }
  return 1;
}

/* Decodes s[0..n) (valid UTF-8) into the scratch arrays; returns the number of
 * code points or (size_t)-1 on out of memory. */
static size_t decode_piece(scratch *sc, const unsigned char *s, size_t n)
{
  size_t i = 0, k = 0, adv;
  if (!scratch_fit(sc, n))
    return (size_t)-1;
  while (i < n) {
    uint32_t cp = s[i] < 0x80 ? (adv = 1, s[i]) : utf8_next(s + i, n - i, &adv);
    sc->cp[k] = cp;
    sc->cat[k] = uni_cat(cp);
    sc->off[k] = i;
    k++;
    i += adv;
  }
  sc->off[k] = n;
  return k;
}

/* Pattern matches of a piece as `tokenizers`' find_matches gives them (matches
 * and the gaps between, in order), then the split behavior. Result in
 * sc->pieces as byte ranges relative to s. */
static int split_piece(const step *st, scratch *sc, const unsigned char *s, size_t n)
{
  size_t ncp = decode_piece(sc, s, n), i;
  piecevec *pv = &sc->pieces;
  pv->n = 0;
  if (ncp == (size_t)-1)
    return PARE_TOK_ERR_NOMEM;
  if (st->kind == STEP_DIGITS) {
    size_t last = 0;
    for (i = 0; i < ncp; i++) {
      if (uni_rust_numeric(sc->cp[i], sc->cat[i])) {
        if (last < sc->off[i] && !piece_push(pv, last, sc->off[i], 0))
          return PARE_TOK_ERR_NOMEM;
        if (!piece_push(pv, sc->off[i], sc->off[i + 1], 1))
          return PARE_TOK_ERR_NOMEM;
        last = sc->off[i + 1];
      }
    }
    if (last < n && !piece_push(pv, last, n, 0))
      return PARE_TOK_ERR_NOMEM;
  } else {
    /* onig's find_iter: an empty match right after the previous match is
     * skipped by advancing one character. */
    size_t from = 0, prev_end = 0, ms, me;
    int have_prev = 0;
    while (from <= ncp) {
      int r = rx_search(st->re, sc->cp, sc->cat, ncp, from, &ms, &me);
      if (r < 0)
        return PARE_TOK_ERR_REGEX;
      if (r == 0)
        break;
      if (ms == me && have_prev && prev_end == me) {
        from++;
        continue;
      }
      if (sc->off[ms] != (pv->n ? pv->v[pv->n - 1].e : 0) &&
          !piece_push(pv, pv->n ? pv->v[pv->n - 1].e : 0, sc->off[ms], 0))
        return PARE_TOK_ERR_NOMEM;
      if (!piece_push(pv, sc->off[ms], sc->off[me], 1))
        return PARE_TOK_ERR_NOMEM;
      from = me;
      prev_end = me;
      have_prev = 1;
    }
    {
      size_t last = pv->n ? pv->v[pv->n - 1].e : 0;
      if (last != n && !piece_push(pv, last, n, 0))
        return PARE_TOK_ERR_NOMEM;
    }
    if (st->invert)
      for (i = 0; i < pv->n; i++)
        pv->v[i].match = !pv->v[i].match;
  }
  /* Split behaviors (SplitDelimiterBehavior), in place. */
  {
    int behavior = st->kind == STEP_DIGITS
                       ? (st->individual_digits ? BEH_ISOLATED : BEH_CONTIGUOUS)
                       : (st->kind == STEP_BYTELEVEL ? BEH_ISOLATED : st->behavior);
    size_t o = 0;
    int prev_match = 0;
    switch (behavior) {
    case BEH_ISOLATED:
      break;
    case BEH_REMOVED:
      for (i = 0; i < pv->n; i++)
        if (!pv->v[i].match)
          pv->v[o++] = pv->v[i];
      pv->n = o;
      break;
    case BEH_PREV:
      for (i = 0; i < pv->n; i++) {
        if (pv->v[i].match && !prev_match && o > 0) {
          pv->v[o - 1].e = pv->v[i].e;
        } else {
          pv->v[o] = pv->v[i];
          pv->v[o].match = pv->v[i].match && !prev_match && o == 0;
          o++;
        }
        prev_match = pv->v[i].match;
      }
      pv->n = o;
      break;
    case BEH_NEXT: {
      /* Right to left, then reversed back. */
      size_t k = pv->n;
      o = pv->n;
      while (k-- > 0) {
        piece p = pv->v[k];
        if (p.match && !prev_match && o < pv->n) {
          pv->v[o].s = p.s;
        } else {
          pv->v[--o] = p;
        }
        prev_match = p.match;
      }
      memmove(pv->v, pv->v + o, (pv->n - o) * sizeof(piece));
      pv->n -= o;
      break;
    }
    case BEH_CONTIGUOUS:
      for (i = 0; i < pv->n; i++) {
        if (pv->v[i].match == prev_match && o > 0)
          pv->v[o - 1].e = pv->v[i].e;
        else
          pv->v[o++] = pv->v[i];
        prev_match = pv->v[i].match;
      }
      pv->n = o;
      break;
    default:
      break;
    }
  }
  return PARE_TOK_OK;
}

static int run_steps(pare_tokenizer *t, int k, const unsigned char *s, size_t n, idvec *out)
{
  step *st = &t->steps[k];
  scratch *sc = &st->sc;
  size_t i;
  int r;
  if (n == 0)
    return PARE_TOK_OK;
  if (st->kind == STEP_BYTELEVEL) {
    const unsigned char *p = s;
    size_t pn = n;
    if (st->add_prefix_space && s[0] != ' ') {
      if (sc->bufcap < n + 1) {
        char *b = (char *)realloc(sc->buf, n + 1);
        if (!b)
          return PARE_TOK_ERR_NOMEM;
        sc->buf = b;
        sc->bufcap = n + 1;
      }
      sc->buf[0] = ' ';
      memcpy(sc->buf + 1, s, n);
      p = (const unsigned char *)sc->buf;
      pn = n + 1;
    }
    if (!st->re)
      return bpe_word(t, p, pn, out);
    r = split_piece(st, sc, p, pn);
    if (r)
      return r;
    for (i = 0; i < sc->pieces.n; i++) {
      piece pc = sc->pieces.v[i];
      r = bpe_word(t, p + pc.s, pc.e - pc.s, out);
      if (r)
        return r;
    }
    return PARE_TOK_OK;
  }
  r = split_piece(st, sc, s, n);
  if (r)
    return r;
  /* The next step reuses its own scratch only: this list stays valid. */
  for (i = 0; i < sc->pieces.n; i++) {
    piece pc = sc->pieces.v[i];
    if (pc.e > pc.s) {
      r = run_steps(t, k + 1, s + pc.s, pc.e - pc.s, out);
      if (r)
        return r;
    }
  }
  return PARE_TOK_OK;
}

/* Leftmost-longest non-overlapping matches of the added tokens of one kind
 * (normalized or not) in s[0..n), with lstrip / rstrip as
 * AddedVocabulary::find_matches applies them. Text pieces go through the
 * pre-tokenizer (or the second pass), tokens straight to out. */
static int added_split(pare_tokenizer *t, int normalized, const unsigned char *s, size_t n,
                       idvec *out)
{
  size_t pos = 0, start_offset = 0;
  int any = 0, r;
  size_t i;
  for (i = 0; i < t->nadded; i++)
    any |= t->added[i].normalized == normalized;
  if (!any)
    return normalized ? run_steps(t, 0, s, n, out) : added_split(t, 1, s, n, out);
  while (pos < n) {
    const size_t *bucket = t->added_by_byte[s[pos]];
    size_t nb = t->added_by_byte_n[s[pos]], best = (size_t)-1, bestlen = 0;
    for (i = 0; i < nb; i++) {
      const added_tok *a = &t->added[bucket[i]];
      if (a->normalized == normalized && a->len > bestlen && a->len <= n - pos &&
          memcmp(s + pos, a->s, a->len) == 0) {
        best = bucket[i];
        bestlen = a->len;
      }
    }
    if (best == (size_t)-1) {
      pos++;
      continue;
    }
    {
      const added_tok *a = &t->added[best];
      size_t start = pos, stop = pos + bestlen;
      pos = stop;
      if (a->lstrip) {
        /* Back over White_Space, never before the previous token's end. */
        size_t ns = start;
        while (ns > 0) {
          size_t b = ns - 1, adv;
          uint32_t cp;
          while (b > 0 && (s[b] & 0xC0) == 0x80)
            b--;
          cp = utf8_next(s + b, n - b, &adv);
          if (!uni_space(cp))
            break;
          ns = b;
        }
        start = ns > start_offset ? ns : start_offset;
      }
      if (a->rstrip) {
        size_t adv;
        while (stop < n && uni_space(utf8_next(s + stop, n - stop, &adv)))
          stop += adv;
      }
      if (start_offset < start) {
        r = normalized ? run_steps(t, 0, s + start_offset, start - start_offset, out)
                       : added_split(t, 1, s + start_offset, start - start_offset, out);
        if (r)
          return r;
      }
      if (!idvec_push(out, a->id))
        return PARE_TOK_ERR_NOMEM;
      start_offset = stop;
    }
  }
  if (start_offset < n) {
    r = normalized ? run_steps(t, 0, s + start_offset, n - start_offset, out)
                   : added_split(t, 1, s + start_offset, n - start_offset, out);
    if (r)
      return r;
  }
  return PARE_TOK_OK;
}

int pare_tokenizer_encode_ex(pare_tokenizer *t, const char *text, size_t len, int add_special,
                             int32_t **ids, size_t *n)
{
  idvec out;
  size_t i;
  int r = PARE_TOK_OK;
  if (!t || !ids || !n || (!text && len))
    return PARE_TOK_ERR_ARG;
  *ids = NULL;
  *n = 0;
  if (utf8_check((const unsigned char *)text, len) != len)
    return PARE_TOK_ERR_UTF8;
  memset(&out, 0, sizeof(out));
  if (add_special)
    for (i = 0; i < t->ntmpl_pre && !r; i++)
      r = idvec_push(&out, t->tmpl_pre[i]) ? PARE_TOK_OK : PARE_TOK_ERR_NOMEM;
  if (!r && len)
    r = added_split(t, 0, (const unsigned char *)text, len, &out);
  if (add_special)
    for (i = 0; i < t->ntmpl_post && !r; i++)
      r = idvec_push(&out, t->tmpl_post[i]) ? PARE_TOK_OK : PARE_TOK_ERR_NOMEM;
  if (r) {
    free(out.v);
    return r;
  }
  *ids = out.n ? out.v : NULL;
  *n = out.n;
  if (!out.n)
    free(out.v);
  return PARE_TOK_OK;
}

int pare_tokenizer_encode(pare_tokenizer *t, const char *text, size_t len, int32_t **ids,
                          size_t *n)
{
  return pare_tokenizer_encode_ex(t, text, len, 0, ids, n);
}

/* ------------------------------------------------------------------ decode -- */

int pare_tokenizer_decode(const pare_tokenizer *t, int32_t id, const char **bytes, size_t *len)
{
  if (!t || !bytes || !len || id < 0 || id >= t->size || !t->dec[id])
    return PARE_TOK_ERR_ARG;
  *bytes = t->dec[id];
  *len = t->dec_len[id];
  return PARE_TOK_OK;
}

int32_t pare_tokenizer_vocab_size(const pare_tokenizer *t)
{
  return t ? t->size : 0;
}

int pare_tokenizer_check_vocab(const pare_tokenizer *t, int64_t model_vocab, char *err,
                               size_t errlen)
{
  if (err && errlen)
    err[0] = 0;
  if (!t) {
    set_err(err, errlen, "no tokenizer");
    return PARE_TOK_ERR_ARG;
  }
  if ((int64_t)t->size > model_vocab) {
    set_err(err, errlen,
            "the tokenizer has ids up to %d (vocabulary and added tokens) but the model's "
            "vocabulary is %lld: the tokenizer does not belong to this model",
            (int)t->size - 1, (long long)model_vocab);
    return PARE_TOK_ERR_VOCAB;
  }
  return PARE_TOK_OK;
}

int32_t pare_tokenizer_token_id(const pare_tokenizer *t, const char *token)
{
  size_t i, n;
  int32_t id;
  if (!t || !token)
    return -1;
  n = strlen(token);
  for (i = 0; i < t->nadded; i++)
    if (t->added[i].len == n && memcmp(t->added[i].s, token, n) == 0)
      return t->added[i].id;
  return strtab_get(&t->vocab, token, n, &id) ? id : -1;
}

int pare_tokenizer_is_special(const pare_tokenizer *t, int32_t id)
{
  return t && id >= 0 && id < t->size && t->special[id];
}
