import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'playwright/test';
import { startSimulatedFleet, type SimulatedFleet } from '../sim/fleet';
import { AuditPage } from './pages/audit-page';
import { FleetPage } from './pages/fleet-page';
import { ProposalsPage } from './pages/proposals-page';
import { RunnersPage } from './pages/runners-page';

/*
 * The secrets test. `runner-watch serve` watches a simulated fleet whose GitLab and Hetzner
 * tokens and SSH key the test knows. Chromium goes through every view, a kill, the runner
 * prune preview and the error paths (Hetzner down, the GitLab token revoked, bad requests,
 * a wrong access token), and `scan --json` prints a snapshot. Then every place a token could
 * leak to is searched: HTTP response bodies and the event stream, the pages' HTML, the
 * browser console, the process output, the audit log and state files, the snapshot, and
 * the renderer bundle. Any hit fails the test.
 */
const root = `${import.meta.dirname}/../..`;
const bin = `${root}/bin/runner-watch.mjs`;
const URL_LINE = /^Runner Watch: (http:\/\/127\.0\.0\.1:\d+\/\?token=(\S+))$/m;

test.describe.configure({ mode: 'serial' });

let fleet: SimulatedFleet;
let dir: string;
let configFile: string;
let child: ChildProcess;
let url = '';
let accessToken = '';
let output = '';
const secrets = new Map<string, string>();
const haystacks: { where: string; text: string }[] = [];

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...fleet.env, NO_COLOR: '1' };
  delete env.NODE_OPTIONS;
  return env;
}

test.beforeAll(async () => {
  test.setTimeout(120_000);
  fleet = await startSimulatedFleet({ speed: 20, vms: 4, stuck: 1, seed: 14, deleteDelayMs: 0 });
  for (const [name, value] of Object.entries(fleet.env)) secrets.set(name, value);
  secrets.set('hetzner read-only token', fleet.hcloud.tokensOf().readOnlyToken);
  // the SSH client key: its base64 body lines must never show anywhere either
  const keyFile = (fleet.settings.fleets?.[0]?.ssh?.identityFiles ?? [])[0];
  if (keyFile) {
    const lines = readFileSync(keyFile, 'utf8')
      .split('\n')
      .filter((l) => l.length >= 40 && !l.startsWith('-----'));
    lines.forEach((line, i) => secrets.set(`ssh key line ${i + 1}`, line));
  }
  for (const [name, value] of secrets) expect(value.length, name).toBeGreaterThan(10);

  dir = mkdtempSync(join(tmpdir(), 'rw-secrets-'));
  configFile = join(dir, 'fleet.json');
  writeFileSync(configFile, JSON.stringify({ ...fleet.settings, stateDir: join(dir, 'state') }));
  child = spawn(process.execPath, [bin, 'serve', '--config', configFile, '--port', '0'], {
    cwd: root,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await expect.poll(() => URL_LINE.exec(output)?.[1] ?? '', { timeout: 60_000 }).not.toBe('');
  const match = URL_LINE.exec(output)!;
  url = match[1]!;
  accessToken = match[2]!;
});

test.afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await fleet?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('no token or key shows up anywhere, through every view and error path', async ({ page }) => {
  test.setTimeout(300_000);
  const origin = new URL(url).origin;
  page.on('console', (message) => haystacks.push({ where: 'console', text: message.text() }));
  page.on('pageerror', (error) => haystacks.push({ where: 'page error', text: String(error) }));
  page.on('response', async (response) => {
    if ((response.headers()['content-type'] ?? '').includes('text/event-stream')) return;
    const text = await response.text().catch(() => '');
    haystacks.push({
      where: `response ${response.status()} ${response.url().replace(accessToken, '<t>')}`,
      text: `${JSON.stringify(response.headers())}\n${text}`,
    });
  });
  const capture = async (where: string) => haystacks.push({ where, text: await page.content() });

  // Fleet, details
  const fleetPage = new FleetPage(page);
  await fleetPage.open(url);
  await fleetPage.waitForRows();
  await fleetPage.waitForDiskReadings();
  await fleetPage.rows.first().click();
  await page.keyboard.press('Enter');
  await capture('fleet view');

  // The event stream, read as a browser would, for a few seconds
  const stream = await fetch(`${origin}/api/events`, {
    headers: { Authorization: `Bearer ${accessToken}` },
    signal: AbortSignal.timeout(4_000),
  })
    .then(async (res) => {
      let text = '';
      const reader = res.body!.getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          text += Buffer.from(value).toString('utf8');
        }
      } catch {
        /* the timeout ends the stream */
      }
      return text;
    })
    .catch(() => '');
  expect(stream).toContain('event:');
  haystacks.push({ where: 'event stream', text: stream });

  // Proposals: open the stuck VM's dialog, re-check, kill
  const proposals = new ProposalsPage(page);
  await proposals.show();
  const machine = await proposals.waitForReady('disk', 180_000);
  await proposals.openKill(machine);
  await expect(proposals.recheckOk).toBeVisible({ timeout: 60_000 });
  await capture('confirm dialog');
  await proposals.confirmButton.click();
  await expect(proposals.result).toBeVisible({ timeout: 120_000 });
  await capture('confirm result');
  await page.keyboard.press('Escape');

  // Runners and the prune preview
  const runners = new RunnersPage(page);
  await runners.show();
  await expect(runners.rows.first()).toBeVisible();
  await runners.previewButton.click();
  await expect(runners.preview).toBeVisible();
  await capture('runners view');

  // Audit
  const audit = new AuditPage(page);
  await audit.show();
  await expect(audit.recordsOf(machine, 'result')).toHaveCount(1);
  await capture('audit view');

  // Error paths: Hetzner down, the GitLab token revoked, bad requests, a wrong access token
  fleet.hcloud.setDown(true);
  fleet.gitlab!.sim.state.tokens[0]!.revoked = true;
  await page.getByRole('link', { name: 'Fleet' }).click();
  await expect(fleetPage.sources.filter({ hasText: /Hetzner|sim-hcloud/ }).first()).toBeVisible();
  await expect
    .poll(async () => (await page.content()).includes('rejected the token'), { timeout: 90_000 })
    .toBe(true);
  await capture('fleet view with failing sources');
  const api = (channel: string, body: string, headers: Record<string, string> = {}) =>
    page.request.post(`${origin}/api/invoke/${channel}`, {
      headers: {
        Authorization: `Bearer ${accessToken}`,
        Origin: origin,
        'Content-Type': 'application/json',
        ...headers,
      },
      data: body,
    });
  for (const [channel, body] of [
    ['rw:reaper:confirm', '{"proposalId":"nope"}'],
    ['rw:reaper:recheck', '{"proposalId":"'.concat('x'.repeat(5000), '"}')],
    ['rw:reaper:set-mode', '{"fleet":"sim-hetzner","mode":"sideways"}'],
    ['rw:runners:prune', '{"keys":["sim-gitlab/1"],"confirm":false}'],
    ['rw:fleet:snapshot', '{'],
  ] as const) {
    const res = await api(channel, body);
    haystacks.push({ where: `api ${channel}`, text: await res.text() });
  }
  const wrong = await page.request.get(`${origin}/?token=${'A'.repeat(43)}`);
  haystacks.push({ where: 'wrong token page', text: await wrong.text() });
  // outside the browser: no session cookie either
  const none = await fetch(`${origin}/api/invoke/rw:fleet:snapshot`, { method: 'POST' });
  expect(none.status).toBe(401);
  haystacks.push({ where: 'no token', text: await none.text() });
  fleet.hcloud.setDown(false);

  // A snapshot from the CLI
  // asynchronously: the simulators answering it live in this process
  const scan = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    const run = spawn(process.execPath, [bin, 'scan', '--config', configFile, '--json'], {
      cwd: root,
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    run.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    run.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    run.once('error', reject);
    run.once('close', () => resolve({ stdout, stderr }));
  });
  haystacks.push({ where: 'scan --json', text: `${scan.stdout}\n${scan.stderr}` });
  expect(scan.stdout.length).toBeGreaterThan(100);

  // Stop the server (SIGTERM) and collect what it wrote
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  haystacks.push({ where: 'serve stdout+stderr', text: output.replace(accessToken, '<t>') });
  const files = (d: string): string[] =>
    readdirSync(d).flatMap((name) => {
      const path = join(d, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    });
  for (const file of files(join(dir, 'state')))
    haystacks.push({ where: `state file ${file}`, text: readFileSync(file, 'latin1') });
  for (const file of files(`${root}/dist/renderer`))
    haystacks.push({ where: `renderer bundle ${file}`, text: readFileSync(file, 'latin1') });

  // The search
  expect(haystacks.length).toBeGreaterThan(30);
  const leaks: string[] = [];
  for (const { where, text } of haystacks)
    for (const [name, value] of secrets)
      if (text.includes(value)) leaks.push(`${name} in ${where}`);
  expect(leaks).toEqual([]);
  // The access token itself is in the printed URL by design, and nowhere in what is served.
  const served = haystacks.filter(
    (h) => h.where.startsWith('response') || h.where.startsWith('api'),
  );
  expect(served.filter((h) => h.text.includes(accessToken)).map((h) => h.where)).toEqual([]);
  console.log(
    `figures: secrets test searched ${haystacks.length} outputs for ${secrets.size} secrets: ${leaks.length} leaks`,
  );
});
