/**
 * Every TanStack Query key of the renderer, from one factory, so an event handler that
 * updates the fleet and a view that reads it cannot disagree about the key.
 */
export const queryKeys = {
  all: ['rw'] as const,
  appInfo: () => [...queryKeys.all, 'app', 'info'] as const,
  fleet: () => [...queryKeys.all, 'fleet'] as const,
  fleetSnapshot: () => [...queryKeys.fleet(), 'snapshot'] as const,
};
