import { describe, expect, it, vi } from 'vitest';
import { checkedOpenExternal } from '../../../electron/window';

describe('checkedOpenExternal (desktop host: jobs open in the browser)', () => {
  it('passes a URL of a configured GitLab instance to the injected shell.openExternal', async () => {
    const shellOpen = vi.fn(async (_url: string) => {});
    const open = checkedOpenExternal(['https://gitlab.example'], shellOpen);
    await open('https://gitlab.example/g/a/-/jobs/1');
    expect(shellOpen).toHaveBeenCalledWith('https://gitlab.example/g/a/-/jobs/1');
  });

  it('refuses anything else without calling the shell', async () => {
    const shellOpen = vi.fn(async (_url: string) => {});
    const open = checkedOpenExternal(['https://gitlab.example'], shellOpen);
    for (const url of [
      'https://evil.example/x',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'gitlab.example',
    ]) {
      await expect(open(url)).rejects.toThrow('outside the configured GitLab instances');
    }
    expect(shellOpen).not.toHaveBeenCalled();
  });
});
