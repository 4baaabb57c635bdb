import { describe, expect, it } from 'vitest';
import { FleetModel } from '../../../electron/core/fleet/model';
import type { MachineIdentity } from '../../../electron/core/sources/source';

const hetzner: MachineIdentity = {
  kind: 'autoscaled',
  provider: 'hetzner',
  providerId: '4711',
  serverType: 'cx32',
  createdAt: 1_000,
  labels: { role: 'ci' },
  addresses: ['127.0.5.1', '127.0.6.1'],
  providerStatus: 'running',
  state: 'running',
};
const dm: MachineIdentity = {
  kind: 'autoscaled',
  provider: 'docker-machine',
  providerId: null,
  serverType: null,
  createdAt: null,
  labels: {},
  addresses: ['127.0.5.1'],
  providerStatus: 'Running',
  state: 'running',
};

describe('merging Hetzner, docker-machine and probe observations', () => {
  it('makes one machine with each field’s source and time, Hetzner’s identity kept', () => {
    const model = new FleetModel();
    for (const id of ['hetzner:p', 'docker-machine:m', 'ssh:probe'])
      model.registerSource(id, 30_000);
    model.apply(
      'hetzner:p',
      { machines: [{ fleet: 'f', name: 'vm', identity: hetzner }], inventoryOf: ['f'] },
      10_000,
    );
    model.apply(
      'docker-machine:m',
      { machines: [{ fleet: 'f', name: 'vm', identity: dm }], inventoryOf: ['f'] },
      11_000,
    );
    model.apply(
      'ssh:probe',
      { machines: [{ fleet: 'f', name: 'vm', disks: [], jobs: [], load: null, error: 'x' }] },
      12_000,
    );
    const [m] = model.machines(13_000);
    expect(model.machines(13_000)).toHaveLength(1);
    expect(m).toMatchObject({
      provider: 'hetzner',
      providerId: '4711',
      status: { value: 'running', source: 'hetzner:p', observedAt: 10_000 },
      disks: { value: [], source: 'ssh:probe', observedAt: 12_000 },
      seenBy: ['docker-machine:m', 'hetzner:p', 'ssh:probe'],
    });
  });

  it('lets docker-machine take over (keeping what Hetzner knew) once Hetzner stops listing it, gone when both did', () => {
    const model = new FleetModel();
    model.registerSource('hetzner:p', 30_000);
    model.registerSource('docker-machine:m', 30_000);
    model.apply(
      'hetzner:p',
      { machines: [{ fleet: 'f', name: 'vm', identity: hetzner }], inventoryOf: ['f'] },
      1,
    );
    model.apply(
      'docker-machine:m',
      { machines: [{ fleet: 'f', name: 'vm', identity: dm }], inventoryOf: ['f'] },
      2,
    );
    model.apply('hetzner:p', { machines: [], inventoryOf: ['f'] }, 3);
    expect(model.machines(4)[0]?.status.value).toBe('running');
    model.apply(
      'docker-machine:m',
      {
        machines: [
          { fleet: 'f', name: 'vm', identity: { ...dm, state: 'off', providerStatus: 'Stopped' } },
        ],
        inventoryOf: ['f'],
      },
      5,
    );
    expect(model.machines(6)[0]).toMatchObject({
      provider: 'docker-machine',
      providerId: '4711',
      serverType: 'cx32',
      status: { value: 'off', source: 'docker-machine:m' },
    });
    model.apply('docker-machine:m', { machines: [], inventoryOf: ['f'] }, 7);
    expect(model.machines(8)[0]?.status.value).toBe('gone');
  });
});
