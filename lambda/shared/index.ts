/** What every folder of lambda/ uses: the error classes, the Log interface and MaybePromise. */
export * from './errors.js';
export { silentLog, type Log } from './log.js';
export { isPromise, type MaybePromise } from './maybe-promise.js';
export {
  loggableString,
  MAX_LOGGED_CHARACTERS,
  summarizeValue,
  SUMMARY_PREFIX_CHARACTERS,
  type StringSummary,
  type ValueSummary,
} from './value-summary.js';
