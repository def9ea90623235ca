/** A response body larger than the reader allows: `declared` when Content-Length said so before reading. */
export class BodyTooLargeError extends Error {
  constructor(
    readonly bytes: number,
    readonly declared: boolean,
  ) {
    super(`${declared ? '' : 'more than '}${bytes} bytes`);
    this.name = new.target.name;
  }
}

/**
 * A response's body, read up to `maxBytes` and no further: a declared Content-Length over the limit
 * is refused before reading, and a body that keeps coming is cut off at the limit (a compressed body
 * counts as decoded). Issuer endpoints are third-party input: one that answers without end must cost
 * a bounded amount of memory, not the instance.
 * @throws BodyTooLargeError over the limit; the stream's own error when reading fails.
 */
export async function readBoundedBody(response: Response, maxBytes: number): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw new BodyTooLargeError(declared, true);
  }
  const chunks: Uint8Array[] = [];
  if (response.body === null) return Buffer.alloc(0);
  const reader = response.body.getReader();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLargeError(bytes, false);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
