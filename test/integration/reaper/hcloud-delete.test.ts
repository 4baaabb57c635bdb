import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HcloudClient } from '../../../electron/core/sources/hcloud/client';
import { redactor } from '../../../electron/core/errors/redact';
import type { ActionContext } from '../../../electron/core/reaper/actions/action';
import {
  fetchServerStatus,
  HcloudDeleteAction,
  type HcloudDeleteApi,
} from '../../../electron/core/reaper/actions/hcloud-delete';
import type { InFlightAction } from '../../../electron/core/reaper/state-store';
import { HcloudSim } from '../../sim/hcloud-sim';
import { machine } from '../../unit/reaper/fixtures';

let sim: HcloudSim;
let token: string;

beforeEach(async () => {
  sim = await HcloudSim.start({ deleteDelayMs: 40 });
  token = sim.tokensOf().token;
  redactor.register(token);
});
afterEach(async () => {
  await sim.dispose();
});

function api(withToken = token): HcloudDeleteApi {
  const client = new HcloudClient({
    apiUrl: sim.url,
    token: withToken,
    project: 'default',
    timeoutMs: 5_000,
  });
  return {
    deleteServer: (id, signal) => client.deleteServer(id, signal),
    getAction: (id, signal) => client.getAction(id, signal),
    getServer: fetchServerStatus({ apiUrl: sim.url, token: withToken }),
  };
}

function action(hooks: { api?: HcloudDeleteApi; onSleep?: (n: number) => void } = {}) {
  let sleeps = 0;
  return new HcloudDeleteAction({
    api: hooks.api ?? api(),
    lockedDelayMs: 10,
    lockedRetries: 3,
    serverErrorRetries: 3,
    backoff: { baseMs: 5, maxMs: 20, jitter: 0 },
    pollIntervalMs: 10,
    sleep: async (ms, signal) => {
      hooks.onSleep?.(++sleeps);
      await new Promise((r) => setTimeout(r, ms));
      if (signal?.aborted) throw signal.reason;
    },
  });
}

function inFlightFor(id: number, hcloudActionId: number | null = null): InFlightAction {
  return {
    proposalId: 'p-x',
    machineKey: 'ci/vm',
    machineName: 'vm',
    fleet: 'ci',
    rule: 'disk',
    action: 'hcloud-delete',
    providerId: String(id),
    providerSource: null,
    startedAt: Date.now(),
    who: 'test',
    hcloudActionId,
    step: 'starting',
  };
}

function context(id: number): ActionContext & { steps: string[] } {
  const inFlight = inFlightFor(id);
  const steps: string[] = [];
  return {
    machine: { ...machine({ name: 'vm' }, Date.now()), providerId: String(id) },
    inFlight,
    signal: new AbortController().signal,
    stepTimeoutMs: 5_000,
    steps,
    progress: async (patch) => {
      Object.assign(inFlight, patch);
      steps.push(inFlight.step);
    },
  };
}

const deletes = () => sim.requests.filter((r) => r.method === 'DELETE').length;

describe('hcloud-delete against the Hetzner simulator', () => {
  it('deletes the server and follows the action to success', async () => {
    const server = sim.addServer('default', { name: 'runner-a', publicIp: '127.0.10.1' });
    const ctx = context(server.id);
    const detail = await action().run(ctx);
    expect(detail).toMatch(new RegExp(`server ${server.id} deleted \\(action \\d+\\)`));
    expect(sim.list().map((s) => s.id)).not.toContain(server.id);
    expect(ctx.inFlight.hcloudActionId).toBeGreaterThan(0);
    expect(sim.requests.some((r) => r.method === 'GET' && r.path.startsWith('/v1/actions/'))).toBe(
      true,
    );
  });

  it('treats 404 (already gone) as success without retrying', async () => {
    const detail = await action().run(context(987_654));
    expect(detail).toMatch(/already gone \(404\)/);
    expect(deletes()).toBe(1);
  });

  it('waits while the server is locked (423) and succeeds once it is free', async () => {
    const server = sim.addServer('default', { name: 'runner-b', publicIp: '127.0.10.2' });
    sim.lockServer(server.id);
    const detail = await action({ onSleep: (n) => n === 2 && sim.unlockServer(server.id) }).run(
      context(server.id),
    );
    expect(detail).toMatch(/deleted/);
    expect(sim.requests.filter((r) => r.method === 'DELETE').map((r) => r.status)).toEqual([
      423, 423, 200,
    ]);
  });

  it('gives up on a lock that lasts, and says so', async () => {
    const server = sim.addServer('default', { name: 'runner-c', publicIp: '127.0.10.3' });
    sim.lockServer(server.id);
    await expect(action().run(context(server.id))).rejects.toThrow(/still locked after 3 retries/);
    expect(deletes()).toBe(4);
    expect(sim.list().map((s) => s.id)).toContain(server.id);
  });

  it('retries 500 with backoff, then reports the failure', async () => {
    const server = sim.addServer('default', { name: 'runner-d', publicIp: '127.0.10.4' });
    sim.failNext(10, 500);
    const error = await action()
      .run(context(server.id))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'remote_error' });
    expect(String((error as Error).message)).toMatch(/failed after 4 attempts/);
    expect(deletes()).toBe(4);
  });

  it('succeeds after a 503 burst', async () => {
    const server = sim.addServer('default', { name: 'runner-e', publicIp: '127.0.10.5' });
    sim.failNext(2, 503);
    await action().run(context(server.id));
    expect(sim.list().map((s) => s.id)).not.toContain(server.id);
  });

  it('a read-only token gets 403: not retried, and the token is not in the message', async () => {
    const server = sim.addServer('default', { name: 'runner-f', publicIp: '127.0.10.6' });
    const readOnly = sim.tokensOf().readOnlyToken;
    redactor.register(readOnly);
    const error = await action({ api: api(readOnly) })
      .run(context(server.id))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'forbidden' });
    expect(deletes()).toBe(1);
    expect(String((error as Error).message)).not.toContain(readOnly);
    expect(JSON.stringify(error)).not.toContain(token);
  });

  it('refuses a provider id that is not a server id', async () => {
    const ctx = context(1);
    ctx.inFlight.providerId = '1; rm -rf /';
    await expect(action().run(ctx)).rejects.toThrow(/not a Hetzner server id/);
    expect(deletes()).toBe(0);
  });

  describe('recovery after a restart', () => {
    it('server gone: completed, no new DELETE', async () => {
      const outcome = await action().recover(
        inFlightFor(424_242),
        new AbortController().signal,
        5_000,
      );
      expect(outcome).toEqual({ completed: true, detail: 'server 424242 is gone' });
      expect(deletes()).toBe(0);
    });

    it('delete started before the crash: the action is followed to success, never repeated', async () => {
      const server = sim.addServer('default', { name: 'runner-g', publicIp: '127.0.10.7' });
      const started = await api().deleteServer(server.id);
      const before = deletes();
      const outcome = await action().recover(
        inFlightFor(server.id, started.id),
        new AbortController().signal,
        5_000,
      );
      expect(outcome.completed).toBe(true);
      expect(deletes()).toBe(before);
    });

    it('server still running: reported, not repeated', async () => {
      const server = sim.addServer('default', { name: 'runner-h', publicIp: '127.0.10.8' });
      const outcome = await action().recover(
        inFlightFor(server.id),
        new AbortController().signal,
        5_000,
      );
      expect(outcome.completed).toBe(false);
      expect(outcome.detail).toMatch(/still exists \(status running\)/);
      expect(deletes()).toBe(0);
      expect(sim.list().map((s) => s.id)).toContain(server.id);
    });
  });
});
