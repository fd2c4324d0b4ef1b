// An Extism plugin as the @extism/as-pdk documentation writes one: nothing in it knows
// of interop, which runs it through its `extism:host/env` imports (docs/extism.md).
import { Config, Host, LogLevel, Memory, Var } from "@extism/as-pdk";
// The PDK has no HTTP helper yet: its own declaration of Extism's import is used.
import { http_request, length } from "@extism/as-pdk/lib/env";

function myAbort(
  message: string | null,
  fileName: string | null,
  lineNumber: u32,
  columnNumber: u32
): void {}

// "World" -> "Hello, World!", logging the name it greets.
export function greet(): i32 {
  const name = Host.inputString();
  Host.log(LogLevel.Info, "greeting " + name);
  Host.outputString("Hello, " + name + "!");
  return 0;
}

// Greets the `user` named in the plugin's config.
export function greet_user(): i32 {
  const user = Config.get("user");
  Host.outputString("Hello, " + (user == null ? "stranger" : user) + "!");
  return 0;
}

// Counts its calls in a variable, which lives as long as the plugin is loaded.
export function count(): i32 {
  const stored = Var.getString("count");
  const count = (stored == null ? 0 : I32.parseInt(stored)) + 1;
  Var.set("count", Uint8Array.wrap(String.UTF8.encode(count.toString())));
  Host.outputString(count.toString());
  return 0;
}

// Makes the HTTP request it is given (Extism's HttpRequest JSON) and returns the body.
export function http_get(): i32 {
  const request = Memory.allocateString(Host.inputString());
  const body = http_request(request.offset, 0);
  Host.outputMemory(new Memory(body, length(body)));
  return 0;
}
