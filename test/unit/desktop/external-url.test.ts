import { describe, expect, it } from 'vitest';
import { isAllowedExternalUrl } from '../../../electron/core/external-url';
import { Settings } from '../../../shared/settings';

const settings = Settings.parse({
  gitlab: [
    { id: 'com', url: 'https://gitlab.example.test', token: { env: 'A' } },
    { id: 'self', url: 'http://127.0.0.1:8929/gitlab', token: { env: 'B' } },
  ],
});

describe('isAllowedExternalUrl', () => {
  it('allows http(s) URLs under a configured instance', () => {
    expect(isAllowedExternalUrl('https://gitlab.example.test/g/p/-/jobs/1', settings)).toBe(true);
    expect(isAllowedExternalUrl('http://127.0.0.1:8929/gitlab/g/p/-/jobs/2', settings)).toBe(true);
    expect(isAllowedExternalUrl('http://127.0.0.1:8929/gitlab', settings)).toBe(true);
  });

  it('refuses other hosts, schemes, ports, paths and credentials', () => {
    for (const url of [
      'https://evil.example.test/g/p',
      'http://gitlab.example.test/g/p', // scheme differs from the configured https
      'https://gitlab.example.test:8443/g/p',
      'https://gitlab.example.test.evil.test/',
      'http://127.0.0.1:8929/other/path',
      'http://127.0.0.1:8929/gitlabx/p',
      'https://user:pw@gitlab.example.test/g/p',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'ms-settings:privacy',
      'smb://gitlab.example.test/share',
      'not a url',
      '',
    ]) {
      expect(isAllowedExternalUrl(url, settings), url).toBe(false);
    }
  });

  it('refuses everything when no GitLab instance is configured', () => {
    expect(isAllowedExternalUrl('https://gitlab.com/', Settings.parse({}))).toBe(false);
  });
});
