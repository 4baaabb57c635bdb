import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../../electron/core/config/load-settings';
import { isRwError } from '../../../electron/core/errors/rw-error';
import { Settings } from '../../../shared/settings';
import { findReferenceProblems, settingsProblems } from '../../../shared/settings-issues';

// `fleets[].probe`: "ssh" (default) or "none" (no SSH to the fleet's machines; Prometheus
// reads their disks). The combinations that would leave a fleet unread are refused.
const prom = (fleet: string) => ({ id: `prom-${fleet}`, fleet, url: 'http://127.0.0.1:9090/' });

function messageOf(data: unknown): string {
  try {
    parseSettings(data, 'test.json');
  } catch (error) {
    expect(isRwError(error)).toBe(true);
    expect((error as { code: string }).code).toBe('config_invalid');
    return (error as Error).message;
  }
  throw new Error('expected the settings to be refused');
}

describe('fleet probe setting', () => {
  it('defaults to ssh, and takes none for a fleet with a Prometheus source', () => {
    expect(Settings.parse({ fleets: [{ id: 'ci' }] }).fleets[0]?.probe).toBe('ssh');
    const settings = parseSettings(
      { fleets: [{ id: 'big', probe: 'none' }, { id: 'small' }], prometheus: [prom('big')] },
      'test.json',
    );
    expect(settings.fleets.map((f) => f.probe)).toEqual(['none', 'ssh']);
  });

  it('refuses an unknown value, naming the two it takes', () => {
    expect(messageOf({ fleets: [{ id: 'ci', probe: 'prometheus' }] })).toBe(
      'config test.json: fleets[0].probe: expected one of "ssh", "none"',
    );
  });

  it('refuses probe none on a fleet no Prometheus source reads, saying what to do', () => {
    const message = messageOf({
      fleets: [{ id: 'small' }, { id: 'big', probe: 'none' }],
      // a Prometheus source of another fleet does not count
      prometheus: [prom('small')],
    });
    expect(message).toMatch(
      /^config test\.json: fleets\[1\]\.probe: probe "none" needs a Prometheus source for fleet "big" \(a prometheus entry with "fleet": "big"\)/,
    );
    expect(message).toMatch(/its disks are never read.*add one or set probe to "ssh"$/);
  });

  it('refuses an SSH host in a fleet with probe none (it is read over SSH alone)', () => {
    expect(
      messageOf({
        fleets: [{ id: 'big', probe: 'none' }],
        prometheus: [prom('big')],
        sshHosts: [{ alias: 'build-1', fleet: 'big', host: '127.0.0.2' }],
      }),
    ).toBe(
      'config test.json: sshHosts[0].fleet: fleet "big" has probe "none" (no SSH to its machines), but an SSH host is only read over SSH: put build-1 in a fleet with probe "ssh"',
    );
    // the same host in an SSH fleet beside it is fine
    expect(() =>
      parseSettings(
        {
          fleets: [
            { id: 'big', probe: 'none' },
            { id: 'hosts', kind: 'dedicated' },
          ],
          prometheus: [prom('big')],
          sshHosts: [{ alias: 'build-1', fleet: 'hosts', host: '127.0.0.2' }],
        },
        'test.json',
      ),
    ).not.toThrow();
  });

  it('puts both problems at their fields for the Settings view', () => {
    const draft = {
      fleets: [{ id: 'big', probe: 'none' }],
      sshHosts: [{ alias: 'build-1', fleet: 'big' }],
    };
    const problems = settingsProblems(Settings.safeParse(draft));
    expect(problems.map((p) => p.path)).toEqual([
      ['fleets', 0, 'probe'],
      ['sshHosts', 0, 'fleet'],
    ]);
    // settings written before the field existed (no `probe`) raise nothing
    expect(
      findReferenceProblems({
        fleets: [{ id: 'big' }],
        hetzner: [],
        gitlab: [],
        sshHosts: [{ alias: 'build-1', fleet: 'big' }],
      }),
    ).toEqual([]);
  });
});
