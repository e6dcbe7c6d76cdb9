import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

// `pnpm demo` (scripts/demo.mjs) runs the built packages, like a newcomer after the quick start.
const root = fileURLToPath(new URL('../..', import.meta.url));
const needed = [
  'packages/cli/dist/bin.js',
  'packages/cli/dist/index.js',
  'packages/core/dist/testing.js',
  'packages/test-kit/dist/index.js',
  'packages/docker/dist/index.js',
];

beforeAll(() => {
  const missing = needed.filter((file) => !existsSync(`${root}${file}`));
  if (missing.length > 0) throw new Error(`${missing.join(', ')} missing: run \`pnpm build\` before this test`);
});

/** The quick-start config's instances (its master id); the demo must leave none. */
function quickstartContainers(): string[] {
  const output = execFileSync('docker', ['ps', '-aq', '--filter', 'label=io.latentci.master=latentci-quickstart'], {
    encoding: 'utf8',
  });
  return output.split('\n').filter((line) => line.length > 0);
}

afterEach(() => {
  const leftovers = quickstartContainers();
  if (leftovers.length > 0) execFileSync('docker', ['rm', '-f', ...leftovers]);
});

function demo(env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/demo.mjs'], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('pnpm demo', () => {
  it('runs latentci try on the quick-start config against the Docker engine, shows the worker attached, and leaves nothing running', async () => {
    const { code, output } = await demo();
    expect(output).toContain('latentci try: worker "quickstart-worker" with @latentci/docker');
    expect(output).toContain('✔ ATTACHED');
    expect(output).toContain('latentci ls: 0 instance(s) of master "latentci-quickstart"');
    expect(output).toContain('✔ Success');
    expect(code).toBe(0);
    expect(quickstartContainers()).toEqual([]);
  });

  it('without a Docker engine, says how to get one and runs the same try on the in-memory provider', async () => {
    const { code, output } = await demo({ DOCKER_HOST: 'unix:///nonexistent/latentci-demo/docker.sock' });
    expect(output).toContain('No Docker engine answers at unix:///nonexistent/latentci-demo/docker.sock');
    expect(output).toContain('bash scripts/docker-engine.sh start');
    expect(output).toContain('latentci try: worker "quickstart-worker" with in-memory');
    expect(output).toContain('in-memory worker: connecting to 127.0.0.1 port');
    expect(output).toContain('✔ ATTACHED');
    expect(output).toContain('0 in-memory instance(s) left');
    expect(output).toContain('✔ Success');
    expect(code).toBe(0);
  });
});
