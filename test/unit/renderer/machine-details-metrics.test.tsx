import { QueryClientProvider } from '@tanstack/react-query';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createQueryClient } from '../../../renderer/api/query-client';
import { TransportProvider } from '../../../renderer/api/TransportProvider';
import { MachineDetails } from '../../../renderer/components/MachineDetails';
import { toRows } from '../../../renderer/fleet-rows';
import type { Machine } from '../../../shared/machine';
import { FakeTransport } from './fake-transport';
import { disk, job, machine, NOW, seen, source } from './fixtures';

vi.mock('uplot', () => ({
  default: class {
    setSize() {}
    destroy() {}
  },
}));

afterEach(cleanup);

function show(m: Machine, transport = new FakeTransport()) {
  const [row] = toRows([m], [source('ssh:ci'), source('prometheus:lab')], NOW);
  render(
    <QueryClientProvider client={createQueryClient()}>
      <TransportProvider transport={transport}>
        <MachineDetails row={row!} now={NOW} onClose={() => {}} />
      </TransportProvider>
    </QueryClientProvider>,
  );
  return transport;
}

describe('machine details with SSH and Prometheus', () => {
  it('lists each source reading, marking the one shown', () => {
    const ssh = seen([disk('/', 41)], 20_000, 'ssh:ci');
    const prom = seen([disk('/', 43)], 3_000, 'prometheus:lab');
    show(
      machine('runner-a', {
        disks: prom,
        readings: [
          { source: 'prometheus:lab', disks: prom, load: null },
          { source: 'ssh:ci', disks: ssh, load: null },
        ],
      }),
    );
    const table = screen.getByTestId('source-readings');
    const rows = within(table)
      .getAllByRole('row')
      .slice(1)
      .map((r) => r.textContent);
    expect(rows).toEqual([
      expect.stringMatching(/^prometheus:lab \(shown\)\/ 43 %—3 s ago/),
      expect.stringMatching(/^ssh:ci\/ 41 %—20 s ago/),
    ]);
  });

  it('no readings table with one source', () => {
    show(machine('runner-a'));
    expect(screen.queryByTestId('source-readings')).toBeNull();
  });

  it("a running job's Metrics button opens the panel for that job id", async () => {
    const transport = new FakeTransport();
    const requests: unknown[] = [];
    transport.invoke = ((channel: string, request: unknown) => {
      requests.push([channel, request]);
      return new Promise(() => {});
    }) as FakeTransport['invoke'];
    show(machine('runner-a', { jobs: seen([job(123, 'group/app', 'build')]) }), transport);
    fireEvent.click(screen.getByRole('button', { name: 'Metrics of job 123' }));
    expect(await screen.findByTestId('job-metrics')).toBeDefined();
    expect(requests.filter((r) => (r as string[])[0] === 'rw:jobs:metrics')).toEqual([
      ['rw:jobs:metrics', { job: '123' }],
    ]);
  });
});
