import { describe, expect, it } from 'vitest';
import { CannotSubstantiateError, FailedToSubstantiateError, SubstantiationCancelledError } from '../errors.js';
import { buildResultForSubstantiationFailure } from './build-result.js';

describe('buildResultForSubstantiationFailure', () => {
  it("maps failures to Buildbot's build results", () => {
    expect(buildResultForSubstantiationFailure(new CannotSubstantiateError('no image'))).toBe('EXCEPTION');
    expect(buildResultForSubstantiationFailure(new FailedToSubstantiateError('down'))).toBe('RETRY');
    expect(buildResultForSubstantiationFailure(new SubstantiationCancelledError('stopped'))).toBe('RETRY');
    expect(buildResultForSubstantiationFailure(new Error('other'))).toBe('RETRY');
    expect(buildResultForSubstantiationFailure(new CannotSubstantiateError('x'), { stoppedBy: 'CANCELLED' })).toBe(
      'CANCELLED',
    );
  });
});
