/* {{name}}: a native interop plugin in C (a shared library, native ABI v1 of
 * include/interop_plugin.h).
 *
 * The host calls interop_plugin_entry() for the descriptor below, then invoke() with the
 * handler's name and the input as JSON; the reply is JSON too (a string becomes the
 * result's text). A native plugin runs with the host's privileges: set "isolated": true
 * in plugin.json to run it in a child process instead. */
#include <stdlib.h>
#include <string.h>

#include "interop_plugin.h"

static int32_t reply(const char *text, uint8_t **out, size_t *out_len) {
    size_t n = strlen(text);
    *out = (uint8_t *)malloc(n);
    if (!*out) return INTEROP_ERROR;
    memcpy(*out, text, n);
    *out_len = n;
    return INTEROP_OK;
}

/* greet: "World" -> "Hello, World!". The input is a JSON string: the text between its
 * quotes is already escaped JSON, so it goes into the reply as it is. */
static int32_t greet(const uint8_t *input, size_t len, uint8_t **out, size_t *out_len) {
    while (len > 0 && (input[len - 1] == ' ' || input[len - 1] == '\n')) len--;
    if (len < 2 || input[0] != '"' || input[len - 1] != '"') {
        reply("greet: expected the name as a JSON string", out, out_len);
        return INTEROP_INVALID_INPUT;
    }
    static const char head[] = "\"Hello, ", tail[] = "!\"";
    size_t name_len = len - 2, n = sizeof head - 1 + name_len + sizeof tail - 1;
    uint8_t *text = (uint8_t *)malloc(n);
    if (!text) return INTEROP_ERROR;
    memcpy(text, head, sizeof head - 1);
    memcpy(text + sizeof head - 1, input + 1, name_len);
    memcpy(text + sizeof head - 1 + name_len, tail, sizeof tail - 1);
    *out = text;
    *out_len = n;
    return INTEROP_OK;
}

static int32_t invoke(void *state, const uint8_t *handler, size_t handler_len,
                      const uint8_t *input, size_t input_len, uint8_t **out, size_t *out_len) {
    (void)state;
    if (handler_len == 5 && memcmp(handler, "greet", 5) == 0) {
        return greet(input, input_len, out, out_len);
    }
    return INTEROP_NOT_FOUND;
}

static void release(void *state, uint8_t *ptr, size_t len) {
    (void)state;
    (void)len;
    free(ptr);
}

static const interop_plugin_t descriptor = {
    .abi_version = INTEROP_ABI_VERSION,
    .size = sizeof(interop_plugin_t),
    .name = "{{name}}", /* the manifest's name: the host checks that they agree */
    .invoke = invoke,
    .free = release,
};

const interop_plugin_t *interop_plugin_entry(void) { return &descriptor; }
