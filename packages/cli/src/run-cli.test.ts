import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importBusyboxImage } from '@latentci/docker/testing';
import Dockerode from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from './exit-codes.js';
import { runCli } from './run-cli.js';
import { CLI_VERSION } from './version.js';

const directory = mkdtempSync(join(tmpdir(), 'latentci-cli-run-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const coreTesting = fileURLToPath(new URL('../../core/src/testing.ts', import.meta.url));
const PASSWORD = 'run-cli-secret-password';

/**
 * A TS config module: the in-memory reference provider, whose instances run a tiny worker that
 * logs in over TCP (the attach protocol) with the credentials it was given; `password` overrides
 * the one it presents.
 */
function inMemoryConfig(name: string, options: { presentPassword?: string } = {}): string {
  const path = join(directory, name);
  writeFileSync(
    path,
    `import { connect } from 'node:net';
import { createInMemoryProvider } from ${JSON.stringify(coreTesting)};

const provider = createInMemoryProvider({ startupLogs: ['hello from the instance'] });
const sockets = new Map<string, ReturnType<typeof connect>>();
provider.onStarted = (instance) => {
  const env = instance.environment;
  const socket = connect({ host: env.BUILDMASTER, port: Number(env.BUILDMASTER_PORT) });
  socket.on('error', () => {});
  socket.on('connect', () => socket.write('LATENTCI-PROBE 1 ' + env.WORKERNAME + ' ' + (${JSON.stringify(options.presentPassword ?? null)} ?? env.WORKERPASS) + '\\n'));
  sockets.set(instance.id, socket);
};
provider.onStopped = (instance) => sockets.get(instance.id)?.destroy();

export default {
  provider,
  worker: { name: 'run-cli-worker', password: ${JSON.stringify(PASSWORD)}, masterId: 'run-cli-master', masterFQDN: '127.0.0.1:0' },
};
`,
  );
  return path;
}

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    tty: false,
    cwd: directory,
  });
  return { code, stdout, stderr };
}

describe('latentci (runCli)', () => {
  it('prints help for every command, and the usage with exit code 2 when called without one', async () => {
    expect(await run(['--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('latentci try <config>') });
    expect((await run(['try', '--help'])).stdout).toContain('--observe <host:port>');
    expect((await run(['ls', '--help'])).stdout).toContain('--master-id <id>');
    expect((await run(['reap', '--help'])).stdout).toContain('crashed master');
    expect((await run(['pool', '--help'])).stdout).toContain('--acquire-every <ms>');
    expect((await run(['--help'])).stdout).toContain('latentci pool <config>');
    expect((await run([])).code).toBe(EXIT_CODES.configurationError);
  });

  it('prints its version, the one in package.json', async () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(CLI_VERSION).toBe(manifest.version);
    expect((await run(['--version'])).stdout).toBe(`${manifest.version}\n`);
  });

  it('explains a usage error on stderr with exit code 2', async () => {
    const { code, stderr } = await run(['try', 'x.json', '--frobnicate']);
    expect(code).toBe(EXIT_CODES.configurationError);
    expect(stderr).toMatch(/--frobnicate.*latentci try --help/);
  });

  it('reports a broken config as a configuration error (exit 2), also as JSON', async () => {
    writeFileSync(
      join(directory, 'broken.json'),
      '{"provider":"@latentci/docker","worker":{"name":"w","masterFQND":"x"}}',
    );
    const human = await run(['try', 'broken.json']);
    expect(human.code).toBe(2);
    expect(human.stderr).toContain('CONFIGURATION ERROR');
    expect(human.stderr).toContain('masterFQND');
    expect(human.stdout).toBe('');
    const json = await run(['try', 'broken.json', '--json']);
    expect(JSON.parse(json.stdout.trim())).toMatchObject({
      event: 'result',
      outcome: 'configuration-error',
      exitCode: 2,
    });
  });

  it('reports a provider package that is not installed as a configuration error saying how to install it', async () => {
    writeFileSync(join(directory, 'missing.json'), '{"provider":"latentci-provider-nowhere","worker":{"name":"w"}}');
    const { code, stderr } = await run(['try', 'missing.json']);
    expect(code).toBe(2);
    expect(stderr).toContain('npm install latentci-provider-nowhere');
  });

  it('tries a TS config and prints a timeline ending in ATTACHED, without the password', async () => {
    const { code, stdout } = await run(['try', inMemoryConfig('attach.config.ts'), '--timeout', '10']);
    expect(code).toBe(EXIT_CODES.attached);
    expect(stdout).toContain('listening as the master on 127.0.0.1:');
    expect(stdout).toContain('│ hello from the instance');
    expect(stdout).toContain('logged in from 127.0.0.1');
    expect(stdout).toContain('✔ ATTACHED');
    expect(stdout).not.toContain(PASSWORD);
  });

  it('prints one JSON object per line with --json, the last being the result', async () => {
    const { code, stdout } = await run([
      'try',
      inMemoryConfig('json.config.ts', { presentPassword: 'nope' }),
      '--json',
      '--timeout',
      '10',
    ]);
    expect(code).toBe(EXIT_CODES.authenticationFailed);
    const events = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string });
    expect(events[0]).toMatchObject({ event: 'start', worker: 'run-cli-worker', mode: 'attach' });
    expect(events.at(-1)).toMatchObject({
      event: 'result',
      outcome: 'authentication-failed',
      exitCode: 5,
      authenticated: false,
    });
    expect(stdout).not.toContain(PASSWORD);
  });

  it('creates a third-party provider named in a JSON config from the package next to it, with its settings', async () => {
    const project = join(directory, 'third-party');
    const packageDirectory = join(project, 'node_modules', 'acme-latentci-provider');
    mkdirSync(packageDirectory, { recursive: true });
    writeFileSync(
      join(packageDirectory, 'package.json'),
      JSON.stringify({ name: 'acme-latentci-provider', type: 'module', main: 'index.js' }),
    );
    writeFileSync(
      join(packageDirectory, 'index.js'),
      `export function createProvider(settings) {
  return {
    specificationVersion: 'v1',
    provider: 'acme',
    capabilities: { healthCheck: false, perBuildSettings: false, orphanReaping: false, startupLogs: false },
    async startInstance() {
      throw Object.assign(new Error('acme region ' + settings.region + ' has no capacity'), { code: 'CANNOT_SUBSTANTIATE' });
    },
    async stopInstance() {},
  };
}
`,
    );
    writeFileSync(
      join(project, 'worker.json'),
      JSON.stringify({
        provider: 'acme-latentci-provider',
        settings: { region: 'mars-1' },
        worker: { name: 'w', masterFQDN: '127.0.0.1:0' },
      }),
    );
    const { code, stdout } = await run(['try', join(project, 'worker.json'), '--json']);
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '')).toMatchObject({ outcome: 'backend-error', exitCode: 6 });
    expect(stdout).toContain('acme region mars-1 has no capacity');
    expect(code).toBe(EXIT_CODES.backendError);
    const listed = await run(['ls', join(project, 'worker.json')]);
    expect(listed.code).toBe(EXIT_CODES.configurationError);
    expect(listed.stderr).toContain('provider "acme-latentci-provider" cannot list or remove its instances');
  });

  it('reports a pool usage error on stderr with exit code 2, also as JSON', async () => {
    const human = await run(['pool', 'w.json', '--idle', '4', '--max', '2']);
    expect(human).toMatchObject({ code: EXIT_CODES.configurationError, stdout: '' });
    expect(human.stderr).toBe(
      'latentci usage: --idle (4) cannot exceed --max (2): the idle workers count toward max\n',
    );
    const json = await run(['pool', 'w.json', '--max', '1.5', '--json']);
    expect(json.code).toBe(EXIT_CODES.configurationError);
    expect(JSON.parse(json.stdout)).toMatchObject({ event: 'error', command: 'usage', code: 'CONFIGURATION_ERROR' });
  });

  it('runs a pool of a TS config for a duration, printing stats lines and the verdict', async () => {
    const { code, stdout } = await run([
      'pool',
      inMemoryConfig('pool.config.ts'),
      '--max',
      '1',
      '--duration',
      '1.5',
      '--load',
      '1',
      '--hold',
      '100',
    ]);
    expect(stdout).toContain('latentci pool: workers "run-cli-worker-1" with in-memory');
    expect(stdout).toMatch(/listening as the master on 127\.0\.0\.1:\d+/);
    expect(stdout).toContain('✓ run-cli-worker-1 attached');
    expect(stdout).toMatch(
      /idle \d · starting \d · leased \d · stopping \d · waiting \d · failures 0 · leases \d+ \(\d+ warm\)/,
    );
    expect(stdout).toContain('✔ pool closed');
    expect(stdout).not.toContain(PASSWORD);
    expect(code).toBe(EXIT_CODES.attached);
  });

  it('says ls and reap need a config or --provider with --master-id', async () => {
    const { code, stderr } = await run(['reap']);
    expect(code).toBe(2);
    expect(stderr).toContain('--provider <package> with --master-id <id>');
  });

  it('lists and reaps with a config whose provider can do it, and refuses one that cannot', async () => {
    const listed = await run(['ls', inMemoryConfig('ls.config.ts'), '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual({
      event: 'result',
      command: 'ls',
      provider: 'in-memory',
      masterId: 'run-cli-master',
      instances: [],
    });
    const reaped = await run(['reap', inMemoryConfig('reap.config.ts')]);
    expect(reaped).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('removed 0 instance(s) of master "run-cli-master"'),
    });
  });
});

describe('defect 9 (#23): what the CLI prints', () => {
  const dockerProvider = fileURLToPath(new URL('../../docker/src/index.ts', import.meta.url));

  it("the --settings example of the CLI's own message is accepted by the CLI", async () => {
    const refused = await run(['ls', '--provider', dockerProvider, '--master-id', 'x', '--settings', '[]']);
    const example = /e\.g\. (\{.*\})/.exec(refused.stderr)?.[1];
    expect(example).toBeDefined();
    const listed = await run([
      'ls',
      '--provider',
      dockerProvider,
      '--master-id',
      `latentci-nobody-${process.pid}`,
      '--settings',
      example ?? '',
    ]);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(EXIT_CODES.attached);
  });

  it('--observe with --keep is a usage error instead of dropping --keep', async () => {
    const { code, stderr } = await run(['try', 'x.json', '--observe', '127.0.0.1:0', '--keep']);
    expect(code).toBe(EXIT_CODES.configurationError);
    expect(stderr).toMatch(/--keep .* --observe .*drop one of them/);
  });

  it("reap --master-id '' is a usage error", async () => {
    for (const id of ['', '   ']) {
      const { code, stderr } = await run(['reap', '--provider', dockerProvider, '--master-id', id]);
      expect(code).toBe(EXIT_CODES.configurationError);
      expect(stderr).toMatch(/--master-id must not be empty/);
    }
  });

  it('a 20 MB name in an error message is cut, and errors go to stderr', async () => {
    const name = 'n'.repeat(20 * 1024 * 1024);
    writeFileSync(
      join(directory, 'huge.json'),
      JSON.stringify({ provider: '@latentci/docker', worker: { name, bad: 1 } }),
    );
    const { code, stdout, stderr } = await run(['try', 'huge.json']);
    expect(code).toBe(EXIT_CODES.configurationError);
    expect(stdout).toBe('');
    expect(stderr).toContain('CONFIGURATION ERROR');
    expect(stderr.length).toBeLessThan(20_000);
  });
});

describe('defect 10 (#23): reap --dry-run', () => {
  const dockerProvider = fileURLToPath(new URL('../../docker/src/index.ts', import.meta.url));

  it('prints what reap would remove and removes nothing', async () => {
    const docker = new Dockerode();
    const image = await importBusyboxImage({ docker });
    const masterId = `latentci-dry-run-${process.pid}`;
    const container = await docker.createContainer({
      Image: image,
      Cmd: ['true'],
      name: `latentci-dry-run-${process.pid}`,
      Labels: { 'io.latentci.managed': 'true', 'io.latentci.master': masterId, 'io.latentci.worker': 'w' },
    });
    try {
      const settings = JSON.stringify({ image });
      const dry = await run([
        'reap',
        '--provider',
        dockerProvider,
        '--settings',
        settings,
        '--master-id',
        masterId,
        '--dry-run',
      ]);
      expect(dry.code).toBe(EXIT_CODES.attached);
      expect(dry.stdout).toContain(`dry run: would remove 1 instance(s) of master "${masterId}"`);
      expect(dry.stdout).toContain(`would remove latentci-dry-run-${process.pid}`);
      expect((await container.inspect()).Id).toBe(container.id);
      const reaped = await run(['reap', '--provider', dockerProvider, '--settings', settings, '--master-id', masterId]);
      expect(reaped.stdout).toContain('removed 1 instance(s)');
      await expect(container.inspect()).rejects.toMatchObject({ statusCode: 404 });
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  });
});
