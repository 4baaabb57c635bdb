import { describe, expect, it } from 'vitest';
import { Settings } from '../../../shared/settings';
import { hcloudApis, managerOf } from '../../../electron/core/reaper/create-reaper';

const settings = Settings.parse({
  fleets: [{ id: 'ci' }, { id: 'other' }],
  hetzner: [{ id: 'p', fleet: 'ci', token: { env: 'T' }, apiUrl: 'http://127.0.0.1:9/v1' }],
  dockerMachine: [
    { id: 'm1', fleet: 'ci', manager: 'manager-a', namePrefix: 'runner-aaaa-' },
    { id: 'm2', fleet: 'ci', manager: 'manager-b', namePrefix: 'runner-bbbb-' },
    { id: 'm3', fleet: 'other', manager: 'manager-c' },
  ],
});

describe('wiring helpers', () => {
  it('picks the docker-machine manager by fleet and name prefix', () => {
    expect(managerOf(settings, { fleet: 'ci', name: 'runner-bbbb-auto-1' })).toBe('manager-b');
    expect(managerOf(settings, { fleet: 'ci', name: 'runner-aaaa-auto-1' })).toBe('manager-a');
    expect(managerOf(settings, { fleet: 'ci', name: 'runner-cccc-auto-1' })).toBeNull();
    expect(managerOf(settings, { fleet: 'other', name: 'anything' })).toBe('manager-c');
  });

  it('routes a delete to the Hetzner project that listed the machine, and refuses an unknown one', () => {
    const apis = hcloudApis(settings, { resolve: async () => 'token-value' });
    expect(typeof apis('hetzner:p').deleteServer).toBe('function');
    expect(() => apis('hetzner:nope')).toThrow(
      /no Hetzner project configured for source hetzner:nope/,
    );
    expect(() => apis(null)).toThrow(/\(none\)/);
  });
});
