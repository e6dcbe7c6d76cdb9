import { runCli } from './run-cli.js';

// Ctrl-C (or SIGTERM) interrupts: the command stops waiting and removes what it started, then
// exits with 130. Further signals do not cut the cleanup short.
const controller = new AbortController();
let signals = 0;
const onSignal = (signal: NodeJS.Signals) => {
  signals += 1;
  if (signals === 1) {
    process.stderr.write(`\nlatentci: ${signal} received; removing what was started…\n`);
    controller.abort(new Error(`interrupted by ${signal}`));
  } else {
    process.stderr.write('latentci: still cleaning up; it exits as soon as everything is removed\n');
  }
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await runCli(process.argv.slice(2), { signal: controller.signal });
// Exit explicitly: backend clients may keep idle connections open. Flush stdout first.
process.stdout.write('', () => process.exit(code));
