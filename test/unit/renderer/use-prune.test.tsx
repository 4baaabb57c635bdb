import { QueryClientProvider } from '@tanstack/react-query';
import { act, renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, it } from 'vitest';
import type { InvokeChannel, RequestInputOf, ResponseOf } from '../../../shared/api';
import { PRUNE_LIMITS, type PruneReport, type PruneRequestInput } from '../../../shared/runner';
import { createQueryClient } from '../../../renderer/api/query-client';
import { TransportProvider } from '../../../renderer/api/TransportProvider';
import { usePrune } from '../../../renderer/api/useRunners';
import { FakeTransport } from './fake-transport';

/** Records each prune request and answers it with one outcome per key. */
class PruneTransport extends FakeTransport {
  readonly requests: PruneRequestInput[] = [];

  override invoke<C extends InvokeChannel>(
    channel: C,
    request: RequestInputOf<C>,
  ): Promise<ResponseOf<C>> {
    if (channel !== 'rw:runners:prune') return super.invoke(channel, request);
    const prune = request as PruneRequestInput;
    this.requests.push(prune);
    const report: PruneReport = {
      action: 'delete',
      dryRun: true,
      batches: 1,
      results: prune.keys.map((key) => ({
        key,
        instance: 'gl',
        id: Number(key.split('/')[1]),
        description: null,
        result: 'would-delete',
        reason: 'stale',
      })),
    };
    return Promise.resolve(report as ResponseOf<C>);
  }
}

describe('usePrune', () => {
  it(`sends at most ${PRUNE_LIMITS.maxKeys} keys per request and joins the reports`, async () => {
    const transport = new PruneTransport();
    const wrapper = ({ children }: { children: ReactNode }) => (
      <QueryClientProvider client={createQueryClient()}>
        <TransportProvider transport={transport}>{children}</TransportProvider>
      </QueryClientProvider>
    );
    const { result } = renderHook(() => usePrune(), { wrapper });
    const keys = Array.from({ length: 2_500 }, (_, i) => `gl/${i + 1}`);
    act(() => result.current.mutate({ keys, dryRun: true }));
    await waitFor(() => expect(result.current.isSuccess).toBe(true));
    expect(transport.requests.map((r) => r.keys.length)).toEqual([1000, 1000, 500]);
    expect(result.current.data?.results.map((r) => r.key)).toEqual(keys);
    expect(result.current.data?.batches).toBe(3);
  });
});
