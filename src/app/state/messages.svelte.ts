import { ProvkitError, type ErrorCode } from '../../errors.js';
import { appStatus } from './status.svelte.js';
import { visibleText } from '../format.js';

/** A message shown to the technician after an action. */
export interface Message {
  id: number;
  kind: 'success' | 'error' | 'info';
  text: string;
  /** Stable error code, for errors. */
  code?: string;
}

/**
 * Messages of the current screen, shown in a live region so screen readers announce them.
 * A new success replaces the previous success or information message; errors stay until
 * dismissed (the newest three). The newest message comes first.
 */
class Messages {
  list = $state<Message[]>([]);
  #next = 1;

  /** Shows a success or information message. */
  say(text: string, kind: 'success' | 'info' = 'success'): void {
    this.list = [{ id: this.#next++, kind, text: visibleText(text) }, ...this.list.filter((m) => m.kind === 'error').slice(0, 3)];
    void appStatus.refreshEstimate();
  }

  /** Shows an error: a ProvkitError's message and code, or a generic text for anything else. */
  fail(error: unknown, context?: string): void {
    const prefix = context === undefined ? '' : `${context}: `;
    let message: Message;
    if (error instanceof ProvkitError) {
      message = { id: this.#next++, kind: 'error', text: prefix + error.message, code: error.code };
    } else if (error instanceof DOMException && error.name === 'AbortError') {
      message = { id: this.#next++, kind: 'info', text: `${prefix}cancelled.` };
    } else {
      const text = error instanceof Error ? error.message : String(error);
      message = { id: this.#next++, kind: 'error', text: prefix + text };
    }
    message.text = visibleText(message.text);
    const errors = this.list.filter((m) => m.kind === 'error');
    this.list = [message, ...errors.slice(0, 2)];
  }

  /**
   * Shows the failed items of a batch as one error carrying the first failure's code, each
   * item named once.
   */
  failBatch(failures: readonly { item: string; code: string; message: string }[], total: number, context: string): void {
    const first = failures[0];
    if (first === undefined) return;
    const details = failures.map((f) => (f.message.startsWith(`${f.item}: `) ? f.message : `${f.item}: ${f.message}`)).join(' | ');
    const code = first.code === 'error' ? 'malformed' : (first.code as ErrorCode);
    this.fail(new ProvkitError(code, `${failures.length} of ${total} file(s) rejected. ${details}`), context);
  }

  /** Removes one message. */
  dismiss(id: number): void {
    this.list = this.list.filter((message) => message.id !== id);
  }

  /** Removes every message (on navigation). */
  clear(): void {
    this.list = [];
  }
}

/** The workbench's one message list. */
export const messages = new Messages();
