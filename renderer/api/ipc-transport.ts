import {
  eventChannels,
  invokeChannels,
  type InvokeChannel,
  type ResponseOf,
} from '../../shared/api';
import type { OpenTarget } from '../../shared/ui';
import type { RunnerWatchBridge } from './bridge';
import {
  describeIssue,
  parseApiError,
  TransportError,
  type EventHandlers,
  type Transport,
} from './transport';

/**
 * Transport over the Electron preload bridge. The main process may answer with the value
 * itself or with the dispatch envelope `{ok, value | error}` (electron/core/api.ts); a
 * rejected invoke may carry an ApiError. Everything is parsed before it is returned.
 */
export function createIpcTransport(bridge: RunnerWatchBridge): Transport {
  const onOpen = bridge.onOpen?.bind(bridge);
  return {
    kind: 'ipc',
    ...(onOpen
      ? {
          onOpenRequest: (listener: (target: OpenTarget) => void) =>
            onOpen((raw) => {
              // A request that fails its schema is ignored: it can only ask to show something.
              const parsed = eventChannels['rw:ui:open'].safeParse(raw);
              if (parsed.success) listener(parsed.data);
            }),
        }
      : {}),
    async invoke(channel, request) {
      let raw: unknown;
      try {
        raw = await bridge.invoke(channel, request);
      } catch (error) {
        throw fromRejection(channel, error);
      }
      return parseResponse(channel, unwrapEnvelope(channel, raw));
    },
    subscribe(handlers: EventHandlers) {
      handlers.onStatus?.({ state: 'live' });
      return bridge.onEvent((raw) => {
        const parsed = eventChannels['rw:fleet:event'].safeParse(raw);
        if (parsed.success) {
          handlers.onEvent(parsed.data);
          return;
        }
        // A bad event is dropped; the next delta then shows a version gap and the snapshot
        // is fetched again, so the view heals without trusting the bad payload.
        handlers.onDropped?.(
          new TransportError('bad_response', `rw:fleet:event: ${describeIssue(parsed.error)}`),
        );
      });
    },
  };
}

function unwrapEnvelope(channel: InvokeChannel, raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || !('ok' in raw)) return raw;
  const envelope = raw as { ok: unknown; value?: unknown; error?: unknown };
  if (envelope.ok === true) return envelope.value;
  const apiError = parseApiError(envelope.error);
  if (apiError) throw new TransportError(apiError.code, apiError.message);
  throw new TransportError('bad_response', `${channel}: main answered with an unreadable error`);
}

function parseResponse<C extends InvokeChannel>(channel: C, value: unknown): ResponseOf<C> {
  const parsed = invokeChannels[channel].response.safeParse(value);
  if (!parsed.success) {
    throw new TransportError('bad_response', `${channel}: ${describeIssue(parsed.error)}`);
  }
  return parsed.data as ResponseOf<C>;
}

function fromRejection(channel: InvokeChannel, error: unknown): TransportError {
  const apiError = parseApiError(error);
  if (apiError) return new TransportError(apiError.code, apiError.message);
  const message = error instanceof Error ? error.message : String(error);
  return new TransportError('internal', `${channel}: ${message}`);
}
