import type {
  PrunePreview,
  PrunePreviewRequest,
  PruneReport,
  PruneRequest,
  Runner,
} from '../../../shared/runner';
import type { AuditSink } from '../audit/audit-log';
import { RwError } from '../errors/rw-error';
import type { RunnerAdmin } from './admin';
import { previewPrune, pruneRunners } from './prune';
import type { ActionGate } from '../state-lock/state-dir-lock';

/** What the runner service reads and acts through. */
export interface RunnerServiceOptions {
  /** The runners as last collected (the engine snapshot's `runners`). */
  runners: () => readonly Runner[];
  /** One per GitLab instance; the GitLab sources implement it. */
  admins: readonly RunnerAdmin[];
  audit: AuditSink | null;
  /** Who confirms prunes made through this service, e.g. `user@host`. */
  who: string;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Only the process holding the state directory's lock prunes (`StateDirLock`). */
  gate?: ActionGate | null;
}

/**
 * Runners across instances and stale-runner pruning, as the API channels
 * `rw:runners:list`, `rw:runners:prune-preview` and `rw:runners:prune` serve them.
 * One prune runs at a time.
 */
export class RunnerService {
  private running = false;
  private readonly abort = new AbortController();

  constructor(private readonly options: RunnerServiceOptions) {}

  list(): Runner[] {
    return [...this.options.runners()];
  }

  preview(request: PrunePreviewRequest): PrunePreview {
    return previewPrune(this.options.runners(), this.options.admins, request.instance);
  }

  async prune(request: PruneRequest, signal?: AbortSignal): Promise<PruneReport> {
    await this.options.gate?.assertHeld();
    if (this.running)
      throw new RwError('conflict', 'a runner prune is already running; wait for it to finish');
    this.running = true;
    try {
      return await pruneRunners(request, {
        admins: this.options.admins,
        audit: this.options.audit,
        who: this.options.who,
        signal: signal ? AbortSignal.any([signal, this.abort.signal]) : this.abort.signal,
        ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
      });
    } finally {
      this.running = false;
    }
  }

  /** Stops a running prune after the runner in hand. */
  dispose(): void {
    this.abort.abort(new Error('runner service stopped'));
  }
}
