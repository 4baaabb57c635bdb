import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isInvokeChannel, type ApiHandlers, type InvokeChannel } from '../../shared/api';
import { dispatch, isCommand } from '../core/api';
import { RwError, toApiError } from '../core/errors/rw-error';
import { redactor } from '../core/errors/redact';
import {
  createAccessToken,
  credentialMatches,
  readBearer,
  readCookie,
  sessionCookieName,
  sessionValue,
} from './access-token';
import { openEventStream, type FleetEventSource } from './event-stream';
import { BodyError, readJsonBody, sendError, sendJson, statusForError } from './http-json';
import { exposureWarning, isLoopbackHost, urlHost } from './loopback';
import { applySecurityHeaders } from './security-headers';
import { sendSignInPage } from './sign-in-page';
import { serveStatic } from './static-files';

/** What the serve host needs from the runtime. */
export interface ServeRuntime {
  engine: FleetEventSource;
  api: ApiHandlers;
}

/** Options of `startServeHost`. */
export interface ServeHostOptions {
  runtime: ServeRuntime;
  /** 0 picks a free port. */
  port: number;
  /** Address to bind; loopback by default. Anything else prints a warning. */
  host?: string;
  /** The built renderer (`dist/renderer`). */
  rendererDir: string;
  /** Access token; a random one when absent. At least 32 characters. */
  token?: string;
  /** Where warnings go (never the token). Default: stderr. */
  warn?: (message: string) => void;
  /** Largest accepted request body. Default 1 MiB. */
  maxBodyBytes?: number;
  /** SSE keep-alive comment interval. Default 15 s. */
  keepaliveMs?: number;
  /** Which channels change state and so need the Origin check; the contract decides by default. */
  isCommandChannel?: (channel: InvokeChannel) => boolean;
}

/** A running serve host. `url` is the origin with a trailing slash, without the token. */
export interface ServeHost {
  url: string;
  token: string;
  port: number;
  dispose(): Promise<void>;
}

const unauthenticated = {
  code: 'unauthenticated' as const,
  message: 'open the URL with the access token that runner-watch printed',
};

/**
 * Serves the renderer and the engine's API over HTTP + Server-Sent Events (`node:http`,
 * no framework). Every `/api/*` call needs the access token, as a Bearer header or as
 * the session cookie set when a browser opens `/?token=…`; commands also need our own
 * Origin. The token is never logged here: the caller prints the one start-up line.
 */
export async function startServeHost(options: ServeHostOptions): Promise<ServeHost> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? createAccessToken();
  if (token.length < 32)
    throw new RwError('bad_input', 'the access token must be at least 32 characters');
  redactor.register(token);
  const warn = options.warn ?? ((message: string) => process.stderr.write(`warning: ${message}\n`));
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const keepaliveMs = options.keepaliveMs ?? 15_000;
  const commandCheck = options.isCommandChannel ?? isCommand;
  const session = sessionValue(token);
  const streams = new Set<{ dispose(): void }>();
  let port = options.port;
  let cookieName = sessionCookieName(port);
  let origins = new Set<string>();

  const authenticated = (req: IncomingMessage): boolean => {
    const bearer = readBearer(req.headers.authorization);
    if (bearer !== null) return credentialMatches(bearer, token);
    const cookie = readCookie(req.headers.cookie, cookieName);
    return cookie !== null && credentialMatches(cookie, session);
  };

  /**
   * Our own origin(s): the bound address, plus loopback names when bound to loopback. On a
   * wildcard bind the server cannot know the name users type, so the Host header stands in.
   */
  const originAllowed = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin;
    if (!origin) return false;
    if (origins.has(origin)) return true;
    const wildcard = host === '0.0.0.0' || host === '::';
    return wildcard && req.headers.host !== undefined && origin === `http://${req.headers.host}`;
  };

  /**
   * DNS rebinding guard: a page on evil.example that re-points its name at 127.0.0.1 reaches
   * this port with `Host: evil.example`. On a loopback bind only our own names are answered.
   */
  const hostAllowed = (req: IncomingMessage): boolean => {
    if (!isLoopbackHost(host)) return true;
    const value = req.headers.host;
    return value !== undefined && origins.has(`http://${value.toLowerCase()}`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    applySecurityHeaders(res);
    if (!hostAllowed(req)) {
      sendError(res, 421, {
        code: 'forbidden',
        message: `this server answers only as ${[...origins].join(', ')}`,
      });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;

    if (path === '/' && url.searchParams.has('token')) {
      // Exchange the token in the address bar for a cookie, then drop it from the URL.
      if (!credentialMatches(url.searchParams.get('token') ?? '', token)) {
        // Already signed in (an old bookmark with last start's token): just drop it.
        if (authenticated(req)) {
          res.writeHead(302, { Location: '/', 'Cache-Control': 'no-store' });
          res.end();
          return;
        }
        // A person opened this link: a page that says what to do, not the API's JSON.
        sendSignInPage(res);
        return;
      }
      res.writeHead(302, {
        'Set-Cookie': `${cookieName}=${session}; HttpOnly; SameSite=Strict; Path=/`,
        Location: '/',
        'Cache-Control': 'no-store',
      });
      res.end();
      return;
    }

    if (path === '/api' || path.startsWith('/api/')) {
      if (!authenticated(req)) {
        sendError(res, 401, unauthenticated, { 'WWW-Authenticate': 'Bearer' });
        return;
      }
      if (path === '/api/events') {
        if (req.method !== 'GET') {
          sendError(
            res,
            405,
            { code: 'bad_input', message: 'use GET for /api/events' },
            { Allow: 'GET' },
          );
          return;
        }
        const stream = openEventStream(req, res, options.runtime.engine, {
          keepaliveMs,
          maxBufferedBytes: 8 * 1024 * 1024,
        });
        streams.add(stream);
        res.on('close', () => streams.delete(stream));
        return;
      }
      if (path.startsWith('/api/invoke/')) {
        await invoke(req, res, decodeChannel(path.slice('/api/invoke/'.length)));
        return;
      }
      sendError(res, 404, { code: 'not_found', message: `no API at ${path}` });
      return;
    }

    // Source maps are the program's source: only for holders of the token (devtools send
    // the session cookie), unlike the app shell, which must load before the token is traded.
    if (isSourceMapPath(path) && !authenticated(req)) {
      sendError(res, 401, unauthenticated, { 'WWW-Authenticate': 'Bearer' });
      return;
    }
    await serveStatic(req, res, options.rendererDir, path);
  };

  const invoke = async (
    req: IncomingMessage,
    res: ServerResponse,
    channel: string,
  ): Promise<void> => {
    if (req.method !== 'POST') {
      sendError(
        res,
        405,
        { code: 'bad_input', message: 'use POST for /api/invoke' },
        { Allow: 'POST' },
      );
      return;
    }
    if (isInvokeChannel(channel) && commandCheck(channel) && !originAllowed(req)) {
      req.resume();
      sendError(res, 403, {
        code: 'unauthenticated',
        message: `${channel} changes state and is accepted only from the Runner Watch page itself (Origin header missing or foreign)`,
      });
      return;
    }
    let body: unknown;
    try {
      body = await readJsonBody(req, maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyError) {
        sendError(res, error.status, { code: 'bad_input', message: error.message });
        return;
      }
      throw error;
    }
    // A command whose client disconnects is aborted (a prune then stops and frees its lock).
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort(new Error('the client went away'));
    });
    const result = await dispatch(options.runtime.api, channel, body, { signal: gone.signal });
    if (result.ok) sendJson(res, 200, result.value);
    else sendError(res, statusForError(result.error.code), result.error);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const body = toApiError(error);
      if (!res.headersSent) sendError(res, 500, { code: 'internal', message: body.message });
      else res.destroy();
    });
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;

  await new Promise<void>((resolveListen, rejectListen) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') {
        rejectListen(
          new RwError(
            'conflict',
            `port ${options.port} on ${host} is already in use; pick another with --port`,
          ),
        );
      } else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
        rejectListen(new RwError('bad_input', `cannot listen on ${host}: no such local address`));
      } else if (error.code === 'EACCES') {
        rejectListen(new RwError('bad_input', `not allowed to listen on ${host}:${options.port}`));
      } else {
        rejectListen(error);
      }
    };
    const onListening = () => {
      server.off('error', onError);
      resolveListen();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(options.port, host);
  });

  port = (server.address() as AddressInfo).port;
  cookieName = sessionCookieName(port);
  const origin = `http://${urlHost(host)}:${port}`;
  origins = new Set([origin]);
  if (isLoopbackHost(host)) {
    for (const name of ['127.0.0.1', 'localhost', '[::1]']) origins.add(`http://${name}:${port}`);
  }
  const exposure = exposureWarning(host);
  if (exposure) warn(exposure);

  let disposed: Promise<void> | null = null;
  return {
    url: `${host === '0.0.0.0' || host === '::' ? 'http://127.0.0.1' : `http://${urlHost(host)}`}:${port}/`,
    token,
    port,
    dispose: () => {
      disposed ??= new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        for (const stream of streams) stream.dispose();
        streams.clear();
        server.closeAllConnections();
      });
      return disposed;
    },
  };
}

function decodeChannel(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** True for paths that name a source map once decoded as the static server decodes them. */
function isSourceMapPath(path: string): boolean {
  return decodeChannel(path)
    .replace(/[/.\s]+$/, '')
    .toLowerCase()
    .endsWith('.map');
}
