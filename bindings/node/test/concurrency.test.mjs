// Calls run on the host's thread pool: many at once, and never on Node's event loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';

import { Host } from '../index.mjs';
import { fixtures, plugins } from './helpers.mjs';

test('1,000 concurrent invokes resolve, each with its own result', async (t) => {
  const host = new Host();
  t.after(() => host.closeAll());
  const proxy = await host.load(join(fixtures, 'wasm-proxy'));
  const results = await Promise.all(
    Array.from({ length: 1000 }, (_, i) => proxy.invoke('echo', { i })),
  );
  results.forEach((result, i) => assert.deepEqual(result.data, { i }));
});

test('1,000 concurrent invokes of a Python plugin resolve with matching greetings', async (t) => {
  const host = new Host();
  t.after(() => host.closeAll());
  const greeter = await host.load(join(plugins, 'python-greeter'));
  const results = await Promise.all(
    Array.from({ length: 1000 }, (_, i) => greeter.invoke('greet', `n${i}`)),
  );
  results.forEach((result, i) => assert.equal(result.text, `Hello, n${i}!`));
});

test('a long call does not block the event loop', async (t) => {
  const host = new Host({ limits: { timeoutMs: 500 } });
  t.after(() => host.closeAll());
  const proxy = await host.load(join(fixtures, 'wasm-proxy'));
  let ticks = 0;
  const timer = setInterval(() => { ticks += 1; }, 10);
  await assert.rejects(proxy.invoke('spin'));
  clearInterval(timer);
  assert.ok(ticks >= 10, `the event loop ran ${ticks} timers during a 500 ms call`);
});

test('calls of two plugins in one host run side by side', async (t) => {
  const host = new Host({ limits: { timeoutMs: 400 } });
  t.after(() => host.closeAll());
  const proxy = await host.load(join(fixtures, 'wasm-proxy'));
  const greeter = await host.load(join(plugins, 'rust-greeter'));
  const spinning = assert.rejects(proxy.invoke('spin'));
  const started = Date.now();
  assert.equal((await greeter.invoke('greet', 'World')).text, 'Hello, World!');
  assert.ok(Date.now() - started < 300, 'the greeter waited for the spinning plugin');
  await spinning;
});
