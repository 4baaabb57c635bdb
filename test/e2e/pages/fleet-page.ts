import { expect, type Locator, type Page } from 'playwright/test';

/**
 * The Fleet view, as a person sees it. Specs go through this object and never through
 * selectors of their own, so a markup change is fixed in one place (STYLE.md §12).
 */
export class FleetPage {
  readonly rows: Locator;
  readonly names: Locator;
  readonly filter: Locator;
  readonly details: Locator;
  readonly authState: Locator;
  readonly errorState: Locator;
  readonly emptyState: Locator;
  readonly sources: Locator;
  readonly stream: Locator;
  readonly downBanner: Locator;

  constructor(readonly page: Page) {
    this.rows = page.getByTestId('machine-row');
    this.names = page.getByTestId('machine-name');
    this.filter = page.getByRole('searchbox', { name: 'Filter machines' });
    this.details = page.getByTestId('details');
    this.authState = page.getByTestId('state-auth');
    this.errorState = page.getByTestId('state-error');
    this.emptyState = page.getByTestId('state-empty');
    this.sources = page.getByTestId('source');
    this.stream = page.getByTestId('stream');
    this.downBanner = page.getByTestId('down-banner');
  }

  /** Opens a URL; an error names the URL with its access token replaced by `<token>`. */
  async open(url: string): Promise<void> {
    try {
      await this.page.goto(url);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // A new error without the original as cause: the original's message has the token.
      throw new Error(redactToken(message));
    }
  }

  /** Waits until at least one machine row is shown. */
  async waitForRows(): Promise<void> {
    await expect(this.rows.first()).toBeVisible();
  }

  /**
   * How many machine rows a person can read whole in the grid's scroll box right now (the
   * grid renders a few rows beyond its edges, so the count of rendered rows would not do).
   */
  async wholeRowsInView(): Promise<number> {
    return this.page.getByRole('grid', { name: 'Machines' }).evaluate((grid) => {
      const box = (grid.closest('.table-scroll') ?? grid).getBoundingClientRect();
      const head = grid.querySelector('thead')?.getBoundingClientRect().bottom ?? box.top;
      return [...grid.querySelectorAll('[data-testid="machine-row"]')].filter((row) => {
        const r = row.getBoundingClientRect();
        return r.height > 0 && r.top >= head - 0.5 && r.bottom <= box.bottom + 0.5;
      }).length;
    });
  }

  /** Waits until the probe has read at least one disk. */
  async waitForDiskReadings(): Promise<void> {
    await expect(this.page.getByTestId('disk-pct').first()).toBeVisible();
  }

  /** Starts recording layout shifts (the Layout Instability API) from now on. */
  async recordLayoutShifts(): Promise<void> {
    await this.page.evaluate(() => {
      const shifts: string[] = [];
      Object.assign(window, { rwLayoutShifts: shifts });
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          const shift = entry as PerformanceEntry & {
            value: number;
            sources?: { node?: Node | null }[];
          };
          const nodes = (shift.sources ?? []).map((source) => {
            const node = source.node;
            return node instanceof Element
              ? `${node.tagName.toLowerCase()}.${node.className}`
              : String(node?.nodeName);
          });
          shifts.push(`${shift.value.toFixed(4)} ${nodes.join(', ')}`);
        }
      }).observe({ type: 'layout-shift' });
    });
  }

  /** Layout shifts since recordLayoutShifts, each as "score nodes". */
  async layoutShifts(): Promise<string[]> {
    return this.page.evaluate(
      () => (window as unknown as { rwLayoutShifts?: string[] }).rwLayoutShifts ?? [],
    );
  }

  /** Rows marked `orphan` (no runner manager lists the server). */
  orphanRows(): Locator {
    return this.rows.filter({ has: this.page.getByTestId('orphan') });
  }

  /** The cost-so-far sub-line of a row (orphans only). */
  orphanCost(row: Locator): Locator {
    return row.getByTestId('orphan-cost');
  }

  /** The details drawer's orphan section and its cost line. */
  get orphanDetails(): Locator {
    return this.page.getByTestId('details-orphan');
  }
  get orphanDetailsCost(): Locator {
    return this.page.getByTestId('details-orphan-cost');
  }
  /** The details drawer's proposal section. */
  get detailsProposal(): Locator {
    return this.page.getByTestId('details-proposal');
  }

  async machineNames(): Promise<string[]> {
    return this.names.allTextContents();
  }

  /** Disk use per `machine mount`, as shown in the bars. */
  async diskPercents(): Promise<Map<string, number>> {
    const entries = await this.rows.evaluateAll((rows) =>
      rows.flatMap((row) => {
        const name = row.querySelector('[data-testid="machine-name"]')?.textContent ?? '';
        return [...row.querySelectorAll('[data-testid="disk"]')].map((disk) => [
          `${name} ${disk.getAttribute('data-mount') ?? ''}`,
          disk.querySelector('[data-testid="disk-pct"]')?.textContent ?? '',
        ]);
      }),
    );
    return new Map(entries.map(([key, text]) => [key ?? '', Number.parseInt(text ?? '', 10)]));
  }

  /** The tooltip of the first disk bar, which carries the definition of disk %. */
  async firstDiskTooltip(): Promise<string | null> {
    return this.page.getByTestId('disk').first().getAttribute('title');
  }

  /** Clicks a sortable column header, e.g. "Disk %". */
  async sortBy(column: 'Name' | 'Disk %' | 'Running jobs'): Promise<void> {
    await this.page.getByRole('button', { name: column }).click();
  }

  /** The highest disk % of each row in display order; null where disks are unknown. */
  async maxDiskPerRow(): Promise<(number | null)[]> {
    return this.rows.evaluateAll((rows) =>
      rows.map((row) => {
        const values = [...row.querySelectorAll('[data-testid="disk-pct"]')].map((el) =>
          Number.parseInt(el.textContent ?? '', 10),
        );
        return values.length > 0 ? Math.max(...values) : null;
      }),
    );
  }

  async filterBy(text: string): Promise<void> {
    await this.filter.fill(text);
  }

  /** Focuses the first row and presses keys on the grid. */
  async pressInGrid(...keys: string[]): Promise<void> {
    await this.rows.first().focus();
    for (const key of keys) await this.page.keyboard.press(key);
  }

  selectedRow(): Locator {
    return this.page.locator('[data-testid="machine-row"][aria-selected="true"]');
  }
}

/** Replaces `token=…` values, so a failure message or report never carries the access token. */
export function redactToken(text: string): string {
  return text.replace(/token=[^\s&"']+/g, 'token=<token>');
}
