import { describe, expect, it } from 'vitest';
import { ProvkitError } from '../../src/errors.js';
import { applyTransition, canTransition, currentState, isFinalState, REQUEST_STATES, type StateTransition } from '../../src/issuer/states.js';

const at = new Date('2026-03-01T10:00:00Z');

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof ProvkitError ? error.code : 'not-a-provkit-error';
  }
  return undefined;
}

describe('applyTransition', () => {
  it('records the manual approval path', () => {
    let history: StateTransition[] = [];
    history = applyTransition(history, 'verifying', { actor: 'issuer', at });
    history = applyTransition(history, 'needs-approval', { actor: 'issuer', at });
    history = applyTransition(history, 'approved', { actor: 'alice', at });
    history = applyTransition(history, 'provisioning', { actor: 'alice', at });
    history = applyTransition(history, 'provisioned', { actor: 'bob', at });
    expect(history.map((transition) => `${transition.state}/${transition.actor}`)).toEqual([
      'verifying/issuer', 'needs-approval/issuer', 'approved/alice', 'provisioning/alice', 'provisioned/bob',
    ]);
    expect(history.every((transition) => transition.at === '2026-03-01T10:00:00.000Z')).toBe(true);
    expect(currentState(history)).toBe('provisioned');
  });

  it('does not modify the input history', () => {
    const history = applyTransition([], 'verifying', { actor: 'issuer', at });
    applyTransition(history, 'auto-approved', { actor: 'issuer', at });
    expect(history).toHaveLength(1);
  });

  it('keeps the rejection reason and the failure code', () => {
    const start = applyTransition([], 'verifying', { actor: 'issuer', at });
    const waiting = applyTransition(start, 'needs-approval', { actor: 'issuer', at });
    expect(applyTransition(waiting, 'rejected', { actor: 'alice', at, reason: 'unknown site' }).at(-1)).toEqual({
      state: 'rejected', at: '2026-03-01T10:00:00.000Z', actor: 'alice', reason: 'unknown site',
    });
    expect(applyTransition(start, 'failed', { actor: 'issuer', at, code: 'replay', message: 'seen' }).at(-1)).toEqual({
      state: 'failed', at: '2026-03-01T10:00:00.000Z', actor: 'issuer', code: 'replay', message: 'seen',
    });
  });

  it('rejects illegal transitions with invalid-state', () => {
    const start = applyTransition([], 'verifying', { actor: 'issuer', at });
    const rejected = applyTransition(applyTransition(start, 'needs-approval', { actor: 'issuer', at }), 'rejected', { actor: 'a', at, reason: 'r' });
    expect(codeOf(() => applyTransition([], 'approved', { actor: 'a' }))).toBe('invalid-state');
    expect(codeOf(() => applyTransition(start, 'approved', { actor: 'a' }))).toBe('invalid-state');
    expect(codeOf(() => applyTransition(rejected, 'approved', { actor: 'a' }))).toBe('invalid-state');
    expect(codeOf(() => applyTransition(rejected, 'provisioning', { actor: 'a' }))).toBe('invalid-state');
  });

  it('requires a reason, a code and an actor', () => {
    const waiting = applyTransition(applyTransition([], 'verifying', { actor: 'issuer', at }), 'needs-approval', { actor: 'issuer', at });
    expect(codeOf(() => applyTransition(waiting, 'rejected', { actor: 'a', reason: ' ' }))).toBe('invalid-argument');
    expect(codeOf(() => applyTransition(waiting.slice(0, 1), 'failed', { actor: 'issuer' }))).toBe('invalid-argument');
    expect(codeOf(() => applyTransition(waiting, 'approved', { actor: '' }))).toBe('invalid-argument');
  });
});

describe('canTransition', () => {
  it('matches the documented state diagram', () => {
    const allowed = REQUEST_STATES.flatMap((from) => REQUEST_STATES.filter((to) => canTransition(from, to)).map((to) => `${from}>${to}`));
    expect(allowed).toEqual([
      'verifying>auto-approved', 'verifying>needs-approval', 'verifying>failed',
      'auto-approved>provisioning', 'needs-approval>approved', 'needs-approval>rejected',
      'approved>provisioning', 'provisioning>provisioned',
    ]);
    expect(REQUEST_STATES.filter(isFinalState)).toEqual(['rejected', 'provisioned', 'failed']);
  });
});
