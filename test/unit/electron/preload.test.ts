// electron/preload.ts with `electron` replaced by a double of contextBridge and
// ipcRenderer (vi.mock, STYLE.md §8): what the page gets, and what it can reach.
import type { ContextBridge, IpcRenderer } from 'electron';
import { beforeAll, describe, expect, it, vi } from 'vitest';

const exposed = new Map<string, unknown>();
const invoked: [string, unknown][] = [];
const listeners = new Map<string, ((event: unknown, payload: unknown) => void)[]>();

vi.mock('electron', () => {
  const contextBridge = {
    exposeInMainWorld: (key: string, api: unknown) => void exposed.set(key, api),
  } satisfies Pick<ContextBridge, 'exposeInMainWorld'>;
  const ipcRenderer = {
    invoke: async (channel: string, ...args: unknown[]) => {
      invoked.push([channel, args[0]]);
      return { ok: true, value: null };
    },
    on(channel: string, listener: (event: unknown, payload: unknown) => void) {
      listeners.set(channel, [...(listeners.get(channel) ?? []), listener]);
      return this as unknown as IpcRenderer;
    },
    removeListener(channel: string, listener: (event: unknown, payload: unknown) => void) {
      listeners.set(
        channel,
        (listeners.get(channel) ?? []).filter((l) => l !== listener),
      );
      return this as unknown as IpcRenderer;
    },
  } satisfies Pick<IpcRenderer, 'invoke'> & Record<'on' | 'removeListener', unknown>;
  return { contextBridge, ipcRenderer };
});

interface Bridge {
  invoke(channel: string, request: unknown): Promise<unknown>;
  onEvent(listener: (e: unknown) => void): () => void;
  onOpen(listener: (t: unknown) => void): () => void;
}

let bridge: Bridge;
beforeAll(async () => {
  await import('../../../electron/preload');
  bridge = exposed.get('runnerWatch') as Bridge;
});

describe('preload', () => {
  it('exposes one small API as window.runnerWatch, not ipcRenderer', () => {
    expect([...exposed.keys()]).toEqual(['runnerWatch']);
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'onEvent', 'onOpen']);
  });

  it('invokes only contract channels', async () => {
    await bridge.invoke('rw:fleet:snapshot', {});
    expect(await bridge.invoke('rw:fleet:event', {})).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(await bridge.invoke('electron:shell:openExternal', 'file:///')).toMatchObject({
      ok: false,
    });
    expect(invoked).toEqual([['rw:fleet:snapshot', {}]]);
  });

  it('passes push events without the IPC event object, and unsubscribes', () => {
    const events: unknown[] = [];
    const targets: unknown[] = [];
    const offEvent = bridge.onEvent((e) => events.push(e));
    const offOpen = bridge.onOpen((t) => targets.push(t));
    listeners.get('rw:fleet:event')?.forEach((l) => l({ sender: 'secret-internals' }, { v: 1 }));
    listeners.get('rw:ui:open')?.forEach((l) => l({ sender: 'x' }, { kind: 'fleet' }));
    expect(events).toEqual([{ v: 1 }]);
    expect(targets).toEqual([{ kind: 'fleet' }]);
    offEvent();
    offOpen();
    expect(listeners.get('rw:fleet:event')).toEqual([]);
    expect(listeners.get('rw:ui:open')).toEqual([]);
  });
});
