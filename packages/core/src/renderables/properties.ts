import type { Redactor } from '../secrets/redactor.js';
import { isPlainObject, pythonRepr, pythonTypeName } from './python-values.js';
import { isRenderable, render } from './render.js';

/**
 * One codebase's source stamp, for `%(src:<codebase>:<attribute>)s`: Buildbot's source-stamp
 * dictionary (`branch`, `codebase`, `project`, `repository`, `revision`, …). Any attribute may be
 * given; a missing one counts as "not set", a `null` one as set to `None`.
 */
export interface SourceStamp {
  readonly codebase: string;
  readonly repository?: string | null;
  readonly branch?: string | null;
  readonly revision?: string | null;
  readonly project?: string | null;
  readonly [attribute: string]: unknown;
}

/**
 * Where `%(secret:<name>)s` and `Secret(name)` find secrets (Buildbot's secrets manager).
 * Return `undefined` or `null` for an unknown secret.
 */
export interface SecretsProvider {
  get(name: string): string | null | undefined | PromiseLike<string | null | undefined>;
}

export interface PropertiesOptions {
  /** Source stamps of the build, one per codebase (`%(src:…)s`). */
  readonly sourceStamps?: readonly SourceStamp[];
  /** The connected worker's info (`os_id`, `host`, `version`…) for `%(worker:…)s`. */
  readonly workerInfo?: Readonly<Record<string, unknown>>;
  /** Secrets for `%(secret:…)s`. Without one, rendering a secret fails. */
  readonly secrets?: SecretsProvider;
  /** Every secret value rendered is also added to this redactor (for logs, events, errors). */
  readonly redactor?: Redactor;
}

/** A property as `asDict()` gives it: Buildbot's `(value, source)` tuple. */
export type PropertyEntry = readonly [value: unknown, source: string];

interface StoredProperty {
  readonly value: unknown;
  readonly source: string;
}

/**
 * A build's properties (Buildbot's `Properties`): name → value and the source that set it.
 *
 * Values must be JSON-serialisable (null, booleans, finite numbers, strings, arrays and plain
 * objects of those) unless they are renderables; a renderable value is rendered wherever
 * `Property` or `Interpolate` looks it up. Besides properties, the object carries what the other
 * `Interpolate` selectors read: source stamps (`src`), worker info (`worker`) and a secrets
 * provider (`secret`), and it remembers rendered secrets so text can be cleaned of them.
 */
export class Properties {
  readonly #properties = new Map<string, StoredProperty>();
  readonly #runtime = new Set<string>();
  readonly #usedSecrets = new Map<string, string>();
  #sourceStamps: readonly SourceStamp[];
  #workerInfo: Readonly<Record<string, unknown>>;
  #secrets: SecretsProvider | undefined;
  #redactor: Redactor | undefined;

  constructor(options: PropertiesOptions = {}) {
    this.#sourceStamps = options.sourceStamps ?? [];
    this.#workerInfo = options.workerInfo ?? {};
    this.#secrets = options.secrets;
    this.#redactor = options.redactor;
  }

  /** Sets a property. `source` is required (Buildbot's rule); `runtime` marks it as a runtime property. */
  setProperty(name: string, value: unknown, source: string, runtime = false): void {
    if (typeof name !== 'string') throw new TypeError(`property name must be a string, got ${pythonTypeName(name)}`);
    if (typeof source !== 'string') {
      throw new TypeError(
        source === undefined
          ? "setProperty() missing 1 required positional argument: 'source'"
          : `property source must be a string, got ${pythonTypeName(source)}`,
      );
    }
    if (!isRenderable(value)) assertJsonSerializable(value, name);
    this.#properties.set(name, { value, source });
    if (runtime) this.#runtime.add(name);
  }

  /** The property's value, or `defaultValue` (Python's `None`: `null`) when it is not set. */
  getProperty(name: string, defaultValue: unknown = null): unknown {
    const stored = this.#properties.get(name);
    return stored === undefined ? defaultValue : stored.value;
  }

  hasProperty(name: string): boolean {
    return this.#properties.has(name);
  }

  /** Who set the property, or `undefined` when it is not set. */
  getPropertySource(name: string): string | undefined {
    return this.#properties.get(name)?.source;
  }

  /** True when the property was set with `runtime`. */
  isRuntime(name: string): boolean {
    return this.#runtime.has(name);
  }

  /** Names of the properties set with `runtime`. */
  get runtime(): ReadonlySet<string> {
    return this.#runtime;
  }

  /** Number of properties. */
  get size(): number {
    return this.#properties.size;
  }

  /** `[name, value, source]` triples sorted by name (Buildbot's `asList`). */
  asList(): [name: string, value: unknown, source: string][] {
    return [...this.#properties.entries()]
      .map(([name, { value, source }]): [string, unknown, string] => [name, value, source])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** name → `[value, source]` (Buildbot's `asDict`). */
  asDict(): Record<string, PropertyEntry> {
    const result: Record<string, PropertyEntry> = {};
    for (const [name, { value, source }] of this.#properties) {
      Object.defineProperty(result, name, {
        value: [value, source],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return result;
  }

  /** Sets every entry of `values` with the same `source`. */
  update(
    values: Readonly<Record<string, unknown>> | ReadonlyMap<string, unknown>,
    source: string,
    runtime = false,
  ): void {
    const entries = values instanceof Map ? [...values.entries()] : Object.entries(values);
    for (const [name, value] of entries) this.setProperty(name, value, source, runtime);
  }

  /** Copies every property of `other` (with its source), and its runtime marks. */
  updateFromProperties(other: Properties): void {
    for (const [name, value, source] of other.asList()) this.#properties.set(name, { value, source });
    for (const name of other.runtime) this.#runtime.add(name);
  }

  /** Copies the properties of `other` that are not runtime properties. */
  updateFromPropertiesNoRuntime(other: Properties): void {
    for (const [name, value, source] of other.asList()) {
      if (!other.isRuntime(name)) this.#properties.set(name, { value, source });
    }
  }

  /** Source stamps of the build (`%(src:…)s`). */
  get sourceStamps(): readonly SourceStamp[] {
    return this.#sourceStamps;
  }

  set sourceStamps(stamps: readonly SourceStamp[]) {
    this.#sourceStamps = stamps;
  }

  /** The source stamp of `codebase` (default: the empty codebase), or `undefined`. */
  getSourceStamp(codebase = ''): SourceStamp | undefined {
    return this.#sourceStamps.find((stamp) => stamp.codebase === codebase);
  }

  /** The connected worker's info (`%(worker:…)s`). */
  get workerInfo(): Readonly<Record<string, unknown>> {
    return this.#workerInfo;
  }

  set workerInfo(info: Readonly<Record<string, unknown>>) {
    this.#workerInfo = info;
  }

  /** The secrets provider for `%(secret:…)s`. */
  get secrets(): SecretsProvider | undefined {
    return this.#secrets;
  }

  set secrets(provider: SecretsProvider | undefined) {
    this.#secrets = provider;
  }

  /** Renders `value` against these properties: see {@link render}. */
  render(value: unknown): Promise<unknown> {
    return render(value, this);
  }

  /** Records a rendered secret so {@link cleanupTextFromSecrets} replaces it with `<name>`. Blank values are ignored. */
  useSecret(value: string, name: string): void {
    if (value.trim()) this.#usedSecrets.set(value, `<${name}>`);
    this.#redactor?.add(value);
  }

  /** `text` with every secret rendered so far replaced by `<secret name>`, longest values first. */
  cleanupTextFromSecrets(text: string): string {
    let result = text;
    for (const secret of [...this.#usedSecrets.keys()].sort((a, b) => b.length - a.length)) {
      result = result.split(secret).join(this.#usedSecrets.get(secret));
    }
    return result;
  }

  /** Buildbot's repr: `Properties(**{'name': value})`. */
  toString(): string {
    return `Properties(**${pythonRepr(Object.fromEntries([...this.#properties].map(([name, { value }]) => [name, value])))})`;
  }
}

/** Throws Python's json `TypeError`/`ValueError` text as a `TypeError` when `value` is not JSON-serialisable. */
function assertJsonSerializable(value: unknown, name: string, ancestors: object[] = []): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return;
    throw new TypeError(`property '${name}': Out of range float values are not JSON compliant: ${pythonRepr(value)}`);
  }
  if (typeof value === 'object' && (Array.isArray(value) || isPlainObject(value))) {
    if (ancestors.includes(value)) throw new TypeError(`property '${name}': Circular reference detected`);
    const inner = [...ancestors, value];
    for (const item of Array.isArray(value) ? value : Object.values(value)) assertJsonSerializable(item, name, inner);
    return;
  }
  const type = value === undefined ? 'undefined' : pythonTypeName(value);
  throw new TypeError(`property '${name}': Object of type ${type} is not JSON serializable`);
}
