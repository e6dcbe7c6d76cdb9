import { describe, expect, it } from 'vitest';
import { createHumanReporter, createJsonReporter } from './human-reporter.js';

function capture(tty: boolean) {
  let text = '';
  const report = createHumanReporter({
    write: (chunk) => {
      text += chunk;
    },
    tty,
    color: false,
  });
  return { report, text: () => text };
}

describe('the human reporter', () => {
  it('redraws one progress bar in place on a terminal, and clears it before the next line', () => {
    const { report, text } = capture(true);
    report({ event: 'progress', phase: 'pull', status: 'Downloading', id: 'a', current: 1_000, total: 4_000 });
    report({ event: 'progress', phase: 'pull', status: 'Downloading', id: 'a', current: 2_000, total: 4_000 });
    report({ event: 'log', line: 'worker booting', stream: 'stderr' });
    expect(text()).toContain('\r\x1b[2Kpull [██████░░░░░░░░░░░░░░░░░░] 25% 1.0kB/4.0kB');
    expect(text()).toContain('\r\x1b[2Kpull [████████████░░░░░░░░░░░░] 50% 2.0kB/4.0kB');
    expect(text()).toMatch(/50% 2\.0kB\/4\.0kB\r\x1b\[2K\[.*\] │ worker booting\n$/);
  });

  it('prints progress as plain lines when not on a terminal, once per status change', () => {
    const { report, text } = capture(false);
    report({ event: 'progress', phase: 'pull', status: 'Downloading', id: 'a', current: 1, total: 4 });
    report({ event: 'progress', phase: 'pull', status: 'Downloading', id: 'a', current: 2, total: 4 });
    report({ event: 'progress', phase: 'pull', status: 'Pull complete', id: 'a' });
    const lines = text().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/pull a: Downloading$/);
    expect(lines[1]).toMatch(/pull a: Pull complete$/);
    expect(text()).not.toContain('\r');
  });

  it('ends with the verdict, the last log lines of a crash, the hints and the exit code', () => {
    const { report, text } = capture(false);
    report({
      event: 'result',
      outcome: 'crashed',
      exitCode: 3,
      reachedMaster: false,
      authenticated: null,
      summary: 'the instance crashed before its worker connected',
      hints: ['look at its last log lines'],
      lastLogLines: ['fatal: no config'],
      master: '172.17.0.1:9989',
      kept: false,
      elapsedSeconds: 1.5,
    });
    expect(text()).toContain('✘ CRASHED: the instance crashed before its worker connected');
    expect(text()).toContain('reached the master: no; authenticated: not checked; after 1.5s');
    expect(text()).toContain('    fatal: no config');
    expect(text()).toContain('  → look at its last log lines');
    expect(text()).toContain('exit code 3');
  });
});

describe('the JSON reporter', () => {
  it('prints one JSON object per line', () => {
    let text = '';
    const report = createJsonReporter((chunk) => {
      text += chunk;
    });
    report({ event: 'listening', master: '127.0.0.1:1', mode: 'attach' });
    report({ event: 'connection', remoteAddress: '127.0.0.1' });
    expect(text.split('\n')).toEqual([
      '{"event":"listening","master":"127.0.0.1:1","mode":"attach"}',
      '{"event":"connection","remoteAddress":"127.0.0.1"}',
      '',
    ]);
  });

  it('cuts the redrawn progress line to the terminal width (regression: a wrapped line left a copy per redraw)', () => {
    let text = '';
    const report = createHumanReporter({ write: (chunk) => (text += chunk), tty: true, color: false, columns: 30 });
    const status = 'Downloading sha256:4f4fb700ef54461cfa02571ae0db9a0dc1e0cdb5577484a6d75e68dc38e8acc1';
    report({ event: 'progress', phase: 'pull', status, id: 'a' });
    report({ event: 'progress', phase: 'pull', status: 'Extracting layer 日本語 é', id: 'a', current: 5, total: 10 });
    const redraws = text.split('\r\x1b[2K').filter((part) => part.length > 0);
    expect(redraws).toEqual(['pull: Downloading sha256:4f4…', 'pull [████████████░░░░░░░░░░…']);
    for (const redraw of redraws) expect(Array.from(redraw).length).toBeLessThan(30);
  });
});

describe('defect 9 (#23): instance output cannot drive the terminal', () => {
  it('ANSI and OSC escape sequences and other control characters in echoed output are neutralised', () => {
    let printed = '';
    const report = createHumanReporter({ write: (text) => (printed += text), tty: false, color: false });
    report({ event: 'log', line: '\x1b]0;pwned title\x07\x1b[2J\x1b[31mred\x9b1m\rback\x7f', stream: 'stdout' });
    expect(printed).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    expect(printed).toContain('\\x1b]0;pwned title\\x07\\x1b[2J\\x1b[31mred\\x9b1m\\x0dback\\x7f');
  });

  it('a 10 MB line is cut', () => {
    let printed = '';
    const report = createHumanReporter({ write: (text) => (printed += text), tty: false, color: false });
    report({ event: 'log', line: 'x'.repeat(10 * 1024 * 1024), stream: 'stdout' });
    expect(printed.length).toBeLessThan(3000);
    expect(printed).toContain('(10485760 characters in all)');
  });
});
