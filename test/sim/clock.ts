/*
 * The scenario clock. Tests drive a ManualClock with tick(ms) so every run is the same;
 * the demo uses a RealtimeClock that runs faster than the wall clock by a speed factor.
 * Simulators read time only from a clock, never from Date.now(), so both work.
 */

/** Called after the clock moved: the new time and how far it moved, in milliseconds. */
export type TickListener = (nowMs: number, deltaMs: number) => void;

/** A source of scenario time in milliseconds since the Unix epoch. */
export interface SimClock {
  now(): number;
  /** Registers a listener for clock movements; returns a function that removes it. */
  onTick(listener: TickListener): () => void;
  dispose(): void;
}

abstract class ListenerClock {
  private readonly listeners = new Set<TickListener>();

  onTick(listener: TickListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected emit(nowMs: number, deltaMs: number): void {
    for (const listener of [...this.listeners]) listener(nowMs, deltaMs);
  }

  protected clear(): void {
    this.listeners.clear();
  }
}

/** 2026-01-01T00:00:00Z: a fixed start so manual scenarios print the same names every run. */
export const DEFAULT_START_MS = Date.UTC(2026, 0, 1);

/** A clock that only moves when told to: deterministic tests. */
export class ManualClock extends ListenerClock implements SimClock {
  private current: number;

  constructor(startMs: number = DEFAULT_START_MS) {
    super();
    if (!Number.isFinite(startMs) || startMs < 0)
      throw new RangeError(`clock start must be a non-negative time in ms, got ${startMs}`);
    this.current = Math.floor(startMs);
  }

  now(): number {
    return this.current;
  }

  /** Moves the clock forward by `ms` and tells the listeners, synchronously. */
  tick(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(`tick needs a non-negative number of ms, got ${ms}`);
    this.current += Math.floor(ms);
    this.emit(this.current, Math.floor(ms));
  }

  dispose(): void {
    this.clear();
  }
}

/** Options of a clock that follows the wall clock, `speed` times faster. */
export interface RealtimeClockOptions {
  /** Scenario time at start; default: the wall clock now. */
  startMs?: number;
  /** Scenario milliseconds per wall-clock millisecond; default 1. */
  speed?: number;
  /** How often listeners hear about it, in wall-clock ms; default 1000. */
  intervalMs?: number;
}

/** A clock for the demo: scenario time runs `speed` times faster than the wall clock. */
export class RealtimeClock extends ListenerClock implements SimClock {
  private readonly startMs: number;
  private readonly wallStart = Date.now();
  private readonly speed: number;
  private last: number;
  private readonly timer: NodeJS.Timeout;

  constructor(options: RealtimeClockOptions = {}) {
    super();
    const speed = options.speed ?? 1;
    const interval = options.intervalMs ?? 1000;
    if (!(speed > 0) || !Number.isFinite(speed))
      throw new RangeError(`clock speed must be a positive number, got ${speed}`);
    if (!(interval >= 10))
      throw new RangeError(`clock interval must be at least 10 ms, got ${interval}`);
    this.speed = speed;
    this.startMs = options.startMs ?? this.wallStart;
    this.last = this.startMs;
    this.timer = setInterval(() => {
      const now = this.now();
      const delta = now - this.last;
      this.last = now;
      this.emit(now, delta);
    }, interval);
    // the demo process ends when its servers close, not when a clock stops
    this.timer.unref();
  }

  now(): number {
    return this.startMs + Math.floor((Date.now() - this.wallStart) * this.speed);
  }

  dispose(): void {
    clearInterval(this.timer);
    this.clear();
  }
}
