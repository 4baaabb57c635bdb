import type { InvokeChannel, RequestInputOf, ResponseOf } from '../../../shared/api';
import type { FleetEvent } from '../../../shared/fleet';
import type { EventHandlers, StreamStatus, Transport } from '../../../renderer/api/transport';

type Answer = () => Promise<unknown>;

/**
 * A Transport whose answers and pushes the test controls. It does not parse (the real
 * transports do, and have their own tests); it only records calls.
 */
export class FakeTransport implements Transport {
  readonly kind = 'http' as const;
  readonly calls: InvokeChannel[] = [];
  /** Every call with its request, in order. */
  readonly invocations: { channel: InvokeChannel; request: unknown }[] = [];
  private readonly subscribers = new Set<EventHandlers>();
  private readonly answers = new Map<InvokeChannel, Answer>();

  answer(channel: InvokeChannel, answer: Answer): this {
    this.answers.set(channel, answer);
    return this;
  }

  invoke<C extends InvokeChannel>(channel: C, request: RequestInputOf<C>): Promise<ResponseOf<C>> {
    this.calls.push(channel);
    this.invocations.push({ channel, request });
    const answer = this.answers.get(channel) ?? (() => new Promise<never>(() => {}));
    return answer() as Promise<ResponseOf<C>>;
  }

  subscribe(handlers: EventHandlers): () => void {
    this.subscribers.add(handlers);
    return () => this.subscribers.delete(handlers);
  }

  emit(event: FleetEvent): void {
    for (const subscriber of this.subscribers) subscriber.onEvent(event);
  }

  status(status: StreamStatus): void {
    for (const subscriber of this.subscribers) subscriber.onStatus?.(status);
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  count(channel: InvokeChannel): number {
    return this.calls.filter((c) => c === channel).length;
  }
}
