import type { ApiHandlers, AppInfo } from '../../shared/api';
import type { SecretRef, Settings } from '../../shared/settings';
import { createApiHandlers } from './api';
import { Engine } from './engine';
import { DisposableStore, type Disposable } from './lifecycle';
import { createGitLabSources } from './sources/gitlab/create-gitlab-sources';
import { createHcloudSource } from './sources/hcloud/source';
import type { Source } from './sources/source';
import { createProbeSource } from './sources/ssh/probe-source';

/** Resolves secret references; implemented per host (env/file for CLI and serve). */
export interface SecretResolver {
  resolve(ref: SecretRef): Promise<string>;
}

/** What a host passes to build the engine and its API. */
export interface RuntimeOptions {
  settings: Settings;
  secrets: SecretResolver;
  host: 'serve' | 'electron' | 'cli';
  demo: boolean;
  version: string;
  /** Warnings the host wants shown (e.g. secrets stored as plain text). */
  warnings?: string[];
  now?: () => number;
}

/** The engine with its API, as every host uses it. */
export interface Runtime extends Disposable {
  engine: Engine;
  api: ApiHandlers;
  settings: Settings;
  dispose(): Promise<void>;
}

/**
 * Builds one collector per configured source: a Hetzner source per project, a GitLab
 * source per instance, and one SSH probe source for every fleet's machines and the
 * dedicated hosts (it probes whatever the inventory sources found).
 */
export function createSources(settings: Settings, secrets: SecretResolver): Source[] {
  const sources: Source[] = [
    ...settings.hetzner.map((project) => createHcloudSource({ settings: project, secrets })),
    ...createGitLabSources(settings, secrets),
  ];
  if (settings.fleets.length > 0) sources.push(createProbeSource({ settings, secrets }));
  return sources;
}

/**
 * Builds the engine and its API from settings. The caller starts polling with
 * `runtime.engine.start()` (serve, Electron) or runs one cycle (`scan`).
 */
export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const disposables = new DisposableStore();
  const sources = createSources(options.settings, options.secrets);
  const engine = disposables.add(new Engine({ sources, ...(options.now ? { now: options.now } : {}) }));
  const info: AppInfo = {
    name: 'Runner Watch',
    version: options.version,
    host: options.host === 'electron' ? 'electron' : 'serve',
    demo: options.demo,
    startedAt: (options.now ?? Date.now)(),
    warnings: options.warnings ?? [],
  };
  const api = createApiHandlers({ engine, info });
  return { engine, api, settings: options.settings, dispose: () => disposables.dispose() };
}
