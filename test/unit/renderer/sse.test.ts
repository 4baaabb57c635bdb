import { describe, expect, it } from 'vitest';
import { SseParser } from '../../../renderer/api/sse';

describe('SseParser', () => {
  it('joins multi-line data, defaults the event name, ignores comments, id and retry', () => {
    const parser = new SseParser();
    expect(parser.push(': hi\nid: 4\nretry: 10\ndata: a\ndata:b\n\nevent: x\ndata\n\n')).toEqual([
      { event: 'message', data: 'a\nb' },
      { event: 'x', data: '' },
    ]);
  });

  it('gives the same events whatever the chunking, including a CRLF split in two', () => {
    const text = 'event: rw:fleet:event\r\ndata: {"a":1}\r\n\r\nevent: rw:fleet:event\rdata: 2\r\r';
    const whole = new SseParser().push(text);
    expect(whole).toEqual([
      { event: 'rw:fleet:event', data: '{"a":1}' },
      { event: 'rw:fleet:event', data: '2' },
    ]);
    for (let size = 1; size < 8; size++) {
      const parser = new SseParser();
      const out = [];
      for (let i = 0; i < text.length; i += size) {
        out.push(...parser.push(text.slice(i, i + size)));
        out.push(...parser.push('')); // the decoder may hand over empty pieces
      }
      expect(out).toEqual(whole);
    }
  });

  it('does not emit an event whose blank line has not arrived, nor one with only an event name', () => {
    const parser = new SseParser();
    expect(parser.push('event: a\n\ndata: x\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ event: 'message', data: 'x' }]);
  });

  it('joins a long data line that arrives in many chunks, with events before and after it', () => {
    const big = JSON.stringify({
      machines: Array.from({ length: 2000 }, (_, i) => ({ key: `m${i}` })),
    });
    const text = `event: a\ndata: 1\n\nevent: rw:fleet:event\ndata: ${big}\n\nevent: b\ndata: 2\n\n`;
    const parser = new SseParser();
    const out = [];
    for (let i = 0; i < text.length; i += 997) out.push(...parser.push(text.slice(i, i + 997)));
    expect(out).toEqual([
      { event: 'a', data: '1' },
      { event: 'rw:fleet:event', data: big },
      { event: 'b', data: '2' },
    ]);
  });
});
