import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assertReadmeShowsExample } from '../../../tests/support/readme-example.js';

const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
const examplePath = fileURLToPath(new URL('./readme-example.ts', import.meta.url));

describe('the README example', () => {
  it('is shown verbatim in the README', () => {
    assertReadmeShowsExample(readmePath, examplePath);
  });

  it('signs a request and makes a verified call to the simulator', async () => {
    const example = await import('./readme-example.js');
    expect(example.signed).toMatchObject({
      'X-Hyper-Date': '20190114T120000Z',
      'X-Hyper-Content-Sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'Content-Type': 'application/json',
    });
    expect(example.signed.Authorization).toMatch(
      /^HYPER-HMAC-SHA256 Credential=EXAMPLEACCESSKEY\/20190114\/us-west-1\/hyper\/hyper_request, SignedHeaders=content-type;host;x-hyper-content-sha256;x-hyper-date, Signature=[0-9a-f]{64}$/,
    );
    expect(example.orphans).toEqual([]);
    expect(example.requests).toMatchObject([
      { method: 'GET', path: '/v1.23/containers/json', status: 200, hostRule: 'exact' },
    ]);
  });
});
