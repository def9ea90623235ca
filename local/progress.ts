/** How often a progress line is written when the stream is not a terminal (CI logs, pipes). @default 5000 */
export const LOG_LINE_INTERVAL_MS = 5000;
/** How often a terminal's bar is redrawn while nothing advances, so the rate and ETA stay current. */
const TERMINAL_REDRAW_MS = 1000;
/** The fastest a terminal's bar is redrawn as work advances. */
const TERMINAL_MIN_REDRAW_MS = 100;
const BAR_WIDTH = 30;

export interface ProgressOptions {
  /** @default process.stderr */
  readonly stream?: Pick<NodeJS.WriteStream, 'write'> & { readonly isTTY?: boolean };
  /** Nothing at all is written. */
  readonly quiet?: boolean;
  /** @default LOG_LINE_INTERVAL_MS */
  readonly lineIntervalMs?: number;
  /** @default performance.now */
  readonly now?: () => number;
}

/**
 * Progress of bulk work, `done/total` with the rate and the time left. On a terminal, one bar
 * redrawn in place (`[#########---------] 6,000/20,000 revocations 30%  812/s  ETA 17 s`); on
 * anything else, a plain line when the work starts and then one every few seconds, so a CI log
 * shows that it is moving without a line per step.
 */
export class ProgressReporter {
  private done = 0;
  private startedMs = 0;
  private lastDrawMs = Number.NEGATIVE_INFINITY;
  private lastLine = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly stream: NonNullable<ProgressOptions['stream']>;
  private readonly terminal: boolean;
  private readonly now: () => number;

  constructor(
    private readonly total: number,
    private readonly unit: string,
    private readonly options: ProgressOptions = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    this.terminal = this.stream.isTTY === true;
    this.now = options.now ?? (() => performance.now());
  }

  private get enabled(): boolean {
    return this.options.quiet !== true && this.total > 0;
  }

  /** Starts the clock; `what` says what is under way (the first plain line). */
  start(what: string): void {
    this.startedMs = this.now();
    if (!this.enabled) return;
    if (this.terminal) {
      this.draw();
      this.timer = setInterval(() => this.draw(), TERMINAL_REDRAW_MS);
    } else {
      this.stream.write(`${what}\n`);
      this.timer = setInterval(() => this.stream.write(`${this.describe()}\n`), this.options.lineIntervalMs ?? LOG_LINE_INTERVAL_MS);
    }
    // Progress never keeps the process alive.
    this.timer.unref();
  }

  advance(count: number): void {
    this.done += count;
    if (!this.enabled || !this.terminal) return;
    if (this.now() - this.lastDrawMs >= TERMINAL_MIN_REDRAW_MS || this.done >= this.total) this.draw();
  }

  /** Stops the clock; on a terminal, leaves the bar's last state on its own line. */
  finish(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.terminal) {
      this.draw();
      this.stream.write('\n');
    }
  }

  /** `6,000/20,000 revocations (30%), 812/s, about 17 s left`. */
  describe(): string {
    const { rate, secondsLeft } = this.speed();
    const parts = [`${this.count()} (${this.percent()}%)`];
    if (rate !== undefined) parts.push(`${format(rate)}/s`);
    if (secondsLeft !== undefined) parts.push(`about ${duration(secondsLeft)} left`);
    return parts.join(', ');
  }

  private draw(): void {
    this.lastDrawMs = this.now();
    const filled = Math.round((Math.min(this.done, this.total) / this.total) * BAR_WIDTH);
    const { rate, secondsLeft } = this.speed();
    const line = [
      `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${this.count()}`,
      `${this.percent()}%`,
      rate === undefined ? '' : `${format(rate)}/s`,
      secondsLeft === undefined ? '' : `ETA ${duration(secondsLeft)}`,
    ]
      .filter((part) => part !== '')
      .join('  ');
    if (line === this.lastLine) return;
    this.lastLine = line;
    // \r back to the line's start, \x1b[K clears what a longer previous line left behind.
    this.stream.write(`\r${line}\x1b[K`);
  }

  private count(): string {
    return `${format(this.done)}/${format(this.total)} ${this.unit}`;
  }

  private percent(): number {
    return Math.floor((Math.min(this.done, this.total) / this.total) * 100);
  }

  private speed(): { rate: number | undefined; secondsLeft: number | undefined } {
    const elapsedSeconds = (this.now() - this.startedMs) / 1000;
    // No rate before the first step lands: 0/s and an infinite ETA say nothing.
    if (this.done === 0 || elapsedSeconds <= 0) return { rate: undefined, secondsLeft: undefined };
    const rate = this.done / elapsedSeconds;
    return { rate, secondsLeft: this.done >= this.total ? undefined : (this.total - this.done) / rate };
  }
}

function format(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function duration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.ceil(seconds))} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}
