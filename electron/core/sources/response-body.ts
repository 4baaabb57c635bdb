/**
 * The most an API answer may hold before it is refused. A page of 100 GitLab runners or 50
 * Hetzner servers is a few hundred kilobytes; a hostile or broken server could send
 * gigabytes and exhaust memory if the body were read whole.
 */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/** Thrown when an answer is larger than allowed; the caller maps it to `bad_response`. */
export class ResponseTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`the answer is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB`);
  }
}

/**
 * Reads a response body as UTF-8 text, at most `maxBytes`: a larger body is cancelled and
 * rejects with ResponseTooLarge, a declared Content-Length over the limit before any byte is
 * read. Invalid UTF-8 becomes U+FFFD, as `Response.text()` does.
 */
export async function readBoundedText(
  response: Response,
  maxBytes: number = MAX_RESPONSE_BYTES,
): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new ResponseTooLarge(maxBytes);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder('utf-8');
  let bytes = 0;
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new ResponseTooLarge(maxBytes);
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}
