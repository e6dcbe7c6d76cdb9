import { ConfigurationError, type LatentErrorOptions } from '@latentci/core';

/** The command line is wrong: unknown option, missing argument, bad value. Exit code 2. */
export class UsageError extends ConfigurationError {
  constructor(message: string, options: LatentErrorOptions = {}) {
    super(message, options);
  }
}

/** The worker config file cannot be read, parsed or validated. Exit code 2. */
export class ConfigFileError extends ConfigurationError {
  /** The config file, when the problem is in one. */
  readonly file: string | undefined;

  constructor(file: string | undefined, message: string, options: LatentErrorOptions = {}) {
    super(file === undefined ? message : `${file}: ${message}`, options);
    this.file = file;
  }
}

/** The provider package named in the config cannot be found or does not export a provider factory. Exit code 2. */
export class ProviderPackageError extends ConfigurationError {
  readonly packageName: string;

  constructor(packageName: string, message: string, options: LatentErrorOptions = {}) {
    super(message, options);
    this.packageName = packageName;
  }
}
