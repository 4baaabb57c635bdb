import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { auditToCsv } from '../../../shared/audit-csv';
import { createQueryClient } from '../../../renderer/api/query-client';
import { TransportError } from '../../../renderer/api/transport';
import { App } from '../../../renderer/App';
import { formatDateTime } from '../../../renderer/format';
import { AuditRecord, type AuditRecord as AuditRecordT } from '../../../shared/audit';
import { Proposal } from '../../../shared/proposal';
import { FakeTransport } from './fake-transport';
import { delta, machine, NOW, snapshot } from './fixtures';

const info = {
  name: 'Runner Watch',
  version: '0.1.0',
  host: 'serve',
  demo: false,
  startedAt: NOW,
  warnings: [],
};

function record(id: string, overrides: Partial<AuditRecordT> = {}): AuditRecordT {
  return AuditRecord.parse({
    id,
    at: NOW - 60_000,
    type: 'proposal',
    fleet: 'ci',
    machineKey: 'ci/vm-a',
    machineName: 'vm-a',
    proposalId: 'p-1',
    rule: 'disk',
    action: 'hcloud-delete',
    who: null,
    outcome: null,
    reasons: [],
    evidence: null,
    modeFrom: null,
    modeTo: null,
    detail: 'Kill vm-a (disk 91 %)',
    ...overrides,
  });
}

const records = [
  record('r4', {
    at: NOW - 5_000,
    type: 'result',
    outcome: 'ok',
    who: 'alice@desk',
    detail: 'deleted server 42',
  }),
  record('r3', { at: NOW - 10_000, type: 'confirm', who: 'alice@desk', detail: null }),
  record('r2', {
    at: NOW - 30_000,
    type: 'refusal',
    outcome: 'refused',
    machineKey: 'ci/vm-b',
    machineName: 'vm-b',
    reasons: ['a job started: #88'],
    detail: null,
  }),
  record('r1', {
    type: 'mode-switch',
    fleet: 'other',
    machineKey: null,
    machineName: null,
    proposalId: null,
    rule: null,
    action: null,
    who: 'bob@host',
    modeFrom: 'notify',
    modeTo: 'off',
    detail: 'notify → off',
  }),
];

function renderAudit(transport: FakeTransport) {
  window.location.hash = '#audit';
  transport.answer('rw:app:info', async () => info);
  render(<App transport={transport} queryClient={createQueryClient()} />);
}

const rows = () => screen.queryAllByTestId('audit-row');
const ids = () =>
  rows().map((row) => `${row.getAttribute('data-type')}:${row.getAttribute('data-machine')}`);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  window.location.hash = '';
});

describe('AuditView', () => {
  it('shows records newest first with time, who, action, outcome and detail', async () => {
    renderAudit(new FakeTransport().answer('rw:audit:list', async () => records));
    await waitFor(() => expect(rows()).toHaveLength(4));
    expect(ids()).toEqual(['result:vm-a', 'confirm:vm-a', 'refusal:vm-b', 'mode-switch:']);
    const result = rows()[0]!;
    expect(result.textContent).toContain('5 s ago');
    expect(result.textContent).toContain('alice@desk');
    expect(result.textContent).toContain('hcloud-delete');
    expect(result.textContent).toContain('ok');
    expect(result.textContent).toContain('deleted server 42');
    expect(rows()[2]!.textContent).toContain('a job started: #88');
    expect(screen.getByTestId('audit-count').textContent).toBe('4 records');
  });

  it('filters by type, fleet, machine and text', async () => {
    renderAudit(new FakeTransport().answer('rw:audit:list', async () => records));
    await waitFor(() => expect(rows()).toHaveLength(4));
    fireEvent.change(screen.getByRole('combobox', { name: 'Record type' }), {
      target: { value: 'confirm' },
    });
    expect(ids()).toEqual(['confirm:vm-a']);
    fireEvent.change(screen.getByRole('combobox', { name: 'Record type' }), {
      target: { value: '' },
    });
    fireEvent.change(screen.getByRole('combobox', { name: 'Fleet' }), {
      target: { value: 'other' },
    });
    expect(ids()).toEqual(['mode-switch:']);
    fireEvent.change(screen.getByRole('combobox', { name: 'Fleet' }), { target: { value: '' } });
    fireEvent.change(screen.getByRole('searchbox', { name: 'Filter by machine' }), {
      target: { value: 'VM-B' },
    });
    expect(ids()).toEqual(['refusal:vm-b']);
    fireEvent.change(screen.getByRole('searchbox', { name: 'Filter by machine' }), {
      target: { value: '' },
    });
    fireEvent.change(screen.getByRole('searchbox', { name: 'Search the audit log' }), {
      target: { value: 'alice' },
    });
    expect(ids()).toEqual(['result:vm-a', 'confirm:vm-a']);
    expect(screen.getByTestId('audit-count').textContent).toBe('2 of 4 records');
    fireEvent.change(screen.getByRole('searchbox', { name: 'Search the audit log' }), {
      target: { value: 'no such words' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Clear the filters' }));
    expect(rows()).toHaveLength(4);
  });

  it('reads the log again when the proposals change, not on other deltas', async () => {
    let answer: AuditRecordT[] = [records[3]!];
    const transport = new FakeTransport()
      .answer('rw:fleet:snapshot', async () => snapshot([machine('vm-a')]))
      .answer('rw:audit:list', async () => answer);
    renderAudit(transport);
    await waitFor(() => expect(rows()).toHaveLength(1));
    await waitFor(() => expect(transport.count('rw:fleet:snapshot')).toBe(1));
    const before = transport.count('rw:audit:list');
    act(() => transport.emit(delta(2, { upserted: [machine('vm-a')] })));
    expect(transport.count('rw:audit:list')).toBe(before);
    answer = records;
    const proposal = Proposal.parse({
      id: 'p-1',
      machineKey: 'ci/vm-a',
      machineName: 'vm-a',
      fleet: 'ci',
      rule: 'disk',
      action: 'hcloud-delete',
      evidence: {
        diskPct: 91,
        diskMount: '/',
        samplesOver: 3,
        idleSinceMs: null,
        runningContainers: 0,
        runningJobIds: [],
        ageMs: null,
        observedAt: null,
      },
      blocked: [],
      state: 'pending',
      createdAt: NOW,
      summary: 'Kill vm-a',
    });
    act(() => transport.emit(delta(3, { proposals: [proposal] })));
    await waitFor(() => expect(rows()).toHaveLength(4));
    expect(transport.count('rw:audit:list')).toBe(before + 1);
  });

  it('says the log is empty, and what failed when it cannot be read', async () => {
    renderAudit(new FakeTransport().answer('rw:audit:list', async () => []));
    expect((await screen.findByTestId('state-empty')).textContent).toContain(
      'The audit log is empty',
    );
    expect((screen.getByTestId('download-csv') as HTMLButtonElement).disabled).toBe(true);
    cleanup();
    renderAudit(
      new FakeTransport().answer('rw:audit:list', () =>
        Promise.reject(
          new TransportError('bad_response', 'rw:audit:list: expected string at 0.id'),
        ),
      ),
    );
    expect((await screen.findByTestId('state-error')).textContent).toContain(
      'Cannot read the audit log: rw:audit:list: expected string at 0.id',
    );
  });

  it('downloads the shown records as CSV', async () => {
    const created: Blob[] = [];
    const createObjectURL = vi.fn((blob: Blob) => {
      created.push(blob);
      return 'blob:audit';
    });
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
    const clicks: string[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      clicks.push(this.download);
    });
    try {
      renderAudit(new FakeTransport().answer('rw:audit:list', async () => records));
      await waitFor(() => expect(rows()).toHaveLength(4));
      fireEvent.change(screen.getByRole('combobox', { name: 'Record type' }), {
        target: { value: 'result' },
      });
      fireEvent.click(screen.getByTestId('download-csv'));
      expect(clicks).toHaveLength(1);
      expect(clicks[0]).toMatch(/^runner-watch-audit-.*\.csv$/);
      const text = await created[0]!.text();
      expect(text).toBe(auditToCsv([records[0]!]));
    } finally {
      click.mockRestore();
      vi.unstubAllGlobals();
    }
  });
});

describe('auditToCsv', () => {
  it('has one header line and one line per record, quoted per RFC 4180, CRLF', () => {
    const csv = auditToCsv([
      record('x', {
        detail: 'said "no", then\nstopped',
        reasons: ['a, b', 'c'],
        evidence: {
          diskPct: 91,
          diskMount: '/',
          samplesOver: 3,
          idleSinceMs: null,
          runningContainers: 0,
          runningJobIds: [],
          ageMs: null,
          observedAt: null,
        },
      }),
    ]);
    const lines = csv.split('\r\n');
    // The same columns as `runner-watch audit --csv`: one format for the log wherever exported.
    expect(lines[0]).toBe(
      'time,type,fleet,machine,machineKey,proposalId,rule,action,who,outcome,reasons,diskPct,runningJobIds,modeFrom,modeTo,detail',
    );
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv).toContain(new Date(NOW - 60_000).toISOString());
    expect(csv).toContain(',"a, b; c",');
    expect(csv).toContain(',"said ""no"", then\nstopped"\r\n');
    expect(csv).toContain(',"a, b; c",91,,');
  });

  it('defuses values a spreadsheet would run as a formula', () => {
    const csv = auditToCsv([record('x', { detail: '=HYPERLINK("http://x")', who: '@me' })]);
    expect(csv).toContain(`,'@me,`);
    expect(csv).toContain(`"'=HYPERLINK(""http://x"")"`);
  });

  it('is only the header for no records', () => {
    expect(auditToCsv([]).split('\r\n')).toEqual([expect.stringMatching(/^time,type,/), '']);
  });
});

describe('AuditView for a new reader', () => {
  const old = record('r0', {
    at: NOW - 3 * 86_400_000,
    type: 'withdrawn',
    detail: 'proposal withdrawn: the machine is gone',
  });

  it('shows each record’s absolute local time, not only on hover', async () => {
    renderAudit(new FakeTransport().answer('rw:audit:list', async () => [...records, old]));
    await waitFor(() => expect(rows()).toHaveLength(5));
    const time = rows()[0]!.querySelector('time')!;
    expect(time.textContent).toBe(formatDateTime(NOW - 5_000));
    expect(time.textContent).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(rows()[0]!.textContent).toContain('5 s ago');
  });

  it('filters by result and by time window', async () => {
    renderAudit(new FakeTransport().answer('rw:audit:list', async () => [...records, old]));
    await waitFor(() => expect(rows()).toHaveLength(5));
    fireEvent.change(screen.getByRole('combobox', { name: 'Result' }), {
      target: { value: 'refused' },
    });
    expect(ids()).toEqual(['refusal:vm-b']);
    fireEvent.change(screen.getByRole('combobox', { name: 'Result' }), {
      target: { value: '' },
    });
    fireEvent.change(screen.getByRole('combobox', { name: 'Time' }), {
      target: { value: '24h' },
    });
    expect(ids()).not.toContain('withdrawn:vm-a');
    expect(rows()).toHaveLength(4);
  });

  it('explains modes and who', async () => {
    renderAudit(new FakeTransport().answer('rw:audit:list', async () => records));
    await waitFor(() => expect(rows()).toHaveLength(4));
    expect(screen.getByTestId('mode-meaning').textContent).toBe(
      'now off: propose only, execute nothing',
    );
    expect(screen.getByTestId('audit-legend').textContent).toContain('root@vm');
  });
});
