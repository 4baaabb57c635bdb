import { expect, type Locator, type Page } from 'playwright/test';

/** Layout constants of renderer/timeline/layout.ts the page needs to aim the pointer. */
const AXIS_HEIGHT = 30;
const ROW_HEIGHT = 26;
const BAR_MIDDLE = 3 + 7;

/** The Timeline view, as a person sees it (STYLE.md §12: specs use no selectors of their own). */
export class TimelinePage {
  readonly tab: Locator;
  readonly canvas: Locator;
  readonly window: Locator;
  readonly counts: Locator;
  readonly tooltip: Locator;
  readonly panel: Locator;
  readonly openInGitLab: Locator;
  readonly openedUrl: Locator;
  readonly metricsSlot: Locator;
  readonly table: Locator;
  readonly legend: Locator;

  constructor(readonly page: Page) {
    this.tab = page.getByRole('link', { name: 'Timeline' });
    this.canvas = page.getByTestId('timeline-canvas');
    this.window = page.getByTestId('timeline-window');
    this.counts = page.getByTestId('timeline-counts');
    this.tooltip = page.getByTestId('timeline-tooltip');
    this.panel = page.getByTestId('job-panel');
    this.openInGitLab = page.getByTestId('open-in-gitlab');
    this.openedUrl = page.getByTestId('opened-url');
    this.metricsSlot = page.getByTestId('job-metrics-slot');
    this.table = page.getByTestId('timeline-table');
    this.legend = page.getByTestId('timeline-legend');
  }

  async show(): Promise<void> {
    await this.tab.click();
    await expect(this.canvas).toBeVisible();
  }

  /** Waits until the timeline holds at least `n` jobs (GitLab links them over a few cycles). */
  async waitForJobs(n = 1, timeout = 60_000): Promise<number> {
    let count = 0;
    await expect
      .poll(
        async () => {
          // The timeline is re-read on fleet events; the counter follows.
          const text = (await this.counts.textContent()) ?? '';
          count = Number(/(\d+) jobs/.exec(text)?.[1] ?? 0);
          return count;
        },
        { timeout },
      )
      .toBeGreaterThanOrEqual(n);
    return count;
  }

  async preset(hours: number): Promise<void> {
    await this.page.getByTestId(`preset-${hours}h`).click();
  }

  async windowText(): Promise<string> {
    return (await this.window.textContent()) ?? '';
  }

  /** Ctrl + wheel over the middle of the plot (what a trackpad pinch sends, too). */
  async wheelZoom(deltaY: number): Promise<void> {
    const box = await this.box();
    await this.page.mouse.move(box.x + box.width * 0.7, box.y + AXIS_HEIGHT + ROW_HEIGHT * 2);
    await this.page.keyboard.down('Control');
    await this.page.mouse.wheel(0, deltaY);
    await this.page.keyboard.up('Control');
  }

  /** Drags the plot by `dx` pixels (positive = towards later times' side, i.e. back in time). */
  async drag(dx: number): Promise<void> {
    const box = await this.box();
    const x = box.x + box.width * 0.6;
    const y = box.y + AXIS_HEIGHT + ROW_HEIGHT * 3;
    await this.page.mouse.move(x, y);
    await this.page.mouse.down();
    for (let i = 1; i <= 5; i++) await this.page.mouse.move(x + (dx * i) / 5, y);
    await this.page.mouse.up();
  }

  /**
   * Moves the pointer along the job bars of the first `rows` rows, right to left, until a
   * job's tooltip shows; returns where it did, or null when no job was under the pointer.
   */
  async hoverFirstJob(rows = 12): Promise<{ x: number; y: number } | null> {
    const box = await this.box();
    for (let row = 0; row < rows; row++) {
      const y = box.y + AXIS_HEIGHT + row * ROW_HEIGHT + BAR_MIDDLE;
      if (y > box.y + box.height - 4) break;
      for (let x = box.x + box.width - 30; x > box.x + box.width * 0.2; x -= 6) {
        await this.page.mouse.move(x, y);
        if (
          (await this.tooltip.count()) > 0 &&
          /#\d+/.test((await this.tooltip.textContent()) ?? '')
        )
          return { x, y };
      }
    }
    return null;
  }

  /**
   * Like hoverFirstJob, but goes on until the tooltip shows a job with a known cost (a
   * finished job on a priced machine); null when none is under the first `rows` rows.
   */
  async hoverJobWithCost(rows = 12): Promise<{ x: number; y: number } | null> {
    const box = await this.box();
    const cost = this.page.getByTestId('tooltip-job-cost');
    for (let row = 0; row < rows; row++) {
      const y = box.y + AXIS_HEIGHT + row * ROW_HEIGHT + BAR_MIDDLE;
      if (y > box.y + box.height - 4) break;
      for (let x = box.x + box.width - 30; x > box.x + box.width * 0.2; x -= 6) {
        await this.page.mouse.move(x, y);
        if ((await cost.count()) > 0 && /\d/.test((await cost.textContent()) ?? ''))
          return { x, y };
      }
    }
    return null;
  }

  private async box() {
    const box = await this.canvas.boundingBox();
    if (!box) throw new Error('the timeline canvas is not on screen');
    return box;
  }
}
