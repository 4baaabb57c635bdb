/** Where a job runs, read from the head of its trace. */
export interface TraceLink {
  /**
   * The machine: the fleeting instance for docker-autoscaler, `via <machine>` for
   * docker+machine, the host for shell executors.
   */
  machine: string;
  /** The build container's hostname, or null for a shell executor. */
  container: string | null;
}

// CSI sequences (colours, line clears) and the two-byte ESC forms GitLab Runner writes.
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]|\u001b[()][A-Za-z0-9]|\u001b[=>]/g;
// `section_start:1700000000:name[collapsed=true]\r` — the marker ends at the carriage return.
const SECTION = /section_(?:start|end):\d+:[^\r\n]*\r?/g;
const RUNNING_ON = /^Running on (\S+?)(?: via (\S+?))?\.{3}\s*$/;
// docker-autoscaler (and the instance executor) name the fleeting instance while preparing:
// `Dialing instance <id>...` then `Instance <id> connected` (gitlab-runner
// executors/internal/autoscaler). Their `via` is the runner manager's own hostname.
const DIALING = /^Dialing instance (\S+?)\.{3}\s*$/;
const CONNECTED = /^Instance (\S+) connected\s*$/;
const AUTOSCALER_EXECUTOR = /^Preparing the "(?:docker-autoscaler|instance)" executor/;
// fleeting-plugin-hetzner's instance id is `<server name>:<server id>`.
const HETZNER_IID = /^(.+):\d+$/;

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
 * Finds where the job runs in a trace head: the fleeting instance a docker-autoscaler job
 * dialled (`Dialing instance <name>:<id>...`), else `Running on <container> via
 * <machine>...` (docker+machine) or `Running on <host>...` (shell). Null when the lines
 * are not (yet) there, and for a docker-autoscaler trace that names no instance: its
 * `via` is the runner manager, not the machine the job runs on.
 */
export function parseTraceHead(text: string): TraceLink | null {
  let instance: string | null = null;
  let autoscaler = false;
  for (const line of cleanTrace(text)) {
    if (AUTOSCALER_EXECUTOR.test(line)) autoscaler = true;
    // Only lines before `Running on` count: after it, the job's own output begins.
    const dialled = DIALING.exec(line)?.[1] ?? CONNECTED.exec(line)?.[1];
    if (dialled !== undefined) {
      instance ??= dialled;
      continue;
    }
    const match = RUNNING_ON.exec(line);
    if (!match) continue;
    const first = match[1];
    const via = match[2];
    if (first === undefined) continue;
    if (instance !== null)
      return { machine: instanceName(instance), container: via === undefined ? null : first };
    if (autoscaler) return null;
    return via === undefined
      ? { machine: first, container: null }
      : { machine: via, container: first };
  }
  return instance === null ? null : { machine: instanceName(instance), container: null };
}

/** The machine name in a fleeting instance id (Hetzner: `<name>:<server id>`). */
function instanceName(id: string): string {
  return HETZNER_IID.exec(id)?.[1] ?? id;
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
