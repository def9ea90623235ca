/** Order statistics of a sample of durations, all in the sample's unit. */
export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly p90: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
}

export function summarize(samples: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { n: sorted.length, median: median(sorted), p90: at(0.9), p99: at(0.99), min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

export function median(samples: ArrayLike<number>): number {
  const sorted = Float64Array.from(samples).sort();
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Rounds for display and JSON: 3 significant digits. */
export function round(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  const factor = 10 ** Math.min(digits, 6);
  return Math.round(value * factor) / factor;
}

/** The spread of per-round figures (each a round's median): their median, quartiles and range. */
export interface RoundSpread {
  readonly rounds: number;
  readonly median: number;
  readonly p25: number;
  readonly p75: number;
  readonly min: number;
  readonly max: number;
}

export function spreadOf(perRound: ArrayLike<number>): RoundSpread {
  const sorted = Float64Array.from(perRound).sort();
  // Quartiles by linear interpolation between order statistics, so 20 rounds give stable values.
  const at = (q: number) => {
    const position = q * (sorted.length - 1);
    const low = Math.floor(position);
    const high = Math.min(sorted.length - 1, low + 1);
    return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
  };
  return { rounds: sorted.length, median: median(sorted), p25: at(0.25), p75: at(0.75), min: sorted[0]!, max: sorted[sorted.length - 1]! };
}
