import { RenderError } from '../errors.js';
import type { Properties } from './properties.js';
import type { Renderable } from './render.js';

/**
 * Renders to the secret `name` from the properties' secrets provider (Buildbot's `Secret`), and
 * records it so `properties.cleanupTextFromSecrets(text)` (and the properties' redactor) hide it.
 * The name itself is not rendered (as in Buildbot).
 */
export class Secret implements Renderable<string> {
  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  async getRenderingFor(properties: Properties): Promise<string> {
    const provider = properties.secrets;
    if (!provider) {
      throw new RenderError(
        `secrets service not started, need to configure a secrets provider (new Properties({ secrets })) to use 'secrets' in Interpolate (secret '${this.name}')`,
      );
    }
    const value = await provider.get(this.name);
    if (value === null || value === undefined) {
      throw new RenderError(`secret key ${this.name} is not found in any provider`);
    }
    if (typeof value !== 'string') {
      throw new RenderError(`secret key ${this.name}: the secrets provider returned a ${typeof value}, not a string`);
    }
    properties.useSecret(value, this.name);
    return value;
  }

  /** Buildbot's repr: `Secret(name)`. */
  toString(): string {
    return `Secret(${this.name})`;
  }
}
