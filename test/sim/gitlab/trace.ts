import type { SimJob, SimRunner } from './state';

const ESC = '\u001b';
const RESET = `${ESC}[0;m`;
const CLEAR = `${ESC}[0K`;
const BOLD_GREEN = `${ESC}[32;1m`;
const BOLD_CYAN = `${ESC}[36;1m`;

function sectionStart(at: number, name: string, title: string): string {
  return `section_start:${Math.floor(at / 1000)}:${name}\r${CLEAR}${CLEAR}${BOLD_CYAN}${title}${RESET}\n`;
}
function sectionEnd(at: number, name: string): string {
  return `section_end:${Math.floor(at / 1000)}:${name}\r${CLEAR}\n`;
}

/**
 * A job trace in GitLab Runner's real shape: ANSI colours, `\r` line clears and
 * `section_start:`/`section_end:` markers; the prepare section says where the job runs
 * (`Running on <container> via <machine>...`, or `Running on <host>...` for shell;
 * docker-autoscaler: `Dialing instance <id>...` while preparing, `via` the manager).
 */
export function renderTrace(job: SimJob, runner: SimRunner | undefined, bodyLines = 40): string {
  const at = job.startedAt ?? job.createdAt;
  const version = runner?.version ?? '17.5.0';
  const revision = runner?.revision ?? 'a1b2c3d4';
  const token8 = `t${String(job.runnerId).padStart(7, '0')}`;
  const executorTitle =
    job.executor === 'shell'
      ? 'Preparing the "shell" executor'
      : `Preparing the "${job.executor}" executor`;
  let out = '';
  out += `${CLEAR}${BOLD_GREEN}Running with gitlab-runner ${version} (${revision})${RESET}\n`;
  out += `${CLEAR}${BOLD_GREEN}  on ${runner?.description ?? 'runner'} ${token8}, system ID: ${job.systemId ?? 's_000000000000'}${RESET}\n`;
  out += sectionStart(at, 'prepare_executor', executorTitle);
  if (job.executor === 'docker-autoscaler') {
    // gitlab-runner executors/internal/autoscaler: the instance is named while preparing
    out += `${CLEAR}Preparing instance...${RESET}\n`;
    if (job.instanceId) {
      out += `${CLEAR}Dialing instance ${job.instanceId}...${RESET}\n`;
      out += `${CLEAR}Instance ${job.instanceId} connected${RESET}\n`;
    }
  }
  if (job.executor !== 'shell') {
    out += `${CLEAR}Using Docker executor with image alpine:3.20 ...${RESET}\n`;
    out += `${CLEAR}Pulling docker image alpine:3.20 ...${RESET}\n`;
  }
  out += sectionEnd(at + 2_000, 'prepare_executor');
  out += sectionStart(at + 2_000, 'prepare_script', 'Preparing environment');
  if (job.executor === 'shell') {
    out += `Running on ${job.machine ?? 'localhost'}...\n`;
  } else {
    const container = job.container ?? `runner-${token8}-project-${job.projectId}-concurrent-0`;
    // docker-autoscaler prints the manager's own hostname after `via`, not the instance
    const via =
      job.executor === 'docker-autoscaler'
        ? (job.managerHostname ?? 'runner-manager')
        : job.machine;
    out += `Running on ${container} via ${via ?? 'unknown'}...\n`;
  }
  out += sectionEnd(at + 3_000, 'prepare_script');
  out += sectionStart(at + 3_000, 'get_sources', 'Getting source from Git repository');
  out += `${CLEAR}Fetching changes with git depth set to 20...${RESET}\n`;
  out += sectionEnd(at + 5_000, 'get_sources');
  out += sectionStart(at + 5_000, 'step_script', 'Executing "step_script" stage of the job script');
  for (let i = 0; i < bodyLines; i += 1) {
    out += `${ESC}[32;1m$ make step-${i}${RESET}\nbuilding part ${i} of ${job.projectPath} on ${job.ref}\n`;
  }
  if (job.status !== 'running' && job.status !== 'pending') {
    out += sectionEnd(at + 60_000, 'step_script');
    out +=
      job.status === 'success'
        ? `${CLEAR}${BOLD_GREEN}Job succeeded${RESET}\n`
        : `${CLEAR}${ESC}[31;1mERROR: Job failed${RESET}\n`;
  }
  return out;
}
