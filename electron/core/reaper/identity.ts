import type { Machine } from '../../../shared/machine';
import type { Runner } from '../../../shared/runner';
import type { FleetSettings, Settings } from '../../../shared/settings';

/*
 * Who may be deleted at all. A machine is deleted only when it is positively identified as
 * one of an autoscaler's VMs: its fleet is `autoscaled`, it is no configured SSH host (by
 * name or address) and no runner manager, Hetzner says it is not delete-protected, and an
 * explicit selector or the autoscaler's own naming picks it out. Everything else gets
 * cleanups at most. Pure functions over data; the facts come from the settings and the
 * GitLab runners the engine knows.
 */

/** What the settings and GitLab say about hosts that must never be deleted, and how VMs are named. */
export interface IdentityFacts {
  /** `sshHosts` entries: configured build hosts, by alias and by the address given. */
  sshHosts: readonly { alias: string; fleet: string; addresses: readonly string[] }[];
  /**
   * Runner managers: `dockerMachine[].manager` aliases (with their `sshHosts` address when
   * one is configured) and GitLab runner managers' `ip_address`.
   */
  managers: readonly { what: string; names: readonly string[]; addresses: readonly string[] }[];
  /** Filters of the inventory sources by source id (`hetzner:<id>`, `docker-machine:<id>`). */
  listings: ReadonlyMap<string, { labelSelector: string | null; namePrefix: string | null }>;
}

/** No facts: nothing is known to be a host or manager, no source filters anything. */
export const NO_FACTS: IdentityFacts = { sshHosts: [], managers: [], listings: new Map() };

/** The facts of a settings file and the runners GitLab listed (their managers' addresses). */
export function identityFacts(settings: Settings, runners: readonly Runner[] = []): IdentityFacts {
  const hostAddress = (alias: string): string[] => {
    const host = settings.sshHosts.find((h) => h.alias === alias)?.host;
    return host ? [host] : [];
  };
  const managers: { what: string; names: string[]; addresses: string[] }[] = [];
  for (const dm of settings.dockerMachine) {
    managers.push({
      what: `docker-machine manager ${dm.manager}`,
      names: [dm.manager],
      addresses: hostAddress(dm.manager),
    });
  }
  for (const runner of runners) {
    for (const manager of runner.managers) {
      if (!manager.ipAddress) continue;
      managers.push({
        what: `manager of GitLab runner #${runner.id}${runner.description ? ` (${runner.description})` : ''} on ${manager.ipAddress}`,
        names: [],
        addresses: [manager.ipAddress],
      });
    }
  }
  const listings = new Map<string, { labelSelector: string | null; namePrefix: string | null }>();
  for (const h of settings.hetzner) {
    listings.set(`hetzner:${h.id}`, {
      labelSelector: h.labelSelector ?? null,
      namePrefix: h.namePrefix ?? null,
    });
  }
  for (const dm of settings.dockerMachine) {
    listings.set(`docker-machine:${dm.id}`, {
      labelSelector: null,
      namePrefix: dm.namePrefix ?? null,
    });
  }
  return {
    sshHosts: settings.sshHosts.map((h) => ({
      alias: h.alias,
      fleet: h.fleet,
      addresses: h.host ? [h.host] : [],
    })),
    managers,
    listings,
  };
}

/**
 * True for a label selector that names the machines it wants (`role=ci`, `role in (a,b)`);
 * a selector of negations only (`env!=prod`, `!db`) picks out everything else, build hosts
 * included, so it identifies nothing.
 */
export function isPositiveSelector(selector: string): boolean {
  return selector
    .split(/,(?![^(]*\))/)
    .some((term) => /^\s*[^!=\s,()]+\s*(==?|\s+in\s+\()/.test(term));
}

/** docker+machine names its VMs `runner-<short token>-<MachineName>` (REFERENCE.md). */
const DOCKER_MACHINE_NAME = /^runner-[A-Za-z0-9_-]{8,17}-./;

/** True for a name docker+machine could have given (`runner-<token>-<MachineName>`). */
export function isDockerMachineName(name: string): boolean {
  return DOCKER_MACHINE_NAME.test(name);
}

/**
 * `runner-` and the first 8 characters of the runner token in a docker+machine name: VMs
 * of one runner share it (the token part's own length varies with the token format).
 */
export function runnerTokenPart(name: string): string | null {
  return isDockerMachineName(name) ? name.slice(0, 'runner-'.length + 8) : null;
}

/** How the machine is identified as an autoscaled VM, or why not. */
export type Identification = { by: string } | { none: string };

/** Which explicit selector or naming of the autoscaler picks this machine out. */
export function identify(
  machine: Machine,
  fleet: FleetSettings,
  facts: IdentityFacts,
): Identification {
  const misses: string[] = [];
  const selector = fleet.reaper.selector;
  const explicit =
    selector !== undefined &&
    (Object.keys(selector.labels).length > 0 || selector.namePrefix !== undefined);
  if (explicit && !matchesSelector(machine, fleet)) {
    // An explicit selector that does not match is a "no", whatever the naming says.
    return { none: `not matched by the selector of fleet ${fleet.id}` };
  }
  if (explicit && !(fleet.autoscaler?.instanceGroups?.length ?? 0))
    return { by: `selector of fleet ${fleet.id}` };
  // A fleeting instance group speaks alone: its instances carry the plugin's naming, and
  // nothing else (a label, a listing, a looser prefix) may stand in for it.
  const groups = fleet.autoscaler?.instanceGroups ?? [];
  if (groups.length > 0) {
    const group = groups.find((g) => isInstanceOfGroup(machine.name, g));
    if (group) {
      const also = explicit ? ` within the selector of fleet ${fleet.id}` : '';
      return { by: `instance group naming (${group}-<8 hex>)${also}` };
    }
    return {
      none: `not an instance of group ${groups.join(' or ')} (fleeting-plugin-hetzner names them <group>-<8 hex digits>)`,
    };
  }
  const prefixes = fleet.autoscaler?.namePrefixes ?? [];
  const prefix = prefixes.find((p) => machine.name.startsWith(p));
  if (prefix) return { by: `autoscaler naming (${prefix}…)` };
  if (prefixes.length > 0) misses.push(`name does not start with ${prefixes.join(' or ')}`);
  // The label selector speaks for the listing the machine's identity (labels, id) came from.
  const source = machine.status.source;
  const listing = source ? facts.listings.get(source) : undefined;
  if (source && listing?.labelSelector && isPositiveSelector(listing.labelSelector))
    return { by: `listed by ${source} with label selector ${listing.labelSelector}` };
  // A name prefix speaks for itself: any inventory that listed the machine by it will do
  // (docker-machine on the manager and Hetzner list the same VM).
  for (const id of machine.seenBy) {
    const prefix = facts.listings.get(id)?.namePrefix;
    if (prefix && machine.name.startsWith(prefix))
      return { by: `autoscaler naming (${prefix}…) listed by ${id}` };
  }
  const dockerMachine = machine.seenBy.find((id) => id.startsWith('docker-machine:'));
  if (dockerMachine && DOCKER_MACHINE_NAME.test(machine.name))
    return { by: `docker+machine naming (runner-<token>-…) listed by ${dockerMachine}` };
  if (misses.length > 0) return { none: `not one of the autoscaler's VMs: ${misses.join('; ')}` };
  return {
    none: 'no selector identifies autoscaled VMs (set fleets[].reaper.selector or a Hetzner labelSelector, or import the runner config.toml for its naming)',
  };
}

/**
 * True for a server name fleeting-plugin-hetzner gives an instance of `group`:
 * `<group>-` and 8 hex digits (hcloud-go randutil.GenerateID), nothing before or after.
 */
export function isInstanceOfGroup(name: string, group: string): boolean {
  if (!name.startsWith(`${group}-`)) return false;
  return /^[0-9a-f]{8}$/.test(name.slice(group.length + 1));
}

/** True when the machine is inside the fleet's selector (labels equal, name prefix); no selector: true. */
export function matchesSelector(machine: Machine, fleet: FleetSettings): boolean {
  if (machine.fleet !== fleet.id) return false;
  const selector = fleet.reaper.selector;
  if (!selector) return true;
  if (selector.namePrefix !== undefined && !machine.name.startsWith(selector.namePrefix))
    return false;
  return Object.entries(selector.labels).every(([key, value]) => machine.labels[key] === value);
}

/**
 * The configured SSH host this machine is, when it is one under another key (another
 * fleet, or the same address under the provider's name). The machine that *is* the
 * `sshHosts` entry (same fleet and alias) is dedicated and gets cleanups instead.
 */
export function sshHostOf(
  machine: Machine,
  facts: IdentityFacts,
  dedicated: readonly Machine[],
): string | null {
  for (const host of facts.sshHosts) {
    if (host.alias === machine.name)
      return `SSH host ${host.alias}${host.fleet === machine.fleet ? '' : ` of fleet ${host.fleet}`}`;
    const shared = machine.addresses.find((a) => host.addresses.includes(a));
    if (shared) return `SSH host ${host.alias} (same address ${shared})`;
  }
  // The probe reports each SSH host with the address it dialled (HostName from ~/.ssh/config).
  for (const host of dedicated) {
    if (host.key === machine.key) continue;
    const shared = machine.addresses.find((a) => host.addresses.includes(a));
    if (shared) return `dedicated host ${host.name} (same address ${shared})`;
  }
  return null;
}

/** Why this machine is a runner manager, or null. */
export function managerOf(machine: Machine, facts: IdentityFacts): string | null {
  for (const manager of facts.managers) {
    if (manager.names.includes(machine.name)) return manager.what;
    const shared = machine.addresses.find((a) => manager.addresses.includes(a));
    if (shared) return manager.what;
  }
  if (machine.runsGitlabRunner === true) return 'a gitlab-runner process runs on it';
  return null;
}

/**
 * Every reason the machine may not be deleted (empty: it may). The disk, job and fleet
 * guards come on top; this is only "is it one of the autoscaler's VMs at all".
 */
export function deleteBlockers(
  machine: Machine,
  fleet: FleetSettings,
  facts: IdentityFacts,
  dedicated: readonly Machine[],
  action: 'hcloud-delete' | 'machine-rm',
): string[] {
  const reasons: string[] = [];
  if (fleet.kind !== 'autoscaled') reasons.push(`fleet ${fleet.id} is ${fleet.kind}`);
  const host = sshHostOf(machine, facts, dedicated);
  if (host) reasons.push(`is ${host}: dedicated hosts are cleaned up, never deleted`);
  const manager = managerOf(machine, facts);
  if (manager) reasons.push(`runner manager (${manager}): never deleted`);
  if (machine.deleteProtected === true) reasons.push('Hetzner delete protection is on');
  // docker-machine does not report protection (and its Hetzner driver cannot delete a
  // protected server); a Hetzner delete needs Hetzner's own "not protected".
  else if (action === 'hcloud-delete' && machine.deleteProtected !== false)
    reasons.push('Hetzner delete protection unknown');
  const identified = identify(machine, fleet, facts);
  if ('none' in identified) reasons.push(identified.none);
  return reasons;
}
