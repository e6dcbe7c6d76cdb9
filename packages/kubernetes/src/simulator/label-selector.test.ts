import { describe, expect, it } from 'vitest';
import { parseFieldSelector, parseLabelSelector, SelectorSyntaxError } from './label-selector.js';

describe('label selectors (labelSelector=)', () => {
  const labels = { app: 'ci', tier: 'a', 'io.latentci.master': 'm1' };
  it.each([
    ['', true],
    ['app=ci', true],
    ['app==ci', true],
    ['app!=ci', false],
    ['app=ci,tier=b', false],
    ['tier in (a, b)', true],
    ['tier notin (a)', false],
    ['missing notin (a)', true],
    ['io.latentci.master', true],
    ['!io.latentci.master', false],
    ['!missing', true],
  ])('%j matches %s', (selector, expected) => {
    expect(parseLabelSelector(selector)(labels)).toBe(expected);
  });

  it('refuses what the server refuses', () => {
    expect(() => parseLabelSelector('app=ci=x')).toThrow(SelectorSyntaxError);
  });
});

describe('field selectors (fieldSelector=)', () => {
  it('supports =, == and != on the listed fields only', () => {
    const matches = parseFieldSelector('metadata.name=x,status.phase!=Failed', ['metadata.name', 'status.phase']);
    expect(matches({ 'metadata.name': 'x', 'status.phase': 'Running' })).toBe(true);
    expect(matches({ 'metadata.name': 'x', 'status.phase': 'Failed' })).toBe(false);
    expect(() => parseFieldSelector('spec.image=x', ['metadata.name'])).toThrow(/not a known field selector/);
  });
});
