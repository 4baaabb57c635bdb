import { copyFileSync, mkdirSync } from 'node:fs';
import { expect, test, type Page } from 'playwright/test';
import { startDemo, type DemoProcess } from './demo-process';
import { FleetPage } from './pages/fleet-page';

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

/** Console errors and uncaught exceptions (a CSP violation shows up here). */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

test('shows the simulated machines from the demo, without console or CSP errors', async ({
  page,
}) => {
  const errors = collectErrors(page);
  const fleet = new FleetPage(page);
  await fleet.open(running().url);
  await fleet.waitForRows();
  const names = await fleet.machineNames();
  expect(names.filter((name) => name.startsWith('runner-')).length).toBeGreaterThanOrEqual(1);
  // The token was exchanged for a cookie and is no longer in the address bar.
  expect(page.url()).not.toContain('token=');
  await expect(fleet.stream).toHaveText('live');
  expect(await fleet.sources.count()).toBeGreaterThanOrEqual(1);
  expect(await fleet.firstDiskTooltip()).toContain(
    'used / (used + available), rounded up, like df',
  );
  expect(errors).toEqual([]);
});

test('disk % values change over time without a reload and without layout shifts', async ({
  page,
}) => {
  test.setTimeout(200_000);
  const fleet = new FleetPage(page);
  let navigations = 0;
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations += 1;
  });
  await fleet.open(running().url);
  await fleet.waitForRows();
  await fleet.waitForDiskReadings();
  const loads = navigations;
  await fleet.recordLayoutShifts();
  const before = await fleet.diskPercents();
  expect(before.size).toBeGreaterThan(0);
  await expect
    .poll(
      async () => {
        const now = await fleet.diskPercents();
        return [...now].some(([key, pct]) => before.has(key) && before.get(key) !== pct);
      },
      // The demo runs in real time: a disk changes when a job writes to it or a VM is
      // recycled, and the probe reads every 10 s. Usually seconds, on a busy machine minutes.
      { timeout: 170_000, intervals: [1_000] },
    )
    .toBe(true);
  expect(navigations).toBe(loads);
  // Pushed updates (and the ticking "12 s ago") must not move anything on the page.
  expect(await fleet.layoutShifts()).toEqual([]);
});

test('arrow keys move the selection and Enter opens the details', async ({ page }) => {
  const fleet = new FleetPage(page);
  await fleet.open(running().url);
  await fleet.waitForRows();
  const names = await fleet.machineNames();
  test.skip(names.length < 2, 'the demo fleet has a single machine');
  await fleet.pressInGrid('ArrowDown', 'Enter');
  await expect(fleet.selectedRow()).toHaveCount(1);
  const second = names[1] ?? '';
  await expect(fleet.selectedRow()).toContainText(second);
  await expect(fleet.details).toBeVisible();
  await expect(fleet.details).toHaveAttribute('aria-label', `Details of ${second}`);
  await page.keyboard.press('Escape');
  await expect(fleet.details).toHaveCount(0);
});

test('the filter narrows the rows and "Disk %" sorts the fullest machine first', async ({
  page,
}) => {
  const fleet = new FleetPage(page);
  await fleet.open(running().url);
  await fleet.waitForRows();
  await fleet.waitForDiskReadings();
  const names = await fleet.machineNames();
  const target = names[names.length - 1] ?? '';
  await fleet.filterBy(target.slice(-8));
  await expect(fleet.names).toHaveText([target]);
  await fleet.filterBy('');
  await expect(fleet.rows).toHaveCount(names.length);
  await fleet.sortBy('Disk %');
  const fullest = await fleet.maxDiskPerRow();
  const known = fullest.filter((pct): pct is number => pct !== null);
  expect(known.length).toBeGreaterThan(0);
  expect(known).toEqual([...known].sort((a, b) => b - a));
  // Unknown disks go last: every known value comes before the first unknown one.
  expect(fullest.slice(0, known.length)).toEqual(known);
});

test('without the token the page says to open the URL with the token', async ({ browser }) => {
  // A fresh context has no session cookie: exactly a browser that never opened the URL.
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const fleet = new FleetPage(page);
    await fleet.open(`${running().origin}/`);
    await expect(fleet.authState).toBeVisible();
    await expect(fleet.authState).toContainText(
      /open the URL with the token that runner-watch printed/i,
    );
    await expect(fleet.rows).toHaveCount(0);
  } finally {
    await context.close();
  }
});

test('the demo shows an orphan with its age and cost so far, and a proposal to remove it', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const fleet = new FleetPage(page);
  await fleet.open(running().url);
  await fleet.waitForRows();
  // GitLab links the finished jobs over the first cycles; until then it is only "unlisted".
  const row = fleet.orphanRows();
  await expect(row).toHaveCount(1, { timeout: 90_000 });
  await expect(fleet.orphanCost(row)).toHaveText(/^\d+\.\d{2} EUR$/, { timeout: 60_000 });
  await row.click();
  await expect(fleet.orphanDetails).toContainText(
    'The provider lists this server, docker-machine on runner-manager-1 does not.',
  );
  await expect(fleet.orphanDetailsCost).toHaveText(
    /^\d+\.\d{2} EUR so far at 0\.\d{4} EUR\/h, since it was created \d+ d ago\.$/,
  );
  await expect(fleet.detailsProposal).toContainText(
    /Delete orphan runner-\S+ \(no runner manager lists it/,
  );
});

test('screenshot of the Fleet view', async ({ page }, testInfo) => {
  const fleet = new FleetPage(page);
  await fleet.open(running().url);
  await fleet.waitForRows();
  await expect(fleet.stream).toHaveText('live');
  // Wait for the first probe, so the picture shows disk bars rather than "unknown".
  await fleet.waitForDiskReadings();
  const path = `${root}/test-results/fleet-view.png`;
  mkdirSync(`${root}/test-results`, { recursive: true });
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach('fleet-view', { path, contentType: 'image/png' });
  // The README's picture is refreshed on request only, so a test run leaves the tree clean.
  if (process.env.RW_UPDATE_DOCS_SCREENSHOT === '1')
    copyFileSync(path, `${root}/docs/screenshot.png`);
});

// Last on purpose: it stops the demo.
test('when the host goes away the rows stay and the page says it cannot reach Runner Watch', async ({
  page,
}) => {
  const fleet = new FleetPage(page);
  await fleet.open(running().url);
  await fleet.waitForRows();
  const before = await fleet.rows.count();
  await running().stop();
  await expect(fleet.downBanner).toBeVisible();
  await expect(fleet.downBanner).toContainText('Cannot reach Runner Watch:');
  await expect(fleet.downBanner).toContainText('reconnecting on its own');
  expect(await fleet.rows.count()).toBe(before);
});
