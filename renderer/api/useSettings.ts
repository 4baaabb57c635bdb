import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  GitLabCheckResult,
  HostKeyResult,
  ImportTomlRequest,
  ImportTomlResult,
  SettingsDocument,
  SettingsUpdateResult,
  TrustHostKeyRequest,
} from '../../shared/settings-api';
import type { RequestInputOf } from '../../shared/api';
import { queryKeys } from './queryKeys';
import type { TransportError } from './transport';
import { useTransport } from './TransportProvider';

/** The settings as saved, with secret status (`rw:settings:get`). */
export function useSettingsDocument() {
  const transport = useTransport();
  return useQuery<SettingsDocument, TransportError>({
    queryKey: queryKeys.settings(),
    queryFn: () => transport.invoke('rw:settings:get', {}),
    // An edit in progress must not be replaced by a refetch on focus.
    refetchOnWindowFocus: false,
  });
}

/**
 * Saves (`rw:settings:update`). A saved document replaces the cached one; the fleet
 * snapshot is refetched, since applying restarted the sources.
 */
export function useSaveSettings() {
  const transport = useTransport();
  const client = useQueryClient();
  return useMutation<SettingsUpdateResult, TransportError, RequestInputOf<'rw:settings:update'>>({
    mutationFn: (request) => transport.invoke('rw:settings:update', request),
    onSuccess: (result) => {
      if (!result.ok) return;
      client.setQueryData(queryKeys.settings(), result.document);
      void client.invalidateQueries({ queryKey: queryKeys.fleet() });
      void client.invalidateQueries({ queryKey: queryKeys.audit() });
    },
  });
}

/** Proposes entries from a pasted config.toml (`rw:settings:import-toml`). */
export function useImportToml() {
  const transport = useTransport();
  return useMutation<ImportTomlResult, TransportError, ImportTomlRequest>({
    mutationFn: (request) => transport.invoke('rw:settings:import-toml', request),
  });
}

/** Asks a saved GitLab instance about its token (`rw:settings:check-gitlab`). */
export function useCheckGitLab() {
  const transport = useTransport();
  return useMutation<GitLabCheckResult, TransportError, string>({
    mutationFn: (id) => transport.invoke('rw:settings:check-gitlab', { id }),
  });
}

/** Reads a host's SSH key for the trust prompt (`rw:settings:host-key`). */
export function useHostKey() {
  const transport = useTransport();
  return useMutation<HostKeyResult, TransportError, { host: string; port: number }>({
    mutationFn: (request) => transport.invoke('rw:settings:host-key', request),
  });
}

/** Records a host key the person accepted (`rw:settings:trust-host-key`). */
export function useTrustHostKey() {
  const transport = useTransport();
  return useMutation<HostKeyResult, TransportError, TrustHostKeyRequest>({
    mutationFn: (request) => transport.invoke('rw:settings:trust-host-key', request),
  });
}
