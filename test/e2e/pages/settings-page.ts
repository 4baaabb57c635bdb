import { expect, type Locator, type Page } from 'playwright/test';

/** The Settings view, as a person sees it (STYLE.md §12: specs use no selectors of their own). */
export class SettingsPage {
  readonly tab: Locator;
  readonly save: Locator;
  readonly result: Locator;
  readonly problems: Locator;
  readonly secretNote: Locator;

  constructor(readonly page: Page) {
    this.tab = page.getByRole('link', { name: 'Settings' });
    this.save = page.getByTestId('settings-save');
    this.result = page.getByTestId('settings-result');
    this.problems = page.getByTestId('settings-problems');
    this.secretNote = page.getByTestId('secret-note');
  }

  async show(): Promise<void> {
    await this.tab.click();
    await expect(this.tab).toHaveAttribute('aria-current', 'page');
    await expect(this.save).toBeVisible();
  }

  /** The field at a settings path, e.g. `fleets[0].warnPct`. */
  field(path: string): Locator {
    return this.page.locator(`[data-path="${path}"]`);
  }

  /** The field's input or select. */
  input(path: string): Locator {
    return this.field(path).locator('input, select').first();
  }

  /** The error shown next to a field. */
  errorOf(path: string): Locator {
    return this.field(path).getByTestId('field-error');
  }
}
