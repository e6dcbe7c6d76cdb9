import Docker from 'dockerode';

/** The local engine the simulator's docker runtime uses. */
export const docker = new Docker({ socketPath: '/var/run/docker.sock' });
