// Type-checked by the tests (tsc --noEmit): a TypeScript host written against index.d.ts,
// as docs/node.md shows it. It is compiled, not run.
import {
  Host, InteropError, loadPythonPlugin, loadWasmPlugin, decodeBytes,
  type ActionOutcome, type InteropErrorKind, type TraceEvent,
} from '../../index.js';

export async function main(): Promise<string[]> {
  const rust = await loadWasmPlugin('./plugins/rust-greeter/dist/greeter.wasm');
  const python = await loadPythonPlugin('python_greeter');
  const greetings: ActionOutcome[] = await Promise.all([
    rust.invoke('greet', 'World'),
    python.invoke('greet', 'World'),
  ]);

  const host = new Host({
    fs: { root: '/srv/data', readOnly: true },
    network: {
      allowedUrlPrefixes: ['https://api.example.com/v1/'],
      allowedMethods: ['GET'],
      timeoutMs: 5_000,
      maxResponseSize: 1 << 20,
    },
    env: ['LANG'],
    limits: { memoryMb: 32, timeoutMs: 2_000 },
    trace: (event: TraceEvent) => console.log(event.plugin, event.name, event.durationMs),
    log: ({ plugin, level, message }) => console.log(plugin, level, message),
  });
  host.registerFunction('app.user', async (args: { id: number }, plugin: string) => ({
    id: args.id,
    caller: plugin,
  }));
  const plugin = await host.loadPlugin('./plugins/resizer/plugin.json');
  try {
    const { data } = await plugin.invoke('resize', { image: Buffer.from([1, 2]), width: 640 });
    const bytes: Buffer = decodeBytes(String(data));
    console.log(bytes.length, (await plugin.provider('greeting')).text);
  } catch (e) {
    if (e instanceof InteropError) {
      const kind: InteropErrorKind = e.kind;
      console.log(kind, e.plugin, e.data, e.pluginStack);
    }
  }
  const { results, errors } = await host.emit('config.reload', { reason: 'deploy' });
  for (const error of Object.values(errors)) console.log(error.kind, error.message);
  await plugin.unload();
  const failures: Record<string, string> = await host.closeAll();
  return [...greetings.map((g) => g.text ?? ''), ...Object.keys(results), ...Object.keys(failures)];
}
