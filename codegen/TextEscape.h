//===- TextEscape.h - model strings made safe for emitted text ------------===//
//
// Every string that comes from a model (node, tensor and initializer names,
// the model file's name) is untrusted: it may hold newlines, "*/", quotes,
// backslashes, control bytes, invalid UTF-8 or 200 KB of text. Whatever pare
// writes (C and CUDA sources, build fragments, JSON, SVG, diagnostics) passes
// such strings through one of these functions, picked by where the text lands.
// Plain names (printable ASCII without '\', '"', "*/", "/*", "??") come out
// unchanged, so everyday output reads as before.
//
// Identifiers are a different matter: sanitizeIdentifier (EmitterSupport.h)
// turns a name into [A-Za-z0-9_] and never lets model text through verbatim.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_CODEGEN_TEXTESCAPE_H
#define PARE_CODEGEN_TEXTESCAPE_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace pare::codegen {

/// Longest model string, in bytes of output, that commentText and
/// displayText print before cutting it off with "...".
constexpr size_t kMaxQuotedName = 120;

/// `s` as it may appear inside a C / CUDA block comment and in a '#' line
/// comment (CMake, Make): one line of printable ASCII. Escapes as a C string
/// body would ('\\', '\"', '\n', '\t', '\r', other bytes below 0x20, 0x7f and
/// every non-ASCII byte as three-digit octal '\ooo'), breaks "*/" and "/*"
/// with a backslash ("*\/", "/\*") and "??" trigraphs ("?\?"), and cuts the
/// result at about `maxBytes` with "...".
std::string commentText(llvm::StringRef s, size_t maxBytes = kMaxQuotedName);

/// A C string literal, quotes included, that holds exactly the bytes of `s`
/// (octal escapes for anything but printable ASCII; no trigraphs). Never cut.
std::string cStringLiteral(llvm::StringRef s);

/// `s` for a one-line diagnostic or a terminal table: control bytes, '\' and
/// non-ASCII bytes escaped as in commentText ('"' kept), cut at `maxBytes`
/// with "..." (0: never).
std::string displayText(llvm::StringRef s, size_t maxBytes = kMaxQuotedName);

/// `s` as valid UTF-8: every byte that does not start a well-formed UTF-8
/// sequence becomes U+FFFD.
std::string validUtf8(llvm::StringRef s);

/// A JSON string, quotes included: valid UTF-8 (invalid bytes become
/// U+FFFD), '"' and '\' escaped, control characters as \uXXXX.
std::string jsonString(llvm::StringRef s);

/// A JSON number; non-finite values (NaN, +-inf) become null, as JSON has no
/// spelling for them.
std::string jsonNumber(double v);

/// Text for an XML / SVG element or attribute value: valid UTF-8, "<>&\"'"
/// as entities, characters XML 1.0 forbids (controls other than tab, U+FFFE,
/// U+FFFF) as U+FFFD; cut at `maxBytes` with "..." (0: never).
std::string xmlText(llvm::StringRef s, size_t maxBytes = 0);

/// 64-bit FNV-1a of `s`, for stable short names of long strings.
uint64_t fnv1a64(llvm::StringRef s);

} // namespace pare::codegen

#endif // PARE_CODEGEN_TEXTESCAPE_H
