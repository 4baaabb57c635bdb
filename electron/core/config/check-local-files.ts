import type { Settings } from '../../../shared/settings';
import { ConfigError } from '../errors/config-error';
import { FILE_LIMITS, FileReadError, readBoundedFile } from '../read-bounded-file';
import { expandHome } from './expand-home';
import { formatPath } from './settings-issues';

/** One local file a setting points at, with its bound. */
interface LocalFile {
  setting: string;
  path: string;
  label: string;
  maxBytes: number;
}

/** The SSH files the settings name: ssh_config, each fleet's known_hosts and identity files. */
export function localFilesOf(settings: Settings): LocalFile[] {
  const files: LocalFile[] = [];
  if (settings.probe.sshConfigFile) {
    files.push({
      setting: 'probe.sshConfigFile',
      path: expandHome(settings.probe.sshConfigFile),
      label: 'ssh config file',
      maxBytes: FILE_LIMITS.sshConfig,
    });
  }
  settings.fleets.forEach((fleet, i) => {
    files.push({
      setting: formatPath(['fleets', i, 'ssh', 'knownHostsFile']),
      path: expandHome(fleet.ssh.knownHostsFile),
      label: 'known_hosts file',
      maxBytes: FILE_LIMITS.knownHosts,
    });
    fleet.ssh.identityFiles.forEach((file, j) => {
      files.push({
        setting: formatPath(['fleets', i, 'ssh', 'identityFiles', j]),
        path: expandHome(file),
        label: 'key',
        maxBytes: FILE_LIMITS.identityFile,
      });
    });
  });
  return files;
}

/**
 * Reads every SSH file the settings name once at start-up, bounded and FIFO-safe, so a
 * setting that points at a named pipe, a device or a huge file stops the command with one
 * line naming the setting instead of hanging or failing every cycle. A missing or
 * unreadable file is left to the collectors, which report it per host (a key or
 * known_hosts may appear later).
 */
export async function checkLocalFiles(settings: Settings): Promise<void> {
  for (const file of localFilesOf(settings)) {
    try {
      await readBoundedFile(file.path, { maxBytes: file.maxBytes, label: file.label });
    } catch (error) {
      if (!(error instanceof FileReadError)) throw error;
      if (error.problem === 'not-regular' || error.problem === 'too-large')
        throw new ConfigError(`${file.setting}: ${error.message}`, { cause: error });
    }
  }
}
