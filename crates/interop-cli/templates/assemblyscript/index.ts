// {{name}}: an interop plugin in AssemblyScript, on the guest helper in ./interop.ts.
//
// Each handler named in plugin.json is an exported function with no parameters: it reads
// its input, sets its result, and ends with endCall() (the stub runtime frees nothing:
// endCall resets the heap for the next call).
import { abortHandler, endCall, fail, info, inputString, outputText } from "./interop";

/** AssemblyScript's `abort` (a failed assertion, say) goes to the host's log and traps. */
function abort(message: string | null, file: string | null, line: u32, column: u32): void {
  abortHandler(message, file, line, column);
}

export function greet(): void {
  const name = inputString();
  if (name === null) {
    fail("greet: expected the name as a JSON string");
  } else {
    info("greet " + name);
    outputText("Hello, " + name + "!");
  }
  endCall();
}
