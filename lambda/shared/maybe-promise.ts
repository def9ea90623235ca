/**
 * A value now, or a promise of it later. The request path returns a plain value when it has one
 * (a remembered token, a fresh revocation view, a memoized key) and a promise only when it must
 * wait (a key set fetch, a delta sync): awaiting a plain value still costs a microtask turn on
 * every request, so callers test with {@link isPromise} and await only promises.
 */
export type MaybePromise<T> = T | Promise<T>;

/** Whether a {@link MaybePromise} must be awaited; a plain value is used as it is. */
export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return value instanceof Promise;
}
