/**
 * A one-line progress bar on a terminal (`[#######-------] 4,000/10,000 revocations`), redrawn in
 * place at most every 100 ms. Draws nothing when the stream is not a terminal (CI logs, pipes).
 */
export class ProgressBar {
  private done = 0;
  private lastDrawMs = 0;
  private readonly enabled: boolean;

  constructor(
    private readonly total: number,
    private readonly unit: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.enabled = stream.isTTY === true && total > 0;
  }

  advance(count: number): void {
    this.done += count;
    const nowMs = Date.now();
    if (nowMs - this.lastDrawMs >= 100 || this.done >= this.total) {
      this.lastDrawMs = nowMs;
      this.draw();
    }
  }

  /** Ends the bar's line so later output starts on a fresh one. */
  finish(): void {
    if (this.enabled) this.stream.write('\n');
  }

  private draw(): void {
    if (!this.enabled) return;
    const width = 30;
    const filled = Math.round((Math.min(this.done, this.total) / this.total) * width);
    const count = `${this.done.toLocaleString('en-US')}/${this.total.toLocaleString('en-US')} ${this.unit}`;
    this.stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${count}`);
  }
}
