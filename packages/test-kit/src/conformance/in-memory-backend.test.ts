import { describe, it } from 'vitest';
import { conformanceSuite } from './conformance-suite.js';
import { inMemoryConformance } from './in-memory-backend.js';

describe('conformance suite on the in-memory reference provider (IPv6 attach)', () => {
  conformanceSuite({ test: (name, fn) => it(name, fn, 60_000), ...inMemoryConformance() });
});

describe('conformance suite on the in-memory reference provider (no IPv6 route)', () => {
  conformanceSuite({
    test: (name, fn) => it(name, fn, 60_000),
    ...inMemoryConformance({ ipv6: false }),
    name: 'in-memory without ipv6',
  });
});
