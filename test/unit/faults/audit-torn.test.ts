import { appendFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, readAudit } from '../../../electron/core/audit/audit-log';

/*
 * A crash (or a full disk) tears the audit log's last line. The log must recover: the torn
 * record is counted as skipped, and every record appended after it is kept — before, the
 * next record was glued onto the torn line and lost with it.
 */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-audit-torn-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('audit log truncated mid-line', () => {
  it('a restarted log keeps every record written after the torn line', async () => {
    const first = new AuditLog({ dir });
    for (let i = 0; i < 3; i++)
      await first.append({ type: 'proposal', fleet: 'ci', proposalId: `p-${i}` });
    await first.dispose();
    // the crash: the last record is cut in the middle
    const size = statSync(first.file).size;
    truncateSync(first.file, size - 25);

    const restarted = new AuditLog({ dir });
    await restarted.append({
      type: 'mode-switch',
      fleet: 'ci',
      modeFrom: 'notify',
      modeTo: 'auto',
    });
    await restarted.append({ type: 'proposal', fleet: 'ci', proposalId: 'p-after' });
    const { records, skipped } = await readAudit({ dir });
    expect(skipped).toBe(1);
    expect(records.map((r) => r.proposalId ?? r.type)).toEqual([
      'p-after',
      'mode-switch',
      'p-1',
      'p-0',
    ]);
    // each record on its own line: the torn one is alone on its line
    const lines = readFileSync(first.file, 'utf8').split('\n');
    expect(lines.filter((l) => l !== '').length).toBe(5);
  });

  it('a torn tail written by another process is ended before the next append', async () => {
    const log = new AuditLog({ dir });
    await log.append({ type: 'proposal', fleet: 'ci', proposalId: 'p-0' });
    appendFileSync(log.file, '{"id":"torn","at":');
    const other = new AuditLog({ dir });
    await other.append({ type: 'proposal', fleet: 'ci', proposalId: 'p-1' });
    const { records, skipped } = await readAudit({ dir });
    expect(skipped).toBe(1);
    expect(records.map((r) => r.proposalId)).toEqual(['p-1', 'p-0']);
  });

  it('an intact log gets no blank lines', async () => {
    const log = new AuditLog({ dir });
    await log.append({ type: 'proposal', fleet: 'ci', proposalId: 'p-0' });
    const again = new AuditLog({ dir });
    await again.append({ type: 'proposal', fleet: 'ci', proposalId: 'p-1' });
    expect(readFileSync(log.file, 'utf8').split('\n')).toHaveLength(3);
  });
});
