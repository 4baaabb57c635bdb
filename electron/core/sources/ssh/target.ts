import type { SecretRef, SshAccess } from '../../../../shared/settings';
import { ConfigError } from '../../errors/config-error';
import { expandHome, type SshConfigLookup } from './ssh-config';

/** Everything the pool needs to reach one host, fully resolved (no aliases left). */
export interface SshTarget {
  /** What the user calls the host (alias or address), for messages. */
  label: string;
  host: string;
  port: number;
  user: string;
  /** Key files to offer after the agent, `~` already expanded. */
  identityFiles: string[];
  passphrase: SecretRef | null;
  useAgent: boolean;
  knownHostsFile: string;
  /**
   * Name the host key is filed under in known_hosts instead of host:port (OpenSSH's
   * HostKeyAlias). Autoscaled VMs use their machine name: cloud IPs are recycled, and a
   * new VM on an old IP would otherwise look like a changed host key.
   */
  hostKeyAlias: string | null;
  trustOnFirstUse: boolean;
  /** The single jump host, reached directly. */
  jump: SshTarget | null;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
}

/** Pool key: one connection per `user@host:port` and jump host. */
export function targetKey(target: SshTarget): string {
  const self = `${target.user}@${hostPort(target.host, target.port)}`;
  return target.jump ? `${self}+${targetKey(target.jump)}` : self;
}

/** `host:port`, with brackets around IPv6 addresses. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Explicit per-host choices that override ssh config and fleet defaults. */
export interface TargetOverrides {
  host?: string | undefined;
  port?: number | undefined;
  user?: string | undefined;
  /** A jump host resolved elsewhere (e.g. a docker-machine manager); wins over every other. */
  jump?: SshTarget | undefined;
  hostKeyAlias?: string | undefined;
}

/**
 * Resolves an alias or address into a target. Precedence: explicit per-host settings,
 * then `~/.ssh/config` (`HostName`, `User`, `Port`, `IdentityFile`, `ProxyJump`), then the
 * fleet's `SshAccess`. A jump host set on the fleet wins over a `ProxyJump` of the config;
 * the jump host itself is looked up in the config too and is reached directly.
 */
export function resolveTarget(
  alias: string,
  access: SshAccess,
  config: SshConfigLookup,
  overrides: TargetOverrides = {},
): SshTarget {
  const fromConfig = config.lookup(alias);
  const base = {
    label: alias,
    host: overrides.host ?? fromConfig.hostName ?? alias,
    port: overrides.port ?? fromConfig.port ?? access.port,
    user: overrides.user ?? fromConfig.user ?? access.user,
    identityFiles: unique([...access.identityFiles.map(expandHome), ...fromConfig.identityFiles]),
    passphrase: access.passphrase ?? null,
    useAgent: access.useAgent,
    knownHostsFile: expandHome(access.knownHostsFile),
    hostKeyAlias: overrides.hostKeyAlias ?? fromConfig.hostKeyAlias ?? null,
    trustOnFirstUse: access.trustOnFirstUse,
    connectTimeoutMs: access.connectTimeoutSec * 1000,
    commandTimeoutMs: access.commandTimeoutSec * 1000,
  };
  const jumpSpec = access.jumpHost ?? fromConfig.proxyJump;
  const jump = overrides.jump ?? (jumpSpec ? resolveJump(jumpSpec, access, config) : null);
  return { ...base, jump };
}

/** Reads `[user@]host[:port]` (or `[user@][v6]:port`); the host part may be a config alias. */
export function parseJumpSpec(spec: string): { user?: string; host: string; port?: number } {
  const match = /^(?:([^@\s]+)@)?(\[[^\]\s]+\]|[^:@\s[\]]+)(?::(\d{1,5}))?$/.exec(spec.trim());
  if (!match?.[2]) throw new ConfigError(`jump host "${spec}": expected [user@]host[:port]`);
  const port = match[3] === undefined ? undefined : Number(match[3]);
  if (port !== undefined && (port < 1 || port > 65_535)) {
    throw new ConfigError(`jump host "${spec}": bad port ${match[3]}`);
  }
  const host = match[2].replace(/^\[|\]$/g, '');
  return { host, ...(match[1] ? { user: match[1] } : {}), ...(port !== undefined ? { port } : {}) };
}

function resolveJump(spec: string, access: SshAccess, config: SshConfigLookup): SshTarget {
  const parsed = parseJumpSpec(spec);
  // One hop only: the jump host's own ProxyJump and the fleet's jumpHost do not apply to it.
  const jumpAccess: SshAccess = { ...access, jumpHost: undefined };
  const noJumpConfig: SshConfigLookup = {
    lookup: (alias) => ({ ...config.lookup(alias), proxyJump: null }),
  };
  return resolveTarget(parsed.host, jumpAccess, noJumpConfig, {
    user: parsed.user,
    port: parsed.port,
  });
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}
