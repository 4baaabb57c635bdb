import { z } from 'zod';

/**
 * Stable error codes shared by the engine, both hosts and the renderer. Messages may
 * change; codes do not. No message ever contains a token or key.
 */
export const ErrorCode = z.enum([
  /** Input that failed its schema. */
  'bad_input',
  /** The config file is missing, not JSON, or not valid Settings. */
  'config_invalid',
  /** A secret reference could not be resolved (unset variable, unreadable file). */
  'secret_missing',
  /** A remote rejected the credentials (HTTP 401, SSH auth failure). */
  'unauthorized',
  /** A remote refused for lack of scope or role (HTTP 403). */
  'forbidden',
  'not_found',
  /** The remote asked us to slow down (HTTP 429). */
  'rate_limited',
  /** Could not connect, or the connection broke. */
  'unreachable',
  'timeout',
  /** The remote answered with something we could not parse. */
  'bad_response',
  /** An SSH host key did not match, or was unknown and trust-on-first-use is off. */
  'host_key',
  /** The remote failed (HTTP 5xx, command exit status). */
  'remote_error',
  /** A safety rule or a re-check refused an action. */
  'refused',
  /** The action conflicts with one already running. */
  'conflict',
  /**
   * Another Runner Watch process holds the state directory's lock: this one only watches
   * (no kills, cleanups, prunes or mode switches); the message names the holder.
   */
  'read_only',
  /**
   * The reaper state file could not be read: every action is stopped until a person
   * repairs or removes it; the message names the file and its backup copy.
   */
  'state_corrupt',
  'unauthenticated',
  'internal',
]);
/** Stable error code. */
export type ErrorCode = z.infer<typeof ErrorCode>;

/** The error body every API call returns on failure. */
export const ApiError = z.object({ code: ErrorCode, message: z.string() });
/** The error body every API call returns on failure. */
export type ApiError = z.infer<typeof ApiError>;
