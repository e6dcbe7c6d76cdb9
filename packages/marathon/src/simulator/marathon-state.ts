import { randomUUID } from 'node:crypto';
import { canonicalAppId } from '../app-id.js';
import type {
  DeploymentAction,
  MarathonApp,
  MarathonDeployment,
  MarathonErrorBody,
  MarathonTask,
  MarathonTaskFailure,
  TaskState,
} from './marathon-types.js';
import { normalizeApp } from './normalize-app.js';
import { type SimulatorRuntime, type TaskExit, TaskLaunchError } from './runtime.js';

/** An answer of the state machine, turned into an HTTP response by the server. */
export interface StateAnswer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface MarathonStateOptions {
  readonly runtime: SimulatorRuntime;
  /** Shortest time a deployment stays in `/v2/deployments`, in ms. */
  readonly deploymentDuration: number;
  /** `--max_running_deployments`; beyond it a change gets 403. */
  readonly maxRunningDeployments: number;
  /** Message with which every task launch fails, or undefined to launch normally. */
  readonly failTask: (app: MarathonApp) => string | undefined;
}

interface TaskRecord {
  task: MarathonTask;
}

interface AppRecord {
  app: MarathonApp;
  tasks: Map<string, TaskRecord>;
  lastTaskFailure?: MarathonTaskFailure;
  failures: number;
  relaunch?: NodeJS.Timeout;
  removed: boolean;
}

interface DeploymentRecord {
  deployment: MarathonDeployment;
  appId: string;
  action: DeploymentAction;
  minimumElapsed: boolean;
  timer: NodeJS.Timeout;
  /** For a stop: resolves when the tasks are killed. */
  stopped: boolean;
}

const TERMINAL_STATES: readonly TaskState[] = [
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_ERROR',
  'TASK_LOST',
];

/**
 * Marathon's apps, tasks and deployments in memory, with Marathon's semantics:
 * changes create deployments that last at least `deploymentDuration` (a start one until its tasks
 * run), a change touching an app with a running deployment gets 409 AppLocked unless forced,
 * `DELETE` removes the app at once and kills its tasks in a StopApplication deployment, failed
 * tasks are recorded as `lastTaskFailure` and relaunched with the app's backoff.
 */
export class MarathonState {
  readonly #options: MarathonStateOptions;
  readonly #apps = new Map<string, AppRecord>();
  readonly #deployments = new Map<string, DeploymentRecord>();
  readonly #pending = new Set<Promise<unknown>>();
  #closed = false;

  constructor(options: MarathonStateOptions) {
    this.#options = options;
  }

  /** Every app, normalised, with its tasks. */
  apps(): (MarathonApp & { tasks: MarathonTask[] })[] {
    return [...this.#apps.values()].map((record) => ({
      ...structuredClone(record.app),
      tasks: structuredClone(this.#liveTasks(record)),
    }));
  }

  createApp(body: unknown, force: boolean): StateAnswer {
    const version = timestamp();
    const normalized = normalizeApp(body, version);
    if (!normalized.ok) return { status: normalized.rejection.status, body: normalized.rejection.body };
    const app = normalized.app;
    if (this.#apps.has(app.id)) return error(409, `An app with id [${app.id}] already exists.`);
    const locked = this.#lockedBy(app.id, force);
    if (locked) return locked;
    const tooMany = this.#tooManyDeployments();
    if (tooMany) return tooMany;
    const record: AppRecord = { app, tasks: new Map(), failures: 0, removed: false };
    this.#apps.set(app.id, record);
    const deployment = this.#startDeployment(app.id, 'StartApplication', version);
    for (let index = 0; index < app.instances; index += 1) this.#launchTask(record);
    return {
      status: 201,
      headers: { Location: app.id, 'Marathon-Deployment-Id': deployment.id },
      body: {
        ...this.#appInfo(record),
        tasks: undefined,
        lastTaskFailure: undefined,
        deployments: [{ id: deployment.id }],
      },
    };
  }

  deleteApp(rawId: string, force: boolean): StateAnswer {
    const id = canonicalAppId(rawId);
    const record = this.#apps.get(id);
    if (!record) return error(404, `App '${id}' does not exist`);
    const locked = this.#lockedBy(id, force);
    if (locked) return locked;
    const version = timestamp();
    this.#apps.delete(id);
    record.removed = true;
    clearTimeout(record.relaunch);
    const deployment = this.#startDeployment(id, 'StopApplication', version);
    const deploymentRecord = this.#deployments.get(deployment.id);
    const kills = [...record.tasks.keys()].map((taskId) => this.#options.runtime.kill(taskId).catch(() => undefined));
    this.#track(
      Promise.all(kills).then(() => {
        if (deploymentRecord) {
          deploymentRecord.stopped = true;
          this.#maybeFinish(deploymentRecord);
        }
      }),
    );
    return {
      status: 200,
      headers: { 'Marathon-Deployment-Id': deployment.id },
      body: { version, deploymentId: deployment.id },
    };
  }

  getApp(rawId: string): StateAnswer {
    const id = canonicalAppId(rawId);
    const record = this.#apps.get(id);
    if (!record) return error(404, `App '${id}' does not exist`);
    return { status: 200, body: { app: this.#appInfo(record) } };
  }

  /** `GET /v2/apps`, with the `id` (case-insensitive contains) and `label` (`k`, `k==v`, `k!=v`) filters. */
  listApps(filters: { id?: string; label?: string; embedTasks: boolean; group?: string }): StateAnswer {
    const selectors = filters.label ? parseLabelSelector(filters.label) : [];
    if (selectors === undefined) return error(400, `Invalid label selector: ${filters.label}`);
    const apps = [...this.#apps.values()]
      .filter((record) => !filters.id || record.app.id.toLowerCase().includes(filters.id.toLowerCase()))
      .filter((record) => !filters.group || record.app.id.startsWith(`${filters.group}/`))
      .filter((record) => selectors.every((selector) => selector(record.app.labels)))
      .map((record) => {
        const info = this.#appInfo(record);
        return filters.embedTasks ? info : { ...info, tasks: undefined, lastTaskFailure: undefined };
      });
    return { status: 200, body: filters.group ? { '*': apps } : { apps } };
  }

  getTasks(rawId: string): StateAnswer {
    const id = canonicalAppId(rawId);
    const record = this.#apps.get(id);
    if (!record) return error(404, `App '${id}' does not exist`);
    return { status: 200, body: { tasks: this.#liveTasks(record) } };
  }

  listDeployments(): StateAnswer {
    return { status: 200, body: [...this.#deployments.values()].map((record) => structuredClone(record.deployment)) };
  }

  deleteDeployment(id: string, force: boolean): StateAnswer {
    const record = this.#deployments.get(id);
    if (!record) return error(404, `DeploymentPlan ${id} does not exist`);
    this.#finish(record);
    if (force) return { status: 202 };
    // Without force Marathon starts a rollback deployment; the simulator rolls back instantly.
    const version = timestamp();
    return {
      status: 200,
      headers: { 'Marathon-Deployment-Id': randomUUID() },
      body: { deploymentId: randomUUID(), version },
    };
  }

  /** Stops relaunches and timers, kills every task; resolves when the runtime is done. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const record of this.#deployments.values()) clearTimeout(record.timer);
    this.#deployments.clear();
    const kills: Promise<unknown>[] = [];
    for (const record of this.#apps.values()) {
      clearTimeout(record.relaunch);
      record.removed = true;
      for (const taskId of record.tasks.keys()) kills.push(this.#options.runtime.kill(taskId).catch(() => undefined));
    }
    this.#apps.clear();
    await Promise.all([...kills, ...this.#pending]);
  }

  #appInfo(record: AppRecord): Record<string, unknown> {
    const tasks = this.#liveTasks(record);
    const running = tasks.filter((task) => task.state === 'TASK_RUNNING').length;
    const staged = tasks.filter((task) => task.state === 'TASK_STAGING' || task.state === 'TASK_STARTING').length;
    const deployments = [...this.#deployments.values()]
      .filter((deployment) => deployment.appId === record.app.id)
      .map((deployment) => ({ id: deployment.deployment.id }));
    // Not cloned: answers are serialised at once; apps() clones what it hands out.
    return {
      ...record.app,
      versionInfo: { lastScalingAt: record.app.version, lastConfigChangeAt: record.app.version },
      tasksStaged: staged,
      tasksRunning: running,
      tasksHealthy: 0,
      tasksUnhealthy: 0,
      deployments,
      tasks,
      ...(record.lastTaskFailure ? { lastTaskFailure: { ...record.lastTaskFailure } } : {}),
    };
  }

  #liveTasks(record: AppRecord): MarathonTask[] {
    return [...record.tasks.values()].map((task) => ({ ...task.task }));
  }

  #lockedBy(appId: string, force: boolean): StateAnswer | undefined {
    const conflicting = [...this.#deployments.values()].filter((record) => record.appId === appId);
    if (conflicting.length === 0) return undefined;
    if (force) {
      for (const record of conflicting) this.#finish(record);
      return undefined;
    }
    const first = conflicting[0]?.deployment.id ?? '';
    return {
      status: 409,
      body: {
        message: `App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/${first}'.`,
        deployments: conflicting.map((record) => ({ id: record.deployment.id })),
      } satisfies MarathonErrorBody,
    };
  }

  #tooManyDeployments(): StateAnswer | undefined {
    const limit = this.#options.maxRunningDeployments;
    if (this.#deployments.size < limit) return undefined;
    return error(
      403,
      `Max number (${limit}) of running deployments is achieved. Wait for existing deployments to complete or cancel oneusing force=true parameter. You can increase max deployment number by using --max_running_deployments parameter.`,
    );
  }

  #startDeployment(appId: string, action: DeploymentAction, version: string): MarathonDeployment {
    const deployment: MarathonDeployment = {
      id: randomUUID(),
      version,
      affectedApps: [appId],
      affectedPods: [],
      steps: [{ actions: [{ action, app: appId }] }],
      currentActions: [{ action, app: appId, readinessCheckResults: [] }],
      currentStep: 1,
      totalSteps: 1,
    };
    const record: DeploymentRecord = {
      deployment,
      appId,
      action,
      minimumElapsed: false,
      stopped: false,
      timer: setTimeout(() => {
        record.minimumElapsed = true;
        this.#maybeFinish(record);
      }, this.#options.deploymentDuration),
    };
    record.timer.unref();
    this.#deployments.set(deployment.id, record);
    return deployment;
  }

  #maybeFinish(record: DeploymentRecord): void {
    if (!record.minimumElapsed || !this.#deployments.has(record.deployment.id)) return;
    if (record.action === 'StopApplication' && !record.stopped) return;
    if (record.action === 'StartApplication') {
      const app = this.#apps.get(record.appId);
      if (app) {
        const running = [...app.tasks.values()].filter((task) => task.task.state === 'TASK_RUNNING').length;
        if (running < app.app.instances) return;
      }
    }
    this.#finish(record);
  }

  #finish(record: DeploymentRecord): void {
    clearTimeout(record.timer);
    this.#deployments.delete(record.deployment.id);
  }

  #finishStartDeployments(appId: string): void {
    for (const record of this.#deployments.values()) {
      if (record.appId === appId && record.action === 'StartApplication') this.#maybeFinish(record);
    }
  }

  #launchTask(record: AppRecord): void {
    const app = record.app;
    const taskId = `${app.id.slice(1).replaceAll('/', '_')}.instance-${randomUUID()}._app.1`;
    const task: MarathonTask = {
      appId: app.id,
      host: 'localhost',
      id: taskId,
      ipAddresses: [],
      ports: [],
      servicePorts: [],
      slaveId: 'simulated-agent-S0',
      state: 'TASK_STAGING',
      stagedAt: timestamp(),
      version: app.version,
      localVolumes: [],
      role: typeof app.role === 'string' ? app.role : '*',
    };
    const taskRecord: TaskRecord = { task };
    record.tasks.set(taskId, taskRecord);
    const injected = this.#options.failTask(app);
    const launch =
      injected !== undefined
        ? Promise.reject(new TaskLaunchError(injected))
        : this.#options.runtime.launch({ taskId, app }, (exit) => this.#taskEnded(record, taskRecord, exit));
    this.#track(
      launch.then(
        (placement) => {
          if (record.removed || !record.tasks.has(taskId)) {
            // Deleted while launching: make sure nothing keeps running.
            this.#track(this.#options.runtime.kill(taskId).catch(() => undefined));
            return;
          }
          task.state = 'TASK_RUNNING';
          task.startedAt = timestamp();
          task.host = placement.host;
          task.ipAddresses = [{ ipAddress: placement.ipAddress, protocol: 'IPv4' }];
          this.#finishStartDeployments(app.id);
        },
        (failure: unknown) => {
          const message = failure instanceof Error ? failure.message : String(failure);
          this.#taskEnded(record, taskRecord, { state: 'TASK_FAILED', message });
        },
      ),
    );
  }

  #taskEnded(record: AppRecord, taskRecord: TaskRecord, exit: TaskExit): void {
    if (record.removed || !record.tasks.has(taskRecord.task.id) || TERMINAL_STATES.includes(taskRecord.task.state))
      return;
    const task = taskRecord.task;
    task.state = exit.state;
    record.tasks.delete(task.id);
    this.#track(this.#options.runtime.kill(task.id).catch(() => undefined));
    if (exit.state === 'TASK_FAILED') {
      record.failures += 1;
      record.lastTaskFailure = {
        appId: record.app.id,
        host: task.host,
        message: exit.message,
        state: exit.state,
        taskId: task.id,
        timestamp: timestamp(),
        version: record.app.version,
        slaveId: task.slaveId,
      };
    }
    if (this.#closed) return;
    const app = record.app;
    const delaySeconds = Math.min(
      app.backoffSeconds * app.backoffFactor ** Math.max(record.failures - 1, 0),
      app.maxLaunchDelaySeconds,
    );
    clearTimeout(record.relaunch);
    record.relaunch = setTimeout(() => {
      if (!record.removed && record.tasks.size < app.instances) this.#launchTask(record);
    }, delaySeconds * 1000);
    record.relaunch.unref();
  }

  #track(promise: Promise<unknown>): void {
    const tracked = promise.finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }
}

function error(status: number, message: string): StateAnswer {
  return { status, body: { message } satisfies MarathonErrorBody };
}

/** ISO-8601 UTC with milliseconds, as Marathon prints versions and timestamps. */
function timestamp(): string {
  return new Date().toISOString();
}

type LabelSelector = (labels: Readonly<Record<string, string>>) => boolean;

/** Marathon's label selector subset: `key`, `key==value`, `key!=value`, comma-separated; `\` escapes. */
function parseLabelSelector(text: string): LabelSelector[] | undefined {
  const terms = text.split(/(?<!\\),/).map((term) => term.trim());
  const selectors: LabelSelector[] = [];
  for (const term of terms) {
    const match = /^((?:[^=!\\]|\\.)+?)\s*(?:(==|!=)\s*((?:[^\\]|\\.)*))?$/.exec(term);
    if (!match?.[1]) return undefined;
    const key = unescapeSelector(match[1]);
    const operator = match[2];
    const value = unescapeSelector(match[3] ?? '');
    if (operator === undefined) selectors.push((labels) => key in labels);
    else if (operator === '==') selectors.push((labels) => labels[key] === value);
    else selectors.push((labels) => labels[key] !== value);
  }
  return selectors;
}

function unescapeSelector(text: string): string {
  return text.replace(/\\(.)/g, '$1');
}
