import { afterEach, describe, expect, it, vi } from 'vitest';
import { GitLabClient } from '../../../electron/core/sources/gitlab/client';

afterEach(() => {
  vi.useRealTimers();
});

function client(answer: () => Response): GitLabClient {
  return new GitLabClient({
    url: 'http://127.0.0.1:9',
    token: () => 'glpat-test-not-a-secret',
    label: 'test',
    timeoutMs: 15_000,
    fetch: async () => answer(),
    retries: 0,
  });
}

describe('GitLab request deadlines', () => {
  it('releases the deadline of a JSON call once its answer is read', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const gitlab = client(() => Response.json([], { headers: { 'x-next-page': '' } }));
    await gitlab.jobsPage(1, 1, 20, new AbortController().signal);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('releases the deadline of a streamed trace once the head is read and the rest cancelled', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const line = 'Running on runner-1-build via vm-7...\n';
    const gitlab = client(
      () => new Response(line.repeat(2_000), { headers: { 'content-type': 'text/plain' } }),
    );
    const head = await gitlab.traceHead(40, 7, 256, new AbortController().signal);
    expect(head.truncated).toBe(true);
    expect(head.text.startsWith('Running on runner-1-build via vm-7...')).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('releases it for a short trace read to its end', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const gitlab = client(
      () => new Response('Running on h1...\n', { headers: { 'content-type': 'text/plain' } }),
    );
    const head = await gitlab.traceHead(40, 8, 16_384, new AbortController().signal);
    expect(head).toEqual({ text: 'Running on h1...\n', truncated: false });
    expect(vi.getTimerCount()).toBe(0);
  });
});
