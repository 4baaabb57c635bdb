import { describe, expect, it } from 'vitest';
import type { InvokeChannel } from '../../../shared/api';
import type { RunnerWatchBridge } from '../../../renderer/api/bridge';
import { createIpcTransport } from '../../../renderer/api/ipc-transport';
import { TransportError } from '../../../renderer/api/transport';
import { delta, snapshot } from './fixtures';

const info = {
  name: 'Runner Watch',
  version: '1.2.3',
  host: 'electron',
  demo: false,
  startedAt: 1,
  warnings: [],
};

/** A bridge like electron/preload.ts: answers with what `answer` returns, records the calls. */
function fakeBridge(answer: (channel: InvokeChannel, request: unknown) => Promise<unknown>) {
  const calls: [InvokeChannel, unknown][] = [];
  const listeners = new Set<(event: unknown) => void>();
  const bridge: RunnerWatchBridge = {
    invoke: (channel, request) => {
      calls.push([channel, request]);
      return answer(channel, request);
    },
    onEvent: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { bridge, calls, emit: (event: unknown) => listeners.forEach((l) => l(event)), listeners };
}

async function rejection(promise: Promise<unknown>): Promise<TransportError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TransportError);
  return error as TransportError;
}

describe('IPC transport', () => {
  it("unwraps the preload's {ok: true, value} envelope and parses the value", async () => {
    const { bridge, calls } = fakeBridge(async () => ({ ok: true, value: info }));
    const result = await createIpcTransport(bridge).invoke('rw:app:info', {});
    expect(result.version).toBe('1.2.3');
    expect(calls).toEqual([['rw:app:info', {}]]);
  });

  it('accepts a bare value too', async () => {
    const { bridge } = fakeBridge(async () => snapshot([]));
    expect((await createIpcTransport(bridge).invoke('rw:fleet:snapshot', {})).version).toBe(1);
  });

  it('turns {ok: false, error} into a TransportError with the same code and message', async () => {
    const { bridge } = fakeBridge(async () => ({
      ok: false,
      error: { code: 'bad_input', message: 'rw:app:info: nope' },
    }));
    const error = await rejection(createIpcTransport(bridge).invoke('rw:app:info', {}));
    expect([error.code, error.message, error.status]).toEqual([
      'bad_input',
      'rw:app:info: nope',
      null,
    ]);
  });

  it('rejects an envelope with an unreadable error as bad_response', async () => {
    const { bridge } = fakeBridge(async () => ({ ok: false, error: 'boom' }));
    const error = await rejection(createIpcTransport(bridge).invoke('rw:app:info', {}));
    expect([error.code, error.message]).toEqual([
      'bad_response',
      'rw:app:info: main answered with an unreadable error',
    ]);
  });

  it('rejects a value that breaks the schema, naming the field', async () => {
    const { bridge } = fakeBridge(async () => ({ ok: true, value: { ...info, host: 'browser' } }));
    const error = await rejection(createIpcTransport(bridge).invoke('rw:app:info', {}));
    expect(error.code).toBe('bad_response');
    expect(error.message).toMatch(/^rw:app:info: .* at host$/);
  });

  it('maps a rejected invoke to internal with the channel, or to its ApiError', async () => {
    const plain = fakeBridge(async () => {
      throw new Error("Error invoking remote method 'rw:app:info': reply was never sent");
    });
    const error = await rejection(createIpcTransport(plain.bridge).invoke('rw:app:info', {}));
    expect(error.code).toBe('internal');
    expect(error.message).toBe(
      "rw:app:info: Error invoking remote method 'rw:app:info': reply was never sent",
    );
    const typed = fakeBridge(async () => Promise.reject({ code: 'timeout', message: 'slow' }));
    expect((await rejection(createIpcTransport(typed.bridge).invoke('rw:app:info', {}))).code).toBe(
      'timeout',
    );
  });

  it('parses events, drops bad ones and unsubscribes', () => {
    const { bridge, emit, listeners } = fakeBridge(async () => null);
    const events: unknown[] = [];
    const dropped: TransportError[] = [];
    const statuses: string[] = [];
    const unsubscribe = createIpcTransport(bridge).subscribe({
      onEvent: (e) => events.push(e),
      onDropped: (e) => dropped.push(e),
      onStatus: (s) => statuses.push(s.state),
    });
    emit(delta(2));
    emit({ type: 'delta', version: 3 });
    expect(events).toEqual([delta(2)]);
    expect(dropped.map((e) => e.code)).toEqual(['bad_response']);
    expect(statuses).toEqual(['live']);
    unsubscribe();
    expect(listeners.size).toBe(0);
  });
});
