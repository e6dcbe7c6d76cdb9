// Reads the totals of a vitest JSON report (`--reporter=json --outputFile.json=…`), the one way the
// repository's test scripts count: a file that fails to load counts as a failure even when it
// defined no test, and a run that failed without a failed test counts one.
import { readFileSync } from 'node:fs';

/** `{ passed, failed }` of the report at `resultsFile`; `runSucceeded` is vitest's exit status === 0. */
export function vitestTotals(resultsFile, runSucceeded) {
  let passed = 0;
  let failed = 0;
  try {
    const report = JSON.parse(readFileSync(resultsFile, 'utf8'));
    passed = report.numPassedTests;
    failed = report.numFailedTests + (report.numTotalTestSuites > 0 ? 0 : 1);
    failed += report.testResults.filter(
      (file) => file.status === 'failed' && file.assertionResults.length === 0,
    ).length;
  } catch {
    failed += 1;
    console.error(`✗ vitest wrote no report (${resultsFile})`);
  }
  if (!runSucceeded && failed === 0) failed = 1;
  return { passed, failed };
}
