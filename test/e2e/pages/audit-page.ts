import { expect, type Locator, type Page } from 'playwright/test';

/** The Audit view, as a person sees it (STYLE.md §12). */
export class AuditPage {
  readonly tab: Locator;
  readonly rows: Locator;
  readonly machineFilter: Locator;
  readonly typeFilter: Locator;
  readonly download: Locator;

  constructor(readonly page: Page) {
    this.tab = page.getByRole('link', { name: 'Audit' });
    this.rows = page.getByTestId('audit-row');
    this.machineFilter = page.getByRole('searchbox', { name: 'Filter by machine' });
    this.typeFilter = page.getByRole('combobox', { name: 'Record type' });
    this.download = page.getByRole('button', { name: 'Download CSV' });
  }

  async show(): Promise<void> {
    await this.tab.click();
    await expect(this.tab).toHaveAttribute('aria-current', 'page');
  }

  /** Records of one machine and type, e.g. the `result` of a kill. */
  recordsOf(machine: string, type: string): Locator {
    return this.page.locator(
      `[data-testid="audit-row"][data-machine="${machine}"][data-type="${type}"]`,
    );
  }
}
