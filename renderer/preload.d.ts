import type { RunnerWatchBridge } from './api/bridge';

// Only renderer/tsconfig.json includes this file (STYLE.md §4): the global exists in the
// Electron renderer only, and only renderer/api/select-transport.ts reads it.
declare global {
  interface Window {
    runnerWatch?: RunnerWatchBridge;
  }
}
