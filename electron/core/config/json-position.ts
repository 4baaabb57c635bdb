/** Where and why a JSON text is invalid. */
export interface JsonSyntaxProblem {
  line: number;
  column: number;
  reason: string;
}

/**
 * Finds the first syntax error in a JSON text. V8's own messages differ between versions,
 * some carry no position and some quote the surrounding text (which may hold a value we
 * must not echo), so we scan once more ourselves. Returns null when the text is valid.
 */
export function findJsonSyntaxError(text: string): JsonSyntaxProblem | null {
  let pos = 0;
  const fail = (reason: string, at = pos): never => {
    throw new ScanError(reason, at);
  };
  const describe = (at: number): string => {
    const ch = text[at];
    if (ch === undefined) return 'end of input';
    if (ch === '\n') return 'line break';
    return /[\x20-\x7e]/.test(ch)
      ? `'${ch}'`
      : `character U+${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`;
  };
  const skipWs = () => {
    while (pos < text.length && ' \t\n\r'.includes(text[pos]!)) pos += 1;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, pos)) pos += word.length;
    else fail(`unexpected ${describe(pos)}`);
  };
  const string = () => {
    pos += 1; // opening quote
    for (;;) {
      const ch = text[pos];
      if (ch === undefined) fail('unterminated string');
      if (ch === '"') {
        pos += 1;
        return;
      }
      if (ch! < ' ') fail('control character in string (escape it)');
      if (ch === '\\') {
        const next = text[pos + 1];
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6)))
            fail('bad \\u escape in string');
          pos += 6;
          continue;
        }
        if (next === undefined || !'"\\/bfnrt'.includes(next))
          fail('bad escape in string', pos + 1);
        pos += 2;
        continue;
      }
      pos += 1;
    }
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(pos));
    if (!match) fail(`unexpected ${describe(pos)}`);
    pos += match![0].length;
  };
  const value = (depth: number): void => {
    if (depth > 512) fail('nesting too deep');
    skipWs();
    const ch = text[pos];
    if (ch === '{') {
      pos += 1;
      skipWs();
      if (text[pos] === '}') {
        pos += 1;
        return;
      }
      for (;;) {
        skipWs();
        if (text[pos] !== '"')
          fail(`expected a double-quoted property name, found ${describe(pos)}`);
        string();
        skipWs();
        if (text[pos] !== ':') fail(`expected ':' after property name, found ${describe(pos)}`);
        pos += 1;
        value(depth + 1);
        skipWs();
        if (text[pos] === ',') {
          pos += 1;
          continue;
        }
        if (text[pos] === '}') {
          pos += 1;
          return;
        }
        fail(`expected ',' or '}', found ${describe(pos)}`);
      }
    }
    if (ch === '[') {
      pos += 1;
      skipWs();
      if (text[pos] === ']') {
        pos += 1;
        return;
      }
      for (;;) {
        value(depth + 1);
        skipWs();
        if (text[pos] === ',') {
          pos += 1;
          continue;
        }
        if (text[pos] === ']') {
          pos += 1;
          return;
        }
        fail(`expected ',' or ']', found ${describe(pos)}`);
      }
    }
    if (ch === '"') return string();
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return number();
    fail(ch === undefined ? 'unexpected end of input' : `unexpected ${describe(pos)}`);
  };
  try {
    value(0);
    skipWs();
    if (pos < text.length) fail(`unexpected ${describe(pos)} after the end of the JSON value`);
    return null;
  } catch (error) {
    if (!(error instanceof ScanError)) throw error;
    return { ...lineColumn(text, error.at), reason: error.reason };
  }
}

class ScanError extends Error {
  constructor(
    readonly reason: string,
    readonly at: number,
  ) {
    super(reason);
  }
}

function lineColumn(text: string, at: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < at && i < text.length; i += 1) {
    if (text[i] === '\n') {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: at - lineStart + 1 };
}
