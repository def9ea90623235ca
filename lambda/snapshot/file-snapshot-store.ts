import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SnapshotSink, SnapshotSource } from '../revocation/index.js';
import { describeError, SnapshotRefusedError } from '../shared/index.js';

/** Bytes read from the file at a time. */
const READ_CHUNK_BYTES = 1 << 20;

/**
 * A snapshot in a local file (`file:///abs/path`): the local stack's default, and tests'. Written
 * atomically: to a temporary file beside it, flushed to disk, then renamed over it (rename(2)
 * replaces a name atomically on one file system), so a reader sees the old snapshot or the new
 * one, never a half-written one.
 */
export class FileSnapshotStore implements SnapshotSource, SnapshotSink {
  readonly uri: string;

  constructor(readonly path: string) {
    this.uri = pathToFileURL(path).href;
  }

  /** The file's bytes, a chunk at a time; each chunk is valid until the next is asked for (one reused buffer). */
  async *read(maxBytes: number, signal: AbortSignal): AsyncIterable<Uint8Array> {
    let handle: FileHandle;
    try {
      handle = await open(this.path, 'r');
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new SnapshotRefusedError(missing ? 'missing' : 'unavailable', `cannot open ${this.path}: ${describeError(error)}`, {
        cause: error,
      });
    }
    try {
      const { size } = await handle.stat();
      if (size > maxBytes) throw new SnapshotRefusedError('too_large', `${this.path} is ${size} bytes, more than ${maxBytes}`);
      const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(READ_CHUNK_BYTES, size)));
      let total = 0;
      for (;;) {
        signal.throwIfAborted();
        let bytesRead: number;
        try {
          ({ bytesRead } = await handle.read(buffer, 0, buffer.length, null));
        } catch (error) {
          throw new SnapshotRefusedError('unavailable', `cannot read ${this.path}: ${describeError(error)}`, { cause: error });
        }
        if (bytesRead === 0) return;
        total += bytesRead;
        // The file may grow while it is read (it is replaced by rename, so only if written in place).
        if (total > maxBytes) throw new SnapshotRefusedError('too_large', `${this.path} is more than ${maxBytes} bytes`);
        yield buffer.subarray(0, bytesRead);
      }
    } finally {
      await handle.close();
    }
  }

  async write(parts: readonly Uint8Array[], byteLength: number): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await open(temporary, 'wx', 0o644);
    try {
      let written = 0;
      for (const part of parts) {
        for (let offset = 0; offset < part.length;) {
          const { bytesWritten } = await handle.write(part, offset, part.length - offset);
          offset += bytesWritten;
          written += bytesWritten;
        }
      }
      if (written !== byteLength) throw new RangeError(`wrote ${written} bytes of a ${byteLength}-byte snapshot`);
      await handle.sync();
    } catch (error) {
      await handle.close().catch(() => {});
      await rm(temporary, { force: true });
      throw error;
    }
    await handle.close();
    try {
      await rename(temporary, this.path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
}
