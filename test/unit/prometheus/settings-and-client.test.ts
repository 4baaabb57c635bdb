import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../../electron/core/config/load-settings';
import { secretRefsOf } from '../../../electron/core/config/check-secrets';
import { PrometheusClient } from '../../../electron/core/sources/prometheus/client';
import { fleetQueries } from '../../../electron/core/sources/prometheus/fleet-read';
import { anyOf, stripPort } from '../../../electron/core/sources/prometheus/promql';
import { Settings, type SettingsInput } from '../../../shared/settings';

const base = (prom: Record<string, unknown>): SettingsInput => ({
  fleets: [{ id: 'ci' }],
  prometheus: [{ id: 'p', fleet: 'ci', url: 'http://127.0.0.1:9090', ...prom }],
});

describe('Prometheus settings', () => {
  it('accepts a URL, auth as secret references, a machine label and matchers', () => {
    const s = Settings.parse(
      base({
        auth: { basic: { username: 'rw', password: { env: 'PROM_PASS' } } },
        machineLabel: 'machine',
        matchers: 'job="node", env=~"prod|ci"',
      }),
    );
    expect(s.prometheus[0]).toMatchObject({
      machineLabel: 'machine',
      stripPort: true,
      intervalSec: 30,
    });
    expect(secretRefsOf(s)).toEqual([
      { path: 'prometheus[0].auth.basic.password', ref: { env: 'PROM_PASS' } },
    ]);
  });

  it.each([
    [{ url: 'http://user:pw@127.0.0.1:9090' }, /without user:password/],
    [{ url: 'ftp://127.0.0.1/' }, /http:\/\/ or https:\/\//],
    [{ url: 'not a url' }, /url/i],
    [{ machineLabel: 'inst-ance' }, /label name/],
    [{ matchers: 'job="node"} or vector(1) #' }, /label matchers/],
    [{ auth: { bearer: 'inline-token' } }, /auth/],
    [{ fleet: 'nope' }, /prometheus\[0\]\.fleet: no fleet with id "nope"/],
  ])('rejects %j with a clear message', (prom, message) => {
    expect(() => parseSettings(base(prom), 'test')).toThrow(message);
  });
});

describe('PromQL built from settings and fleet data', () => {
  it('quotes values, so a name cannot change the query', () => {
    expect(anyOf('instance', ['10.0.0.5', 'a"b\\c'], true)).toBe(
      'instance=~"(10\\\\.0\\\\.0\\\\.5|a\\"b\\\\\\\\c)(:[0-9]+)?"',
    );
    const q = fleetQueries(Settings.parse(base({})).prometheus[0]!, ['/', '/var/lib/docker']);
    expect(q.filesystems).toContain('mountpoint=~"/|/var/lib/docker"');
    expect(q.cpus).toBe('count by (instance) (node_cpu_seconds_total{mode="idle"})');
  });

  it('cuts ports off instance values', () => {
    expect(stripPort('10.0.0.5:9100')).toBe('10.0.0.5');
    expect(stripPort('[fd00::5]:9100')).toBe('fd00::5');
    expect(stripPort('fd00::5')).toBe('fd00::5');
    expect(stripPort('vm-1')).toBe('vm-1');
  });
});

describe('Prometheus client errors', () => {
  const client = (answer: () => Response | Promise<Response>, seen: RequestInit[] = []) =>
    new PrometheusClient({
      url: 'http://127.0.0.1:9090/',
      label: 'Prometheus p',
      authorization: async () => 'Bearer s3cret-token-value',
      timeoutMs: 2_000,
      fetch: async (_url, init) => {
        seen.push(init ?? {});
        return answer();
      },
    });
  const signal = () => AbortSignal.timeout(5_000);
  const fail = (c: PrometheusClient): Promise<Error & { code: string }> =>
    c.query('up', signal()).then(
      () => {
        throw new Error('expected the call to fail');
      },
      (e: unknown) => e as Error & { code: string },
    );

  it('401 says to check the credentials, and never shows them', async () => {
    const e = await fail(client(() => new Response('Unauthorized', { status: 401 })));
    expect(e.code).toBe('unauthorized');
    expect(e.message).not.toContain('s3cret');
  });

  it('a redirect is refused, not followed with the credentials', async () => {
    const seen: RequestInit[] = [];
    const e = await fail(
      client(
        () => new Response(null, { status: 302, headers: { location: 'http://127.0.0.9/' } }),
        seen,
      ),
    );
    expect(e.code).toBe('bad_response');
    expect(e.message).toMatch(/answered a redirect \(HTTP 302\)/);
    expect(seen[0]?.redirect).toBe('manual');
  });

  it('a proxy page instead of the API is a bad response that quotes it', async () => {
    const e = await fail(
      client(() => new Response('<html>502 Bad Gateway</html>', { status: 502 })),
    );
    expect(e.code).toBe('remote_error');
    expect(e.message).toMatch(
      /HTTP 502, not a Prometheus API answer \(<html>502 Bad Gateway<\/html>\)/,
    );
  });

  it('status error with errorType', async () => {
    const body = { status: 'error', errorType: 'execution', error: 'query timed out' };
    const e = await fail(client(() => Response.json(body, { status: 503 })));
    expect(e.code).toBe('remote_error');
    expect(e.message).toMatch(/execution: query timed out/);
  });

  it('drops NaN samples and keeps the sample time', async () => {
    const body = {
      status: 'success',
      data: {
        resultType: 'vector',
        result: [
          { metric: { instance: 'a' }, value: [1700000000.5, '0.5'] },
          { metric: { instance: 'b' }, value: [1700000000.5, 'NaN'] },
        ],
      },
    };
    const out = await client(() => Response.json(body)).query('up', signal());
    expect(out).toEqual([{ metric: { instance: 'a' }, at: 1700000000500, value: 0.5 }]);
  });

  it.each([
    ['a series that is not an object', 'up'],
    ['a series without labels', { value: [1, '1'] }],
    ['labels that are a list', { metric: ['a'], value: [1, '1'] }],
    ['a label value that is not a string', { metric: { instance: 7 }, value: [1, '1'] }],
    ['a value that is not a pair', { metric: {}, value: [1] }],
    ['a sample time that is a string', { metric: {}, value: ['1', '1'] }],
    ['a sample value that is a number', { metric: {}, value: [1, 1] }],
    ['no value at all', { metric: { instance: 'a' } }],
  ])('a vector answer with %s is a bad response naming the series', async (_, series) => {
    const body = {
      status: 'success',
      data: {
        resultType: 'vector',
        result: [{ metric: { instance: 'ok' }, value: [1, '1'] }, series],
      },
    };
    const e = await fail(client(() => Response.json(body)));
    expect(e.code).toBe('bad_response');
    expect(e.message).toMatch(/unexpected answer to \/api\/v1\/query for "up": a series is not/);
  });

  it('keeps the labels of a series as sent, extra series fields ignored', async () => {
    const body = {
      status: 'success',
      data: {
        resultType: 'vector',
        result: [{ metric: { __name__: 'up', job: 'node' }, value: [2, '1'], extra: true }],
      },
    };
    const out = await client(() => Response.json(body)).query('up', signal());
    expect(out).toEqual([{ metric: { __name__: 'up', job: 'node' }, at: 2000, value: 1 }]);
  });

  it('a matrix where a vector was expected is a bad response', async () => {
    const body = { status: 'success', data: { resultType: 'matrix', result: [] } };
    const e = await fail(client(() => Response.json(body)));
    expect(e.code).toBe('bad_response');
  });
});
