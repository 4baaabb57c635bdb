import { expect, type Locator, type Page } from 'playwright/test';

/**
 * The Proposals view and its confirm dialog, as a person sees them. Specs go through this
 * object, never through selectors of their own (STYLE.md §12).
 */
export class ProposalsPage {
  readonly tab: Locator;
  readonly proposals: Locator;
  readonly dialog: Locator;
  readonly rechecking: Locator;
  readonly recheckOk: Locator;
  readonly recheckProblems: Locator;
  readonly actionText: Locator;
  readonly confirmButton: Locator;
  readonly result: Locator;

  constructor(readonly page: Page) {
    // exact: the header's "N proposals waiting" is a link too
    this.tab = page.getByRole('link', { name: 'Proposals', exact: true });
    this.proposals = page.getByTestId('proposal');
    this.dialog = page.getByRole('dialog');
    this.rechecking = page.getByTestId('rechecking');
    this.recheckOk = page.getByTestId('recheck-ok');
    this.recheckProblems = page.getByTestId('recheck-problems');
    this.actionText = page.getByTestId('action-text');
    this.confirmButton = page.getByTestId('confirm-button');
    this.result = page.getByTestId('confirm-result');
  }

  async show(): Promise<void> {
    await this.tab.click();
    await expect(this.tab).toHaveAttribute('aria-current', 'page');
  }

  /** Proposals ready to confirm: pending, nothing blocking, fired by `rule` (in `fleet` when given). */
  ready(rule: 'disk' | 'idle' | 'max-age' | 'unreachable', fleet?: string): Locator {
    return this.page.locator(
      `${fleetScope(fleet)}[data-testid="proposal"][data-state="pending"][data-rule="${rule}"]`,
    );
  }

  /** Proposals something blocks (in `fleet` when given). */
  blocked(fleet?: string): Locator {
    return this.page.locator(`${fleetScope(fleet)}[data-testid="proposal"][data-state="blocked"]`);
  }

  /** Waits for a ready proposal of `rule` and returns its machine name. */
  async waitForReady(rule: 'disk' | 'idle', timeoutMs: number, fleet?: string): Promise<string> {
    const first = this.ready(rule, fleet).first();
    await expect(first).toBeVisible({ timeout: timeoutMs });
    const name = await first.getAttribute('data-machine');
    if (!name) throw new Error('a proposal without data-machine');
    return name;
  }

  /** Opens the confirm dialog of the proposal for `machine` with its "Kill…" button. */
  async openKill(machine: string): Promise<void> {
    await this.page.getByRole('button', { name: `Kill ${machine}…` }).click();
    await expect(this.dialog).toBeVisible();
  }

  /** The dialog's evidence facts as label → text. */
  async freshFacts(): Promise<Map<string, string>> {
    const pairs = await this.dialog
      .locator('.facts > div')
      .evaluateAll((items) =>
        items.map((item) => [
          item.querySelector('dt')?.textContent ?? '',
          item.querySelector('dd')?.textContent ?? '',
        ]),
      );
    return new Map(pairs.map(([label, text]) => [label ?? '', text ?? '']));
  }

  proposalFor(machine: string): Locator {
    return this.page.locator(`[data-testid="proposal"][data-machine="${machine}"]`);
  }
}

/** A CSS scope to one fleet's group of proposals, or none. */
function fleetScope(fleet: string | undefined): string {
  return fleet === undefined ? '' : `[data-testid="proposal-fleet"][data-fleet="${fleet}"] `;
}
