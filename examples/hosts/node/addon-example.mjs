// A Node host loading a wasm plugin (written in Rust) and a Python plugin through the
// native addon `@interop/host` (bindings/node), and calling both.
//
//   cargo xtask node-build            # builds bindings/node/interop_node.node
//   node examples/hosts/node/addon-example.mjs
//
// In an application: `import { loadWasmPlugin, loadPythonPlugin } from '@interop/host'`.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Host, InteropError, closeAll, loadPythonPlugin, loadWasmPlugin } from '../../../bindings/node/index.mjs';

const plugins = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'plugins');

// The two loaders: a .wasm module (its plugin.json says what it may reach) and a Python
// plugin by path.
const rust = await loadWasmPlugin(join(plugins, 'rust-greeter', 'dist', 'greeter.wasm'));
const python = await loadPythonPlugin(join(plugins, 'python-greeter'));

const [fromRust, fromPython] = await Promise.all([
  rust.invoke('greet', 'World'),
  python.invoke('greet', 'World'),
]);
console.log(`wasm (Rust): ${fromRust.text}`);
console.log(`Python:      ${fromPython.text}`);

// A host with bridges configured here: what plugins may reach, and where their trace
// events and logs go. A failure is an InteropError with a kind.
const host = new Host({
  env: ['GREETER_PREFIX'],
  limits: { memoryMb: 32, timeoutMs: 2000 },
  log: ({ plugin, level, message }) => console.log(`[${plugin}] ${level}: ${message}`),
});
const greeter = await host.loadPythonPlugin(join(plugins, 'python-greeter'));
console.log(`Python (own host): ${(await greeter.invoke('farewell', 'World')).text}`);
try {
  await greeter.invoke('no-such-action', null);
} catch (e) {
  if (!(e instanceof InteropError)) throw e;
  console.log(`refused as expected: ${e.kind}`);
}

await host.closeAll();
await closeAll();
