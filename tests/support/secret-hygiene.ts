import { subscribe } from 'node:diagnostics_channel';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect } from 'vitest';
import type { OutputMessage, SecretMessage } from '../../packages/core/src/diagnostics/channels.js';

// Secret hygiene for the whole test run (a vitest setup file, so it runs in every test file):
// collects every secret latentci registers for redaction (worker passwords, Hyper secret keys,
// Marathon credentials, `%(secret:…)s` values) and every log line, event payload and error message
// it emits, and fails the file if any emitted text contains any secret. The counts go to
// .test-results/secret-hygiene/ for the figures in RELIABILITY.md.
// The channel names of packages/core/src/diagnostics/channels.ts (kept literal: a setup file must
// load even while core is mid-change).
const SECRET_CHANNEL = 'latentci:secret';
const OUTPUT_CHANNEL = 'latentci:output';
const secrets = new Set<string>();
const outputs: OutputMessage[] = [];
// Publishing secrets is opt-in (core's enableSecretPublishing; the same global flag, set literally
// for the same reason as the channel names).
(globalThis as Record<symbol, unknown>)[Symbol.for('latentci.secretPublishing')] = true;
subscribe(SECRET_CHANNEL, (message) => secrets.add((message as SecretMessage).secret));
subscribe(OUTPUT_CHANNEL, (message) => outputs.push(message as OutputMessage));

const resultsDirectory = fileURLToPath(new URL('../../.test-results/secret-hygiene/', import.meta.url));

afterAll(() => {
  const leaks = outputs.flatMap((output) =>
    [...secrets].filter((secret) => output.text.includes(secret)).map(() => `${output.kind} from ${output.source}`),
  );
  const testFile = expect.getState().testPath ?? `unknown-${process.pid}`;
  mkdirSync(resultsDirectory, { recursive: true });
  writeFileSync(
    join(resultsDirectory, `${basename(testFile)}-${process.pid}-${Date.now()}.json`),
    JSON.stringify({ testFile, outputs: outputs.length, secrets: secrets.size, leaks: leaks.length }),
  );
  if (leaks.length > 0) {
    // The secret itself is not repeated here: the kind and source are enough to find the leak.
    throw new Error(
      `secret hygiene: ${leaks.length} emitted text(s) contained a registered secret: ${leaks.join('; ')}`,
    );
  }
});
