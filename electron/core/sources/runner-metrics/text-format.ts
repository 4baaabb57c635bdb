/** One sample of the Prometheus text exposition format. */
export interface TextSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** Thrown for a line that is not valid exposition format; says which line. */
export class TextFormatError extends Error {
  override readonly name = 'TextFormatError';
}

/**
 * Parses Prometheus' text exposition format (0.0.4), as GitLab Runner's metrics endpoint
 * serves it: `# HELP`/`# TYPE` and other comments skipped, `name{label="value",…} value
 * [timestamp]`, label values with `\\`, `\"` and `\n` escapes, values including `NaN`,
 * `+Inf`, `-Inf`. A malformed line throws with its number; nothing is guessed.
 */
export function parseTextFormat(text: string): TextSample[] {
  const samples: TextSample[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    const fail = (why: string): never => {
      throw new TextFormatError(`line ${index + 1}: ${why}: ${JSON.stringify(line.slice(0, 80))}`);
    };
    const name = NAME.exec(line)?.[0];
    if (!name) fail('no metric name');
    let rest = line.slice(name!.length);
    const labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      rest = rest.slice(1);
      for (;;) {
        rest = rest.trimStart();
        if (rest.startsWith('}')) {
          rest = rest.slice(1);
          break;
        }
        const label = LABEL_NAME.exec(rest)?.[0];
        if (!label) fail('bad label name');
        rest = rest.slice(label!.length).trimStart();
        if (!rest.startsWith('="')) fail(`label ${label} has no ="value"`);
        rest = rest.slice(2);
        let value = '';
        let closed = false;
        for (let i = 0; i < rest.length; i += 1) {
          const c = rest[i];
          if (c === '\\') {
            const next = rest[i + 1];
            value += next === 'n' ? '\n' : (next ?? '');
            i += 1;
          } else if (c === '"') {
            rest = rest.slice(i + 1);
            closed = true;
            break;
          } else value += c;
        }
        if (!closed) fail(`label ${label} value is not closed`);
        labels[label!] = value;
        rest = rest.trimStart();
        if (rest.startsWith(',')) rest = rest.slice(1);
        else if (!rest.startsWith('}')) fail('expected "," or "}" after a label');
      }
    }
    const parts = rest.trim().split(/\s+/);
    const valueText = parts[0];
    if (!valueText || parts.length > 2) fail('expected a value and at most a timestamp');
    const value = parseValue(valueText!);
    if (value === null) fail(`bad value ${valueText}`);
    samples.push({ name: name!, labels, value: value! });
  });
  return samples;
}

function parseValue(text: string): number | null {
  if (text === 'NaN') return NaN;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  const n = Number(text);
  return text.trim() !== '' && !Number.isNaN(n) ? n : null;
}
