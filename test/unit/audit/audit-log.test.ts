import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditRecord } from '../../../shared/audit';
import { AuditLog, currentUser, readAudit } from '../../../electron/core/audit/audit-log';
import { auditToCsv, csvField } from '../../../shared/audit-csv';
import { redactor } from '../../../electron/core/errors/redact';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-audit-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const evidence = {
  diskPct: 78,
  diskMount: '/',
  samplesOver: 3,
  idleSinceMs: null,
  runningContainers: 0,
  runningJobIds: [],
  ageMs: 1000,
  observedAt: 1,
};

describe('audit log', () => {
  it('appends one JSON line per record, each valid against the shared schema', async () => {
    const log = new AuditLog({ dir, now: () => 1_700_000_000_000 });
    await log.append({
      type: 'proposal',
      fleet: 'ci',
      machineKey: 'ci/vm',
      machineName: 'vm',
      proposalId: 'p-1',
      rule: 'disk',
      action: 'hcloud-delete',
      evidence,
    });
    await log.append({ type: 'confirm', fleet: 'ci', proposalId: 'p-1', who: currentUser() });
    const lines = readFileSync(log.file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    const records = lines.map((line) => AuditRecord.parse(JSON.parse(line)));
    expect(records.map((r) => r.type)).toEqual(['proposal', 'confirm']);
    expect(records[1]?.who).toMatch(/^.+@.+$/);
    expect(statSync(log.file).mode & 0o777).toBe(0o600);
  });

  it('records written before a hard kill of the process survive it (fsync per record)', () => {
    const script = `
      import { AuditLog } from ${JSON.stringify(join(process.cwd(), 'electron/core/audit/audit-log.ts'))};
      const log = new AuditLog({ dir: ${JSON.stringify(dir)} });
      for (let i = 0; i < 5; i++) await log.append({ type: 'result', outcome: 'ok', detail: 'n' + i });
      process.stdout.write('written\\n');
      process.kill(process.pid, 'SIGKILL');
    `;
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(child.signal).toBe('SIGKILL');
    expect(child.stdout).toContain('written');
    const lines = readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((l) => AuditRecord.parse(JSON.parse(l)).detail)).toEqual([
      'n0',
      'n1',
      'n2',
      'n3',
      'n4',
    ]);
  });

  it('concurrent appends never interleave', async () => {
    const log = new AuditLog({ dir });
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        log.append({ type: 'result', detail: `r${i}`.repeat(50) }),
      ),
    );
    const lines = readFileSync(log.file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(50);
    for (const line of lines) AuditRecord.parse(JSON.parse(line));
  });

  it('rotates by size and keeps K files', async () => {
    const log = new AuditLog({ dir, maxBytes: 2_000, keep: 2 });
    for (let i = 0; i < 40; i++)
      await log.append({ type: 'result', detail: `record ${i} ${'x'.repeat(200)}` });
    const files = readdirSync(dir).sort();
    expect(files).toEqual(['audit.1.jsonl', 'audit.2.jsonl', 'audit.jsonl']);
    for (const file of files) expect(statSync(join(dir, file)).size).toBeLessThanOrEqual(2_000);
    const { records } = await readAudit({ dir, keep: 2 });
    // Newest first, contiguous, ending with the last record written.
    expect(records[0]?.detail).toMatch(/^record 39 /);
    const numbers = records.map((r) => Number(/record (\d+)/.exec(r.detail ?? '')?.[1]));
    expect(numbers).toEqual(numbers.slice().sort((a, b) => b - a));
    expect(numbers[numbers.length - 1]).toBeGreaterThan(0);
  });

  it('reads newest first with limit and filter, and skips a line torn by a crash', async () => {
    const log = new AuditLog({
      dir,
      now: (() => {
        let t = 1000;
        return () => t++;
      })(),
    });
    await log.append({ type: 'proposal', fleet: 'a', machineKey: 'a/vm1', proposalId: 'p-1' });
    await log.append({ type: 'proposal', fleet: 'b', machineKey: 'b/vm2', proposalId: 'p-2' });
    await log.append({
      type: 'refusal',
      fleet: 'a',
      machineKey: 'a/vm1',
      proposalId: 'p-1',
      reasons: ['job started'],
    });
    appendFileSync(log.file, '{"id":"torn","at":');
    const all = await readAudit({ dir });
    expect(all.skipped).toBe(1);
    expect(all.records.map((r) => r.type)).toEqual(['refusal', 'proposal', 'proposal']);
    expect((await readAudit({ dir, filter: { fleet: 'a' } })).records).toHaveLength(2);
    expect((await readAudit({ dir, filter: { type: 'refusal' } })).records[0]?.reasons).toEqual([
      'job started',
    ]);
    expect((await readAudit({ dir, filter: { machine: 'vm2' } })).records).toHaveLength(0);
    expect((await readAudit({ dir, filter: { machine: 'b/vm2' } })).records).toHaveLength(1);
    expect((await readAudit({ dir, limit: 1 })).records).toHaveLength(1);
    expect(
      (await readAudit({ dir, filter: { since: 1001, until: 1001 } })).records.map(
        (r) => r.proposalId,
      ),
    ).toEqual(['p-2']);
  });

  it('reading a missing log gives no records', async () => {
    expect(await readAudit({ dir: join(dir, 'nothing') })).toEqual({ records: [], skipped: 0 });
  });

  it('rejects a record that does not fit the schema, with the field named', async () => {
    const log = new AuditLog({ dir });
    await expect(log.append({ type: 'nonsense' as never })).rejects.toThrow(/type/);
    await expect(log.append({ type: 'result', outcome: 'maybe' as never })).rejects.toThrow(
      /outcome/,
    );
  });

  it('never writes a registered secret, wherever it hides', async () => {
    const secret = 'hcloud-token-5ecr3t-value-42';
    redactor.register(secret);
    const log = new AuditLog({ dir });
    await log.append({
      type: 'result',
      outcome: 'failed',
      detail: `HTTP 401 for token ${secret}`,
      reasons: [`bad ${secret}`],
      who: secret,
    });
    const text = readFileSync(log.file, 'utf8');
    expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
    expect(auditToCsv((await readAudit({ dir })).records)).not.toContain(secret);
  });
});

describe('CSV export', () => {
  it('escapes commas, quotes and line breaks (RFC 4180) and defuses formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('@SUM(1)')).toBe("'@SUM(1)");
    expect(csvField(-5)).toBe('-5');
    expect(csvField(null)).toBe('');
  });

  it('writes a header and one row per record that a CSV parser reads back', async () => {
    const log = new AuditLog({ dir, now: () => Date.UTC(2026, 0, 2, 3, 4, 5) });
    await log.append({
      type: 'refusal',
      fleet: 'ci',
      machineName: 'vm, "odd"',
      reasons: ['job #1 started', 'disk, dropped'],
      evidence: { ...evidence, runningJobIds: [1, 2] },
    });
    const csv = auditToCsv((await readAudit({ dir })).records);
    const rows = parseCsv(csv);
    expect(rows[0]?.slice(0, 4)).toEqual(['time', 'type', 'fleet', 'machine']);
    expect(rows[1]?.[0]).toBe('2026-01-02T03:04:05.000Z');
    expect(rows[1]?.[3]).toBe('vm, "odd"');
    expect(rows[1]?.[10]).toBe('job #1 started; disk, dropped');
    expect(rows[1]?.[12]).toBe('1 2');
    expect(rows).toHaveLength(2);
  });
});

/** A small RFC 4180 reader, so the test checks the CSV by reading it, not by string equality. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}
