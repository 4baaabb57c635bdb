import { copyFileSync, mkdirSync } from 'node:fs';
import { expect, test } from 'playwright/test';
import { startDemo, type DemoProcess } from './demo-process';
import { FleetPage } from './pages/fleet-page';
import { TimelinePage } from './pages/timeline-page';

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

test('shows the jobs of the simulated fleet; presets and Ctrl + wheel change the window', async ({
  page,
}) => {
  await new FleetPage(page).open(running().url);
  const timeline = new TimelinePage(page);
  await timeline.show();
  await timeline.waitForJobs(3);
  await expect(timeline.legend).toContainText('failed');
  await expect(timeline.canvas).toHaveAttribute('aria-label', /^Fleet timeline: \d+ rows/);
  // The canvas drew bars for what is in view.
  await expect
    .poll(async () => Number(await timeline.canvas.getAttribute('data-jobs-drawn')))
    .toBeGreaterThan(0);

  expect(await timeline.windowText()).toContain('(3 h)');
  await timeline.preset(1);
  expect(await timeline.windowText()).toContain('(1 h)');
  await timeline.preset(6);
  const before = await timeline.windowText();
  expect(before).toContain('(6 h)');
  await timeline.wheelZoom(-300);
  await expect.poll(() => timeline.windowText()).not.toBe(before);
  const zoomed = await timeline.windowText();
  expect(zoomed).not.toContain('(6 h)');
  await timeline.wheelZoom(600);
  await expect.poll(() => timeline.windowText()).not.toBe(zoomed);

  // Dragging the plot to the right goes back in time: the window no longer follows now.
  await timeline.preset(3);
  expect(await timeline.windowText()).toContain('following now');
  await timeline.drag(300);
  await expect.poll(() => timeline.windowText()).not.toContain('following now');
  expect(await timeline.windowText()).toContain('(3 h)');
});

test("hover shows the job's project and duration; click opens the panel and GitLab at the simulated job's URL", async ({
  page,
  context,
}) => {
  await new FleetPage(page).open(running().url);
  const timeline = new TimelinePage(page);
  await timeline.show();
  await timeline.waitForJobs(3);
  const at = await timeline.hoverFirstJob();
  expect(at, 'no job bar found under the pointer in the first rows').not.toBeNull();
  const tip = (await timeline.tooltip.textContent()) ?? '';
  expect(tip).toMatch(/Project[a-z0-9-]+\/[a-z0-9-]+/);
  expect(tip).toMatch(/Duration\d+ (s|min)/);
  const jobId = /#(\d+)/.exec(tip)?.[1] ?? '';
  const project = /Project([a-z0-9-]+\/[a-z0-9-]+)/.exec(tip)?.[1] ?? '';

  await page.mouse.click(at?.x ?? 0, at?.y ?? 0);
  await expect(timeline.panel).toBeVisible();
  await expect(timeline.panel).toContainText(`#${jobId}`);
  await expect(timeline.metricsSlot).toContainText('No Prometheus configured for this fleet');

  // The simulated GitLab's address, as its source reports it (host:port of its URL).
  const snapshot = (await (
    await page.request.post(`${running().origin}/api/invoke/rw:fleet:snapshot`, { data: {} })
  ).json()) as {
    sources: { kind: string; label: string }[];
  };
  // The GitLab source's label names the instance: "GitLab <id> · http://<host:port>".
  const gitlabLabel = snapshot.sources.find((s) => s.kind === 'gitlab')?.label ?? '';
  const gitlabHost = /https?:\/\/(127\.\d+\.\d+\.\d+:\d+)$/.exec(gitlabLabel)?.[1] ?? '';
  expect(gitlabHost, gitlabLabel).toMatch(/^127\.\d+\.\d+\.\d+:\d+$/);

  const popup = context.waitForEvent('page');
  await timeline.openInGitLab.click();
  const opened = await popup;
  const expected = `http://${gitlabHost}/${project}/-/jobs/${jobId}`;
  await expect(timeline.openedUrl).toContainText(expected);
  await expect.poll(() => opened.url()).toBe(expected);
  await opened.close();
});

test('screenshots of the Timeline at 1440×900 and 800×600, light and dark', async ({
  browser,
}, testInfo) => {
  mkdirSync(`${root}/test-results`, { recursive: true });
  for (const colorScheme of ['light', 'dark'] as const) {
    for (const [width, height] of [
      [1440, 900],
      [800, 600],
    ] as const) {
      const context = await browser.newContext({ viewport: { width, height }, colorScheme });
      const page = await context.newPage();
      try {
        await new FleetPage(page).open(running().url);
        const timeline = new TimelinePage(page);
        await timeline.show();
        await timeline.waitForJobs(3);
        const at = await timeline.hoverFirstJob();
        if (at) await page.mouse.click(at.x, at.y);
        const path = `${root}/test-results/timeline-${width}x${height}-${colorScheme}.png`;
        await page.screenshot({ path });
        await testInfo.attach(`timeline-${width}x${height}-${colorScheme}`, {
          path,
          contentType: 'image/png',
        });
        if (
          process.env.RW_UPDATE_DOCS_SCREENSHOT === '1' &&
          width === 1440 &&
          colorScheme === 'light'
        )
          copyFileSync(path, `${root}/docs/screenshot-timeline.png`);
      } finally {
        await context.close();
      }
    }
  }
});
