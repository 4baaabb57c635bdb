// Runs sandboxed in the renderer: it may only use `electron`'s renderer modules, so the
// build bundles shared/ into it (electron/vite.config.ts). It exposes a small API and
// never hands `ipcRenderer` itself to the page.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { isInvokeChannel } from '../shared/api';

/** The API the renderer sees as `window.runnerWatch`. */
const api = {
  /**
   * Calls a contract channel. Resolves to the main process's `DispatchResult`
   * (`{ok: true, value}` or `{ok: false, error: {code, message}}`); the renderer's IPC
   * transport unwraps and parses it.
   */
  invoke(channel: string, request: unknown): Promise<unknown> {
    if (!isInvokeChannel(channel)) {
      return Promise.resolve({
        ok: false,
        error: { code: 'not_found', message: `unknown channel ${channel}` },
      });
    }
    return ipcRenderer.invoke(channel, request);
  },
  /**
   * Subscribes to the main process's requests to show something (a tray entry or a
   * notification was clicked): a machine, a proposal's confirm dialog, a source, the
   * fleet. Returns the unsubscribe function.
   */
  onOpen(listener: (target: unknown) => void): () => void {
    const wrapped = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on('rw:ui:open', wrapped);
    return () => {
      ipcRenderer.removeListener('rw:ui:open', wrapped);
    };
  },
  /** Subscribes to fleet events; returns the unsubscribe function. */
  onEvent(listener: (event: unknown) => void): () => void {
    const wrapped = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on('rw:fleet:event', wrapped);
    return () => {
      ipcRenderer.removeListener('rw:fleet:event', wrapped);
    };
  },
};

/** Type of `window.runnerWatch`, for the renderer's declaration file. */
export type RunnerWatchBridge = typeof api;

contextBridge.exposeInMainWorld('runnerWatch', api);
