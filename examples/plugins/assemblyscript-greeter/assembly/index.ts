// The greeter sample plugin, in AssemblyScript on examples/pdk/assemblyscript/interop.ts:
// two actions, a provider and a hook, using log, env and fs. Its twins in Rust, Go and C
// answer the same.
import {
  abortHandler, endCall, fail, getEnv, info, inputString, outputText, readFile,
} from "../../../pdk/assemblyscript/interop";

/** Routes AssemblyScript's `abort` (a failed assertion, an out-of-bounds access) to the
 * host's log and a trap (`--use abort=assembly/index/abort`). */
function abort(message: string | null, file: string | null, line: u32, column: u32): void {
  abortHandler(message, file, line, column);
}

/** "<verb>, <name>!", with $GREETER_PREFIX and a space before it when asked for. */
function answer(action: string, verb: string, usePrefix: bool): void {
  const name = inputString();
  if (name === null) {
    fail(action + ": expected the name as a JSON string");
    return;
  }
  info(action + " " + name);
  let text = verb + ", " + name + "!";
  if (usePrefix) {
    const prefix = getEnv("GREETER_PREFIX");
    if (prefix !== null && prefix.length > 0) text = prefix + " " + text;
  }
  outputText(text);
}

/** `greet`: "World" -> "Hello, World!", prefixed by $GREETER_PREFIX when granted and set. */
export function greet(): void {
  answer("greet", "Hello", true);
  endCall();
}

/** `farewell`: "World" -> "Goodbye, World!". */
export function farewell(): void {
  answer("farewell", "Goodbye", false);
  endCall();
}

/** Provider `greeting`: the text of data/greeting.txt, read through the host. */
export function greeting(): void {
  const r = readFile("data/greeting.txt");
  if (!r.ok) {
    fail(r.json);
  } else {
    let text = r.json;
    while (text.length > 0 && (text.endsWith("\n") || text.endsWith("\r") || text.endsWith(" "))) {
      text = text.substring(0, text.length - 1);
    }
    outputText(text);
  }
  endCall();
}

/** Hook `config.reload`: logs a line. */
export function on_reload(): void {
  info("greeter: configuration reloaded");
  endCall();
}
