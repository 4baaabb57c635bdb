import { QueryClientProvider } from '@tanstack/react-query';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createQueryClient } from '../../../renderer/api/query-client';
import { TransportProvider } from '../../../renderer/api/TransportProvider';
import { InsightsPanel } from '../../../renderer/components/InsightsPanel';
import {
  INSIGHTS_FOLD_KEY,
  insightsOpen,
  readFoldChoice,
  writeFoldChoice,
  type FoldStorage,
} from '../../../renderer/insights-fold';
import { FakeTransport } from './fake-transport';

/** A storage in memory, with the failures a real one can have switched on per test. */
function memoryStorage(fail: { get?: boolean; set?: boolean } = {}) {
  const items = new Map<string, string>();
  const storage: FoldStorage = {
    getItem: (key) => {
      if (fail.get) throw new DOMException('denied', 'SecurityError');
      return items.get(key) ?? null;
    },
    setItem: (key, value) => {
      if (fail.set) throw new DOMException('full', 'QuotaExceededError');
      items.set(key, value);
    },
  };
  return { storage, items };
}

describe('the insights strip fold choice', () => {
  it('is open on a tall window and folded on a short one until the person chooses', () => {
    expect(insightsOpen(null, true)).toBe(true);
    expect(insightsOpen(null, false)).toBe(false);
    expect(insightsOpen(true, false)).toBe(true);
    expect(insightsOpen(false, true)).toBe(false);
  });

  it('reads back what was written, either way', () => {
    const { storage } = memoryStorage();
    expect(readFoldChoice(storage)).toBeNull();
    writeFoldChoice(storage, true);
    expect(readFoldChoice(storage)).toBe(true);
    writeFoldChoice(storage, false);
    expect(readFoldChoice(storage)).toBe(false);
  });

  it('takes an unknown stored value (older build, hand edit) as no choice', () => {
    const { storage, items } = memoryStorage();
    for (const bad of ['true', 'OPEN', '', '{"open":true}']) {
      items.set(INSIGHTS_FOLD_KEY, bad);
      expect(readFoldChoice(storage), bad).toBeNull();
    }
  });

  it('works without storage: a refused read is no choice, a refused write is not an error', () => {
    expect(readFoldChoice(undefined)).toBeNull();
    expect(readFoldChoice(memoryStorage({ get: true }).storage)).toBeNull();
    expect(() => writeFoldChoice(memoryStorage({ set: true }).storage, true)).not.toThrow();
    expect(() => writeFoldChoice(undefined, true)).not.toThrow();
  });
});

describe('InsightsPanel folding', () => {
  let tall = true;
  beforeEach(() => {
    localStorage.clear();
    vi.stubGlobal('matchMedia', (query: string) => ({
      matches: tall,
      media: query,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
    }));
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
    localStorage.clear();
  });

  function show() {
    return render(
      <QueryClientProvider client={createQueryClient()}>
        <TransportProvider transport={new FakeTransport()}>
          <InsightsPanel />
        </TransportProvider>
      </QueryClientProvider>,
    );
  }

  it('starts folded on a short window, and a tab opens it and keeps that for the next start', () => {
    tall = false;
    show();
    expect(screen.getByTestId('insight-fold').getAttribute('aria-expanded')).toBe('false');
    expect(screen.queryByRole('tabpanel')).toBeNull();
    fireEvent.click(screen.getByTestId('insight-tab-cost'));
    expect(screen.getByRole('tabpanel').id).toBe('insight-cost');
    expect(localStorage.getItem(INSIGHTS_FOLD_KEY)).toBe('open');
    cleanup();
    show();
    expect(screen.getByTestId('insight-fold').getAttribute('aria-expanded')).toBe('true');
  });

  it('starts open on a tall window, and a fold is kept for the next start', () => {
    tall = true;
    show();
    expect(screen.getByTestId('insight-fold').getAttribute('aria-expanded')).toBe('true');
    fireEvent.click(screen.getByTestId('insight-fold'));
    expect(screen.queryByRole('tabpanel')).toBeNull();
    expect(localStorage.getItem(INSIGHTS_FOLD_KEY)).toBe('closed');
    cleanup();
    show();
    expect(screen.getByTestId('insight-fold').getAttribute('aria-expanded')).toBe('false');
  });
});
