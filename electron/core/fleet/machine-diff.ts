import { isDeepStrictEqual } from 'node:util';
import type { Machine, Observed } from '../../../shared/machine';
import {
  REFRESHABLE_FIELDS,
  type RefreshPatch,
  type RefreshableField,
} from '../../../shared/machine-refresh';

/** How a machine differs from the copy last sent to clients. */
export type MachineChange =
  /** Nothing a client sees changed. */
  | { kind: 'same' }
  /** Only read times (and an orphan's cost so far) moved: a refresh carries them. */
  | { kind: 'refreshed'; patch: RefreshPatch }
  /** Something else changed: the whole machine is sent again. */
  | { kind: 'changed' };

/** Keys compared by their own rules below; every other key is compared as it is. */
const SPECIAL = new Set<string>([...REFRESHABLE_FIELDS, 'readings', 'lastSeenAt', 'orphan']);

/**
 * Compares a machine with the copy last sent, field by field rather than as JSON: building
 * a string per machine per publish was most of the engine's allocation churn at 1,000
 * machines. Any doubt (a key present on one side only, a reading added) is a change.
 */
export function diffMachine(sent: Machine, next: Machine): MachineChange {
  if (!samePlainFields(sent, next)) return { kind: 'changed' };
  const refresh: RefreshPatch = { observedAt: {} };
  let moved = false;
  for (const field of REFRESHABLE_FIELDS) {
    const was = sent[field];
    const now = next[field];
    if (was === undefined || now === undefined) {
      if (was !== now) return { kind: 'changed' };
      continue;
    }
    if (!sameApartFromTime(was, now)) return { kind: 'changed' };
    if (was.observedAt !== now.observedAt) {
      refresh.observedAt[field satisfies RefreshableField] = now.observedAt;
      moved = true;
    }
  }
  const wasReadings = sent.readings ?? [];
  const nowReadings = next.readings ?? [];
  if ((sent.readings === undefined) !== (next.readings === undefined)) return { kind: 'changed' };
  if (wasReadings.length !== nowReadings.length) return { kind: 'changed' };
  for (let i = 0; i < nowReadings.length; i += 1) {
    const was = wasReadings[i];
    const now = nowReadings[i];
    if (!was || !now || was.source !== now.source) return { kind: 'changed' };
    const patch: { disks?: number | null; load?: number | null } = {};
    for (const part of ['disks', 'load'] as const) {
      const a = was[part];
      const b = now[part];
      if (a === null || b === null) {
        if (a !== b) return { kind: 'changed' };
        continue;
      }
      if (!sameApartFromTime(a, b)) return { kind: 'changed' };
      if (a.observedAt !== b.observedAt) patch[part] = b.observedAt;
    }
    if (patch.disks !== undefined || patch.load !== undefined) {
      refresh.readings ??= {};
      refresh.readings[now.source] = patch;
      moved = true;
    }
  }
  if (sent.lastSeenAt !== next.lastSeenAt) {
    refresh.lastSeenAt = next.lastSeenAt;
    moved = true;
  }
  if (sent.orphan !== undefined || next.orphan !== undefined) {
    if (!sent.orphan || !next.orphan) return { kind: 'changed' };
    const { costSoFar: wasCost, ...wasRest } = sent.orphan;
    const { costSoFar: nowCost, ...nowRest } = next.orphan;
    if (!isDeepStrictEqual(wasRest, nowRest)) return { kind: 'changed' };
    // A priced orphan stays priced (perHour compared above); null ↔ number is a change.
    if ((wasCost === null) !== (nowCost === null)) return { kind: 'changed' };
    if (wasCost !== nowCost) {
      refresh.costSoFar = nowCost;
      moved = true;
    }
  }
  return moved ? { kind: 'refreshed', patch: refresh } : { kind: 'same' };
}

function sameApartFromTime(a: Observed<unknown>, b: Observed<unknown>): boolean {
  return (
    a.stale === b.stale &&
    a.error === b.error &&
    a.source === b.source &&
    isDeepStrictEqual(a.value, b.value)
  );
}

/** Every key but the SPECIAL ones, present on both sides with equal values. */
function samePlainFields(a: Machine, b: Machine): boolean {
  // Object.keys of a Machine are its keys; TypeScript types them as string.
  const aKeys = Object.keys(a) as (keyof Machine)[];
  for (const key of aKeys) {
    if (SPECIAL.has(key)) continue;
    if (!isDeepStrictEqual(a[key], b[key])) return false;
  }
  for (const key of Object.keys(b) as (keyof Machine)[]) {
    if (!SPECIAL.has(key) && !(key in a) && b[key] !== undefined) return false;
  }
  return true;
}
