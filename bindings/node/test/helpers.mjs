// Shared by the tests: where things are, a local HTTP server, and test plugins written
// into a temporary directory (their manifests name the server's port).
import { createServer } from 'node:http';
import { cpSync, mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..', '..', '..');
export const plugins = join(root, 'examples', 'plugins');
export const fixtures = join(here, 'fixtures');

/** A fresh temporary directory, removed by `cleanup`. */
export function tempDir(t) {
  const dir = mkdtempSync(join(tmpdir(), 'interop-node-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * The wasm proxy test plugin, copied into `dir` under `name`, its manifest requesting
 * `permissions` (and `limits`) instead of the fixture's.
 */
export function wasmProxy(dir, { name = 'wasm-proxy', permissions, limits } = {}) {
  const pluginDir = join(dir, name);
  cpSync(join(fixtures, 'wasm-proxy'), pluginDir, { recursive: true });
  const manifestPath = join(pluginDir, 'plugin.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  manifest.name = name;
  if (permissions) manifest.permissions = permissions;
  if (limits) manifest.limits = limits;
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  return manifestPath;
}

/** Waits (up to 5 s) until `check()` is true: for callbacks queued onto the event loop. */
export async function eventually(check) {
  for (let waited = 0; !check(); waited += 10) {
    if (waited >= 5000) throw new Error(`still not true after 5 s: ${check}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * An HTTP server on 127.0.0.1 with a few routes; `hits` counts requests by path.
 * Closed when the test ends.
 */
export async function httpServer(t) {
  const hits = {};
  const server = createServer((req, res) => {
    const path = req.url;
    hits[path] = (hits[path] ?? 0) + 1;
    if (path === '/api/hello') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`hello from ${req.method}`);
    } else if (path === '/api/redirect') {
      res.writeHead(302, { location: '/secret' });
      res.end();
    } else if (path === '/api/big') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('x'.repeat(64 * 1024));
    } else {
      res.writeHead(404);
      res.end('not here');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address();
  return { port, base: `http://127.0.0.1:${port}`, hits };
}
