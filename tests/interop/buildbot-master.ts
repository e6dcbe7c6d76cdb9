import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** Where containers reach the host (the default Docker bridge). */
export const DOCKER_BRIDGE_HOST = '172.17.0.1';

export interface BuildbotMasterOptions {
  /** Workers the master knows, with their passwords. */
  readonly workers: Readonly<Record<string, string>>;
  /** One builder per entry: its name, its worker and the shell command of its one step. */
  readonly builders: readonly { name: string; worker: string; command: string }[];
}

export interface BuildbotMaster {
  /** The basedir (a temp dir, removed by `stop()`). */
  readonly basedir: string;
  /** PID of the master's twistd3 process. */
  readonly pid: number;
  /** The PB worker port, on 172.17.0.1. */
  readonly pbPort: number;
  /** `http://127.0.0.1:<port>/api/v2`. */
  readonly api: string;
  get<T>(path: string): Promise<T>;
  /** Forces a build of `builder` through its ForceScheduler (JSON-RPC), resolving to the build once it completed. */
  forceBuild(builder: string, options?: { timeoutMs?: number }): Promise<BuildbotBuild>;
  /** Stops the master (SIGTERM, then SIGKILL after 20 s) and removes its basedir. */
  stop(): Promise<void>;
}

export interface BuildbotWorkerResource {
  readonly name: string;
  readonly connected_to: readonly { masterid: number }[];
  readonly workerinfo: Readonly<Record<string, unknown>>;
}

export interface BuildbotBuild {
  readonly buildid: number;
  readonly complete: boolean;
  readonly results: number | null;
  readonly state_string: string;
  readonly workerid: number;
}

/**
 * Starts a real Buildbot master (Debian's `buildbot` 3.7: `buildbot create-master`, then
 * `twistd3 --nodaemon -y buildbot.tac`) with plain workers, a ForceScheduler per builder, its PB
 * port on 172.17.0.1 and its REST API on 127.0.0.1. Debian ships no `buildbot-www` (the web UI's
 * static files) and the www service refuses to start without a `base` plugin, so the master gets
 * an empty one: the REST API it serves is Buildbot's own.
 */
export async function startBuildbotMaster(options: BuildbotMasterOptions): Promise<BuildbotMaster> {
  const basedir = await mkdtemp(join(tmpdir(), 'latentci-buildbot-master-'));
  let child: ChildProcess | undefined;
  try {
    await promisify(execFile)('/usr/bin/buildbot', ['create-master', '-q', '-r', basedir], { timeout: 120_000 });
    await writeRestOnlyWwwPlugin(join(basedir, 'site'));
    const pbPort = await freePort(DOCKER_BRIDGE_HOST);
    const wwwPort = await freePort('127.0.0.1');
    await writeFile(join(basedir, 'master.cfg'), masterConfig(options, pbPort, wwwPort));
    child = spawn('/usr/bin/twistd3', ['--nodaemon', '--pidfile=', '-y', 'buildbot.tac'], {
      cwd: basedir,
      env: { ...process.env, PYTHONPATH: join(basedir, 'site') },
      stdio: 'ignore',
    });
    const exited = once(child, 'exit');
    const api = `http://127.0.0.1:${wwwPort}/api/v2`;
    const master = createHandle(basedir, child, exited, pbPort, api);
    await waitFor(
      async () => {
        if (child?.exitCode !== null) throw new Error(`the master exited:\n${await logTail(basedir)}`);
        return master.get('/workers').then(
          () => true,
          () => false,
        );
      },
      60_000,
      async () => `the master did not serve ${api} within 60 s:\n${await logTail(basedir)}`,
    );
    return master;
  } catch (error) {
    child?.kill('SIGKILL');
    await rm(basedir, { recursive: true, force: true });
    throw error;
  }
}

function createHandle(
  basedir: string,
  child: ChildProcess,
  exited: Promise<unknown>,
  pbPort: number,
  api: string,
): BuildbotMaster {
  async function get<T>(path: string): Promise<T> {
    const response = await fetch(`${api}${path}`);
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }
  return {
    basedir,
    pid: child.pid ?? -1,
    pbPort,
    api,
    get,
    async forceBuild(builder, { timeoutMs = 120_000 } = {}) {
      const { builders } = await get<{ builders: { builderid: number }[] }>(`/builders?name=${builder}`);
      const builderid = builders[0]?.builderid;
      if (builderid === undefined) throw new Error(`the master has no builder ${builder}`);
      const response = await fetch(`${api}/forceschedulers/force-${builder}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'force', params: { builderid } }),
      });
      const answer = (await response.json()) as { result?: [number, Record<string, number>]; error?: unknown };
      if (!answer.result) throw new Error(`forcing ${builder} failed: ${JSON.stringify(answer.error)}`);
      const requestId = Object.values(answer.result[1])[0];
      let build: BuildbotBuild | undefined;
      await waitFor(
        async () => {
          const { builds } = await get<{ builds: BuildbotBuild[] }>(`/buildrequests/${requestId}/builds`);
          build = builds.find((candidate) => candidate.complete);
          return build !== undefined;
        },
        timeoutMs,
        async () => `build request ${requestId} of ${builder} did not complete within ${timeoutMs} ms`,
      );
      return build as BuildbotBuild;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(basedir, { recursive: true, force: true });
    },
  };
}

function masterConfig(options: BuildbotMasterOptions, pbPort: number, wwwPort: number): string {
  const py = (value: string) => JSON.stringify(value);
  const workers = Object.entries(options.workers)
    .map(([name, password]) => `worker.Worker(${py(name)}, ${py(password)})`)
    .join(', ');
  const builders = options.builders
    .map(
      ({ name, worker, command }) =>
        `util.BuilderConfig(name=${py(name)}, workernames=[${py(worker)}], factory=util.BuildFactory([steps.ShellCommand(name="run", command=["sh", "-c", ${py(command)}])]))`,
    )
    .join(',\n    ');
  const schedulers = options.builders
    .map(({ name }) => `schedulers.ForceScheduler(name=${py(`force-${name}`)}, builderNames=[${py(name)}])`)
    .join(', ');
  return `from buildbot.plugins import schedulers, steps, util, worker
c = BuildmasterConfig = {}
c["title"] = "latentci interop"
c["workers"] = [${workers}]
c["protocols"] = {"pb": {"port": "tcp:${pbPort}:interface=${DOCKER_BRIDGE_HOST}"}}
c["builders"] = [
    ${builders}
]
c["schedulers"] = [${schedulers}]
c["buildbotURL"] = "http://127.0.0.1:${wwwPort}/"
c["www"] = {"port": "tcp:${wwwPort}:interface=127.0.0.1", "plugins": {}}
c["db"] = {"db_url": "sqlite:///state.sqlite"}
c["buildbotNetUsageData"] = None
`;
}

/** An empty `base` www plugin (an entry point of the `buildbot.www` group) standing in for buildbot-www's UI files. */
async function writeRestOnlyWwwPlugin(site: string): Promise<void> {
  const pkg = join(site, 'latentci_rest_only_www');
  const distInfo = join(site, 'latentci_rest_only_www-0.dist-info');
  await mkdir(join(pkg, 'static'), { recursive: true });
  await mkdir(distInfo, { recursive: true });
  await writeFile(
    join(pkg, '__init__.py'),
    'from buildbot.www.plugin import Application\nep = Application(__name__, "REST API only")\n',
  );
  await writeFile(join(pkg, 'VERSION'), '0\n');
  await writeFile(join(distInfo, 'METADATA'), 'Metadata-Version: 2.1\nName: latentci-rest-only-www\nVersion: 0\n');
  await writeFile(join(distInfo, 'entry_points.txt'), '[buildbot.www]\nbase = latentci_rest_only_www:ep\n');
}

async function freePort(host: string): Promise<number> {
  const server = createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

async function logTail(basedir: string): Promise<string> {
  const log = await readFile(join(basedir, 'twistd.log'), 'utf8').catch(() => '(no twistd.log)');
  return log.split('\n').slice(-30).join('\n');
}

/** Polls `check` every 250 ms until it returns true; throws `describe()` after `timeoutMs`. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  describe: () => Promise<string>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(await describe());
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
