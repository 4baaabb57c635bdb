/** Opens a URL in a new tab; the page's `window.open` unless a test passes its own. */
export type OpenWindow = (url: string, target: string, features: string) => unknown;

/**
 * Opens a URL the host checked (`rw:timeline:open-job` answered it) in a new browser tab,
 * with `noopener` and `noreferrer` so the GitLab page gets no handle on this window and no
 * Referer with the app's address. Only URLs from the host come here, never one a view built.
 */
export function openCheckedUrl(
  url: string,
  open: OpenWindow = (u, target, features) => window.open(u, target, features),
): void {
  open(url, '_blank', 'noopener,noreferrer');
}
