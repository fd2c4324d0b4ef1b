// The bridges configured from JavaScript: network, filesystem, trace and log, limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';

import { Host, InteropError } from '../index.mjs';
import {
  eventually, fixtures, httpServer, plugins, tempDir, wasmProxy,
} from './helpers.mjs';

/** A host granting `network` and a wasm proxy requesting the whole server. */
async function fetcher(t, network) {
  const server = await httpServer(t);
  const host = new Host({
    network: { allowedUrlPrefixes: [`${server.base}/api/`], ...network },
  });
  t.after(() => host.closeAll());
  const manifest = wasmProxy(tempDir(t), {
    permissions: {
      network: {
        allowedUrlPrefixes: [`${server.base}/`, `http://localhost:${server.port}/`],
        allowedMethods: ['GET', 'POST', 'DELETE'],
      },
    },
  });
  const proxy = await host.load(manifest);
  return { server, proxy };
}

function denied(pattern) {
  return (e) => {
    assert.ok(e instanceof InteropError);
    assert.equal(e.kind, 'denied');
    assert.equal(e.plugin, 'wasm-proxy');
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}

test('network: a URL under an allowed prefix is fetched', async (t) => {
  const { server, proxy } = await fetcher(t);
  const { data } = await proxy.invoke('fetch', { url: `${server.base}/api/hello` });
  assert.equal(data.status, 200);
  assert.equal(data.body, 'hello from GET');
  assert.equal(server.hits['/api/hello'], 1);
});

test('network: a look-alike host is denied before any connection', async (t) => {
  const { server, proxy } = await fetcher(t);
  await assert.rejects(
    proxy.invoke('fetch', { url: `http://localhost:${server.port}/api/hello` }),
    denied(),
  );
  await assert.rejects(
    proxy.invoke('fetch', { url: `http://127.0.0.1:${server.port}@localhost:${server.port}/api/hello` }),
    denied(),
  );
  assert.deepEqual(server.hits, {});
});

test('network: a path that only starts like the prefix is denied', async (t) => {
  const { server, proxy } = await fetcher(t);
  await assert.rejects(proxy.invoke('fetch', { url: `${server.base}/api-admin/hello` }), denied());
  await assert.rejects(proxy.invoke('fetch', { url: `${server.base}/api/../secret` }), denied());
  assert.deepEqual(server.hits, {});
});

test('network: a method outside allowedMethods is denied', async (t) => {
  const { server, proxy } = await fetcher(t, { allowedMethods: ['GET'] });
  await assert.rejects(
    proxy.invoke('fetch', { url: `${server.base}/api/hello`, method: 'DELETE' }),
    denied(/DELETE/),
  );
  assert.deepEqual(server.hits, {});
  const { data } = await proxy.invoke('fetch', { url: `${server.base}/api/hello`, method: 'GET' });
  assert.equal(data.status, 200);
});

test('network: a redirect is returned to the plugin, never followed', async (t) => {
  const { server, proxy } = await fetcher(t);
  const { data } = await proxy.invoke('fetch', { url: `${server.base}/api/redirect` });
  assert.equal(data.status, 302);
  assert.equal(data.headers.location, '/secret');
  assert.equal(server.hits['/secret'], undefined);
});

test('network: a response over maxResponseSize is limit_exceeded', async (t) => {
  const { proxy, server } = await fetcher(t, { maxResponseSize: 1024 });
  await assert.rejects(proxy.invoke('fetch', { url: `${server.base}/api/big` }), (e) => {
    assert.equal(e.kind, 'limit_exceeded');
    assert.equal(e.data.limit, 'response_size');
    return true;
  });
});

test('network: without a network option nothing is granted', async (t) => {
  const server = await httpServer(t);
  const host = new Host();
  t.after(() => host.closeAll());
  const manifest = wasmProxy(tempDir(t), {
    permissions: { network: { allowedUrlPrefixes: [`${server.base}/`] } },
  });
  const proxy = await host.load(manifest);
  await assert.rejects(proxy.invoke('fetch', { url: `${server.base}/api/hello` }), denied());
  assert.deepEqual(server.hits, {});
});

/** A host whose fs bridge is `root`, and a wasm proxy requesting read access to `/`. */
async function reader(t, fs) {
  const host = new Host({ fs });
  t.after(() => host.closeAll());
  const manifest = wasmProxy(tempDir(t), {
    permissions: { fs: [{ path: '/', read: true }] },
  });
  return host.load(manifest);
}

test('fs: a file inside the root is read', async (t) => {
  const root = tempDir(t);
  writeFileSync(join(root, 'notes.txt'), 'inside');
  const proxy = await reader(t, { root, readOnly: true });
  const result = await proxy.invoke('read', { path: join(root, 'notes.txt') });
  assert.equal(result.text, 'inside');
});

test('fs: escaping the root with .. is denied', async (t) => {
  const root = tempDir(t);
  mkdirSync(join(root, 'sub'));
  const proxy = await reader(t, { root });
  await assert.rejects(proxy.invoke('read', { path: join(root, 'sub') + '/../../etc/passwd' }), denied());
});

test('fs: an absolute path outside the root is denied', async (t) => {
  const proxy = await reader(t, { root: tempDir(t) });
  await assert.rejects(proxy.invoke('read', { path: '/etc/passwd' }), denied());
});

test('fs: a symlink leading out of the root is denied', async (t) => {
  const root = tempDir(t);
  symlinkSync('/etc/passwd', join(root, 'link'));
  const proxy = await reader(t, { root });
  await assert.rejects(proxy.invoke('read', { path: join(root, 'link') }), denied(/symlink/));
});

test('trace: the callback receives each event with its plugin', async (t) => {
  const events = [];
  const host = new Host({ trace: (event) => events.push(event) });
  t.after(() => host.closeAll());
  const proxy = await host.load(join(fixtures, 'wasm-proxy'));
  await proxy.invoke('trace', { category: 'compute', name: 'resize', durationMs: 12.5, data: { w: 640 } });
  // Trace callbacks are queued onto the event loop: wait for it to run them.
  await eventually(() => events.length > 0);
  assert.deepEqual(events, [
    { plugin: 'wasm-proxy', category: 'compute', name: 'resize', durationMs: 12.5, data: { w: 640 } },
  ]);
});

test('log: the callback receives the lines a plugin logs', async (t) => {
  const records = [];
  const host = new Host({ log: (record) => records.push(record) });
  t.after(() => host.closeAll());
  const greeter = await host.load(join(plugins, 'python-greeter'));
  await greeter.invoke('greet', 'World');
  await eventually(() => records.length > 0);
  assert.deepEqual(records, [{ plugin: 'python-greeter', level: 'info', message: 'greet World' }]);
});

test('env: only the variables the options list reach a plugin', async (t) => {
  process.env.GREETER_PREFIX = 'Dear';
  t.after(() => delete process.env.GREETER_PREFIX);
  const plain = new Host();
  const granted = new Host({ env: ['GREETER_PREFIX'] });
  t.after(() => Promise.all([plain.closeAll(), granted.closeAll()]));
  const a = await plain.load(join(plugins, 'python-greeter'));
  const b = await granted.load(join(plugins, 'python-greeter'));
  assert.equal((await a.invoke('greet', 'World')).text, 'Hello, World!');
  assert.equal((await b.invoke('greet', 'World')).text, 'Dear Hello, World!');
});

test('limits: a plugin that loops is stopped with limit_exceeded (time)', async (t) => {
  const host = new Host({ limits: { timeoutMs: 300 } });
  t.after(() => host.closeAll());
  const proxy = await host.load(join(fixtures, 'wasm-proxy'));
  const started = Date.now();
  await assert.rejects(proxy.invoke('spin'), (e) => {
    assert.ok(e instanceof InteropError);
    assert.equal(e.kind, 'limit_exceeded');
    assert.equal(e.data.limit, 'time');
    assert.equal(e.plugin, 'wasm-proxy');
    return true;
  });
  assert.ok(Date.now() - started < 5000);
  // The plugin still answers after being stopped.
  assert.deepEqual((await proxy.invoke('echo', { ok: 1 })).data, { ok: 1 });
});

test('limits: a plugin that grows its memory is stopped with limit_exceeded (memory)', async (t) => {
  const host = new Host({ limits: { memoryMb: 8 } });
  t.after(() => host.closeAll());
  const proxy = await host.load(join(fixtures, 'wasm-proxy'));
  await assert.rejects(proxy.invoke('bomb'), (e) => {
    assert.equal(e.kind, 'limit_exceeded');
    assert.equal(e.data.limit, 'memory');
    return true;
  });
});

test('the audit trail records the calls the sandbox refused', async (t) => {
  const host = new Host();
  t.after(() => host.closeAll());
  const proxy = await host.load(join(fixtures, 'wasm-proxy'));
  await assert.rejects(proxy.invoke('read', { path: '/etc/passwd' }), denied());
  const refused = host.audit().filter((e) => e.function === 'fs.readFile');
  assert.equal(refused.length, 1);
  assert.equal(refused[0].plugin, 'wasm-proxy');
  assert.match(JSON.stringify(refused[0].outcome), /denied/);
});
