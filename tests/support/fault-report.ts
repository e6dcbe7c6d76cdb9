import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Figures of the fault suite (tests/faults): each case records how many faults it injected and how
 * many resources it found left behind afterwards. `pnpm test` sums them into the line RELIABILITY.md
 * quotes.
 */
export interface FaultCaseFigures {
  readonly backend: 'docker' | 'hyper' | 'marathon';
  readonly fault: string;
  readonly faultsInjected: number;
  /** Containers/apps found after the case that should not exist. Must be 0. */
  readonly leaks: number;
  /** Milliseconds from the fault to the typed error the master saw, when the case measures it. */
  readonly decisionMs?: number;
}

const directory = fileURLToPath(new URL('../../.test-results/faults/', import.meta.url));

export function recordFaultCase(figures: FaultCaseFigures): void {
  mkdirSync(directory, { recursive: true });
  const file = `${figures.backend}-${figures.fault.replace(/[^a-z0-9]+/gi, '-')}-${process.pid}-${Date.now()}.json`;
  writeFileSync(join(directory, file), JSON.stringify(figures));
}
