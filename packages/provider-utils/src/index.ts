export { abortableSleep, type PollOptions, poll } from './abortable-sleep.js';
export {
  DockerLogDecoder,
  type DockerLogDecoderOptions,
  decodeDockerLog,
  type OutputStream,
} from './docker-log-decoder.js';
export { environmentList } from './environment-list.js';
export { LineSplitter } from './line-splitter.js';
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
