import type { MachineRemoval } from '../shared/machine';

/** `HH:MM` in local time, the way a person remembers when they clicked. */
function clock(at: number): string {
  const date = new Date(at);
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

/**
 * How a machine this app deleted reads in the Fleet view: who and when, from the audit
 * log. `auto` is the reaper in auto mode, not a person.
 */
export function removalText(removal: MachineRemoval): string {
  const who = removal.by === 'auto' ? 'the reaper (auto mode)' : removal.by;
  return `deleted by ${who} at ${clock(removal.at)}`;
}
