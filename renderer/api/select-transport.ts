import { createHttpTransport } from './http-transport';
import { createIpcTransport } from './ipc-transport';
import type { Transport } from './transport';

/**
 * Picks the transport once at start: inside Electron the preload has put
 * `window.runnerWatch` there; in a browser the page talks to the serve host that served it.
 * The only place in the renderer that reads that global.
 */
export function selectTransport(): Transport {
  const bridge = window.runnerWatch;
  return bridge ? createIpcTransport(bridge) : createHttpTransport();
}
