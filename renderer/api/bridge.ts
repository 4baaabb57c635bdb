import type { InvokeChannel } from '../../shared/api';

/**
 * The API the Electron preload exposes as `window.runnerWatch`. Values are `unknown` on
 * purpose: the IPC transport parses them, it does not trust the other side of the bridge.
 */
export interface RunnerWatchBridge {
  invoke(channel: InvokeChannel, request: unknown): Promise<unknown>;
  /** Receives every push event; returns the unsubscribe. */
  onEvent(listener: (event: unknown) => void): () => void;
  /**
   * Receives the main process's requests to show something (tray entry or notification
   * clicked); returns the unsubscribe. Absent in preloads older than this API.
   */
  onOpen?(listener: (target: unknown) => void): () => void;
}
