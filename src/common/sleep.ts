import { AbortedError } from '../errors/index.js';

/**
 * Waits `ms` milliseconds; rejects early when `signal` aborts, with the
 * signal's reason if it is an Error (so a timeout stays a timeout), else
 * with {@link AbortedError}.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  const reason = () => (signal?.reason instanceof Error ? signal.reason : new AbortedError());
  if (signal?.aborted) return Promise.reject(reason());
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(reason());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
