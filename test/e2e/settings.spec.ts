import { expect, test } from 'playwright/test';
import { startDemo, type DemoProcess } from './demo-process';
import { AuditPage } from './pages/audit-page';
import { FleetPage } from './pages/fleet-page';
import { ProposalsPage } from './pages/proposals-page';
import { SettingsPage } from './pages/settings-page';

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

test('a settings change is validated, saved to the config file, applied, and persists across reload', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const fleet = new FleetPage(page);
  await fleet.open(running().url);
  await fleet.waitForRows();
  const settings = new SettingsPage(page);
  await settings.show();
  await expect(settings.secretNote).toContainText('mode 0600');
  // The simulated Hetzner token is an env reference that resolves: "token is set".
  await expect(settings.field('hetzner[0].token')).toContainText('token is set');

  const warn = settings.input('fleets[0].warnPct');
  await expect(warn).toHaveValue('50');
  await warn.fill('250');
  await expect(settings.errorOf('fleets[0].warnPct')).toHaveText('expected a number ≤ 100');
  await expect(settings.save).toBeDisabled();
  await warn.fill('42');
  await expect(settings.problems).toHaveCount(0);
  await settings.save.click();
  await expect(settings.result).toContainText(
    'Saved. the engine restarted its sources with the new settings',
    { timeout: 60_000 },
  );

  await page.reload();
  await expect(settings.tab).toHaveAttribute('aria-current', 'page');
  await expect(settings.input('fleets[0].warnPct')).toHaveValue('42');

  // The engine runs with it: the fleet comes back, and its policy says 42.
  await page.getByRole('link', { name: 'Fleet' }).click();
  await fleet.waitForRows();
  const vm = fleet.rows.filter({ hasText: 'sim-hetzner' }).first();
  await expect(vm.getByTestId('disk').first()).toHaveAttribute('data-warn', '42', {
    timeout: 60_000,
  });
  expect(errors).toEqual([]);
});

test('a mode changed in the settings is the mode in force, and audited', async ({ page }) => {
  test.setTimeout(120_000);
  const fleet = new FleetPage(page);
  await fleet.open(running().url);
  const settings = new SettingsPage(page);
  await settings.show();
  await settings.input('fleets[0].reaper.mode').selectOption('dry-run');
  await settings.save.click();
  await expect(settings.result).toContainText('Saved.', { timeout: 60_000 });
  const proposals = new ProposalsPage(page);
  await proposals.show();
  await expect(page.getByRole('combobox', { name: 'Reaper mode of sim-hetzner' })).toHaveValue(
    'dry-run',
    { timeout: 60_000 },
  );
  const audit = new AuditPage(page);
  await audit.show();
  await audit.typeFilter.selectOption('mode-switch');
  await expect(audit.rows.first()).toContainText('notify → dry-run');
});
