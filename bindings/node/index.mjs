// ES module entry point: the same addon as index.js.
import { createRequire } from 'node:module';

const native = createRequire(import.meta.url)('./index.js');

export const {
  Host,
  Plugin,
  InteropError,
  loadWasmPlugin,
  loadPythonPlugin,
  loadPlugin,
  closeAll,
  decodeBytes,
} = native;
export default native;
