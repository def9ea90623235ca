/**
 * Waits for `sleep`, or less: until `signal` fires (the caller then sees it aborted). For a back-off
 * whose sleep takes no signal (Retrier's), so an aborted read stops at once instead of after it.
 */
export async function waitUnlessAborted(sleep: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return sleep;
  if (signal.aborted) return;
  let stop: () => void = () => {};
  const aborted = new Promise<void>((resolve) => {
    stop = resolve;
    signal.addEventListener('abort', stop, { once: true });
  });
  try {
    await Promise.race([sleep, aborted]);
  } finally {
    signal.removeEventListener('abort', stop);
  }
}
