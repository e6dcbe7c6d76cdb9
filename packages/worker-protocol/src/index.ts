export { WorkerConnectionLostError, WorkerProtocolError, WorkerRemoteError } from './errors.js';
export { type ConnectLatentWorkerOptions, connectLatentWorker } from './latent-worker-wiring.js';
export {
  MsgpackChannel,
  type MsgpackChannelOptions,
  type MsgpackListener,
  type MsgpackListenerLimits,
  type MsgpackListenerOptions,
  type MsgpackStartCommandRequest,
  startMsgpackListener,
} from './msgpack/index.js';
export {
  BANANA_SIZE_LIMIT,
  type BananaLimits,
  DEFAULT_BANANA_LIMITS,
} from './pb/banana.js';
export { PRE_LOGIN_LIMITS } from './pb/pb-listener.js';
export type {
  CallOptions,
  CommandSink,
  FileReaderSource,
  FileWriterTarget,
  LoginAuthority,
  ProtocolChannel,
  RawWorkerInfo,
  StartCommandRequest,
  WorkerProtocolName,
} from './protocol-channel.js';
export { WORKER_PROTOCOL_NAMES } from './protocol-channel.js';
export {
  type CommandResult,
  type CommandUpdateListener,
  type OutputStream,
  type RunCommandOptions,
  type RunShellOptions,
  type ShellOptions,
  type ShellResult,
  type TransferOptions,
  WorkerConnection,
  type WorkerConnectionOptions,
  type WorkerStat,
} from './worker-connection.js';
export { toWorkerInfo, type WorkerInfo } from './worker-info.js';
export {
  type BoundAddress,
  type ListenAddress,
  type MsgpackListenerFactory,
  startWorkerServer,
  type WorkerRegistration,
  type WorkerServer,
  type WorkerServerEvents,
  type WorkerServerOptions,
} from './worker-server.js';
