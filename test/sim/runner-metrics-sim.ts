import { createServer, type Server } from 'node:http';
import type { SimVmInfo } from './scenario';

/*
 * The runner manager's own metrics endpoint (GitLab Runner `listen_address`, e.g. :9252) in
 * Prometheus text format, answered from the world: `gitlab_runner_jobs` (running jobs),
 * `gitlab_runner_concurrent` and `gitlab_runner_autoscaling_machine_states` per state, with
 * the labels GitLab Runner puts on them (REFERENCE.md, GitLab Runner).
 */

/** docker+machine's word for a VM of the world. */
function machineState(vm: SimVmInfo): string {
  if (vm.state === 'creating') return 'creating';
  if (vm.state === 'deleting') return 'removing';
  return vm.runningJobId !== null ? 'used' : 'idle';
}

/** The page for the world's VMs now. */
export function renderRunnerMetrics(
  vms: readonly SimVmInfo[],
  runner: { tokenPrefix: string; systemId: string },
  concurrent: number,
): string {
  const live = vms.filter((vm) => vm.state !== 'gone');
  const base = `executor="docker+machine",runner="${runner.tokenPrefix}",system_id="${runner.systemId}"`;
  const states = ['acquired', 'creating', 'idle', 'removing', 'used'];
  const jobs = live.filter((vm) => vm.runningJobId !== null).length;
  return [
    '# HELP gitlab_runner_autoscaling_machine_states The current number of machines per state in this provider.',
    '# TYPE gitlab_runner_autoscaling_machine_states gauge',
    ...states.map(
      (state) =>
        `gitlab_runner_autoscaling_machine_states{${base},state="${state}"} ${live.filter((vm) => machineState(vm) === state).length}`,
    ),
    '# HELP gitlab_runner_concurrent The current value of concurrent setting',
    '# TYPE gitlab_runner_concurrent gauge',
    `gitlab_runner_concurrent ${concurrent}`,
    '# HELP gitlab_runner_jobs The current number of running builds.',
    '# TYPE gitlab_runner_jobs gauge',
    `gitlab_runner_jobs{executor_stage="docker_run",runner="${runner.tokenPrefix}",stage="step_script",state="running",system_id="${runner.systemId}"} ${jobs}`,
    '',
  ].join('\n');
}

/** Serves the page on `address` (the manager's loopback address), port chosen by the OS. */
export async function startRunnerMetricsSim(options: {
  address: string;
  page: () => string;
}): Promise<{ url: string; dispose(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end('404 page not found\n');
      return;
    }
    res
      .writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
      .end(options.page());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.address, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://${options.address}:${port}/metrics`,
    dispose: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
