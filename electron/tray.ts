import type { Menu, MenuItemConstructorOptions, NativeImage, Tray } from 'electron';
import type { FleetSettings } from '../shared/settings';
import type { Engine } from './core/engine';
import { toDisposable, type Disposable } from './core/lifecycle';
import { computeTrayState, type TrayIcon, type TrayState } from './core/tray/tray-state';

/** What the tray adapter needs from Electron; passed in so tests can use fakes. */
export interface TrayDeps {
  tray: Pick<Tray, 'setImage' | 'setToolTip' | 'setContextMenu'>;
  buildMenu(template: MenuItemConstructorOptions[]): Menu;
  image(icon: TrayIcon): NativeImage;
  onOpen(): void;
  onConfirm(proposalId: string): void;
  onQuit(): void;
}

/** Builds the context menu for a computed tray state. */
export function trayMenuTemplate(
  state: TrayState,
  deps: Pick<TrayDeps, 'onOpen' | 'onConfirm' | 'onQuit'>,
): MenuItemConstructorOptions[] {
  const items: MenuItemConstructorOptions[] = [
    { label: 'Open Runner Watch', click: () => deps.onOpen() },
  ];
  if (state.machines.length > 0) {
    items.push(
      { type: 'separator' },
      ...state.machines.map((m) => ({ label: m.label, click: () => deps.onOpen() })),
    );
  }
  if (state.proposals.length > 0) {
    items.push(
      { type: 'separator' },
      ...state.proposals.map((p) => ({
        label: p.label,
        click: () => p.proposalId && deps.onConfirm(p.proposalId),
      })),
    );
  }
  items.push({ type: 'separator' }, { label: 'Quit', click: () => deps.onQuit() });
  return items;
}

/**
 * Draws the tray from the engine's state. All decisions are in `computeTrayState`; this
 * only redraws when the drawn state changes.
 */
export function registerTray(
  engine: Pick<Engine, 'onEvent' | 'snapshot'>,
  fleets: readonly FleetSettings[],
  deps: TrayDeps,
): Disposable {
  let last = '';
  const draw = () => {
    const state = computeTrayState(engine.snapshot(), fleets);
    const key = JSON.stringify(state);
    if (key === last) return;
    last = key;
    deps.tray.setImage(deps.image(state.icon));
    deps.tray.setToolTip(state.tooltip);
    deps.tray.setContextMenu(deps.buildMenu(trayMenuTemplate(state, deps)));
  };
  const subscription = engine.onEvent(draw);
  return toDisposable(() => subscription.dispose());
}
