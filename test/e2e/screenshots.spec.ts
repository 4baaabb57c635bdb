import { copyFileSync, mkdirSync } from 'node:fs';
import { expect, test, type Page } from 'playwright/test';
import { startDemo, type DemoProcess } from './demo-process';
import { FleetPage } from './pages/fleet-page';
import { InsightsPage } from './pages/insights-page';
import { findClippedControls, findCoveredInside, findUnnamedControls } from './pages/layout-check';

const root = `${import.meta.dirname}/../..`;
const shots = `${root}/test-results/screenshots`;

test.describe.configure({ mode: 'serial' });
// A stuck click fails in 30 s with its reason instead of using up the whole test.
test.use({ actionTimeout: 30_000 });

let demo: DemoProcess | undefined;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  demo = await startDemo(root);
  mkdirSync(shots, { recursive: true });
});

test.afterAll(async () => {
  await demo?.stop();
});

function running(): DemoProcess {
  if (!demo) throw new Error('the demo did not start');
  return demo;
}

const sizes = [
  { width: 1440, height: 900 },
  { width: 800, height: 600 },
] as const;
const schemes = ['light', 'dark'] as const;

/** The views as the tab bar lists them (a view added later is reviewed too). */
async function viewNames(page: Page): Promise<string[]> {
  return page
    .getByRole('navigation', { name: 'Views' })
    .getByRole('link')
    .evaluateAll((links) => links.map((a) => (a.getAttribute('href') ?? '').replace('#', '')));
}

test('every view at 1440×900 and 800×600, light and dark: screenshots, and no control clipped or covered', async ({
  page,
}, testInfo) => {
  test.setTimeout(600_000);
  const fleet = new FleetPage(page);
  await fleet.open(running().url);
  await fleet.waitForRows();
  await fleet.waitForDiskReadings();
  const views = await viewNames(page);
  expect(views).toEqual(
    expect.arrayContaining(['fleet', 'proposals', 'runners', 'audit', 'settings']),
  );
  const problems: string[] = [];
  for (const scheme of schemes) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const size of sizes) {
      await page.setViewportSize(size);
      for (const view of views) {
        await page.getByRole('link', { name: new RegExp(`^${view}$`, 'i') }).click();
        await expect(
          page.getByRole('link', { name: new RegExp(`^${view}$`, 'i') }),
        ).toHaveAttribute('aria-current', 'page');
        await expect(page.getByTestId('state-loading')).toHaveCount(0, { timeout: 30_000 });
        // Let the layout settle (fonts, measured widths, the first push).
        await page.waitForTimeout(500);
        const name = `${view}-${size.width}x${size.height}-${scheme}`;
        await page.screenshot({ path: `${shots}/${name}.png` });
        await testInfo.attach(name, { path: `${shots}/${name}.png`, contentType: 'image/png' });
        for (const clipped of await findClippedControls(page))
          problems.push(`${name}: ${clipped.control} ${clipped.problem}`);
        for (const unnamed of await findUnnamedControls(page))
          problems.push(`${name}: no accessible name: ${unnamed}`);
      }

      // The details drawer of a machine: above the sticky header, nothing of it covered.
      await page.getByRole('link', { name: 'Fleet' }).click();
      await fleet.rows.nth(1).click();
      await expect(fleet.details).toBeVisible();
      const name = `fleet-details-${size.width}x${size.height}-${scheme}`;
      await page.screenshot({ path: `${shots}/${name}.png` });
      await testInfo.attach(name, { path: `${shots}/${name}.png`, contentType: 'image/png' });
      for (const covered of await findCoveredInside(
        page,
        '[data-testid="details"]',
        'tr, dt, dd, h3, button',
      ))
        problems.push(`${name}: ${covered}`);
      // The drawer lies over the grid on purpose; its own controls must all be usable.
      for (const clipped of await findClippedControls(page, '[data-testid="details"]'))
        problems.push(`${name}: ${clipped.control} ${clipped.problem}`);
      await page.getByRole('button', { name: 'Close details' }).click();
      await expect(fleet.details).toHaveCount(0);
    }
  }
  // The README's Fleet screenshot, once the demo has proposals (RW_UPDATE_DOCS_SCREENSHOT=1).
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.getByRole('link', { name: 'Fleet' }).click();
  await fleet.waitForRows();
  await page.screenshot({ path: `${shots}/fleet-readme.png` });
  if (process.env.RW_UPDATE_DOCS_SCREENSHOT === '1')
    copyFileSync(`${shots}/fleet-readme.png`, `${root}/docs/screenshot.png`);
  expect(problems).toEqual([]);
});

test('with the insights strip open the machine grid keeps most of the window; the strip starts folded on a short window and remembers the choice', async ({
  browser,
}, testInfo) => {
  test.setTimeout(300_000);
  const problems: string[] = [];
  const figures: string[] = [];
  for (const scheme of schemes) {
    for (const size of [...sizes, { width: 1280, height: 800 }]) {
      // A context of its own: no choice stored yet, so the default is what is seen.
      const context = await browser.newContext({ viewport: size, colorScheme: scheme });
      const page = await context.newPage();
      try {
        const fleet = new FleetPage(page);
        const insights = new InsightsPage(page);
        const short = size.height < 760;
        await fleet.open(running().url);
        await fleet.waitForRows();
        await fleet.waitForDiskReadings();
        await expect(insights.fold, `${size.height} px tall: open by default`).toHaveAttribute(
          'aria-expanded',
          String(!short),
        );

        await insights.showTab('alerts');
        await expect(insights.alertRows.first()).toBeVisible();
        // Let the layout settle (fonts, measured widths) before the picture.
        await page.waitForTimeout(500);
        const name = `insights-${size.width}x${size.height}-${scheme}`;
        await page.screenshot({ path: `${shots}/${name}.png` });
        await testInfo.attach(name, { path: `${shots}/${name}.png`, contentType: 'image/png' });
        const rows = await fleet.wholeRowsInView();
        const strip = await insights.height();
        figures.push(`${name}: ${rows} whole rows, strip ${Math.round(strip)} px`);
        expect(rows, `${name}: whole machine rows in view`).toBeGreaterThanOrEqual(short ? 3 : 4);
        expect(strip, `${name}: strip height`).toBeLessThanOrEqual(size.height * 0.4);
        for (const clipped of await findClippedControls(page))
          problems.push(`${name}: ${clipped.control} ${clipped.problem}`);

        // The person's choice outlives a restart, either way.
        await fleet.open(running().url);
        await fleet.waitForRows();
        await expect(insights.fold, `${name}: opened, reloaded`).toHaveAttribute(
          'aria-expanded',
          'true',
        );
        await insights.fold.click();
        await expect(insights.fold).toHaveAttribute('aria-expanded', 'false');
        await fleet.open(running().url);
        await fleet.waitForRows();
        await expect(insights.fold, `${name}: folded, reloaded`).toHaveAttribute(
          'aria-expanded',
          'false',
        );
      } finally {
        await context.close();
      }
    }
  }
  await testInfo.attach('figures', { body: figures.join('\n'), contentType: 'text/plain' });
  console.log(figures.join('\n'));
  expect(problems).toEqual([]);
});

test('at 200 % zoom (a 1440×900 screen) every view stays usable: cards, wrapped toolbars, nothing clipped', async ({
  browser,
}, testInfo) => {
  test.setTimeout(300_000);
  // 200 % zoom = half the CSS pixels at twice the density.
  const context = await browser.newContext({
    viewport: { width: 720, height: 450 },
    deviceScaleFactor: 2,
  });
  const page = await context.newPage();
  try {
    const fleet = new FleetPage(page);
    await fleet.open(running().url);
    await fleet.waitForRows();
    await expect(page.getByRole('grid', { name: 'Machines' })).toHaveAttribute(
      'data-layout',
      'cards',
    );
    const problems: string[] = [];
    for (const view of await viewNames(page)) {
      await page.getByRole('link', { name: new RegExp(`^${view}$`, 'i') }).click();
      await expect(page.getByTestId('state-loading')).toHaveCount(0, { timeout: 30_000 });
      await page.waitForTimeout(500);
      const name = `${view}-zoom200`;
      await page.screenshot({ path: `${shots}/${name}.png` });
      await testInfo.attach(name, { path: `${shots}/${name}.png`, contentType: 'image/png' });
      for (const clipped of await findClippedControls(page))
        problems.push(`${name}: ${clipped.control} ${clipped.problem}`);
    }
    expect(problems).toEqual([]);
  } finally {
    await context.close();
  }
});
