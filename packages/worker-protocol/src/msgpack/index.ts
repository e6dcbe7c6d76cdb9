export { type BasicCredentials, parseBasicAuthorization, passwordsMatch } from './basic-auth.js';
export { MsgpackChannel, type MsgpackChannelOptions, type MsgpackStartCommandRequest } from './msgpack-channel.js';
export { decodeMsgpack, decodeMsgpackMap, encodeMsgpack, type MsgpackMap, type MsgpackValue } from './msgpack-codec.js';
export {
  type MsgpackListener,
  type MsgpackListenerLimits,
  type MsgpackListenerOptions,
  startMsgpackListener,
} from './msgpack-listener.js';
export { joinWorkerPath, toMsgpackCommand, type WorkerSystem } from './msgpack-paths.js';
