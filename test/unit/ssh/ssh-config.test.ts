import { homedir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { Settings, SshAccess } from '../../../shared/settings';
import { createTargetDirectory } from '../../../electron/core/sources/ssh/targets';
import { parseSshConfig, emptySshConfig } from '../../../electron/core/sources/ssh/ssh-config';
import { parseJumpSpec, resolveTarget, targetKey } from '../../../electron/core/sources/ssh/target';
import { shellJoin, shellQuote } from '../../../electron/core/sources/ssh/shell-quote';

const CONFIG = `
# runner hosts
Host build-*  !build-9
    HostName %h.ci.internal
    User ci
    Port 2222
    IdentityFile ~/.ssh/ci_%r
    ProxyJump bastion

Host bastion
    HostName 127.0.2.1
    User jump
    ProxyJump other

Host direct
    HostName 127.0.2.3
    ProxyJump none
    HostKeyAlias direct-key

Host *
    User fallback
    IdentityFile ~/.ssh/id_ed25519
    Match exec "touch /tmp/rw-should-not-exist"
`;

describe('ssh config', () => {
  const config = parseSshConfig(CONFIG);

  it('resolves Host patterns with the first value winning', () => {
    expect(config.lookup('build-1')).toEqual({
      hostName: 'build-1.ci.internal',
      user: 'ci',
      port: 2222,
      identityFiles: [`${homedir()}/.ssh/ci_ci`, `${homedir()}/.ssh/id_ed25519`],
      proxyJump: 'bastion',
      hostKeyAlias: null,
    });
    expect(config.lookup('build-9')).toMatchObject({
      hostName: null,
      user: 'fallback',
      port: null,
      proxyJump: null,
    });
    expect(config.lookup('direct')).toMatchObject({
      hostName: '127.0.2.3',
      proxyJump: null,
      hostKeyAlias: 'direct-key',
    });
  });

  it('refuses a bad port and several hops with a clear message', () => {
    expect(() => parseSshConfig('Host x\n  Port 99999\n').lookup('x')).toThrow(
      /Host x: bad Port 99999/,
    );
    expect(() => parseSshConfig('Host x\n  ProxyJump a,b\n').lookup('x')).toThrow(
      /supports one jump host/,
    );
  });

  it('builds targets: settings override the config, the jump host is reached directly', () => {
    const access = SshAccess.parse({ identityFiles: ['/keys/fleet'], connectTimeoutSec: 3 });
    const target = resolveTarget('build-1', access, config);
    expect(target).toMatchObject({
      host: 'build-1.ci.internal',
      port: 2222,
      user: 'ci',
      connectTimeoutMs: 3000,
    });
    expect(target.identityFiles[0]).toBe('/keys/fleet');
    expect(target.jump).toMatchObject({ host: '127.0.2.1', user: 'jump', port: 22, jump: null });
    expect(targetKey(target)).toBe('ci@build-1.ci.internal:2222+jump@127.0.2.1:22');
    const overridden = resolveTarget('build-1', access, config, {
      host: '127.0.2.4',
      user: 'me',
      port: 22,
    });
    expect(targetKey(overridden)).toBe('me@127.0.2.4:22+jump@127.0.2.1:22');
    const fleetJump = resolveTarget(
      '10.0.0.5',
      SshAccess.parse({ jumpHost: 'ops@127.0.2.2:2200' }),
      emptySshConfig,
    );
    expect(fleetJump.jump).toMatchObject({ host: '127.0.2.2', user: 'ops', port: 2200 });
    expect(fleetJump.user).toBe('root');
  });

  it('parses jump specs and refuses garbage', () => {
    expect(parseJumpSpec('bastion')).toEqual({ host: 'bastion' });
    expect(parseJumpSpec('u@[::1]:2222')).toEqual({ user: 'u', host: '::1', port: 2222 });
    expect(() => parseJumpSpec('a b')).toThrow(/expected \[user@\]host\[:port\]/);
    expect(() => parseJumpSpec('h:70000')).toThrow(/bad port/);
  });
});

describe('shell quoting', () => {
  it('leaves safe words and quotes everything else', () => {
    expect(shellQuote('runner-abc_1.2')).toBe('runner-abc_1.2');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's; rm -rf / $(id) `x`")).toBe(`'it'\\''s; rm -rf / $(id) \`x\`'`);
    expect(shellJoin(['docker-machine', 'rm', '-y', 'a b'])).toBe("docker-machine rm -y 'a b'");
  });
  it('refuses NUL bytes and empty commands', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
    expect(() => shellJoin([])).toThrow(/empty command/);
  });
});

describe('target directory', () => {
  const settings = Settings.parse({
    fleets: [
      { id: 'dm', ssh: { user: 'core', identityFiles: ['/keys/vm'] } },
      { id: 'hz', ssh: { user: 'root', port: 2222 } },
      { id: 'ops', kind: 'dedicated', ssh: { user: 'admin' } },
    ],
    sshHosts: [
      { alias: 'manager', fleet: 'ops', host: '127.0.2.9', port: 2200 },
      { alias: 'new-box', fleet: 'ops', host: '127.0.2.10', trustOnFirstUse: true },
    ],
    dockerMachine: [{ id: 'm', fleet: 'dm', manager: 'manager', viaManager: true }],
  });
  const dir = createTargetDirectory(settings, emptySshConfig);

  it('reaches docker-machine VMs through their manager and Hetzner VMs directly', () => {
    const vm = dir.machine({ key: 'dm/vm-1', name: 'vm-1', fleet: 'dm', addresses: ['127.0.5.1'] });
    expect(vm && targetKey(vm)).toBe('core@127.0.5.1:22+admin@127.0.2.9:2200');
    expect(vm?.hostKeyAlias).toBe('vm-1');
    const hz = dir.machine({
      key: 'hz/s-1',
      name: 's-1',
      fleet: 'hz',
      addresses: ['127.0.6.1', '127.0.7.1'],
    });
    expect(hz && targetKey(hz)).toBe('root@127.0.6.1:2222');
    expect(
      dir.machine({ key: 'ops/manager', name: 'manager', fleet: 'ops', addresses: [] }),
    ).toMatchObject({ host: '127.0.2.9', port: 2200, user: 'admin', hostKeyAlias: null });
  });

  it('lets one dedicated host trust on first use while its fleet does not', () => {
    expect(dir.host('new-box').trustOnFirstUse).toBe(true);
    expect(dir.host('manager').trustOnFirstUse).toBe(false);
  });

  it('says when a machine cannot be reached or a host is not configured', () => {
    expect(dir.machine({ key: 'hz/x', name: 'x', fleet: 'hz', addresses: [] })).toBeNull();
    expect(
      dir.machine({ key: 'zz/x', name: 'x', fleet: 'zz', addresses: ['127.0.0.9'] }),
    ).toBeNull();
    expect(() => dir.host('nope')).toThrow(/no SSH host or docker-machine manager named nope/);
  });
});
