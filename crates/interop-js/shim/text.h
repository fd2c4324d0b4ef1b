// Text crossing between V8 and the host, bounded before it is copied.
//
// A script controls the size of what it hands the host (results, thrown messages and
// stacks, host function arguments), and a V8 string's length is known without copying
// it: each crossing checks that length against its cap first, so a 20 MiB message costs
// the host at most the cap. UTF-8 has at least one byte per UTF-16 unit, so a string
// longer than the cap in units is over it in bytes too.

#pragma once

#include <v8.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

namespace ijs {

// A V8 string from host UTF-8; empty when it is longer than V8 strings may be.
inline v8::MaybeLocal<v8::String> Str(v8::Isolate* isolate, const char* p, size_t n) {
  if (n > static_cast<size_t>(v8::String::kMaxLength)) return {};
  return v8::String::NewFromUtf8(isolate, p, v8::NewStringType::kNormal, static_cast<int>(n));
}

// A V8 string from a literal of the shim's own.
template <int N>
v8::Local<v8::String> Lit(v8::Isolate* isolate, const char (&literal)[N]) {
  return v8::String::NewFromUtf8Literal(isolate, literal);
}

// `s` as UTF-8, at most `cap` bytes of it (whole characters), followed by a note of how
// many characters were cut.
inline std::string Capped(v8::Isolate* isolate, v8::Local<v8::String> s, size_t cap) {
  size_t length = static_cast<size_t>(s->Length());
  // At most 3 bytes per UTF-16 unit (a surrogate pair is 2 units for 4 bytes).
  size_t room = std::min(cap, length * 3);
  std::string out(room, '\0');
  int chars = 0;
  int written = s->WriteUtf8(isolate, out.data(), static_cast<int>(room), &chars,
                             v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  out.resize(static_cast<size_t>(written));
  if (static_cast<size_t>(chars) < length) {
    out += "... (" + std::to_string(length - static_cast<size_t>(chars)) + " more characters)";
  }
  return out;
}

// `value` as text (String(value), which may run the script's toString), capped as above;
// empty when converting it threw.
inline std::string Text(v8::Isolate* isolate, v8::Local<v8::Context> ctx,
                        v8::Local<v8::Value> value, size_t cap) {
  v8::Local<v8::String> s;
  if (!value->ToString(ctx).ToLocal(&s)) return std::string();
  return Capped(isolate, s, cap);
}

inline std::string JsonQuote(const std::string& s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          snprintf(buf, sizeof buf, "\\u%04x", c);
          o += buf;
        } else {
          o += static_cast<char>(c);
        }
    }
  }
  return o + "\"";
}

enum class Appended { kDone, kThrew, kTooLarge };

// Appends `s` as a JSON string to `out`, unless `out` would pass `cap` bytes.
inline Appended AppendString(v8::Isolate* isolate, v8::Local<v8::String> s, std::string& out,
                             size_t cap) {
  if (out.size() > cap || static_cast<size_t>(s->Length()) > cap - out.size()) {
    return Appended::kTooLarge;
  }
  v8::String::Utf8Value utf8(isolate, s);
  out += JsonQuote(*utf8 ? std::string(*utf8, utf8.length()) : std::string());
  return out.size() > cap ? Appended::kTooLarge : Appended::kDone;
}

// Appends `value` as JSON to `out` (primitives directly, objects through V8's own
// JSON.stringify, which the script cannot replace; undefined, functions and symbols are
// null), unless `out` would pass `cap` bytes.
inline Appended AppendJson(v8::Isolate* isolate, v8::Local<v8::Context> ctx,
                           v8::Local<v8::Value> value, std::string& out, size_t cap) {
  if (value->IsString()) return AppendString(isolate, value.As<v8::String>(), out, cap);
  if (value->IsNumber()) {
    double d = value.As<v8::Number>()->Value();
    char buf[32];
    if (!std::isfinite(d)) {
      out += "null";
    } else if (d == static_cast<double>(static_cast<int64_t>(d)) && d < 9e15 && d > -9e15) {
      snprintf(buf, sizeof buf, "%lld", static_cast<long long>(d));
      out += buf;
    } else {
      snprintf(buf, sizeof buf, "%.17g", d);
      out += buf;
    }
  } else if (value->IsBoolean()) {
    out += value->IsTrue() ? "true" : "false";
  } else if (value->IsNullOrUndefined() || value->IsFunction() || value->IsSymbol()) {
    out += "null";
  } else {
    v8::Local<v8::String> json;
    if (!v8::JSON::Stringify(ctx, value).ToLocal(&json)) return Appended::kThrew;
    // Already JSON: copied as is, after the same size check. V8 gives "undefined" (not
    // JSON) when the value serializes to nothing, e.g. a toJSON returning undefined.
    if (out.size() > cap || static_cast<size_t>(json->Length()) > cap - out.size()) {
      return Appended::kTooLarge;
    }
    v8::String::Utf8Value utf8(isolate, json);
    std::string text = *utf8 ? std::string(*utf8, utf8.length()) : std::string();
    out += text == "undefined" ? "null" : text;
  }
  return out.size() > cap ? Appended::kTooLarge : Appended::kDone;
}

}  // namespace ijs
