import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// One config, one project per environment (STYLE.md §12): Node for the engine, the contract,
// the hosts and the simulators; happy-dom for renderer units. Playwright e2e runs separately.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
          exclude: ['test/unit/renderer/**'],
          // Integration tests start real servers (sshd, HTTP simulators) on loopback.
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        plugins: [react()],
        test: {
          name: 'renderer',
          environment: 'happy-dom',
          include: ['test/unit/renderer/**/*.test.{ts,tsx}'],
        },
      },
    ],
  },
});
