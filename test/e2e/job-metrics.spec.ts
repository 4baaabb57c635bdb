import { existsSync, readFileSync } from 'node:fs';
import { expect, test } from 'playwright/test';
import { startDemo, type DemoProcess } from './demo-process';
import { FleetPage } from './pages/fleet-page';
import { JobMetricsPage } from './pages/job-metrics-page';

const root = `${import.meta.dirname}/../..`;
const PROMETHEUS = '/usr/bin/prometheus';

test.describe.configure({ mode: 'serial' });

let demo: DemoProcess | undefined;

test.beforeAll(async () => {
  test.skip(!existsSync(PROMETHEUS), `${PROMETHEUS} not installed (apt-get install prometheus)`);
  test.setTimeout(120_000);
  demo = await startDemo(root, 90_000, ['--prometheus']);
});

test.afterAll(async () => {
  await demo?.stop();
});

test("a running job's machine metrics from the demo's real Prometheus, downloadable", async ({
  page,
}) => {
  test.setTimeout(480_000);
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  const fleet = new FleetPage(page);
  await fleet.open(demo!.url);
  await expect(fleet.rows.first()).toBeVisible({ timeout: 60_000 });
  const metrics = new JobMetricsPage(page);
  // the first machine whose details list a running job
  await expect(async () => {
    const rows = await fleet.rows.count();
    for (let i = 0; i < rows; i++) {
      await fleet.rows.nth(i).click({ force: true });
      if ((await page.getByRole('button', { name: /^Metrics of job \d+$/ }).count()) > 0) return;
    }
    throw new Error('no running job yet');
    // jobs arrive in pipelines now and then (about 24 an hour on the demo's 8 VMs), and the
    // arrivals are random: an idle spell of several minutes happens on a loaded machine
  }).toPass({ timeout: 360_000 });
  // Prometheus needs a few scrapes of the job's window
  await expect(async () => {
    await metrics.openFromDetails();
    await expect(metrics.charts.first()).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 60_000 });
  await expect(page.getByTestId('runner-counters')).toContainText('127.0.0.2');
  await expect(metrics.origin).toContainText('From Prometheus sim-prometheus');
  await expect(metrics.phases).toContainText('prepare_executor');
  expect(await metrics.charts.count()).toBeGreaterThanOrEqual(4);
  await expect(metrics.panel.locator('canvas').first()).toBeVisible();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    metrics.downloadCsv.click(),
  ]);
  const csv = readFileSync((await download.path())!, 'utf8');
  expect(csv.split('\r\n')[0]).toMatch(/^time,unix_ms,cpu \(percent\),memory \(bytes\)/);
  expect(download.suggestedFilename()).toMatch(
    /^job-sim-gitlab-\d+-metrics\.csv$|^job-.+-\d+-metrics\.csv$/,
  );
  await metrics.close.click();
  await expect(metrics.panel).toHaveCount(0);
  expect(errors).toEqual([]);
});
