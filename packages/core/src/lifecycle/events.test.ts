import { describe, expect, it } from 'vitest';
import { TypedEmitter } from './events.js';

describe('TypedEmitter', () => {
  it('delivers payloads to listeners until they unsubscribe, isolating listener errors', () => {
    const errors: unknown[] = [];
    const emitter = new TypedEmitter<{ ping: { n: number } }>((error) => errors.push(error));
    const seen: number[] = [];
    const unsubscribe = emitter.on('ping', ({ n }) => seen.push(n));
    emitter.on('ping', () => {
      throw new Error('listener bug');
    });
    emitter.emit('ping', { n: 1 });
    unsubscribe();
    emitter.emit('ping', { n: 2 });
    expect(seen).toEqual([1]);
    expect(errors).toHaveLength(2);
  });
});
