//===- TextEscape.cpp - model strings made safe for emitted text ----------===//
#include "codegen/TextEscape.h"

#include <cmath>
#include <cstdio>

namespace pare::codegen {

namespace {

/// Length of the well-formed UTF-8 sequence at s[i] (Unicode table 3-7: no
/// overlong forms, no surrogates, at most U+10FFFF) and its code point; 0
/// when the bytes there are not one.
size_t utf8At(llvm::StringRef s, size_t i, uint32_t &cp) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  size_t n = c >= 0xC2 && c <= 0xDF   ? 2
             : c >= 0xE0 && c <= 0xEF ? 3
             : c >= 0xF0 && c <= 0xF4 ? 4
                                      : 0;
  if (n == 0 || i + n > s.size())
    return 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c == 0xE0)
    lo = 0xA0;
  if (c == 0xED)
    hi = 0x9F;
  if (c == 0xF0)
    lo = 0x90;
  if (c == 0xF4)
    hi = 0x8F;
  if (b(1) < lo || b(1) > hi)
    return 0;
  for (size_t k = 2; k < n; ++k)
    if (b(k) < 0x80 || b(k) > 0xBF)
      return 0;
  cp = n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
  for (size_t k = 1; k < n; ++k)
    cp = (cp << 6) | (b(k) & 0x3F);
  return n;
}

void appendUtf8(std::string &o, uint32_t cp) {
  if (cp < 0x80) {
    o += char(cp);
  } else if (cp < 0x800) {
    o += char(0xC0 | (cp >> 6));
    o += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    o += char(0xE0 | (cp >> 12));
    o += char(0x80 | ((cp >> 6) & 0x3F));
    o += char(0x80 | (cp & 0x3F));
  } else {
    o += char(0xF0 | (cp >> 18));
    o += char(0x80 | ((cp >> 12) & 0x3F));
    o += char(0x80 | ((cp >> 6) & 0x3F));
    o += char(0x80 | (cp & 0x3F));
  }
}

constexpr uint32_t kReplacement = 0xFFFD;

/// Calls fn(code point) for each character of `s`, U+FFFD for each byte that
/// starts no well-formed sequence.
template <typename Fn> void forEachCodePoint(llvm::StringRef s, Fn fn) {
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    size_t n = utf8At(s, i, cp);
    if (n == 0) {
      cp = kReplacement;
      n = 1;
    }
    if (!fn(cp))
      return;
    i += n;
  }
}

/// One byte of a C string body: printable ASCII as itself (with '\\', and,
/// with `quotes` (C text), '"' and "??" escaped), everything else as a C
/// escape.
void appendCEscaped(std::string &o, unsigned char c, bool quotes = true) {
  switch (c) {
  case '\\':
    o += "\\\\";
    return;
  case '"':
    o += quotes ? "\\\"" : "\"";
    return;
  case '\n':
    o += "\\n";
    return;
  case '\t':
    o += "\\t";
    return;
  case '\r':
    o += "\\r";
    return;
  case '?':
    // "??x" would be a trigraph in C99 ("??/" is a backslash).
    o += (quotes && !o.empty() && o.back() == '?') ? "\\?" : "?";
    return;
  default:
    break;
  }
  if (c >= 0x20 && c < 0x7F) {
    o += char(c);
    return;
  }
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\%03o", unsigned(c));
  o += buf;
}

/// Escaped text of `s` cut at about maxBytes of output, with "..." when cut.
/// With `comment`, "*/" and "/*" are broken too.
std::string escaped(llvm::StringRef s, size_t maxBytes, bool comment, bool quotes) {
  std::string o;
  for (size_t i = 0; i < s.size(); ++i) {
    if (maxBytes && o.size() >= maxBytes) {
      o += "...";
      break;
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (comment && ((c == '/' && !o.empty() && o.back() == '*') ||
                    (c == '*' && !o.empty() && o.back() == '/'))) {
      o += '\\';
      o += char(c);
      continue;
    }
    appendCEscaped(o, c, quotes);
  }
  return o;
}

} // namespace

std::string commentText(llvm::StringRef s, size_t maxBytes) {
  return escaped(s, maxBytes, /*comment=*/true, /*quotes=*/true);
}

std::string displayText(llvm::StringRef s, size_t maxBytes) {
  return escaped(s, maxBytes, /*comment=*/false, /*quotes=*/false);
}

std::string cStringLiteral(llvm::StringRef s) {
  std::string o;
  for (char c : s)
    appendCEscaped(o, static_cast<unsigned char>(c));
  return "\"" + o + "\"";
}

std::string validUtf8(llvm::StringRef s) {
  std::string o;
  o.reserve(s.size());
  forEachCodePoint(s, [&](uint32_t cp) {
    appendUtf8(o, cp);
    return true;
  });
  return o;
}

std::string jsonString(llvm::StringRef s) {
  std::string o = "\"";
  forEachCodePoint(s, [&](uint32_t cp) {
    if (cp == '"' || cp == '\\') {
      o += '\\';
      o += char(cp);
    } else if (cp == '\n') {
      o += "\\n";
    } else if (cp == '\t') {
      o += "\\t";
    } else if (cp == '\r') {
      o += "\\r";
    } else if (cp < 0x20 || cp == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(cp));
      o += buf;
    } else {
      appendUtf8(o, cp);
    }
    return true;
  });
  return o + "\"";
}

std::string jsonNumber(double v) {
  if (!std::isfinite(v))
    return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string xmlText(llvm::StringRef s, size_t maxBytes) {
  std::string o;
  forEachCodePoint(s, [&](uint32_t cp) {
    if (maxBytes && o.size() >= maxBytes) {
      o += "...";
      return false;
    }
    switch (cp) {
    case '<':
      o += "&lt;";
      break;
    case '>':
      o += "&gt;";
      break;
    case '&':
      o += "&amp;";
      break;
    case '"':
      o += "&quot;";
      break;
    case '\'':
      o += "&apos;";
      break;
    default:
      bool allowed = cp == '\t' || (cp >= 0x20 && cp != 0xFFFE && cp != 0xFFFF);
      appendUtf8(o, allowed ? cp : kReplacement);
    }
    return true;
  });
  return o;
}

uint64_t fnv1a64(llvm::StringRef s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

} // namespace pare::codegen
