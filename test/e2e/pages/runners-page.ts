import { expect, type Locator, type Page } from 'playwright/test';

/** The Runners view, as a person sees it (STYLE.md §12: specs use no selectors of their own). */
export class RunnersPage {
  readonly tab: Locator;
  readonly rows: Locator;
  readonly staleRows: Locator;
  readonly count: Locator;
  readonly filter: Locator;
  readonly previewButton: Locator;
  readonly preview: Locator;
  readonly candidates: Locator;
  readonly removeButton: Locator;
  readonly results: Locator;

  constructor(readonly page: Page) {
    this.tab = page.getByRole('link', { name: 'Runners' });
    this.rows = page.getByTestId('runner-row');
    this.staleRows = page.locator('[data-testid="runner-row"][data-stale="true"]');
    this.count = page.getByTestId('runner-count');
    this.filter = page.getByRole('searchbox', { name: 'Filter runners' });
    this.previewButton = page.getByRole('button', { name: 'Preview removal' });
    this.preview = page.getByTestId('prune-preview');
    this.candidates = page.getByTestId('prune-candidate');
    this.removeButton = page.getByTestId('remove-button');
    this.results = page.getByTestId('prune-results');
  }

  async show(): Promise<void> {
    await this.tab.click();
    await expect(this.tab).toHaveAttribute('aria-current', 'page');
  }

  /** Runner keys (`instance/id`) of the shown rows, in order. */
  async keys(): Promise<string[]> {
    return this.rows.evaluateAll((rows) => rows.map((row) => row.getAttribute('data-key') ?? ''));
  }

  async staleKeys(): Promise<string[]> {
    return this.staleRows.evaluateAll((rows) =>
      rows.map((row) => row.getAttribute('data-key') ?? ''),
    );
  }

  /** Candidate key → the reason the preview gives. */
  async candidateReasons(): Promise<Map<string, string>> {
    const pairs = await this.candidates.evaluateAll((items) =>
      items.map((item) => [
        item.getAttribute('data-key') ?? '',
        item.querySelector('[data-testid="candidate-reason"]')?.textContent ?? '',
      ]),
    );
    return new Map(pairs.map(([key, reason]) => [key ?? '', reason ?? '']));
  }
}
