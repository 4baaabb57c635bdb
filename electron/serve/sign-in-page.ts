import type { ServerResponse } from 'node:http';

/**
 * The page a browser gets for `/?token=…` with a wrong token: a person reads it, so it is
 * HTML (not the API's JSON), with the one fix they can apply. No script and no inline
 * style, so the CSP of every answer holds; it never echoes the token it was given.
 */
export function sendSignInPage(res: ServerResponse): void {
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign-in needed · Runner Watch</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<main data-testid="sign-in-page">
<h1>Sign-in needed</h1>
<p>The access token in this link is not the one this Runner Watch was started with.</p>
<p>Open the URL that <code>runner-watch</code> printed when it started (it looks like
<code>http://127.0.0.1:PORT/?token=…</code>). Each start prints a new token unless
<code>RUNNER_WATCH_TOKEN</code> is set, so a link from an earlier start no longer works.</p>
</main>
</body>
</html>
`;
  res.writeHead(401, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
    'Cache-Control': 'no-store',
  });
  res.end(html);
}
