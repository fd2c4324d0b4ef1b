// index.d.ts describes the addon well enough to type-check a TypeScript host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { here } from './helpers.mjs';

test('a TypeScript host type-checks against the generated declarations', async () => {
  const tsc = join(here, '..', 'node_modules', '.bin', 'tsc');
  assert.ok(existsSync(tsc), `${tsc} is missing: \`cargo xtask node-test\` installs it (npm ci)`);
  const run = promisify(execFile)(tsc, ['-p', join(here, 'types')]);
  await assert.doesNotReject(run, 'tsc found type errors');
});
