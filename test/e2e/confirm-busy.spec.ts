import { mkdirSync, rmSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect, test } from 'playwright/test';
import { readHostState, RUNNER_LABEL, writeHostState } from '../sim/host-state';
import { startDemo, type DemoProcess } from './demo-process';
import { FleetPage } from './pages/fleet-page';
import { ProposalsPage } from './pages/proposals-page';

const root = `${import.meta.dirname}/../..`;

test.describe.configure({ mode: 'serial' });
test.use({ actionTimeout: 30_000 });

let demo: DemoProcess | undefined;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  demo = await startDemo(root);
});

test.afterAll(async () => {
  await demo?.stop();
});

function running(): DemoProcess {
  if (!demo) throw new Error('the demo did not start');
  return demo;
}

/**
 * Starts a job container on a simulated VM, as GitLab Runner would: holds the host's state
 * lock (the world then leaves the host alone) and writes a running container with the
 * runner's job labels. Returns the release.
 */
function startJobOn(hostDir: string): () => void {
  const lock = join(hostDir, '.lock');
  mkdirSync(lock);
  const state = readHostState(hostDir);
  writeHostState(hostDir, {
    ...state,
    containers: [
      ...state.containers,
      {
        id: 'e'.repeat(64),
        name: 'runner-e2e-project-7-concurrent-0-e2e-build',
        image: 'alpine:3.20',
        created: state.now,
        state: 'running',
        labels: {
          [RUNNER_LABEL.jobId]: '990001',
          [RUNNER_LABEL.projectId]: '7',
          [RUNNER_LABEL.pipelineId]: '9901',
          [RUNNER_LABEL.managed]: 'true',
          [RUNNER_LABEL.type]: 'build',
        },
      },
    ],
  });
  // The world breaks a lock older than 30 s; keep it fresh while the test needs it.
  const timer = setInterval(() => utimesSync(lock, new Date(), new Date()), 5_000);
  return () => {
    clearInterval(timer);
    rmSync(lock, { recursive: true, force: true });
  };
}

test('a VM that becomes busy while the confirm dialog is open cannot be killed: the executor re-checks and refuses', async ({
  page,
}) => {
  test.setTimeout(360_000);
  const fleet = new FleetPage(page);
  await fleet.open(running().url);
  const proposals = new ProposalsPage(page);
  await proposals.show();
  const machine = await proposals.waitForReady('disk', 240_000, 'sim-hetzner');
  await proposals.openKill(machine);
  await expect(proposals.recheckOk).toBeVisible({ timeout: 60_000 });
  await expect(proposals.confirmButton).toBeEnabled();

  // Where the simulated hosts keep their state: beside the demo's config file.
  const answer = await page.request.post(`${running().origin}/api/invoke/rw:settings:get`, {
    data: {},
  });
  const location = ((await answer.json()) as { location: string }).location;
  const release = startJobOn(join(dirname(location), 'hosts', machine));
  try {
    await proposals.confirmButton.click();
    await expect(proposals.result).toBeVisible({ timeout: 120_000 });
    await expect(proposals.result).toHaveAttribute('data-outcome', 'refused');
    await expect(proposals.result).toContainText(/job|container/);
  } finally {
    release();
  }
  await page.keyboard.press('Escape');
  // Nothing was deleted: the machine is still listed and running.
  await page.getByRole('link', { name: 'Fleet' }).click();
  await expect(fleet.rows.filter({ hasText: machine }).getByTestId('status')).toHaveText('running');
});
