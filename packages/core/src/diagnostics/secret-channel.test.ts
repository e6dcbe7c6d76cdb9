import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { Redactor } from '../secrets/redactor.js';
import { enableSecretPublishing, SECRET_CHANNEL, type SecretMessage } from './channels.js';

describe('the latentci:secret channel', () => {
  const received: string[] = [];
  const listener = (message: unknown) => received.push((message as SecretMessage).secret);
  afterEach(() => {
    unsubscribe(SECRET_CHANNEL, listener);
    received.length = 0;
    // The secret-hygiene setup file of this repository opts in for every test file.
    enableSecretPublishing(true);
  });

  it('publishes no secret unless the process opted in (regression: any subscriber got every secret)', () => {
    enableSecretPublishing(false);
    subscribe(SECRET_CHANNEL, listener);
    new Redactor().add('a-worker-password-1');
    expect(received).toEqual([]);
  });

  it('publishes each registered secret once opted in, for a secret-hygiene harness', () => {
    enableSecretPublishing(true);
    subscribe(SECRET_CHANNEL, listener);
    new Redactor().add('a-worker-password-2');
    expect(received).toEqual(['a-worker-password-2']);
  });
});
