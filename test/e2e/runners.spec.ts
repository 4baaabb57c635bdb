import { mkdirSync } from 'node:fs';
import { expect, test } from 'playwright/test';
import { startDemo, type DemoProcess } from './demo-process';
import { FleetPage } from './pages/fleet-page';
import { RunnersPage } from './pages/runners-page';

const root = `${import.meta.dirname}/../..`;

test.describe.configure({ mode: 'serial' });

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

test('lists the simulated runners with the stale ones, and the preview gives reasons without removing anything', async ({
  page,
}, testInfo) => {
  const fleet = new FleetPage(page);
  await fleet.open(running().url);
  const runners = new RunnersPage(page);
  await runners.show();
  await expect(runners.rows.first()).toBeVisible();
  const keys = await runners.keys();
  // The world-fed GitLab has the fleet's runner and two old ones GitLab reports stale.
  expect(keys).toContain('sim-gitlab/101');
  const stale = await runners.staleKeys();
  expect(stale.length).toBeGreaterThanOrEqual(1);
  expect(stale).not.toContain('sim-gitlab/101');
  // Default sort puts stale runners first.
  expect(keys.slice(0, stale.length)).toEqual(stale);
  await expect(runners.staleRows.first().getByTestId('stale-reason')).toContainText(
    /last contact \d+ days ago/,
  );
  await expect(runners.rows.filter({ hasText: 'hetzner-autoscale-1' })).toContainText('online');

  await runners.previewButton.click();
  await expect(runners.preview).toBeVisible();
  await expect(runners.preview).toContainText('nothing has been removed');
  const reasons = await runners.candidateReasons();
  expect([...reasons.keys()].sort()).toEqual([...stale].sort());
  for (const reason of reasons.values()) expect(reason).toMatch(/stale/);
  await expect(runners.removeButton).toHaveText(`Remove ${stale.length} runners`);
  // The preview touched nothing: same runners, no results panel.
  await expect(runners.results).toHaveCount(0);
  expect(await runners.keys()).toEqual(keys);

  // Selecting one stale runner narrows the removal to it.
  const first = stale[0] ?? '';
  const [instance, id] = first.split('/');
  await page.getByRole('checkbox', { name: `Select stale runner ${instance} #${id}` }).check();
  await expect(runners.candidates).toHaveCount(1);
  await expect(runners.removeButton).toHaveText('Remove 1 runner');

  mkdirSync(`${root}/test-results`, { recursive: true });
  const shot = `${root}/test-results/runners-view.png`;
  await page.screenshot({ path: shot });
  await testInfo.attach('runners-view', { path: shot, contentType: 'image/png' });

  // The filter narrows; a reload keeps the view (it is in the URL hash).
  await runners.filter.fill('hetzner-autoscale');
  await expect(runners.rows).toHaveCount(1);
  await page.reload();
  await expect(runners.tab).toHaveAttribute('aria-current', 'page');
  await expect(runners.rows).toHaveCount(keys.length);
});

test('pruning runs after the preview: the chosen stale runner is removed in GitLab and leaves the list', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const fleet = new FleetPage(page);
  await fleet.open(running().url);
  const runners = new RunnersPage(page);
  await runners.show();
  await expect(runners.staleRows.first()).toBeVisible();
  const stale = await runners.staleKeys();
  const target = stale[0] ?? '';
  const [instance, id] = target.split('/');
  await page.getByRole('checkbox', { name: `Select stale runner ${instance} #${id}` }).check();
  await runners.previewButton.click();
  await expect(runners.candidates).toHaveCount(1);
  await expect(runners.removeButton).toHaveText('Remove 1 runner');
  await runners.removeButton.click();
  await expect(runners.results).toBeVisible({ timeout: 60_000 });
  const outcome = runners.results.getByTestId('prune-outcome');
  await expect(outcome).toHaveCount(1);
  await expect(outcome).toHaveAttribute('data-result', 'deleted');
  await expect(outcome).toContainText(`${instance} #${id}`);
  // The next GitLab cycle no longer lists it.
  await expect
    .poll(async () => (await runners.keys()).includes(target), { timeout: 90_000 })
    .toBe(false);
  // The other stale runners are untouched.
  for (const other of stale.slice(1)) expect(await runners.keys()).toContain(other);
});
