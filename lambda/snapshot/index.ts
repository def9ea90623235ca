/**
 * Revocation snapshots' I/O: where one lives (an S3 object or a file), reading it for a cold start,
 * and the scheduled writer that keeps it current. The format itself, and the view that loads from
 * it, are lambda/revocation's (snapshot-format.ts, revocation-view.ts).
 */
export { FileSnapshotStore } from './file-snapshot-store.js';
export { createSnapshotS3Client, S3SnapshotStore } from './s3-snapshot-store.js';
export { openSnapshotStore, type SnapshotStore } from './open-snapshot-store.js';
export { parseSnapshotUri, SNAPSHOT_URI_SHAPE, snapshotUriProblem, type SnapshotLocation } from './snapshot-location.js';
export { SnapshotWriter, type SnapshotWriteReport, type SnapshotWriterOptions } from './snapshot-writer.js';
