export { abortableSleep, type PollOptions, poll } from './abortable-sleep.js';
export {
  DockerLogDecoder,
  type DockerLogDecoderOptions,
  decodeDockerLog,
  type OutputStream,
} from './docker-log-decoder.js';
export {
  assertContainerName,
  assertImageReference,
  clipText,
  encodePathSegments,
  quoteValue,
} from './docker-names.js';
export { type EngineErrorShape, engineMessage, engineStatusCode, isNotFound } from './engine-errors.js';
export { environmentList } from './environment-list.js';
export {
  type ContainerRemover,
  type RemovableContainer,
  removeContainerForcibly,
  removeLabelledContainers,
} from './labelled-containers.js';
export { LineSplitter } from './line-splitter.js';
export { type FollowedStream, followDockerLogStream, followInBackground, type LogFollow } from './log-follow.js';
export { isOwnedBy, orphanFromLabels, ownerLabelFilters } from './owner-labels.js';
export { type ReapEachOptions, reapEach } from './reap-each.js';
export { type RenderableSetting, renderSetting } from './render-setting.js';
export {
  type EnvironmentRecord,
  requiredSettingOrEnvironment,
  type SettingSource,
  settingOrEnvironment,
} from './setting-from-environment.js';
export { abortReasonOr } from './signal-reason.js';
export { createTarArchive, type TarEntry } from './tar-archive.js';
