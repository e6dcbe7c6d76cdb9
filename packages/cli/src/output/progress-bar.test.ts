import { describe, expect, it } from 'vitest';
import { formatBytes, renderProgressBar } from './progress-bar.js';

describe('renderProgressBar', () => {
  it('draws one bar over the bytes of every layer', () => {
    const items = new Map([
      ['a', { status: 'Downloading', current: 500_000, total: 1_000_000 }],
      ['b', { status: 'Downloading', current: 0, total: 1_000_000 }],
    ]);
    expect(renderProgressBar('pull', items, 8)).toBe('pull [██░░░░░░] 25% 500.0kB/2.0MB');
  });

  it('shows the latest status when no layer reports a size', () => {
    expect(renderProgressBar('build', new Map([['x', { status: 'Step 1/2 : FROM scratch' }]]))).toBe(
      'build: Step 1/2 : FROM scratch',
    );
  });

  it('formats byte counts like docker pull', () => {
    expect(formatBytes(999)).toBe('999B');
    expect(formatBytes(12_345_678)).toBe('12.3MB');
  });
});
