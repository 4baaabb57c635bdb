import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh access token: 32 random bytes, base64url (43 characters). */
export function createAccessToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Compares a presented credential with the expected one in constant time. Both sides are
 * hashed first so that their lengths do not leak through an early return either.
 */
export function credentialMatches(presented: string, expected: string): boolean {
  const key = 'runner-watch-compare';
  const a = createHmac('sha256', key).update(presented).digest();
  const b = createHmac('sha256', key).update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * The session cookie's value, derived from the token: the cookie then never carries the
 * token itself, and a new token (new process) invalidates old cookies by itself.
 */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('runner-watch session').digest('base64url');
}

/**
 * Cookies are not separated by port, so two servers on 127.0.0.1 would overwrite one
 * shared name: the port goes into the cookie's name.
 */
export function sessionCookieName(port: number): string {
  return `rw_session_${port}`;
}

/** Reads one cookie from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** Reads the token of an `Authorization: Bearer <token>` header. */
export function readBearer(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1] ?? null;
}
