/*
 * A native plugin that misbehaves on purpose, to show isolated mode (`"isolated": true`):
 * the crash takes down the child process that serves the plugin, the host reports an
 * error and keeps serving.
 *
 *   action ok     -> "still alive"
 *   action crash  -> writes through a null pointer (SIGSEGV)
 *   action abort  -> abort() (SIGABRT)
 *   action hang   -> loops forever (stopped by the call's time limit, limits.timeoutMs)
 *
 * Built by `cargo xtask build-plugins` into build/libnative_segfault.so.
 */
#include <stdlib.h>
#include <string.h>

#include "interop_plugin.h"

static int32_t reply(const char *json, uint8_t **out, size_t *out_len) {
    size_t n = strlen(json);
    uint8_t *p = malloc(n);
    if (!p) return INTEROP_ERROR;
    memcpy(p, json, n);
    *out = p;
    *out_len = n;
    return INTEROP_OK;
}

static int is(const uint8_t *h, size_t n, const char *name) {
    return n == strlen(name) && memcmp(h, name, n) == 0;
}

static int32_t segfault_invoke(void *state, const uint8_t *handler, size_t handler_len,
                               const uint8_t *input, size_t input_len, uint8_t **out,
                               size_t *out_len) {
    (void)state;
    (void)input;
    (void)input_len;
    if (is(handler, handler_len, "ok")) return reply("\"still alive\"", out, out_len);
    if (is(handler, handler_len, "crash")) {
        volatile int *null = NULL;
        *null = 42;
        return INTEROP_ERROR;
    }
    if (is(handler, handler_len, "abort")) abort();
    if (is(handler, handler_len, "hang")) {
        for (volatile unsigned long spin = 0;; spin++) {
        }
    }
    return INTEROP_NOT_FOUND;
}

static void segfault_free(void *state, uint8_t *ptr, size_t len) {
    (void)state;
    (void)len;
    free(ptr);
}

static const interop_plugin_t descriptor = {
    .abi_version = INTEROP_ABI_VERSION,
    .size = sizeof(interop_plugin_t),
    .name = "native-segfault",
    .invoke = segfault_invoke,
    .free = segfault_free,
};

const interop_plugin_t *interop_plugin_entry(void) { return &descriptor; }
