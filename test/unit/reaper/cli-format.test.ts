import { describe, expect, it } from 'vitest';
import { createApiHandlers } from '../../../electron/core/api';
import { Engine } from '../../../electron/core/engine';
import { formatAuditLine } from '../../../electron/cli/commands/audit';
import { formatProposals } from '../../../electron/cli/commands/reap';
import { fleetSettings } from './fixtures';
import { repeat, runPolicy } from './harness';

describe('reap text output', () => {
  it('says READY / BLOCKED and lists every reason under the proposal', () => {
    const { proposals } = runPolicy({
      fleets: [fleetSettings('ci', { minFleetSize: 0 })],
      ticks: repeat(3, [
        { name: 'vm-a', disk: 90 },
        { name: 'vm-b', disk: 90, gitlab: null },
      ]),
    });
    const lines = formatProposals(proposals);
    expect(lines.find((l) => l.includes('vm-a'))).toMatch(
      /^READY\s+ci\/vm-a\s+disk → hcloud-delete\s+Kill vm-a/,
    );
    const b = lines.findIndex((l) => l.includes('vm-b'));
    expect(lines[b]).toMatch(/^BLOCKED/);
    expect(lines[b + 1]).toMatch(/^\s+- GitLab job state unknown/);
  });

  it('says so when nothing fires', () => {
    expect(formatProposals([])).toEqual(['no proposals: no rule fires on any machine']);
  });
});

describe('audit text output', () => {
  it('one line with time, type, machine, outcome, who and reasons', () => {
    const line = formatAuditLine({
      id: 'r1',
      at: Date.UTC(2026, 0, 1),
      type: 'refusal',
      fleet: 'ci',
      machineKey: 'ci/vm',
      machineName: 'vm',
      proposalId: 'p-1',
      rule: 'disk',
      action: 'hcloud-delete',
      who: 'alice@ws1',
      outcome: 'refused',
      reasons: ['job #5 started'],
      evidence: null,
      modeFrom: null,
      modeTo: null,
      detail: null,
    });
    expect(line).toBe(
      '2026-01-01T00:00:00.000Z  refusal      ci/vm disk hcloud-delete  refused  by alice@ws1  [job #5 started]',
    );
  });
});

describe('reaper channels without a reaper in the host', () => {
  const handlers = createApiHandlers({
    engine: new Engine({ sources: [] }),
    info: {
      name: 'Runner Watch',
      version: 't',
      host: 'serve',
      demo: false,
      startedAt: 0,
      warnings: [],
    },
  });
  it('proposals and audit read empty; commands are refused with a clear reason', async () => {
    expect(await handlers['rw:reaper:proposals']({})).toEqual([]);
    expect(await handlers['rw:audit:list']({ limit: 5, filter: {} })).toEqual([]);
    await expect(handlers['rw:reaper:confirm']({ proposalId: 'p-1' })).rejects.toThrow(
      /reaper is not running in this host/,
    );
    await expect(
      handlers['rw:reaper:set-mode']({ fleet: 'ci', mode: 'auto' }),
    ).rejects.toMatchObject({ code: 'refused' });
  });
});
