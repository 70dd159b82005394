import { ProvkitError } from '../../errors.js';

/** Counts of a running or finished batch. */
export interface BatchCounts {
  total: number;
  done: number;
  failed: number;
}

/** One item that failed, with the reason shown to the technician. */
export interface BatchFailure {
  item: string;
  code: string;
  message: string;
}

/**
 * Progress of a long batch (hundreds of devices): counts for the progress bar, the failures,
 * and the cancel action. Each item commits on its own, so a cancelled or interrupted batch
 * keeps every item finished before it.
 */
export class BatchProgress {
  title = $state('');
  counts = $state<BatchCounts>({ total: 0, done: 0, failed: 0 });
  failures = $state.raw<BatchFailure[]>([]);
  running = $state(false);
  cancelled = $state(false);
  #cancel: (() => void) | undefined;

  /** Starts showing a batch of `total` items; `cancel` is what the Cancel button calls. */
  begin(title: string, total: number, cancel: () => void): void {
    this.title = title;
    this.counts = { total, done: 0, failed: 0 };
    this.failures = [];
    this.running = true;
    this.cancelled = false;
    this.#cancel = cancel;
  }

  /** Counts one item done. */
  succeeded(): void {
    this.counts = { ...this.counts, done: this.counts.done + 1 };
  }

  /** Counts one item failed, with its reason. */
  failed(item: string, error: unknown): void {
    const failure: BatchFailure = {
      item,
      code: error instanceof ProvkitError ? error.code : 'error',
      message: error instanceof Error ? error.message : String(error),
    };
    this.failures = [...this.failures, failure];
    this.counts = { ...this.counts, failed: this.counts.failed + 1 };
  }

  /** Marks the batch finished (or cancelled). */
  finish(cancelled: boolean): void {
    this.running = false;
    this.cancelled = cancelled;
    this.#cancel = undefined;
  }

  /** Stops the batch after the item in progress; finished items stay stored. */
  cancel(): void {
    this.#cancel?.();
  }

  /**
   * Runs `work` for each item in turn on the page. A failing item is recorded and the batch
   * goes on; Cancel stops it. Yields to the event loop between items so the page stays responsive.
   */
  async run<T>(title: string, items: readonly T[], label: (item: T) => string, work: (item: T, signal: AbortSignal) => Promise<void>): Promise<BatchCounts> {
    const controller = new AbortController();
    this.begin(title, items.length, () => controller.abort());
    try {
      for (const item of items) {
        if (controller.signal.aborted) break;
        try {
          await work(item, controller.signal);
          this.succeeded();
        } catch (error) {
          if (controller.signal.aborted) break;
          this.failed(label(item), error);
        }
        // A macrotask between items lets input events and rendering through.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    } finally {
      this.finish(controller.signal.aborted);
    }
    return this.counts;
  }
}
