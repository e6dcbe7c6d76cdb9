import { WorkerRemoteError } from '../errors.js';
import { COPYABLE_FAILURE_TAG, JellyCopy, textOf, toPlain } from './jelly.js';

/**
 * An error a PB method of ours answers with, travelling as Twisted's CopyableFailure. `parents`
 * is what the worker checks: `twisted.cred.error.UnauthorizedLogin` among them makes it retry.
 */
export class PbFailure extends Error {
  constructor(
    readonly failureType: string,
    readonly parents: readonly string[],
    message: string,
  ) {
    super(message);
    this.name = 'PbFailure';
  }

  /** The `(twisted.spread.pb.CopyableFailure (dictionary …))` copy, keys in Twisted's order. */
  toCopy(): JellyCopy {
    const state = new Map<unknown, unknown>([
      ['count', 1],
      ['type', Buffer.from(this.failureType, 'utf8')],
      ['value', this.message],
      ['captureVars', false],
      ['frames', []],
      ['stack', []],
      ['tb', null],
      ['parents', [...this.parents]],
      ['pickled', 1],
      ['unsafeTracebacks', true],
      ['traceback', `Traceback (most recent call last):\nFailure: ${this.failureType}: ${this.message}\n`],
    ]);
    return new JellyCopy(COPYABLE_FAILURE_TAG, state);
  }
}

const EXCEPTION_BASES = ['builtins.Exception', 'builtins.BaseException', 'builtins.object'];

/** A refused password or unknown worker: the real worker logs "unauthorized login" and retries. */
export function unauthorizedLogin(): PbFailure {
  return new PbFailure(
    'twisted.cred.error.UnauthorizedLogin',
    [
      'twisted.cred.error.UnauthorizedLogin',
      'twisted.cred.error.LoginFailed',
      'twisted.cred.error.Unauthorized',
      ...EXCEPTION_BASES,
    ],
    '',
  );
}

/** Buildbot's refusal of a duplicate (or unwanted) worker: the real worker stops its process. */
export function loginRejected(message: string): PbFailure {
  return new PbFailure('builtins.RuntimeError', ['builtins.RuntimeError', ...EXCEPTION_BASES], message);
}

export function noSuchMethod(prefix: string, method: string): PbFailure {
  return new PbFailure(
    'twisted.spread.flavors.NoSuchMethod',
    ['twisted.spread.flavors.NoSuchMethod', 'builtins.AttributeError', ...EXCEPTION_BASES],
    `No such method: ${prefix}_${method}`,
  );
}

export function invalidObjectId(): PbFailure {
  return new PbFailure('twisted.spread.pb.Error', ['twisted.spread.pb.Error', ...EXCEPTION_BASES], 'Invalid Object ID');
}

export function pbError(message: string): PbFailure {
  return new PbFailure('twisted.spread.pb.Error', ['twisted.spread.pb.Error', ...EXCEPTION_BASES], message);
}

/** Turns a failure the worker sent into a typed error. */
export function remoteErrorFrom(failure: unknown, call: string): WorkerRemoteError {
  const plain = failure instanceof JellyCopy ? toPlain(failure.state) : undefined;
  const state = (plain && typeof plain === 'object' ? plain : {}) as Record<string, unknown>;
  const type = textOf(state.type) ?? 'unknown';
  const value = textOf(state.value) ?? '';
  const traceback = textOf(state.traceback);
  return new WorkerRemoteError(
    `The worker answered ${call} with ${type}${value ? `: ${value}` : ''}`,
    type,
    traceback === undefined ? {} : { remoteTraceback: traceback },
  );
}
