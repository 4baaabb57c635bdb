import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../../electron/core/engine';
import { createRunnerMetricsSource } from '../../../electron/core/sources/runner-metrics/source';
import { parseTextFormat } from '../../../electron/core/sources/runner-metrics/text-format';
import { RunnerMetricsSettings } from '../../../shared/settings';

// What GitLab Runner's listen_address serves (trimmed), docker+machine executor.
const RUNNER_PAGE = `# HELP gitlab_runner_autoscaling_machine_states The current number of machines per state in this provider.
# TYPE gitlab_runner_autoscaling_machine_states gauge
gitlab_runner_autoscaling_machine_states{executor="docker+machine",runner="x1y2z3w4",state="acquired",system_id="s_0"} 0
gitlab_runner_autoscaling_machine_states{executor="docker+machine",runner="x1y2z3w4",state="creating",system_id="s_0"} 1
gitlab_runner_autoscaling_machine_states{executor="docker+machine",runner="x1y2z3w4",state="idle",system_id="s_0"} 2
gitlab_runner_autoscaling_machine_states{executor="docker+machine",runner="x1y2z3w4",state="used",system_id="s_0"} 5
gitlab_runner_autoscaling_machine_states{executor="docker+machine",runner="other123",state="used",system_id="s_0"} 1
# HELP gitlab_runner_concurrent The current value of concurrent setting
# TYPE gitlab_runner_concurrent gauge
gitlab_runner_concurrent 10
# HELP gitlab_runner_jobs The current number of running builds.
# TYPE gitlab_runner_jobs gauge
gitlab_runner_jobs{executor_stage="docker_run",runner="x1y2z3w4",stage="step_script",state="running",system_id="s_0"} 4
gitlab_runner_jobs{executor_stage="docker_run",runner="other123",stage="step_script",state="running",system_id="s_0"} 1
# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.
# TYPE process_start_time_seconds gauge
process_start_time_seconds 1.70000000012e+09
go_gc_duration_seconds{quantile="0.5"} NaN
`;

describe('Prometheus text format', () => {
  it('reads names, labels with escapes, values and timestamps', () => {
    const samples = parseTextFormat(
      'a 1\nb{x="q\\"u\\\\o\\nte",y="2"} -Inf 1700000000000\n# comment\n\n c_total{} 3e2\r\n',
    );
    expect(samples).toEqual([
      { name: 'a', labels: {}, value: 1 },
      { name: 'b', labels: { x: 'q"u\\o\nte', y: '2' }, value: -Infinity },
      { name: 'c_total', labels: {}, value: 300 },
    ]);
  });

  it.each([
    ['a{x=1} 2', /line 1: label x has no ="value"/],
    ['a{x="1} 2', /label x value is not closed/],
    ['ok 1\na one', /line 2: bad value one/],
    ['{x="1"} 2', /no metric name/],
    ['a 1 2 3', /at most a timestamp/],
  ])('refuses %j, naming the line', (text, message) => {
    expect(() => parseTextFormat(text)).toThrow(message);
  });
});

describe('runner metrics source', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });
  const serve = async (status: number, body: string): Promise<string> => {
    const server = createServer((_req, res) =>
      res.writeHead(status, { 'content-type': 'text/plain' }).end(body),
    );
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/metrics`;
  };
  const source = (url: string) =>
    createRunnerMetricsSource({
      entry: RunnerMetricsSettings.parse({ id: 'mgr-1', fleet: 'ci', url }),
      secrets: { resolve: () => Promise.reject(new Error('none')) },
      now: () => 1_700_000_000_000,
    });

  it('sums jobs and machines by state into fleet counters, in the snapshot', async () => {
    const engine = new Engine({ sources: [source(await serve(200, RUNNER_PAGE))] });
    const snapshot = await engine.runOnce();
    expect(snapshot.counters).toEqual([
      {
        source: 'runner-metrics:mgr-1',
        fleet: 'ci',
        label: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        observedAt: 1_700_000_000_000,
        jobs: 5,
        concurrent: 10,
        machines: { acquired: 0, creating: 1, idle: 2, used: 6 },
      },
    ]);
    expect(snapshot.sources[0]?.state).toBe('ok');
    await engine.dispose();
  });

  it('another exporter, an error page or garbage give clear states', async () => {
    const other = await source(await serve(200, 'node_load1 0.5\n')).collect(
      AbortSignal.timeout(5_000),
      {
        now: Date.now,
        machines: () => [],
      },
    );
    expect(other.warnings?.[0]).toMatch(/no gitlab_runner_\* metrics on this page/);
    await expect(
      source(await serve(502, 'bad gateway')).collect(AbortSignal.timeout(5_000), {
        now: Date.now,
        machines: () => [],
      }),
    ).rejects.toMatchObject({ code: 'remote_error', message: expect.stringMatching(/HTTP 502/) });
    await expect(
      source(await serve(200, '<html>login</html>')).collect(AbortSignal.timeout(5_000), {
        now: Date.now,
        machines: () => [],
      }),
    ).rejects.toMatchObject({
      code: 'bad_response',
      message: expect.stringMatching(/not Prometheus text format \(line 1/),
    });
    await expect(
      source('http://127.0.0.1:1/metrics').collect(AbortSignal.timeout(5_000), {
        now: Date.now,
        machines: () => [],
      }),
    ).rejects.toMatchObject({ code: 'unreachable' });
  });
});
