import { AuditRecord } from '../../../shared/audit';
import type { Machine } from '../../../shared/machine';
import type { Proposal, ReaperMode } from '../../../shared/proposal';
import type { FleetSettings } from '../../../shared/settings';
import {
  auditRecordOf,
  type AuditInput,
  type AuditSink,
} from '../../../electron/core/audit/audit-log';
import type { ActionRunner } from '../../../electron/core/reaper/actions/action';
import type {
  HcloudActionState,
  HcloudDeleteApi,
} from '../../../electron/core/reaper/actions/hcloud-delete';
import { HcloudDeleteAction } from '../../../electron/core/reaper/actions/hcloud-delete';
import { Executor, type ExecutionResult } from '../../../electron/core/reaper/executor';
import { History } from '../../../electron/core/reaper/history';
import { KillLedger } from '../../../electron/core/reaper/ledger';
import type { IdentityFacts } from '../../../electron/core/reaper/identity';
import type { OrphanFacts } from '../../../electron/core/reaper/orphans';
import { evaluate } from '../../../electron/core/reaper/policy';
import { emptyState, type ReaperState } from '../../../electron/core/reaper/state-store';
import { machine, type MachineSpec } from './fixtures';

/** Start of every scenario's clock. */
export const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
export const INTERVAL = 30_000;

/** A fleet seen over several collection cycles. */
export interface Scenario {
  fleets: FleetSettings[];
  /** The machines at each cycle; a function gets the cycle index. */
  ticks: MachineSpec[][];
  /** Time of each cycle; default T0 + i × 30 s. */
  times?: number[];
  /** When the policy runs; default the last cycle's time. */
  evalAt?: number;
  killsInLastHour?: Record<string, number>;
  modes?: Record<string, ReaperMode>;
  busy?: string[];
  /** SSH hosts, runner managers and inventory filters the policy knows. */
  identity?: IdentityFacts;
  /** Runner managers' machine lists and prices (the orphan rule). */
  orphans?: OrphanFacts;
}

/** Repeats the same machines for `n` cycles. */
export function repeat(n: number, machines: MachineSpec[]): MachineSpec[][] {
  return Array.from({ length: n }, () => machines);
}

/** Feeds every cycle into a history and evaluates the policy at the end. */
export function runPolicy(scenario: Scenario): {
  proposals: Proposal[];
  byName: Map<string, Proposal>;
  history: History;
  now: number;
  machines: Machine[];
} {
  const history = new History();
  let machines: Machine[] = [];
  let last = T0;
  scenario.ticks.forEach((specs, i) => {
    const at = scenario.times?.[i] ?? T0 + i * INTERVAL;
    last = at;
    machines = specs.map((spec) => machine(spec, at));
    history.ingest(machines, scenario.fleets);
  });
  const now = scenario.evalAt ?? last;
  const proposals = evaluate({
    machines,
    history,
    fleets: scenario.fleets,
    killsInLastHour: new Map(Object.entries(scenario.killsInLastHour ?? {})),
    now,
    modes: new Map(Object.entries(scenario.modes ?? {})),
    busy: new Set(scenario.busy ?? []),
    ...(scenario.identity ? { identity: scenario.identity } : {}),
    ...(scenario.orphans ? { orphans: scenario.orphans } : {}),
  });
  return {
    proposals,
    byName: new Map(proposals.map((p) => [p.machineName, p])),
    history,
    now,
    machines,
  };
}

/** An audit sink in memory that validates every record against the shared schema. */
export class MemoryAudit implements AuditSink {
  readonly records: AuditRecord[] = [];
  private n = 0;
  async append(input: AuditInput): Promise<AuditRecord> {
    const record = AuditRecord.parse(auditRecordOf(input, `r${++this.n}`, 0));
    this.records.push(record);
    return record;
  }
  types(): string[] {
    return this.records.map((r) => r.type);
  }
}

/** How the fake Hetzner answers successive DELETE calls. */
export type DeleteReply = 'ok' | '404' | '423' | '500' | '401';

/** A fake Hetzner API: scripted DELETE replies, actions that succeed after `actionPolls` polls. */
export class FakeHcloud implements HcloudDeleteApi {
  readonly deleteCalls: number[] = [];
  readonly deleted = new Set<number>();
  readonly servers = new Map<number, string>();
  private actions = new Map<number, { server: number; polls: number }>();
  private nextAction = 1;
  constructor(
    private script: DeleteReply[] = [],
    private readonly actionPolls = 1,
    /** Called on each delete so a test can check the world at the moment of the kill. */
    private readonly onDelete?: (id: number) => void,
  ) {}

  private fail(status: number, code: string): never {
    throw Object.assign(new Error(`HTTP ${status} ${code}`), {
      status,
      code: status === 404 ? 'not_found' : 'remote_error',
    });
  }

  async deleteServer(id: number): Promise<HcloudActionState> {
    this.deleteCalls.push(id);
    const reply = this.script.shift() ?? 'ok';
    if (reply === '404' || (this.servers.has(id) === false && this.deleted.has(id)))
      this.fail(404, 'not_found');
    if (reply === '423') this.fail(423, 'locked');
    if (reply === '500') this.fail(500, 'server_error');
    if (reply === '401') this.fail(401, 'unauthorized');
    this.onDelete?.(id);
    this.servers.set(id, 'deleting');
    const action = this.nextAction++;
    this.actions.set(action, { server: id, polls: this.actionPolls });
    return { id: action, status: 'running', error: null };
  }

  async getAction(id: number): Promise<HcloudActionState> {
    const action = this.actions.get(id);
    if (!action) this.fail(404, 'not_found');
    action.polls -= 1;
    if (action.polls <= 0) {
      this.servers.delete(action.server);
      this.deleted.add(action.server);
      return { id, status: 'success', error: null };
    }
    return { id, status: 'running', error: null };
  }

  async getServer(id: number): Promise<{ status: string } | null> {
    const status = this.servers.get(id);
    return status === undefined ? null : { status };
  }
}

/** No real waiting in unit tests: sleeps resolve at once but still honour abort. */
export const noSleep = async (_ms: number, signal?: AbortSignal) => {
  if (signal?.aborted) throw signal.reason;
};

/** An executor over a scenario's last cycle, a fake Hetzner and a scripted re-check. */
export function executorFor(
  scenario: Scenario,
  options: {
    hcloud?: FakeHcloud;
    recheck?: (key: string) => Promise<Machine>;
    actions?: Record<string, ActionRunner>;
    state?: ReaperState;
    now?: () => number;
    ledgerClock?: () => number;
  } = {},
) {
  const run = runPolicy(scenario);
  const audit = new MemoryAudit();
  const hcloud = options.hcloud ?? new FakeHcloud();
  const state = options.state ?? emptyState();
  const ledger = new KillLedger(state.ledger, options.ledgerClock ?? (() => 0));
  let now = run.now;
  const clock = options.now ?? (() => now);
  const executor = new Executor({
    recheck:
      options.recheck ??
      (async (key) => {
        const found = run.machines.find((m) => m.key === key);
        if (!found) throw new Error('no such machine');
        return found;
      }),
    context: () => ({
      machines: run.machines,
      fleets: scenario.fleets,
      ...(scenario.identity ? { identity: scenario.identity } : {}),
    }),
    history: run.history,
    ledger,
    actions: {
      'hcloud-delete': new HcloudDeleteAction({ api: hcloud, sleep: noSleep, random: () => 0.5 }),
      ...options.actions,
    },
    audit,
    state,
    store: null,
    now: clock,
  });
  return {
    ...run,
    audit,
    hcloud,
    state,
    ledger,
    executor,
    advance(ms: number) {
      now += ms;
    },
    /** Confirms the proposal of the named machine as a person would. */
    async confirm(
      name: string,
      who = 'alice@ws1',
      options: { acknowledgeUnknownJobState?: boolean } = {},
    ): Promise<ExecutionResult> {
      const proposal = run.byName.get(name);
      if (!proposal) throw new Error(`no proposal for ${name}`);
      return executor.execute(proposal, who, options);
    },
  };
}
