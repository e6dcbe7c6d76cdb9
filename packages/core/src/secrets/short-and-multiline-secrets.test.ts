import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { LatentWorker } from '../lifecycle/latent-worker.js';
import { InMemoryProvider } from '../testing/in-memory-provider.js';
import { MIN_REDACTED_LENGTH, REDACTED, Redactor } from './redactor.js';

// Defect 5 of issue #23: a password the redactor cannot hide is refused, never printed in clear.
function workerWith(password: string): () => LatentWorker {
  return () => new LatentWorker({ name: 'w', masterId: 'm', provider: new InMemoryProvider(), password });
}

describe('defect 5 (#23): passwords that could not be kept out of logs', () => {
  it('a worker password shorter than 4 characters is refused at configuration', () => {
    expect(MIN_REDACTED_LENGTH).toBe(4);
    for (const password of ['a', 'ab', 'abc']) {
      expect(workerWith(password)).toThrow(ConfigurationError);
      expect(workerWith(password)).toThrow(/at least 4 characters/);
    }
    expect(workerWith('abcd')).not.toThrow();
  });

  it('a worker password with a line break or control character is refused at configuration', () => {
    for (const password of ['first\nsecond', 'carriage\rreturn', 'tab\tbed', 'nul\u0000x']) {
      expect(workerWith(password)).toThrow(/must not contain line breaks or other control characters/);
    }
  });

  it('the redactor hides a multi-line secret also when its lines are printed one by one', () => {
    const redactor = new Redactor();
    redactor.add('first-line-of-key\nsecond-line-of-key\r\nthird');
    expect(redactor.redact('>> first-line-of-key')).toBe(`>> ${REDACTED}`);
    expect(redactor.redact('second-line-of-key <<')).toBe(`${REDACTED} <<`);
    expect(redactor.redact('third')).toBe(REDACTED);
    expect(redactor.redact('first-line-of-key\nsecond-line-of-key\r\nthird')).toBe(REDACTED);
  });
});
