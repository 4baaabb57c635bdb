import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rejectionOf } from '../../support/rejection';
import { Engine } from '../../../electron/core/engine';
import { redactor } from '../../../electron/core/errors/redact';
import { HcloudClient } from '../../../electron/core/sources/hcloud/client';
import { createHcloudSource } from '../../../electron/core/sources/hcloud/source';
import { HetznerSettings } from '../../../shared/settings';
import { HcloudSim } from '../../sim/hcloud-sim';

describe('Hetzner client and source against the simulator', () => {
  let sim: HcloudSim;
  let clock = 1_800_000_000_000;
  const now = () => clock;
  beforeEach(async () => {
    clock = 1_800_000_000_000;
    sim = await HcloudSim.start({
      now,
      deleteDelayMs: 1000,
      projects: [{ name: 'prod' }, { name: 'other' }],
    });
    redactor.register(sim.tokensOf('prod').token);
  });
  afterEach(async () => {
    await sim.dispose();
  });
  const client = (token = sim.tokensOf('prod').token) =>
    new HcloudClient({ apiUrl: sim.url, token, project: 'prod', now, timeoutMs: 2000 });

  it('lists every page of 50 with the label selector and name prefix', async () => {
    for (let i = 0; i < 130; i++) {
      sim.addServer('prod', {
        name: i % 3 === 0 ? `other-${i}` : `runner-x1y2z3w4-auto-scale-${i}`,
        labels: i % 5 === 0 ? { role: 'db' } : { role: 'ci' },
        publicIp: `127.0.5.${i + 1}`,
        privateIps: [`127.0.6.${i + 1}`],
      });
    }
    sim.addServer('other', {
      name: 'runner-x1y2z3w4-auto-scale-999',
      labels: { role: 'ci' },
      publicIp: '127.0.7.1',
    });
    const before = sim.requests.length;
    const all = await client().listServers();
    expect(all).toHaveLength(130);
    const pages = sim.requests.slice(before).map((r) => [r.query.page, r.query.per_page]);
    expect(pages).toEqual([
      ['1', '50'],
      ['2', '50'],
      ['3', '50'],
    ]);
    const ci = await client().listServers({
      labelSelector: 'role=ci',
      namePrefix: 'runner-x1y2z3w4-',
    });
    const expected = Array.from({ length: 130 }, (_, i) => i).filter(
      (i) => i % 3 !== 0 && i % 5 !== 0,
    );
    expect(ci.map((s) => s.name).sort()).toEqual(
      expected.map((i) => `runner-x1y2z3w4-auto-scale-${i}`).sort(),
    );
    expect(ci[0]?.public_net?.ipv4?.ip).toMatch(/^127\.0\.5\./);
  });

  it('says which project rejected its token, without the token', async () => {
    const error = await rejectionOf(client('not-a-valid-token-at-all').listServers());
    expect(error).toMatchObject({ code: 'unauthorized', status: 401 });
    expect(error.message).toMatch(/Hetzner project prod: the API token was rejected/);
    expect(error.message).not.toContain('not-a-valid-token');
  });

  it('maps a read-only token on delete to forbidden', async () => {
    const s = sim.addServer('prod', { name: 'runner-a', publicIp: '127.0.5.1' });
    await expect(
      client(sim.tokensOf('prod').readOnlyToken).deleteServer(s.id),
    ).rejects.toMatchObject({ code: 'forbidden', status: 403 });
  });

  it('deletes: action → success, then 404 once gone; 423 while locked', async () => {
    const a = sim.addServer('prod', { name: 'runner-a', publicIp: '127.0.5.1' });
    const b = sim.addServer('prod', { name: 'runner-b', publicIp: '127.0.5.2' });
    sim.lockServer(b.id);
    await expect(client().deleteServer(b.id)).rejects.toMatchObject({
      code: 'conflict',
      status: 423,
      hcloudCode: 'locked',
    });
    const action = await client().deleteServer(a.id);
    expect(action).toMatchObject({ command: 'delete_server', status: 'running' });
    clock += 1500;
    await expect(client().getAction(action.id)).resolves.toMatchObject({
      status: 'success',
      progress: 100,
    });
    await expect(client().deleteServer(a.id)).rejects.toMatchObject({
      code: 'not_found',
      status: 404,
    });
    await expect(client().getServer(a.id)).resolves.toBeNull();
    await expect(client().getServer(b.id)).resolves.toMatchObject({
      id: b.id,
      name: 'runner-b',
      status: 'running',
    });
  });

  it('answers 429 with retryAfterMs when the budget is spent, and paces when it runs low', async () => {
    sim.addServer('prod', { name: 'runner-a', publicIp: '127.0.5.1' });
    sim.setRateLimitRemaining(0, 'prod');
    const error = await rejectionOf(client().listServers());
    expect(error).toMatchObject({ code: 'rate_limited', status: 429 });
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(1000);
    // With little budget left the client waits between calls instead of burning it.
    sim.setRateLimitRemaining(10, 'prod');
    const slept: number[] = [];
    const paced = new HcloudClient({
      apiUrl: sim.url,
      token: sim.tokensOf('prod').token,
      project: 'prod',
      now,
      sleep: async (ms) => {
        slept.push(ms);
      },
    });
    await paced.listServers();
    await paced.listServers();
    expect(paced.rateLimit?.remaining).toBeLessThan(10);
    expect(slept.length).toBe(1);
    expect(slept[0]).toBeGreaterThan(0);
  });

  it('source: identity from the API, and a server gone from the provider is marked gone', async () => {
    const s = sim.addServer('prod', {
      name: 'runner-x1y2z3w4-auto-scale-1',
      labels: { role: 'ci' },
      publicIp: '127.0.5.9',
      privateIps: ['127.0.6.9'],
      serverType: 'cx32',
      status: 'initializing',
    });
    sim.addServer('prod', {
      name: 'runner-x1y2z3w4-auto-scale-2',
      labels: { role: 'ci' },
      publicIp: '127.0.5.10',
    });
    const settings = HetznerSettings.parse({
      id: 'prod',
      fleet: 'ci',
      token: { env: 'HC' },
      apiUrl: sim.url,
      labelSelector: 'role=ci',
    });
    const source = createHcloudSource({
      settings,
      secrets: { resolve: async () => sim.tokensOf('prod').token },
      now,
    });
    const engine = new Engine({ sources: [source], now });
    try {
      let snap = await engine.runOnce();
      const m = snap.machines.find((x) => x.name === 'runner-x1y2z3w4-auto-scale-1');
      expect(m).toMatchObject({
        key: 'ci/runner-x1y2z3w4-auto-scale-1',
        kind: 'autoscaled',
        provider: 'hetzner',
        providerId: String(s.id),
        serverType: 'cx32',
        addresses: ['127.0.5.9', '127.0.6.9'],
        providerStatus: 'initializing',
        labels: { role: 'ci' },
        status: { value: 'starting', observedAt: clock, source: 'hetzner:prod' },
      });
      sim.removeServer(s.id);
      clock += 30_000;
      snap = await engine.runOnce();
      expect(snap.machines.find((x) => x.name === 'runner-x1y2z3w4-auto-scale-1')).toMatchObject({
        status: { value: 'gone' },
        providerStatus: 'gone',
      });
      expect(
        snap.machines.find((x) => x.name === 'runner-x1y2z3w4-auto-scale-2')?.status.value,
      ).toBe('running');
      // A bad token: the source fails, says so, and names no token.
      const bad = createHcloudSource({
        settings,
        secrets: { resolve: async () => 'wrong-token-value-123' },
        now,
      });
      const engine2 = new Engine({ sources: [bad], now });
      const snap2 = await engine2.runOnce();
      expect(snap2.sources[0]).toMatchObject({
        state: 'failing',
        lastError: { code: 'unauthorized' },
      });
      expect(JSON.stringify(snap2)).not.toContain('wrong-token-value');
      await engine2.dispose();
    } finally {
      await engine.dispose();
    }
  });
});
