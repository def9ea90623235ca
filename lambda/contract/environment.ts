/**
 * A list-valued setting (JWT_AUDIENCE, JWT_ALGORITHMS, …) as the functions split it: entries
 * separated by commas or whitespace, empty ones dropped. The example app splits its context
 * values the same way.
 */
export function splitList(value: string): string[] {
  return value.split(/[\s,]+/).filter((entry) => entry !== '');
}
