import { describe, expect, it } from 'vitest';
import { cleanTrace, parseTraceHead, readHead } from '../../../electron/core/sources/gitlab/trace';
import { renderTrace } from '../../sim/gitlab/trace';
import type { SimJob } from '../../sim/gitlab/state';

const job: SimJob = {
  id: 7,
  runnerId: 3,
  systemId: 's_1',
  projectId: 40,
  projectPath: 'group/app',
  pipelineId: 90,
  name: 'build',
  stage: 'build',
  ref: 'main',
  status: 'running',
  createdAt: 1_700_000_000_000,
  startedAt: 1_700_000_005_000,
  finishedAt: null,
  username: 'dev',
  machine: 'runner-x1y2z3w4-auto-scale-1700000000-1a2b3c4d',
  executor: 'docker+machine',
};

// A head as GitLab Runner writes it: colours, line clears and collapsed section markers.
const realHead =
  '\u001b[0KRunning with gitlab-runner 17.5.0 (a1b2c3d4)\u001b[0;m\n' +
  '\u001b[0K  on hetzner-autoscale abcd1234, system ID: s_0123456789ab\u001b[0;m\n' +
  'section_start:1700000000:prepare_executor[collapsed=true]\r\u001b[0K\u001b[0K\u001b[36;1mPreparing the "docker+machine" executor\u001b[0;m\n' +
  'section_end:1700000003:prepare_executor\r\u001b[0Ksection_start:1700000003:prepare_script\r\u001b[0K\u001b[0K\u001b[36;1mPreparing environment\u001b[0;m\n' +
  'Running on runner-abcd1234-project-42-concurrent-0 via runner-abcd1234-auto-scale-1700000000-deadbeef...\n' +
  'section_end:1700000004:prepare_script\r\u001b[0K\n';

// A docker-autoscaler head (fleeting-plugin-hetzner): the instance is named while the
// executor prepares (gitlab-runner executors/internal/autoscaler); `via` is the manager.
const autoscalerHead =
  '\u001b[0KRunning with gitlab-runner 17.11.0 (7f5d7c36)\u001b[0;m\n' +
  '\u001b[0K  on hetzner-fleeting abcd1234, system ID: s_0123456789ab\u001b[0;m\n' +
  'section_start:1700000000:prepare_executor[collapsed=true]\r\u001b[0K\u001b[0K\u001b[36;1mPreparing the "docker-autoscaler" executor\u001b[0;m\n' +
  '\u001b[0KPreparing instance...\u001b[0;m\n' +
  '\u001b[0KDialing instance ci-fleet-1a2b3c4d:51234567...\u001b[0;m\n' +
  '\u001b[0KInstance ci-fleet-1a2b3c4d:51234567 connected\u001b[0;m\n' +
  '\u001b[0KUsing Docker executor with image alpine:3.20 ...\u001b[0;m\n' +
  'section_end:1700000003:prepare_executor\r\u001b[0Ksection_start:1700000003:prepare_script\r\u001b[0K\u001b[0K\u001b[36;1mPreparing environment\u001b[0;m\n' +
  'Running on runner-abcd1234-project-42-concurrent-0 via runner-manager-2...\n' +
  'section_end:1700000004:prepare_script\r\u001b[0K\n';

describe('trace head parsing', () => {
  it('links a docker+machine job to the machine named after "via"', () => {
    expect(parseTraceHead(realHead)).toEqual({
      machine: 'runner-abcd1234-auto-scale-1700000000-deadbeef',
      container: 'runner-abcd1234-project-42-concurrent-0',
    });
  });

  it('reads the simulator trace the same way', () => {
    expect(parseTraceHead(renderTrace(job, undefined))).toEqual({
      machine: job.machine,
      container: 'runner-t0000003-project-40-concurrent-0',
    });
  });

  it('links a docker-autoscaler job to the fleeting instance it dialled, not to the manager after "via"', () => {
    expect(parseTraceHead(autoscalerHead)).toEqual({
      machine: 'ci-fleet-1a2b3c4d',
      container: 'runner-abcd1234-project-42-concurrent-0',
    });
  });

  it('links a docker-autoscaler job as soon as the instance is dialled (head cut before "Running on")', () => {
    const cut = autoscalerHead.slice(0, autoscalerHead.indexOf('Instance ci-fleet'));
    expect(parseTraceHead(cut)).toEqual({ machine: 'ci-fleet-1a2b3c4d', container: null });
  });

  it('keeps an instance id of another plugin whole (no `:<server id>` to strip)', () => {
    const aws = autoscalerHead.replaceAll('ci-fleet-1a2b3c4d:51234567', 'i-0abc123def4567890');
    expect(parseTraceHead(aws)?.machine).toBe('i-0abc123def4567890');
  });

  it('does not link a docker-autoscaler job whose trace names no instance: its "via" is the runner manager', () => {
    const older = autoscalerHead
      .split('\n')
      .filter((line) => !/Dialing instance|Instance .* connected/.test(line))
      .join('\n');
    expect(older).toContain('via runner-manager-2...');
    expect(parseTraceHead(older)).toBeNull();
  });

  it('ignores instance lines printed by the job itself, after "Running on"', () => {
    const later = realHead + 'Dialing instance evil-1:1...\nInstance evil-1:1 connected\n';
    expect(parseTraceHead(later)?.machine).toBe('runner-abcd1234-auto-scale-1700000000-deadbeef');
  });

  it('reads the simulator docker-autoscaler trace the same way', () => {
    const fleeting: SimJob = {
      ...job,
      executor: 'docker-autoscaler',
      machine: 'ci-fleet-0badcafe',
      instanceId: 'ci-fleet-0badcafe:60000003',
      managerHostname: 'runner-manager-2',
    };
    const text = renderTrace(fleeting, undefined);
    expect(text).toContain('via runner-manager-2...');
    expect(parseTraceHead(text)).toEqual({
      machine: 'ci-fleet-0badcafe',
      container: 'runner-t0000003-project-40-concurrent-0',
    });
  });

  it('takes the host of a shell-executor trace, which has no "via"', () => {
    const shell = renderTrace({ ...job, executor: 'shell', machine: 'ci-host-07' }, undefined);
    expect(shell).toContain('Running on ci-host-07...');
    expect(parseTraceHead(shell)).toEqual({ machine: 'ci-host-07', container: null });
  });

  it('strips colours and section markers, and keeps the last rewrite of a line', () => {
    const lines = cleanTrace(
      'section_start:1:x\r\u001b[0K\u001b[32;1mhello\u001b[0;m\nprogress 10%\rprogress 100%\n',
    );
    expect(lines).toEqual(['hello', 'progress 100%', '']);
  });

  it('returns null for a trace that has not reached the prepare step, or an empty one', () => {
    expect(
      parseTraceHead('\u001b[0KRunning with gitlab-runner 17.5.0 (a1b2c3d4)\u001b[0;m\n'),
    ).toBeNull();
    expect(parseTraceHead('')).toBeNull();
  });

  it('does not mistake a job log line that merely mentions "Running on" for the runner header', () => {
    expect(parseTraceHead('$ echo Running on the moon\nRunning on the moon\n')).toBeNull();
  });

  it('reads only the head of a long body and cancels the rest', async () => {
    let pulled = 0;
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new TextEncoder().encode('x'.repeat(1024)));
      },
      cancel() {
        cancelled = true;
      },
    });
    const head = await readHead(body, 4096);
    expect(head.text.length).toBe(4096);
    expect(head.truncated).toBe(true);
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThan(10);
  });
});
