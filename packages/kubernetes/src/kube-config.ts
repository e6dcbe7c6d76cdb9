import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigurationError } from '@latentci/core';

/** The service-account directory every Pod gets (token, ca.crt, namespace). */
export const SERVICE_ACCOUNT_DIRECTORY = '/var/run/secrets/kubernetes.io/serviceaccount';

/** An explicit cluster (Buildbot's `KubeHardcodedConfig`): the API server URL and one way to authenticate. */
export interface ExplicitClusterConfig {
  /** API server URL, e.g. `https://10.0.0.1:6443` (a `kubectl proxy` is `http://127.0.0.1:8001`). */
  readonly server: string;
  /** Bearer token. */
  readonly token?: string;
  /** Client certificate and key (PEM). */
  readonly clientCert?: string;
  readonly clientKey?: string;
  /** CA bundle of the API server (PEM). */
  readonly ca?: string;
  /** Do not verify the server's certificate (testing only). Implied for an `http://` server. */
  readonly skipTlsVerify?: boolean;
  /** Namespace when the `namespace` setting is absent. */
  readonly namespace?: string;
}

/**
 * Where the cluster is: a kubeconfig file path (or `{ file, context }`), a kubeconfig document
 * (`{ clusters, users, contexts, 'current-context' }`), `{ inCluster: true }` (the Pod's service
 * account, Buildbot's `KubeInClusterConfigLoader`), an {@link ExplicitClusterConfig}, or a
 * `KubeConfig` of `@kubernetes/client-node`. All are loaded by the official client's loaders.
 */
export type KubeConfigOption =
  | string
  | { readonly file: string; readonly context?: string }
  | { readonly inCluster: true; readonly serviceAccountDirectory?: string }
  | ExplicitClusterConfig
  | KubeConfigDocument
  | KubeConfig;

/** A kubeconfig as an object (the YAML file's content, parsed). */
export interface KubeConfigDocument {
  readonly clusters: readonly unknown[];
  readonly users: readonly unknown[];
  readonly contexts: readonly unknown[];
  readonly 'current-context'?: string;
  readonly currentContext?: string;
}

/** A loaded kubeconfig and the namespace it names (if any). */
export interface LoadedKubeConfig {
  readonly kubeConfig: KubeConfig;
  readonly namespace?: string;
}

/** Loads the kubeconfig the option designates; `ConfigurationError` when it is unusable. */
export function loadKubeConfig(option: KubeConfigOption | undefined): LoadedKubeConfig {
  const kubeConfig = new KubeConfig();
  try {
    if (option === undefined) {
      kubeConfig.loadFromDefault();
    } else if (option instanceof KubeConfig) {
      return withNamespace(option);
    } else if (typeof option === 'string') {
      kubeConfig.loadFromFile(option);
    } else if ('file' in option) {
      kubeConfig.loadFromFile(option.file);
      if (option.context !== undefined) useContext(kubeConfig, option.context);
    } else if ('inCluster' in option) {
      return loadInCluster(kubeConfig, option.serviceAccountDirectory ?? SERVICE_ACCOUNT_DIRECTORY);
    } else if ('clusters' in option) {
      kubeConfig.loadFromString(JSON.stringify(option));
    } else if ('server' in option) {
      return loadExplicit(kubeConfig, option);
    } else {
      throw new ConfigurationError(
        'kubeConfig must be a kubeconfig file path, { file, context }, a kubeconfig object, { inCluster: true } or { server, token | clientCert + clientKey, ca }',
      );
    }
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    throw new ConfigurationError(`Unable to load the kubeconfig: ${(error as Error).message}`, { cause: error });
  }
  if (!kubeConfig.getCurrentCluster()) {
    throw new ConfigurationError(
      `the kubeconfig has no current cluster (context ${JSON.stringify(kubeConfig.getCurrentContext())}); set current-context or pass { file, context }`,
    );
  }
  return withNamespace(kubeConfig);
}

function useContext(kubeConfig: KubeConfig, context: string): void {
  if (!kubeConfig.getContextObject(context)) {
    throw new ConfigurationError(
      `the kubeconfig has no context ${JSON.stringify(context)}; it has ${kubeConfig.contexts.map((entry) => JSON.stringify(entry.name)).join(', ') || 'none'}`,
    );
  }
  kubeConfig.setCurrentContext(context);
}

function withNamespace(kubeConfig: KubeConfig): LoadedKubeConfig {
  const namespace = kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace;
  return namespace ? { kubeConfig, namespace } : { kubeConfig };
}

/**
 * The in-cluster configuration, as `KubeConfig.loadFromCluster` builds it (server from
 * `KUBERNETES_SERVICE_HOST`/`_PORT`, the token file re-read when it rotates, `ca.crt`), from a
 * service-account directory that may be elsewhere than the standard path.
 */
function loadInCluster(kubeConfig: KubeConfig, directory: string): LoadedKubeConfig {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new ConfigurationError(
      'kubeConfig { inCluster: true } needs KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT (set in every Pod); outside a cluster use a kubeconfig file',
    );
  }
  const suffix = SERVICE_ACCOUNT_DIRECTORY;
  const prefix = directory.endsWith(suffix) ? directory.slice(0, -suffix.length) : undefined;
  if (prefix !== undefined) {
    kubeConfig.loadFromCluster(prefix);
  } else {
    kubeConfig.loadFromCluster();
    const cluster = kubeConfig.clusters[0];
    const user = kubeConfig.users[0];
    if (cluster && user) {
      kubeConfig.loadFromClusterAndUser(
        { ...cluster, caFile: join(directory, 'ca.crt') },
        { ...user, authProvider: { name: 'tokenFile', config: { tokenFile: join(directory, 'token') } } },
      );
    }
  }
  let namespace: string | undefined;
  try {
    namespace = readFileSync(join(directory, 'namespace'), 'utf8').trim() || undefined;
  } catch {
    namespace = undefined;
  }
  return namespace ? { kubeConfig, namespace } : { kubeConfig };
}

function loadExplicit(kubeConfig: KubeConfig, option: ExplicitClusterConfig): LoadedKubeConfig {
  let server: URL;
  try {
    server = new URL(option.server);
  } catch {
    throw new ConfigurationError(
      `kubeConfig.server must be a URL such as "https://10.0.0.1:6443", got ${JSON.stringify(option.server)}`,
    );
  }
  if ((option.clientCert === undefined) !== (option.clientKey === undefined)) {
    throw new ConfigurationError('kubeConfig.clientCert and kubeConfig.clientKey go together: give both or neither');
  }
  const base64 = (pem: string) => Buffer.from(pem).toString('base64');
  kubeConfig.loadFromClusterAndUser(
    {
      name: 'latentci',
      server: option.server.replace(/\/+$/, ''),
      // The client refuses http:// unless TLS verification is off; there is no TLS to verify on a
      // plain-HTTP server (a `kubectl proxy`, Buildbot's KubeCtlProxyConfigLoader).
      skipTLSVerify: option.skipTlsVerify === true || server.protocol === 'http:',
      ...(option.ca ? { caData: base64(option.ca) } : {}),
    },
    {
      name: 'latentci',
      ...(option.token ? { token: option.token } : {}),
      ...(option.clientCert ? { certData: base64(option.clientCert) } : {}),
      ...(option.clientKey ? { keyData: base64(option.clientKey) } : {}),
    },
  );
  return option.namespace ? { kubeConfig, namespace: option.namespace } : { kubeConfig };
}
