import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FleetEvent } from '../../shared/fleet';
import type { Disposable } from '../core/lifecycle';

/** What the event stream needs from the engine. */
export interface FleetEventSource {
  onEvent(listener: (event: FleetEvent) => void): Disposable;
}

/** Options of one Server-Sent Events stream. */
export interface EventStreamOptions {
  /** Interval of `: keepalive` comments, which keep proxies and idle timers from closing it. */
  keepaliveMs: number;
  /** A client this far behind is cut off; it reconnects and starts from a fresh snapshot. */
  maxBufferedBytes: number;
}

/**
 * Streams fleet events as `event: rw:fleet:event` + `data: <FleetEvent JSON>`: first the
 * snapshot (the engine sends it on subscribe), then deltas. Returns a disposable that ends
 * the stream; the listener and timer go when the client goes, too.
 */
export function openEventStream(
  req: IncomingMessage,
  res: ServerResponse,
  events: FleetEventSource,
  options: EventStreamOptions,
): Disposable {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    // Reverse proxies (nginx) would otherwise buffer the stream.
    'X-Accel-Buffering': 'no',
  });
  res.socket?.setNoDelay(true);
  // Tell EventSource how soon to reconnect after the host restarts.
  res.write('retry: 2000\n\n');

  let closed = false;
  const send = (event: FleetEvent) => {
    if (closed) return;
    if (res.writableLength > options.maxBufferedBytes) {
      close();
      res.destroy();
      return;
    }
    // JSON.stringify never emits a raw line break, so one data line carries the event.
    res.write(`event: rw:fleet:event\ndata: ${JSON.stringify(event)}\n\n`);
  };
  const keepalive = setInterval(() => {
    if (!closed) res.write(': keepalive\n\n');
  }, options.keepaliveMs);
  keepalive.unref();
  const subscription = events.onEvent(send);

  function close(): void {
    if (closed) return;
    closed = true;
    clearInterval(keepalive);
    void subscription.dispose();
  }
  req.on('close', close);
  res.on('close', close);
  return {
    dispose: () => {
      close();
      if (!res.writableEnded) res.end();
    },
  };
}
