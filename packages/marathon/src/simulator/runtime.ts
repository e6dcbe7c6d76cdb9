import type { MarathonApp } from './marathon-types.js';

/** One task to run: a Marathon app instance. */
export interface TaskLaunch {
  readonly taskId: string;
  readonly app: MarathonApp;
}

/** Where a launched task runs, as the task JSON reports it. */
export interface TaskPlacement {
  readonly host: string;
  readonly ipAddress: string;
}

/** How a task that ended on its own ended. */
export interface TaskExit {
  readonly state: 'TASK_FINISHED' | 'TASK_FAILED';
  readonly message: string;
}

/** A task that could not be started; its message becomes `lastTaskFailure.message`. */
export class TaskLaunchError extends Error {
  override readonly name = 'TaskLaunchError';
}

/** What runs the simulator's tasks: real containers (`docker`) or nothing (`virtual`). */
export interface SimulatorRuntime {
  /**
   * Starts the task. Resolves once it runs; rejects with {@link TaskLaunchError} when it cannot.
   * `onExit` is called once if the task later ends by itself (not after {@link kill}).
   */
  launch(task: TaskLaunch, onExit: (exit: TaskExit) => void): Promise<TaskPlacement>;
  /** Stops and removes the task; succeeds when it is already gone. */
  kill(taskId: string): Promise<void>;
  /** Kills every task this runtime started. */
  close(): Promise<void>;
}
