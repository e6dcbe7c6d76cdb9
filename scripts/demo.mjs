#!/usr/bin/env node
// `pnpm demo`: the newcomer's first command. Makes sure the probe worker image exists, runs
// `latentci try` on the quick-start config against the local Docker engine, and shows that the
// worker attached and nothing was left running. Without a reachable Docker engine it says how to
// get one and runs the same try on the in-memory reference provider instead.
//
// Runs the built packages (`pnpm build` first; the quick start does it).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureSupportedNode } from './supported-node.mjs';

ensureSupportedNode(fileURLToPath(import.meta.url));

const environment = process.env;
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = `${root}packages/cli/dist/bin.js`;
const config = `${root}examples/quickstart/latentci.config.json`;
const built = {
  cli: `${root}packages/cli/dist/index.js`,
  coreTesting: `${root}packages/core/dist/testing.js`,
  testKit: `${root}packages/test-kit/dist/index.js`,
  docker: `${root}packages/docker/dist/index.js`,
};

const bold = (text) => (process.stdout.isTTY && !environment.NO_COLOR ? `\x1b[1m${text}\x1b[0m` : text);
const say = (text = '') => console.log(text);

const missing = [bin, ...Object.values(built)].filter((file) => !existsSync(file));
if (missing.length > 0) {
  console.error(
    `demo: the packages are not built (${missing.map((file) => file.slice(root.length)).join(', ')} missing).`,
  );
  console.error(
    'demo: run `pnpm build` first (the quick start, `bash scripts/quickstart.sh`, does it), then `pnpm demo`.',
  );
  process.exit(1);
}

/** Pings the Docker engine at DOCKER_HOST (unix socket or tcp) or the default socket. */
function pingDocker() {
  const host = environment.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  let target;
  if (host.startsWith('unix://')) target = { socketPath: host.slice('unix://'.length) };
  else if (host.startsWith('tcp://') && !environment.DOCKER_TLS_VERIFY) {
    const url = new URL(host.replace(/^tcp:/, 'http:'));
    target = { host: url.hostname, port: Number(url.port || 2375) };
  } else return Promise.resolve({ ok: true, where: host }); // TLS engines: let the provider connect.
  return new Promise((resolve) => {
    const req = request({ ...target, path: '/_ping', timeout: 3000 }, (response) => {
      response.resume();
      resolve({ ok: response.statusCode === 200, where: host, why: `answered HTTP ${response.statusCode}` });
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 3 s')));
    req.on('error', (error) => resolve({ ok: false, where: host, why: error.message }));
    req.end();
  });
}

async function dockerDemo() {
  const { ensureProbeImage } = await import(pathToFileURL(built.testKit).href);
  say(bold('1. The probe worker image'));
  const image = await ensureProbeImage();
  say(`   ${image} is on the engine (a tiny busybox worker that connects back like buildbot-worker)`);
  const configured = JSON.parse(readFileSync(config, 'utf8')).settings?.image;
  if (configured !== image)
    say(`   note: the quick-start config asks for ${configured}; update its "image" to ${image}`);
  say();
  say(bold('2. latentci try examples/quickstart/latentci.config.json'));
  say('   (on a free port of 172.17.0.1, so a master already using 9989 is not disturbed)');
  say();
  const result = spawnSync(process.execPath, [bin, 'try', config, '--master', '172.17.0.1:0', '--timeout', '60'], {
    stdio: 'inherit',
    cwd: root,
  });
  const code = result.status ?? 1;
  if (result.signal || code === 130) {
    say('demo: interrupted; latentci removed what it had started.');
    process.exit(130);
  }
  say();
  say(bold('3. Nothing left running'));
  const listed = spawnSync(process.execPath, [bin, 'ls', config, '--json'], { cwd: root, encoding: 'utf8' });
  const instances = listed.status === 0 ? JSON.parse(listed.stdout).instances : undefined;
  say(
    instances === undefined
      ? `   could not list instances: ${listed.stdout}${listed.stderr}`
      : `   latentci ls: ${instances.length} instance(s) of master "latentci-quickstart"`,
  );
  return code === 0 && instances?.length === 0 ? 0 : code || 1;
}

async function inMemoryDemo() {
  const { createHumanReporter, simulateInMemoryWorkers, tryWorker } = await import(pathToFileURL(built.cli).href);
  const { createInMemoryProvider } = await import(pathToFileURL(built.coreTesting).href);
  const provider = createInMemoryProvider({ startupLogs: ['in-memory instance booting'] });
  simulateInMemoryWorkers(provider);
  say(bold('latentci try, on the in-memory reference provider (@latentci/core/testing)'));
  say();
  const result = await tryWorker(
    {
      provider,
      worker: { name: 'quickstart-worker', masterId: 'latentci-quickstart', checkInstanceInterval: 1 },
    },
    {
      master: '127.0.0.1:0',
      timeoutSeconds: 30,
      signal: interrupt.signal,
      onEvent: createHumanReporter({ write: (text) => process.stdout.write(text), tty: process.stdout.isTTY === true }),
    },
  );
  say();
  say(bold('Nothing left running'));
  say(`   ${provider.liveInstances.length} in-memory instance(s) left`);
  return result.exitCode === 0 && provider.liveInstances.length === 0 ? 0 : result.exitCode || 1;
}

// Ctrl-C: the CLI (same process group) removes what it started and exits 130; the demo waits for it.
const interrupt = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => interrupt.abort(new Error(signal)));

say(bold('latentci demo: does a latent worker start, connect to its master, and go away cleanly?'));
say();
const engine = await pingDocker();
// The CLI acts as the master on the bridge gateway, where containers reach the host. An engine in a
// VM (Docker Desktop, Colima) or without its default bridge has no such address on this machine.
const gateway = '172.17.0.1';
// (Tried by listening there: os.networkInterfaces() omits a bridge without containers, as it is down.)
const gatewayIsLocal = await new Promise((resolve) => {
  const probe = createServer();
  probe.once('error', () => resolve(false));
  probe.listen({ host: gateway, port: 0 }, () => probe.close(() => resolve(true)));
});
let code;
if (engine.ok && !gatewayIsLocal) {
  say(`The Docker engine at ${engine.where} answers, but ${gateway} (its default bridge gateway, where containers`);
  say('reach the host) is not an address of this machine: the engine runs in a VM, or its bridge network is down.');
  say('Run the demo on a Linux host with the engine started by `bash scripts/docker-engine.sh start`.');
  say('Meanwhile, here is the same try on the in-memory provider:');
  say();
  code = await inMemoryDemo();
} else if (engine.ok) {
  say(`Docker engine: ${engine.where}`);
  say();
  code = await dockerDemo();
} else {
  say(`No Docker engine answers at ${engine.where} (${engine.why}).`);
  say('To run the demo on real containers, get one with:');
  say('    bash scripts/docker-engine.sh start     # installs and starts dockerd on Debian/Ubuntu (as root)');
  say('or start Docker Desktop / Colima / OrbStack, then run `pnpm demo` again.');
  say('Meanwhile, here is the same try on the in-memory provider:');
  say();
  code = await inMemoryDemo();
}
say();
if (code === 0) {
  say(bold('✔ Success: the worker started, connected to the master with its credentials, and was removed.'));
  say('  Next: point examples/quickstart/latentci.config.json at your own image and run');
  say('        node packages/cli/dist/bin.js try examples/quickstart/latentci.config.json');
  say('  or see the lifecycle from code: examples/quickstart/lifecycle.ts');
} else {
  say(`✘ The demo did not succeed (exit code ${code}): the diagnosis above says why.`);
}
process.exit(code);
