import { describe, expect, it } from 'vitest';
import type { AppInfo } from '../../../shared/api';
import { createApiHandlers, dispatch } from '../../../electron/core/api';
import { Engine } from '../../../electron/core/engine';

// Both hosts (IPC and HTTP) go through dispatch: what it refuses, it refuses for both.

const info: AppInfo = {
  name: 'Runner Watch',
  version: '0.0.0-test',
  host: 'serve',
  demo: false,
  startedAt: 1,
  warnings: [],
};

describe('dispatch', () => {
  it('takes a missing input as {} but refuses null (was: null taken as {})', async () => {
    const handlers = createApiHandlers({ engine: new Engine({ sources: [] }), info });
    expect(await dispatch(handlers, 'rw:app:info', undefined)).toMatchObject({ ok: true });
    expect(await dispatch(handlers, 'rw:app:info', null)).toMatchObject({
      ok: false,
      error: { code: 'bad_input' },
    });
  });

  it('an answer that fails its own schema is one line naming the path, not a dump of the data', async () => {
    const handlers = createApiHandlers({ engine: new Engine({ sources: [] }), info });
    const broken = {
      ...handlers,
      'rw:app:info': async () => ({
        ...info,
        startedAt: Number.POSITIVE_INFINITY,
        warnings: ['x'.repeat(500)],
      }),
    };
    const result = await dispatch(broken, 'rw:app:info', {});
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('internal');
    expect(result.error.message).toMatch(
      /^rw:app:info: the answer failed its own schema at startedAt: /,
    );
    expect(result.error.message).not.toContain('\n');
    expect(result.error.message).not.toContain('xxxx');
  });
});
