import type { JobPhase } from '../../../shared/job-metrics';

// `section_start:1700000000:prepare_executor[collapsed=true]\r` — GitLab Runner's markers.
const MARKER = /section_(start|end):(\d+):([A-Za-z0-9_.-]+)/g;

/**
 * The job's phases from its trace's section markers, in the order they started. A section
 * without an end marker (the job still runs, or the trace was cut off) has no end.
 */
export function tracePhases(trace: string): JobPhase[] {
  const open = new Map<string, JobPhase>();
  const phases: JobPhase[] = [];
  for (const match of trace.matchAll(MARKER)) {
    const [, kind, seconds, name] = match;
    if (!kind || !seconds || !name) continue;
    const at = Number(seconds) * 1000;
    if (kind === 'start') {
      const phase: JobPhase = { name, startedAt: at, finishedAt: null };
      open.set(name, phase);
      phases.push(phase);
    } else {
      const phase = open.get(name);
      if (phase && at >= phase.startedAt) phase.finishedAt = at;
      open.delete(name);
    }
  }
  return phases;
}
