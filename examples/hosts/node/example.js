// Loads plugins into an `interop serve` server, greets through each (concurrently), and
// prints their metrics and log lines.
//
//   INTEROP_SERVE_TOKEN=secret interop serve --tcp 127.0.0.1:7070 &
//   INTEROP_SERVE_TOKEN=secret node examples/hosts/node/example.js tcp:127.0.0.1:7070 \
//       examples/plugins/rust-greeter examples/plugins/js-greeter
//
// Plugin paths are made absolute here: the server resolves relative ones against its own
// working directory.
'use strict';

const path = require('node:path');
const { InteropClient, InteropError } = require('./interop_client');

async function main(address, plugins) {
  const host = await InteropClient.connect(address);
  const logs = [];
  host.on('notification', (method, params) => {
    if (method === 'plugin.log') logs.push(params);
  });
  try {
    const names = [];
    for (const p of plugins) {
      const plugin = await host.load(path.resolve(p));
      const actions = plugin.actions.map((a) => a.name).join(', ');
      console.log(`loaded ${plugin.name} ${plugin.version} (${plugin.protocol}): ${actions}`);
      names.push(plugin.name);
    }
    const results = await Promise.all(names.map((name) => host.invoke(name, 'greet', 'World')));
    names.forEach((name, i) => console.log(`${name} greet -> ${results[i].text}`));
    try {
      await host.invoke(names[0], 'greet', 42);
    } catch (e) {
      if (!(e instanceof InteropError)) throw e;
      console.log(`${names[0]} greet 42 -> error ${e.code} ${e.kind}: ${e.detail}`);
    }
    for (const m of await host.metrics()) {
      const errors = Object.values(m.errors).reduce((a, b) => a + b, 0);
      console.log(`metrics ${m.plugin}: calls=${m.calls} errors=${errors} p50_us=${m.latency && m.latency.p50Us}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200)); // the last log notifications
    for (const l of logs) console.log(`log ${l.plugin} ${l.level}: ${l.message}`);
  } finally {
    host.close();
  }
}

const [address, ...plugins] = process.argv.slice(2);
if (!address || plugins.length === 0) {
  console.error('usage: example.js ADDRESS PLUGIN...');
  process.exit(2);
}
main(address, plugins).catch((e) => {
  console.error(`error: ${e.message}`);
  process.exit(1);
});
