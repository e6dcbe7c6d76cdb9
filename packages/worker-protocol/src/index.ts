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
