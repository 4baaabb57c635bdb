import { describe, expect, it } from 'vitest';
import {
  createAccessToken,
  credentialMatches,
  readBearer,
  readCookie,
  sessionValue,
} from '../../../electron/serve/access-token';

describe('access token helpers', () => {
  it('makes distinct 32-byte base64url tokens', () => {
    const a = createAccessToken();
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(a).not.toBe(createAccessToken());
  });

  it('compares credentials of any length', () => {
    expect(credentialMatches('abc', 'abc')).toBe(true);
    expect(credentialMatches('abc', 'abd')).toBe(false);
    expect(credentialMatches('', 'abc')).toBe(false);
    expect(credentialMatches('abcd', 'abc')).toBe(false);
  });

  it('derives a session value that is not the token', () => {
    const token = createAccessToken();
    expect(sessionValue(token)).not.toContain(token);
    expect(sessionValue(token)).toBe(sessionValue(token));
    expect(sessionValue(token)).not.toBe(sessionValue(createAccessToken()));
  });

  it('reads cookies and bearer headers', () => {
    expect(readCookie('a=1; rw_session_80=xyz; b=2', 'rw_session_80')).toBe('xyz');
    expect(readCookie('rw_session_81=xyz', 'rw_session_80')).toBeNull();
    expect(readCookie(undefined, 'x')).toBeNull();
    expect(readBearer('Bearer tok-123')).toBe('tok-123');
    expect(readBearer('bearer   tok-123 ')).toBe('tok-123');
    expect(readBearer('Basic abc')).toBeNull();
    expect(readBearer(undefined)).toBeNull();
  });
});
