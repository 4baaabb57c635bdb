import type { Settings } from '../../shared/settings';

/**
 * True when the desktop app may hand `url` to the OS browser (`shell.openExternal`): an
 * http(s) URL under one of the configured GitLab instances — same scheme, host and port,
 * and inside the instance's path for GitLab installed under a sub-path. Anything else
 * (file:, javascript:, custom schemes that start programs, other hosts, URLs carrying a
 * user name or password) is refused. Pure, so the job links of the timeline and the
 * window's link handler share one rule.
 */
export function isAllowedExternalUrl(url: string, settings: Pick<Settings, 'gitlab'>): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return false;
  if (parsed.username !== '' || parsed.password !== '') return false;
  return settings.gitlab.some((instance) => {
    let base: URL;
    try {
      base = new URL(instance.url);
    } catch {
      return false;
    }
    if (base.origin !== parsed.origin) return false;
    const root = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
    return root === '/' || `${parsed.pathname}/`.startsWith(root);
  });
}
