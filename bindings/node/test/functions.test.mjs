// JavaScript functions as host functions, called by plugins running on other threads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';

import { Host, InteropError, decodeBytes } from '../index.mjs';
import { fixtures } from './helpers.mjs';

const wasmProxy = join(fixtures, 'wasm-proxy');
const pythonProxy = join(fixtures, 'python-proxy');

test('a JS function is a host function a wasm plugin calls', async () => {
  const host = new Host();
  const seen = [];
  host.registerFunction('app.double', (args, plugin) => {
    seen.push(plugin);
    return { doubled: args.n * 2 };
  });
  const proxy = await host.load(wasmProxy);
  const result = await proxy.invoke('double', { n: 21 });
  assert.deepEqual(result.data, { doubled: 42 });
  assert.deepEqual(seen, ['wasm-proxy']);
  await host.closeAll();
});

test('an async JS function is a host function a process plugin calls', async () => {
  const host = new Host();
  host.registerFunction('app.lookup', async ({ key }) => {
    await new Promise((resolve) => setTimeout(resolve, 10));
    return { key, value: key.toUpperCase() };
  });
  const proxy = await host.load(pythonProxy);
  const result = await proxy.invoke('call', { function: 'app.lookup', args: { key: 'abc' } });
  assert.deepEqual(result.data, { key: 'abc', value: 'ABC' });
  await host.closeAll();
});

test('what a host function throws reaches the plugin as an exec error', async () => {
  const host = new Host();
  host.registerFunction('app.fail', () => {
    throw new Error('the database is down');
  });
  const proxy = await host.load(wasmProxy);
  // The wasm proxy hands the host's error back as its failed result: the promise rejects.
  await assert.rejects(proxy.invoke('fail', {}), (e) => {
    assert.equal(e.kind, 'exec');
    assert.match(e.message, /host function `app.fail`: the database is down/);
    return true;
  });
  await host.closeAll();
});

test('a rejected host function promise keeps the kind of an InteropError', async () => {
  const host = new Host();
  host.registerFunction('app.lookup', async () => {
    throw new InteropError('no such customer', { kind: 'not_found', data: { id: 7 } });
  });
  const proxy = await host.load(pythonProxy);
  await assert.rejects(proxy.invoke('call', { function: 'app.lookup', args: {} }), (e) => {
    assert.ok(e instanceof InteropError);
    assert.equal(e.kind, 'not_found');
    assert.equal(e.plugin, 'python-proxy');
    assert.match(e.message, /host function `app.lookup`: no such customer/);
    return true;
  });
  await host.closeAll();
});

test('a function the options do not grant is denied to plugins', async () => {
  const host = new Host({ functions: ['app.allowed'] });
  host.registerFunction('app.double', ({ n }) => n * 2);
  const proxy = await host.load(wasmProxy);
  await assert.rejects(proxy.invoke('double', { n: 1 }), (e) => {
    assert.equal(e.kind, 'denied');
    assert.match(e.message, /not granted/);
    return true;
  });
  await host.closeAll();
});

test('a host function that never answers fails the plugin call at the time limit', async () => {
  const host = new Host({ limits: { timeoutMs: 300 } });
  host.registerFunction('app.double', () => new Promise(() => {}));
  const proxy = await host.load(wasmProxy);
  await assert.rejects(proxy.invoke('double', { n: 1 }), (e) => {
    assert.equal(e.kind, 'limit_exceeded');
    assert.equal(e.data.limit, 'time');
    return true;
  });
  await host.closeAll();
});

test('bytes a host function returns cross as base64 and decode back to a Buffer', async () => {
  const host = new Host();
  host.registerFunction('app.double', () => Buffer.from([0, 1, 2, 255]));
  const proxy = await host.load(wasmProxy);
  const result = await proxy.invoke('double', {});
  assert.deepEqual(decodeBytes(result.text ?? result.data), Buffer.from([0, 1, 2, 255]));
  await host.closeAll();
});

test('a Uint8Array in an action input crosses as base64', async () => {
  const host = new Host();
  const proxy = await host.load(pythonProxy);
  const bytes = new Uint8Array([104, 105]);
  const result = await proxy.invoke('echo', { name: 'x', bytes });
  assert.equal(result.data.name, 'x');
  assert.deepEqual(decodeBytes(result.data.bytes), Buffer.from('hi'));
  await host.closeAll();
});

test('decodeBytes refuses a string that carries no bytes', () => {
  assert.throws(() => decodeBytes('hello'), (e) => e instanceof InteropError && e.kind === 'invalid_input');
});

test('a plugin failure carries the plugin\'s stack', async () => {
  const host = new Host();
  const proxy = await host.load(pythonProxy);
  await assert.rejects(proxy.invoke('crash', 'boom'), (e) => {
    assert.ok(e instanceof InteropError);
    assert.equal(e.kind, 'exec');
    assert.equal(e.plugin, 'python-proxy');
    assert.match(e.pluginStack, /Traceback[\s\S]*ValueError: the plugin broke/);
    return true;
  });
  await host.closeAll();
});
