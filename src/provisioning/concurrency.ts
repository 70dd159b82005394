import { ProvkitError } from '../errors.js';

/**
 * Applies `task` to every item with at most `limit` tasks in flight and returns the results in
 * input order. WebCrypto runs signatures and key generation off the main thread in Node and in
 * browsers, so a few tasks in flight keep every core busy. Calls `onProgress` after each task
 * and throws ProvkitError('cancelled') when `signal` aborts; tasks already running finish.
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
  options: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void; what?: string } = {},
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      if (options.signal?.aborted === true) {
        throw new ProvkitError('cancelled', `${options.what ?? 'batch'} cancelled after ${done} of ${items.length} items`);
      }
      const index = next++;
      results[index] = await task(items[index]!, index);
      done++;
      options.onProgress?.(done, items.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
