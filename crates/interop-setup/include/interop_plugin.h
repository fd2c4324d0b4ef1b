/*
 * interop native plugin ABI, version 1.
 *
 * A shared library is an interop plugin when it exports
 *
 *     const interop_plugin_t *interop_plugin_entry(void);
 *
 * returning a descriptor that stays valid while the library is loaded. The host checks
 * abi_version and size, calls init() once with the host API table, then calls invoke /
 * get_provider / on_event with the handler's name and the input as JSON, and finally
 * deinit(). See docs/abi.md ("Native libraries") for the full contract.
 *
 * Memory: a buffer returned through `out` by the plugin is released by the host through
 * the plugin's free(); a buffer returned by host->call is released by the plugin through
 * host->free(), once. Strings carry explicit lengths and need no NUL, except `name`.
 *
 * Lengths: the host checks every length the plugin reports (*out_len, a host call's
 * name and arguments, a log line) against the manifest's limits.maxMessageBytes before it
 * reads a byte: longer is a limit_exceeded (message_size) error, never a read. A NULL
 * pointer with a length is an error too.
 *
 * Trust: loaded in-process, the library runs with the host's privileges (a crash is the
 * host's crash). With "isolated": true in the manifest it runs in a child process whose
 * crash, exit or hang is reported as an error of the call.
 *
 * Threads: the host serialises calls into one plugin; host callbacks may be called from
 * any thread while the plugin is loaded.
 */
#ifndef INTEROP_PLUGIN_H
#define INTEROP_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define INTEROP_ABI_VERSION 1u
#define INTEROP_ENTRY_SYMBOL "interop_plugin_entry"

/* Status codes of entry points and host calls. */
#define INTEROP_OK 0            /* out: result JSON (empty means null) */
#define INTEROP_ERROR 1         /* out: PluginError JSON {"kind","message"} or a plain message */
#define INTEROP_NOT_FOUND 2     /* no such handler / host function */
#define INTEROP_INVALID_INPUT 3 /* bad JSON or bad pointers */

/* Log levels of host->log. */
#define INTEROP_LOG_TRACE 0
#define INTEROP_LOG_DEBUG 1
#define INTEROP_LOG_INFO 2
#define INTEROP_LOG_WARN 3
#define INTEROP_LOG_ERROR 4

/* What the host offers: valid from init() until deinit() returns. */
typedef struct interop_host_api {
    uint32_t abi_version; /* INTEROP_ABI_VERSION */
    uint32_t size;        /* sizeof(interop_host_api_t) as the host was built */
    void *ctx;            /* pass back to every callback */
    void (*log)(void *ctx, int32_t level, const uint8_t *msg, size_t len);
    /* Calls a host function by name with JSON arguments:
     *   log {"level","message"}, env.get {"name"}, config.get {"key"}, fs.readFile {"path"[,"encoding"]},
     *   fs.writeFile {"path","content"}, fs.stat, fs.readdir, fs.exists, fs.mkdir, fs.rm
     *   {"path"}, net.fetch {"url","method","headers","body"}, time.now {},
     *   time.sleep {"ms"}, trace {"category","name",...}, and application functions.
     * Every call is checked by the plugin's policy and audited. Returns a status code;
     * *out holds the result (INTEROP_OK) or a PluginError JSON (otherwise), to be
     * released with host->free. */
    int32_t (*call)(void *ctx, const uint8_t *name, size_t name_len, const uint8_t *args,
                    size_t args_len, uint8_t **out, size_t *out_len);
    /* Releases a buffer host->call returned; any other pointer, or a second release, is
     * ignored (and logged). */
    void (*free)(void *ctx, uint8_t *ptr, size_t len);
} interop_host_api_t;

/* An entry point: handler is the manifest's handler (or action/provider name); input is
 * the action's input, {"memory","state"} for providers, or the event's payload. On
 * return *out (allocated by the plugin, released with the descriptor's free) holds the
 * reply: a JSON string becomes the result's text, an object with "success" a full
 * result, anything else its data. */
typedef int32_t (*interop_entry_fn)(void *state, const uint8_t *handler, size_t handler_len,
                                    const uint8_t *input, size_t input_len, uint8_t **out,
                                    size_t *out_len);

typedef struct interop_plugin {
    uint32_t abi_version; /* INTEROP_ABI_VERSION */
    uint32_t size;        /* sizeof(interop_plugin_t) */
    const char *name;     /* must equal the manifest's "name" */
    int32_t (*init)(const interop_host_api_t *host, void **state); /* optional */
    interop_entry_fn invoke;       /* required if the manifest declares actions */
    interop_entry_fn get_provider; /* required if it declares providers */
    interop_entry_fn on_event;     /* required if it declares hooks */
    void (*free)(void *state, uint8_t *ptr, size_t len); /* required */
    void (*deinit)(void *state);                         /* optional */
} interop_plugin_t;

/* The one symbol a plugin exports. */
const interop_plugin_t *interop_plugin_entry(void);

/* Reads the plugin's config value `key` (the manifest's "config" with the host's
 * overrides) through host->call("config.get"). Returns host->call's status; with
 * INTEROP_OK, *out holds the value's JSON ("null" when the config has no such key), to be
 * released with host->free. A key longer than 256 bytes, or holding a quote, a backslash
 * or a control character, is INTEROP_INVALID_INPUT (config keys are plain names). */
static inline int32_t interop_config_get(const interop_host_api_t *host, const char *key,
                                         uint8_t **out, size_t *out_len) {
    static const char head[] = "{\"key\":\"", tail[] = "\"}";
    size_t n = 0;
    while (key[n]) {
        unsigned char c = (unsigned char)key[n++];
        if (n > 256 || c == '"' || c == '\\' || c < 0x20) return INTEROP_INVALID_INPUT;
    }
    uint8_t args[sizeof head + 256 + sizeof tail];
    size_t len = 0;
    for (size_t i = 0; i + 1 < sizeof head; i++) args[len++] = (uint8_t)head[i];
    for (size_t i = 0; i < n; i++) args[len++] = (uint8_t)key[i];
    for (size_t i = 0; i + 1 < sizeof tail; i++) args[len++] = (uint8_t)tail[i];
    return host->call(host->ctx, (const uint8_t *)"config.get", 10, args, len, out, out_len);
}

#ifdef __cplusplus
}
#endif

#endif /* INTEROP_PLUGIN_H */
