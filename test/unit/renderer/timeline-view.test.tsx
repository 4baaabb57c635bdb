import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createQueryClient } from '../../../renderer/api/query-client';
import { TransportError } from '../../../renderer/api/transport';
import { App } from '../../../renderer/App';
import type { InvokeChannel, RequestInputOf, ResponseOf } from '../../../shared/api';
import { Timeline, type Timeline as TimelineT } from '../../../shared/timeline';
import { FakeContext2D } from './fake-canvas';
import { FakeTransport } from './fake-transport';
import { delta, machine, NOW, snapshot } from './fixtures';

const H = 3_600_000;

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

function timeline(): TimelineT {
  return Timeline.parse({
    from: NOW - 24 * H,
    to: NOW,
    generatedAt: NOW,
    rows: [
      {
        key: 'ci/vm-a',
        kind: 'machine',
        name: 'vm-a',
        fleet: 'ci',
        state: 'running',
        jobs: [
          {
            key: 'gl/101',
            instance: 'gl',
            jobId: 101,
            name: 'build',
            status: 'success',
            gitlabStatus: 'success',
            projectPath: 'acme/web-shop',
            pipelineId: 7,
            ref: 'main',
            user: 'chen',
            startedAt: NOW - 2 * H,
            finishedAt: NOW - 2 * H + 13 * 60_000,
            webUrl: 'http://127.0.0.9/acme/web-shop/-/jobs/101',
            placedBy: 'trace',
          },
          {
            key: 'gl/102',
            instance: 'gl',
            jobId: 102,
            name: 'test',
            status: 'failed',
            gitlabStatus: 'failed',
            projectPath: 'acme/api',
            pipelineId: 8,
            ref: 'fix',
            user: 'dana',
            startedAt: NOW - H,
            finishedAt: NOW - H + 5 * 60_000,
            webUrl: null,
            placedBy: 'container',
          },
        ],
        disk: [{ at: NOW - 10 * 60_000, pct: 72 }],
        marks: [
          {
            at: NOW - 30 * 60_000,
            kind: 'proposed',
            proposalId: 'p1',
            text: 'Kill vm-a (disk 72 %)',
          },
        ],
      },
      {
        key: 'ci/vm-b',
        kind: 'machine',
        name: 'vm-b',
        fleet: 'ci',
        state: 'running',
        jobs: [],
        disk: [],
        marks: [],
      },
    ],
    fleets: [
      {
        id: 'ci',
        name: null,
        warnPct: 50,
        thresholdPct: 60,
        jobMetrics: { available: false, reason: 'No Prometheus configured for this fleet' },
      },
    ],
    jobsSince: NOW - 6 * H,
    diskSince: NOW - 10 * 60_000,
    diskBucketMs: 60_000,
    warnings: [],
  });
}

function renderTimeline(transport: RecordingTransport) {
  renderTimelineWith(transport, async () => timeline());
}

function renderTimelineWith(transport: RecordingTransport, answer: () => Promise<unknown>) {
  transport.answer('rw:timeline:get', answer);
  window.location.hash = '#timeline';
  transport.answer('rw:app:info', async () => info);
  transport.answer('rw:fleet:snapshot', async () => snapshot([machine('vm-a'), machine('vm-b')]));
  render(<App transport={transport} queryClient={createQueryClient()} />);
}

let contexts: FakeContext2D[] = [];
let open: ReturnType<typeof vi.fn>;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  contexts = [];
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(function (
    this: HTMLCanvasElement,
  ) {
    const ctx = new FakeContext2D(this);
    contexts.push(ctx);
    return ctx as unknown as CanvasRenderingContext2D;
  } as unknown as HTMLCanvasElement['getContext']);
  open = vi.fn();
  vi.spyOn(window, 'open').mockImplementation(open as unknown as typeof window.open);
});

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  vi.useRealTimers();
  window.location.hash = '';
});

const canvas = () => screen.findByRole('application');

describe('TimelineView', () => {
  it('is a tab of its own and asks the host for the last day', async () => {
    const transport = new RecordingTransport();
    renderTimeline(transport);
    expect(screen.getByRole('link', { name: 'Timeline' }).getAttribute('aria-current')).toBe(
      'page',
    );
    const view = await canvas();
    expect(view.getAttribute('aria-label')).toMatch(/^Fleet timeline: 2 rows/);
    const request = transport.requests.find((r) => r.channel === 'rw:timeline:get')?.request;
    expect(request).toEqual({ from: NOW - 24 * H, to: NOW });
    expect(screen.getByTestId('timeline-counts').textContent).toBe(
      '2 rows · 2 jobs in the last 24 h',
    );
    // The canvas was drawn: row labels went through fillText.
    await waitFor(() => expect(contexts.some((c) => c.texts().includes('vm-a'))).toBe(true));
  });

  it('lists the chosen row in a table, shows a job tooltip from the keyboard, and opens the job panel with Enter', async () => {
    const transport = new RecordingTransport();
    renderTimeline(transport);
    const view = await canvas();
    act(() => view.focus());
    fireEvent.keyDown(view, { key: 'ArrowDown' });
    const table = await screen.findByTestId('timeline-table');
    expect(table.textContent).toContain('vm-a');
    expect(within(table).getByRole('button', { name: 'build #101' })).toBeTruthy();
    expect(within(table).getByRole('button', { name: 'test #102' })).toBeTruthy();
    expect(table.textContent).toContain('proposed for removal: Kill vm-a (disk 72 %)');

    expect(screen.getByTestId('timeline-announce').textContent).toBe('Row 1 of 2: vm-a.');
    fireEvent.keyDown(view, { key: ']' });
    expect(screen.getByTestId('timeline-announce').textContent).toContain(
      'build #101, acme/web-shop, passed',
    );
    const tooltip = await screen.findByTestId('timeline-tooltip');
    expect(tooltip.textContent).toContain('build #101');
    expect(tooltip.textContent).toContain('acme/web-shop');
    expect(tooltip.textContent).toContain('13 min');
    expect(tooltip.textContent).toContain('chen');

    fireEvent.keyDown(view, { key: 'Enter' });
    const panel = await screen.findByTestId('job-panel');
    expect(panel.textContent).toContain('build #101');
    expect(within(panel).getByTestId('job-metrics-slot').textContent).toContain(
      'No Prometheus configured for this fleet',
    );
    fireEvent.keyDown(view, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('job-panel')).toBeNull());
  });

  it('opens a job through the host and then exactly the URL it answered, in a new tab without opener', async () => {
    const transport = new RecordingTransport();
    transport.answer('rw:timeline:open-job', async () => ({
      url: 'http://127.0.0.9/acme/web-shop/-/jobs/101',
      opened: false,
    }));
    renderTimeline(transport);
    fireEvent.keyDown(await canvas(), { key: 'ArrowDown' });
    fireEvent.click(await screen.findByRole('button', { name: 'build #101' }));
    fireEvent.click(await screen.findByTestId('open-in-gitlab'));
    expect((await screen.findByTestId('opened-url')).textContent).toContain(
      'http://127.0.0.9/acme/web-shop/-/jobs/101',
    );
    expect(transport.requests.find((r) => r.channel === 'rw:timeline:open-job')?.request).toEqual({
      jobKey: 'gl/101',
    });
    expect(open).toHaveBeenCalledWith(
      'http://127.0.0.9/acme/web-shop/-/jobs/101',
      '_blank',
      'noopener,noreferrer',
    );
  });

  it('opens a double-clicked job in GitLab at once, and a job chosen next starts without the last answer', async () => {
    const transport = new RecordingTransport();
    transport.answer('rw:timeline:open-job', async () => ({
      url: 'http://127.0.0.9/acme/web-shop/-/jobs/101',
      opened: false,
    }));
    renderTimeline(transport);
    const view = await canvas();
    fireEvent.keyDown(view, { key: 'ArrowDown' });
    // happy-dom lays nothing out: the canvas is 200 px wide, labels 120, so 80 px for the
    // live 3 h window ending 2 min after NOW; job 101 runs from NOW − 2 h for 13 min.
    const from = NOW + 2 * 60_000 - 3 * H;
    const x = 120 + ((NOW - 2 * H + 6 * 60_000 - from) / (3 * H)) * 80;
    fireEvent.doubleClick(view, { clientX: x, clientY: 30 + 3 + 7 });
    expect((await screen.findByTestId('opened-url')).textContent).toContain('/jobs/101');
    expect(open).toHaveBeenCalledTimes(1);
    // Another job: its panel shows no URL until asked, and nothing more was opened.
    fireEvent.click(screen.getByRole('button', { name: 'test #102' }));
    await waitFor(() => expect(screen.getByTestId('job-panel').textContent).toContain('test #102'));
    expect(screen.queryByTestId('opened-url')).toBeNull();
    expect(open).toHaveBeenCalledTimes(1);
  });

  it('does not open a tab when the desktop host opened the job itself, and shows a refusal', async () => {
    const transport = new RecordingTransport();
    let answer: () => Promise<unknown> = async () => ({
      url: 'http://127.0.0.9/acme/web-shop/-/jobs/101',
      opened: true,
    });
    transport.answer('rw:timeline:open-job', () => answer());
    renderTimeline(transport);
    fireEvent.keyDown(await canvas(), { key: 'ArrowDown' });
    fireEvent.click(await screen.findByRole('button', { name: 'build #101' }));
    fireEvent.click(await screen.findByTestId('open-in-gitlab'));
    expect((await screen.findByTestId('opened-url')).textContent).toContain(
      'Opened in your browser',
    );
    expect(open).not.toHaveBeenCalled();
    answer = () =>
      Promise.reject(
        new TransportError(
          'refused',
          'job 101: its web URL is not on the configured instance; not opened',
        ),
      );
    fireEvent.click(screen.getByTestId('open-in-gitlab'));
    expect((await screen.findByTestId('open-error')).textContent).toContain(
      'not on the configured instance',
    );
    expect(open).not.toHaveBeenCalled();
  });

  it('changes the window with the presets and the keyboard', async () => {
    const transport = new RecordingTransport();
    renderTimeline(transport);
    const view = await canvas();
    const label = () => screen.getByTestId('timeline-window').textContent ?? '';
    expect(label()).toContain('(3 h)');
    expect(label()).toContain('following now');
    fireEvent.click(screen.getByTestId('preset-12h'));
    expect(label()).toContain('(12 h)');
    expect(screen.getByTestId('preset-12h').getAttribute('aria-pressed')).toBe('true');
    fireEvent.keyDown(view, { key: '+' });
    expect(label()).toContain('(9 h 36 min)');
    expect(label()).toContain('following now');
    fireEvent.keyDown(view, { key: 'ArrowLeft' });
    expect(label()).not.toContain('following now');
    fireEvent.click(screen.getByRole('button', { name: 'Now' }));
    expect(label()).toContain('following now');
  });

  it('shows the full machine name when the pointer is over a (shortened) row label', async () => {
    renderTimeline(new RecordingTransport());
    const view = await canvas();
    // happy-dom lays nothing out: the canvas is one row high, so aim at the first row.
    fireEvent.pointerMove(view, { clientX: 10, clientY: 30 + 10, pointerType: 'mouse' });
    const tooltip = await screen.findByTestId('timeline-tooltip');
    expect(tooltip.textContent).toContain('vm-a');
    expect(tooltip.textContent).toContain('2 jobs in the last day');
    expect(tooltip.textContent).toContain('fleet ci');
    fireEvent.pointerLeave(view);
    await waitFor(() => expect(screen.queryByTestId('timeline-tooltip')).toBeNull());
  });

  it('filters rows by machine, project, ref or user, and says when nothing matches', async () => {
    renderTimeline(new RecordingTransport());
    await canvas();
    const filter = screen.getByRole('searchbox', { name: 'Filter timeline rows' });
    fireEvent.change(filter, { target: { value: 'web-shop' } });
    expect(screen.getByTestId('timeline-counts').textContent).toBe(
      '1 of 2 rows · 2 jobs in the last 24 h',
    );
    expect((await canvas()).getAttribute('aria-label')).toMatch(/^Fleet timeline: 1 row,/);
    // A job's panel stays as it was when a filter hides its row.
    fireEvent.keyDown(await canvas(), { key: 'ArrowDown' });
    fireEvent.click(await screen.findByRole('button', { name: 'build #101' }));
    fireEvent.change(filter, { target: { value: 'vm-b' } });
    const panel = screen.getByTestId('job-panel');
    expect(panel.textContent).toContain('Machinevm-a');
    expect(panel.textContent).toContain('No Prometheus configured for this fleet');
    fireEvent.change(filter, { target: { value: 'no-such-thing' } });
    expect(screen.getByTestId('state-empty').textContent).toContain('No row matches the filter');
    fireEvent.change(filter, { target: { value: '' } });
    expect(screen.getByTestId('timeline-counts').textContent).toBe(
      '2 rows · 2 jobs in the last 24 h',
    );
  });

  it('draws the newest state when several changes come before the next animation frame', async () => {
    const frames: FrameRequestCallback[] = [];
    vi.spyOn(globalThis, 'requestAnimationFrame').mockImplementation((callback) => {
      frames.push(callback);
      return frames.length;
    });
    const flush = () => act(() => frames.splice(0).forEach((f) => f(0)));
    renderTimeline(new RecordingTransport());
    const view = await canvas();
    flush();
    // Each frame asks the canvas for its context; the last one of the timeline's canvas
    // (not a pattern tile's) holds the last frame.
    const lastFrame = () =>
      contexts
        .filter((c) => c.canvas === view)
        .at(-1)
        ?.texts() ?? [];
    expect(lastFrame()).toContain('vm-a');
    const filter = screen.getByRole('searchbox', { name: 'Filter timeline rows' });
    fireEvent.change(filter, { target: { value: 'vm' } });
    fireEvent.change(filter, { target: { value: 'vm-b' } });
    flush();
    expect(lastFrame()).toContain('vm-b');
    expect(lastFrame()).not.toContain('vm-a');
  });

  it('zooms with a two-finger pinch: fingers closing to half the distance show twice the time', async () => {
    renderTimeline(new RecordingTransport());
    const view = await canvas();
    const label = () => screen.getByTestId('timeline-window').textContent ?? '';
    expect(label()).toContain('(3 h)');
    const touch = (type: 'pointerDown' | 'pointerMove', pointerId: number, clientX: number) =>
      fireEvent[type](view, { pointerId, clientX, clientY: 40, pointerType: 'touch' });
    touch('pointerDown', 1, 130);
    touch('pointerDown', 2, 190);
    touch('pointerMove', 2, 160);
    expect(label()).toContain('(6 h)');
    touch('pointerMove', 2, 250);
    expect(label()).toContain('(1 h 30 min)');
  });

  it('reads the timeline again when a fleet event arrives, without polling', async () => {
    const transport = new RecordingTransport();
    renderTimeline(transport);
    await canvas();
    await waitFor(() => expect(transport.count('rw:timeline:get')).toBe(1));
    act(() => transport.emit(delta(2)));
    await waitFor(() => expect(transport.count('rw:timeline:get')).toBe(2));
  });

  it('shows the disconnected state and turns opening jobs off', async () => {
    const transport = new RecordingTransport();
    renderTimeline(transport);
    fireEvent.keyDown(await canvas(), { key: 'ArrowDown' });
    fireEvent.click(await screen.findByRole('button', { name: 'build #101' }));
    act(() =>
      transport.status({ state: 'down', error: new TransportError('unreachable', 'gone') }),
    );
    expect((await screen.findByTestId('timeline-down')).textContent).toContain('Disconnected');
    expect((screen.getByTestId('open-in-gitlab') as HTMLButtonElement).disabled).toBe(true);
  });

  it('says what failed when the timeline cannot be read', async () => {
    const transport = new RecordingTransport();
    renderTimelineWith(transport, () =>
      Promise.reject(
        new TransportError(
          'bad_input',
          'rw:timeline:get: the window may be at most 7 days long at to',
        ),
      ),
    );
    expect((await screen.findByTestId('state-error')).textContent).toContain('at most 7 days');
  });
});
