export {
  type ChildProcessInstance,
  ChildProcessProvider,
  type ChildProcessProviderSettings,
  createChildProcessProvider,
  INSTANCE_VARIABLE,
  LABEL_VARIABLES,
  listWorkerProcessGroups,
  type WorkerProcessGroup,
} from './child-process-provider.js';
