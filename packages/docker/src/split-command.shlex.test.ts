import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitCommand } from './settings.js';

// docker-py splits a string `command` with Python's `shlex.split`; python3 is the oracle
// (a test prerequisite: scripts/prerequisites.d/20-python3.sh).
function pythonSplit(commands: readonly string[]): ({ words: string[] } | { error: string })[] {
  const script = `
import json, shlex, sys
out = []
for command in json.load(sys.stdin):
    try:
        out.append({"words": shlex.split(command)})
    except ValueError as error:
        out.append({"error": str(error)})
print(json.dumps(out))
`;
  const python = process.env.LATENTCI_ORACLE_PYTHON ?? 'python3';
  return JSON.parse(execFileSync(python, ['-c', script], { input: JSON.stringify(commands), encoding: 'utf8' }));
}

function ours(command: string): { words: string[] } | { error: string } {
  try {
    return { words: splitCommand(command) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function sameOutcome(
  actual: { words: string[] } | { error: string },
  expected: { words: string[] } | { error: string },
): boolean {
  return 'words' in expected ? JSON.stringify(actual) === JSON.stringify(expected) : 'error' in actual;
}

describe("splitCommand against Python's shlex.split", () => {
  it('splits the cases the review found as Python does (regressions: \\$ in double quotes, NBSP, trailing backslash)', () => {
    const cases = [
      'sleep 300',
      `sh -c 'echo "a b"; exit 3'`,
      'echo "x \\"y\\"" z\\ w',
      'echo "\\$HOME and \\`date\\`"',
      'echo "a\\\\b" "c\\d"',
      'one\u00a0word two',
      'a\vb\fc',
      "echo 'open",
      'echo trailing\\',
      "'' \"\" a''b",
      'line\\\nbreak',
      'tab\tsep\r\nlines',
    ];
    const expected = pythonSplit(cases);
    cases.forEach((command, index) => {
      const want = expected[index]!;
      expect({ command, outcome: ours(command) }).toEqual({
        command,
        outcome: 'words' in want ? want : { error: expect.any(String) },
      });
    });
  });

  it('agrees with shlex.split on 2,000 random command strings', () => {
    const alphabet = fc.constantFrom('a', 'b', ' ', '\t', '\n', '"', "'", '\\', '$', '`', '\u00a0', '\v', 'é', '#');
    const commands = fc.sample(
      fc.array(alphabet, { maxLength: 16 }).map((characters) => characters.join('')),
      {
        numRuns: 2000,
        seed: 19,
      },
    );
    const expected = pythonSplit(commands);
    const mismatches = commands.filter((command, index) => !sameOutcome(ours(command), expected[index]!));
    expect(
      mismatches.slice(0, 5).map((command) => ({ command, ours: ours(command), python: pythonSplit([command])[0] })),
    ).toEqual([]);
  });
});
