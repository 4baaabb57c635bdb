import { describe, expect, it } from 'vitest';
import { expandHome, resolveConfigPath } from '../../../electron/core/config/expand-home';

describe('expandHome', () => {
  it('expands ~ and ~/ only', () => {
    expect(expandHome('~', '/home/ann')).toBe('/home/ann');
    expect(expandHome('~/.ssh/id', '/home/ann')).toBe('/home/ann/.ssh/id');
    expect(expandHome('~bob/x', '/home/ann')).toBe('~bob/x');
    expect(expandHome('/etc/x~', '/home/ann')).toBe('/etc/x~');
    expect(expandHome('a/~/b', '/home/ann')).toBe('a/~/b');
  });

  it('resolves relative paths against the config folder', () => {
    expect(resolveConfigPath('keys/id', '/etc/rw', '/home/ann')).toBe('/etc/rw/keys/id');
    expect(resolveConfigPath('~/k', '/etc/rw', '/home/ann')).toBe('/home/ann/k');
    expect(resolveConfigPath('/abs/k', '/etc/rw', '/home/ann')).toBe('/abs/k');
  });
});
