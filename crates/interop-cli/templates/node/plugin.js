#!/usr/bin/env node
// {{name}}: an interop plugin for Node.js (no npm packages), over stdin/stdout.
//
// The host speaks JSON-RPC 2.0 to it, one JSON message per line (docs/ipc.md in the
// interop repository); the plugin calls the host back (`host.call`: log, env.get,
// fs.readFile, net.fetch, ...) on the same streams, replies matched by id. Add actions to
// `actions` and declare them in plugin.json.
'use strict';

// The host names the plugin as its manifest does: renaming it there is enough.
const NAME = process.env.INTEROP_PLUGIN || '{{name}}';

const send = (message) => process.stdout.write(JSON.stringify(message) + '\n');

let nextId = 0;
const pending = new Map();
function hostCall(fn, args) {
  const id = `n${++nextId}`;
  send({ jsonrpc: '2.0', id, method: 'host.call', params: { function: fn, args } });
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

const actions = {
  async greet(name) {
    await hostCall('log', { level: 'info', message: `greet ${name}` });
    return `Hello, ${name}!`;
  },
};

async function handle(method, params) {
  switch (method) {
    case 'initialize':
      return { name: NAME, protocolVersion: '1.0' };
    case 'action.invoke': {
      const action = actions[params.handler || params.action];
      if (!action) throw { code: -32601, message: `no action ${params.action}` };
      return { success: true, text: await action(params.input) };
    }
    case 'hook.event':
      return (params.handlers || []).map(() => null);
    case 'shutdown':
      setImmediate(() => process.exit(0));
      return null;
    default:
      throw { code: -32601, message: `no method ${method}` };
  }
}

async function onMessage(message) {
  if (!('method' in message)) {
    // The answer to one of our host calls.
    const call = pending.get(message.id);
    pending.delete(message.id);
    if (call && 'error' in message) call.reject(message.error);
    else if (call) call.resolve(message.result);
    return;
  }
  let response;
  try {
    response = { jsonrpc: '2.0', id: message.id, result: await handle(message.method, message.params || {}) };
  } catch (e) {
    const error = e && e.code !== undefined ? e : { code: -32603, message: String((e && e.stack) || e) };
    response = { jsonrpc: '2.0', id: message.id, error };
  }
  if ('id' in message) send(response);
}

let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let newline;
  while ((newline = buffer.indexOf('\n')) >= 0) {
    const line = buffer.slice(0, newline).trim();
    buffer = buffer.slice(newline + 1);
    if (line) onMessage(JSON.parse(line));
  }
});
process.stdin.on('end', () => process.exit(0));
