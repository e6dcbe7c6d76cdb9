/**
 * Helpers for testing code that uses `@latentci/docker` against a real Docker engine: reachability
 * checks that fail loudly, a TCP forwarder to test `tcp://` engines, a busybox base image built
 * without any registry, build-context archives, event recorders and cleanup by labels.
 */

export { createTarArchive, type TarEntry } from '@latentci/provider-utils';
export { BUSYBOX_IMAGE, type ImportBusyboxImageOptions, importBusyboxImage } from './testing/busybox-image.js';
export { removeLabelledContainers } from './testing/cleanup.js';
export { assertDockerAvailable, DockerUnavailableError, dockerAvailable } from './testing/docker-available.js';
export { type LocalRegistry, startLocalRegistry } from './testing/local-registry.js';
export { type RecordedEvents, recordEvents } from './testing/record-events.js';
export { type DockerTcpForwarder, startDockerTcpForwarder } from './testing/tcp-forwarder.js';
