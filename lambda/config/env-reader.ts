import { splitList } from '../contract/index.js';

/** The environment as handlers receive it: `process.env` in Lambda, a plain object in tests. */
export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads environment variables and collects every problem instead of stopping at the first, so an
 * operator fixes a deployment in one round trip.
 */
export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Environment) {}

  /** The trimmed value, or undefined when unset or blank. */
  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  string(name: string, defaultValue: string): string {
    return this.optional(name) ?? defaultValue;
  }

  /** A comma- or space-separated list with empty entries removed. */
  list(name: string, defaultValue: readonly string[]): readonly string[] {
    const value = this.optional(name);
    return value === undefined ? defaultValue : splitList(value);
  }

  /** A whole number within [min, max]; `unit` names what the number counts, for the message. */
  integer(name: string, defaultValue: number, unit: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.optional(name);
    if (value === undefined) return defaultValue;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `${min} to ${max}`;
      this.problems.push(`${name} must be a whole number of ${unit} (${range}), got "${value}"`);
      return defaultValue;
    }
    return Number(value);
  }

  oneOf<const T extends string>(name: string, allowed: readonly T[], defaultValue: T): T {
    const value = this.optional(name);
    if (value === undefined) return defaultValue;
    const match = allowed.find((candidate) => candidate === value.toLowerCase());
    if (match === undefined) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
      return defaultValue;
    }
    return match;
  }

  boolean(name: string, defaultValue: boolean): boolean {
    const value = this.optional(name)?.toLowerCase();
    if (value === undefined) return defaultValue;
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    this.problems.push(`${name} must be true or false, got "${value}"`);
    return defaultValue;
  }
}
