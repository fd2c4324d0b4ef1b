// A client of `interop serve` (docs/serve.md): JSON-RPC 2.0, one JSON value per line,
// over a Unix socket or TCP. Standard library only, Node 20.
//
//   const { InteropClient } = require('./interop_client');
//   const host = await InteropClient.connect('tcp:127.0.0.1:7070', { token });
//   const greeter = await host.load('/path/to/examples/plugins/js-greeter');
//   console.log((await host.invoke(greeter.name, 'greet', 'World')).text);
//   host.close();
//
// Calls may overlap; each promise settles with its own answer. Notifications (plugin log
// lines, reload events) are emitted as 'notification' (method, params).
'use strict';

const net = require('node:net');
const { EventEmitter } = require('node:events');

/** A JSON-RPC error from the server; kind, plugin and data come from its interop error. */
class InteropError extends Error {
  constructor(error) {
    super(`${error.message} (code ${error.code})`);
    this.name = 'InteropError';
    this.code = error.code;
    const detail = error.data && typeof error.data === 'object' ? error.data : {};
    this.kind = detail.kind;
    this.plugin = detail.plugin;
    this.data = detail.data;
    this.detail = detail.message || error.message;
  }
}

class InteropClient extends EventEmitter {
  constructor(socket) {
    super();
    this.socket = socket;
    this.pending = new Map();
    this.nextId = 1;
    this.closed = null;
    this.buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('error', (e) => this.end(`the connection failed: ${e.message}`));
    socket.on('close', () => this.end('the server closed the connection'));
  }

  /**
   * Connects to `unix:PATH` or `tcp:HOST:PORT` (as `interop serve` prints it) and, with a
   * token (default: the environment variable INTEROP_SERVE_TOKEN), authenticates.
   */
  static async connect(address, { token = process.env.INTEROP_SERVE_TOKEN } = {}) {
    const colon = address.indexOf(':');
    const scheme = address.slice(0, colon);
    const rest = address.slice(colon + 1);
    let options;
    if (scheme === 'unix') {
      options = { path: rest };
    } else if (scheme === 'tcp') {
      const at = rest.lastIndexOf(':');
      options = { host: rest.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(rest.slice(at + 1)), noDelay: true };
    } else {
      throw new Error(`address ${JSON.stringify(address)} is neither unix:PATH nor tcp:HOST:PORT`);
    }
    const socket = await new Promise((resolve, reject) => {
      const s = net.createConnection(options, () => resolve(s));
      s.once('error', reject);
    });
    const client = new InteropClient(socket);
    if (token !== undefined) {
      await client.call('auth', { token });
    }
    return client;
  }

  /** Calls `method` with named params; resolves with its result, rejects with InteropError. */
  call(method, params = {}) {
    if (this.closed) {
      return Promise.reject(new Error(this.closed));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
  }

  receive(chunk) {
    this.buffer += chunk;
    let newline;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line) {
        this.dispatch(JSON.parse(line));
      }
    }
  }

  dispatch(message) {
    if (message.method !== undefined) {
      this.emit('notification', message.method, message.params);
      return;
    }
    // An error for no id: the server could not read a request and cannot say which.
    const ids = message.id === null && message.error ? [...this.pending.keys()] : [message.id];
    for (const id of ids) {
      const waiter = this.pending.get(id);
      if (!waiter) continue;
      this.pending.delete(id);
      if (message.error) {
        waiter.reject(new InteropError(message.error));
      } else {
        waiter.resolve(message.result);
      }
    }
  }

  end(reason) {
    if (this.closed) return;
    this.closed = reason;
    for (const waiter of this.pending.values()) {
      waiter.reject(new Error(reason));
    }
    this.pending.clear();
    this.emit('close', reason);
  }

  /** Closes the connection. */
  close() {
    this.socket.end();
  }

  // -- the methods -------------------------------------------------------------------

  /** Loads a plugin (plugin.json or its directory, as the server sees it). */
  load(path) { return this.call('plugin.load', { path }); }
  list() { return this.call('plugin.list'); }
  unload(plugin) { return this.call('plugin.unload', { plugin }); }
  reload(plugin) { return this.call('plugin.reload', { plugin }); }
  /** Runs an action; resolves with its result: {success, text, data, error}. */
  invoke(plugin, action, input = null) { return this.call('action.invoke', { plugin, action, input }); }
  provider(plugin, provider) { return this.call('provider.get', { plugin, provider }); }
  /** Delivers a hook event; resolves with {results: {plugin: value}, errors: {...}}. */
  emitEvent(event, payload = null) { return this.call('hook.emit', { event, payload }); }
  /** Metrics of one plugin, or a list of every plugin's. */
  metrics(plugin) { return this.call('host.metrics', plugin === undefined ? {} : { plugin }); }
  auditTail(limit = 100, plugin) {
    return this.call('audit.tail', plugin === undefined ? { limit } : { limit, plugin });
  }
  /** Stops the server. */
  shutdown() { return this.call('host.shutdown'); }
}

module.exports = { InteropClient, InteropError };
