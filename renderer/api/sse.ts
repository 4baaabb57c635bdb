/** One Server-Sent Event: its `event:` name (default `message`) and its joined `data:` lines. */
export interface SseMessage {
  event: string;
  data: string;
}

/**
 * Incremental parser for the `text/event-stream` format (WHATWG HTML §9.2): feed it text
 * chunks as they arrive, in any split, and it returns the complete events. Comment lines
 * (`:` heartbeats), `id:` and `retry:` are accepted and ignored.
 */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  /** The last chunk ended in \r: a \n starting the next one belongs to that line end. */
  private skipLf = false;

  push(chunk: string): SseMessage[] {
    if (chunk === '') return [];
    if (this.skipLf && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.skipLf = false;
    this.buffer += chunk;
    const out: SseMessage[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A \r that ends the buffer ends its line now (no waiting for more data); a \n that
      // may follow in the next chunk is the second half of the same line end.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) this.skipLf = true;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const message = this.line(line);
      if (message) out.push(message);
    }
    return out;
  }

  private line(line: string): SseMessage | null {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = '';
        return null;
      }
      const message = { event: this.event || 'message', data: this.data.join('\n') };
      this.event = '';
      this.data = [];
      return message;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    return null;
  }
}
