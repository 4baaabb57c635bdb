import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../../electron/core/config/load-settings';
import { redactUrl, redactor } from '../../../electron/core/errors/redact';
import { RwError, toApiError } from '../../../electron/core/errors/rw-error';
import { HcloudClient } from '../../../electron/core/sources/hcloud/client';

// Issue 16.3 and 17.6: configured URLs are http(s) without credentials; a URL with
// credentials is redacted wherever it is printed; numeric settings are bounded.

function problem(input: unknown): string {
  try {
    parseSettings(input, 'c.json');
  } catch (error) {
    return (error as Error).message;
  }
  return 'accepted';
}

const gitlab = (extra: Record<string, unknown>) => ({
  gitlab: [{ id: 'g', url: 'https://gitlab.example.com', token: { env: 'T' }, ...extra }],
});

describe('configured URLs', () => {
  it.each(['file:///etc/passwd', 'javascript:alert(1)', 'ftp://gitlab.example.com', 'nope'])(
    'refuses %s for a GitLab url',
    (url) => {
      expect(problem(gitlab({ url }))).toBe(
        'config c.json: gitlab[0].url: expected an http:// or https:// URL such as https://gitlab.example.com',
      );
    },
  );

  it('refuses user:password@ in a GitLab url and a Hetzner apiUrl, never echoing it', () => {
    const message = problem(gitlab({ url: 'http://user:PASSWORD@127.0.0.1/' }));
    expect(message).toBe(
      'config c.json: gitlab[0].url: must not contain user:password@ (put the token in a secret reference: {"env": …} or {"file": …})',
    );
    const hetzner = problem({
      fleets: [{ id: 'ci' }],
      hetzner: [
        { id: 'p', fleet: 'ci', token: { env: 'T' }, apiUrl: 'http://user:PASSWORD@127.0.0.1/v1' },
      ],
    });
    expect(hetzner).toMatch(
      /^config c\.json: hetzner\[0\]\.apiUrl: must not contain user:password@/,
    );
    expect(hetzner).not.toContain('PASSWORD');
  });

  it('accepts plain http and https URLs', () => {
    expect(problem(gitlab({ url: 'http://127.0.0.1:8080/gitlab' }))).toBe('accepted');
  });
});

describe('bounded numbers', () => {
  it('refuses staleAfterDays: 1e308 (its milliseconds would be Infinity)', () => {
    expect(problem(gitlab({ staleAfterDays: 1e308 }))).toBe(
      'config c.json: gitlab[0].staleAfterDays: expected a number ≤ 3650',
    );
  });

  it('refuses reaper age and unreachable rules past any real fleet', () => {
    expect(problem({ fleets: [{ id: 'ci', reaper: { maxAgeHours: 1e308 } }] })).toBe(
      'config c.json: fleets[0].reaper.maxAgeHours: expected a number ≤ 87600',
    );
    expect(problem({ fleets: [{ id: 'ci', reaper: { unreachableMinutes: 1e308 } }] })).toBe(
      'config c.json: fleets[0].reaper.unreachableMinutes: expected a number ≤ 525600',
    );
  });
});

describe('URL credentials are redacted wherever a URL is printed', () => {
  it('redactUrl removes userinfo of any scheme, and nothing else', () => {
    expect(redactUrl('cannot reach http://user:PASSWORD@host/v1 (ECONNREFUSED)')).toBe(
      'cannot reach http://[redacted]@host/v1 (ECONNREFUSED)',
    );
    expect(redactUrl('see https://token@gitlab.example.com/x and http://h/a@b')).toBe(
      'see https://[redacted]@gitlab.example.com/x and http://h/a@b',
    );
    expect(redactor.redact('ssh://root:pw@127.0.0.1')).toBe('ssh://[redacted]@127.0.0.1');
  });

  it('every error message and API error is scrubbed', () => {
    const error = new RwError('unreachable', 'cannot reach http://u:SECRETPW@127.0.0.1/v1');
    expect(error.message).toBe('cannot reach http://[redacted]@127.0.0.1/v1');
    expect(toApiError(new Error('GET http://u:SECRETPW@x/ failed')).message).not.toContain(
      'SECRETPW',
    );
  });

  it('the Hetzner client says "cannot reach" without the password of a URL it was given', async () => {
    // A port that refuses: listen, note the port, close.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const client = new HcloudClient({
      apiUrl: `http://user:PASSWORD@127.0.0.1:${port}/v1`,
      token: 'hcloud-token-for-redaction-test',
      project: 'p',
      timeoutMs: 2_000,
    });
    const message = await client.listServers().then(
      () => 'accepted',
      (e: unknown) => (e as Error).message,
    );
    expect(message).toContain('cannot reach');
    expect(message).not.toContain('PASSWORD');
  });
});
