import { QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createQueryClient } from '../../../renderer/api/query-client';
import { TransportError } from '../../../renderer/api/transport';
import { TransportProvider } from '../../../renderer/api/TransportProvider';
import { ConfirmKillDialog } from '../../../renderer/components/ConfirmKillDialog';
import {
  confirmableByMachine,
  KillButton,
  KillDialogProvider,
} from '../../../renderer/components/KillDialogProvider';
import type { InvokeChannel, RequestInputOf, ResponseOf } from '../../../shared/api';
import {
  ExecutionResult,
  Proposal,
  RecheckResult,
  type Proposal as ProposalT,
} from '../../../shared/proposal';
import { FakeTransport } from './fake-transport';
import { disk, machine, NOW, seen } from './fixtures';

/** Records every request as well, so a test can say what the dialog asked for. */
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

const vm = machine('runner-abc-auto-scale-1-aaaa', {
  providerId: '123',
  seenBy: ['hetzner:sim-hcloud', 'ssh:probe'],
  disks: seen([disk('/', 92)]),
});

function proposal(overrides: Partial<ProposalT> = {}): ProposalT {
  return Proposal.parse({
    id: 'p-1',
    machineKey: vm.key,
    machineName: vm.name,
    fleet: 'ci',
    rule: 'disk',
    action: 'hcloud-delete',
    evidence: {
      diskPct: 92,
      diskMount: '/',
      samplesOver: 4,
      idleSinceMs: 12 * 60_000,
      runningContainers: 0,
      runningJobIds: [],
      ageMs: 2 * 3_600_000,
      observedAt: NOW - 2_000,
      thresholdPct: 60,
    },
    blocked: [],
    state: 'pending',
    createdAt: NOW - 60_000,
    summary: `Kill ${vm.name} (disk 92 % on /, idle 12 min)`,
    mode: 'notify',
    ...overrides,
  });
}

function recheck(fresh: ProposalT | null, executable: boolean) {
  return RecheckResult.parse({ machine: vm, proposal: fresh, executable });
}

/** A promise the test resolves when it wants the answer to arrive. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function renderDialog(transport: FakeTransport, opened = proposal()) {
  const onClose = vi.fn();
  const client = createQueryClient();
  render(
    <QueryClientProvider client={client}>
      <TransportProvider transport={transport}>
        <button type="button">outside</button>
        <ConfirmKillDialog proposal={opened} now={NOW} onClose={onClose} />
      </TransportProvider>
    </QueryClientProvider>,
  );
  return { onClose, client };
}

const confirmButton = () => screen.getByTestId('confirm-button') as HTMLButtonElement;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('ConfirmKillDialog', () => {
  it('re-checks on open with a spinner, then shows the fresh evidence and enables confirm', async () => {
    const answer = deferred<unknown>();
    const transport = new RecordingTransport().answer('rw:reaper:recheck', () => answer.promise);
    renderDialog(transport);
    expect(screen.getByRole('dialog').getAttribute('aria-modal')).toBe('true');
    expect(screen.getByRole('dialog', { name: `Kill ${vm.name}?` })).toBeTruthy();
    expect(screen.getByTestId('rechecking').textContent).toContain('Re-checking');
    expect(confirmButton().disabled).toBe(true);
    // While re-checking, the action says so instead of "server of unknown id … project unknown".
    expect(screen.getByTestId('action-text').textContent).toBe(
      `Delete the Hetzner server of ${vm.name}: checking…`,
    );
    expect(transport.requests).toEqual([
      { channel: 'rw:reaper:recheck', request: { proposalId: 'p-1' } },
    ]);

    // The fresh reading says 95 %, not the 92 % the list showed.
    const fresh = proposal({ evidence: { ...proposal().evidence, diskPct: 95, samplesOver: 5 } });
    await act(async () => answer.resolve(recheck(fresh, true)));
    await screen.findByTestId('recheck-ok');
    const evidence = screen.getByTestId('fresh-evidence');
    expect(evidence.textContent).toContain('95 % on / (threshold 60 %)');
    expect(evidence.textContent).toContain('0 job containers running');
    expect(screen.queryByTestId('rechecking')).toBeNull();
    expect(screen.getByTestId('recheck-ok')).toBeTruthy();
    expect(confirmButton().disabled).toBe(false);
    expect(screen.getByTestId('action-text').textContent).toBe(
      `DELETE server 123 (${vm.name}) in Hetzner project sim-hcloud`,
    );
    expect(screen.getByRole('dialog').textContent).toContain('Rule: disk');
  });

  it('disables confirm and lists every reason when the fresh check is blocked', async () => {
    const blocked = proposal({
      blocked: ['non-expendable job #77 (group/app: build) is running', 'hourly budget spent'],
    });
    renderDialog(
      new FakeTransport().answer('rw:reaper:recheck', async () => recheck(blocked, false)),
    );
    const problems = await screen.findByTestId('recheck-problems');
    expect(problems.textContent).toContain(
      'blocked: non-expendable job #77 (group/app: build) is running',
    );
    expect(problems.textContent).toContain('blocked: hourly budget spent');
    expect(confirmButton().disabled).toBe(true);
  });

  it('disables confirm when the fresh proposal differs from the one opened', async () => {
    const other = proposal({ id: 'p-2', rule: 'idle', summary: 'Kill it (idle 30 min)' });
    renderDialog(
      new FakeTransport().answer('rw:reaper:recheck', async () => recheck(other, false)),
    );
    expect((await screen.findByTestId('recheck-problems')).textContent).toContain(
      'the fresh check made a different proposal (idle: Kill it (idle 30 min))',
    );
    expect(confirmButton().disabled).toBe(true);
  });

  it('says nothing is left to do when no rule fires any more', async () => {
    renderDialog(new FakeTransport().answer('rw:reaper:recheck', async () => recheck(null, false)));
    expect((await screen.findByTestId('recheck-problems')).textContent).toContain(
      'no rule fires on this machine any more',
    );
    expect(confirmButton().disabled).toBe(true);
  });

  it('shows a failed re-check and keeps confirm disabled', async () => {
    renderDialog(
      new FakeTransport().answer('rw:reaper:recheck', () =>
        Promise.reject(new TransportError('timeout', 're-check timed out')),
      ),
    );
    expect((await screen.findByTestId('recheck-error')).textContent).toContain(
      'The re-check failed: re-check timed out',
    );
    expect(confirmButton().disabled).toBe(true);
  });

  it('confirms once and shows the result: done', async () => {
    const transport = new RecordingTransport()
      .answer('rw:reaper:recheck', async () => recheck(proposal(), true))
      .answer('rw:reaper:confirm', async () =>
        ExecutionResult.parse({
          proposalId: 'p-1',
          outcome: 'ok',
          reasons: [],
          detail: 'deleted server 123',
        }),
      );
    renderDialog(transport);
    await waitFor(() => expect(confirmButton().disabled).toBe(false));
    fireEvent.click(confirmButton());
    const result = await screen.findByTestId('confirm-result');
    expect(result.getAttribute('data-outcome')).toBe('ok');
    expect(result.textContent).toContain('Done.');
    expect(result.textContent).toContain('deleted server 123');
    expect(result.textContent).toContain('The Audit view has the record.');
    // No second confirm from the same dialog.
    expect(confirmButton().disabled).toBe(true);
    expect(transport.requests.filter((r) => r.channel === 'rw:reaper:confirm')).toEqual([
      { channel: 'rw:reaper:confirm', request: { proposalId: 'p-1' } },
    ]);
    // The focus stays in the dialog, on Close.
    expect(document.activeElement?.textContent).toBe('Close');
  });

  it('an unreachable machine needs the acknowledgement that its job state is unknown, which the request carries', async () => {
    const unreachable = proposal({
      rule: 'unreachable',
      acknowledge: 'unknown-job-state',
      summary: `Kill ${vm.name} (unreachable)`,
    });
    const transport = new RecordingTransport()
      .answer('rw:reaper:recheck', async () => recheck(unreachable, true))
      .answer('rw:reaper:confirm', async () =>
        ExecutionResult.parse({ proposalId: 'p-1', outcome: 'ok', reasons: [], detail: 'deleted' }),
      );
    renderDialog(transport, unreachable);
    await screen.findByTestId('recheck-ok');
    // Fresh check passed, but nothing happens without the person's acknowledgement.
    expect(confirmButton().disabled).toBe(true);
    const box = screen.getByRole('checkbox', { name: /the job state on the machine is unknown/ });
    fireEvent.click(box);
    expect(confirmButton().disabled).toBe(false);
    fireEvent.click(confirmButton());
    await screen.findByTestId('confirm-result');
    expect(transport.requests.filter((r) => r.channel === 'rw:reaper:confirm')).toEqual([
      {
        channel: 'rw:reaper:confirm',
        request: { proposalId: 'p-1', acknowledgeUnknownJobState: true },
      },
    ]);
  });

  it('shows a refusal with every reason', async () => {
    renderDialog(
      new FakeTransport()
        .answer('rw:reaper:recheck', async () => recheck(proposal(), true))
        .answer('rw:reaper:confirm', async () =>
          ExecutionResult.parse({
            proposalId: 'p-1',
            outcome: 'refused',
            reasons: ['a job started: #88', 'disk dropped to 40 %'],
            detail: null,
          }),
        ),
    );
    await waitFor(() => expect(confirmButton().disabled).toBe(false));
    fireEvent.click(confirmButton());
    const result = await screen.findByTestId('confirm-result');
    expect(result.getAttribute('data-outcome')).toBe('refused');
    expect(result.textContent).toContain('Refused — nothing was done');
    expect(result.textContent).toContain('a job started: #88');
    expect(result.textContent).toContain('disk dropped to 40 %');
  });

  it('shows a failure with its error, and a rejected call', async () => {
    renderDialog(
      new FakeTransport()
        .answer('rw:reaper:recheck', async () => recheck(proposal(), true))
        .answer('rw:reaper:confirm', async () =>
          ExecutionResult.parse({
            proposalId: 'p-1',
            outcome: 'failed',
            reasons: [],
            detail: 'Hetzner answered 500 three times',
          }),
        ),
    );
    await waitFor(() => expect(confirmButton().disabled).toBe(false));
    fireEvent.click(confirmButton());
    const result = await screen.findByTestId('confirm-result');
    expect(result.textContent).toContain('Failed:');
    expect(result.textContent).toContain('Hetzner answered 500 three times');
    cleanup();

    renderDialog(
      new FakeTransport()
        .answer('rw:reaper:recheck', async () => recheck(proposal(), true))
        .answer('rw:reaper:confirm', () =>
          Promise.reject(new TransportError('not_found', 'no current proposal p-1')),
        ),
    );
    await waitFor(() => expect(confirmButton().disabled).toBe(false));
    fireEvent.click(confirmButton());
    expect((await screen.findByTestId('confirm-error')).textContent).toBe(
      'Confirm failed: no current proposal p-1',
    );
  });

  it('says what a docker-machine removal and a cleanup will run', async () => {
    const dmVm = { ...vm, provider: 'docker-machine' as const, seenBy: ['docker-machine:mgr-1'] };
    renderDialog(
      new FakeTransport().answer('rw:reaper:recheck', async () =>
        RecheckResult.parse({
          machine: dmVm,
          proposal: proposal({ action: 'machine-rm' }),
          executable: true,
        }),
      ),
      proposal({ action: 'machine-rm' }),
    );
    await screen.findByTestId('recheck-ok');
    expect(screen.getByTestId('action-text').textContent).toBe(
      `docker-machine rm -y ${vm.name} on the runner manager of docker-machine source mgr-1`,
    );
    cleanup();
    renderDialog(
      new FakeTransport().answer('rw:reaper:recheck', async () =>
        recheck(proposal({ action: 'cleanup' }), true),
      ),
      proposal({ action: 'cleanup' }),
    );
    await screen.findByTestId('recheck-ok');
    expect(screen.getByTestId('action-text').textContent).toMatch(
      /^remove unused runner-\* volumes and prune images older than .* on runner-abc-auto-scale-1-aaaa; the host itself stays$/,
    );
    expect(screen.getByRole('dialog', { name: `Clean up ${vm.name}?` })).toBeTruthy();
    expect(confirmButton().textContent).toBe('Confirm cleanup');
  });

  it('closes on Escape, traps Tab inside, and starts on Cancel', async () => {
    const { onClose } = renderDialog(
      new FakeTransport().answer('rw:reaper:recheck', async () => recheck(proposal(), true)),
    );
    await waitFor(() => expect(confirmButton().disabled).toBe(false));
    expect(document.activeElement?.textContent).toBe('Cancel');
    // Tab on the last control wraps to the first (the close button), never to "outside".
    confirmButton().focus();
    fireEvent.keyDown(document.activeElement ?? document.body, { key: 'Tab' });
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Close dialog');
    fireEvent.keyDown(document.activeElement ?? document.body, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(confirmButton());
    // From outside the dialog, Tab comes back in.
    screen.getByRole('button', { name: 'outside' }).focus();
    fireEvent.keyDown(document.activeElement ?? document.body, { key: 'Tab' });
    expect(screen.getByRole('dialog').contains(document.activeElement)).toBe(true);
    fireEvent.keyDown(document.body, { key: 'Escape' });
    expect(onClose).toHaveBeenCalledTimes(1);
  });
});

describe('KillButton', () => {
  it('opens the shared dialog without triggering the row it sits in, only for confirmable proposals', async () => {
    const transport = new FakeTransport().answer('rw:reaper:recheck', () => new Promise(() => {}));
    const rowClick = vi.fn();
    render(
      <QueryClientProvider client={createQueryClient()}>
        <TransportProvider transport={transport}>
          <KillDialogProvider>
            <div onClick={rowClick}>
              <KillButton proposal={proposal()} />
              <KillButton proposal={proposal({ id: 'p-done', state: 'done' })} />
              <KillButton proposal={null} />
            </div>
          </KillDialogProvider>
        </TransportProvider>
      </QueryClientProvider>,
    );
    const buttons = screen.getAllByTestId('kill-button');
    expect(buttons).toHaveLength(1);
    fireEvent.click(buttons[0]!);
    expect(rowClick).not.toHaveBeenCalled();
    expect(await screen.findByRole('dialog', { name: `Kill ${vm.name}?` })).toBeTruthy();
    expect(transport.count('rw:reaper:recheck')).toBe(1);
  });

  it('maps machines to the proposal a Fleet row offers', () => {
    const map = confirmableByMachine([
      proposal(),
      proposal({ id: 'p-x', machineKey: 'ci/x', state: 'executing' }),
    ]);
    expect([...map.keys()]).toEqual([vm.key]);
  });
});
