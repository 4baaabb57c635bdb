import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { createQueryClient } from '../../../renderer/api/query-client';
import { App } from '../../../renderer/App';
import type { InvokeChannel, RequestInputOf, ResponseOf } from '../../../shared/api';
import { Settings } from '../../../shared/settings';
import type { SettingsDocument, SettingsUpdateResult } from '../../../shared/settings-api';
import { FakeTransport } from './fake-transport';
import { NOW } from './fixtures';

class RecordingTransport extends FakeTransport {
  readonly requests: { channel: InvokeChannel; request: unknown }[] = [];
  override invoke<C extends InvokeChannel>(
    channel: C,
    request: RequestInputOf<C>,
  ): Promise<ResponseOf<C>> {
    this.requests.push({ channel, request });
    return super.invoke(channel, request);
  }
}

const settings = Settings.parse({
  fleets: [{ id: 'ci', name: 'CI VMs' }],
  hetzner: [{ id: 'prod', fleet: 'ci', token: { env: 'HCLOUD_TOKEN' } }],
  gitlab: [{ id: 'main', url: 'https://gitlab.example.com', token: { env: 'GITLAB_TOKEN' } }],
});

const document: SettingsDocument = {
  location: '/home/me/fleet.json',
  writable: true,
  secretStorage: 'file',
  secretDir: '/home/me/.local/state/runner-watch/secrets',
  settings,
  secrets: [
    { path: ['hetzner', 0, 'token'], kind: 'env', name: 'HCLOUD_TOKEN', set: true, problem: null },
    {
      path: ['gitlab', 0, 'token'],
      kind: 'env',
      name: 'GITLAB_TOKEN',
      set: false,
      problem: 'environment variable GITLAB_TOKEN is not set',
    },
  ],
  appliedAt: NOW,
};

function renderSettings(update?: () => Promise<SettingsUpdateResult>) {
  window.location.hash = '#settings';
  const transport = new RecordingTransport()
    .answer('rw:app:info', async () => ({
      name: 'Runner Watch',
      version: '0.1.0',
      host: 'serve',
      demo: false,
      startedAt: NOW,
      warnings: [],
    }))
    .answer('rw:settings:get', async () => document);
  if (update) transport.answer('rw:settings:update', update);
  render(<App transport={transport} queryClient={createQueryClient()} />);
  return transport;
}

const field = (path: string) => document_().querySelector<HTMLElement>(`[data-path="${path}"]`)!;
const document_ = () => globalThis.document;
const input = (path: string) => field(path).querySelector('input, select') as HTMLInputElement;
const saveButton = () => screen.getByTestId('settings-save') as HTMLButtonElement;

afterEach(() => {
  cleanup();
  window.location.hash = '';
});

describe('SettingsView', () => {
  it('shows secrets as write-only status, never a value, and says where typed tokens go', async () => {
    renderSettings();
    await screen.findByTestId('settings-save');
    expect(field('hetzner[0].token').textContent).toContain('token is set (env HCLOUD_TOKEN)');
    expect(field('gitlab[0].token').textContent).toContain(
      'not set: environment variable GITLAB_TOKEN is not set',
    );
    expect(
      (within(field('gitlab[0].token')).getByTestId('secret-input') as HTMLInputElement).type,
    ).toBe('password');
    expect(screen.getByTestId('secret-note').textContent).toContain(
      '0600) in /home/me/.local/state/runner-watch/secrets',
    );
    expect(saveButton().disabled).toBe(true);
  });

  it('validates as you type, with the error next to the field, and blocks saving until fixed', async () => {
    renderSettings();
    await screen.findByTestId('settings-save');
    fireEvent.change(input('fleets[0].warnPct'), { target: { value: '400' } });
    expect(field('fleets[0].warnPct').textContent).toContain('expected a number ≤ 100');
    expect(input('fleets[0].warnPct').getAttribute('aria-invalid')).toBe('true');
    fireEvent.change(input('gitlab[0].url'), { target: { value: 'gitlab' } });
    expect(field('gitlab[0].url').textContent).toContain('URL such as https://gitlab.example.com');
    expect(screen.getByTestId('settings-problems').textContent).toContain('2 problems');
    expect(saveButton().disabled).toBe(true);

    fireEvent.change(input('fleets[0].warnPct'), { target: { value: '45' } });
    fireEvent.change(input('gitlab[0].url'), { target: { value: 'https://gitlab.example.org' } });
    expect(screen.queryByTestId('settings-problems')).toBeNull();
    expect(saveButton().disabled).toBe(false);
  });

  it('reports a reference to a missing fleet at the referring field', async () => {
    renderSettings();
    await screen.findByTestId('settings-save');
    fireEvent.change(input('fleets[0].id'), { target: { value: 'ci-new' } });
    expect(field('hetzner[0].fleet').textContent).toContain('no fleet with id "ci"');
  });

  it('edits how a fleet is read, and says at the field that probe none needs Prometheus', async () => {
    renderSettings();
    await screen.findByTestId('settings-save');
    const select = input('fleets[0].probe') as unknown as HTMLSelectElement;
    expect(select.value).toBe('ssh');
    expect([...select.options].map((o) => o.value)).toEqual(['ssh', 'none']);
    fireEvent.change(select, { target: { value: 'none' } });
    expect(field('fleets[0].probe').textContent).toContain(
      'probe "none" needs a Prometheus source for fleet "ci"',
    );
    expect(saveButton().disabled).toBe(true);
    fireEvent.change(select, { target: { value: 'ssh' } });
    expect(field('fleets[0].probe').textContent).not.toContain('needs a Prometheus source');
    expect(saveButton().disabled).toBe(true); // nothing changed any more
  });

  it('sends a typed token once in `secrets`, and shows what the host said', async () => {
    const file = '/home/me/.local/state/runner-watch/secrets/gitlab-main-token.secret';
    const saved: SettingsDocument = {
      ...document,
      settings: { ...settings, gitlab: [{ ...settings.gitlab[0]!, token: { file } }] },
      secrets: [
        document.secrets[0]!,
        {
          path: ['gitlab', 0, 'token'],
          kind: 'file',
          name: file,
          set: true,
          problem: null,
        },
      ],
    };
    const transport = renderSettings(async () => ({
      ok: true,
      document: saved,
      applied: true,
      message: 'the engine restarted its sources with the new settings',
    }));
    await screen.findByTestId('settings-save');
    const secret = within(field('gitlab[0].token')).getByTestId('secret-input');
    fireEvent.change(secret, { target: { value: 'glpat-secret-value' } });
    expect(field('gitlab[0].token').textContent).toContain('never shown again');
    await act(async () => fireEvent.click(saveButton()));
    await screen.findByTestId('settings-result');
    const request = transport.requests.find((r) => r.channel === 'rw:settings:update')?.request as {
      secrets: unknown;
      settings: { gitlab: { token: unknown }[] };
    };
    expect(request.secrets).toEqual([
      { path: ['gitlab', 0, 'token'], value: 'glpat-secret-value' },
    ]);
    expect(screen.getByTestId('settings-result').textContent).toBe(
      'Saved. the engine restarted its sources with the new settings.',
    );
    // The field is empty again and the page holds no trace of the value.
    expect(document_().body.innerHTML).not.toContain('glpat-secret-value');
    await waitFor(() =>
      expect(field('gitlab[0].token').textContent).toContain('token is set (file /home/me'),
    );
  });

  it('puts the host’s problems next to their fields when it refuses', async () => {
    renderSettings(async () => ({
      ok: false,
      issues: [{ path: ['gitlab', 0, 'token'], message: 'environment variable NOPE is not set' }],
    }));
    await screen.findByTestId('settings-save');
    fireEvent.change(input('fleets[0].warnPct'), { target: { value: '41' } });
    await act(async () => fireEvent.click(saveButton()));
    await waitFor(() =>
      expect(field('gitlab[0].token').textContent).toContain(
        'environment variable NOPE is not set',
      ),
    );
  });

  it('imports a config.toml keeping its Hetzner tokens only when the box is ticked', async () => {
    const transport = renderSettings();
    transport.answer('rw:settings:import-toml', async () => ({
      settings: { fleets: [{ id: 'fleeting', kind: 'autoscaled' }] },
      runners: [{ name: 'fleeting', executor: 'docker-autoscaler', fleet: 'fleeting' }],
      notes: ['fleeting: the Hetzner token was kept in the secret store (not in the settings)'],
    }));
    await screen.findByTestId('settings-save');
    const text = document_().querySelector<HTMLTextAreaElement>('#toml-text')!;
    fireEvent.change(text, { target: { value: '[[runners]]\n  executor = "docker-autoscaler"' } });
    const propose = screen.getByRole('button', { name: 'Propose settings' });
    await act(async () => fireEvent.click(propose));
    await screen.findByTestId('toml-proposal');
    const box = screen.getByRole('checkbox', { name: /Keep its Hetzner tokens/ });
    expect((box as HTMLInputElement).checked).toBe(false);
    fireEvent.click(box);
    await act(async () => fireEvent.click(propose));
    const sent = transport.requests
      .filter((r) => r.channel === 'rw:settings:import-toml')
      .map((r) => r.request);
    expect(sent).toEqual([
      { text: '[[runners]]\n  executor = "docker-autoscaler"' },
      { text: '[[runners]]\n  executor = "docker-autoscaler"', storeTokens: true },
    ]);
    expect(screen.getByTestId('toml-proposal').textContent).toContain(
      'fleeting (docker-autoscaler) → fleeting',
    );
  });
});
