import {
  RevocationView,
  type RetentionRules,
  type RevocationReader,
  type RevocationSettings,
  type SnapshotSink,
  type SnapshotSource,
} from '../revocation/index.js';
import { describeError, RevocationStateUnavailableError, silentLog, type Log, type SnapshotRefusalReason } from '../shared/index.js';

export interface SnapshotWriterOptions {
  /** The revocation table, read as the authorizer reads it (Scan, change-index Query). */
  readonly reader: RevocationReader;
  /** The authorizer's revocation settings; `snapshot` gives the limits for reading the previous snapshot. */
  readonly settings: RevocationSettings;
  readonly rules: RetentionRules;
  /** Where the previous snapshot is read from, and the new one written to. */
  readonly store: SnapshotSource & SnapshotSink;
  /** After this long building on previous snapshots, the writer reads the whole table again (SNAPSHOT_RESCAN_INTERVAL_MS). */
  readonly rescanIntervalMs: number;
  /** @default silentLog */
  readonly log?: Log;
  /** @default Date.now */
  readonly now?: () => number;
  /** The SnapshotFallbacks metric of the writer's own loads. */
  readonly onSnapshotFallback?: (reason: SnapshotRefusalReason) => void;
}

/** What one write did. */
export interface SnapshotWriteReport {
  readonly uri: string;
  /** How the view got current: a delta read of a warm view, or a load from the previous snapshot or a Scan. */
  readonly source: 'sync' | 'snapshot' | 'scan';
  readonly bytes: number;
  readonly entries: number;
  readonly watermarkEpochMs: number;
  readonly scanBaseEpochMs: number;
  readonly sha256: string;
  readonly durationMs: number;
}

/**
 * Keeps a revocation snapshot current (docs/scale.md, "Cold start and snapshots"): each write brings its view up
 * to date the way an authorizer instance does (a cold start loads the previous snapshot plus its
 * delta, or scans; a warm one reads the delta since its last read), then writes the view's image
 * over the snapshot, atomically. Every `rescanIntervalMs` it reads the whole table again instead,
 * so a chain of snapshot + delta cannot carry a defect forward for long.
 */
export class SnapshotWriter {
  private view: RevocationView | undefined;
  private readonly log: Log;
  private readonly now: () => number;

  constructor(private readonly options: SnapshotWriterOptions) {
    this.log = options.log ?? silentLog;
    this.now = options.now ?? Date.now;
  }

  /** Brings the view up to date and writes its snapshot. @throws when the table cannot be read or the snapshot not written. */
  async write(): Promise<SnapshotWriteReport> {
    const startedMs = performance.now();
    let source: SnapshotWriteReport['source'] = 'sync';
    const warm = this.view;
    if (warm !== undefined && !this.rescanDue(warm)) {
      await warm.sync();
      if (!warm.isFresh()) {
        throw new RevocationStateUnavailableError(`the snapshot's view could not be brought up to date: ${describeError(warm.lastError)}`, {
          cause: warm.lastError,
        });
      }
    } else {
      this.view = undefined;
      let view = await this.loadView(warm === undefined);
      if (this.rescanDue(view)) view = await this.loadView(false);
      this.view = view;
      source = view.counters.snapshotLoads > 0 ? 'snapshot' : 'scan';
    }
    const view = this.view!;
    const image = view.exportSnapshot();
    await this.options.store.write(image.parts, image.byteLength);
    const report: SnapshotWriteReport = {
      uri: this.options.store.uri,
      source,
      bytes: image.byteLength,
      entries: view.entryCount,
      watermarkEpochMs: image.header.watermarkEpochMs,
      scanBaseEpochMs: image.header.scanBaseEpochMs,
      sha256: image.header.sha256,
      durationMs: Math.round(performance.now() - startedMs),
    };
    this.log.info('revocation snapshot written', { ...report, entriesByKind: view.entries });
    return report;
  }

  private rescanDue(view: RevocationView): boolean {
    return this.now() - view.scanBaseEpochMs > this.options.rescanIntervalMs;
  }

  /** A new view, loaded from the previous snapshot (when `fromSnapshot`) or a Scan. */
  private async loadView(fromSnapshot: boolean): Promise<RevocationView> {
    const view = new RevocationView({
      reader: this.options.reader,
      settings: this.options.settings,
      rules: this.options.rules,
      log: this.log,
      now: this.now,
      ...(fromSnapshot ? { snapshotSource: this.options.store, onSnapshotFallback: this.options.onSnapshotFallback } : {}),
    });
    if (!(await view.load())) {
      throw new RevocationStateUnavailableError(`the revocation table could not be read for a snapshot: ${describeError(view.lastError)}`, {
        cause: view.lastError,
      });
    }
    return view;
  }
}
