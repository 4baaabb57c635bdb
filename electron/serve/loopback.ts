import { isIP } from 'node:net';

/** True for addresses that only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare === '::1' || bare === '::ffff:127.0.0.1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/** Host part of a URL for an address: IPv6 literals need brackets. */
export function urlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** The warning printed when binding an address other machines can reach, else null. */
export function exposureWarning(host: string): string | null {
  if (isLoopbackHost(host)) return null;
  return `listening on ${host}, which is reachable from other machines; anyone with the URL and token can use Runner Watch`;
}
