// {{name}}: an interop plugin in JavaScript, built by componentize-js into a WebAssembly
// component (its own JS engine inside) of the interop WIT world in wit/plugin.wit.
//
// The host calls `handle` with the name of the handler plugin.json declares and its
// input as JSON text; the output goes back as JSON text, a thrown `{ kind, message }`
// fails the call. The host API (log, envGet, readFile, fetch, ...) is imported from
// 'interop:plugin/host@0.1.0'.

import { log } from 'interop:plugin/host@0.1.0';

const handlers = {
  // "World" -> "Hello, World!".
  greet(name) {
    if (typeof name !== 'string') {
      throw { kind: 'invalid-input', message: 'greet: expected the name as a JSON string' };
    }
    log('info', `greet ${name}`);
    return `Hello, ${name}!`;
  },
};

export function handle(handler, input) {
  const run = handlers[handler];
  if (!run) {
    throw { kind: 'not-found', message: `no handler \`${handler}\`` };
  }
  let value;
  try {
    value = JSON.parse(input);
  } catch (e) {
    throw { kind: 'parse', message: `${handler}: input is not JSON: ${e}` };
  }
  return JSON.stringify(run(value));
}
