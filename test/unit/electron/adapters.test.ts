import type {
  IpcMain,
  IpcMainInvokeEvent,
  MenuItemConstructorOptions,
  safeStorage,
  Tray,
} from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { createApiHandlers } from '../../../electron/core/api';
import { Engine } from '../../../electron/core/engine';
import { redactor } from '../../../electron/core/errors/redact';
import { createSenderCheck, forwardFleetEvents, registerIpc } from '../../../electron/ipc-main';
import { DesktopSecrets } from '../../../electron/secrets';
import { loadStoredSettings, saveStoredSettings } from '../../../electron/settings';
import { registerTray, trayMenuTemplate } from '../../../electron/tray';
import { isAllowedExternal, lockNavigation, secureWindowOptions } from '../../../electron/window';
import type { FleetEvent } from '../../../shared/fleet';
import type { SettingsInput } from '../../../shared/settings';
import { ciFleet, disk, fresh, testMachine, testSnapshot } from '../../support/machines';

type Handler = (event: IpcMainInvokeEvent, input: unknown) => Promise<unknown>;

function fakeIpcMain() {
  const handlers = new Map<string, Handler>();
  const ipc = {
    handle: (channel: string, fn: Handler) => void handlers.set(channel, fn),
    removeHandler: (channel: string) => void handlers.delete(channel),
  } satisfies Pick<IpcMain, 'handle' | 'removeHandler'>;
  return { ipc: ipc as unknown as Pick<IpcMain, 'handle' | 'removeHandler'>, handlers };
}

function event(senderId: number, mainFrame = true): IpcMainInvokeEvent {
  return {
    sender: { id: senderId },
    senderFrame: { parent: mainFrame ? null : {} },
  } as unknown as IpcMainInvokeEvent;
}

const info = {
  name: 'Runner Watch' as const,
  version: '0.1.0',
  host: 'electron' as const,
  demo: false,
  startedAt: 1,
  warnings: [],
};

describe('registerIpc', () => {
  it('answers trusted main-frame senders and refuses others', async () => {
    const engine = new Engine({ sources: [] });
    const { ipc, handlers } = fakeIpcMain();
    const disposable = registerIpc(
      ipc,
      createApiHandlers({ engine, info }),
      createSenderCheck(new Set([7])),
    );
    const call = handlers.get('rw:app:info')!;
    expect(await call(event(7), {})).toEqual({ ok: true, value: info });
    expect(await call(event(8), {})).toEqual({
      ok: false,
      error: { code: 'unauthenticated', message: 'untrusted sender' },
    });
    expect(await call(event(7, false), {})).toMatchObject({
      ok: false,
      error: { code: 'unauthenticated' },
    });
    await disposable.dispose();
    expect(handlers.size).toBe(0);
    await engine.dispose();
  });

  it('rejects malformed input with bad_input instead of calling the handler', async () => {
    const engine = new Engine({ sources: [] });
    const { ipc, handlers } = fakeIpcMain();
    registerIpc(ipc, createApiHandlers({ engine, info }), () => true);
    const result = await handlers.get('rw:fleet:snapshot')!(event(1), { extra: true });
    expect(result).toMatchObject({ ok: false, error: { code: 'bad_input' } });
    await engine.dispose();
  });

  it('forwards engine events until the window is destroyed', async () => {
    const engine = new Engine({ sources: [] });
    const sent: unknown[] = [];
    let destroyed = false;
    const sub = forwardFleetEvents(engine, {
      send: (_c: string, e: unknown) => void sent.push(e),
      isDestroyed: () => destroyed,
    });
    expect((sent[0] as FleetEvent).type).toBe('snapshot');
    destroyed = true;
    await engine.runOnce();
    expect(sent).toHaveLength(1);
    await sub.dispose();
    await engine.dispose();
  });
});

describe('registerTray', () => {
  it('draws the state computed by core and redraws only on change', () => {
    let snapshot = testSnapshot([testMachine('a')]);
    let listener: ((e: FleetEvent) => void) | undefined;
    const engine = {
      snapshot: () => snapshot,
      onEvent: (l: (e: FleetEvent) => void) => {
        listener = l;
        l({ type: 'snapshot', snapshot });
        return { dispose: () => undefined };
      },
    };
    const tray = {
      setImage: vi.fn(),
      setToolTip: vi.fn(),
      setContextMenu: vi.fn(),
    } satisfies Record<keyof Pick<Tray, 'setImage' | 'setToolTip' | 'setContextMenu'>, unknown>;
    const images: string[] = [];
    registerTray(engine, [ciFleet], {
      tray: tray as unknown as Pick<Tray, 'setImage' | 'setToolTip' | 'setContextMenu'>,
      buildMenu: (t) => t as never,
      image: (icon) => {
        images.push(icon);
        return icon as never;
      },
      onOpen: () => undefined,
      onConfirm: () => undefined,
      onQuit: () => undefined,
    });
    listener?.({ type: 'snapshot', snapshot });
    expect(images).toEqual(['ok']);
    snapshot = testSnapshot([testMachine('a', { disks: fresh([disk('/', 70)]) })]);
    listener?.({ type: 'snapshot', snapshot });
    expect(images).toEqual(['ok', 'critical']);
    expect(tray.setToolTip).toHaveBeenLastCalledWith(
      'Runner Watch — 1 machine\n1 over kill threshold',
    );
  });

  it('menu entries call back with the proposal id', () => {
    const confirmed: string[] = [];
    const template = trayMenuTemplate(
      {
        icon: 'critical',
        tooltip: '',
        machines: [],
        proposals: [{ label: 'Kill a…', proposalId: 'p1' }],
      },
      { onOpen: () => undefined, onConfirm: (id) => confirmed.push(id), onQuit: () => undefined },
    );
    const item = template.find((i: MenuItemConstructorOptions) => i.label === 'Kill a…');
    item?.click?.(undefined as never, undefined as never, undefined as never);
    expect(confirmed).toEqual(['p1']);
    expect(template.at(-1)?.label).toBe('Quit');
  });
});

describe('DesktopSecrets', () => {
  const fakeSafeStorage = (
    available: boolean,
    backend: ReturnType<typeof safeStorage.getSelectedStorageBackend>,
  ) => ({
    isEncryptionAvailable: () => available,
    encryptString: (s: string) => Buffer.from(`enc:${s}`),
    decryptString: (b: Buffer) => b.toString().replace(/^enc:/, ''),
    getSelectedStorageBackend: () => backend,
  });

  it('stores encrypted, resolves, and registers the value for redaction', async () => {
    const map = new Map<string, string>();
    const secrets = new DesktopSecrets(
      fakeSafeStorage(true, 'gnome_libsecret'),
      { get: (k) => map.get(k), set: (k, v) => void map.set(k, v) },
      'linux',
    );
    const ref = secrets.save('gitlab', 'glpat-secret-value-1');
    expect(ref).toEqual({ stored: 'gitlab' });
    expect(map.get('gitlab')).not.toContain('glpat-secret-value-1');
    expect(await secrets.resolve(ref)).toBe('glpat-secret-value-1');
    expect(redactor.redact('token glpat-secret-value-1 leaked')).toBe('token [redacted] leaked');
    expect(secrets.warnings()).toEqual([]);
  });

  it('warns when Linux falls back to basic_text, and names a missing entry', async () => {
    const secrets = new DesktopSecrets(
      fakeSafeStorage(true, 'basic_text'),
      { get: () => undefined, set: () => undefined },
      'linux',
    );
    expect(secrets.warnings()[0]).toContain('basic_text');
    await expect(secrets.resolve({ stored: 'nope' })).rejects.toThrow(
      'no stored secret named "nope"',
    );
  });
});

describe('window security', () => {
  it('is isolated and sandboxed', () => {
    const prefs = secureWindowOptions('/x/preload.cjs').webPreferences;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    });
  });

  it('opens only http(s) URLs of configured instances, and blocks navigation', () => {
    expect(
      isAllowedExternal('https://gitlab.example.test/group/p/-/jobs/1', [
        'https://gitlab.example.test',
      ]),
    ).toBe(true);
    expect(isAllowedExternal('https://evil.example.test/', ['https://gitlab.example.test'])).toBe(
      false,
    );
    expect(isAllowedExternal('file:///etc/passwd', ['file://'])).toBe(false);
    const listeners = new Map<string, (e: { preventDefault(): void }, url: string) => void>();
    let windowOpen: ((d: { url: string }) => { action: string }) | undefined;
    const opened: string[] = [];
    lockNavigation(
      {
        on: ((name: string, fn: (e: { preventDefault(): void }, url: string) => void) =>
          void listeners.set(name, fn)) as never,
        setWindowOpenHandler: ((fn: (d: { url: string }) => { action: string }) =>
          (windowOpen = fn)) as never,
      },
      'file:///app/index.html',
      ['https://gitlab.example.test'],
      (url) => opened.push(url),
    );
    const prevented = vi.fn();
    listeners.get('will-navigate')?.(
      { preventDefault: prevented },
      'https://gitlab.example.test/x',
    );
    expect(prevented).toHaveBeenCalled();
    expect(windowOpen?.({ url: 'https://evil.example.test/' })).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://gitlab.example.test/x']);
  });
});

describe('stored settings', () => {
  it('round-trips through the store and reports invalid stored data with its path', () => {
    const data = new Map<string, unknown>();
    const store = {
      get: (k: 'settings') => data.get(k),
      set: (k: 'settings', v: SettingsInput) => void data.set(k, v),
    };
    const saved = saveStoredSettings(store, { fleets: [{ id: 'ci' }] });
    expect(loadStoredSettings(store)).toEqual(saved);
    data.set('settings', { fleets: [{ id: 'ci', warnPct: 'high' }] });
    expect(() => loadStoredSettings(store)).toThrow(
      'stored settings are invalid at fleets.0.warnPct',
    );
  });
});
