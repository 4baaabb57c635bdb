import { homedir, userInfo } from 'node:os';
import { parse } from 'ssh-config';
import { ConfigError } from '../../errors/config-error';
import { FILE_LIMITS, FileReadError, readBoundedText } from '../../read-bounded-file';

/** What `~/.ssh/config` says about one host (only the options Runner Watch honours). */
export interface SshConfigHost {
  hostName: string | null;
  user: string | null;
  port: number | null;
  identityFiles: string[];
  /** The first hop of `ProxyJump`, null for none (or `ProxyJump none`). */
  proxyJump: string | null;
  /** `HostKeyAlias`: the name known_hosts files this host's key under. */
  hostKeyAlias: string | null;
}

/** Looks hosts up in a parsed ssh config. */
export interface SshConfigLookup {
  lookup(alias: string): SshConfigHost;
}

/** An ssh config that says nothing: every host resolves to itself. */
export const emptySshConfig: SshConfigLookup = {
  lookup: () => ({
    hostName: null,
    user: null,
    port: null,
    identityFiles: [],
    proxyJump: null,
    hostKeyAlias: null,
  }),
};

/**
 * Parses ssh config text with the `ssh-config` package and answers lookups (`HostName`,
 * `User`, `Port`, `IdentityFile`, `ProxyJump`, `HostKeyAlias`) the way
 * OpenSSH does for `Host` blocks: the first value of each option wins, `Host` patterns
 * with `*`, `?` and `!`. `Match exec` is never run (config text must not run commands).
 * `%h` and `%%` are expanded in `HostName`; `~` and `%h %r %p %u %d %%` in `IdentityFile`.
 */
export function parseSshConfig(text: string): SshConfigLookup {
  let config: ReturnType<typeof parse>;
  try {
    config = parse(text);
  } catch (error) {
    throw new ConfigError(`ssh config: ${error instanceof Error ? error.message : String(error)}`);
  }
  return {
    lookup(alias: string): SshConfigHost {
      const computed = config.compute(alias, { ignoreCase: true, matchExec: false });
      const first = (name: string): string | null => {
        const value = computed[name];
        if (value === undefined) return null;
        return Array.isArray(value) ? (value[0] ?? null) : value;
      };
      const all = (name: string): string[] => {
        const value = computed[name];
        if (value === undefined) return [];
        return Array.isArray(value) ? value : [value];
      };
      const rawHostName = first('hostname');
      const hostName = rawHostName === null ? null : expandTokens(rawHostName, { h: alias });
      const portText = first('port');
      let port: number | null = null;
      if (portText !== null) {
        port = Number(portText);
        if (!Number.isInteger(port) || port < 1 || port > 65_535) {
          throw new ConfigError(`ssh config: Host ${alias}: bad Port ${portText}`);
        }
      }
      const user = first('user');
      const jump = first('proxyjump');
      const proxyJump = jump === null || jump.toLowerCase() === 'none' ? null : jump;
      if (proxyJump?.includes(',')) {
        throw new ConfigError(
          `ssh config: Host ${alias}: ProxyJump ${proxyJump} has several hops; Runner Watch supports one jump host`,
        );
      }
      const tokens = {
        h: hostName ?? alias,
        r: user ?? '',
        p: String(port ?? 22),
        u: localUser(),
        d: homedir(),
      };
      const identityFiles = all('identityfile').map((file) =>
        expandHome(expandTokens(file, tokens)),
      );
      return {
        hostName,
        user,
        port,
        identityFiles,
        proxyJump,
        hostKeyAlias: first('hostkeyalias'),
      };
    },
  };
}

/**
 * Reads and parses an ssh config file (`probe.sshConfigFile`); a missing file is an empty
 * config. A FIFO, device or oversized file is refused with one line naming the setting.
 */
export async function loadSshConfig(file: string): Promise<SshConfigLookup> {
  let text: string;
  try {
    text = await readBoundedText(expandHome(file), {
      maxBytes: FILE_LIMITS.sshConfig,
      label: 'ssh config file',
    });
  } catch (error) {
    if (error instanceof FileReadError) {
      if (error.problem === 'missing') return emptySshConfig;
      throw new ConfigError(`probe.sshConfigFile: ${error.message}`, { cause: error });
    }
    throw error;
  }
  return parseSshConfig(text);
}

/** Expands a leading `~` or `~/` to the home directory. */
export function expandHome(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return `${homedir()}${path.slice(1)}`;
  return path;
}

function expandTokens(text: string, tokens: Record<string, string>): string {
  return text.replace(/%(.)/g, (match, letter: string) => {
    if (letter === '%') return '%';
    return tokens[letter] ?? match;
  });
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}
