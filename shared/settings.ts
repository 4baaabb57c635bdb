import { z } from 'zod';
import { AlertSeverity } from './alerts';

/**
 * A secret is never written inline: it names an environment variable, a file (read by
 * the main process only; the file should be mode 0600) or, in the desktop app, an entry
 * of its encrypted store.
 */
export const SecretRef = z.union([
  z.strictObject({ env: z.string().min(1) }),
  z.strictObject({ file: z.string().min(1) }),
  /** Entered in the desktop app and kept encrypted by the OS (Electron safeStorage). */
  z.strictObject({ stored: z.string().min(1) }),
]);
/** Reference to a secret held outside the settings. */
export type SecretRef = z.infer<typeof SecretRef>;

const seconds = (def: number) => z.number().int().min(1).max(86_400).default(def);
const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/i, 'use letters, digits, ".", "_" or "-"')
  .max(64);

/**
 * An http(s) URL of an API, without credentials: `file:`, `javascript:` and other schemes
 * are refused here rather than failing later, and `user:password@` is refused because
 * tokens belong in secret references (a URL is printed in messages; a reference never).
 */
export const ApiUrl = z
  .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
  .refine((text) => {
    // Runs after a failed format check too (zod 4 does not abort): no URL, nothing to say.
    if (!URL.canParse(text)) return true;
    const url = new URL(text);
    return url.username === '' && url.password === '';
  }, 'must not contain user:password@ (put the token in a secret reference: {"env": …} or {"file": …})');

/** A glob over project path, job name and ref; a running job matching all given parts is expendable. */
export const ExpendablePattern = z.strictObject({
  project: z.string().min(1).optional(),
  job: z.string().min(1).optional(),
  ref: z.string().min(1).optional(),
});
/** A pattern of jobs the reaper may interrupt. */
export type ExpendablePattern = z.infer<typeof ExpendablePattern>;

/** Reaper rules and guards for one fleet. */
export const ReaperSettings = z.strictObject({
  mode: z.enum(['off', 'notify', 'auto', 'dry-run']).default('notify'),
  /** Disk rule: used % on any watched mount at or over this… */
  diskThresholdPct: z.number().min(1).max(100).default(60),
  /** …for this many consecutive samples. */
  samples: z.number().int().min(1).max(100).default(3),
  /**
   * Idle rule, off by default (null): removes idle VMs the autoscaler should have removed —
   * no job container and no linked running job for this many minutes. GitLab Runner keeps
   * idle VMs on purpose (`IdleCount`, `IdleTime`); the rule never goes below the fleet's
   * `autoscaler.idleCount`.
   */
  idleMinutes: z.number().min(0).max(10_080).nullable().default(null),
  /** Bounded (10 years, 1 year) so the rule's milliseconds stay finite. */
  maxAgeHours: z.number().positive().max(87_600).nullable().default(null),
  /**
   * Orphan rule: servers the provider lists that no runner manager's list includes.
   * `propose` (default): proposed, a person confirms even in `auto` mode; `auto`: executed
   * like any rule when the fleet's mode is `auto`; `off`: shown, never proposed.
   */
  orphans: z.enum(['off', 'propose', 'auto']).default('propose'),
  /** An unlisted server is an orphan only when no GitLab job ran on it for this long. */
  orphanAfterMinutes: z.number().min(0).max(10_080).default(30),
  /** …and only once it is older than this: a VM being provisioned may not be listed yet. */
  orphanGraceMinutes: z.number().min(0).max(10_080).default(15),
  unreachableMinutes: z.number().positive().max(525_600).nullable().default(null),
  minFleetSize: z.number().int().min(0).default(1),
  maxKillsPerHour: z.number().int().min(0).default(4),
  expendable: z.array(ExpendablePattern).default([]),
  /**
   * Which machines of the fleet the reaper may touch at all: every given label must be
   * equal and the name must start with the prefix. Absent: every machine of the fleet.
   */
  selector: z
    .strictObject({
      labels: z.record(z.string(), z.string()).default({}),
      namePrefix: z.string().min(1).optional(),
    })
    .optional(),
  /** Bounds of the executor's steps (re-check, delete call, action polling, remote commands). */
  stepTimeoutSec: z.number().int().min(1).max(3_600).default(60),
  /** Image prune bound of the dedicated-host cleanup: images unused for this many hours. */
  pruneImagesOlderThanHours: z.number().int().min(1).max(8_760).default(72),
});
/** Reaper rules and guards for one fleet. */
export type ReaperSettings = z.infer<typeof ReaperSettings>;

/** How the collectors reach a fleet's machines over SSH. */
export const SshAccess = z.strictObject({
  user: z.string().min(1).default('root'),
  port: z.number().int().min(1).max(65_535).default(22),
  /** Private key files to offer, `~` expanded. */
  identityFiles: z.array(z.string().min(1)).default([]),
  /** Passphrase for encrypted keys. */
  passphrase: SecretRef.optional(),
  /** Use the ssh-agent from SSH_AUTH_SOCK when present. */
  useAgent: z.boolean().default(true),
  knownHostsFile: z.string().min(1).default('~/.ssh/known_hosts'),
  /** Accept and record an unknown host key. A changed key is always refused. */
  trustOnFirstUse: z.boolean().default(false),
  /** Alias or user@host:port of a jump host. */
  jumpHost: z.string().min(1).optional(),
  connectTimeoutSec: seconds(10),
  commandTimeoutSec: seconds(20),
});
/** How the collectors reach machines over SSH. */
export type SshAccess = z.infer<typeof SshAccess>;

/**
 * What the runner's own configuration says about an autoscaled fleet (`import-toml`
 * records it): how the autoscaler names its VMs and how many it keeps idle on purpose.
 */
export const AutoscalerSettings = z.strictObject({
  /**
   * Name prefixes the autoscaler gives its VMs: `runner-<token8>-<MachineName before %s>`
   * (docker+machine) or the instance group name (docker-autoscaler). A machine whose name
   * starts with one of them is identified as one of the autoscaler's VMs.
   */
  namePrefixes: z.array(z.string().min(1)).default([]),
  /** docker+machine `IdleCount` / docker-autoscaler `idle_count`: the idle rule never goes below it. */
  idleCount: z.number().int().min(0).optional(),
  /**
   * docker-autoscaler with fleeting-plugin-hetzner: the instance group names
   * (`plugin_config.name`). The plugin names every server `<group>-<8 hex digits>`; a
   * machine is identified as one of the group's instances only by that exact shape, so a
   * `<group>-manager` or `<group>-db` host never is.
   */
  instanceGroups: z.array(z.string().min(1).max(63)).optional(),
  /**
   * Which address of a VM the probe dials, as the fleeting connector's `use_external_addr`
   * chooses: `public` (true), or `private` (false, GitLab Runner's default: the server's
   * private network IP, `private_net[0].ip`; its public IP when it has no private network).
   * Absent: the public address first.
   */
  address: z.enum(['public', 'private']).optional(),
  /**
   * The fleeting connector's protocol (`connector_config.protocol`): `winrm` instances
   * (Windows) are not probed over SSH, so their disks and jobs stay unknown. Absent: ssh.
   */
  protocol: z.enum(['ssh', 'winrm']).optional(),
});
/** What the runner's configuration says about an autoscaled fleet. */
export type AutoscalerSettings = z.infer<typeof AutoscalerSettings>;

/** How a fleet's machines are read: over SSH by the probe, or not at all (`none`). */
export const FleetProbe = z.enum(['ssh', 'none']);
/** How a fleet's machines are read. */
export type FleetProbe = z.infer<typeof FleetProbe>;

/** A group of machines with one reaper policy. */
export const FleetSettings = z.strictObject({
  id,
  name: z.string().min(1).optional(),
  /**
   * `autoscaled`: VMs an autoscaler creates and removes; only they may be deleted, and only
   * when positively identified. `dedicated`: hosts that are cleaned up, never deleted.
   */
  kind: z.enum(['autoscaled', 'dedicated']).default('autoscaled'),
  autoscaler: AutoscalerSettings.optional(),
  /** Disk use at which the tray warns. */
  warnPct: z.number().min(1).max(100).default(50),
  /** Mounts whose use the disk rule and warnings watch. */
  watchedMounts: z.array(z.string().min(1)).default(['/', '/var/lib/docker']),
  /**
   * How the fleet's machines are read. `ssh` (default): the SSH probe reads each machine's
   * disks, job containers and load. `none`: Runner Watch opens no SSH connection to the
   * fleet's machines — for large fleets whose disks and load come from Prometheus
   * (`prometheus[].fleet`, required with `none`). Job containers then stay unknown, and
   * unknown is never idle: the disk, idle, age and orphan rules are blocked on these
   * machines, and only the opt-in unreachable rule proposes (a person confirms it).
   * `sshHosts` entries cannot belong to such a fleet (a dedicated host is read by SSH alone).
   */
  probe: FleetProbe.default('ssh'),
  ssh: SshAccess.prefault({}),
  reaper: ReaperSettings.prefault({}),
});
/** A group of machines with one reaper policy. */
export type FleetSettings = z.infer<typeof FleetSettings>;

/** A Hetzner Cloud project (one token each) whose servers belong to a fleet. */
export const HetznerSettings = z.strictObject({
  id,
  fleet: id,
  token: SecretRef,
  apiUrl: ApiUrl.default('https://api.hetzner.cloud/v1'),
  /** Hetzner label selector, e.g. `role=ci-runner`. */
  labelSelector: z.string().min(1).optional(),
  /** Only servers whose name starts with this (docker+machine / fleeting instance group). */
  namePrefix: z.string().min(1).optional(),
  intervalSec: seconds(30),
  timeoutSec: seconds(15),
});
/** A Hetzner Cloud project. */
export type HetznerSettings = z.infer<typeof HetznerSettings>;

/** A GitLab instance (GitLab.com or self-managed). */
export const GitLabSettings = z.strictObject({
  id,
  url: ApiUrl,
  token: SecretRef,
  intervalSec: seconds(30),
  timeoutSec: seconds(15),
  /** Hours of finished jobs kept for the timeline. */
  timelineHours: z.number().positive().max(168).default(6),
  /** A runner with no contact for this many days counts as stale (GitLab itself says 7). */
  staleAfterDays: z.number().positive().max(3_650).default(7),
});
/** A GitLab instance. */
export type GitLabSettings = z.infer<typeof GitLabSettings>;

/** A dedicated runner host (docker executor) reached over SSH. */
export const SshHostSettings = z.strictObject({
  /** Alias: a `Host` of ~/.ssh/config, or a name for the host below. */
  alias: z.string().min(1),
  fleet: id,
  /** Address to dial when the alias is not in ~/.ssh/config. */
  host: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65_535).optional(),
  user: z.string().min(1).optional(),
  /** Accept and record this host's key on first contact (overrides the fleet's choice). */
  trustOnFirstUse: z.boolean().optional(),
});
/** A dedicated runner host. */
export type SshHostSettings = z.infer<typeof SshHostSettings>;

/** A docker+machine runner manager whose `docker-machine ls` lists the VMs of a fleet. */
export const DockerMachineSettings = z.strictObject({
  id,
  fleet: id,
  /** SSH alias of the runner manager: an `sshHosts` alias or a `Host` of ~/.ssh/config. */
  manager: z.string().min(1),
  /** Only machines whose name starts with this (e.g. `runner-x1y2z3w4-`). */
  namePrefix: z.string().min(1).optional(),
  /** Probe the VMs through the manager as jump host (else directly by their IP). */
  viaManager: z.boolean().default(false),
  intervalSec: seconds(30),
});
/** A docker+machine runner manager. */
export type DockerMachineSettings = z.infer<typeof DockerMachineSettings>;

/**
 * An http(s) base URL without credentials in it: a user:password in the URL would end up
 * in logs and error messages, so credentials go in `auth` as secret references.
 */
const httpUrl = z.url().refine((value) => {
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password
    );
  } catch {
    return false;
  }
}, 'use an http:// or https:// URL without user:password in it (put credentials in "auth")');

/** Credentials for an HTTP metrics endpoint, as secret references. */
export const HttpAuth = z.union([
  /** HTTP basic auth; the password is a secret reference. */
  z.strictObject({
    basic: z.strictObject({ username: z.string().min(1), password: SecretRef }),
  }),
  /** `Authorization: Bearer <token>`. */
  z.strictObject({ bearer: SecretRef }),
]);
/** Credentials for an HTTP metrics endpoint. */
export type HttpAuth = z.infer<typeof HttpAuth>;

/** A PromQL label name (what `machineLabel` may be). */
const labelName = z
  .string()
  .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a Prometheus label name: letters, digits and "_"');

/**
 * Extra label matchers added to every query, e.g. `job="node"`. Kept to plain
 * `name op "value"` pairs so a setting cannot change the shape of a query.
 */
const labelMatchers = z
  .string()
  .regex(
    /^\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(?:=|!=|=~|!~)\s*"(?:[^"\\]|\\.)*"(?:\s*,\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(?:=|!=|=~|!~)\s*"(?:[^"\\]|\\.)*")*\s*$/,
    'label matchers like job="node", separated by commas',
  );

/**
 * A Prometheus server that scrapes node_exporter on a fleet's machines. One instant query
 * per metric serves the whole fleet each cycle; `query_range` serves job metrics.
 */
export const PrometheusSettings = z.strictObject({
  id,
  fleet: id,
  /** Base URL of the Prometheus server (the `/api/v1/...` paths are appended). */
  url: httpUrl,
  auth: HttpAuth.optional(),
  /**
   * The label whose value names the machine: its name (e.g. a `machine` label set by
   * relabelling) or one of its addresses (e.g. `instance` = `10.0.0.5:9100`).
   */
  machineLabel: labelName.default('instance'),
  /** Cut a `:port` suffix off the label value before matching (as in `instance`). */
  stripPort: z.boolean().default(true),
  /** Extra label matchers for every query, e.g. `job="node"`. */
  matchers: labelMatchers.optional(),
  /** node_exporter's scrape interval: bounds rate() windows and the smallest step. */
  scrapeIntervalSec: seconds(15),
  intervalSec: seconds(30),
  timeoutSec: seconds(10),
});
/** A Prometheus server for a fleet. */
export type PrometheusSettings = z.infer<typeof PrometheusSettings>;

/**
 * A GitLab Runner's own metrics endpoint (`listen_address`, Prometheus text format), read
 * for the fleet counters `gitlab_runner_jobs` and `gitlab_runner_autoscaling_machine_states`.
 */
export const RunnerMetricsSettings = z.strictObject({
  id,
  fleet: id,
  /** e.g. `http://runner-manager:9252/metrics`. */
  url: httpUrl,
  auth: HttpAuth.optional(),
  intervalSec: seconds(30),
  timeoutSec: seconds(10),
});
/** A GitLab Runner metrics endpoint. */
export type RunnerMetricsSettings = z.infer<typeof RunnerMetricsSettings>;

/** Job metrics: the query window and the local store that keeps them beyond retention. */
export const JobMetricsSettings = z.strictObject({
  /** Seconds added before the job's start and after its end. */
  marginSec: z.number().int().min(0).max(3_600).default(60),
  /** Points per series at most; the step grows to keep under it. */
  maxPoints: z.number().int().min(10).max(11_000).default(1_000),
  /** Size bound of the local store; the least recently used jobs are evicted past it. */
  storeMaxMB: z.number().positive().max(100_000).default(200),
  /** Save every finished job's metrics in the background (serve and desktop hosts). */
  autoSave: z.boolean().default(true),
  /** Folder of the store; default `<stateDir>/job-metrics`. `~` expanded. */
  storeDir: z.string().min(1).optional(),
});
/** Job metrics settings. */
export type JobMetricsSettings = z.infer<typeof JobMetricsSettings>;

/** Probing machines over SSH. */
export const ProbeSettings = z.strictObject({
  intervalSec: seconds(30),
  /** Hosts probed at once. */
  concurrency: z.number().int().min(1).max(256).default(16),
  /** `~/.ssh/config` to honour (Host, HostName, User, Port, IdentityFile, ProxyJump). */
  sshConfigFile: z.string().min(1).nullable().default('~/.ssh/config'),
});
/** Probing machines over SSH. */
export type ProbeSettings = z.infer<typeof ProbeSettings>;

/** How cost figures are shown: Hetzner's prices (in the account's currency, EUR) × `rate`. */
export const CostSettings = z.strictObject({
  /** ISO 4217 code shown with the figures. */
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'use a three-letter currency code such as EUR')
    .default('EUR'),
  /** Multiplier from the provider's currency to `currency` (1 when they are the same). */
  rate: z.number().positive().max(1_000_000).default(1),
  /** Prices without VAT (`net`) or with it (`gross`). */
  basis: z.enum(['net', 'gross']).default('gross'),
});
/** How cost figures are shown. */
export type CostSettings = z.infer<typeof CostSettings>;

/** A local time of day, `HH:MM` (24 h). */
const TimeOfDay = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'use HH:MM, 24-hour (e.g. "22:00")');

/** When desktop notifications are held back; `start` after `end` spans midnight. */
export const QuietHours = z.strictObject({ start: TimeOfDay, end: TimeOfDay });
/** When desktop notifications are held back. */
export type QuietHours = z.infer<typeof QuietHours>;

/**
 * One fleet's own notification rules, so a fleet with frequent routine warnings does not
 * drown the rare critical alert of another (or its own). Unset fields follow the global
 * settings and the fleet's own levels.
 */
export const FleetNotificationRules = z.strictObject({
  fleet: z.string().min(1).max(64),
  /**
   * The least severity that reaches the desktop for this fleet: `critical` keeps its
   * warnings in the window's alert list only. Back-to-normal notices follow what was shown.
   */
  minSeverity: AlertSeverity.default('info'),
  /** Disk % at which this fleet's machines notify; null: the fleet's `warnPct`. */
  diskWarnPct: z.number().int().min(1).max(100).nullable().default(null),
  /**
   * At most this many desktop notifications per hour from this fleet; more become one
   * "rate limit reached" notice. Critical ones always come through. Null: no limit.
   */
  maxPerHour: z.number().int().min(1).max(120).nullable().default(null),
  /** Back-to-normal notices for this fleet; null: the global `backToNormal`. */
  backToNormal: z.boolean().nullable().default(null),
});
/** One fleet's own notification rules. */
export type FleetNotificationRules = z.infer<typeof FleetNotificationRules>;

/**
 * Which notifications are raised and how often: the desktop app's tray and notifications,
 * edited in the Settings view of either host. The rules are in electron/core/notify/.
 */
export const NotificationSettings = z.strictObject({
  enabled: z.boolean().default(true),
  /** A notification when a machine's disk stays over its fleet's warn level for N samples. */
  diskWarnings: z.boolean().default(true),
  /** A notification for each new proposal that waits for a person (notify mode). */
  proposals: z.boolean().default(true),
  /** Points below the warn level a disk must fall before it may warn again (hysteresis). */
  rearmPoints: z.number().int().min(1).max(50).default(5),
  /** Local hours without notifications; what was held is summed up once they end. */
  quietHours: QuietHours.nullable().default(null),
  /** A source failing for this long raises a notification (once per outage). */
  sourceFailingMinutes: z.number().min(1).max(1_440).default(5),
  /** More notifications than this at once become one summary. */
  summaryAfter: z.number().int().min(1).max(50).default(3),
  /**
   * A notice when a problem that was notified clears (a disk back 5 points under its
   * level, a source answering again). Never for an alert acknowledged or muted.
   */
  backToNormal: z.boolean().default(true),
  /** Rules per fleet (one entry per fleet id); fleets without one follow the above. */
  fleets: z.array(FleetNotificationRules).max(200).default([]),
});
/** Which notifications are raised and how often. */
export type NotificationSettings = z.infer<typeof NotificationSettings>;

/** What only the desktop app uses; the serve host and CLI ignore it. */
export const DesktopSettings = z.strictObject({
  /** Start Runner Watch (in the tray, without a window) when the user logs in. */
  startAtLogin: z.boolean().default(false),
});
/** What only the desktop app uses. */
export type DesktopSettings = z.infer<typeof DesktopSettings>;

/** The whole configuration: the `--config` file of the CLI and serve hosts. */
export const Settings = z.strictObject({
  fleets: z.array(FleetSettings).default([]),
  hetzner: z.array(HetznerSettings).default([]),
  gitlab: z.array(GitLabSettings).default([]),
  sshHosts: z.array(SshHostSettings).default([]),
  /** docker+machine runner managers, each listing one fleet's VMs. */
  dockerMachine: z.array(DockerMachineSettings).default([]),
  probe: ProbeSettings.prefault({}),
  /** Prometheus servers, each for one fleet (disk, load, memory from node_exporter). */
  prometheus: z.array(PrometheusSettings).default([]),
  /** GitLab Runner metrics endpoints, for fleet counters. */
  runnerMetrics: z.array(RunnerMetricsSettings).default([]),
  jobMetrics: JobMetricsSettings.prefault({}),
  notifications: NotificationSettings.prefault({}),
  cost: CostSettings.prefault({}),
  /** Where audit log and reaper state live; `~` expanded. */
  stateDir: z.string().min(1).default('~/.local/state/runner-watch'),
  /** Tray, notifications and start at login of the desktop app. */
  desktop: DesktopSettings.prefault({}),
});
/** The whole configuration. */
export type Settings = z.infer<typeof Settings>;
/** The configuration as written, before defaults. */
export type SettingsInput = z.input<typeof Settings>;
