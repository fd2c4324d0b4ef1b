// The loaders: wasm and Python plugins by file, directory, manifest or name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';

import {
  Host, InteropError, loadWasmPlugin, loadPythonPlugin, loadPlugin,
} from '../index.mjs';
import { plugins, fixtures, tempDir } from './helpers.mjs';

const wasmFile = join(plugins, 'rust-greeter', 'dist', 'greeter.wasm');

test('loadWasmPlugin loads the Rust greeter from its .wasm file and greets', async () => {
  const greeter = await loadWasmPlugin(wasmFile);
  assert.equal(greeter.name, 'rust-greeter');
  const result = await greeter.invoke('greet', 'World');
  assert.deepEqual(result.text, 'Hello, World!');
  assert.equal(result.success, true);
  await greeter.unload();
});

test('invokeJson takes the input as JSON text, checked like any input', async () => {
  const greeter = await loadWasmPlugin(wasmFile);
  const result = await greeter.invokeJson('greet', '"World"');
  assert.equal(result.text, 'Hello, World!');
  assert.equal(result.dataJson, undefined);
  await assert.rejects(greeter.invokeJson('greet', '42'), (e) => {
    assert.ok(e instanceof InteropError);
    assert.equal(e.kind, 'invalid_input');
    assert.match(e.message, /does not match its inputSchema/);
    return true;
  });
  // Text that is not JSON is refused before the call, as `invoke` refuses an input it
  // cannot convert: the method throws.
  assert.throws(() => greeter.invokeJson('greet', '{"unclosed": '), (e) => {
    assert.ok(e instanceof InteropError);
    assert.equal(e.kind, 'invalid_input');
    assert.equal(e.plugin, 'rust-greeter');
    assert.match(e.message, /not JSON text/);
    return true;
  });
  await greeter.unload();
});

test('loadPythonPlugin loads the Python greeter from its directory and greets', async () => {
  const greeter = await loadPythonPlugin(join(plugins, 'python-greeter'));
  const result = await greeter.invoke('farewell', 'World');
  assert.equal(result.text, 'Goodbye, World!');
  await greeter.unload();
});

test('loadPythonPlugin finds a plugin by its name, with underscores for dashes', async () => {
  const host = new Host({ pluginDirs: [plugins] });
  const greeter = await host.loadPythonPlugin('python_greeter');
  assert.equal(greeter.name, 'python-greeter');
  assert.equal((await greeter.invoke('greet', 'Ada')).text, 'Hello, Ada!');
  await host.closeAll();
});

test('loadPythonPlugin accepts the script itself', async () => {
  const host = new Host();
  const greeter = await host.loadPythonPlugin(join(plugins, 'python-greeter', 'greeter.py'));
  assert.equal(greeter.name, 'python-greeter');
  await host.closeAll();
});

test('a wasm plugin can be loaded by its directory and by its manifest', async () => {
  const host = new Host();
  const byDir = await host.loadWasmPlugin(join(plugins, 'rust-greeter'));
  await byDir.unload();
  const byManifest = await host.loadWasmPlugin(join(plugins, 'rust-greeter', 'plugin.json'));
  assert.equal((await byManifest.invoke('farewell', 'Bob')).text, 'Goodbye, Bob!');
  await host.closeAll();
});

test('loadPythonPlugin refuses a wasm plugin, naming the loader to use', async () => {
  const host = new Host();
  await assert.rejects(host.loadPythonPlugin(join(plugins, 'rust-greeter')), (e) => {
    assert.ok(e instanceof InteropError);
    assert.equal(e.kind, 'invalid_input');
    assert.equal(e.plugin, 'rust-greeter');
    assert.match(e.message, /not Python \(use loadPlugin\)/);
    return true;
  });
});

test('loadWasmPlugin refuses a Python plugin', async () => {
  const host = new Host();
  await assert.rejects(host.loadWasmPlugin(join(plugins, 'python-greeter')), (e) => {
    assert.equal(e.kind, 'invalid_input');
    assert.match(e.message, /`subprocess` plugin, not a wasm plugin/);
    return true;
  });
});

test('a path that does not exist rejects with kind not_found', async () => {
  await assert.rejects(loadPlugin('/no/such/plugin.json'), (e) => {
    assert.ok(e instanceof InteropError);
    assert.ok(e instanceof Error);
    assert.equal(e.kind, 'not_found');
    assert.match(e.message, /\/no\/such\/plugin.json/);
    return true;
  });
});

test('a Python plugin name found nowhere rejects naming where it looked', async (t) => {
  const host = new Host({ pluginDirs: [tempDir(t)] });
  await assert.rejects(host.loadPythonPlugin('nobody_here'), (e) => {
    assert.equal(e.kind, 'not_found');
    assert.match(e.message, /no plugin named `nobody_here` in /);
    return true;
  });
});

test('a wasm file no manifest describes is refused, naming the file', async (t) => {
  const dir = tempDir(t);
  const lonely = join(dir, 'lonely.wat');
  writeFileSync(lonely, '(module)');
  await assert.rejects(loadWasmPlugin(lonely), (e) => {
    assert.equal(e.kind, 'not_found');
    assert.match(e.message, /lonely\.wat`: no plugin.json describes it/);
    return true;
  });
});

test('a manifest that is not JSON rejects with kind parse, naming the line', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'broken'));
  writeFileSync(join(dir, 'broken', 'plugin.json'), '{ "name": "broken",\n  oops }');
  await assert.rejects(loadPlugin(join(dir, 'broken')), (e) => {
    assert.equal(e.kind, 'parse');
    assert.match(e.message, /broken\/plugin.json/);
    return true;
  });
});

test('an invalid manifest rejects with kind invalid_input naming the field', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'bad'));
  writeFileSync(join(dir, 'bad', 'plugin.json'), JSON.stringify({ name: 'bad', version: '1' }));
  await assert.rejects(loadPlugin(join(dir, 'bad')), (e) => {
    assert.equal(e.kind, 'invalid_input');
    assert.match(e.message, /interop/);
    return true;
  });
});

test('loadPlugin loads any protocol, and providers answer', async () => {
  const host = new Host();
  const greeter = await host.loadPlugin(join(plugins, 'python-greeter', 'plugin.json'));
  const provided = await greeter.provider('greeting');
  assert.equal(typeof provided.text, 'string');
  assert.ok(provided.text.length > 0);
  await host.closeAll();
});

test('a plugin shows its manifest, and the host lists what it loaded', async () => {
  const host = new Host();
  const greeter = await host.load(join(plugins, 'rust-greeter'));
  assert.deepEqual(greeter.manifest.actions.map((a) => a.name), ['greet', 'farewell']);
  assert.deepEqual(host.plugins(), ['rust-greeter']);
  assert.equal(host.get('rust-greeter').name, 'rust-greeter');
  await host.closeAll();
  assert.deepEqual(host.plugins(), []);
});

test('loading a second plugin of the same name is refused', async () => {
  const host = new Host();
  await host.load(join(plugins, 'rust-greeter'));
  await assert.rejects(host.load(join(plugins, 'rust-greeter')), (e) => {
    assert.equal(e.kind, 'invalid_input');
    assert.match(e.message, /already loaded/);
    return true;
  });
  await host.closeAll();
});

test('an unloaded plugin cannot be called any more', async () => {
  const host = new Host();
  const greeter = await host.load(join(plugins, 'rust-greeter'));
  await host.unload('rust-greeter');
  await assert.rejects(greeter.invoke('greet', 'World'), (e) => {
    assert.equal(e.kind, 'not_found');
    assert.equal(e.plugin, 'rust-greeter');
    return true;
  });
});

test('an undeclared action is refused with kind not_found', async () => {
  const host = new Host();
  const greeter = await host.load(join(plugins, 'rust-greeter'));
  await assert.rejects(greeter.invoke('dance', 'World'), (e) => {
    assert.equal(e.kind, 'not_found');
    return true;
  });
  await host.closeAll();
});

test('input that breaks the action\'s inputSchema rejects with invalid_input', async () => {
  const host = new Host();
  const greeter = await host.load(join(plugins, 'rust-greeter'));
  await assert.rejects(greeter.invoke('greet', { not: 'a string' }), (e) => {
    assert.equal(e.kind, 'invalid_input');
    return true;
  });
  await host.closeAll();
});

test('emit reaches every plugin with a hook for the event, by name', async () => {
  const host = new Host();
  await host.load(join(plugins, 'rust-greeter'));
  await host.load(join(plugins, 'python-greeter'));
  await host.load(join(fixtures, 'python-proxy'));
  const { results, errors } = await host.emit('config.reload', { reason: 'test' });
  assert.deepEqual(Object.keys(results).sort(), ['python-greeter', 'rust-greeter']);
  assert.deepEqual(errors, {});
  await host.closeAll();
});

test('bad options are refused at construction with an InteropError', () => {
  assert.throws(() => new Host({ network: { allowedUrlPrefixes: ['not a url'] } }), (e) => {
    assert.ok(e instanceof InteropError);
    assert.equal(e.kind, 'invalid_input');
    assert.match(e.message, /network.allowedUrlPrefixes: `not a url`/);
    return true;
  });
});
