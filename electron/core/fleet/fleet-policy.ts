import type { FleetPolicy } from '../../../shared/fleet';
import type { ReaperMode } from '../../../shared/proposal';
import type { FleetSettings } from '../../../shared/settings';

/** Each fleet's thresholds and guards from its settings, with the mode in force. */
export function fleetPolicies(
  fleets: readonly FleetSettings[],
  modeOf: (fleet: FleetSettings) => ReaperMode,
): FleetPolicy[] {
  return fleets.map((fleet) => ({
    id: fleet.id,
    name: fleet.name ?? null,
    kind: fleet.kind,
    warnPct: fleet.warnPct,
    killPct: fleet.reaper.diskThresholdPct,
    samples: fleet.reaper.samples,
    watchedMounts: [...fleet.watchedMounts],
    mode: modeOf(fleet),
    minFleetSize: fleet.reaper.minFleetSize,
    maxKillsPerHour: fleet.reaper.maxKillsPerHour,
    probe: fleet.probe,
  }));
}
