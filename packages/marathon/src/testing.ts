export { SIMULATOR_CONTAINER_LABEL, TASK_ID_CONTAINER_LABEL } from './simulator/docker-runtime.js';
export { type MarathonSimulator, startMarathonSimulator } from './simulator/marathon-simulator.js';
export type {
  MarathonApp,
  MarathonDeployment,
  MarathonErrorBody,
  MarathonTask,
  MarathonTaskFailure,
  TaskState,
} from './simulator/marathon-types.js';
export type {
  InjectedError,
  MarathonSimulatorAuth,
  MarathonSimulatorFaults,
  MarathonSimulatorOptions,
  RecordedRequest,
  RecordedViolation,
} from './simulator/simulator-options.js';
