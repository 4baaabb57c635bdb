// @vitest-environment node
// Runs in Node (not happy-dom) so the transport uses the real fetch against a real HTTP
// server on loopback, as it does against the serve host in a browser.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../../shared/fleet';
import { createHttpTransport, httpError } from '../../../renderer/api/http-transport';
import {
  OPEN_WITH_TOKEN_MESSAGE,
  TransportError,
  type StreamStatus,
} from '../../../renderer/api/transport';
import { delta, machine, snapshot } from './fixtures';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server;
let base = '';
let handler: Handler = (_req, res) => res.end();
const requests: { method: string; url: string; contentType: string | undefined; body: string }[] =
  [];
const open = new Set<ServerResponse>();

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        contentType: req.headers['content-type'],
        body,
      });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  requests.length = 0;
  for (const res of open) res.destroy();
  open.clear();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const json = (status: number, value: unknown) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
};

async function rejection(promise: Promise<unknown>): Promise<TransportError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TransportError);
  return error as TransportError;
}

describe('HTTP transport: invoke', () => {
  it('POSTs the JSON request to /api/invoke/<channel> and returns the parsed response', async () => {
    const snap = snapshot([machine('runner-a')]);
    handler = json(200, snap);
    const transport = createHttpTransport({ baseUrl: base });
    const result = await transport.invoke('rw:fleet:snapshot', {});
    expect(result.machines[0]?.name).toBe('runner-a');
    expect(requests).toEqual([
      {
        method: 'POST',
        url: '/api/invoke/rw:fleet:snapshot',
        contentType: 'application/json',
        body: '{}',
      },
    ]);
  });

  it('maps 401 to unauthenticated with the "open the URL with the token" message, whatever the body', async () => {
    handler = json(401, {
      code: 'unauthenticated',
      message: 'open the URL with the access token that runner-watch printed',
    });
    const error = await rejection(createHttpTransport({ baseUrl: base }).invoke('rw:app:info', {}));
    expect(error.code).toBe('unauthenticated');
    expect(error.status).toBe(401);
    expect(error.message).toBe(OPEN_WITH_TOKEN_MESSAGE);
    expect(error.message).toMatch(/open the URL with the token that runner-watch printed/i);
  });

  it("keeps the host's {code, message} body for other errors", async () => {
    handler = json(500, { code: 'internal', message: 'engine stopped' });
    const error = await rejection(createHttpTransport({ baseUrl: base }).invoke('rw:app:info', {}));
    expect([error.code, error.message, error.status]).toEqual(['internal', 'engine stopped', 500]);
  });

  it('maps a non-JSON error page to a code from the status, with a short snippet', async () => {
    handler = (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>\n  <body>Bad Gateway</body>\n</html>');
    };
    const error = await rejection(createHttpTransport({ baseUrl: base }).invoke('rw:app:info', {}));
    expect(error.code).toBe('remote_error');
    expect(error.message).toBe('rw:app:info: HTTP 502 (<html> <body>Bad Gateway</body> </html>)');
  });

  it('rejects a 200 whose body is not JSON as bad_response', async () => {
    handler = (_req, res) => res.end('<!doctype html>');
    const error = await rejection(createHttpTransport({ baseUrl: base }).invoke('rw:app:info', {}));
    expect([error.code, error.message]).toEqual([
      'bad_response',
      'rw:app:info: the answer is not JSON',
    ]);
  });

  it('rejects a 200 that breaks the schema, naming the field', async () => {
    handler = json(200, { ...snapshot([]), version: -1 });
    const error = await rejection(
      createHttpTransport({ baseUrl: base }).invoke('rw:fleet:snapshot', {}),
    );
    expect(error.code).toBe('bad_response');
    expect(error.message).toMatch(/^rw:fleet:snapshot: .* at version$/);
  });

  it('maps a refused connection to unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await rejection(
      createHttpTransport({ baseUrl: `http://127.0.0.1:${port}` }).invoke('rw:app:info', {}),
    );
    expect(error.code).toBe('unreachable');
    expect(error.message).toMatch(
      /^rw:app:info: no answer from the Runner Watch host \(.+\); is it still running\?$/,
    );
  });

  it.each([
    [400, 'bad_input'],
    [403, 'forbidden'],
    [404, 'not_found'],
    [409, 'conflict'],
    [429, 'rate_limited'],
    [503, 'remote_error'],
    [504, 'timeout'],
    [418, 'bad_response'],
  ] as const)('maps a bare HTTP %i to %s', (status, code) => {
    expect(httpError('rw:app:info', status, '').code).toBe(code);
    expect(httpError('rw:app:info', status, '').message).toBe(`rw:app:info: HTTP ${status}`);
  });

  it('does not trust an error body with an unknown code', () => {
    const error = httpError('rw:app:info', 500, JSON.stringify({ code: 'gremlins', message: 'x' }));
    expect(error.code).toBe('remote_error');
  });
});

describe('HTTP transport: event stream', () => {
  /** Collects events and statuses until `until` holds. */
  function collect(transport: ReturnType<typeof createHttpTransport>) {
    const events: FleetEvent[] = [];
    const statuses: StreamStatus[] = [];
    const dropped: TransportError[] = [];
    let wake: () => void = () => {};
    const unsubscribe = transport.subscribe({
      onEvent: (e) => {
        events.push(e);
        wake();
      },
      onStatus: (s) => {
        statuses.push(s);
        wake();
      },
      onDropped: (e) => {
        dropped.push(e);
        wake();
      },
    });
    const until = async (check: () => boolean) => {
      while (!check()) await new Promise<void>((resolve) => (wake = resolve));
    };
    return { events, statuses, dropped, unsubscribe, until };
  }

  const sseHead = (res: ServerResponse) => {
    open.add(res);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
  };

  it('parses events split across chunks, skips keepalives and other event names', async () => {
    const snap = snapshot([machine('runner-a')]);
    const second = delta(2, { upserted: [machine('runner-b')] });
    handler = (req, res) => {
      expect(req.headers.accept).toBe('text/event-stream');
      sseHead(res);
      const text =
        `retry: 2000\n\n: keepalive\n\nevent: other\ndata: {}\n\n` +
        `event: rw:fleet:event\ndata: ${JSON.stringify({ type: 'snapshot', snapshot: snap })}\n\n` +
        `event: rw:fleet:event\r\ndata: ${JSON.stringify(second)}\r\n\r\n`;
      // Worst case for the parser: one byte at a time would be slow; 7-byte pieces split
      // field names, the CRLF pairs and the JSON.
      for (let i = 0; i < text.length; i += 7) res.write(text.slice(i, i + 7));
    };
    const stream = collect(createHttpTransport({ baseUrl: base }));
    try {
      await stream.until(() => stream.events.length >= 2);
      expect(stream.events.map((e) => e.type)).toEqual(['snapshot', 'delta']);
      expect(stream.statuses.map((s) => s.state)).toEqual(['connecting', 'live']);
      expect(stream.dropped).toEqual([]);
      expect(requests[0]).toMatchObject({ method: 'GET', url: '/api/events' });
    } finally {
      stream.unsubscribe();
    }
  });

  it('reports a 401 on the stream as unauthenticated, and retries', async () => {
    handler = json(401, { code: 'unauthenticated', message: 'no token' });
    const stream = collect(createHttpTransport({ baseUrl: base, retryDelayMs: () => 10 }));
    try {
      await stream.until(() => requests.length >= 2);
      const down = stream.statuses.find((s) => s.state === 'down');
      expect(down?.state === 'down' && [down.error.code, down.error.message]).toEqual([
        'unauthenticated',
        OPEN_WITH_TOKEN_MESSAGE,
      ]);
    } finally {
      stream.unsubscribe();
    }
  });

  it('drops an event that breaks the schema and keeps reading', async () => {
    handler = (_req, res) => {
      sseHead(res);
      res.write(`event: rw:fleet:event\ndata: {"type":"delta","version":"two"}\n\n`);
      res.write(`event: rw:fleet:event\ndata: not json\n\n`);
      res.write(`event: rw:fleet:event\ndata: ${JSON.stringify(delta(3))}\n\n`);
    };
    const stream = collect(createHttpTransport({ baseUrl: base }));
    try {
      await stream.until(() => stream.events.length >= 1);
      expect(stream.dropped.map((e) => [e.code, e.message])).toEqual([
        ['bad_response', expect.stringMatching(/^rw:fleet:event: .*/)],
        ['bad_response', 'rw:fleet:event: not JSON'],
      ]);
      expect(stream.events).toEqual([delta(3)]);
    } finally {
      stream.unsubscribe();
    }
  });

  it('reconnects when the host closes the stream and gets a fresh snapshot', async () => {
    let connections = 0;
    handler = (_req, res) => {
      connections += 1;
      sseHead(res);
      res.end(
        `event: rw:fleet:event\ndata: ${JSON.stringify({ type: 'snapshot', snapshot: snapshot([], { version: connections }) })}\n\n`,
      );
    };
    const stream = collect(createHttpTransport({ baseUrl: base, retryDelayMs: () => 10 }));
    try {
      await stream.until(() => stream.events.length >= 2);
      expect(
        stream.events.map((e) => e.type === 'snapshot' && e.snapshot.version).slice(0, 2),
      ).toEqual([1, 2]);
      const down = stream.statuses.find((s) => s.state === 'down');
      expect(down?.state === 'down' && down.error.message).toBe(
        'event stream: the host closed the connection',
      );
    } finally {
      stream.unsubscribe();
    }
  });

  it('closes the connection on unsubscribe and reports nothing after', async () => {
    let closed: Promise<void> = Promise.resolve();
    handler = (req, res) => {
      sseHead(res);
      res.write(': hello\n\n');
      closed = new Promise((resolve) => req.on('close', () => resolve()));
    };
    const stream = collect(createHttpTransport({ baseUrl: base, retryDelayMs: () => 10 }));
    await stream.until(() => stream.statuses.some((s) => s.state === 'live'));
    const count = stream.statuses.length;
    stream.unsubscribe();
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stream.statuses.length).toBe(count);
    expect(requests.filter((r) => r.url === '/api/events')).toHaveLength(1);
  });
});
