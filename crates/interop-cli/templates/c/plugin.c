/* {{name}}: an interop plugin in C, compiled to wasm32-wasi, on the guest helper
 * include/interop.h.
 *
 * Each handler named in plugin.json is an exported function with no parameters
 * (INTEROP_EXPORT): it reads its input and sets its result. Strings the helpers return
 * are malloc'ed and owned by the caller. */
#include <stdio.h>

#include "interop.h"

INTEROP_EXPORT(greet) void greet(void) {
    char *name = interop_input_string();
    if (!name) {
        interop_error("greet: expected the name as a JSON string");
        return;
    }
    size_t n = strlen(name) + 16;
    char *text = (char *)malloc(n);
    if (!text) {
        interop_error("out of memory");
    } else {
        snprintf(text, n, "Hello, %s!", name);
        interop_log_info(text);
        interop_output_text(text);
    }
    free(text);
    free(name);
}
