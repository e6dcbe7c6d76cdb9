import { runCli } from './run-cli.js';

// Ctrl-C (or SIGTERM) interrupts: the command stops waiting and removes what it started (bounded
// by the teardown budget), then exits with 130. A second signal abandons the cleanup: the command
// says what may be left and how to remove it, and exits at once.
const controller = new AbortController();
const abandon = new AbortController();
/** After a second signal, the command gets this long to report what it abandoned before the process exits anyway. */
const ABANDON_REPORT_MS = 2000;
let signals = 0;
const onSignal = (signal: NodeJS.Signals) => {
  signals += 1;
  if (signals === 1) {
    process.stderr.write(
      `\nlatentci: ${signal} received; removing what was started (interrupt again to abandon the cleanup)…\n`,
    );
    controller.abort(new Error(`interrupted by ${signal}`));
    return;
  }
  if (signals === 2) {
    process.stderr.write('latentci: abandoning the cleanup\n');
    abandon.abort(new Error(`cleanup abandoned by a second ${signal}`));
    setTimeout(() => {
      process.stderr.write(
        'latentci: exiting without finishing the cleanup; instances it started may be left: list them with `latentci ls <config>` and remove them with `latentci reap <config>`\n',
      );
      process.exit(130);
    }, ABANDON_REPORT_MS).unref();
  }
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await runCli(process.argv.slice(2), { signal: controller.signal, abandon: abandon.signal });
// Exit explicitly: backend clients may keep idle connections open. Flush stdout first.
process.stdout.write('', () => process.exit(code));
