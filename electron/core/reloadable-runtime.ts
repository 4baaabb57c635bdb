import { invokeChannels, type ApiHandlers, type InvokeChannel } from '../../shared/api';
import type { FleetEvent } from '../../shared/fleet';
import type { Settings } from '../../shared/settings';
import { toDisposable, type Disposable } from './lifecycle';
import type { Runtime, RuntimeOptions } from './runtime';
import type { ApplyOutcome } from './settings/settings-service';

type Listener = (event: FleetEvent) => void;

/** Options of a runtime that can be rebuilt on new settings. */
export interface ReloadableRuntimeOptions extends RuntimeOptions {
  /** Builds one runtime; `createRuntime` in the hosts, a fake in tests. */
  create(options: RuntimeOptions): Promise<Runtime>;
  /** Runs on the runtime still in force right before a reload (e.g. switching fleet modes). */
  beforeReload?(runtime: Runtime, next: Settings, previous: Settings): Promise<void>;
}

/**
 * The runtime of a long-running host (serve, desktop) that applies saved settings: a
 * reload stops the current engine, reaper and pools and builds them again on the new
 * settings, while the host keeps one event source and one API. Event listeners move to
 * the new engine (which greets them with a fresh snapshot), and API calls made during a
 * reload wait for it. Only one runtime exists at a time: the reaper's kill ledger and
 * state file in the state dir are never held twice.
 */
export class ReloadableRuntime implements Disposable {
  private current: Runtime;
  private options: RuntimeOptions;
  private readonly create: ReloadableRuntimeOptions['create'];
  private readonly beforeReload: ReloadableRuntimeOptions['beforeReload'];
  private readonly listeners = new Map<Listener, Disposable>();
  private started = false;
  private disposed = false;
  private busy: Promise<unknown> = Promise.resolve();
  /** The event source the host streams from; it follows every reload. */
  readonly engine: { onEvent(listener: Listener): Disposable; start(): Disposable };
  /** The API the host serves; each call goes to the runtime in force. */
  readonly api: ApiHandlers;

  private constructor(first: Runtime, options: ReloadableRuntimeOptions) {
    this.current = first;
    const { create, beforeReload, ...runtimeOptions } = options;
    this.options = runtimeOptions;
    this.create = create;
    this.beforeReload = beforeReload;
    this.engine = {
      onEvent: (listener) => {
        this.listeners.set(listener, this.current.engine.onEvent(listener));
        return toDisposable(async () => {
          await this.listeners.get(listener)?.dispose();
          this.listeners.delete(listener);
        });
      },
      start: () => {
        this.started = true;
        this.current.engine.start();
        return toDisposable(() => this.dispose());
      },
    };
    const api: Partial<Record<InvokeChannel, (request: never) => Promise<unknown>>> = {};
    for (const channel of Object.keys(invokeChannels) as InvokeChannel[]) {
      api[channel] = async (request: never) => {
        await this.busy;
        const handler = this.current.api[channel] as (request: never) => Promise<unknown>;
        return handler(request);
      };
    }
    this.api = api as ApiHandlers;
  }

  /** Builds the first runtime. */
  static async open(options: ReloadableRuntimeOptions): Promise<ReloadableRuntime> {
    const { create, beforeReload: _after, ...runtimeOptions } = options;
    return new ReloadableRuntime(await create(runtimeOptions), options);
  }

  /** The settings in force. */
  get settings(): Settings {
    return this.current.settings;
  }

  /** The warnings of the runtime in force (e.g. another process acts on the state directory). */
  warnings(): string[] {
    return this.current.warnings();
  }

  /** The runtime in force (for hosts that read its engine directly, e.g. a tray). */
  get runtime(): Runtime {
    return this.current;
  }

  /**
   * Rebuilds the runtime on `next`. When that fails (a source that cannot be built), the
   * previous settings are rebuilt so the host keeps watching, and the outcome says why.
   */
  reload(next: Settings): Promise<ApplyOutcome> {
    const run = this.busy.then(() => this.swap(next));
    this.busy = run.catch(() => undefined);
    return run;
  }

  private async swap(next: Settings): Promise<ApplyOutcome> {
    if (this.disposed) return { applied: false, message: 'Runner Watch is shutting down' };
    const previous = this.current.settings;
    // On the old runtime, so an audited switch says "notify → dry-run" from the mode in force.
    await this.beforeReload?.(this.current, next, previous);
    await this.current.dispose();
    let applied = true;
    let message = 'the engine restarted its sources with the new settings';
    try {
      this.current = await this.create({ ...this.options, settings: next });
      this.options = { ...this.options, settings: next };
    } catch (error) {
      applied = false;
      message = `saved, but not applied: ${error instanceof Error ? error.message : String(error)}; still watching with the previous settings until a restart`;
      this.current = await this.create({ ...this.options, settings: previous });
    }
    for (const [listener, subscription] of this.listeners) {
      await subscription.dispose();
      this.listeners.set(listener, this.current.engine.onEvent(listener));
    }
    if (this.started) this.current.engine.start();
    return { applied, message };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.busy;
    for (const subscription of this.listeners.values()) await subscription.dispose();
    this.listeners.clear();
    await this.current.dispose();
  }
}
