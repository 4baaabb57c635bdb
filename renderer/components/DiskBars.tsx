import type { DiskUsage } from '../../shared/machine';
import { formatBytes } from '../format';

/** How disk % is defined everywhere in Runner Watch (shared/machine.ts DiskUsage). */
export const DISK_PCT_DEFINITION = 'Disk % = used / (used + available), rounded up, like df';

/**
 * Levels for bar colours. The per-fleet warn and kill thresholds are not in the contract
 * yet, so these are the design's defaults rounded to readable steps.
 */
const WARN_PCT = 60;
const CRITICAL_PCT = 85;

function level(pct: number): 'ok' | 'warn' | 'critical' {
  if (pct >= CRITICAL_PCT) return 'critical';
  if (pct >= WARN_PCT) return 'warn';
  return 'ok';
}

/** One bar per mount; `null` disks say "unknown", not "empty". */
export function DiskBars(props: { disks: DiskUsage[] | null; stale: boolean }) {
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
          title={`${disk.mount}: ${disk.usedPct} % — ${formatBytes(disk.usedBytes)} used, ${formatBytes(disk.availBytes)} available of ${formatBytes(disk.sizeBytes)}\n${DISK_PCT_DEFINITION}`}
        >
          <span className="disk-mount">{disk.mount}</span>
          <span
            className="bar"
            role="meter"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={disk.usedPct}
            aria-label={`${disk.mount} used`}
          >
            <span
              className={`bar-fill level-${level(disk.usedPct)}`}
              style={{ width: `${disk.usedPct}%` }}
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
