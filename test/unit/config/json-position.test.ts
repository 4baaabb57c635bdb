import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findJsonSyntaxError } from '../../../electron/core/config/json-position';

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('findJsonSyntaxError', () => {
  it('accepts everything JSON.stringify writes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 4 }), (value, indent) => {
        expect(findJsonSyntaxError(JSON.stringify(value, null, indent))).toBeNull();
      }),
    );
  });

  it('agrees with JSON.parse on arbitrary text', () => {
    const jsonish = fc.stringMatching(/^[\s{}[\]",:0-9a-z.eE+\-\\]{0,30}$/);
    fc.assert(
      fc.property(fc.oneof(jsonish, fc.string()), (text) => {
        expect(findJsonSyntaxError(text) === null).toBe(parses(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('points at the offending character', () => {
    expect(findJsonSyntaxError('{\n  "a": 1\n  "b": 2\n}')).toEqual({
      line: 3,
      column: 3,
      reason: `expected ',' or '}', found '"'`,
    });
    expect(findJsonSyntaxError('[1, 2')).toEqual({
      line: 1,
      column: 6,
      reason: "expected ',' or ']', found end of input",
    });
    expect(findJsonSyntaxError('{"a": "x\ny"}')).toEqual({
      line: 1,
      column: 9,
      reason: 'control character in string (escape it)',
    });
    expect(findJsonSyntaxError('{} x')).toEqual({
      line: 1,
      column: 4,
      reason: "unexpected 'x' after the end of the JSON value",
    });
  });
});
