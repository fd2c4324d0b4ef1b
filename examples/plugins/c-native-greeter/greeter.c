/*
 * The greeter as a native interop plugin in C (ABI v1, examples/include/interop_plugin.h).
 *
 *   action greet     "World" -> "Hello, World!" (prefixed by $GREETER_PREFIX and a space
 *                    when the variable is granted and set)
 *   action farewell  "World" -> "Goodbye, World!"
 *   provider greeting        -> the text of data/greeting.txt, read through the host fs API
 *   hook config.reload -> on_reload: logs a line
 *
 * It answers exactly like its wasm twins (rust-greeter, go-greeter, c-greeter...).
 *
 * Built by `cargo xtask build-plugins` into build/libc_native_greeter.so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interop_plugin.h"

typedef struct {
    const interop_host_api_t *host;
} greeter_t;

/* A growable byte buffer; its memory becomes the reply handed to the host. */
typedef struct {
    uint8_t *data;
    size_t len, cap;
    int failed;
} buf_t;

static void buf_put(buf_t *b, const void *src, size_t n) {
    if (b->failed) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->len + n) cap *= 2;
        uint8_t *p = realloc(b->data, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, src, n);
    b->len += n;
}

static void buf_str(buf_t *b, const char *s) { buf_put(b, s, strlen(s)); }

/* Appends `s` (n bytes of UTF-8) as a JSON string. */
static void buf_json_string(buf_t *b, const char *s, size_t n) {
    buf_str(b, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            buf_put(b, esc, 2);
        } else if (c < 0x20) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", c);
            buf_str(b, esc);
        } else {
            buf_put(b, &c, 1);
        }
    }
    buf_str(b, "\"");
}

static void put_utf8(buf_t *b, unsigned cp) {
    unsigned char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | (cp >> 6));
        u[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | (cp >> 12));
        u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (unsigned char)(0xF0 | (cp >> 18));
        u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    buf_put(b, u, n);
}

static int hex4(const uint8_t *p, const uint8_t *end, unsigned *out) {
    if (end - p < 4) return 0;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

/* Decodes a JSON string value (the whole input, surrounding whitespace allowed) into `out`.
 * Returns 1 on success. */
static int parse_json_string(const uint8_t *p, size_t n, buf_t *out) {
    const uint8_t *end = p + n;
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    if (p == end || *p != '"') return 0;
    p++;
    for (;;) {
        if (p == end) return 0;
        uint8_t c = *p++;
        if (c == '"') break;
        if (c < 0x20) return 0;
        if (c != '\\') {
            buf_put(out, &c, 1);
            continue;
        }
        if (p == end) return 0;
        c = *p++;
        switch (c) {
        case '"': case '\\': case '/': buf_put(out, &c, 1); break;
        case 'b': buf_str(out, "\b"); break;
        case 'f': buf_str(out, "\f"); break;
        case 'n': buf_str(out, "\n"); break;
        case 'r': buf_str(out, "\r"); break;
        case 't': buf_str(out, "\t"); break;
        case 'u': {
            unsigned cp, lo;
            if (!hex4(p, end, &cp)) return 0;
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
                hex4(p + 2, end, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            put_utf8(out, cp);
            break;
        }
        default: return 0;
        }
    }
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    return p == end && !out->failed;
}

static void host_log(const greeter_t *g, int32_t level, const char *msg, size_t len) {
    g->host->log(g->host->ctx, level, (const uint8_t *)msg, len);
}

/* Calls a host function; on INTEROP_OK leaves the result JSON in `result`. */
static int32_t host_call(const greeter_t *g, const char *name, const char *args, buf_t *result) {
    uint8_t *out = NULL;
    size_t out_len = 0;
    int32_t rc = g->host->call(g->host->ctx, (const uint8_t *)name, strlen(name),
                               (const uint8_t *)args, strlen(args), &out, &out_len);
    if (out) {
        buf_put(result, out, out_len);
        g->host->free(g->host->ctx, out, out_len);
    }
    return rc;
}

static int32_t reply(buf_t *b, int32_t status, uint8_t **out, size_t *out_len) {
    if (b->failed) {
        free(b->data);
        return INTEROP_ERROR;
    }
    *out = b->data;
    *out_len = b->len;
    return status;
}

static int32_t reply_text(const char *msg, int32_t status, uint8_t **out, size_t *out_len) {
    buf_t b = {0};
    buf_str(&b, msg);
    return reply(&b, status, out, out_len);
}

static int handler_is(const uint8_t *h, size_t n, const char *name) {
    return n == strlen(name) && memcmp(h, name, n) == 0;
}

static int32_t greeter_init(const interop_host_api_t *host, void **state) {
    greeter_t *g = calloc(1, sizeof *g);
    if (!g) return INTEROP_ERROR;
    g->host = host;
    *state = g;
    return INTEROP_OK;
}

static int32_t greeter_invoke(void *state, const uint8_t *handler, size_t handler_len,
                              const uint8_t *input, size_t input_len, uint8_t **out,
                              size_t *out_len) {
    const greeter_t *g = state;
    const char *word;
    if (handler_is(handler, handler_len, "greet")) word = "Hello";
    else if (handler_is(handler, handler_len, "farewell")) word = "Goodbye";
    else return INTEROP_NOT_FOUND;

    const char *action = word[0] == 'H' ? "greet" : "farewell";
    buf_t name = {0};
    if (!parse_json_string(input, input_len, &name)) {
        free(name.data);
        buf_t msg = {0};
        buf_str(&msg, action);
        buf_str(&msg, ": expected the name as a JSON string");
        return reply(&msg, INTEROP_INVALID_INPUT, out, out_len);
    }

    buf_t line = {0};
    buf_str(&line, action);
    buf_str(&line, " ");
    buf_put(&line, name.data, name.len);
    host_log(g, INTEROP_LOG_INFO, (const char *)line.data, line.len);
    free(line.data);

    /* greet is prefixed by $GREETER_PREFIX and a space when it is granted and set. */
    buf_t text = {0};
    buf_t prefix = {0};
    if (word[0] == 'H' &&
        host_call(g, "env.get", "{\"name\":\"GREETER_PREFIX\"}", &prefix) == INTEROP_OK &&
        prefix.len > 2 && prefix.data[0] == '"') {
        /* The JSON string's contents, escapes decoded. */
        if (parse_json_string(prefix.data, prefix.len, &text) && text.len > 0) buf_str(&text, " ");
    }
    free(prefix.data);
    buf_str(&text, word);
    buf_str(&text, ", ");
    buf_put(&text, name.data, name.len);
    buf_str(&text, "!");
    free(name.data);
    buf_t result = {0};
    buf_json_string(&result, (const char *)text.data, text.len);
    free(text.data);
    return reply(&result, INTEROP_OK, out, out_len);
}

static int32_t greeter_get_provider(void *state, const uint8_t *handler, size_t handler_len,
                                    const uint8_t *input, size_t input_len, uint8_t **out,
                                    size_t *out_len) {
    (void)input;
    (void)input_len;
    const greeter_t *g = state;
    if (!handler_is(handler, handler_len, "greeting")) return INTEROP_NOT_FOUND;
    buf_t result = {0};
    int32_t rc = host_call(g, "fs.readFile", "{\"path\":\"data/greeting.txt\"}", &result);
    if (rc != INTEROP_OK) /* the host's PluginError JSON, passed on as this call's error */
        return reply(&result, INTEROP_ERROR, out, out_len);
    /* The file's text (a JSON string), without trailing whitespace. */
    buf_t text = {0};
    int ok = parse_json_string(result.data, result.len, &text);
    free(result.data);
    if (!ok) {
        free(text.data);
        return reply_text("fs.readFile returned something other than text", INTEROP_ERROR, out,
                          out_len);
    }
    while (text.len > 0 && (text.data[text.len - 1] == '\n' || text.data[text.len - 1] == '\r' ||
                            text.data[text.len - 1] == ' ' || text.data[text.len - 1] == '\t'))
        text.len--;
    buf_t reply_json = {0};
    buf_json_string(&reply_json, (const char *)text.data, text.len);
    free(text.data);
    return reply(&reply_json, INTEROP_OK, out, out_len);
}

static int32_t greeter_on_event(void *state, const uint8_t *handler, size_t handler_len,
                                const uint8_t *input, size_t input_len, uint8_t **out,
                                size_t *out_len) {
    (void)input;
    (void)input_len;
    const greeter_t *g = state;
    if (!handler_is(handler, handler_len, "on_reload")) return INTEROP_NOT_FOUND;
    static const char msg[] = "greeter: configuration reloaded";
    host_log(g, INTEROP_LOG_INFO, msg, sizeof msg - 1);
    *out = NULL;
    *out_len = 0; /* no reply: null */
    return INTEROP_OK;
}

static void greeter_free(void *state, uint8_t *ptr, size_t len) {
    (void)state;
    (void)len;
    free(ptr);
}

static void greeter_deinit(void *state) { free(state); }

static const interop_plugin_t descriptor = {
    .abi_version = INTEROP_ABI_VERSION,
    .size = sizeof(interop_plugin_t),
    .name = "c-native-greeter",
    .init = greeter_init,
    .invoke = greeter_invoke,
    .get_provider = greeter_get_provider,
    .on_event = greeter_on_event,
    .free = greeter_free,
    .deinit = greeter_deinit,
};

const interop_plugin_t *interop_plugin_entry(void) { return &descriptor; }
