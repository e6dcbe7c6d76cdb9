import type { MsgpackValue } from './msgpack-codec.js';

const TEXT_KEYS = new Set(['stdout', 'stderr', 'header']);

/**
 * Turns the `args` of a msgpack `update` into the protocol-neutral form the `CommandSink` gets,
 * the same values PB delivers: `stdout`/`stderr`/`header` become their text (msgpack sends
 * `[text, newlineIndexes, lineTimes]`), `log` becomes `[logname, text]`; other keys (`rc`,
 * `elapsed`, `files`, `stat`, `failure_reason`…) pass unchanged. Pairs keep the worker's order.
 */
export function normalizeUpdates(args: MsgpackValue | undefined): Array<readonly [string, unknown]> {
  if (!Array.isArray(args)) throw new TypeError('update args must be a list of [key, value] pairs');
  const pairs: Array<readonly [string, unknown]> = [];
  for (const pair of args) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') {
      throw new TypeError('update args must be a list of [key, value] pairs');
    }
    const [key, value] = pair as [string, MsgpackValue];
    if (TEXT_KEYS.has(key)) pairs.push([key, lineText(value)]);
    else if (key === 'log' && Array.isArray(value) && value.length === 2 && typeof value[0] === 'string') {
      pairs.push([key, [value[0], lineText(value[1] as MsgpackValue)]]);
    } else pairs.push([key, value]);
  }
  return pairs;
}

function lineText(value: MsgpackValue): MsgpackValue {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  throw new TypeError('an output update must be [text, newlineIndexes, lineTimes]');
}
