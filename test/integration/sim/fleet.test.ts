import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Settings } from '../../../shared/settings';
import { ManualClock } from '../../sim/clock';
import { SIM_HCLOUD_TOKEN_ENV, startSimulatedFleet, type SimulatedFleet } from '../../sim/fleet';

const { Client } = ssh2;

let clock: ManualClock;
let fleet: SimulatedFleet;
let settings: Settings;

beforeAll(async () => {
  clock = new ManualClock(Date.UTC(2026, 10, 23, 9));
  fleet = await startSimulatedFleet({ clock, vms: 6, seed: 12, deleteDelayMs: 2000 });
  settings = Settings.parse(fleet.settings);
});
afterAll(async () => {
  await fleet?.dispose();
  clock.dispose();
});

async function hetznerNames(): Promise<{ id: number; name: string; status: string; ip: string }[]> {
  const entry = settings.hetzner[0]!;
  const out: { id: number; name: string; status: string; ip: string }[] = [];
  for (let page = 1; page !== 0;) {
    const url = new URL(`${entry.apiUrl}/servers`);
    url.searchParams.set('label_selector', entry.labelSelector ?? '');
    url.searchParams.set('per_page', '4');
    url.searchParams.set('page', String(page));
    const res = await fetch(url, {
      headers: { Authorization: `Bearer ${fleet.env[SIM_HCLOUD_TOKEN_ENV]}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      servers: { id: number; name: string; status: string; public_net: { ipv4: { ip: string } } }[];
      meta: { pagination: { next_page: number | null } };
    };
    out.push(
      ...body.servers.map((s) => ({
        id: s.id,
        name: s.name,
        status: s.status,
        ip: s.public_net.ipv4.ip,
      })),
    );
    page = body.meta.pagination.next_page ?? 0;
  }
  return out;
}

/** Runs a command the way the probe does: key file from the settings, host key from its known_hosts. */
function exec(
  address: string,
  command: string,
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const access = settings.fleets[0]!.ssh;
  const known = readFileSync(access.knownHostsFile, 'utf8').split('\n');
  const expected = known.find((l) => l.startsWith(`[${address}]:${access.port} `))?.split(' ')[2];
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.on('error', reject);
    client.on('ready', () => {
      client.exec(command, (err, stream) => {
        if (err) return reject(err);
        let stdout = '';
        let stderr = '';
        let code: number | null = null;
        stream.on('data', (d: Buffer) => (stdout += d.toString()));
        stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        stream.on('exit', (c: number | null) => (code = c));
        stream.on('close', () => {
          client.end();
          resolve({ stdout, stderr, code });
        });
      });
    });
    client.connect({
      host: address,
      port: access.port,
      username: access.user,
      privateKey: readFileSync(access.identityFiles[0]!, 'utf8'),
      readyTimeout: 5000,
      hostVerifier: (key: Buffer) => expected !== undefined && key.toString('base64') === expected,
    });
  });
}

describe('startSimulatedFleet', () => {
  it('returns valid settings: one fleet, one Hetzner project with an env token, SSH access with key and known_hosts', () => {
    expect(settings.fleets).toHaveLength(1);
    expect(settings.hetzner).toEqual([
      expect.objectContaining({
        fleet: settings.fleets[0]!.id,
        token: { env: SIM_HCLOUD_TOKEN_ENV },
        apiUrl: fleet.hcloud.url,
      }),
    ]);
    expect(fleet.env[SIM_HCLOUD_TOKEN_ENV]).toMatch(/^hcsim/);
    const access = settings.fleets[0]!.ssh;
    expect(existsSync(access.identityFiles[0]!)).toBe(true);
    expect(readFileSync(access.knownHostsFile, 'utf8')).toContain(
      `[127.0.1.1]:${access.port} ssh-ed25519 `,
    );
    expect(settings.gitlab).toEqual([
      expect.objectContaining({
        url: fleet.gitlab!.sim.url,
        token: { env: 'RW_SIM_GITLAB_TOKEN' },
      }),
    ]);
    expect(Object.keys(fleet.env).sort()).toEqual(
      [SIM_HCLOUD_TOKEN_ENV, 'RW_SIM_GITLAB_TOKEN'].sort(),
    );
    for (const secret of Object.values(fleet.env))
      expect(JSON.stringify(fleet.settings)).not.toContain(secret);
  });

  it('lists exactly the world’s VMs through the label selector, across pages', async () => {
    const servers = await hetznerNames();
    expect(servers.map((s) => s.name).sort()).toEqual(
      fleet.world
        .vms()
        .map((v) => v.name)
        .sort(),
    );
    expect(servers.map((s) => s.name)).not.toContain('runner-manager-1');
    for (const s of servers) expect(s.ip).toMatch(/^127\.0\.1\.\d+$/);
  });

  it('answers df -Pk / on a VM over SSH with that VM’s numbers', async () => {
    const vm = fleet.world.vms().find((v) => v.slot === 3)!;
    const r = await exec(vm.address, 'df -Pk /');
    expect(r.code).toBe(0);
    const row = r.stdout.trim().split('\n')[1]!.split(/\s+/);
    expect(row[4]).toBe(`${vm.diskUsedPct}%`);
    const ps = await exec(vm.address, "docker ps --format '{{json .}}' | wc -l");
    expect(Number(ps.stdout.trim())).toBe(vm.runningJobId === null ? 0 : 1);
  });

  it('deleting a server through the Hetzner API removes it from the world and from SSH', async () => {
    const vm = fleet.world.vms().find((v) => v.stuck)!;
    const server = (await hetznerNames()).find((s) => s.name === vm.name)!;
    const res = await fetch(`${fleet.hcloud.url}/servers/${server.id}`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${fleet.env[SIM_HCLOUD_TOKEN_ENV]}` },
    });
    expect(res.status).toBe(200);
    clock.tick(5_000);
    await fleet.settled();
    expect(fleet.world.vms().map((v) => v.name)).not.toContain(vm.name);
    expect((await hetznerNames()).map((s) => s.name)).not.toContain(vm.name);
    await expect(exec(vm.address, 'true')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const again = await fetch(`${fleet.hcloud.url}/servers/${server.id}`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${fleet.env[SIM_HCLOUD_TOKEN_ENV]}` },
    });
    expect(again.status).toBe(404);
  });

  it('docker-machine rm on the manager removes the VM and its server', async () => {
    const list = await exec(
      fleet.manager.address,
      "docker-machine ls --format '{{.Name}}\\t{{.State}}\\t{{.URL}}'",
    );
    const running = list.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    const target = running.find((r) => r[1] === 'Running')!;
    expect(target[2]).toMatch(/^tcp:\/\/127\.0\.1\.\d+:2376$/);
    const rm = await exec(fleet.manager.address, `docker-machine rm -y ${target[0]}`);
    expect(rm.code).toBe(0);
    clock.tick(5_000);
    await fleet.settled();
    expect(fleet.world.vms().map((v) => v.name)).not.toContain(target[0]);
    expect((await hetznerNames()).map((s) => s.name)).not.toContain(target[0]);
  });

  it('keeps the Hetzner servers in sync as the scenario runs', async () => {
    for (let i = 0; i < 12; i++) {
      clock.tick(15 * 60_000);
      await fleet.settled();
      expect((await hetznerNames()).map((s) => s.name).sort()).toEqual(
        fleet.world
          .vms()
          .map((v) => v.name)
          .sort(),
      );
    }
    expect(fleet.errors).toEqual([]);
    // VMs created since the start are in known_hosts under their machine name too
    const known = readFileSync(settings.fleets[0]!.ssh.knownHostsFile, 'utf8');
    for (const vm of fleet.world.vms()) {
      const line = known.split('\n').find((l) => l.startsWith(`${vm.name} `));
      expect(line, vm.name).toBe(`${vm.name} ${fleet.ssh.hostPublicKey(vm.address)}`);
    }
  });

  it('stops everything on dispose', async () => {
    const other = await startSimulatedFleet({
      clock: new ManualClock(),
      vms: 1,
      warmupMs: 0,
      gitlab: false,
    });
    expect(Settings.parse(other.settings).gitlab).toEqual([]);
    const port = other.ssh.sharedPort;
    const hcloudUrl = other.hcloud.url;
    const root = other.root;
    await other.dispose();
    await expect(fetch(`${hcloudUrl}/servers`)).rejects.toThrow();
    await expect(
      new Promise((resolve, reject) => {
        const socket = connect(port, '127.0.1.1', () => resolve(socket.end()));
        socket.on('error', reject);
      }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(existsSync(root)).toBe(false);
  });

  it('refuses contradictory options', async () => {
    await expect(startSimulatedFleet({ clock: new ManualClock(), speed: 5 })).rejects.toThrow(
      /either speed or clock/,
    );
    await expect(startSimulatedFleet({ clock: new ManualClock(), vms: 99 })).rejects.toThrow(
      /vms must be an integer from 1 to 24/,
    );
  });
});
