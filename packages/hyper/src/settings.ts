import { ConfigurationError, isRenderable, type Logger } from '@latentci/core';
import {
  assertImageReference,
  type RenderableSetting as Renderable,
  requiredSettingOrEnvironment,
} from '@latentci/provider-utils';
import { hyperBaseUrl } from './hyper-endpoint.js';
import { DEFAULT_SIZE, type HyperSize, invalidSizeMessage, isHyperSize } from './hyper-sizes.js';

/** Settings of the Hyper provider: Buildbot's `HyperLatentWorker` options, camelCase. */
export interface HyperProviderSettings {
  /** Hyper endpoint: `tcp://us-west-1.hyper.sh:443` (Buildbot's form), `https://…`, or an `http://` simulator URL. */
  readonly hyperHost: string;
  /** API access key. Default: the `HYPER_ACCESSKEY` environment variable. */
  readonly accessKey?: string;
  /** API secret key. Default: `HYPER_SECRETKEY`. Never logged, never sent: only signatures made with it are. */
  readonly secretKey?: string;
  /** Region to sign for when `hyperHost` is not `<region>.hyper.sh`. Default `us-west-1`. */
  readonly region?: string;
  /** The image to run (renderable). It must exist for Hyper: nothing is built. */
  readonly image: Renderable<string>;
  /** Container size (renderable): `s1`…`s4`, `m1`…`m3`, `l1`…`l3`. Default `s3`. */
  readonly size?: Renderable<string>;
  /** The `fetch` to send requests with (tests, proxies). Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** Where the provider logs (already redacted). Default: silent. */
  readonly logger?: Logger;
  /** Milliseconds one API call may take (the `Ms` suffix: every other duration is in seconds). Default 60 000. */
  readonly requestTimeoutMs?: number;
  /** Where `HYPER_ACCESSKEY`/`HYPER_SECRETKEY` are read. Default: `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Settings after defaults and validation. */
export interface ResolvedHyperSettings {
  readonly baseUrl: URL;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly region: string | undefined;
  readonly image: Renderable<string>;
  readonly size: Renderable<string>;
}

/** Checks the settings and applies the defaults; throws `ConfigurationError` saying what to fix. */
export function resolveHyperSettings(settings: HyperProviderSettings): ResolvedHyperSettings {
  if (settings === null || typeof settings !== 'object') {
    throw new ConfigurationError('createHyperProvider needs a settings object with hyperHost and image');
  }
  const env = settings.env;
  const accessKey = requiredSettingOrEnvironment({
    name: 'accessKey',
    value: settings.accessKey,
    variable: 'HYPER_ACCESSKEY',
    env,
  });
  const secretKey = requiredSettingOrEnvironment({
    name: 'secretKey',
    value: settings.secretKey,
    variable: 'HYPER_SECRETKEY',
    env,
  });
  if (settings.region !== undefined && !/^[a-z0-9-]+$/.test(settings.region)) {
    throw new ConfigurationError(`region "${settings.region}" is not a Hyper region such as us-west-1 or eu-central-1`);
  }
  const baseUrl = hyperBaseUrl(settings.hyperHost, settings.region);
  const image = settings.image;
  if (!isRenderable(image) && (typeof image !== 'string' || image.length === 0)) {
    throw new ConfigurationError('image is required: the image Hyper runs, e.g. "buildbot/buildbot-worker:master"');
  }
  if (typeof image === 'string') assertImageReference(image);
  const size = settings.size ?? DEFAULT_SIZE;
  if (!isRenderable(size) && !isHyperSize(size)) throw new ConfigurationError(invalidSizeMessage(size));
  if (settings.requestTimeoutMs !== undefined && !(settings.requestTimeoutMs > 0)) {
    throw new ConfigurationError(
      `requestTimeoutMs must be a positive number of milliseconds, got ${settings.requestTimeoutMs}`,
    );
  }
  return { baseUrl, accessKey, secretKey, region: settings.region, image, size };
}

/** Checks a rendered size. */
export function assertRenderedSize(size: unknown): asserts size is HyperSize {
  if (!isHyperSize(size)) throw new ConfigurationError(invalidSizeMessage(size));
}
