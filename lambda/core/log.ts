/**
 * The logging the core needs, nothing more. The handlers pass a Powertools Logger, which has this
 * shape; tests pass a recorder. Keeps `core/` free of Lambda dependencies.
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
