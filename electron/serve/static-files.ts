import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, resolve, sep, isAbsolute } from 'node:path';
import { sendError } from './http-json';

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** Content type by file extension; unknown files are served as opaque bytes. */
export function contentTypeFor(path: string): string {
  return contentTypes[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Maps a URL path to a file inside `root`, or null when it would leave it (`..`, encoded
 * separators, NUL, absolute paths). Symlinks are checked separately after realpath.
 */
export function resolveStaticPath(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const parts = decoded.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.some((part) => part === '..')) return null;
  const full = resolve(root, ...parts);
  const rel = relative(root, full);
  if (rel.startsWith('..') || isAbsolute(rel)) return null;
  return full;
}

/**
 * Serves the built renderer: `/` is index.html, paths without an extension fall back to
 * index.html (client-side routes), hashed assets are cached for good, index.html never.
 */
export async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  root: string,
  urlPath: string,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendError(
      res,
      405,
      { code: 'bad_input', message: `${req.method ?? ''} is not allowed here` },
      { Allow: 'GET, HEAD' },
    );
    return;
  }
  const wanted = urlPath === '/' ? '/index.html' : urlPath;
  const path = resolveStaticPath(root, wanted);
  if (!path) {
    sendError(res, 404, { code: 'not_found', message: 'not found' });
    return;
  }
  let file = await regularFileInside(root, path);
  if (!file && extname(path) === '') file = await regularFileInside(root, join(root, 'index.html'));
  if (!file) {
    const missingApp = wanted === '/index.html' || extname(path) === '';
    sendError(res, 404, {
      code: 'not_found',
      message: missingApp ? 'the renderer is not built: run npm run build:renderer' : 'not found',
    });
    return;
  }
  const immutable = file.path.includes(`${sep}assets${sep}`) && extname(file.path) !== '.html';
  res.writeHead(200, {
    'Content-Type': contentTypeFor(file.path),
    'Content-Length': file.size,
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file.path);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

/** The file's real path and size when it is a regular file whose real path stays inside root. */
async function regularFileInside(
  root: string,
  path: string,
): Promise<{ path: string; size: number } | null> {
  try {
    const [realRoot, real] = await Promise.all([realpath(root), realpath(path)]);
    if (real !== realRoot && !real.startsWith(realRoot + sep)) return null;
    const info = await stat(real);
    return info.isFile() ? { path: real, size: info.size } : null;
  } catch {
    return null;
  }
}
