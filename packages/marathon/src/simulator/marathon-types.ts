/** Shapes of the Marathon REST API subset the simulator serves (Marathon 1.10/1.11 field names). */

export type TaskState =
  | 'TASK_STAGING'
  | 'TASK_STARTING'
  | 'TASK_RUNNING'
  | 'TASK_FINISHED'
  | 'TASK_FAILED'
  | 'TASK_KILLING'
  | 'TASK_KILLED'
  | 'TASK_ERROR'
  | 'TASK_LOST';

/** A task as `GET /v2/apps/{id}/tasks` returns it. */
export interface MarathonTask {
  appId: string;
  host: string;
  id: string;
  ipAddresses: { ipAddress: string; protocol: 'IPv4' }[];
  ports: number[];
  servicePorts: number[];
  slaveId: string;
  state: TaskState;
  stagedAt: string;
  startedAt?: string;
  version: string;
  localVolumes: unknown[];
  role: string;
}

/** `lastTaskFailure` of an app. */
export interface MarathonTaskFailure {
  appId: string;
  host: string;
  message: string;
  state: TaskState;
  taskId: string;
  timestamp: string;
  version: string;
  slaveId: string;
}

export type DeploymentAction = 'StartApplication' | 'StopApplication' | 'ScaleApplication';

/** A deployment as `GET /v2/deployments` returns it. */
export interface MarathonDeployment {
  id: string;
  version: string;
  affectedApps: string[];
  affectedPods: string[];
  steps: { actions: { action: DeploymentAction; app: string }[] }[];
  currentActions: { action: DeploymentAction; app: string; readinessCheckResults: unknown[] }[];
  currentStep: number;
  totalSteps: number;
}

/** The normalised app definition Marathon stores (an `App` after normalisation, with `version`). */
export interface MarathonApp {
  id: string;
  instances: number;
  cpus: number;
  mem: number;
  disk: number;
  gpus: number;
  cmd?: string;
  args?: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  container?: {
    type: 'DOCKER' | 'MESOS';
    docker?: {
      image: string;
      forcePullImage: boolean;
      privileged: boolean;
      parameters: { key: string; value: string }[];
    };
    volumes: unknown[];
    portMappings?: unknown[];
  };
  networks: { mode: 'container' | 'container/bridge' | 'host'; name?: string }[];
  backoffSeconds: number;
  backoffFactor: number;
  maxLaunchDelaySeconds: number;
  version: string;
  [field: string]: unknown;
}

/** A Marathon JSON error body. */
export interface MarathonErrorBody {
  message: string;
  details?: string | { path: string; errors: string[] }[];
  deployments?: { id: string }[];
}
