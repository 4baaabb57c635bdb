import type { DiskUsage } from '../../shared/machine';
import type { DiskLevels } from '../fleet-rows';
import { formatBytes } from '../format';

/** How disk % is defined everywhere in Runner Watch (shared/machine.ts DiskUsage). */
export const DISK_PCT_DEFINITION = 'Disk % = used / (used + available), rounded up, like df';

/** The design's defaults (shared/settings.ts), for hosts that do not report a fleet's levels. */
const DEFAULT_LEVELS: DiskLevels = { warnPct: 50, killPct: 60 };

/** The bar's colour: at or over the kill threshold critical, at or over warn a warning. */
export function diskLevel(pct: number, levels: DiskLevels): 'ok' | 'warn' | 'critical' {
  if (pct >= levels.killPct) return 'critical';
  if (pct >= levels.warnPct) return 'warn';
  return 'ok';
}

/**
 * One bar per mount, coloured and marked at the fleet's warn and kill levels; `null`
 * disks say "unknown", not "empty".
 */
export function DiskBars(props: {
  disks: DiskUsage[] | null;
  stale: boolean;
  levels?: DiskLevels | null;
}) {
  const levels = props.levels ?? DEFAULT_LEVELS;
  if (props.disks === null) return <span className="muted">unknown</span>;
  if (props.disks.length === 0) return <span className="muted">no mounts reported</span>;
  return (
    <ul className={`disks${props.stale ? ' is-stale' : ''}`}>
      {props.disks.map((disk) => (
        <li
          key={disk.mount}
          className="disk"
          data-testid="disk"
          data-mount={disk.mount}
          data-warn={levels.warnPct}
          data-kill={levels.killPct}
          data-level={diskLevel(disk.usedPct, levels)}
          title={`${disk.mount}: ${disk.usedPct} % — ${formatBytes(disk.usedBytes)} used, ${formatBytes(disk.availBytes)} available of ${formatBytes(disk.sizeBytes)}\nwarn at ${levels.warnPct} %, kill threshold ${levels.killPct} %\n${DISK_PCT_DEFINITION}`}
        >
          <span className="disk-mount">{disk.mount}</span>
          <span
            className="bar"
            role="meter"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={disk.usedPct}
            aria-label={`${disk.mount} used`}
            aria-valuetext={`${disk.usedPct} %${disk.usedPct >= levels.killPct ? `, at or over the kill threshold ${levels.killPct} %` : disk.usedPct >= levels.warnPct ? `, over the warn level ${levels.warnPct} %` : ''}`}
          >
            <span
              className={`bar-fill level-${diskLevel(disk.usedPct, levels)}`}
              style={{ width: `${disk.usedPct}%` }}
            />
            <span
              className="bar-mark mark-warn"
              style={{ left: `${levels.warnPct}%` }}
              aria-hidden="true"
            />
            <span
              className="bar-mark mark-kill"
              style={{ left: `${levels.killPct}%` }}
              aria-hidden="true"
            />
          </span>
          <span className="disk-pct num" data-testid="disk-pct">
            {disk.usedPct} %
          </span>
        </li>
      ))}
    </ul>
  );
}
