import type { Locator, Page } from 'playwright/test';

/** The job metrics panel, opened from a running job in the machine details. */
export class JobMetricsPage {
  readonly panel: Locator;
  readonly origin: Locator;
  readonly charts: Locator;
  readonly phases: Locator;
  readonly downloadCsv: Locator;
  readonly close: Locator;

  constructor(readonly page: Page) {
    this.panel = page.getByTestId('job-metrics');
    this.origin = page.getByTestId('job-metrics-origin');
    this.charts = this.panel.getByTestId(/^chart-/);
    this.phases = this.panel.getByLabel('Job phases');
    this.downloadCsv = this.panel.getByRole('button', { name: 'Download CSV' });
    this.close = this.panel.getByRole('button', { name: 'Close job metrics' });
  }

  /** Clicks the first running job's Metrics button in the open details. */
  async openFromDetails(): Promise<void> {
    await this.page
      .getByRole('button', { name: /^Metrics of job \d+$/ })
      .first()
      .click();
    await this.panel.waitFor();
  }
}
