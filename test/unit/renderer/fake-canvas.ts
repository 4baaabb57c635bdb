/** One recorded drawing call with the fill style in effect. */
export interface DrawCall {
  op: string;
  args: number[];
  text?: string;
  fillStyle: unknown;
  strokeStyle: unknown;
}

/**
 * A 2D context that records what is drawn (happy-dom has no canvas). Text is 7 px per
 * character, so truncation is predictable. Only the calls the timeline makes exist.
 */
export class FakeContext2D {
  fillStyle: unknown = '#000';
  strokeStyle: unknown = '#000';
  lineWidth = 1;
  font = '';
  textAlign = 'left';
  textBaseline = 'alphabetic';
  globalAlpha = 1;
  readonly calls: DrawCall[] = [];
  readonly canvas: unknown;

  constructor(canvas: unknown = {}) {
    this.canvas = canvas;
  }

  private record(op: string, args: number[], text?: string): void {
    this.calls.push({
      op,
      args,
      fillStyle: this.fillStyle,
      strokeStyle: this.strokeStyle,
      ...(text === undefined ? {} : { text }),
    });
  }

  fillRect(x: number, y: number, w: number, h: number) {
    this.record('fillRect', [x, y, w, h]);
  }
  strokeRect(x: number, y: number, w: number, h: number) {
    this.record('strokeRect', [x, y, w, h]);
  }
  fillText(text: string, x: number, y: number) {
    this.record('fillText', [x, y], text);
  }
  measureText(text: string) {
    return { width: text.length * 7 };
  }
  createPattern() {
    return { pattern: true };
  }
  setLineDash() {}
  setTransform() {}
  save() {}
  restore() {}
  beginPath() {}
  closePath() {}
  clip() {}
  rect(x: number, y: number, w: number, h: number) {
    this.record('rect', [x, y, w, h]);
  }
  moveTo(x: number, y: number) {
    this.record('moveTo', [x, y]);
  }
  lineTo(x: number, y: number) {
    this.record('lineTo', [x, y]);
  }
  arc(x: number, y: number, r: number) {
    this.record('arc', [x, y, r]);
  }
  fill() {
    this.record('fill', []);
  }
  stroke() {
    this.record('stroke', []);
  }

  texts(): string[] {
    return this.calls.filter((c) => c.op === 'fillText').map((c) => c.text ?? '');
  }
}
