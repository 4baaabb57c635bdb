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
  /**
   * The start of the current line, in the pieces it arrived in: a fleet event is one data
   * line of a megabyte or more that arrives in dozens of chunks, and appending each chunk
   * to one buffer and searching it again from its start is quadratic in the line's length.
   */
  private partial: string[] = [];
  private event = '';
  private data: string[] = [];
  /** The last chunk ended in \r: a \n starting the next one belongs to that line end. */
  private skipLf = false;

  push(chunk: string): SseMessage[] {
    if (chunk === '') return [];
    if (this.skipLf && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.skipLf = false;
    const out: SseMessage[] = [];
    const lineEnd = /\r\n|\r|\n/g;
    let start = 0;
    for (;;) {
      lineEnd.lastIndex = start;
      const match = lineEnd.exec(chunk);
      if (!match) break;
      // A \r that ends the chunk ends its line now (no waiting for more data); a \n that
      // may follow in the next chunk is the second half of the same line end.
      if (match[0] === '\r' && match.index === chunk.length - 1) this.skipLf = true;
      const piece = chunk.slice(start, match.index);
      const line = this.partial.length > 0 ? this.partial.join('') + piece : piece;
      this.partial = [];
      start = match.index + match[0].length;
      const message = this.line(line);
      if (message) out.push(message);
    }
    if (start < chunk.length) this.partial.push(chunk.slice(start));
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
