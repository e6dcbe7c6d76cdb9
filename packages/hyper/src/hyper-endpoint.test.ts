import { ConfigurationError } from '@latentci/core';
import { describe, expect, it } from 'vitest';
import { hyperBaseUrl } from './hyper-endpoint.js';

describe('hyperBaseUrl', () => {
  it("turns Buildbot's tcp:// form into https://, keeping the port", () => {
    expect(hyperBaseUrl('tcp://us-west-1.hyper.sh:443').href).toBe('https://us-west-1.hyper.sh/');
    expect(hyperBaseUrl('tcp://hyper.example:8443').href).toBe('https://hyper.example:8443/');
  });
  it('uses https for a bare host[:port]', () => {
    expect(hyperBaseUrl('eu-central-1.hyper.sh').href).toBe('https://eu-central-1.hyper.sh/');
  });
  it('keeps https:// and http:// URLs, and a path prefix', () => {
    expect(hyperBaseUrl('http://127.0.0.1:4000').href).toBe('http://127.0.0.1:4000/');
    expect(hyperBaseUrl('https://proxy.example/hyper').href).toBe('https://proxy.example/hyper/');
  });
  it("replaces the Hyper CLI's * wildcard with the region", () => {
    expect(hyperBaseUrl('tcp://*.hyper.sh:443', 'eu-central-1').href).toBe('https://eu-central-1.hyper.sh/');
    expect(hyperBaseUrl('tcp://*.hyper.sh:443').href).toBe('https://us-west-1.hyper.sh/');
  });
  it('refuses other schemes, queries and credentials with a ConfigurationError', () => {
    expect(() => hyperBaseUrl('ftp://hyper.example')).toThrow(ConfigurationError);
    expect(() => hyperBaseUrl('https://hyper.example/?x=1')).toThrow('must not carry a query');
    expect(() => hyperBaseUrl('https://user:pw@hyper.example/')).toThrow(ConfigurationError);
    expect(() => hyperBaseUrl('   ')).toThrow('hyperHost is required');
  });
});
