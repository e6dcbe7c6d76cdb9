import { readFileSync } from 'node:fs';

/**
 * Returns the fenced ```ts block under the README's `## Example` heading. Package READMEs show an
 * example file verbatim; tests compare the two and then run the file, so the README cannot drift
 * from working code.
 */
export function readmeExample(readmePath: string, heading = 'Example'): string {
  const readme = readFileSync(readmePath, 'utf8');
  // `## Example`, or a numbered step heading such as `### 2. A complete provider`.
  const section = readme.split(new RegExp(`^#{2,4} (?:\\d+\\. )?${heading}\\s*$`, 'm'))[1];
  if (section === undefined) throw new Error(`${readmePath} has no "## ${heading}" section`);
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match?.[1]) throw new Error(`${readmePath}: the "## ${heading}" section has no \`\`\`ts block`);
  return match[1];
}

/** Throws unless the README's example block (the first under `## <heading>`) is exactly the example file's content. */
export function assertReadmeShowsExample(readmePath: string, examplePath: string, heading = 'Example'): void {
  const shown = readmeExample(readmePath, heading).trim();
  const actual = readFileSync(examplePath, 'utf8').trim();
  if (shown !== actual) {
    throw new Error(
      `${readmePath}'s example differs from ${examplePath}: copy the file into the README's ## ${heading} block`,
    );
  }
}
