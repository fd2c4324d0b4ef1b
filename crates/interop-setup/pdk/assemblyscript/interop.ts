// interop.ts: the interop wasm guest ABI for AssemblyScript (docs/abi.md,
// docs/guests.md): logging, granted environment variables, the call's input and
// result, and host calls (filesystem, HTTP fetch, time, trace, application functions).
//
// Build with the AssemblyScript compiler (npm `assemblyscript`, 0.28):
//
//   asc assembly/index.ts --outFile dist/plugin.wasm --runtime stub \
//       --use abort=assembly/index/abort --optimize
//
// A handler is an exported function with no parameters and no result:
//
//   export function greet(): void {
//     const name = inputString();
//     if (name === null) { fail("greet: expected a JSON string"); return; }
//     outputText("Hello, " + name + "!");
//     endCall();
//   }
//
// With `--runtime stub` nothing is ever freed: call endCall() when a handler is done so
// the next call reuses the memory (see endCall).

@external("env", "ft_log")
declare function ft_log(level: i32, ptr: usize, len: u32): void;
@external("env", "ft_get_env")
declare function ft_get_env(keyPtr: usize, keyLen: u32): i32;
@external("env", "ft_config_get")
declare function ft_config_get(keyPtr: usize, keyLen: u32): i32;
@external("env", "ft_return_buffer_read")
declare function ft_return_buffer_read(outPtr: usize, outLen: u32): i32;
@external("env", "ft_return_buffer_len")
declare function ft_return_buffer_len(): i32;
@external("env", "ft_input")
declare function ft_input(): i32;
@external("env", "ft_output")
declare function ft_output(ptr: usize, len: u32): void;
@external("env", "ft_error")
declare function ft_error(ptr: usize, len: u32): void;
@external("env", "ft_host_call")
declare function ft_host_call(namePtr: usize, nameLen: u32, argsPtr: usize, argsLen: u32): i32;
@external("env", "ft_now_ms")
declare function ft_now_ms(): i64;
@external("env", "ft_sleep_ms")
declare function ft_sleep_ms(ms: i64): i32;

/** Log levels, numbered as the ABI numbers them. */
export const TRACE: i32 = 0;
export const DEBUG: i32 = 1;
export const INFO: i32 = 2;
export const WARN: i32 = 3;
export const ERROR: i32 = 4;

/** The UTF-8 bytes of `s`. */
function utf8(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

/** `len` bytes of the host's return buffer, as UTF-8 text. */
function takeReturnBuffer(len: i32): string {
  if (len <= 0) return "";
  const buf = new ArrayBuffer(len);
  const copied = ft_return_buffer_read(changetype<usize>(buf), <u32>len);
  return String.UTF8.decodeUnsafe(changetype<usize>(buf), <usize>(copied < 0 ? 0 : copied));
}

/** Logs `msg` at `level` (TRACE..ERROR). */
export function log(level: i32, msg: string): void {
  const b = utf8(msg);
  ft_log(level, changetype<usize>(b), <u32>b.byteLength);
}
/** Logs at debug level. */
export function debug(msg: string): void { log(DEBUG, msg); }
/** Logs at info level. */
export function info(msg: string): void { log(INFO, msg); }
/** Logs at warn level. */
export function warn(msg: string): void { log(WARN, msg); }
/** Logs at error level (the call goes on: to fail it, use fail). */
export function logError(msg: string): void { log(ERROR, msg); }

/** The environment variable `name` if permissions.env grants it and it is set, else null. */
export function getEnv(name: string): string | null {
  const b = utf8(name);
  const len = ft_get_env(changetype<usize>(b), <u32>b.byteLength);
  if (len < 0) return null;
  return takeReturnBuffer(len);
}

/** The JSON text of the plugin's config value `key` (manifest config with the host's overrides), or null if it has none. */
export function config(key: string): string | null {
  const b = utf8(key);
  const len = ft_config_get(changetype<usize>(b), <u32>b.byteLength);
  if (len < 0) return null;
  return takeReturnBuffer(len);
}

/** The call's input as JSON text (action input, provider request, hook payload). */
export function input(): string {
  return takeReturnBuffer(ft_input());
}

/** The call's input when it is a JSON string such as "World", else null. */
export function inputString(): string | null {
  return jsonUnquote(input());
}

/** Sets the call's result from JSON text (a string is the result's text). */
export function outputJson(json: string): void {
  const b = utf8(json);
  ft_output(changetype<usize>(b), <u32>b.byteLength);
}

/** Sets the call's result to the text `text`. */
export function outputText(text: string): void {
  outputJson(jsonQuote(text));
}

/** Fails the call with `message` (the caller gets an "exec" error). */
export function fail(message: string): void {
  const b = utf8(message);
  ft_error(changetype<usize>(b), <u32>b.byteLength);
}

/**
 * Frees everything allocated since the module started (`--runtime stub` frees nothing
 * on its own). Call it last in a handler, and only if the plugin keeps no objects it
 * allocated during a call (in globals) for later calls.
 */
export function endCall(): void {
  heap.reset();
}

/** The result of a host call: `ok` and the result's JSON, or the error's JSON. */
export class HostResult {
  constructor(public ok: bool, public json: string) {}
}

/** Calls the host function `name` (fs.readFile, net.fetch, time.now, trace, or an
 * application function; see docs/host-api.md) with JSON arguments. */
export function hostCall(name: string, argsJson: string): HostResult {
  const n = utf8(name);
  const a = utf8(argsJson);
  const code = ft_host_call(changetype<usize>(n), <u32>n.byteLength, changetype<usize>(a), <u32>a.byteLength);
  if (code < 0) return new HostResult(false, takeReturnBuffer(ft_return_buffer_len()));
  return new HostResult(true, takeReturnBuffer(code));
}

/** Reads the UTF-8 text file `path` (relative to the plugin directory, under a root
 * granted by permissions.fs). On failure `ok` is false and `json` is the host's error. */
export function readFile(path: string): HostResult {
  const r = hostCall("fs.readFile", '{"path":' + jsonQuote(path) + "}");
  if (!r.ok) return r;
  const text = jsonUnquote(r.json);
  if (text === null) return new HostResult(false, '{"kind":"internal","message":"fs.readFile: unexpected result"}');
  return new HostResult(true, text);
}

/** Writes `content` to the file `path`. */
export function writeFile(path: string, content: string): HostResult {
  return hostCall("fs.writeFile", '{"path":' + jsonQuote(path) + ',"content":' + jsonQuote(content) + "}");
}

/** GETs `url` through the host; the result's JSON is `{"status", "headers", "body"}`. */
export function fetchGet(url: string): HostResult {
  return hostCall("net.fetch", '{"url":' + jsonQuote(url) + ',"method":"GET"}');
}

/** Milliseconds since the Unix epoch. */
export function nowMs(): i64 {
  return ft_now_ms();
}

/** Sleeps `ms` milliseconds; false (without sleeping) if longer than the call's time limit. */
export function sleepMs(ms: i64): bool {
  return ft_sleep_ms(ms) == 0;
}

const HEX = "0123456789abcdef";

/** `s` as a JSON string literal, quotes included. */
export function jsonQuote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out += '\\"';
    else if (c == 0x5c) out += "\\\\";
    else if (c == 0x0a) out += "\\n";
    else if (c == 0x0d) out += "\\r";
    else if (c == 0x09) out += "\\t";
    else if (c < 0x20) out += "\\u00" + HEX.charAt(c >> 4) + HEX.charAt(c & 15);
    else out += String.fromCharCode(c);
  }
  return out + '"';
}

function hexDigit(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

function isSpace(c: i32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d;
}

/** The text of `json` when it is exactly one JSON string (whitespace around it
 * allowed), else null. */
export function jsonUnquote(json: string): string | null {
  let i = 0;
  const n = json.length;
  while (i < n && isSpace(json.charCodeAt(i))) i++;
  if (i >= n || json.charCodeAt(i) != 0x22) return null;
  i++;
  let out = "";
  let closed = false;
  while (i < n) {
    const c = json.charCodeAt(i++);
    if (c == 0x22) { closed = true; break; }
    if (c < 0x20) return null;
    if (c != 0x5c) { out += String.fromCharCode(c); continue; }
    if (i >= n) return null;
    const e = json.charCodeAt(i++);
    if (e == 0x22) out += '"';
    else if (e == 0x5c) out += "\\";
    else if (e == 0x2f) out += "/";
    else if (e == 0x62) out += "\b";
    else if (e == 0x66) out += "\f";
    else if (e == 0x6e) out += "\n";
    else if (e == 0x72) out += "\r";
    else if (e == 0x74) out += "\t";
    else if (e == 0x75) {
      if (i + 4 > n) return null;
      let v = 0;
      for (let k = 0; k < 4; k++) {
        const d = hexDigit(json.charCodeAt(i + k));
        if (d < 0) return null;
        v = (v << 4) | d;
      }
      i += 4;
      out += String.fromCharCode(v); // UTF-16 code unit: surrogate pairs pass through
    } else return null;
  }
  if (!closed) return null;
  while (i < n && isSpace(json.charCodeAt(i))) i++;
  return i == n ? out : null;
}

/** Handler for `--use abort=...`: logs the failure through the host and traps. */
export function abortHandler(message: string | null, file: string | null, line: u32, column: u32): void {
  logError("abort: " + (message !== null ? message : "") + " at " + (file !== null ? file : "?") + ":" + line.toString() + ":" + column.toString());
  unreachable();
}
