import { describe, expect, it } from 'vitest';
import {
  normaliseMachineState,
  parseMachineLs,
} from '../../../electron/core/sources/docker-machine/machine-ls';
import { resolveManager } from '../../../electron/core/sources/docker-machine/manager';
import { emptySshConfig } from '../../../electron/core/sources/ssh/ssh-config';
import { Settings } from '../../../shared/settings';

// What `docker-machine ls --format '{{.Name}}\t{{.State}}\t{{.URL}}'` prints on a runner manager.
const SAMPLE = [
  'runner-x1y2z3w4-auto-scale-1700000000-1a2b3c4d\tRunning\ttcp://10.0.0.12:2376',
  'runner-x1y2z3w4-auto-scale-1700000123-5e6f7a8b\tStopped\t',
  'runner-x1y2z3w4-auto-scale-1700000456-9c0d1e2f\tError\t',
  '',
].join('\n');

describe('docker-machine ls', () => {
  it('parses name, state and the URL host', () => {
    expect(parseMachineLs(SAMPLE)).toEqual([
      {
        name: 'runner-x1y2z3w4-auto-scale-1700000000-1a2b3c4d',
        state: 'Running',
        url: 'tcp://10.0.0.12:2376',
        address: '10.0.0.12',
      },
      {
        name: 'runner-x1y2z3w4-auto-scale-1700000123-5e6f7a8b',
        state: 'Stopped',
        url: '',
        address: null,
      },
      {
        name: 'runner-x1y2z3w4-auto-scale-1700000456-9c0d1e2f',
        state: 'Error',
        url: '',
        address: null,
      },
    ]);
    expect(parseMachineLs('')).toEqual([]);
  });

  it.each([
    ['a line without tabs', 'garbage', /expected name, state and URL/],
    ['a table header', 'NAME\tACTIVE\tDRIVER\tSTATE\tURL', /expected name, state and URL/],
    ['an odd name', "x'; rm -rf /\tRunning\t", /not a machine name/],
    ['an unknown state', 'm1\tExploded\t', /unknown state "Exploded"/],
    ['a bad URL', 'm1\tRunning\thttp://10.0.0.1', /bad URL/],
    ['a duplicate', 'm1\tRunning\t\nm1\tStopped\t', /listed twice/],
  ])('refuses %s', (_what, text, message) => {
    expect(() => parseMachineLs(text)).toThrow(message);
  });

  it('normalises states', () => {
    expect(
      ['Running', 'Starting', 'Stopping', 'Stopped', 'Saved', 'Error', 'Timeout', ''].map(
        normaliseMachineState,
      ),
    ).toEqual(['running', 'starting', 'stopping', 'off', 'off', 'error', 'unknown', 'unknown']);
  });

  it('resolves the manager from sshHosts, reached directly, and refuses an unknown fleet', () => {
    const settings = Settings.parse({
      fleets: [
        { id: 'dm', ssh: { jumpHost: 'bastion', user: 'core' } },
        { id: 'ops', kind: 'dedicated', ssh: { user: 'admin', port: 2200 } },
      ],
      sshHosts: [{ alias: 'mgr', fleet: 'ops', host: '127.0.2.9' }],
      dockerMachine: [
        { id: 'a', fleet: 'dm', manager: 'mgr' },
        { id: 'b', fleet: 'dm', manager: 'other-host' },
        { id: 'c', fleet: 'nope', manager: 'x' },
      ],
    });
    expect(resolveManager(settings, settings.dockerMachine[0]!, emptySshConfig)).toMatchObject({
      host: '127.0.2.9',
      port: 2200,
      user: 'admin',
      jump: null,
    });
    expect(resolveManager(settings, settings.dockerMachine[1]!, emptySshConfig)).toMatchObject({
      host: 'other-host',
      user: 'core',
      jump: null,
    });
    expect(() => resolveManager(settings, settings.dockerMachine[2]!, emptySshConfig)).toThrow(
      /fleet nope is not configured/,
    );
  });
});

describe('createMachineSources', () => {
  it('builds the docker-machine sources and the probe on one pool, nothing without fleets', async () => {
    const { createMachineSources } =
      await import('../../../electron/core/sources/ssh/machine-sources');
    expect(createMachineSources(Settings.parse({}), null)).toEqual([]);
    const settings = Settings.parse({
      fleets: [{ id: 'dm' }],
      dockerMachine: [
        { id: 'a', fleet: 'dm', manager: 'm1' },
        { id: 'b', fleet: 'dm', manager: 'm2', intervalSec: 60 },
      ],
    });
    const sources = createMachineSources(settings, null);
    expect(sources.map((s) => [s.id, s.kind, s.phase, s.intervalMs])).toEqual([
      ['docker-machine:a', 'docker-machine', 'inventory', 30_000],
      ['docker-machine:b', 'docker-machine', 'inventory', 60_000],
      ['ssh:probe', 'ssh', 'probe', 30_000],
    ]);
    await Promise.all(sources.map((s) => s.dispose?.()));
  });
});
