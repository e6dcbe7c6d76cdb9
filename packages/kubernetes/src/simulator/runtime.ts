import type { Readable } from 'node:stream';

/** What a runtime needs to run a Pod's first container. */
export interface ContainerLaunch {
  /** The Pod's uid: the runtime's key for it. */
  readonly uid: string;
  readonly namespace: string;
  readonly podName: string;
  readonly containerName: string;
  readonly image: string;
  /** The environment with `valueFrom` references already resolved, as the kubelet passes it. */
  readonly environment: Readonly<Record<string, string>>;
  /** Kubernetes `command` (replaces the image's entrypoint). */
  readonly command?: readonly string[];
  /** Kubernetes `args` (replaces the image's command). */
  readonly args?: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

/** How a container that ended on its own ended. */
export interface ContainerExit {
  readonly exitCode: number;
  readonly finishedAt: Date;
}

/** The image cannot be pulled: the kubelet reports `ErrImagePull`, then `ImagePullBackOff`. */
export class ImagePullError extends Error {
  override readonly name = 'ImagePullError';
}

/** What runs the simulator's Pods: real containers (`docker`) or nothing (`virtual`). */
export interface PodRuntime {
  /**
   * Starts the container; resolves with the Pod's IP once it runs. Rejects with
   * {@link ImagePullError} when the image is not there. `onExit` is called once if the container
   * later ends by itself (not after {@link kill}).
   */
  launch(launch: ContainerLaunch, onExit: (exit: ContainerExit) => void): Promise<{ podIP: string }>;
  /** The container's output (stdout and stderr interleaved), the last `tailLines` lines, following it when asked. */
  logs(uid: string, options: { follow: boolean; tailLines?: number }): Promise<Readable | undefined>;
  /** Stops the container (SIGTERM, SIGKILL after `graceSeconds`) and removes it; succeeds when it is gone. */
  kill(uid: string, graceSeconds: number): Promise<void>;
  /** Removes every container this runtime started. */
  close(): Promise<void>;
}
