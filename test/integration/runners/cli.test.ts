import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PruneReport, Runner } from '../../../shared/runner';
import { main } from '../../../electron/cli/main';
import { StateDirLock } from '../../../electron/core/state-lock/state-dir-lock';
import { startGitLabSim, type GitLabSim } from '../../sim/gitlab/server';
import { fixtureInstance, SIM_TOKENS } from '../../sim/gitlab/fixtures';

let dir: string;
let sim: GitLabSim;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-cli-runners-'));
  sim = await startGitLabSim({
    state: fixtureInstance({
      now: Date.now(),
      onlineRunners: 1,
      offlineRunners: 1,
      staleRunners: 3,
    }),
  });
});
afterEach(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

async function run(args: string[], token: string = SIM_TOKENS.admin, settings?: unknown) {
  const config = join(dir, 'config.json');
  await writeFile(
    config,
    JSON.stringify(
      settings ?? {
        gitlab: [{ id: 'gl', url: sim.url, token: { env: 'GL_TOKEN' } }],
        stateDir: join(dir, 'state'),
      },
    ),
  );
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...args.slice(0, 2), '--config', config, ...args.slice(2)], {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: { GL_TOKEN: token },
    cwd: dir,
    handleSignals: false,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('runner-watch runners', () => {
  it('lists runners as a table with the stale reason', async () => {
    const result = await run(['runners', 'list']);
    expect(result.code).toBe(0);
    const lines = result.out.split('\n');
    expect(lines[0]).toMatch(
      /^RUNNER\s+STATUS\s+VERSION\s+CONTACT\s+JOBS\s+MANAGERS\s+DESCRIPTION\s+STALE$/,
    );
    expect(lines).toHaveLength(6);
    expect(lines.find((l) => l.startsWith('gl/3 '))).toMatch(
      /stale .*GitLab reports it stale \(last contact 10 days ago\)$/,
    );
    expect(lines.find((l) => l.startsWith('gl/1 '))).toMatch(
      /^gl\/1\s+online\s+17\.5\.0\s+\d+ min ago\s+2\s+1\s+autoscale-1$/,
    );
    expect(result.err).toBe('');
  });

  it('lists runners as JSON following the contract', async () => {
    const result = await run(['runners', 'list', '--json']);
    const runners = z.array(Runner).parse(JSON.parse(result.out));
    expect(runners.map((r) => r.key)).toEqual(['gl/1', 'gl/2', 'gl/3', 'gl/4', 'gl/5']);
  });

  it('prune --dry-run lists what it would delete and deletes nothing', async () => {
    const result = await run(['runners', 'prune', '--dry-run']);
    expect(result.code).toBe(0);
    expect(result.out.split('\n')).toEqual([
      'would-delete gl/3 (autoscale-3): GitLab reports it stale (last contact 10 days ago)',
      'would-delete gl/4 (autoscale-4): GitLab reports it stale (last contact 11 days ago)',
      'would-delete gl/5 (autoscale-5): GitLab reports it stale (last contact 12 days ago)',
    ]);
    expect(sim.count(/^DELETE/)).toBe(0);
  });

  it('prune deletes in batches, writes the audit log and prints a JSON report', async () => {
    const result = await run(['runners', 'prune', '--batch', '2', '--pause-ms', '0', '--json']);
    expect(result.code).toBe(0);
    const report = PruneReport.parse(JSON.parse(result.out));
    expect(report.batches).toBe(2);
    expect(report.results.map((r) => r.result)).toEqual(['deleted', 'deleted', 'deleted']);
    expect(sim.state.runners.map((r) => r.id)).toEqual([1, 2]);
    const audit = await readFile(join(dir, 'state', 'audit.jsonl'), 'utf8');
    expect(audit.split('\n').filter((l) => l.includes('"type":"result"'))).toHaveLength(3);
    expect(audit).not.toContain(SIM_TOKENS.admin);
  });

  it('prune is refused (exit 1, nothing deleted) while another process acts on the state directory', async () => {
    const holder = await StateDirLock.open({ dir: join(dir, 'state'), command: 'serve' });
    try {
      const result = await run(['runners', 'prune']);
      expect(result.code).toBe(1);
      expect(result.err).toMatch(
        /^runner-watch runners prune: refused: read-only: another Runner Watch process acts on .*\(serve, /,
      );
      expect(result.out).toBe('');
    } finally {
      await holder.dispose();
    }
    // Once it is gone, the same command prunes.
    const after = await run(['runners', 'prune', '--json']);
    expect(after.code, after.err).toBe(0);
    expect(
      PruneReport.parse(JSON.parse(after.out)).results.filter((r) => r.result === 'deleted'),
    ).toHaveLength(3);
  });

  it('prune --pause pauses instead of deleting', async () => {
    const result = await run(['runners', 'prune', '--pause', '--pause-ms', '0']);
    expect(result.code).toBe(0);
    expect(sim.state.runners.filter((r) => r.paused).map((r) => r.id)).toEqual([3, 4, 5]);
  });

  it('exits 1 and names the runners when some fail, and says why the token cannot prune', async () => {
    const result = await run(['runners', 'prune'], SIM_TOKENS.adminRead);
    expect(result.code).toBe(1);
    expect(result.err.split('\n')).toEqual([
      'warning: gitlab:gl: token lacks manage_runner: deleting and pausing runners is unavailable',
      'warning: gl: token lacks manage_runner: deleting and pausing runners is unavailable',
      'runner-watch: 3 of 3 runners failed',
    ]);
    expect(sim.count(/^DELETE/)).toBe(0);
  });

  it("scan --json carries the runners and the GitLab source's warnings", async () => {
    const result = await run(['scan', '--json'], SIM_TOKENS.adminRead);
    expect(result.code).toBe(0);
    const snapshot = z
      .object({
        runners: z.array(Runner),
        sources: z.array(
          z.object({ id: z.string(), state: z.string(), warnings: z.array(z.string()) }),
        ),
      })
      .parse(JSON.parse(result.out));
    expect(snapshot.runners.map((r) => r.key)).toEqual(['gl/1', 'gl/2', 'gl/3', 'gl/4', 'gl/5']);
    expect(snapshot.sources).toEqual(
      [
        {
          id: 'gitlab:gl',
          state: 'degraded',
          warnings: ['token lacks manage_runner: deleting and pausing runners is unavailable'],
        },
      ].map((s) => expect.objectContaining(s)),
    );
  });

  it('rejects bad options and configs in one line with exit 2', async () => {
    const badBatch = await run(['runners', 'prune', '--batch', '0']);
    expect(badBatch).toMatchObject({ code: 2, out: '' });
    expect(badBatch.err).toBe(
      'runner-watch runners prune: --batch must be between 1 and 100, got 0 (see runner-watch runners prune --help)',
    );

    const noGitlab = await run(['runners', 'list'], SIM_TOKENS.admin, {
      stateDir: join(dir, 'state'),
    });
    expect(noGitlab.code).toBe(2);
    expect(noGitlab.err).toMatch(
      /^runner-watch runners list: config .*config\.json has no "gitlab" instances \(see runner-watch runners list --help\)$/,
    );

    const badToken = await run(['runners', 'list'], 'glpat-not-a-real-token-42');
    expect(badToken.code).toBe(2);
    expect(badToken.err).toContain('GitLab rejected the token (401 Unauthorized)');
    expect(badToken.err).not.toContain('glpat-not-a-real-token-42');
  });
});
