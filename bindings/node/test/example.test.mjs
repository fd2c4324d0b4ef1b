// The example in examples/hosts/node runs and prints both greetings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { root } from './helpers.mjs';

test('the addon example greets from a wasm plugin and a Python plugin', async () => {
  const example = join(root, 'examples', 'hosts', 'node', 'addon-example.mjs');
  const { stdout } = await promisify(execFile)(process.execPath, [example], { timeout: 60_000 });
  assert.match(stdout, /^wasm \(Rust\): Hello, World!$/m);
  assert.match(stdout, /^Python: +Hello, World!$/m);
  assert.match(stdout, /^\[python-greeter\] info: farewell World$/m);
  assert.match(stdout, /^refused as expected: not_found$/m);
});
