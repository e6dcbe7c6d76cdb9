import type { SimulatorRuntime, TaskPlacement } from './runtime.js';

/**
 * Runs nothing: every task is running as soon as it is launched and stays so until killed. For
 * scale tests (thousands of apps) and for tests of the API alone.
 */
export function createVirtualRuntime(): SimulatorRuntime {
  let next = 0;
  return {
    async launch(): Promise<TaskPlacement> {
      next += 1;
      return { host: 'virtual-agent.local', ipAddress: `10.${(next >> 16) & 255}.${(next >> 8) & 255}.${next & 255}` };
    },
    async kill() {},
    async close() {},
  };
}
