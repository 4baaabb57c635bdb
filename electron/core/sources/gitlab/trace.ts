/** Where a job runs, read from the head of its trace. */
export interface TraceLink {
  /** The machine: `via <machine>` for docker executors, the host for shell executors. */
  machine: string;
  /** The build container's hostname, or null for a shell executor. */
  container: string | null;
}

// CSI sequences (colours, line clears) and the two-byte ESC forms GitLab Runner writes.
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]|\u001b[()][A-Za-z0-9]|\u001b[=>]/g;
// `section_start:1700000000:name[collapsed=true]\r` — the marker ends at the carriage return.
const SECTION = /section_(?:start|end):\d+:[^\r\n]*\r?/g;
const RUNNING_ON = /^Running on (\S+?)(?: via (\S+?))?\.{3}\s*$/;

/** The trace text as a person reads it: no colours, no section markers, one line per line. */
export function cleanTrace(text: string): string[] {
  return text
    .replace(SECTION, '')
    .replace(ANSI, '')
    .split('\n')
    .map((line) => {
      // A bare \r rewrites the line on a terminal: keep what was written last.
      const parts = line.split('\r').filter((part) => part.length > 0);
      return (parts[parts.length - 1] ?? '').trim();
    });
}

/**
 * Finds `Running on <container> via <machine>...` (docker executors) or `Running on
 * <host>...` (shell) in a trace head. Null when the line is not (yet) there.
 */
export function parseTraceHead(text: string): TraceLink | null {
  for (const line of cleanTrace(text)) {
    const match = RUNNING_ON.exec(line);
    if (!match) continue;
    const first = match[1];
    const via = match[2];
    if (first === undefined) continue;
    return via === undefined
      ? { machine: first, container: null }
      : { machine: via, container: first };
  }
  return null;
}

/**
 * Reads at most `maxBytes` of a response body and cancels the rest: a trace can be
 * megabytes long and only its first lines say where the job runs.
 */
export async function readHead(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<{ text: string; truncated: boolean }> {
  if (!body) return { text: '', truncated: false };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  try {
    while (size < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
    if (size >= maxBytes) truncated = true;
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const text = new TextDecoder().decode(Buffer.concat(chunks).subarray(0, maxBytes));
  return { text, truncated };
}
