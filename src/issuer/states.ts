import { ProvkitError, type ErrorCode } from '../errors.js';

/**
 * States of a provisioning request at the issuer. A request starts in `verifying`. One that
 * fails verification ends in `failed` with the error code. One that passes becomes
 * `auto-approved` (system in automatic mode) or `needs-approval` (manual mode), which an
 * operator turns into `approved` or `rejected`. Issuing the Certified Profile moves it to
 * `provisioning`, and the device's confirmation to `provisioned`.
 */
export type RequestState =
  | 'verifying'
  | 'auto-approved'
  | 'needs-approval'
  | 'approved'
  | 'rejected'
  | 'provisioning'
  | 'provisioned'
  | 'failed';

/** Every state, in the order a successful request passes through them. */
export const REQUEST_STATES: readonly RequestState[] = [
  'verifying',
  'auto-approved',
  'needs-approval',
  'approved',
  'rejected',
  'provisioning',
  'provisioned',
  'failed',
];

/** Permitted successors of each state; `rejected`, `provisioned` and `failed` are final. */
const TRANSITIONS: Readonly<Record<RequestState, readonly RequestState[]>> = {
  verifying: ['auto-approved', 'needs-approval', 'failed'],
  'auto-approved': ['provisioning'],
  'needs-approval': ['approved', 'rejected'],
  approved: ['provisioning'],
  rejected: [],
  provisioning: ['provisioned'],
  provisioned: [],
  failed: [],
};

/** One recorded state change: the new state, when, who caused it, and why when it is a failure or rejection. */
export interface StateTransition {
  state: RequestState;
  /** ISO 8601 UTC time of the change. */
  at: string;
  /** Who made the change: `issuer` for automatic steps, otherwise the operator's name. */
  actor: string;
  /** Operator's reason, present on `rejected`. */
  reason?: string;
  /** Error code, present on `failed`. */
  code?: ErrorCode;
  /** Error message, present on `failed`. */
  message?: string;
}

/** Returns true when `value` names a request state. */
export function isRequestState(value: string): value is RequestState {
  return (REQUEST_STATES as readonly string[]).includes(value);
}

/** Returns true when a request in state `from` may move to state `to`. */
export function canTransition(from: RequestState, to: RequestState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Returns the states a request in `state` may move to next. */
export function nextStates(state: RequestState): readonly RequestState[] {
  return TRANSITIONS[state];
}

/** Returns true when no transition leaves `state`. */
export function isFinalState(state: RequestState): boolean {
  return TRANSITIONS[state].length === 0;
}

/** Details that accompany a transition. */
export interface TransitionDetails {
  actor: string;
  at?: Date;
  reason?: string;
  code?: ErrorCode;
  message?: string;
}

/**
 * Appends the transition to `to` to `history` and returns the new history (the input is not
 * modified). Throws ProvkitError('invalid-state') when the last state does not permit it, and
 * ProvkitError('invalid-argument') when a rejection has no reason or a failure has no code.
 */
export function applyTransition(
  history: readonly StateTransition[],
  to: RequestState,
  details: TransitionDetails,
  requestId = '',
): StateTransition[] {
  const current = history.at(-1);
  const label = requestId === '' ? 'request' : `request ${requestId}`;
  if (current === undefined) {
    if (to !== 'verifying') {
      throw new ProvkitError('invalid-state', `${label} has no state yet and must start in verifying, not ${to}`);
    }
  } else if (!canTransition(current.state, to)) {
    const allowed = nextStates(current.state);
    const hint = allowed.length === 0 ? `${current.state} is final` : `allowed next: ${allowed.join(', ')}`;
    throw new ProvkitError('invalid-state', `${label} is ${current.state} and cannot become ${to} (${hint})`);
  }
  if (to === 'rejected' && (details.reason === undefined || details.reason.trim() === '')) {
    throw new ProvkitError('invalid-argument', `rejecting ${label} needs a reason`);
  }
  if (to === 'failed' && details.code === undefined) {
    throw new ProvkitError('invalid-argument', `marking ${label} failed needs an error code`);
  }
  if (details.actor.trim() === '') {
    throw new ProvkitError('invalid-argument', `the transition of ${label} to ${to} needs an actor`);
  }

  const transition: StateTransition = { state: to, at: (details.at ?? new Date()).toISOString(), actor: details.actor };
  if (details.reason !== undefined) transition.reason = details.reason;
  if (details.code !== undefined) transition.code = details.code;
  if (details.message !== undefined) transition.message = details.message;
  return [...history, transition];
}

/** Returns the current state of a history; throws ProvkitError('invalid-state') on an empty one. */
export function currentState(history: readonly StateTransition[]): RequestState {
  const last = history.at(-1);
  if (last === undefined) throw new ProvkitError('invalid-state', 'request has no recorded state');
  return last.state;
}
