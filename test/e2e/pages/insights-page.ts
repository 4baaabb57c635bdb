import { expect, type Locator, type Page } from 'playwright/test';

/**
 * The alerts, cost and queue strip under the Fleet grid, the header's cost figure and the
 * Check now button, as a person sees them (STYLE.md §12: specs use no selectors of their own).
 */
export class InsightsPage {
  readonly headerCost: Locator;
  readonly checkNow: Locator;
  readonly alertRows: Locator;
  readonly muteRows: Locator;
  readonly duration: Locator;
  readonly costPerHour: Locator;
  readonly projectRows: Locator;
  readonly exportCsv: Locator;
  readonly period: Locator;
  readonly queueRows: Locator;
  readonly strip: Locator;
  readonly fold: Locator;

  constructor(readonly page: Page) {
    this.headerCost = page.getByTestId('summary-cost');
    this.checkNow = page.getByTestId('check-now');
    this.alertRows = page.getByTestId('alert-row');
    this.muteRows = page.getByTestId('mute-row');
    this.duration = page.getByTestId('quiet-duration');
    this.costPerHour = page.getByTestId('cost-per-hour');
    this.projectRows = page.getByTestId('project-cost-row');
    this.exportCsv = page.getByTestId('cost-export');
    this.period = page.getByTestId('cost-period');
    this.queueRows = page.getByTestId('queue-row');
    this.strip = page.getByTestId('insights');
    this.fold = page.getByTestId('insight-fold');
  }

  async showTab(tab: 'alerts' | 'cost' | 'queue'): Promise<void> {
    await this.page.getByTestId(`insight-tab-${tab}`).click();
    await expect(this.page.getByTestId(`insight-tab-${tab}`)).toHaveAttribute(
      'aria-selected',
      'true',
    );
  }

  /** The row of one alert by its key. */
  alert(key: string): Locator {
    return this.page.locator(`[data-testid="alert-row"][data-alert-key="${key}"]`);
  }

  /** The state cell of an alert: "notifying", or who acknowledged or muted it until when. */
  stateOf(key: string): Locator {
    return this.alert(key).getByTestId('alert-state');
  }

  /** Key of the first alert that notifies now (not acknowledged, not muted). */
  async firstNotifyingKey(): Promise<string> {
    const row = this.alertRows.filter({
      has: this.page.getByTestId('alert-state').getByText('notifying', { exact: true }),
    });
    await expect(row.first()).toBeVisible();
    const key = await row.first().getAttribute('data-alert-key');
    if (!key) throw new Error('an alert row without its key');
    return key;
  }

  /** The strip's height in CSS pixels. */
  async height(): Promise<number> {
    const box = await this.strip.boundingBox();
    if (!box) throw new Error('the insights strip is not on screen');
    return box.height;
  }

  /** Runs Check now and waits until it ended (the button is enabled again). */
  async checkNowAndWait(): Promise<void> {
    await this.checkNow.click();
    await expect(this.checkNow).toHaveText('Check now');
    await expect(this.checkNow).toBeEnabled();
  }
}
