import type { MachineRemoval } from '../shared/machine';

/** `HH:MM` in local time, the way a person remembers when they clicked. */
function clock(at: number): string {
  const date = new Date(at);
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

/**
 * Who deleted a machine and when, from the audit log: "by you at 10:42" when it was the
 * user this host acts as (`viewer`, AppInfo.user), "by the reaper (auto mode)" for auto
 * mode, else the `user@host` who confirmed.
 */
export function removedBy(removal: MachineRemoval, viewer: string | null | undefined): string {
  const who =
    removal.by === 'auto'
      ? 'the reaper (auto mode)'
      : viewer && removal.by === viewer
        ? 'you'
        : removal.by;
  return `by ${who} at ${clock(removal.at)}`;
}

/** The whole sentence: "deleted by you at 10:42". */
export function removalText(removal: MachineRemoval, viewer: string | null | undefined): string {
  return `deleted ${removedBy(removal, viewer)}`;
}
