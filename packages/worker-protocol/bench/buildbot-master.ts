import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

async function waitForPort(port: number, timeoutMs: number, log: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline)
      throw new Error(`the Buildbot master did not listen on ${port}:\n${(await log()).slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export interface BuildbotMaster {
  readonly port: number;
  log(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The real Buildbot 3.7 master (Debian's), configured with one worker and one builder whose steps
 * are `noopSteps` × `true` then one command streaming `streamBytes` of base64; a Periodic scheduler
 * starts the build as soon as the worker attaches.
 */
export async function startBuildbotMaster(options: {
  worker: string;
  password: string;
  noopSteps: number;
  streamBytes: number;
}): Promise<BuildbotMaster> {
  const basedir = await mkdtemp(join(tmpdir(), 'latentci-bbm-'));
  const port = await freePort();
  const environment = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: basedir, LANG: 'C.UTF-8' };
  await run('buildbot', ['create-master', '-r', '-q', basedir], { env: environment });
  await writeFile(
    join(basedir, 'master.cfg'),
    `from buildbot.plugins import worker, util, steps, schedulers
c = BuildmasterConfig = {}
c['buildbotNetUsageData'] = None
c['title'] = 'latentci-bench'
c['buildbotURL'] = 'http://127.0.0.1:8010/'
c['db'] = {'db_url': 'sqlite:///state.sqlite'}
c['workers'] = [worker.Worker(${JSON.stringify(options.worker)}, ${JSON.stringify(options.password)}, max_builds=1)]
c['protocols'] = {'pb': {'port': 'tcp:${port}:interface=127.0.0.1'}}
factory = util.BuildFactory([steps.ShellCommand(name='noop%d' % i, command=['true']) for i in range(${options.noopSteps})])
factory.addStep(steps.ShellCommand(name='stream', command='head -c ${options.streamBytes} /dev/zero | base64'))
c['builders'] = [util.BuilderConfig(name='bench', workernames=[${JSON.stringify(options.worker)}], factory=factory)]
c['schedulers'] = [schedulers.Periodic(name='once', builderNames=['bench'], periodicBuildTimer=24 * 3600)]
`,
  );
  const child = spawn('twistd3', ['--nodaemon', '--no_save', '--pidfile=', '-y', 'buildbot.tac'], {
    cwd: basedir,
    env: environment,
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = () => readFile(join(basedir, 'twistd.log'), 'utf8').catch(() => '');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGTERM');
      const killer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    await rm(basedir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, 60_000, log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, log, stop };
}
