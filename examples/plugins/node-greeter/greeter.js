#!/usr/bin/env node
// The greeter sample plugin, in JavaScript for Node.js (no npm packages), over stdio.
//
// It speaks the interop plugin protocol of docs/ipc.md: JSON-RPC 2.0, one JSON message per
// line. The host sends requests on stdin and reads answers on stdout; the plugin calls the
// host back (`host.call`) on the same streams, and may have many calls in flight: replies
// are matched by id. Logs go to stderr (the host forwards them to its log).
'use strict';

const PROTOCOL_VERSION = '1.0';
const NAME = 'node-greeter';

function send(message) {
  process.stdout.write(JSON.stringify(message) + '\n');
}

// --- calling the host ------------------------------------------------------------------
let nextId = 0;
const pending = new Map();

function hostCall(fn, args) {
  const id = `n${++nextId}`;
  send({ jsonrpc: '2.0', id, method: 'host.call', params: { function: fn, args } });
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

const log = (message, level = 'info') => hostCall('log', { level, message });

// --- the plugin's actions, providers and hook handlers ---------------------------------
const actions = {
  async greet(name) {
    await log(`greet ${name}`);
    const greeting = `Hello, ${name}!`;
    // Not granted by the host: greet without a prefix.
    const prefix = await hostCall('env.get', { name: 'GREETER_PREFIX' }).catch(() => null);
    return prefix ? `${prefix} ${greeting}` : greeting;
  },
  async farewell(name) {
    await log(`farewell ${name}`);
    return `Goodbye, ${name}!`;
  },
};
const providers = {
  async greeting() {
    return (await hostCall('fs.readFile', { path: 'data/greeting.txt' })).trimEnd();
  },
};
const hooks = {
  async on_reload() {
    await log('greeter: configuration reloaded');
    return null;
  },
};

class RpcError extends Error {
  constructor(code, message, kind) {
    super(message);
    this.code = code;
    this.kind = kind;
  }
  toJSON() {
    const error = { code: this.code, message: this.message };
    if (this.kind) error.data = { kind: this.kind, message: this.message, plugin: NAME };
    return error;
  }
}

async function handle(method, params) {
  switch (method) {
    case 'initialize':
      return { name: NAME, protocolVersion: PROTOCOL_VERSION };
    case 'action.invoke': {
      const fn = actions[params.handler || params.action];
      if (!fn) throw new RpcError(-32601, `no action ${params.action}`, 'not_found');
      if (typeof params.input !== 'string') {
        return { success: false, text: `${params.action}: expected the name as a JSON string` };
      }
      return { success: true, text: await fn(params.input) };
    }
    case 'provider.get': {
      const fn = providers[params.handler || params.provider];
      if (!fn) throw new RpcError(-32601, `no provider ${params.provider}`, 'not_found');
      return { text: await fn(params) };
    }
    case 'hook.event': {
      const results = [];
      for (const h of params.handlers || []) results.push(hooks[h] ? await hooks[h](params.payload) : null);
      return results;
    }
    case 'shutdown':
      setImmediate(() => process.exit(0));
      return null;
    default:
      throw new RpcError(-32601, `Method not found: ${method}`);
  }
}

// The response to one request, or null for a notification.
async function answer(message) {
  if (message === null || typeof message !== 'object' || Array.isArray(message) ||
      message.jsonrpc !== '2.0' || typeof message.method !== 'string') {
    return { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request' } };
  }
  let response;
  try {
    response = { jsonrpc: '2.0', id: message.id, result: await handle(message.method, message.params || {}) };
  } catch (e) {
    const error = e instanceof RpcError ? e.toJSON()
      : e && e.code !== undefined && e.message ? e // an error the host sent back
      : { code: -32603, message: String(e && e.stack || e) };
    response = { jsonrpc: '2.0', id: message.id, error };
  }
  return 'id' in message ? response : null;
}

async function onMessage(message) {
  if (Array.isArray(message)) {
    if (message.length === 0) {
      send({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request' } });
      return;
    }
    const responses = (await Promise.all(message.map(answer))).filter((r) => r !== null);
    if (responses.length) send(responses);
    return;
  }
  if (message && typeof message === 'object' && !('method' in message)) {
    const call = pending.get(message.id); // a response to one of our host calls
    if (call) {
      pending.delete(message.id);
      if ('error' in message) call.reject(message.error);
      else call.resolve(message.result);
    }
    return;
  }
  const response = await answer(message);
  if (response) send(response);
}

let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let newline;
  while ((newline = buffer.indexOf('\n')) >= 0) {
    const line = buffer.slice(0, newline).trim();
    buffer = buffer.slice(newline + 1);
    if (!line) continue;
    let message;
    try {
      message = JSON.parse(line);
    } catch (e) {
      send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: `Parse error: ${e.message}` } });
      continue;
    }
    onMessage(message);
  }
});
process.stdin.on('end', () => process.exit(0));
