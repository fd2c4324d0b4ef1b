/*
 * interop.h: the interop wasm guest ABI for C (header only). See docs/abi.md and
 * docs/guests.md.
 *
 * Build a plugin with Debian's clang, lld and wasi-libc:
 *
 *   clang --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -O2 \
 *         -I examples/pdk/c -o dist/plugin.wasm src/plugin.c
 *
 * A handler is an exported function with no parameters and no result:
 *
 *   INTEROP_EXPORT(greet) void greet(void) {
 *       char *name = interop_input_string();
 *       ...
 *       interop_output_text("Hello!");
 *   }
 *
 * Strings returned by these helpers are NUL-terminated, allocated with malloc, and
 * owned by the caller (free them). NULL means "absent" or "failed".
 */
#ifndef INTEROP_H
#define INTEROP_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define INTEROP_IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
/* Exports the function that follows under `name` (the manifest's handler). */
#define INTEROP_EXPORT(name) __attribute__((export_name(#name)))

/* ---- raw imports (module `env`), as in docs/abi.md ---- */
INTEROP_IMPORT(ft_log) void ft_log(int32_t level, const char *ptr, uint32_t len);
INTEROP_IMPORT(ft_get_env) int32_t ft_get_env(const char *key, uint32_t key_len);
INTEROP_IMPORT(ft_config_get) int32_t ft_config_get(const char *key, uint32_t key_len);
INTEROP_IMPORT(ft_return_buffer_read) int32_t ft_return_buffer_read(char *out, uint32_t out_len);
INTEROP_IMPORT(ft_return_buffer_len) int32_t ft_return_buffer_len(void);
INTEROP_IMPORT(ft_input) int32_t ft_input(void);
INTEROP_IMPORT(ft_output) void ft_output(const char *ptr, uint32_t len);
INTEROP_IMPORT(ft_error) void ft_error(const char *ptr, uint32_t len);
INTEROP_IMPORT(ft_host_call)
int32_t ft_host_call(const char *name, uint32_t name_len, const char *args, uint32_t args_len);
INTEROP_IMPORT(ft_now_ms) int64_t ft_now_ms(void);
INTEROP_IMPORT(ft_sleep_ms) int32_t ft_sleep_ms(int64_t ms);

enum interop_level {
    INTEROP_TRACE = 0,
    INTEROP_DEBUG = 1,
    INTEROP_INFO = 2,
    INTEROP_WARN = 3,
    INTEROP_ERROR = 4,
};

/* ---- logging ---- */
static inline void interop_log(enum interop_level level, const char *msg) {
    ft_log((int32_t)level, msg, (uint32_t)strlen(msg));
}
static inline void interop_log_info(const char *msg) { interop_log(INTEROP_INFO, msg); }
static inline void interop_log_warn(const char *msg) { interop_log(INTEROP_WARN, msg); }
static inline void interop_log_error(const char *msg) { interop_log(INTEROP_ERROR, msg); }

/* The first `len` bytes of the return buffer, NUL-terminated (NULL if out of memory). */
static inline char *interop_take_return_buffer(int32_t len) {
    if (len < 0) len = 0;
    char *buf = (char *)malloc((size_t)len + 1);
    if (!buf) return NULL;
    int32_t n = len > 0 ? ft_return_buffer_read(buf, (uint32_t)len) : 0;
    buf[n < 0 ? 0 : n] = '\0';
    return buf;
}

/* The granted environment variable `name`, or NULL if not granted or unset. */
static inline char *interop_get_env(const char *name) {
    int32_t len = ft_get_env(name, (uint32_t)strlen(name));
    if (len < 0) return NULL;
    return interop_take_return_buffer(len);
}

/* The JSON text of the plugin's config value `key` (the manifest's `config` with the
   host's overrides), or NULL if the config has no such key. */
static inline char *interop_config_get(const char *key) {
    int32_t len = ft_config_get(key, (uint32_t)strlen(key));
    if (len < 0) return NULL;
    return interop_take_return_buffer(len);
}

/* ---- JSON strings ---- */

/* `s` as a JSON string literal, quotes included. */
static inline char *interop_json_quote(const char *s) {
    size_t n = strlen(s);
    char *out = (char *)malloc(n * 6 + 3);
    if (!out) return NULL;
    char *o = out;
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') { *o++ = '\\'; *o++ = (char)c; }
        else if (c == '\n') { *o++ = '\\'; *o++ = 'n'; }
        else if (c == '\r') { *o++ = '\\'; *o++ = 'r'; }
        else if (c == '\t') { *o++ = '\\'; *o++ = 't'; }
        else if (c < 0x20) {
            static const char hex[] = "0123456789abcdef";
            *o++ = '\\'; *o++ = 'u'; *o++ = '0'; *o++ = '0';
            *o++ = hex[c >> 4]; *o++ = hex[c & 15];
        } else *o++ = (char)c;
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

static inline int interop_hex4(const char *p, uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

static inline char *interop_put_utf8(char *o, uint32_t cp) {
    if (cp < 0x80) { *o++ = (char)cp; }
    else if (cp < 0x800) { *o++ = (char)(0xC0 | (cp >> 6)); *o++ = (char)(0x80 | (cp & 0x3F)); }
    else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* The text of `json` when it is exactly one JSON string (whitespace around it allowed),
 * else NULL. */
static inline char *interop_json_unquote(const char *json) {
    const char *p = json;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (*p++ != '"') return NULL;
    char *out = (char *)malloc(strlen(p) + 1);
    if (!out) return NULL;
    char *o = out;
    for (;;) {
        unsigned char c = (unsigned char)*p++;
        if (c == '\0' || c < 0x20) { free(out); return NULL; }
        if (c == '"') break;
        if (c != '\\') { *o++ = (char)c; continue; }
        char e = *p++;
        uint32_t cp;
        switch (e) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u':
            if (!interop_hex4(p, &cp)) { free(out); return NULL; }
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00) {
                uint32_t lo;
                if (p[0] != '\\' || p[1] != 'u' || !interop_hex4(p + 2, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF) { free(out); return NULL; }
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp < 0xE000) { free(out); return NULL; }
            o = interop_put_utf8(o, cp);
            break;
        default: free(out); return NULL;
        }
    }
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (*p != '\0') { free(out); return NULL; }
    *o = '\0';
    return out;
}

/* ---- the call's input and result ---- */

/* The call's input as JSON text (action input, provider request, hook payload). */
static inline char *interop_input(void) { return interop_take_return_buffer(ft_input()); }

/* The call's input when it is a JSON string such as "World", else NULL. */
static inline char *interop_input_string(void) {
    char *json = interop_input();
    if (!json) return NULL;
    char *s = interop_json_unquote(json);
    free(json);
    return s;
}

/* Sets the result from JSON text (a string is the result's text). */
static inline void interop_output_json(const char *json) {
    ft_output(json, (uint32_t)strlen(json));
}

/* Sets the result to the text `text`. */
static inline void interop_output_text(const char *text) {
    char *json = interop_json_quote(text);
    if (!json) { ft_error("out of memory", 13); return; }
    interop_output_json(json);
    free(json);
}

/* Fails the call with `message` (an `exec` error for the caller). */
static inline void interop_error(const char *message) {
    ft_error(message, (uint32_t)strlen(message));
}

/* ---- host calls (docs/host-api.md) ---- */

/* Calls host function `name` with JSON `args`. Returns 0 and the result's JSON in
 * `*result`, or -1 and the error's JSON (`{"kind", "message", ...}`) in `*result`. */
static inline int interop_host_call(const char *name, const char *args, char **result) {
    int32_t code = ft_host_call(name, (uint32_t)strlen(name), args, (uint32_t)strlen(args));
    *result = interop_take_return_buffer(code < 0 ? ft_return_buffer_len() : code);
    return code < 0 ? -1 : 0;
}

/* Reads the UTF-8 text file `path` (relative to the plugin directory, under a granted
 * root). Returns its text, or NULL with the host's error JSON in `*error` if `error` is
 * not NULL. */
static inline char *interop_read_file(const char *path, char **error) {
    char *quoted = interop_json_quote(path);
    if (!quoted) return NULL;
    char *args = (char *)malloc(strlen(quoted) + 16);
    if (!args) { free(quoted); return NULL; }
    strcpy(args, "{\"path\":");
    strcat(args, quoted);
    strcat(args, "}");
    free(quoted);
    char *result = NULL;
    int rc = interop_host_call("fs.readFile", args, &result);
    free(args);
    if (rc != 0) {
        if (error) *error = result; else free(result);
        return NULL;
    }
    char *text = result ? interop_json_unquote(result) : NULL;
    free(result);
    if (error) *error = NULL;
    return text;
}

/* Milliseconds since the Unix epoch. */
static inline int64_t interop_now_ms(void) { return ft_now_ms(); }

/* Sleeps `ms` milliseconds: 0, or -1 (without sleeping) if longer than the time limit. */
static inline int interop_sleep_ms(int64_t ms) { return ft_sleep_ms(ms); }

#endif /* INTEROP_H */
