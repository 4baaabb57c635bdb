import { defineConfig } from 'playwright/test';

const root = `${import.meta.dirname}/../..`;

// Debian's Chromium, never a downloaded one (docs/development.md); the flags keep it off
// the network and quiet on a machine with only loopback and no GPU.
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export default defineConfig({
  testDir: import.meta.dirname,
  testMatch: '**/*.spec.ts',
  outputDir: `${root}/test-results/e2e`,
  // The specs start one demo process per file and the machine has 2 shared cores.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 90_000,
  // Generous: the machine is shared by several developers' test runs.
  expect: { timeout: 30_000 },
  reporter: [['list'], ['json', { outputFile: `${root}/test-results/e2e.json` }]],
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: { executablePath: '/usr/bin/chromium', args: chromiumArgs },
    viewport: { width: 1400, height: 800 },
    screenshot: 'only-on-failure',
    // No traces: they record every request, and the first one carries the demo's access
    // token in its URL. Failure screenshots show the page only.
    trace: 'off',
  },
});
