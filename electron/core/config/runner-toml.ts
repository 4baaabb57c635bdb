import { parse, TomlError } from 'smol-toml';
import { z } from 'zod';
import type { SecretRef, SettingsInput } from '../../../shared/settings';
import { ConfigError } from '../errors/config-error';
import { redactor } from '../errors/redact';
import { writeFileAtomic } from './atomic-file';

/*
 * Import of a GitLab Runner `config.toml`: proposes Runner Watch settings (GitLab
 * instances, fleets, Hetzner projects, docker-machine managers, dedicated hosts) from
 * what the runner is configured with. The file holds runner tokens and cloud tokens;
 * none of them is ever put into the proposal. A Hetzner token is kept only when the
 * caller asks for it, and then only written to a file the user chose (mode 0600) and
 * referenced as `{file}`.
 */

const Machine = z.looseObject({
  MachineDriver: z.string().optional(),
  MachineName: z.string().optional(),
  MachineOptions: z.array(z.string()).default([]),
  IdleCount: z.number().optional(),
  MaxBuilds: z.number().optional(),
});
const Autoscaler = z.looseObject({
  plugin: z.string().optional(),
  capacity_per_instance: z.number().optional(),
  max_instances: z.number().optional(),
  plugin_config: z
    .looseObject({ name: z.string().optional(), token: z.string().optional() })
    .optional(),
  policy: z.array(z.looseObject({ idle_count: z.number().optional() })).default([]),
  connector_config: z
    .looseObject({
      username: z.string().optional(),
      key_path: z.string().optional(),
      use_external_addr: z.boolean().optional(),
      protocol: z.string().optional(),
      os: z.string().optional(),
    })
    .optional(),
});
const Runner = z.looseObject({
  name: z.string().default(''),
  url: z.string().min(1, 'url is required'),
  token: z.string().optional(),
  executor: z.string().min(1, 'executor is required'),
  machine: Machine.optional(),
  autoscaler: Autoscaler.optional(),
});
const RunnerConfig = z.looseObject({
  concurrent: z.number().optional(),
  listen_address: z.string().optional(),
  runners: z.array(Runner).default([]),
});

/** One `[[runners]]` entry as the import read it (no token). */
export interface ImportedRunner {
  name: string;
  url: string;
  executor: string;
  /** The fleet proposed for it, null when it runs on no fleet we can watch (e.g. shell). */
  fleet: string | null;
  /** Hetzner VMs by a docker+machine driver or the fleeting plugin; null otherwise. */
  hetzner: { labelSelector: string | null; namePrefix: string | null } | null;
}

/** What the import proposes. `settings` parses with `Settings` once the user fills in tokens. */
export interface RunnerTomlProposal {
  settings: Pick<SettingsInput, 'fleets' | 'hetzner' | 'gitlab' | 'dockerMachine' | 'sshHosts'>;
  runners: ImportedRunner[];
  /** What the user still has to do, in plain words; never a token. */
  notes: string[];
  /** Tokens seen in the file, by runner and kind (never their values). */
  tokensFound: { runner: string; kind: 'runner' | 'hetzner' }[];
}

/** Choices of the caller; by default nothing secret leaves the file. */
export interface RunnerTomlOptions {
  /** Where the file came from, for messages. */
  origin?: string;
  /**
   * Asked once per Hetzner token found: return a file path to keep the token there (written
   * with mode 0600, referenced as `{file}`), or null to leave it out (an `{env}` reference
   * the user must set is proposed instead).
   */
  keepHetznerToken?: (context: { runner: string; project: string }) => string | null;
  /** SSH alias of the host this config.toml belongs to (the runner manager). */
  managerAlias?: string;
  /**
   * Trust each autoscaled VM's host key on first use (recorded under the VM's machine
   * name). Autoscaled VMs are new hosts every time, so no known_hosts can list them
   * ahead; without this, every VM is refused as an unknown host until its key is added.
   */
  trustOnFirstUse?: boolean;
  /** Writes a secret file; injectable for tests. */
  writeSecretFile?: (path: string, value: string) => Promise<void>;
  /**
   * `--store-tokens`: keeps each Hetzner token found (docker+machine `hetzner-api-token`,
   * the fleeting plugin's `token`) in this secret store and references it from the
   * settings; the settings never hold the value. Runner tokens are never kept: nothing in
   * Runner Watch can use them (they cannot read the API).
   */
  tokenStore?: TokenStore;
}

/** Where `--store-tokens` keeps a token (the CLI's `<stateDir>/secrets`, the desktop keychain). */
export interface TokenStore {
  /** Stores `value` under `name` and returns the reference that replaces it in the settings. */
  keep(name: string, value: string): Promise<SecretRef>;
}

/**
 * The short token GitLab Runner puts into docker+machine names
 * (`runner-<short>-<MachineName>`), as its `helpers.ShortenToken` computes it.
 */
export function shortenRunnerToken(token: string): string {
  if (token.length < 8) return token;
  if (token.startsWith('glrt-')) return token.slice(5, 14);
  if (token.startsWith('glrtr-') || token.startsWith('glcbt-')) return token.slice(6, 15);
  if (token.startsWith('GR') && token.length >= 17 && /^[0-9a-fA-F]{7}$/.test(token.slice(2, 9)))
    return token.slice(0, 17);
  return token.slice(0, 8);
}

/** Reads config.toml text and proposes settings (see the module comment for secrets). */
export async function proposeFromRunnerToml(
  text: string,
  options: RunnerTomlOptions = {},
): Promise<RunnerTomlProposal> {
  const origin = options.origin ?? 'config.toml';
  const config = parseRunnerConfig(text, origin);
  const notes: string[] = [];
  const tokensFound: RunnerTomlProposal['tokensFound'] = [];
  const gitlab = new Map<string, { id: string; url: string; token: SecretRef }>();
  const fleets: NonNullable<SettingsInput['fleets']> = [];
  const hetzner: NonNullable<SettingsInput['hetzner']> = [];
  const dockerMachine: NonNullable<SettingsInput['dockerMachine']> = [];
  const sshHosts: NonNullable<SettingsInput['sshHosts']> = [];
  const runners: ImportedRunner[] = [];
  const ids = new Set<string>();
  const uniqueId = (base: string) => {
    let id = slug(base) || 'runner';
    for (let n = 2; ids.has(id); n++) id = `${slug(base) || 'runner'}-${n}`;
    ids.add(id);
    return id;
  };
  const write = options.writeSecretFile ?? writeSecretFile;

  for (const [index, runner] of config.runners.entries()) {
    const name = runner.name || `runner ${index + 1}`;
    if (runner.token) {
      redactor.register(runner.token);
      tokensFound.push({ runner: name, kind: 'runner' });
    }
    const instance = instanceOf(runner.url, `${origin}: runners[${index}].url`);
    if (!gitlab.has(instance.origin)) {
      const id = slug(instance.host);
      const env = `RW_GITLAB_TOKEN_${id.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
      gitlab.set(instance.origin, { id, url: instance.origin, token: { env } });
      notes.push(
        `GitLab ${instance.origin}: config.toml holds runner tokens only, which cannot read the API; set ${env} to a personal access token with read_api (manage_runner to remove stale runners)`,
      );
    }
    const imported: ImportedRunner = {
      name,
      url: instance.origin,
      executor: runner.executor,
      fleet: null,
      hetzner: null,
    };
    runners.push(imported);

    const machine = runner.machine;
    const autoscaler = runner.autoscaler;
    if (runner.executor === 'docker+machine' && machine) {
      const fleet = uniqueId(name);
      imported.fleet = fleet;
      const options_ = machineOptions(machine.MachineOptions);
      const labels = options_.getAll('hetzner-server-label');
      const labelSelector = labels.length ? labels.join(',') : null;
      const pattern = machine.MachineName ?? null;
      const staticPart = pattern?.includes('%s')
        ? pattern.slice(0, pattern.indexOf('%s'))
        : pattern;
      const namePrefix =
        runner.token && staticPart !== null
          ? `runner-${shortenRunnerToken(runner.token)}-${staticPart}`
          : null;
      if (!runner.token)
        notes.push(`${name}: no runner token in the file, so the machine name prefix is unknown`);
      // The autoscaler's own naming identifies its VMs for deletion; IdleCount bounds the idle rule.
      fleets.push({
        id: fleet,
        name,
        kind: 'autoscaled',
        autoscaler: {
          namePrefixes: namePrefix ? [namePrefix] : [],
          ...(machine.IdleCount !== undefined ? { idleCount: machine.IdleCount } : {}),
        },
        ...tofuFor(options, name, notes),
      });
      if ((machine.MachineDriver ?? '').toLowerCase() === 'hetzner') {
        imported.hetzner = { labelSelector, namePrefix };
        const apiToken = options_.get('hetzner-api-token');
        const token = await keepToken(apiToken, name, fleet, options, write, tokensFound, notes);
        hetzner.push({
          id: fleet,
          fleet,
          token,
          ...(labelSelector ? { labelSelector } : {}),
          ...(namePrefix ? { namePrefix } : {}),
        });
      } else {
        notes.push(
          `${name}: docker+machine driver ${machine.MachineDriver ?? '(none)'} is not a Hetzner one; only docker-machine ls will list its VMs`,
        );
      }
      if (options.managerAlias) {
        dockerMachine.push({
          id: fleet,
          fleet,
          manager: options.managerAlias,
          ...(namePrefix ? { namePrefix } : {}),
        });
      } else {
        notes.push(
          `${name}: give the SSH alias of this runner manager to watch its docker-machine list too`,
        );
      }
    } else if (runner.executor === 'docker-autoscaler' && autoscaler) {
      const fleet = uniqueId(name);
      imported.fleet = fleet;
      const hetznerPlugin = /fleeting-plugin-hetzner/.test(autoscaler.plugin ?? '');
      const group = hetznerPlugin ? (autoscaler.plugin_config?.name ?? null) : null;
      // Several policies (periods) may keep different idle counts: never go below the largest.
      const idleCounts = autoscaler.policy
        .map((p) => p.idle_count)
        .filter((n): n is number => n !== undefined);
      const connector = fleetingConnector(autoscaler.connector_config, name, notes);
      const tofu = tofuFor(options, name, notes).ssh;
      fleets.push({
        id: fleet,
        name,
        kind: 'autoscaled',
        autoscaler: {
          // The plugin names its servers `<group>-<8 hex>`: that naming alone identifies them.
          namePrefixes: group ? [`${group}-`] : [],
          ...(group ? { instanceGroups: [group] } : {}),
          ...(idleCounts.length > 0 ? { idleCount: Math.max(...idleCounts) } : {}),
          address: connector.address,
          ...(connector.protocol === 'winrm' ? { protocol: 'winrm' as const } : {}),
        },
        ...(connector.ssh || tofu ? { ssh: { ...connector.ssh, ...tofu } } : {}),
      });
      if (hetznerPlugin) {
        const namePrefix = group ? `${group}-` : null;
        imported.hetzner = { labelSelector: null, namePrefix };
        if (!group)
          notes.push(
            `${name}: the fleeting plugin has no instance group name; every server of the project will be watched, and none identified as the group's`,
          );
        const token = await keepToken(
          autoscaler.plugin_config?.token,
          name,
          fleet,
          options,
          write,
          tokensFound,
          notes,
        );
        hetzner.push({ id: fleet, fleet, token, ...(namePrefix ? { namePrefix } : {}) });
      } else {
        notes.push(
          `${name}: fleeting plugin ${autoscaler.plugin ?? '(none)'} is not the Hetzner one; its instances are not listed`,
        );
      }
    } else if (runner.executor === 'docker') {
      // A dedicated host: the host this config.toml lives on.
      let fleet = fleets.find((f) => f.kind === 'dedicated')?.id;
      if (!fleet) {
        fleet = uniqueId('dedicated');
        fleets.push({ id: fleet, name: 'Dedicated runner hosts', kind: 'dedicated' });
      }
      imported.fleet = fleet;
      if (options.managerAlias && !sshHosts.some((h) => h.alias === options.managerAlias)) {
        sshHosts.push({ alias: options.managerAlias, fleet });
      } else if (!options.managerAlias) {
        notes.push(
          `${name}: a docker executor on this host; add the host under sshHosts to watch its disks`,
        );
      }
    } else {
      notes.push(`${name}: executor ${runner.executor} runs no machines Runner Watch can watch`);
    }
  }

  if (options.tokenStore && tokensFound.some((t) => t.kind === 'runner'))
    notes.push(
      'runner tokens were not kept: they cannot read the GitLab API, and Runner Watch needs none (only their short form, which names docker+machine VMs)',
    );
  return {
    settings: { fleets, hetzner, gitlab: [...gitlab.values()], dockerMachine, sshHosts },
    runners,
    notes: [...new Set(notes)],
    tokensFound,
  };
}

/**
 * What a fleeting connector says about reaching its instances: `username` and `key_path`
 * become the fleet's SSH user and key, `use_external_addr` (GitLab Runner's default false)
 * which address the probe dials, and a `winrm` protocol (or a Windows `os` without one)
 * that the instances are not probed at all.
 */
function fleetingConnector(
  config: z.infer<typeof Autoscaler>['connector_config'],
  runner: string,
  notes: string[],
): {
  address: 'public' | 'private';
  protocol: 'ssh' | 'winrm';
  ssh: { user?: string; identityFiles?: string[] } | null;
} {
  const address = config?.use_external_addr === true ? 'public' : 'private';
  const given = config?.protocol?.trim().toLowerCase() ?? '';
  const windows = (config?.os ?? '').toLowerCase() === 'windows';
  const protocol = given.startsWith('winrm') || (given === '' && windows) ? 'winrm' : 'ssh';
  if (protocol === 'winrm')
    notes.push(
      `${runner}: its instances are reached over WinRM; Runner Watch probes over SSH only, so their disks and jobs stay unknown and none is ever deleted`,
    );
  else if (given !== '' && given !== 'ssh')
    notes.push(
      `${runner}: connector protocol "${given.slice(0, 40)}" is not ssh; probing over SSH anyway`,
    );
  if (address === 'private')
    notes.push(
      `${runner}: use_external_addr is off, so instances are probed at their private network address (Hetzner private_net); run Runner Watch where that network is reachable, or set "address": "public" on the fleet's autoscaler`,
    );
  const user = config?.username;
  const key = config?.key_path;
  const ssh =
    user || key ? { ...(user ? { user } : {}), ...(key ? { identityFiles: [key] } : {}) } : null;
  return { address, protocol, ssh };
}

/**
 * The ssh settings of an autoscaled fleet for the trust-on-first-use choice; without it, a
 * note says why every VM will be an unknown host and what to do.
 */
function tofuFor(
  options: RunnerTomlOptions,
  runner: string,
  notes: string[],
): { ssh?: { trustOnFirstUse: true } } {
  if (options.trustOnFirstUse) return { ssh: { trustOnFirstUse: true } };
  notes.push(
    `${runner}: its VMs are new SSH hosts every time, so each one is refused as an unknown host key until its key is in known_hosts; import with --trust-on-first-use to record each new VM's key under its machine name, or add keys with ssh-keyscan`,
  );
  return {};
}

async function keepToken(
  value: string | null | undefined,
  runner: string,
  project: string,
  options: RunnerTomlOptions,
  write: (path: string, value: string) => Promise<void>,
  tokensFound: RunnerTomlProposal['tokensFound'],
  notes: string[],
): Promise<SecretRef> {
  const env = `RW_HCLOUD_TOKEN_${project.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  if (!value) {
    notes.push(
      `${runner}: no Hetzner token in the file; set ${env} to a read/write API token of the project`,
    );
    return { env };
  }
  redactor.register(value);
  tokensFound.push({ runner, kind: 'hetzner' });
  if (options.tokenStore) {
    const ref = await options.tokenStore.keep(`hcloud-${project}`, value);
    notes.push(`${runner}: the Hetzner token was kept in the secret store (not in the settings)`);
    return ref;
  }
  const file = options.keepHetznerToken?.({ runner, project }) ?? null;
  if (!file) {
    notes.push(
      `${runner}: the Hetzner token in config.toml was not copied; set ${env}, or import again with --store-tokens (Settings view: "Keep its Hetzner tokens") to keep it in the secret store`,
    );
    return { env };
  }
  await write(file, value);
  return { file };
}

async function writeSecretFile(path: string, value: string): Promise<void> {
  // Atomic (a crash leaves the old token or the new one), and 0600 whatever the file was:
  // the secret must not stay readable by others.
  await writeFileAtomic(path, `${value}\n`, { mode: 0o600, forceMode: true });
}

/** Parses and validates config.toml; errors name the place, never quote the file. */
function parseRunnerConfig(text: string, origin: string): z.infer<typeof RunnerConfig> {
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    // smol-toml quotes the offending line, which may hold a token: report the place only.
    if (error instanceof TomlError) {
      const what =
        error.message.split('\n')[0]?.replace(/^Invalid TOML document: /, '') ?? 'syntax error';
      throw new ConfigError(
        `${origin}: not valid TOML at line ${error.line}, column ${error.column}: ${what}`,
      );
    }
    throw new ConfigError(`${origin}: not valid TOML`);
  }
  const parsed = RunnerConfig.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length
      ? issue.path
          .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
          .join('')
          .replace(/^\./, '')
      : '(top level)';
    throw new ConfigError(`${origin}: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  if (parsed.data.runners.length === 0) throw new ConfigError(`${origin}: no [[runners]] section`);
  return parsed.data;
}

function instanceOf(url: string, where: string): { origin: string; host: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`${where}: not a URL: ${url.slice(0, 100)}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ConfigError(`${where}: not an http(s) URL: ${parsed.protocol}`);
  }
  // A GitLab under a sub-path keeps it (https://example.com/gitlab).
  const path = parsed.pathname.replace(/\/+$/, '');
  return { origin: `${parsed.origin}${path}`, host: parsed.hostname };
}

/** `hetzner-api-token=…` style MachineOptions; a key may repeat (labels). */
function machineOptions(list: readonly string[]): {
  get(key: string): string | null;
  getAll(key: string): string[];
} {
  const pairs = list.map((item) => {
    const eq = item.indexOf('=');
    return eq < 0
      ? { key: item.trim(), value: '' }
      : { key: item.slice(0, eq).trim(), value: item.slice(eq + 1).trim() };
  });
  return {
    get: (key) => pairs.find((p) => p.key === key)?.value ?? null,
    getAll: (key) => pairs.filter((p) => p.key === key && p.value !== '').map((p) => p.value),
  };
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/-+$/, '')
    .slice(0, 64);
}
