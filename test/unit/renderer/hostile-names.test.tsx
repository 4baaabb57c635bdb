import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createQueryClient } from '../../../renderer/api/query-client';
import { App } from '../../../renderer/App';
import { AuditRecord } from '../../../shared/audit';
import { Proposal } from '../../../shared/proposal';
import { Runner } from '../../../shared/runner';
import { FakeTransport } from './fake-transport';
import { job, machine, NOW, seen, snapshot, source } from './fixtures';

/*
 * Names and texts that come from remote systems (machine and runner names, job names,
 * refs, users, error messages, audit details) rendered in every view: they must show as
 * text, never become markup, and a job link is only ever http(s).
 */
const HOSTILE = [
  '<img src=x onerror="window.__pwned=1">',
  '<script>window.__pwned=2</script>',
  '"><svg onload="window.__pwned=3">',
  "'; alert(1); '",
  '{{constructor.constructor("window.__pwned=4")()}}',
  'runner-\u202egnp.exe',
  'ünïcödé-日本-🚀\nsecond line',
];
const NAME = HOSTILE[0]!;

const info = {
  name: 'Runner Watch',
  version: '0.1.0',
  host: 'serve',
  demo: false,
  startedAt: NOW,
  warnings: [HOSTILE[1]!],
};

const machines = HOSTILE.map((name, i) =>
  machine(name, {
    key: `ci/${name}`,
    jobs: seen([
      {
        ...job(100 + i, HOSTILE[(i + 1) % HOSTILE.length]!, HOSTILE[(i + 2) % HOSTILE.length]!),
        jobUrl: i % 2 ? 'javascript:window.__pwned=5' : `data:text/html,${HOSTILE[1]!}`,
        ref: HOSTILE[(i + 3) % HOSTILE.length]!,
        user: HOSTILE[(i + 4) % HOSTILE.length]!,
      },
    ]),
    disks: { ...seen(null), error: HOSTILE[2]! },
  }),
);

const runners = HOSTILE.map((description, i) =>
  Runner.parse({
    key: `gl/${i + 1}`,
    instance: HOSTILE[3]!,
    id: i + 1,
    description,
    status: 'stale',
    paused: false,
    runnerType: 'instance_type',
    version: HOSTILE[4]!,
    tags: [HOSTILE[5]!],
    contactedAt: NOW - 30 * 86_400_000,
    managers: [],
    staleReason: HOSTILE[(i + 1) % HOSTILE.length]!,
    runningJobs: 0,
  }),
);

const proposals = HOSTILE.map((name, i) =>
  Proposal.parse({
    id: `p-${i}`,
    machineKey: `ci/${name}`,
    machineName: name,
    fleet: 'ci',
    rule: 'disk',
    action: 'hcloud-delete',
    evidence: {
      diskPct: 91,
      diskMount: HOSTILE[(i + 1) % HOSTILE.length]!,
      samplesOver: 3,
      idleSinceMs: 60_000,
      runningContainers: 0,
      runningJobIds: [],
      ageMs: 3_600_000,
      observedAt: NOW - 1_000,
      thresholdPct: 60,
    },
    blocked: i % 2 ? [HOSTILE[2]!] : [],
    state: 'pending',
    createdAt: NOW - 120_000,
    summary: HOSTILE[(i + 2) % HOSTILE.length]!,
    mode: 'notify',
  }),
);

const audit = HOSTILE.map((text, i) =>
  AuditRecord.parse({
    id: `r${i}`,
    at: NOW - 60_000 - i,
    type: 'refusal',
    fleet: 'ci',
    machineKey: `ci/${text}`,
    machineName: text,
    proposalId: `p-${i}`,
    rule: 'disk',
    action: 'hcloud-delete',
    who: HOSTILE[(i + 1) % HOSTILE.length]!,
    outcome: 'refused',
    reasons: [HOSTILE[(i + 2) % HOSTILE.length]!],
    evidence: null,
    modeFrom: null,
    modeTo: null,
    detail: HOSTILE[(i + 3) % HOSTILE.length]!,
  }),
);

function transport(): FakeTransport {
  return new FakeTransport()
    .answer('rw:app:info', async () => info)
    .answer('rw:fleet:snapshot', async () =>
      snapshot(machines, {
        runners,
        proposals,
        sources: [
          source('hetzner:ci', {
            label: HOSTILE[1]!,
            state: 'failing',
            lastError: { code: 'remote_error', message: HOSTILE[0]! },
          }),
        ],
      }),
    )
    .answer('rw:audit:list', async () => audit)
    .answer('rw:runners:prune-preview', async () => ({
      candidates: [],
      blocked: [{ instance: HOSTILE[3]!, reason: HOSTILE[0]! }],
    }));
}

/** Nothing hostile became markup, and no hostile handler ran. */
function expectInert(): void {
  const root = document.body;
  expect(root.querySelectorAll('script').length).toBe(0);
  expect(root.querySelectorAll('img, svg[onload], [onerror], [onload]').length).toBe(0);
  for (const a of root.querySelectorAll('a[href]')) {
    const href = a.getAttribute('href') ?? '';
    expect(href, a.outerHTML).toMatch(/^(#|https?:\/\/)/);
  }
  expect((window as unknown as { __pwned?: unknown }).__pwned).toBeUndefined();
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
  window.location.hash = '';
});

describe('hostile names in every view', () => {
  it('fleet: names, jobs, errors and the details panel show as text; job links only http(s)', async () => {
    render(<App transport={transport()} queryClient={createQueryClient()} />);
    await waitFor(() => expect(screen.getAllByTestId('machine-row')).toHaveLength(HOSTILE.length));
    expect(screen.getAllByTestId('machine-name').map((el) => el.textContent)).toContain(NAME);
    for (const row of screen.getAllByTestId('machine-row')) {
      fireEvent.click(row);
      fireEvent.keyDown(row, { key: 'Enter' });
      expectInert();
    }
    // the details panel with its job list was open (where job links are drawn)
    expect(document.querySelector('.job-list')).not.toBeNull();
    expect(document.body.textContent).toContain(NAME);
    expectInert();
  });

  it.each(['#proposals', '#runners', '#audit'])('%s: shows the texts literally', async (hash) => {
    window.location.hash = hash;
    render(<App transport={transport()} queryClient={createQueryClient()} />);
    await waitFor(() => expect(document.body.textContent).toContain(NAME));
    for (const button of screen.queryAllByRole('button')) {
      if (/kill|confirm|remove|delete/i.test(button.textContent ?? '')) continue;
      fireEvent.click(button);
    }
    expectInert();
  });
});
