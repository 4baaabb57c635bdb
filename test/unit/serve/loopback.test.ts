import { describe, expect, it } from 'vitest';
import { exposureWarning, isLoopbackHost, urlHost } from '../../../electron/serve/loopback';

describe('loopback detection', () => {
  it.each(['127.0.0.1', '127.9.8.7', 'localhost', 'LOCALHOST', '::1', '[::1]'])(
    '%s is loopback',
    (host) => {
      expect(isLoopbackHost(host)).toBe(true);
      expect(exposureWarning(host)).toBeNull();
    },
  );

  it.each(['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'build.example.com', '128.0.0.1'])(
    '%s is not',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false);
      expect(exposureWarning(host)).toBe(
        `listening on ${host}, which is reachable from other machines; anyone with the URL and token can use Runner Watch`,
      );
    },
  );

  it('brackets IPv6 literals in URLs', () => {
    expect(urlHost('::1')).toBe('[::1]');
    expect(urlHost('127.0.0.1')).toBe('127.0.0.1');
  });
});
