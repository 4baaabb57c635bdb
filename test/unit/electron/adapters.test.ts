import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { trayIconFile } from '../../../electron/app';
import { createApiHandlers } from '../../../electron/core/api';
import { SecretBlobStore } from '../../../electron/core/config/secret-blob-store';
import { Engine } from '../../../electron/core/engine';
import type { CollectResult, Source } from '../../../electron/core/sources/source';
import { redactor } from '../../../electron/core/errors/redact';
import { TRAY_ICONS } from '../../../electron/core/tray/tray-state';
import { createSenderCheck, forwardFleetEvents, registerIpc } from '../../../electron/ipc-main';
import { registerNotifications } from '../../../electron/notify';
import { BASIC_TEXT_WARNING, DesktopSecrets } from '../../../electron/secrets';
import { registerTray } from '../../../electron/tray';
import {
  DESKTOP_CSP,
  createExternalOpener,
  lockNavigation,
  secureSession,
  secureWindowOptions,
  toggleWindowNearTray,
} from '../../../electron/window';
import type { AuditRecord } from '../../../shared/audit';
import type { FleetEvent, FleetSnapshot } from '../../../shared/fleet';
import { NotificationSettings, Settings } from '../../../shared/settings';
import type { OpenTarget } from '../../../shared/ui';
import {
  FakeBrowserWindow,
  FakeEvent,
  FakeNotification,
  FakeSession,
  FakeTray,
  FakeWebContents,
  fakeImage,
  fakeIpcMain,
  fakeSafeStorage,
  invokeEvent,
} from '../../support/electron-double';
import { ciFleet, disk, fresh, testMachine, testSnapshot } from '../../support/machines';

const info = {
  name: 'Runner Watch' as const,
  version: '0.1.0',
  host: 'electron' as const,
  demo: false,
  startedAt: 1,
  warnings: [],
};

/** An engine stand-in that pushes the snapshots a test gives it. */
function scriptedEngine(first: FleetSnapshot) {
  let snapshot = first;
  let paused = false;
  const listeners = new Set<(e: FleetEvent) => void>();
  const pauseListeners = new Set<(p: boolean) => void>();
  return {
    snapshot: () => snapshot,
    get isPaused() {
      return paused;
    },
    onEvent: (l: (e: FleetEvent) => void) => {
      listeners.add(l);
      l({ type: 'snapshot', snapshot });
      return { dispose: () => void listeners.delete(l) };
    },
    onPauseChange: (l: (p: boolean) => void) => {
      pauseListeners.add(l);
      return { dispose: () => void pauseListeners.delete(l) };
    },
    isChecking: false,
    onCheckChange: () => ({ dispose: () => undefined }),
    push(next: FleetSnapshot) {
      snapshot = next;
      for (const l of listeners) l({ type: 'snapshot', snapshot });
    },
    setPaused(p: boolean) {
      paused = p;
      for (const l of pauseListeners) l(p);
    },
    listenerCount: () => listeners.size + pauseListeners.size,
  };
}

describe('registerIpc', () => {
  it('answers trusted main-frame senders and refuses others', async () => {
    const engine = new Engine({ sources: [] });
    const { ipcMain, handlers } = fakeIpcMain();
    const disposable = registerIpc(
      ipcMain,
      createApiHandlers({ engine, info }),
      createSenderCheck(new Set([7])),
    );
    const call = handlers.get('rw:app:info')!;
    expect(await call(invokeEvent(7), {})).toEqual({ ok: true, value: info });
    expect(await call(invokeEvent(8), {})).toEqual({
      ok: false,
      error: { code: 'unauthenticated', message: 'untrusted sender' },
    });
    expect(await call(invokeEvent(7, false), {})).toMatchObject({
      ok: false,
      error: { code: 'unauthenticated' },
    });
    await disposable.dispose();
    expect(handlers.size).toBe(0);
    await engine.dispose();
  });

  it('registers a handler for every contract channel, including ones added later', async () => {
    const { invokeChannels } = await import('../../../shared/api');
    const engine = new Engine({ sources: [] });
    const { ipcMain, handlers } = fakeIpcMain();
    registerIpc(ipcMain, createApiHandlers({ engine, info }), () => true);
    expect([...handlers.keys()].sort()).toEqual(Object.keys(invokeChannels).sort());
    await engine.dispose();
  });

  it('rejects malformed input with bad_input instead of calling the handler', async () => {
    const engine = new Engine({ sources: [] });
    const { ipcMain, handlers } = fakeIpcMain();
    registerIpc(ipcMain, createApiHandlers({ engine, info }), () => true);
    const cases: [string, unknown][] = [
      ['rw:fleet:snapshot', { extra: true }],
      ['rw:reaper:confirm', {}],
      ['rw:reaper:confirm', { proposalId: 42 }],
      ['rw:reaper:confirm', { proposalId: 'x'.repeat(201) }],
      ['rw:reaper:set-mode', { fleet: 'ci', mode: 'yolo' }],
      ['rw:audit:list', { limit: -1 }],
      ['rw:runners:prune', 'not an object'],
      ['rw:secrets:migrate', { now: true }],
    ];
    for (const [channel, input] of cases) {
      const result = await handlers.get(channel)!(invokeEvent(1), input);
      expect(result, `${channel} ${JSON.stringify(input)}`).toMatchObject({
        ok: false,
        error: { code: 'bad_input' },
      });
    }
    await engine.dispose();
  });

  it('refuses rw:secrets:migrate where no encrypted store exists (serve host)', async () => {
    const engine = new Engine({ sources: [] });
    const { ipcMain, handlers } = fakeIpcMain();
    registerIpc(ipcMain, createApiHandlers({ engine, info }), () => true);
    expect(await handlers.get('rw:secrets:migrate')!(invokeEvent(1), {})).toMatchObject({
      ok: false,
      error: { code: 'refused' },
    });
    await engine.dispose();
  });

  it('forwards engine events until the window is destroyed', async () => {
    const engine = new Engine({ sources: [] });
    const contents = new FakeWebContents();
    const sub = forwardFleetEvents(engine, contents);
    expect(contents.sent.map((s) => s.channel)).toEqual(['rw:fleet:event']);
    expect((contents.sent[0]?.payload as FleetEvent).type).toBe('snapshot');
    contents.destroyed = true;
    await engine.runOnce();
    expect(contents.sent).toHaveLength(1);
    await sub.dispose();
    await engine.dispose();
  });
});

describe('registerTray on the Tray double', () => {
  function setup() {
    const engine = scriptedEngine(testSnapshot([testMachine('a')]));
    const tray = new FakeTray(fakeImage('assets/tray/ok.png'));
    const calls: string[] = [];
    const disposable = registerTray(engine, [ciFleet], {
      tray,
      buildMenu: (template) => template as never,
      image: (icon) => fakeImage(trayIconFile(icon, 'linux')),
      onOpen: () => calls.push('open'),
      onToggle: () => calls.push('toggle'),
      onOpenMachine: (key) => calls.push(`machine:${key}`),
      onCheckNow: () => calls.push('check'),
      onConfirm: (id) => calls.push(`confirm:${id}`),
      onPause: () => engine.setPaused(true),
      onResume: () => engine.setPaused(false),
      onQuit: () => calls.push('quit'),
    });
    return { engine, tray, calls, disposable };
  }

  it('draws the icon, tooltip and menu core computed, and redraws on change', () => {
    const { engine, tray } = setup();
    expect((tray.image as unknown as { path: string }).path).toBe('assets/tray/ok.png');
    engine.push(testSnapshot([testMachine('a', { disks: fresh([disk('/', 70)]) })]));
    expect((tray.image as unknown as { path: string }).path).toBe('assets/tray/critical.png');
    expect(tray.tooltip).toBe('Runner Watch — 1 machine\n1 over kill threshold');
    expect(tray.labels()).toContain('a — disk 70 %');
  });

  it('menu entries call their actions; pause really switches the menu to resume', () => {
    const { engine, tray, calls } = setup();
    engine.push(
      testSnapshot([testMachine('a', { disks: fresh([disk('/', 70)]) })], {
        proposals: [
          {
            id: 'p1',
            machineKey: 'ci/a',
            machineName: 'a',
            fleet: 'ci',
            rule: 'disk',
            action: 'hcloud-delete',
            evidence: {
              diskPct: 70,
              diskMount: '/',
              samplesOver: 3,
              idleSinceMs: 600_000,
              runningContainers: 0,
              runningJobIds: [],
              ageMs: null,
              observedAt: 1,
            },
            blocked: [],
            state: 'pending',
            createdAt: 1,
            summary: '',
          },
        ],
      }),
    );
    tray.clickMenu('Kill a (disk 70 %, idle 10 min)…');
    tray.clickMenu('a — disk 70 %');
    tray.clickMenu('Open Runner Watch');
    tray.clickMenu('Check now');
    tray.clickMenu('Pause monitoring');
    expect(tray.labels()).toContain('Resume monitoring');
    expect((tray.image as unknown as { path: string }).path).toBe('assets/tray/disconnected.png');
    tray.clickMenu('Resume monitoring');
    expect(tray.labels()).toContain('Pause monitoring');
    tray.clickMenu('Quit Runner Watch');
    expect(calls).toEqual(['confirm:p1', 'machine:ci/a', 'open', 'check', 'quit']);
  });

  it('left click toggles the window; dispose removes every listener', async () => {
    const { engine, tray, calls, disposable } = setup();
    tray.emit('click');
    expect(calls).toEqual(['toggle']);
    await disposable.dispose();
    expect(tray.listenerCount('click')).toBe(0);
    expect(engine.listenerCount()).toBe(0);
  });

  it('uses template images on macOS, .ico on Windows and PNG on Linux', () => {
    expect(TRAY_ICONS.map((i) => trayIconFile(i, 'darwin'))).toEqual([
      'assets/tray/okTemplate.png',
      'assets/tray/warningTemplate.png',
      'assets/tray/criticalTemplate.png',
      'assets/tray/disconnectedTemplate.png',
    ]);
    expect(trayIconFile('warning', 'win32')).toBe('assets/tray/warning.ico');
    expect(trayIconFile('critical', 'linux')).toBe('assets/tray/critical.png');
  });
});

describe('Check now from the tray, on a real engine', () => {
  it('runs one cycle, disables the entry while it runs, and enables it again after', async () => {
    let release: () => void = () => undefined;
    let calls = 0;
    const gated: Source = {
      id: 'hetzner:gated',
      kind: 'hetzner',
      label: 'gated project',
      phase: 'inventory',
      intervalMs: 60_000,
      timeoutMs: 10_000,
      async collect(): Promise<CollectResult> {
        calls += 1;
        await new Promise<void>((resolve) => (release = resolve));
        return { inventoryOf: ['ci'], machines: [] };
      },
    };
    const engine = new Engine({ sources: [gated] });
    const tray = new FakeTray(fakeImage('assets/tray/ok.png'));
    const handle = registerTray(engine, [ciFleet], {
      tray,
      buildMenu: (template) => template as never,
      image: (icon) => fakeImage(trayIconFile(icon, 'linux')),
      onOpen: () => undefined,
      onToggle: () => undefined,
      onOpenMachine: () => undefined,
      onCheckNow: () => void engine.checkNow(),
      onConfirm: () => undefined,
      onPause: () => undefined,
      onResume: () => undefined,
      onQuit: () => undefined,
    });
    expect(tray.item('Check now')?.enabled).toBe(true);
    tray.clickMenu('Check now');
    expect(engine.isChecking).toBe(true);
    expect(tray.item('Check now')).toBeUndefined();
    expect(tray.item('Checking now…')?.enabled).toBe(false);
    expect(() => tray.clickMenu('Checking now…')).toThrow(/disabled/);
    // A second ask (another host's button) joins the running cycle.
    const joined = engine.checkNow();
    expect(calls).toBe(1);
    release();
    const result = await joined;
    expect(result.failingSources).toBe(0);
    expect(engine.isChecking).toBe(false);
    expect(tray.item('Check now')?.enabled).toBe(true);
    expect(calls).toBe(1);
    await handle.dispose();
    await engine.dispose();
  });
});

describe('toggleWindowNearTray', () => {
  it('shows the window next to the tray, then hides it when it has focus', () => {
    const window = new FakeBrowserWindow({ width: 400, height: 600 });
    const screen = {
      getDisplayNearestPoint: () =>
        ({ workArea: { x: 0, y: 25, width: 1440, height: 875 } }) as Electron.Display,
    };
    expect(toggleWindowNearTray(window, { x: 1000, y: 0, width: 22, height: 22 }, screen)).toBe(
      'shown',
    );
    expect(window.position).toEqual([811, 29]);
    expect(window.isVisible() && window.isFocused()).toBe(true);
    expect(toggleWindowNearTray(window, { x: 1000, y: 0, width: 22, height: 22 }, screen)).toBe(
      'hidden',
    );
    expect(window.isVisible()).toBe(false);
  });
});

describe('registerNotifications on the Notification double', () => {
  it('shows what the core rules return and opens the target on click', async () => {
    FakeNotification.shown = [];
    const engine = scriptedEngine(testSnapshot([]));
    const clicked: OpenTarget[] = [];
    let auditListener: ((r: AuditRecord) => void) | undefined;
    const disposable = registerNotifications({
      engine,
      fleets: [ciFleet],
      options: () => NotificationSettings.parse({}),
      onAudit: (l) => {
        auditListener = l;
        return { dispose: () => (auditListener = undefined) };
      },
      createNotification: (o) => new FakeNotification(o),
      onClick: (t) => clicked.push(t),
      now: () => 1_000,
      localMinuteOfDay: () => 12 * 60,
    });
    for (let i = 1; i <= 3; i++) {
      engine.push(testSnapshot([testMachine('a', { disks: fresh([disk('/', 55)], i) })]));
    }
    auditListener?.({
      id: 'r1',
      at: 1,
      type: 'result',
      fleet: 'ci',
      machineKey: 'ci/b',
      machineName: 'b',
      proposalId: 'p',
      rule: 'disk',
      action: 'hcloud-delete',
      who: 'me@host',
      outcome: 'failed',
      reasons: [],
      evidence: null,
      modeFrom: null,
      modeTo: null,
      detail: 'Hetzner answered 503',
    });
    expect(FakeNotification.shown.map((n) => [n.options.title, n.options.urgency])).toEqual([
      ['Disk 55 % on a', 'normal'],
      ['Kill of b failed', 'critical'],
    ]);
    FakeNotification.shown[0]?.click();
    expect(clicked).toEqual([{ kind: 'machine', machineKey: 'ci/a' }]);
    await disposable.dispose();
    expect(auditListener).toBeUndefined();
    expect(engine.listenerCount()).toBe(0);
  });
});

describe('DesktopSecrets over safeStorage and blob files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-secrets-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the value encrypted in a 0600 file and resolves it back', async () => {
    const { safeStorage } = fakeSafeStorage();
    const blobs = new SecretBlobStore(join(dir, 'secrets'));
    const secrets = new DesktopSecrets(safeStorage, blobs, 'linux');
    const ref = await secrets.save('gitlab.main.token', 'glpat-secret-value-1');
    expect(ref).toEqual({ stored: 'gitlab.main.token' });
    expect(await readdir(join(dir, 'secrets'))).toEqual(['gitlab.main.token.bin']);
    const file = join(dir, 'secrets', 'gitlab.main.token.bin');
    expect((await readFile(file)).toString('latin1')).not.toContain('glpat-secret-value-1');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'secrets'))).mode & 0o777).toBe(0o700);
    expect(await secrets.resolve(ref)).toBe('glpat-secret-value-1');
    expect(redactor.redact('token glpat-secret-value-1 leaked')).toBe('token [redacted] leaked');
    expect(secrets.warnings()).toEqual([]);
  });

  it('warns when Linux falls back to basic_text, not on other platforms', () => {
    const blobs = new SecretBlobStore(dir);
    const { safeStorage } = fakeSafeStorage({ backend: 'basic_text' });
    expect(new DesktopSecrets(safeStorage, blobs, 'linux').warnings()).toEqual([
      BASIC_TEXT_WARNING,
    ]);
    expect(new DesktopSecrets(safeStorage, blobs, 'darwin').warnings()).toEqual([]);
    const none = fakeSafeStorage({ available: false }).safeStorage;
    expect(new DesktopSecrets(none, blobs, 'linux').warnings()[0]).toContain('No OS keychain');
  });

  it('names a missing, undecryptable or badly named secret without any value', async () => {
    const blobs = new SecretBlobStore(dir);
    const secrets = new DesktopSecrets(fakeSafeStorage().safeStorage, blobs, 'linux');
    await expect(secrets.resolve({ stored: 'nope' })).rejects.toThrow(
      'no stored secret named "nope"',
    );
    // Encrypted by another keychain (a copied profile): it cannot be read, and says so.
    const other = new DesktopSecrets(fakeSafeStorage().safeStorage, blobs, 'linux');
    await other.save('moved', 'value-from-elsewhere-1');
    await expect(secrets.resolve({ stored: 'moved' })).rejects.toThrow(
      'stored secret "moved" cannot be decrypted',
    );
    await expect(secrets.save('../escape', 'x1234')).rejects.toThrow('cannot name a stored secret');
    await expect(secrets.save('empty', '  ')).rejects.toThrow('secret "empty" is empty');
    const locked = new DesktopSecrets(fakeSafeStorage({ available: false }).safeStorage, blobs);
    await expect(locked.save('a', 'value-1234')).rejects.toThrow('OS keychain is not available');
  });
});

describe('window security on the BrowserWindow double', () => {
  it('is isolated and sandboxed with no Node in the page', () => {
    const prefs = secureWindowOptions('/x/preload.cjs').webPreferences;
    expect(prefs).toMatchObject({
      preload: '/x/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      webviewTag: false,
      allowRunningInsecureContent: false,
    });
  });

  it('blocks navigation, redirects, webviews and new windows; opens only allowed links', () => {
    const contents = new FakeWebContents();
    const opened: string[] = [];
    const refused: string[] = [];
    const settings = Settings.parse({
      gitlab: [{ id: 'g', url: 'https://gitlab.example.test', token: { env: 'T' } }],
    });
    const opener = createExternalOpener(
      () => settings,
      async (url) => void opened.push(url),
      (url) => refused.push(url),
    );
    lockNavigation(contents, 'file:///app/index.html', opener);
    expect(contents.navigate('file:///app/index.html#proposals')).toBe(true);
    expect(contents.navigate('https://gitlab.example.test/g/p/-/jobs/1')).toBe(false);
    expect(contents.navigate('https://evil.example.test/')).toBe(false);
    expect(contents.navigate('https://evil.example.test/', 'will-redirect')).toBe(false);
    expect(contents.windowOpen('https://gitlab.example.test/g/p/-/jobs/2')).toEqual({
      action: 'deny',
    });
    expect(contents.windowOpen('file:///etc/passwd')).toEqual({ action: 'deny' });
    const webview = new FakeEvent();
    contents.emit('will-attach-webview', webview);
    expect(webview.defaultPrevented).toBe(true);
    expect(opened).toEqual([
      'https://gitlab.example.test/g/p/-/jobs/1',
      'https://gitlab.example.test/g/p/-/jobs/2',
    ]);
    expect(refused).toEqual(['https://evil.example.test/', 'file:///etc/passwd']);
  });

  it('sets the CSP on responses and denies every web permission', () => {
    const session = new FakeSession();
    secureSession(session);
    let headers: Record<string, string[]> | undefined;
    session.headersHandler?.(
      { responseHeaders: { 'Content-Type': ['text/html'] } } as never,
      (response) => (headers = response.responseHeaders as Record<string, string[]>),
    );
    expect(headers).toEqual({
      'Content-Type': ['text/html'],
      'Content-Security-Policy': [DESKTOP_CSP],
    });
    expect(DESKTOP_CSP).toContain("script-src 'self'");
    expect(DESKTOP_CSP).not.toMatch(/unsafe-(inline|eval)/);
    let granted: boolean | undefined;
    session.permissionRequest?.(
      {} as never,
      'notifications',
      (g: boolean) => {
        granted = g;
      },
      {} as never,
    );
    expect(granted).toBe(false);
    expect(session.permissionCheck?.(null, 'media', '', {} as never)).toBe(false);
  });
});
