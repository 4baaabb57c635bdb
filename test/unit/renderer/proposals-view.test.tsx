import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createQueryClient } from '../../../renderer/api/query-client';
import { TransportError } from '../../../renderer/api/transport';
import { App } from '../../../renderer/App';
import { evidenceFacts, proposalHeadline } from '../../../renderer/api/reaper-text';
import type { InvokeChannel, RequestInputOf, ResponseOf } from '../../../shared/api';
import { Proposal, RecheckResult, type Proposal as ProposalT } from '../../../shared/proposal';
import { FakeTransport } from './fake-transport';
import { delta, machine, NOW, snapshot } from './fixtures';

class RecordingTransport extends FakeTransport {
  readonly requests: { channel: InvokeChannel; request: unknown }[] = [];
  override invoke<C extends InvokeChannel>(
    channel: C,
    request: RequestInputOf<C>,
  ): Promise<ResponseOf<C>> {
    this.requests.push({ channel, request });
    return super.invoke(channel, request);
  }
}

const info = {
  name: 'Runner Watch',
  version: '0.1.0',
  host: 'serve',
  demo: true,
  startedAt: NOW,
  warnings: [],
};

function proposal(name: string, overrides: Partial<ProposalT> = {}): ProposalT {
  return Proposal.parse({
    id: `p-${name}`,
    machineKey: `ci/${name}`,
    machineName: name,
    fleet: 'ci',
    rule: 'disk',
    action: 'hcloud-delete',
    evidence: {
      diskPct: 91,
      diskMount: '/var/lib/docker',
      samplesOver: 3,
      idleSinceMs: 7 * 60_000,
      runningContainers: 0,
      runningJobIds: [],
      ageMs: 3 * 3_600_000,
      observedAt: NOW - 1_000,
      thresholdPct: 60,
    },
    blocked: [],
    state: 'pending',
    createdAt: NOW - 120_000,
    summary: `Kill ${name} (disk 91 % on /var/lib/docker, idle 7 min)`,
    mode: 'notify',
    ...overrides,
  });
}

function renderProposals(transport: FakeTransport) {
  window.location.hash = '#proposals';
  transport.answer('rw:app:info', async () => info);
  render(<App transport={transport} queryClient={createQueryClient()} />);
}

const items = () => screen.queryAllByTestId('proposal');

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  window.location.hash = '';
});

describe('ProposalsView', () => {
  it('is the active tab when the hash says so, and loads from the snapshot', async () => {
    renderProposals(new FakeTransport());
    expect(screen.getByRole('link', { name: 'Proposals' }).getAttribute('aria-current')).toBe(
      'page',
    );
    expect(screen.getByRole('link', { name: 'Fleet' }).getAttribute('aria-current')).toBeNull();
    expect((await screen.findByTestId('state-loading')).textContent).toContain(
      "Loading the reaper's proposals",
    );
  });

  it('says how to reach Runner Watch when the snapshot fails', async () => {
    renderProposals(
      new FakeTransport().answer('rw:fleet:snapshot', () =>
        Promise.reject(new TransportError('unauthenticated', 'sign in')),
      ),
    );
    expect((await screen.findByTestId('state-auth')).textContent).toContain(
      'Open the URL with the token',
    );
  });

  it('lists each proposal with rule, evidence, state and every blocked reason', async () => {
    const proposals = [
      proposal('vm-a'),
      proposal('vm-b', {
        blocked: [
          'non-expendable job #5 (group/app: test) is running',
          'hourly budget spent (4 of 4 actions in the last hour)',
        ],
        evidence: { ...proposal('vm-b').evidence, runningJobIds: [5], runningContainers: 1 },
      }),
      proposal('vm-c', { state: 'dry-run', mode: 'dry-run' }),
      proposal('vm-d', { state: 'refused', lastResult: 'refused: a job started (#9)' }),
      proposal('vm-e', { state: 'done' }),
    ];
    renderProposals(
      new FakeTransport().answer('rw:fleet:snapshot', async () =>
        snapshot([machine('vm-a')], { proposals }),
      ),
    );
    await waitFor(() => expect(items()).toHaveLength(5));
    const states = items().map((el) => el.getAttribute('data-state'));
    expect(states).toEqual(['pending', 'blocked', 'dry-run', 'refused', 'done']);
    const a = items()[0]!;
    expect(a.textContent).toContain('91 % on /var/lib/docker (threshold 60 %)');
    expect(a.textContent).toContain('Over thresholdlast 3 samples in a row');
    expect(a.textContent).not.toContain('Samples over');
    expect(a.textContent).toContain('7 min');
    expect(a.textContent).toContain('0 job containers running');
    expect(a.textContent).toContain('Rule disk');
    expect(a.textContent).toContain('since 2 min ago');
    const b = items()[1]!;
    expect(within(b).getByTestId('blocked-reasons').textContent).toContain(
      'non-expendable job #5 (group/app: test) is running',
    );
    expect(within(b).getByTestId('blocked-reasons').textContent).toContain('hourly budget spent');
    expect(b.textContent).toContain('#5');
    expect(items()[3]!.textContent).toContain('Last attempt: refused: a job started (#9)');
    // "Kill…" for what a person may still confirm; none for done or dry-run.
    expect(screen.getByRole('button', { name: 'Kill vm-a…' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Kill vm-d…' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Kill vm-c…' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Kill vm-e…' })).toBeNull();
    expect(screen.getByTestId('proposal-count').textContent).toBe(
      '5 proposals, 1 ready to confirm',
    );
  });

  it('says there is nothing to do when no rule fires, and follows proposals from deltas', async () => {
    const transport = new FakeTransport().answer('rw:fleet:snapshot', async () =>
      snapshot([machine('vm-a')]),
    );
    renderProposals(transport);
    expect((await screen.findByTestId('no-proposals')).textContent).toContain(
      'No proposals for ci',
    );
    act(() => transport.emit(delta(2, { proposals: [proposal('vm-a')] })));
    await waitFor(() => expect(items()).toHaveLength(1));
    act(() => transport.emit(delta(3, { proposals: [] })));
    await waitFor(() => expect(items()).toHaveLength(0));
  });

  it('opens the confirm dialog from "Kill…", which re-checks that proposal', async () => {
    const transport = new RecordingTransport()
      .answer('rw:fleet:snapshot', async () =>
        snapshot([machine('vm-a')], { proposals: [proposal('vm-a')] }),
      )
      .answer('rw:reaper:recheck', async () =>
        RecheckResult.parse({
          machine: machine('vm-a'),
          proposal: proposal('vm-a'),
          executable: true,
        }),
      );
    renderProposals(transport);
    fireEvent.click(await screen.findByRole('button', { name: 'Kill vm-a…' }));
    expect(await screen.findByTestId('recheck-ok')).toBeTruthy();
    expect(transport.requests).toContainEqual({
      channel: 'rw:reaper:recheck',
      request: { proposalId: 'p-vm-a' },
    });
    fireEvent.keyDown(document.body, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('keeps the dialog and its result when a delta drops the proposal after the kill', async () => {
    const transport = new FakeTransport()
      .answer('rw:fleet:snapshot', async () =>
        snapshot([machine('vm-a')], { proposals: [proposal('vm-a')] }),
      )
      .answer('rw:reaper:recheck', async () =>
        RecheckResult.parse({
          machine: machine('vm-a'),
          proposal: proposal('vm-a'),
          executable: true,
        }),
      )
      .answer('rw:reaper:confirm', async () => ({
        proposalId: 'p-vm-a',
        outcome: 'ok',
        reasons: [],
        detail: 'deleted server 42',
      }))
      .answer('rw:audit:list', async () => []);
    renderProposals(transport);
    fireEvent.click(await screen.findByRole('button', { name: 'Kill vm-a…' }));
    await screen.findByTestId('recheck-ok');
    await waitFor(() => expect(transport.subscriberCount).toBe(1));
    fireEvent.click(screen.getByTestId('confirm-button'));
    await screen.findByTestId('confirm-result');
    act(() => transport.emit(delta(2, { proposals: [] })));
    await waitFor(() => expect(items()).toHaveLength(0));
    expect(screen.getByTestId('confirm-result').textContent).toContain('deleted server 42');
  });

  it('switches the mode; auto needs a second confirmation', async () => {
    const transport = new RecordingTransport()
      .answer('rw:fleet:snapshot', async () =>
        snapshot([machine('vm-a')], { proposals: [proposal('vm-a')] }),
      )
      .answer('rw:reaper:set-mode', async () => ({ fleet: 'ci', mode: 'dry-run' }))
      .answer('rw:audit:list', async () => []);
    renderProposals(transport);
    const select = (await screen.findByRole('combobox', {
      name: 'Reaper mode of ci',
    })) as HTMLSelectElement;
    expect(select.value).toBe('notify');

    fireEvent.change(select, { target: { value: 'auto' } });
    // Nothing is sent yet: the switch asks first, and the select still shows notify.
    expect(screen.getByTestId('auto-confirm').textContent).toContain(
      'Auto deletes machines in ci without asking anyone',
    );
    expect(transport.requests.filter((r) => r.channel === 'rw:reaper:set-mode')).toEqual([]);
    expect(select.value).toBe('notify');
    fireEvent.click(screen.getByRole('button', { name: 'Keep notify' }));
    expect(screen.queryByTestId('auto-confirm')).toBeNull();

    fireEvent.change(select, { target: { value: 'auto' } });
    fireEvent.click(screen.getByRole('button', { name: 'Switch to auto' }));
    await waitFor(() =>
      expect(transport.requests.filter((r) => r.channel === 'rw:reaper:set-mode')).toEqual([
        { channel: 'rw:reaper:set-mode', request: { fleet: 'ci', mode: 'auto' } },
      ]),
    );

    fireEvent.change(select, { target: { value: 'dry-run' } });
    await waitFor(() =>
      expect(transport.requests.filter((r) => r.channel === 'rw:reaper:set-mode')).toHaveLength(2),
    );
  });

  it('shows the mode of a fleet without proposals from its last audited switch', async () => {
    const transport = new RecordingTransport()
      .answer('rw:fleet:snapshot', async () => snapshot([machine('vm-a')]))
      .answer('rw:audit:list', async () => [
        {
          id: 'a2',
          at: NOW - 1_000,
          type: 'mode-switch',
          fleet: 'ci',
          machineKey: null,
          machineName: null,
          proposalId: null,
          rule: null,
          action: null,
          who: 'alice@desk',
          outcome: null,
          reasons: [],
          evidence: null,
          modeFrom: 'notify',
          modeTo: 'dry-run',
          detail: 'notify → dry-run',
        },
        {
          id: 'a1',
          at: NOW - 9_000,
          type: 'mode-switch',
          fleet: 'ci',
          machineKey: null,
          machineName: null,
          proposalId: null,
          rule: null,
          action: null,
          who: 'alice@desk',
          outcome: null,
          reasons: [],
          evidence: null,
          modeFrom: 'off',
          modeTo: 'notify',
          detail: 'off → notify',
        },
      ]);
    renderProposals(transport);
    const select = (await screen.findByRole('combobox', {
      name: 'Reaper mode of ci',
    })) as HTMLSelectElement;
    await waitFor(() => expect(select.value).toBe('dry-run'));
    expect(transport.requests).toContainEqual({
      channel: 'rw:audit:list',
      request: { limit: 500, filter: { type: 'mode-switch' } },
    });
  });

  it('says why a mode switch failed', async () => {
    renderProposals(
      new FakeTransport()
        .answer('rw:fleet:snapshot', async () => snapshot([machine('vm-a')]))
        .answer('rw:reaper:set-mode', () =>
          Promise.reject(new TransportError('refused', 'the reaper is not running in this host')),
        ),
    );
    const select = await screen.findByRole('combobox', { name: 'Reaper mode of ci' });
    // No proposal reported the mode yet.
    expect((select as HTMLSelectElement).value).toBe('');
    fireEvent.change(select, { target: { value: 'off' } });
    expect((await screen.findByText(/Mode not switched/)).textContent).toBe(
      'Mode not switched: the reaper is not running in this host',
    );
  });
});

describe('proposal headlines', () => {
  it('lead with what made the rule fire: idle time for idle proposals, disk for disk ones', () => {
    const idle = proposal('vm-i', {
      rule: 'idle',
      summary: 'Kill vm-i (disk 91 %, idle 7 min)',
    });
    expect(proposalHeadline(idle)).toBe('Kill vm-i (idle 7 min with no job)');
    expect(proposalHeadline(proposal('vm-d'))).toBe(
      'Kill vm-d (disk 91 % on /var/lib/docker, idle 7 min)',
    );
  });
  it('say what the idle time counts from when it was not watched (issue 9.7)', () => {
    const evidence = (over: Partial<ProposalT['evidence']>) =>
      proposal('vm-i', { rule: 'idle', evidence: { ...proposal('vm-i').evidence, ...over } });
    const byContainer = evidence({
      idleSinceMs: 50 * 60_000,
      idleSinceSource: 'container-exit',
      idleSinceJobId: 501,
    });
    expect(proposalHeadline(byContainer)).toBe(
      'Kill vm-i (idle 50 min with no job, since the container of job #501 stopped)',
    );
    expect(evidenceFacts(byContainer.evidence).find((f) => f.label === 'Idle for')?.text).toBe(
      '50 min, since the container of job #501 stopped',
    );
    const byGitlab = evidence({ idleSinceSource: 'gitlab-job', idleSinceJobId: 812 });
    expect(evidenceFacts(byGitlab.evidence).find((f) => f.label === 'Idle for')?.text).toBe(
      '7 min, since GitLab job #812 finished',
    );
    const anonymous = evidence({ idleSinceSource: 'container-exit', idleSinceJobId: null });
    expect(proposalHeadline(anonymous)).toBe(
      'Kill vm-i (idle 7 min with no job, since a job container stopped)',
    );
    const watched = evidence({ idleSinceSource: 'watched' });
    expect(proposalHeadline(watched)).toBe('Kill vm-i (idle 7 min with no job)');
    expect(evidenceFacts(watched.evidence).find((f) => f.label === 'Idle for')?.text).toBe(
      '7 min, as watched',
    );
  });
});
