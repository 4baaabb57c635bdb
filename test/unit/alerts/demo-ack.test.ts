import { describe, expect, it } from 'vitest';
import { acknowledgeOneAlert, DEMO_ACK_MINUTES } from '../../../electron/core/alerts/demo-ack';
import type { AckAlertRequest, AlertsView, RaisedAlertInfo } from '../../../shared/alerts';

const raised = (key: string, severity: RaisedAlertInfo['severity'], quiet = false) => ({
  key,
  severity,
  fleet: 'sim',
  machineKey: key.startsWith('disk:') ? key.slice(5) : null,
  title: key,
  quiet: quiet ? { reason: 'muted' as const, by: 'x', until: 9 } : null,
});

/** The three channels the demo uses, over a list of raised alerts; records the calls. */
function api(list: RaisedAlertInfo[]) {
  const calls: string[] = [];
  const acks: AlertsView['state']['acks'] = [];
  return {
    calls,
    handlers: {
      'rw:engine:refresh': async () => {
        calls.push('refresh');
        return { startedAt: 1, finishedAt: 2, version: 3, failingSources: 0 };
      },
      'rw:alerts:list': async () => {
        calls.push('list');
        return { raised: list, state: { acks, mutes: [] }, problem: null };
      },
      'rw:alerts:ack': async (request: AckAlertRequest) => {
        calls.push(`ack:${request.alertKey}:${request.severity}:${request.minutes}`);
        acks.push({
          alertKey: request.alertKey,
          severity: request.severity,
          by: 'me',
          at: 10,
          until: 10 + request.minutes * 60_000,
        });
        return { raised: list, state: { acks, mutes: [] }, problem: null };
      },
    },
  };
}

describe('the demo acknowledges one alert at start', () => {
  it('after one cycle, the first disk warning, for DEMO_ACK_MINUTES', async () => {
    const fake = api([
      raised('source:gitlab', 'warning'),
      raised('disk:sim/a', 'critical'),
      raised('disk:sim/b', 'warning', true),
      raised('disk:sim/c', 'warning'),
    ]);
    const result = await acknowledgeOneAlert(fake.handlers);
    expect(fake.calls).toEqual(['refresh', 'list', `ack:disk:sim/c:warning:${DEMO_ACK_MINUTES}`]);
    expect(result?.alert.key).toBe('disk:sim/c');
    expect(result?.until).toBe(10 + DEMO_ACK_MINUTES * 60_000);
  });

  it('a critical disk when no warning is raised, else any alert; nothing when none is', async () => {
    const critical = api([raised('source:gitlab', 'warning'), raised('disk:sim/a', 'critical')]);
    expect((await acknowledgeOneAlert(critical.handlers))?.alert.key).toBe('disk:sim/a');
    const other = api([raised('source:gitlab', 'warning')]);
    expect((await acknowledgeOneAlert(other.handlers))?.alert.key).toBe('source:gitlab');
    const none = api([raised('disk:sim/b', 'warning', true)]);
    expect(await acknowledgeOneAlert(none.handlers)).toBeNull();
    expect(none.calls).toEqual(['refresh', 'list']);
  });
});
