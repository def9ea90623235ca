import { describe, expect, it } from 'vitest';
import { BodyTooLargeError, readBoundedBody } from '../../../lambda/token/bounded-body.js';

/** A streamed body of `chunks` chunks of `size` bytes, with no Content-Length. */
function streamed(chunks: number, size: number): Response {
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ < chunks) controller.enqueue(new Uint8Array(size).fill(0x61));
      else controller.close();
    },
  });
  return new Response(stream);
}

describe('readBoundedBody', () => {
  it('returns a body within the limit whole', async () => {
    const body = await readBoundedBody(streamed(4, 256), 1024);
    expect(body.length).toBe(1024);
  });

  it('refuses a declared Content-Length over the limit before reading', async () => {
    const response = new Response('x'.repeat(2048), { headers: { 'content-length': '2048' } });
    const error = await readBoundedBody(response, 1024).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BodyTooLargeError);
    expect(error).toMatchObject({ bytes: 2048, declared: true });
  });

  it('cuts off an undeclared body at the first chunk past the limit, without reading the rest', async () => {
    const error = await readBoundedBody(streamed(1_000_000, 1024), 4096).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ bytes: 5120, declared: false });
  });
});
