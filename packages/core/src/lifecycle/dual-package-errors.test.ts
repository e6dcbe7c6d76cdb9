import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, isLatentError, LATENT_ERROR_BRAND, latentErrorCode } from '../errors.js';
import { buildResultForSubstantiationFailure } from './build-result.js';
import { workerFixture } from './fixture.test-support.js';

// A CJS provider under an ESM master loads two copies of core: the provider throws errors of the
// CJS build's classes, which are not the ESM build's classes. The lifecycle must still recognise
// them. Needs `pnpm build` of core first (the test command builds before it tests).
const distDirectory = fileURLToPath(new URL('../../dist/', import.meta.url));
const commonJsCore = createRequire(import.meta.url)(`${distDirectory}index.cjs`) as typeof import('../index.js');

describe('errors created by the CJS build of core', () => {
  it('are not instances of the ESM classes, yet carry the shared brand and code', async () => {
    const error = new commonJsCore.CannotSubstantiateError('no such image');
    const esmCore = (await import(pathToFileURL(`${distDirectory}index.js`).href)) as typeof import('../index.js');
    expect(error).not.toBeInstanceOf(esmCore.CannotSubstantiateError);
    expect(error[LATENT_ERROR_BRAND]).toBe(true);
    expect(esmCore.isLatentError(error)).toBe(true);
    expect(isLatentError(error)).toBe(true);
    expect(latentErrorCode(error)).toBe('CANNOT_SUBSTANTIATE');
    expect(esmCore.buildResultForSubstantiationFailure(error)).toBe('EXCEPTION');
  });

  it('a CannotSubstantiateError from the CJS build fails the build instead of retrying it', async () => {
    const { worker, provider } = workerFixture();
    provider.failNextStart(new commonJsCore.CannotSubstantiateError('the image does not exist'));
    const error = await worker.substantiate().catch((reason: unknown) => reason);
    expect(error).toMatchObject({ code: 'CANNOT_SUBSTANTIATE', retryable: false, message: 'the image does not exist' });
    expect(buildResultForSubstantiationFailure(error)).toBe('EXCEPTION');
    await worker.shutdown();
  });

  it('a ConfigurationError from the CJS build becomes CannotSubstantiateError, not a retried failure', async () => {
    const { worker, provider } = workerFixture();
    const cause = new commonJsCore.ConfigurationError('hostconfig key "shm" is unknown');
    provider.failNextStart(cause);
    const error = await worker.substantiate().catch((reason: unknown) => reason);
    expect(error).toMatchObject({ code: 'CANNOT_SUBSTANTIATE', cause });
    expect(buildResultForSubstantiationFailure(error)).toBe('EXCEPTION');
    await worker.shutdown();
  });

  it('a FailedToSubstantiateError from the CJS build is retried and quarantines the worker', async () => {
    const { worker, provider } = workerFixture();
    provider.failNextStart(new commonJsCore.FailedToSubstantiateError('engine unreachable'));
    const error = await worker.substantiate().catch((reason: unknown) => reason);
    expect(error).toMatchObject({ code: 'FAILED_TO_SUBSTANTIATE', quarantined: true });
    expect(buildResultForSubstantiationFailure(error)).toBe('RETRY');
    await worker.shutdown();
  });
});

describe('the retryable rule', () => {
  it('a retryable ConfigurationError (rendered at start) fails the start and the build is retried', async () => {
    const { worker, provider } = workerFixture();
    const cause = new ConfigurationError('volume rendered without ":"', { retryable: true });
    provider.failNextStart(cause);
    const error = await worker.substantiate().catch((reason: unknown) => reason);
    expect(error).toMatchObject({ code: 'FAILED_TO_SUBSTANTIATE', retryable: true, quarantined: true, cause });
    expect(buildResultForSubstantiationFailure(error)).toBe('RETRY');
    await worker.shutdown();
  });

  it('a FailedToSubstantiateError marked not retryable ends the build', async () => {
    const { worker, provider } = workerFixture();
    const cause = new commonJsCore.FailedToSubstantiateError('HTTP 400 from the backend', { retryable: false });
    provider.failNextStart(cause);
    const error = await worker.substantiate().catch((reason: unknown) => reason);
    expect(error).toMatchObject({ code: 'CANNOT_SUBSTANTIATE', retryable: false, cause });
    expect(buildResultForSubstantiationFailure(error)).toBe('EXCEPTION');
    await worker.shutdown();
  });

  it('an error of another library is retryable', async () => {
    const { worker, provider } = workerFixture();
    provider.failNextStart(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const error = await worker.substantiate().catch((reason: unknown) => reason);
    expect(error).toMatchObject({ code: 'FAILED_TO_SUBSTANTIATE', retryable: true });
    await worker.shutdown();
  });
});
