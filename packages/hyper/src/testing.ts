export type { HyperSimulatorFaults, InjectedError } from './simulator/faults.js';
export {
  HYPER_API_VERSION,
  type HyperSimulator,
  type HyperSimulatorContainer,
  type HyperSimulatorOptions,
  type HyperSimulatorRejection,
  type HyperSimulatorRequest,
  startHyperSimulator,
} from './simulator/start-hyper-simulator.js';
export type { VerificationFailure } from './simulator/verify-signature.js';
