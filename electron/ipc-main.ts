import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { eventChannels, invokeChannels, type ApiHandlers, type InvokeChannel } from '../shared/api';
import { dispatch, type DispatchResult } from './core/api';
import type { Engine } from './core/engine';
import { DisposableStore, toDisposable, type Disposable } from './core/lifecycle';

/** Decides whether an IPC message comes from a window of ours (STYLE.md §3: one place). */
export type SenderCheck = (event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>) => boolean;

/**
 * Trusts only the main frame of webContents this app created: an iframe or a navigated-away
 * page cannot call the API.
 */
export function createSenderCheck(trustedIds: ReadonlySet<number>): SenderCheck {
  return (event) => {
    const frame = event.senderFrame;
    return trustedIds.has(event.sender.id) && frame !== null && frame.parent === null;
  };
}

/**
 * Registers one handler per contract channel. Each parses its input, checks the sender
 * and answers a `DispatchResult`, so errors cross the bridge as data, never as exceptions
 * with stacks.
 */
export function registerIpc(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  handlers: ApiHandlers,
  isTrusted: SenderCheck,
): Disposable {
  const channels = Object.keys(invokeChannels) as InvokeChannel[];
  for (const channel of channels) {
    ipcMain.handle(channel, async (event, input: unknown): Promise<DispatchResult> => {
      if (!isTrusted(event)) {
        return { ok: false, error: { code: 'unauthenticated', message: 'untrusted sender' } };
      }
      return dispatch(handlers, channel, input);
    });
  }
  return toDisposable(() => {
    for (const channel of channels) ipcMain.removeHandler(channel);
  });
}

/** Pushes every engine event to a window while it lives. */
export function forwardFleetEvents(
  engine: Pick<Engine, 'onEvent'>,
  contents: Pick<WebContents, 'send' | 'isDestroyed'>,
): Disposable {
  const store = new DisposableStore();
  const channel: keyof typeof eventChannels = 'rw:fleet:event';
  store.add(
    engine.onEvent((event) => {
      if (!contents.isDestroyed()) contents.send(channel, event);
    }),
  );
  return store;
}
