export { POD_UID_CONTAINER_LABEL, SIMULATOR_CONTAINER_LABEL } from './simulator/docker-runtime.js';
export { type KubernetesSimulator, startKubernetesSimulator } from './simulator/kubernetes-simulator.js';
export type {
  FaultPod,
  InjectedError,
  KubernetesSimulatorAuth,
  KubernetesSimulatorFaults,
  KubernetesSimulatorOptions,
  KubernetesSimulatorTls,
  PolicyRule,
  RecordedRequest,
  SimulatorUser,
} from './simulator/simulator-options.js';
export type { KubernetesStatus, StatusCause } from './simulator/status.js';
