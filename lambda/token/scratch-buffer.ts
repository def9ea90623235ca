/**
 * One reusable buffer for bytes that are read synchronously right after they are written: decoded
 * token segments, a signature's signing input. A new Buffer per token drained Node's 8 KiB buffer
 * pool every few tokens (docs/performance.md). What `bytesOf` returns is valid until its next call.
 */
export class ScratchBuffer {
  private readonly buffer: Buffer;
  private view: Buffer;

  constructor(bytes: number) {
    this.buffer = Buffer.allocUnsafe(bytes);
    this.view = this.buffer.subarray(0, 0);
  }

  /**
   * The bytes of `text` in `encoding`. Both encodings used here write at most one byte per
   * character, so a text no longer than the buffer always fits whole; a longer one gets its own.
   */
  bytesOf(text: string, encoding: 'base64url' | 'latin1'): Buffer {
    if (text.length > this.buffer.length) return Buffer.from(text, encoding);
    const length = this.buffer.write(text, 0, encoding);
    // A view costs an allocation; tokens of one issuer mostly repeat their lengths, and so their views.
    if (this.view.length !== length) this.view = this.buffer.subarray(0, length);
    return this.view;
  }
}
