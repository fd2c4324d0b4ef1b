/* The greeter sample plugin, in C on examples/pdk/c/interop.h: two actions, a provider
 * and a hook, using log, env and fs. Its twins in Rust, Go and AssemblyScript answer
 * the same. */
#include <stdio.h>

#include "interop.h"

/* "<prefix> <verb>, <name>!" (no prefix when `prefix` is NULL or empty). */
static void answer(const char *action, const char *verb, int use_prefix) {
    char *name = interop_input_string();
    if (!name) {
        char msg[96];
        snprintf(msg, sizeof msg, "%s: expected the name as a JSON string", action);
        interop_error(msg);
        return;
    }
    size_t n = strlen(name) + 64;
    char *line = (char *)malloc(n);
    char *prefix = use_prefix ? interop_get_env("GREETER_PREFIX") : NULL;
    char *text = (char *)malloc(n + (prefix ? strlen(prefix) : 0));
    if (!line || !text) {
        interop_error("out of memory");
    } else {
        snprintf(line, n, "%s %s", action, name);
        interop_log_info(line);
        if (prefix && *prefix) {
            sprintf(text, "%s %s, %s!", prefix, verb, name);
        } else {
            sprintf(text, "%s, %s!", verb, name);
        }
        interop_output_text(text);
    }
    free(text);
    free(prefix);
    free(line);
    free(name);
}

/* `greet`: "World" -> "Hello, World!", prefixed by $GREETER_PREFIX when granted and set. */
INTEROP_EXPORT(greet) void greet(void) { answer("greet", "Hello", 1); }

/* `farewell`: "World" -> "Goodbye, World!". */
INTEROP_EXPORT(farewell) void farewell(void) { answer("farewell", "Goodbye", 0); }

/* Provider `greeting`: the text of data/greeting.txt, read through the host. */
INTEROP_EXPORT(greeting) void greeting(void) {
    char *error = NULL;
    char *text = interop_read_file("data/greeting.txt", &error);
    if (!text) {
        interop_error(error ? error : "cannot read data/greeting.txt");
        free(error);
        return;
    }
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' ')) {
        text[--n] = '\0';
    }
    interop_output_text(text);
    free(text);
}

/* Hook `config.reload`: logs a line. */
INTEROP_EXPORT(on_reload) void on_reload(void) {
    interop_log_info("greeter: configuration reloaded");
}
