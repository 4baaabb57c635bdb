import type {
  GitLabCheckRequest,
  GitLabCheckResult,
  HostKeyRequest,
  HostKeyResult,
  ImportTomlRequest,
  ImportTomlResult,
  SecretStatus,
  SettingsDocument,
  SettingsIssue,
  SettingsUpdateRequest,
  SettingsUpdateResult,
  TrustHostKeyRequest,
} from '../../../shared/settings-api';
import { Settings, type SecretRef, type SettingsInput } from '../../../shared/settings';
import { settingsProblems } from '../../../shared/settings-issues';
import { expandHome } from '../config/expand-home';
import { parseSettings } from '../config/load-settings';
import { proposeFromRunnerToml } from '../config/runner-toml';
import type { SecretKeeper } from '../config/secret-files';
import type { SettingsStore } from '../config/settings-store';
import { isRwError, RwError } from '../errors/rw-error';
import { checkGitLabToken } from './gitlab-check';
import { readHostKey, trustHostKey } from './host-key';

/** Resolves a secret reference (the runtime's resolver). */
export interface SettingsSecrets {
  resolve(ref: SecretRef): Promise<string>;
}

/** What applying saved settings gave: restarted with them, or why not. */
export interface ApplyOutcome {
  applied: boolean;
  message: string;
}

/** What the settings channels need. */
export interface SettingsServiceOptions {
  store: SettingsStore;
  secrets: SettingsSecrets;
  keeper: SecretKeeper;
  /** Restarts the engine's sources with saved settings; absent: a restart is needed. */
  apply?: (next: Settings, previous: Settings) => Promise<ApplyOutcome>;
  /** False where the host cannot save (nothing is written then). */
  writable?: boolean;
  fetch?: typeof fetch;
  now?: () => number;
}

/** The secret fields of the settings, by path: the only places a typed secret may go. */
export function secretPaths(settings: Settings): { path: (string | number)[]; ref: SecretRef }[] {
  const out: { path: (string | number)[]; ref: SecretRef }[] = [];
  settings.fleets.forEach((fleet, i) => {
    if (fleet.ssh.passphrase)
      out.push({ path: ['fleets', i, 'ssh', 'passphrase'], ref: fleet.ssh.passphrase });
  });
  settings.hetzner.forEach((entry, i) =>
    out.push({ path: ['hetzner', i, 'token'], ref: entry.token }),
  );
  settings.gitlab.forEach((entry, i) =>
    out.push({ path: ['gitlab', i, 'token'], ref: entry.token }),
  );
  return out;
}

function isSecretPath(path: readonly (string | number)[]): boolean {
  const [list, index, field, sub] = path;
  if (typeof index !== 'number') return false;
  if ((list === 'gitlab' || list === 'hetzner') && field === 'token' && path.length === 3)
    return true;
  return list === 'fleets' && field === 'ssh' && sub === 'passphrase' && path.length === 4;
}

function setAt(root: Record<string, unknown>, path: readonly (string | number)[], value: unknown) {
  let node: unknown = root;
  for (const key of path.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return false;
    const next = (node as Record<string | number, unknown>)[key];
    if (next === undefined && typeof key === 'string') {
      (node as Record<string, unknown>)[key] = {};
    }
    node = (node as Record<string | number, unknown>)[key];
  }
  const last = path.at(-1);
  if (typeof node !== 'object' || node === null || last === undefined) return false;
  (node as Record<string | number, unknown>)[last] = value;
  return true;
}

/** The file name a typed secret is kept under: its entry's id and field, e.g. `gitlab-main-token`. */
function secretName(settings: Record<string, unknown>, path: readonly (string | number)[]): string {
  const [list, index, field] = path;
  const entries = settings[String(list)];
  const entry = Array.isArray(entries) ? (entries[Number(index)] as unknown) : undefined;
  const id =
    typeof entry === 'object' &&
    entry !== null &&
    typeof (entry as { id?: unknown }).id === 'string'
      ? (entry as { id: string }).id
      : String(index);
  const safe = `${String(list)}-${id}-${String(field === 'ssh' ? 'passphrase' : field)}`;
  return safe.replace(/[^A-Za-z0-9._-]/g, '_');
}

/**
 * The Settings view's channels on a `SettingsStore`: read with secret status (references
 * only, never a value), validate with every problem at its path, keep typed secrets through
 * the host's keeper, save atomically, then apply (restart the sources with the new
 * settings). Also the helpers of the view: config.toml import, the GitLab scope check and
 * the SSH host-key trust prompt.
 */
export class SettingsService {
  private appliedAt: number | null;
  private readonly now: () => number;

  constructor(private readonly options: SettingsServiceOptions) {
    this.now = options.now ?? Date.now;
    this.appliedAt = this.now();
  }

  /** The saved settings with defaults, and whether each secret resolves. */
  async document(): Promise<SettingsDocument> {
    const settings = parseSettings(await this.options.store.read(), this.options.store.location);
    return this.describe(settings);
  }

  /**
   * Validates, keeps typed secrets, saves and applies. A document with problems comes back
   * with every one of them at its path and nothing is written (not even a secret file).
   */
  async update(request: SettingsUpdateRequest): Promise<SettingsUpdateResult> {
    if (this.options.writable === false)
      throw new RwError(
        'refused',
        `the settings of this host cannot be changed here (${this.options.store.location})`,
      );
    const draft = structuredClone(request.settings) as Record<string, unknown>;
    const issues: SettingsIssue[] = [];
    for (const entry of request.secrets) {
      if (!isSecretPath(entry.path)) {
        issues.push({
          path: entry.path,
          message: 'not a secret field (tokens and passphrases only)',
        });
        continue;
      }
      if (this.options.keeper.storage === 'none') {
        issues.push({
          path: entry.path,
          message:
            'this host takes no typed secrets: use an environment variable or a file reference',
        });
        continue;
      }
      // A placeholder reference while validating; the secret is kept only once all is valid.
      if (!setAt(draft, entry.path, { file: 'pending' }))
        issues.push({ path: entry.path, message: 'no such entry' });
    }
    if (issues.length > 0) return { ok: false, issues };
    const first = Settings.safeParse(draft);
    const problems = settingsProblems(first);
    if (!first.success || problems.length > 0) return { ok: false, issues: problems };

    for (const entry of request.secrets) {
      const ref = await this.options.keeper.keep(secretName(draft, entry.path), entry.value);
      setAt(draft, entry.path, ref);
    }
    const next = parseSettings(draft, this.options.store.location);
    const secretIssues = await this.unresolved(next);
    if (secretIssues.length > 0) return { ok: false, issues: secretIssues };

    const previous = parseSettings(await this.options.store.read(), this.options.store.location);
    await this.options.store.write(draft as SettingsInput);
    let outcome: ApplyOutcome = {
      applied: false,
      message: `saved to ${this.options.store.location}; restart Runner Watch to use them`,
    };
    if (this.options.apply) {
      outcome = await this.options.apply(next, previous);
      if (outcome.applied) this.appliedAt = this.now();
    }
    return {
      ok: true,
      document: await this.describe(next),
      applied: outcome.applied,
      message: outcome.message,
    };
  }

  /** Entries proposed from a config.toml; its tokens stay in the file. */
  async importToml(request: ImportTomlRequest): Promise<ImportTomlResult> {
    if (request.storeTokens && this.options.keeper.storage === 'none')
      throw new RwError('bad_input', 'this host keeps no secrets: import without storing tokens');
    const proposal = await proposeFromRunnerToml(request.text, {
      origin: 'the pasted config.toml',
      ...(request.managerAlias ? { managerAlias: request.managerAlias } : {}),
      ...(request.storeTokens ? { tokenStore: this.options.keeper } : {}),
    });
    const settings: ImportTomlResult['settings'] = {};
    for (const [key, list] of Object.entries(proposal.settings)) {
      if (Array.isArray(list))
        settings[key] = list.map((item) => ({ ...(item as Record<string, unknown>) }));
    }
    return {
      settings,
      runners: proposal.runners.map((r) => ({
        name: r.name,
        executor: r.executor,
        fleet: r.fleet,
      })),
      notes: proposal.notes,
    };
  }

  /** Asks a saved GitLab instance what its token may do. */
  async checkGitLab(request: GitLabCheckRequest): Promise<GitLabCheckResult> {
    const settings = parseSettings(await this.options.store.read(), this.options.store.location);
    const instance = settings.gitlab.find((g) => g.id === request.id);
    if (!instance)
      throw new RwError(
        'not_found',
        `no saved GitLab instance "${request.id}": save the settings first`,
      );
    return checkGitLabToken(instance, this.options.secrets, this.options.fetch);
  }

  /** The key an SSH host offers, checked against known_hosts. */
  async hostKey(request: HostKeyRequest): Promise<HostKeyResult> {
    return readHostKey({
      ...request,
      knownHostsFile: await this.knownHostsFile(request.knownHostsFile),
    });
  }

  /** Records a host key the person accepted, if the host still offers that key. */
  async trustHostKey(request: TrustHostKeyRequest): Promise<HostKeyResult> {
    return trustHostKey({
      ...request,
      knownHostsFile: await this.knownHostsFile(request.knownHostsFile),
    });
  }

  private async knownHostsFile(given: string | undefined): Promise<string> {
    if (given) return expandHome(given);
    const settings = parseSettings(await this.options.store.read(), this.options.store.location);
    return expandHome(settings.fleets[0]?.ssh.knownHostsFile ?? '~/.ssh/known_hosts');
  }

  private async describe(settings: Settings): Promise<SettingsDocument> {
    const secrets: SecretStatus[] = [];
    for (const { path, ref } of secretPaths(settings)) {
      const [kind, name] =
        'env' in ref
          ? (['env', ref.env] as const)
          : 'file' in ref
            ? (['file', ref.file] as const)
            : (['stored', ref.stored] as const);
      let problem: string | null = null;
      try {
        await this.options.secrets.resolve(ref);
      } catch (error) {
        problem = isRwError(error) ? error.message : 'could not be read';
      }
      secrets.push({ path, kind, name, set: problem === null, problem });
    }
    return {
      location: this.options.store.location,
      writable: this.options.writable !== false,
      secretStorage: this.options.keeper.storage,
      secretDir: this.options.keeper.dir,
      settings,
      secrets,
      appliedAt: this.appliedAt,
    };
  }

  private async unresolved(settings: Settings): Promise<SettingsIssue[]> {
    const issues: SettingsIssue[] = [];
    for (const { path, ref } of secretPaths(settings)) {
      try {
        await this.options.secrets.resolve(ref);
      } catch (error) {
        issues.push({
          path,
          message: isRwError(error) ? error.message : 'the secret could not be read',
        });
      }
    }
    return issues;
  }
}
