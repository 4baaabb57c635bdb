/** "just now", "12 s ago", "4 min ago", "3 h ago", "2 d ago": how old a reading is. */
export function formatAgo(then: number, now: number): string {
  const ms = Math.max(0, now - then);
  if (ms < 1_000) return 'just now';
  return `${formatSpan(ms)} ago`;
}

/** A duration in its largest sensible unit: "12 s", "4 min", "3 h 5 min", "2 d 4 h". */
export function formatSpan(ms: number): string {
  const s = Math.floor(Math.max(0, ms) / 1_000);
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

/** Bytes in binary units, like df -h: "12.4 GiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Load average with two decimals, fixed width in tabular figures. */
export function formatLoad(load: number): string {
  return load.toFixed(2);
}

/** A local date and time for tooltips. */
export function formatTime(at: number): string {
  return new Date(at).toLocaleString();
}

/** A local date and time in a fixed width, "2026-12-03 09:30:12": sortable and unambiguous. */
export function formatDateTime(at: number): string {
  const d = new Date(at);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}
