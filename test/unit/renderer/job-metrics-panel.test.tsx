import { QueryClientProvider } from '@tanstack/react-query';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createQueryClient } from '../../../renderer/api/query-client';
import { TransportProvider } from '../../../renderer/api/TransportProvider';
import { TransportError } from '../../../renderer/api/transport';
import { JobMetricsPanel } from '../../../renderer/components/JobMetricsPanel';
import { chartSpecs, formatMetric } from '../../../renderer/job-metrics-charts';
import { JobMetrics } from '../../../shared/job-metrics';
import { jobMetricsToCsv } from '../../../shared/job-metrics-export';
import { FakeTransport } from './fake-transport';

// happy-dom has no canvas: record what the panel asks uPlot to draw instead.
const plots = vi.hoisted(() => [] as { opts: { series: { label?: string }[] }; data: unknown[] }[]);
vi.mock('uplot', () => ({
  default: class {
    constructor(opts: { series: { label?: string }[] }, data: unknown[]) {
      plots.push({ opts, data });
    }
    setSize() {}
    destroy() {}
  },
}));

const T = Date.UTC(2026, 10, 23, 10, 0, 0);
const times = [T, T + 15_000, T + 30_000];
function metrics(overrides: Partial<JobMetrics> = {}): JobMetrics {
  return JobMetrics.parse({
    job: {
      instance: 'gl',
      jobId: 501,
      name: 'build:linux',
      projectPath: 'group/app',
      jobUrl: 'https://gitlab.example.com/group/app/-/jobs/501',
      status: 'success',
      startedAt: T,
      finishedAt: T + 30_000,
      machine: 'runner-abc-auto-scale-1',
    },
    fleet: 'ci',
    prometheus: 'lab',
    window: { startedAt: T, endedAt: T + 30_000, stepSec: 15 },
    timestamps: times,
    series: [
      { metric: 'cpu', label: 'CPU busy', unit: 'percent', values: [5, 80, null] },
      { metric: 'memory', label: 'memory used', unit: 'bytes', values: [1e9, 2e9, 2e9] },
      { metric: 'disk', label: '/', unit: 'bytes', values: [1e10, 1.1e10, 1.2e10] },
      { metric: 'disk', label: '/var/lib/docker', unit: 'bytes', values: [2e10, 2e10, 2e10] },
      { metric: 'netRx', label: 'network receive', unit: 'bytes/s', values: [1e3, 2e6, 0] },
      { metric: 'netTx', label: 'network transmit', unit: 'bytes/s', values: [1e3, 1e3, 0] },
    ],
    phases: [
      { name: 'prepare_executor', startedAt: T, finishedAt: T + 2_000 },
      { name: 'step_script', startedAt: T + 5_000, finishedAt: null },
    ],
    origin: 'store',
    savedAt: T + 90_000,
    warnings: ['Prometheus had no samples for load1 in this window'],
    ...overrides,
  });
}

function show(transport: FakeTransport, job: string | number = 501) {
  render(
    <QueryClientProvider client={createQueryClient()}>
      <TransportProvider transport={transport}>
        <JobMetricsPanel job={job} />
      </TransportProvider>
    </QueryClientProvider>,
  );
}

afterEach(() => {
  cleanup();
  plots.length = 0;
  vi.restoreAllMocks();
});

describe('JobMetricsPanel', () => {
  it('draws one chart per figure Prometheus had, with phases and where the data came from', async () => {
    const transport = new FakeTransport().answer('rw:jobs:metrics', async () => metrics());
    show(transport);
    expect(await screen.findByRole('heading', { name: 'Job #501 build:linux' })).toBeDefined();
    expect(screen.getByTestId('job-metrics-origin').textContent).toMatch(
      /Saved locally .* from the store/,
    );
    expect(screen.getByText(/no samples for load1/)).toBeDefined();
    expect(screen.getByLabelText('Job phases').textContent).toMatch(
      /prepare_executor 2 s.*step_script no end/,
    );
    const charts = screen.getAllByTestId(/^chart-/).map((c) => c.dataset.testid);
    expect(charts).toEqual(['chart-cpu', 'chart-memory', 'chart-disk', 'chart-network']);
    // uPlot got aligned data: seconds on x, one line per mount for disk
    const disk = plots.find((p) => p.opts.series.some((s) => s.label === '/var/lib/docker'));
    expect(disk?.data).toEqual([
      times.map((t) => t / 1000),
      [1e10, 1.1e10, 1.2e10],
      [2e10, 2e10, 2e10],
    ]);
  });

  it('downloads exactly the CSV the CLI prints', async () => {
    const transport = new FakeTransport().answer('rw:jobs:metrics', async () => metrics());
    const blobs: Blob[] = [];
    vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
      blobs.push(blob as Blob);
      return 'blob:test';
    });
    const clicked: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      clicked.push(this.download);
    });
    show(transport);
    fireEvent.click(await screen.findByRole('button', { name: 'Download CSV' }));
    fireEvent.click(screen.getByRole('button', { name: 'Download JSON' }));
    expect(clicked).toEqual(['job-gl-501-metrics.csv', 'job-gl-501-metrics.json']);
    expect(await blobs[0]!.text()).toBe(jobMetricsToCsv(metrics()));
    expect(JobMetrics.parse(JSON.parse(await blobs[1]!.text()))).toEqual(metrics());
  });

  it('says why when there is nothing to show, and offers to try again', async () => {
    let calls = 0;
    const transport = new FakeTransport().answer('rw:jobs:metrics', async () => {
      calls += 1;
      throw new TransportError(
        'unreachable',
        'Prometheus lab: cannot reach http://127.0.0.1:9090 (ECONNREFUSED)',
      );
    });
    show(transport, 'https://gitlab.example.com/group/app/-/jobs/9');
    expect(await screen.findByText(/cannot reach http:\/\/127\.0\.0\.1:9090/)).toBeDefined();
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    await vi.waitFor(() => expect(calls).toBe(2));
  });

  it('a running job says it is not saved yet', async () => {
    const transport = new FakeTransport().answer('rw:jobs:metrics', async () =>
      metrics({ origin: 'prometheus', savedAt: null, job: { ...metrics().job, finishedAt: null } }),
    );
    show(transport);
    expect((await screen.findByTestId('job-metrics-origin')).textContent).toMatch(
      /From Prometheus lab; saved once the job has finished/,
    );
  });
});

describe('job metrics charts', () => {
  it('groups series into charts and leaves out figures without series', () => {
    expect(chartSpecs(metrics()).map((c) => [c.id, c.labels])).toEqual([
      ['cpu', ['CPU busy']],
      ['memory', ['memory used']],
      ['disk', ['/', '/var/lib/docker']],
      ['network', ['network receive', 'network transmit']],
    ]);
  });

  it('formats values in their unit', () => {
    expect(formatMetric(42.4, 'percent')).toBe('42 %');
    expect(formatMetric(2.5e9, 'bytes')).toBe('2.5 GB');
    expect(formatMetric(3_400_000, 'bytes/s')).toBe('3.4 MB/s');
    expect(formatMetric(null, 'load')).toBe('—');
  });
});
