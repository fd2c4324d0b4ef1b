// The greeter sample plugin as a WebAssembly component, in JavaScript: componentize-js
// compiles it with the interop WIT world (wit/plugin.wit) into a component that runs the
// script in its own engine inside wasm, sandboxed like any other wasm plugin. It answers
// like the other greeters: two actions, a provider and a hook, using log, env and fs
// through the host API.
//
// It also has the handlers the tests declare in their own manifests to check that a
// component stays inside its limits and grants (spin, hog, read, fetch); the sample's
// plugin.json does not declare them, so the host never calls them for it.

import { log, envGet, readFile, fetch } from 'interop:plugin/host@0.1.0';

// An `error` record of the WIT world; thrown, it is the handler's `err` result.
function failure(kind, message) {
  return { kind, message };
}

// The name an action was given: its input, a JSON string.
function nameOf(action, input) {
  if (typeof input !== 'string') {
    throw failure('invalid-input', `${action}: expected the name as a JSON string`);
  }
  return input;
}

// A host import's `err` result arrives as an exception carrying it as `payload`.
function host(call) {
  try {
    return call();
  } catch (e) {
    throw e && e.payload ? e.payload : failure('internal', String(e));
  }
}

const handlers = {
  // "World" -> "Hello, World!", prefixed by $GREETER_PREFIX and a space when granted and set.
  greet(input) {
    const name = nameOf('greet', input);
    log('info', `greet ${name}`);
    const greeting = `Hello, ${name}!`;
    const prefix = envGet('GREETER_PREFIX');
    return prefix ? `${prefix} ${greeting}` : greeting;
  },
  // "World" -> "Goodbye, World!".
  farewell(input) {
    const name = nameOf('farewell', input);
    log('info', `farewell ${name}`);
    return `Goodbye, ${name}!`;
  },
  // Provider `greeting`: the text of data/greeting.txt, read through the host.
  greeting() {
    const bytes = host(() => readFile('data/greeting.txt'));
    return new TextDecoder().decode(bytes).trimEnd();
  },
  on_reload() {
    log('info', 'greeter: configuration reloaded');
    return null;
  },
  // Test handler: never returns (the time limit must stop it).
  spin() {
    let n = 0;
    for (;;) {
      n = (n + 1) | 0;
    }
  },
  // Test handler: allocates 1 MiB blocks until allocation fails (the memory limit must
  // stop it).
  hog() {
    const blocks = [];
    for (;;) {
      blocks.push(new Uint8Array(1 << 20).fill(1));
    }
  },
  // Test handler: the text of the file named by the input, read through the host.
  read(input) {
    const bytes = host(() => readFile(nameOf('read', input)));
    return new TextDecoder().decode(bytes);
  },
  // Test handler: the status of a GET of the URL given as input, fetched through the host.
  fetch(input) {
    const request = JSON.stringify({ url: nameOf('fetch', input) });
    return JSON.parse(host(() => fetch(request))).status;
  },
};

export function handle(handler, input) {
  const run = handlers[handler];
  if (!run) {
    throw failure('not-found', `no handler \`${handler}\``);
  }
  let value;
  try {
    value = JSON.parse(input);
  } catch (e) {
    throw failure('parse', `${handler}: input is not JSON: ${e}`);
  }
  const output = run(value);
  return JSON.stringify(output === undefined ? null : output);
}
