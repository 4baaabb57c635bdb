import type { Menu, MenuItemConstructorOptions, NativeImage, Tray } from 'electron';
import type { FleetSettings } from '../shared/settings';
import type { Engine } from './core/engine';
import { DisposableStore, toDisposable, type Disposable } from './core/lifecycle';
import { trayMenuModel, type TrayMenuEntry } from './core/tray/tray-menu';
import { computeTrayState, type TrayIcon, type TrayState } from './core/tray/tray-state';

/**
 * The Tray methods the adapter calls; tests pass a double with the same signatures. The
 * event methods name only the event used, so Electron's per-event overloads fit.
 */
export type TrayLike = Pick<Tray, 'setImage' | 'setToolTip' | 'setContextMenu'> & {
  on(event: 'click', listener: () => void): unknown;
  removeListener(event: 'click', listener: () => void): unknown;
};

/** What the tray's entries do; main.ts wires them to the window and the engine. */
export interface TrayActions {
  onOpen(): void;
  /** Left click: show the window next to the tray, or hide it when it has focus. */
  onToggle(): void;
  onOpenMachine(machineKey: string): void;
  /** "Check now": runs one collection cycle at once (the engine's `checkNow`). */
  onCheckNow(): void;
  /** Opens the window with the confirm dialog of the proposal (it re-checks first). */
  onConfirm(proposalId: string): void;
  onPause(): void;
  onResume(): void;
  onQuit(): void;
}

/** What the tray adapter needs from Electron; passed in so tests can use fakes. */
export interface TrayDeps extends TrayActions {
  tray: TrayLike;
  buildMenu(template: MenuItemConstructorOptions[]): Menu;
  image(icon: TrayIcon): NativeImage;
  /** 127 on Windows (its tooltip limit); none elsewhere. */
  maxTooltipLength?: number;
}

/** Maps the core menu model to Electron menu items; each entry only calls its action. */
export function trayMenuTemplate(
  state: TrayState,
  actions: TrayActions,
): MenuItemConstructorOptions[] {
  return trayMenuModel(state).map((entry) => menuItem(entry, actions));
}

function menuItem(entry: TrayMenuEntry, actions: TrayActions): MenuItemConstructorOptions {
  switch (entry.kind) {
    case 'separator':
      return { type: 'separator' };
    case 'heading':
      return { label: entry.label, enabled: false };
    case 'open':
      return { label: entry.label, click: () => actions.onOpen() };
    case 'check':
      return { label: entry.label, enabled: entry.enabled, click: () => actions.onCheckNow() };
    case 'machine':
      return { label: entry.label, click: () => actions.onOpenMachine(entry.machineKey) };
    case 'proposal':
      return { label: entry.label, click: () => actions.onConfirm(entry.proposalId) };
    case 'pause':
      return { label: entry.label, click: () => actions.onPause() };
    case 'resume':
      return { label: entry.label, click: () => actions.onResume() };
    case 'quit':
      return { label: entry.label, click: () => actions.onQuit() };
  }
}

/**
 * Draws the tray from the engine's state. All decisions are in `computeTrayState` and
 * `trayMenuModel`; this only redraws when the drawn state changes (fleet events, pause,
 * a "Check now" starting or ending).
 */
export function registerTray(
  engine: Pick<
    Engine,
    'onEvent' | 'snapshot' | 'isPaused' | 'onPauseChange' | 'isChecking' | 'onCheckChange'
  >,
  fleets: readonly FleetSettings[],
  deps: TrayDeps,
): Disposable & { state(): TrayState | null } {
  const store = new DisposableStore();
  let last = '';
  let drawn: TrayState | null = null;
  const draw = () => {
    const state = computeTrayState(engine.snapshot(), fleets, {
      paused: engine.isPaused,
      checking: engine.isChecking,
      ...(deps.maxTooltipLength !== undefined ? { maxTooltipLength: deps.maxTooltipLength } : {}),
    });
    const key = JSON.stringify(state);
    if (key === last) return;
    last = key;
    drawn = state;
    deps.tray.setImage(deps.image(state.icon));
    deps.tray.setToolTip(state.tooltip);
    deps.tray.setContextMenu(deps.buildMenu(trayMenuTemplate(state, deps)));
  };
  const onClick = () => deps.onToggle();
  deps.tray.on('click', onClick);
  store.add(toDisposable(() => void deps.tray.removeListener('click', onClick)));
  store.add(engine.onEvent(draw));
  store.add(engine.onPauseChange(draw));
  // Redrawn when a check starts (entry disabled) and ends (enabled again).
  store.add(engine.onCheckChange(draw));
  return { dispose: () => store.dispose(), state: () => drawn };
}
