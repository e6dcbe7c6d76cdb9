import { type ChildProcess, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import {
  CannotSubstantiateError,
  ConfigurationError,
  FailedToSubstantiateError,
  type InstanceHandle,
  type InstanceHealth,
  type Logger,
  type OrphanInstance,
  OWNER_LABELS,
  type OwnerFilter,
  type Properties,
  type ProviderCapabilities,
  type ProviderV1,
  type ReapResult,
  render,
  type SignalOptions,
  type StartInstanceRequest,
  type StopOptions,
  type StopTarget,
  silentLogger,
} from '@latentci/core';
import { listProcesses, processGroupAlive, readEnvironment, readProcess } from './process-table.js';

/** Settings of the child-process provider. */
export interface ChildProcessProviderSettings {
  /** The worker command and its arguments, e.g. `['buildbot-worker', 'start', '--nodaemon', dir]`. */
  readonly command: readonly string[];
  /**
   * Extra environment for the worker. Values may be renderables (`Interpolate`, `Property`…):
   * they are rendered with the build's properties (per-build settings). The contract's five
   * variables always win over these.
   */
  readonly environment?: Readonly<Record<string, unknown>>;
  /** Working directory of the worker. Default: the system temp directory. */
  readonly cwd?: string;
  /** Seconds a worker gets to exit after SIGTERM before SIGKILL. Default 5. */
  readonly stopTimeout?: number;
  /** Where the provider logs. Never receives the worker password. */
  readonly logger?: Logger;
}

/** A running worker process (the leader of its own process group). */
export interface ChildProcessInstance extends InstanceHandle {
  readonly id: string;
  readonly name: string;
  readonly pid: number;
  /** From `/proc/<pid>/stat`: guards against a reused pid. */
  readonly startTime: number;
}

/**
 * The owner labels, carried as environment variables of the worker process (a process has no
 * labels): every process it spawns inherits them, so a restarted master finds them in `/proc`.
 */
export const LABEL_VARIABLES = {
  [OWNER_LABELS.managed]: 'LATENTCI_MANAGED',
  [OWNER_LABELS.master]: 'LATENTCI_MASTER',
  [OWNER_LABELS.worker]: 'LATENTCI_WORKER',
} as const;
/** The instance name, as an environment variable of the worker process. */
export const INSTANCE_VARIABLE = 'LATENTCI_INSTANCE';

/** A process group labelled as a latentci worker, as `/proc` shows it. */
export interface WorkerProcessGroup {
  readonly processGroup: number;
  readonly instanceName: string;
  readonly masterId: string;
  readonly workerName: string;
  /** The environment of one of its processes (contains `WORKERPASS`: a secret). */
  readonly environment: Readonly<Record<string, string>>;
}

/** Every live process group labelled as owned by `owner`, read from `/proc` (Linux). */
export async function listWorkerProcessGroups(owner: OwnerFilter): Promise<WorkerProcessGroup[]> {
  const groups = new Map<number, WorkerProcessGroup>();
  for (const entry of await listProcesses()) {
    if (groups.has(entry.processGroup)) continue;
    const environment = await readEnvironment(entry.pid);
    if (environment.LATENTCI_MANAGED !== 'true' || environment.LATENTCI_MASTER !== owner.masterId) continue;
    if (owner.workerName !== undefined && environment.LATENTCI_WORKER !== owner.workerName) continue;
    groups.set(entry.processGroup, {
      processGroup: entry.processGroup,
      instanceName: environment[INSTANCE_VARIABLE] ?? '',
      masterId: owner.masterId,
      workerName: environment.LATENTCI_WORKER ?? '',
      environment,
    });
  }
  return [...groups.values()];
}

interface Child {
  readonly process: ChildProcess;
  readonly output: string[];
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly closed: Promise<void>;
}

const OUTPUT_LINES_KEPT = 100;

/**
 * A latentci provider that runs each worker as a local child process: the smallest real backend.
 * Linux only (it reads `/proc` to find orphans).
 */
export class ChildProcessProvider implements ProviderV1<ChildProcessInstance> {
  readonly specificationVersion = 'v1' as const;
  readonly provider = 'child-process';
  readonly capabilities: ProviderCapabilities = {
    healthCheck: true,
    perBuildSettings: true,
    orphanReaping: true,
    startupLogs: true,
  };

  readonly #settings: ChildProcessProviderSettings;
  readonly #logger: Logger;
  readonly #children = new Map<number, Child>();

  constructor(settings: ChildProcessProviderSettings) {
    if (
      !Array.isArray(settings.command) ||
      settings.command.length === 0 ||
      settings.command.some((part) => typeof part !== 'string')
    ) {
      throw new ConfigurationError(
        'command must be a non-empty array of strings: the worker executable and its arguments',
      );
    }
    if (settings.stopTimeout !== undefined && !(settings.stopTimeout >= 0)) {
      throw new ConfigurationError(`stopTimeout must be a number of seconds >= 0, got ${String(settings.stopTimeout)}`);
    }
    this.#settings = settings;
    this.#logger = settings.logger ?? silentLogger;
  }

  async renderStartSettings(properties: Properties): Promise<unknown> {
    const environment: Record<string, string> = {};
    for (const [key, value] of Object.entries(this.#settings.environment ?? {})) {
      environment[key] = String(await render(value, properties));
    }
    return { command: [...this.#settings.command], environment };
  }

  async startInstance(request: StartInstanceRequest, { signal }: SignalOptions): Promise<ChildProcessInstance> {
    signal.throwIfAborted();
    // Like Buildbot's Docker worker: a leftover with the same name (a crashed master's) goes first.
    await this.#stopGroups(await this.#groupsNamed(request.instanceName), true);
    const { environment: extra } = (await this.renderStartSettings(request.properties)) as {
      environment: Record<string, string>;
    };
    signal.throwIfAborted();

    const [executable, ...args] = this.#settings.command as [string, ...string[]];
    const child = spawn(executable, args, {
      cwd: this.#settings.cwd ?? tmpdir(),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
        ...extra,
        ...request.environment,
        [LABEL_VARIABLES[OWNER_LABELS.managed]]: request.labels[OWNER_LABELS.managed] ?? 'true',
        [LABEL_VARIABLES[OWNER_LABELS.master]]: request.owner.masterId,
        [LABEL_VARIABLES[OWNER_LABELS.worker]]: request.owner.workerName,
        [INSTANCE_VARIABLE]: request.instanceName,
      },
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const message = `worker ${request.workerName}: cannot run ${executable}: ${code ?? (error as Error).message}`;
      throw code === 'ENOENT' || code === 'EACCES'
        ? new CannotSubstantiateError(message, { cause: error })
        : new FailedToSubstantiateError(message, { cause: error });
    }
    const pid = child.pid as number;
    this.#track(child, request);
    this.#logger.log('info', `started worker ${request.workerName} as process ${pid}`, {
      instanceName: request.instanceName,
    });
    const table = await readProcess(pid);
    const instance: ChildProcessInstance = {
      id: String(pid),
      name: request.instanceName,
      pid,
      startTime: table?.startTime ?? 0,
    };
    if (signal.aborted) {
      await this.#stopGroups([pid], true);
      throw signal.reason;
    }
    return instance;
  }

  async stopInstance(target: StopTarget<ChildProcessInstance>, { fast }: StopOptions): Promise<void> {
    const groups = new Set(await this.#groupsNamed(target.request.instanceName));
    const instance = target.instance;
    if (instance) {
      const current = await readProcess(instance.pid);
      if (current === undefined || current.startTime === instance.startTime) groups.add(instance.pid);
    }
    await this.#stopGroups([...groups], fast);
    this.#logger.log('info', `stopped worker ${target.request.workerName}`, {
      instanceName: target.request.instanceName,
    });
  }

  async checkInstance(instance: ChildProcessInstance): Promise<InstanceHealth> {
    const child = this.#children.get(instance.pid);
    if (child?.exit) {
      // The output pipes close after the exit; wait for them (bounded: a grandchild may hold them
      // open) so the message carries the last lines. 200 ms was too short on a loaded machine.
      await Promise.race([child.closed, sleep(5_000)]);
      const how = child.exit.signal ? `was killed by ${child.exit.signal}` : `exited with code ${child.exit.code}`;
      return {
        healthy: false,
        message: `worker process ${instance.pid} ${how}; its last output:\n${child.output.join('\n')}`,
      };
    }
    const current = await readProcess(instance.pid);
    if (current === undefined || current.startTime !== instance.startTime) {
      return { healthy: false, message: `worker process ${instance.pid} is gone` };
    }
    return { healthy: true };
  }

  async listOrphans(owner: OwnerFilter): Promise<readonly OrphanInstance[]> {
    return (await listWorkerProcessGroups(owner)).map((group) => ({
      id: String(group.processGroup),
      name: group.instanceName,
      masterId: group.masterId,
      workerName: group.workerName,
      state: 'running',
    }));
  }

  async reapOrphans(owner: OwnerFilter): Promise<ReapResult> {
    const orphans = await this.listOrphans(owner);
    const removed: OrphanInstance[] = [];
    const failed: { instance: OrphanInstance; message: string }[] = [];
    for (const orphan of orphans) {
      try {
        await this.#stopGroups([Number(orphan.id)], false);
        removed.push(orphan);
      } catch (error) {
        failed.push({ instance: orphan, message: (error as Error).message });
      }
    }
    return { removed, failed };
  }

  #track(process: ChildProcess, request: StartInstanceRequest): Child {
    let markClosed!: () => void;
    const entry: Child = {
      process,
      output: [],
      exit: undefined,
      closed: new Promise((resolve) => {
        markClosed = resolve;
      }),
    };
    const pid = process.pid as number;
    this.#children.set(pid, entry);
    for (const [stream, source] of [
      ['stdout', process.stdout],
      ['stderr', process.stderr],
    ] as const) {
      let partial = '';
      source?.setEncoding('utf8');
      source?.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          entry.output.push(line);
          if (entry.output.length > OUTPUT_LINES_KEPT) entry.output.shift();
          if (entry.exit === undefined) request.events.log(line, stream);
        }
      });
    }
    process.once('exit', (code, signal) => {
      entry.exit = { code, signal };
    });
    process.once('close', () => markClosed());
    return entry;
  }

  async #groupsNamed(instanceName: string): Promise<number[]> {
    const groups: number[] = [];
    for (const entry of await listProcesses()) {
      if (groups.includes(entry.processGroup)) continue;
      if ((await readEnvironment(entry.pid))[INSTANCE_VARIABLE] === instanceName) groups.push(entry.processGroup);
    }
    return groups;
  }

  /** SIGTERM each process group (SIGKILL when `fast`), wait for it to go, SIGKILL what stays. */
  async #stopGroups(groups: readonly number[], fast: boolean): Promise<void> {
    const timeout = (this.#settings.stopTimeout ?? 5) * 1000;
    await Promise.all(
      groups.map(async (group) => {
        signalGroup(group, fast ? 'SIGKILL' : 'SIGTERM');
        if (!(await waitUntilGone(group, fast ? 2000 : timeout))) {
          signalGroup(group, 'SIGKILL');
          if (!(await waitUntilGone(group, 2000))) {
            throw new Error(`process group ${group} did not exit after SIGKILL`);
          }
        }
        this.#children.delete(group);
      }),
    );
  }
}

/** Creates the child-process provider. */
export function createChildProcessProvider(settings: ChildProcessProviderSettings): ChildProcessProvider {
  return new ChildProcessProvider(settings);
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function waitUntilGone(group: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!(await processGroupAlive(group))) return true;
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
