import { QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunnerWatchBridge } from '../../../renderer/api/bridge';
import { createIpcTransport } from '../../../renderer/api/ipc-transport';
import { createQueryClient } from '../../../renderer/api/query-client';
import { TransportProvider } from '../../../renderer/api/TransportProvider';
import { HostOpenRequests, useMachineFocus } from '../../../renderer/components/HostOpenRequests';
import { KillDialogProvider } from '../../../renderer/components/KillDialogProvider';
import { App } from '../../../renderer/App';
import { Proposal } from '../../../shared/proposal';
import type { OpenTarget } from '../../../shared/ui';
import { FakeTransport } from './fake-transport';
import { machine, NOW, snapshot } from './fixtures';

const vm = machine('runner-a');
const pending = Proposal.parse({
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
    ageMs: null,
    observedAt: NOW - 2_000,
  },
  blocked: [],
  state: 'pending',
  createdAt: NOW - 60_000,
  summary: `Kill ${vm.name}`,
});

/** The IPC transport's host requests, driven by hand. */
class HostTransport extends FakeTransport {
  private readonly openListeners = new Set<(t: OpenTarget) => void>();
  onOpenRequest(listener: (t: OpenTarget) => void): () => void {
    this.openListeners.add(listener);
    return () => this.openListeners.delete(listener);
  }
  open(target: OpenTarget): void {
    for (const l of this.openListeners) l(target);
  }
}

function Focus() {
  const focus = useMachineFocus();
  return <output data-testid="focus">{focus ? `${focus.machineKey}#${focus.seq}` : ''}</output>;
}

afterEach(() => {
  cleanup();
  window.location.hash = '';
});

describe('HostOpenRequests', () => {
  it("opens a proposal's confirm dialog and focuses machines when the host asks", async () => {
    const transport = new HostTransport()
      .answer('rw:reaper:proposals', async () => [pending])
      .answer('rw:reaper:recheck', () => new Promise(() => {}));
    render(
      <QueryClientProvider client={createQueryClient()}>
        <TransportProvider transport={transport}>
          <KillDialogProvider>
            <HostOpenRequests>
              <Focus />
            </HostOpenRequests>
          </KillDialogProvider>
        </TransportProvider>
      </QueryClientProvider>,
    );
    await act(async () => transport.open({ kind: 'proposal', proposalId: 'p-1' }));
    expect(window.location.hash).toBe('#proposals');
    expect(await screen.findByRole('dialog', { name: `Kill ${vm.name}?` })).toBeTruthy();

    await act(async () => transport.open({ kind: 'machine', machineKey: vm.key }));
    expect(window.location.hash).toBe('#fleet');
    expect(screen.getByTestId('focus').textContent).toBe(`${vm.key}#1`);
    await act(async () => transport.open({ kind: 'machine', machineKey: vm.key }));
    expect(screen.getByTestId('focus').textContent).toBe(`${vm.key}#2`);
  });

  it('the IPC transport passes only requests that parse', () => {
    let push: ((raw: unknown) => void) | undefined;
    const bridge: RunnerWatchBridge = {
      invoke: async () => ({ ok: true, value: null }),
      onEvent: () => () => undefined,
      onOpen: (listener) => {
        push = listener;
        return () => (push = undefined);
      },
    };
    const seen: OpenTarget[] = [];
    const unsubscribe = createIpcTransport(bridge).onOpenRequest?.((t) => seen.push(t));
    push?.({ kind: 'proposal', proposalId: 'p-1' });
    push?.({ kind: 'proposal' });
    push?.({ kind: 'run', command: 'rm -rf /' });
    push?.('fleet');
    expect(seen).toEqual([{ kind: 'proposal', proposalId: 'p-1' }]);
    unsubscribe?.();
    expect(push).toBeUndefined();
    const old = createIpcTransport({ invoke: bridge.invoke, onEvent: bridge.onEvent });
    expect(old.onOpenRequest).toBeUndefined();
  });

  it('a machine request from the tray opens that machine in the Fleet view of the app', async () => {
    const transport = new HostTransport()
      .answer('rw:app:info', async () => ({
        name: 'Runner Watch',
        version: '0.1.0',
        host: 'electron',
        demo: false,
        startedAt: NOW,
        warnings: [],
      }))
      .answer('rw:fleet:snapshot', async () =>
        snapshot([machine('runner-a'), machine('runner-b')]),
      );
    render(<App transport={transport} queryClient={createQueryClient()} />);
    expect(await screen.findAllByTestId('machine-row')).toHaveLength(2);
    expect(screen.queryByTestId('details')).toBeNull();
    await act(async () => transport.open({ kind: 'machine', machineKey: machine('runner-b').key }));
    expect(screen.getByTestId('details').getAttribute('aria-label')).toBe('Details of runner-b');
  });
});
