import type { Log } from '../../lambda/shared/index.js';

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly extra: Record<string, unknown>;
}

/** A Log that keeps every line, for assertions on what was logged and what never was. */
export class LogRecorder implements Log {
  readonly lines: LogLine[] = [];
  debug(message: string, extra: Record<string, unknown> = {}) {
    this.lines.push({ level: 'debug', message, extra });
  }
  info(message: string, extra: Record<string, unknown> = {}) {
    this.lines.push({ level: 'info', message, extra });
  }
  warn(message: string, extra: Record<string, unknown> = {}) {
    this.lines.push({ level: 'warn', message, extra });
  }
  error(message: string, extra: Record<string, unknown> = {}) {
    this.lines.push({ level: 'error', message, extra });
  }
  /** Everything logged, serialized, to search for what must never appear. */
  get text(): string {
    return JSON.stringify(this.lines);
  }
}
