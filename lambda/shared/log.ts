/**
 * The logging the folders of lambda/ need, nothing more. The handlers pass a Powertools Logger
 * (see powertools-log.ts); tests pass a recorder. Keeps the folders free of Lambda dependencies.
 */
export interface Log {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
  /**
   * False when debug lines are dropped, so a caller on the request path can skip building them.
   * @default true (absent: build them and let debug decide)
   */
  readonly debugEnabled?: boolean;
}

/** A Log that drops everything, for callers that do not care. */
export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };
