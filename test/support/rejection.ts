/** The error a promise rejects with; fails the test when it resolves instead. */
export async function rejectionOf(
  promise: Promise<unknown>,
): Promise<Error & { code?: string; retryAfterMs?: number }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error as Error & { code?: string; retryAfterMs?: number };
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error('expected the promise to reject, but it resolved');
}
