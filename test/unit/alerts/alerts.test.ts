import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  partitionAlerts,
  quietedBy,
  withoutCleared,
  type RaisedAlert,
} from '../../../electron/core/alerts/alert-policy';
import { ALERTS_FILE, AlertStore } from '../../../electron/core/alerts/alert-store';
import { isRwError } from '../../../electron/core/errors/rw-error';
import { AckAlertRequest, MuteAlertsRequest, type AlertState } from '../../../shared/alerts';

const MIN = 60_000;
const disk = (severity: RaisedAlert['severity'], machine = 'ci/vm-1'): RaisedAlert => ({
  key: `disk:${machine}`,
  severity,
  fleet: 'ci',
  machineKey: machine,
});
const empty: AlertState = { acks: [], mutes: [] };

describe('alert policy', () => {
  const acked: AlertState = {
    acks: [{ alertKey: 'disk:ci/vm-1', severity: 'warning', by: 'me', at: 0, until: 30 * MIN }],
    mutes: [],
  };

  it('an acknowledged alert is quiet until it expires', () => {
    expect(quietedBy(disk('warning'), acked, 10 * MIN)?.reason).toBe('acknowledged');
    expect(quietedBy(disk('warning'), acked, 30 * MIN)).toBeNull();
  });

  it('an acknowledged alert that gets worse speaks again', () => {
    expect(quietedBy(disk('critical'), acked, 10 * MIN)).toBeNull();
    expect(quietedBy(disk('info'), acked, 10 * MIN)?.reason).toBe('acknowledged');
  });

  it('an acknowledgement ends when its alert clears, so a recurrence notifies', () => {
    expect(withoutCleared(acked, new Set(['disk:ci/vm-1']))).toBe(acked);
    expect(withoutCleared(acked, new Set()).acks).toEqual([]);
  });

  it('a machine mute silences that machine only; a fleet mute the whole fleet', () => {
    const machineMute: AlertState = {
      acks: [],
      mutes: [
        {
          id: 'm1',
          scope: { fleet: 'ci', machineKey: 'ci/vm-1' },
          by: 'me',
          at: 0,
          until: 60 * MIN,
          includeCritical: false,
        },
      ],
    };
    expect(quietedBy(disk('warning'), machineMute, MIN)?.reason).toBe('muted');
    expect(quietedBy(disk('warning', 'ci/vm-2'), machineMute, MIN)).toBeNull();
    const fleetMute: AlertState = {
      acks: [],
      mutes: [
        {
          id: 'm2',
          scope: { fleet: 'ci' },
          by: 'me',
          at: 0,
          until: 60 * MIN,
          includeCritical: false,
        },
      ],
    };
    expect(quietedBy(disk('warning', 'ci/vm-2'), fleetMute, MIN)?.reason).toBe('muted');
    expect(quietedBy({ ...disk('warning'), fleet: 'other' }, fleetMute, MIN)).toBeNull();
    // A source alert with no fleet is never muted by a fleet mute.
    expect(
      quietedBy(
        { key: 'source:gitlab', severity: 'warning', fleet: null, machineKey: null },
        fleetMute,
        MIN,
      ),
    ).toBeNull();
  });

  it('critical alerts pass a mute unless the mute includes them', () => {
    const mute = (includeCritical: boolean): AlertState => ({
      acks: [],
      mutes: [
        { id: 'm', scope: { fleet: 'ci' }, by: 'me', at: 0, until: 60 * MIN, includeCritical },
      ],
    });
    expect(quietedBy(disk('critical'), mute(false), MIN)).toBeNull();
    expect(quietedBy(disk('critical'), mute(true), MIN)?.reason).toBe('muted');
  });

  it('partitions raised alerts into shown and quiet', () => {
    const { show, quiet } = partitionAlerts(
      [disk('warning'), disk('warning', 'ci/vm-2')],
      acked,
      MIN,
    );
    expect(show.map((a) => a.key)).toEqual(['disk:ci/vm-2']);
    expect(quiet.map((q) => [q.alert.key, q.by.reason])).toEqual([
      ['disk:ci/vm-1', 'acknowledged'],
    ]);
    expect(partitionAlerts([disk('warning')], empty, MIN).show).toHaveLength(1);
  });

  it('requests are bounded: no acknowledgement or mute longer than a week', () => {
    expect(
      AckAlertRequest.safeParse({ alertKey: 'k', severity: 'warning', minutes: 7 * 24 * 60 + 1 })
        .success,
    ).toBe(false);
    expect(MuteAlertsRequest.safeParse({ scope: { fleet: 'ci' }, minutes: 0 }).success).toBe(false);
    expect(
      MuteAlertsRequest.safeParse({ scope: { fleet: 'ci', extra: 1 }, minutes: 5 }).success,
    ).toBe(false);
  });
});

describe('alert store', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  async function dir(): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), 'rw-alerts-'));
    dirs.push(d);
    return d;
  }

  it('acknowledgements and mutes survive a restart and expire on time', async () => {
    const d = await dir();
    const clock = { now: 1_000 };
    const first = new AlertStore(d, () => clock.now);
    await first.load();
    await first.ack({ alertKey: 'disk:ci/vm-1', severity: 'warning', minutes: 30 }, 'me@ws');
    await first.mute(
      { scope: { fleet: 'ci', machineKey: 'ci/vm-2' }, minutes: 60, includeCritical: false },
      'me@ws',
    );

    clock.now += 20 * MIN;
    const second = new AlertStore(d, () => clock.now);
    await second.load();
    expect(quietedBy(disk('warning'), second.current(), clock.now)?.reason).toBe('acknowledged');
    expect(quietedBy(disk('warning', 'ci/vm-2'), second.current(), clock.now)?.reason).toBe(
      'muted',
    );
    expect(second.current().acks[0]).toMatchObject({ by: 'me@ws', until: 1_000 + 30 * MIN });

    clock.now += 15 * MIN; // the acknowledgement is over, the mute is not
    const third = new AlertStore(d, () => clock.now);
    await third.load();
    expect(third.current().acks).toEqual([]);
    expect(third.current().mutes).toHaveLength(1);
    expect(quietedBy(disk('warning'), third.current(), clock.now)).toBeNull();
  });

  it('sees what another process acknowledged before it changes anything', async () => {
    const d = await dir();
    const serve = new AlertStore(d, () => 1_000);
    await serve.load();
    await serve.mute({ scope: { fleet: 'ci' }, minutes: 60, includeCritical: false }, 'a');
    const cli = new AlertStore(d, () => 1_000);
    await cli.load();
    await cli.ack({ alertKey: 'disk:ci/vm-1', severity: 'warning', minutes: 10 }, 'b');
    // The long-running host re-reads on its next cycle; neither change is lost.
    await serve.observe(new Set(['disk:ci/vm-1']));
    expect(serve.current().acks.map((a) => a.by)).toEqual(['b']);
    expect(serve.current().mutes.map((m) => m.by)).toEqual(['a']);
  });

  it('ending what does not exist is a typed error; ending a mute works', async () => {
    const d = await dir();
    const store = new AlertStore(d, () => 1_000);
    await store.load();
    const state = await store.mute(
      { scope: { fleet: 'ci' }, minutes: 5, includeCritical: true },
      'me',
    );
    await expect(store.end({ alertKey: 'nope' })).rejects.toSatisfy(
      (e: unknown) => isRwError(e) && e.code === 'not_found',
    );
    expect((await store.end({ muteId: state.mutes[0]!.id })).mutes).toEqual([]);
  });

  it('an unreadable file is kept aside and reported; the store starts empty, loud rather than quiet', async () => {
    const d = await dir();
    await writeFile(join(d, ALERTS_FILE), '{"acks": [ {"alertKey": ');
    const store = new AlertStore(d, () => 5_000);
    await store.load();
    expect(store.problem).toContain('could not be read');
    expect(store.current()).toEqual(empty);
    expect((await readdir(d)).sort()).toEqual([`${ALERTS_FILE}.corrupt-5000`]);
  });
});
