import { EXIT_CODES, type ExitCode } from './exit-codes.js';

/** What `latentci try` concluded. */
export type TryOutcome =
  | 'attached'
  | 'reached'
  | 'authentication-failed'
  | 'crashed'
  | 'timed-out'
  | 'backend-error'
  | 'configuration-error'
  | 'interrupted';

/** Everything observed during one try; the diagnosis is a function of these facts only. */
export interface TryFacts {
  /** `attach`: the CLI answered as the master and checked credentials; `observe`: it only watched for TCP connections. */
  readonly mode: 'attach' | 'observe';
  /** The address the worker was told to connect to (`host:port`). */
  readonly master: string;
  readonly timeoutSeconds: number;
  /** Ctrl-C, SIGINT or SIGTERM ended the try. */
  readonly interrupted: boolean;
  /** The worker attached with the right credentials (the lifecycle reached SUBSTANTIATED). */
  readonly attached: boolean;
  /** TCP connections that arrived at the master address. */
  readonly connectionsSeen: number;
  /** Workers that presented credentials and were refused, with why. */
  readonly refusals: readonly { readonly reason: string; readonly remoteAddress: string }[];
  /** The error the substantiation failed with (its `code` and message), when it failed. */
  readonly failure?: { readonly code: string; readonly message: string } | undefined;
  /** The last lines the instance printed. */
  readonly lastLogLines: readonly string[];
  /**
   * The backend (this provider label) never answered the start: `startInstance` had not returned
   * when the time ran out, and it reported no progress. The instance's network was never tested.
   */
  readonly unansweredBackend?: string | undefined;
  /**
   * What the unanswered backend was asked: `starting the instance` (default), or `listing its
   * instances` (the check for an existing instance, before anything was started).
   */
  readonly unansweredStep?: 'starting the instance' | 'listing its instances' | undefined;
  /** The cleanup did not finish (budget exceeded, abandoned, or the stop failed): what may be left and how to remove it. */
  readonly leftBehind?: { readonly what: string; readonly reap: string; readonly why: string } | undefined;
}

export interface Diagnosis {
  readonly outcome: TryOutcome;
  readonly exitCode: ExitCode;
  /** A TCP connection (or a greeting) reached the master address. */
  readonly reachedMaster: boolean;
  /** The credentials were accepted (`true`), refused (`false`), or never presented/checked (`null`). */
  readonly authenticated: boolean | null;
  /** One sentence saying what happened. */
  readonly summary: string;
  /** What to check or do next. */
  readonly hints: readonly string[];
  readonly lastLogLines: readonly string[];
}

const CONFIGURATION_CODES = new Set(['CONFIGURATION_ERROR', 'RENDER_ERROR', 'UNSUPPORTED_SPECIFICATION_VERSION']);

/** Turns what was observed into an outcome, an exit code, a summary and hints. Pure. */
export function diagnose(facts: TryFacts): Diagnosis {
  const diagnosis = diagnoseOutcome(facts);
  const left = facts.leftBehind;
  if (left === undefined) return diagnosis;
  const warning = `${left.why}: ${left.what} may be left behind; remove it with \`${left.reap}\``;
  return {
    ...diagnosis,
    summary:
      diagnosis.outcome === 'interrupted' ? `interrupted; the cleanup did not finish (${left.why})` : diagnosis.summary,
    hints: [warning, ...diagnosis.hints],
  };
}

function diagnoseOutcome(facts: TryFacts): Diagnosis {
  const reachedMaster = facts.attached || facts.connectionsSeen > 0 || facts.refusals.length > 0;
  const base = { reachedMaster, lastLogLines: facts.lastLogLines };
  const failure = facts.failure;

  if (facts.interrupted) {
    return {
      ...base,
      outcome: 'interrupted',
      exitCode: EXIT_CODES.interrupted,
      authenticated: facts.attached ? true : facts.refusals.length > 0 ? false : null,
      summary: 'interrupted; everything that was started has been removed',
      hints: [],
    };
  }
  if (facts.attached) {
    return {
      ...base,
      outcome: 'attached',
      exitCode: EXIT_CODES.attached,
      authenticated: true,
      summary: `the worker reached the master at ${facts.master} and authenticated: this configuration works`,
      hints: [],
    };
  }
  if (facts.mode === 'observe' && facts.connectionsSeen > 0) {
    return {
      ...base,
      outcome: 'reached',
      exitCode: EXIT_CODES.attached,
      authenticated: null,
      summary: `the worker reached the master address ${facts.master} (a TCP connection arrived); authentication was not checked in --observe mode`,
      hints: ['run without --observe to have latentci check the worker name and password too'],
    };
  }
  if (facts.refusals.length > 0) {
    const first = facts.refusals[0]!;
    return {
      ...base,
      outcome: 'authentication-failed',
      exitCode: EXIT_CODES.authenticationFailed,
      authenticated: false,
      summary: `the worker reached the master at ${facts.master} from ${first.remoteAddress}, but authentication failed: ${first.reason}`,
      hints: [
        'the instance must log in with WORKERNAME and WORKERPASS as latentci sets them: check that the image does not override them',
        'check "worker.name" and "worker.password" in the config against what the master expects',
      ],
    };
  }
  if (failure && CONFIGURATION_CODES.has(failure.code)) {
    return {
      ...base,
      outcome: 'configuration-error',
      exitCode: EXIT_CODES.configurationError,
      authenticated: null,
      summary: failure.message,
      hints: ['fix the setting named above in the config and try again'],
    };
  }
  if (failure?.code === 'WORKER_CRASHED') {
    // The health check's message: a first line (e.g. "container … exited with code 1; logs:") and
    // the instance's last log lines, used when none were streamed.
    const [first = '', ...rest] = failure.message.split('\n');
    const detail = first.replace(/^.*crashed before connecting:\s*/, '').replace(/;?\s*logs:\s*$/, '');
    const lastLogLines =
      facts.lastLogLines.length > 0 ? facts.lastLogLines : rest.filter((line) => line.trim().length > 0).slice(-20);
    return {
      ...base,
      lastLogLines,
      outcome: 'crashed',
      exitCode: EXIT_CODES.crashed,
      authenticated: null,
      summary: `the instance crashed before its worker connected to the master at ${facts.master}${detail ? ` (${detail})` : ''}${reachedMaster ? '; a connection had arrived, but no worker logged in' : ''}`,
      hints: [
        lastLogLines.length > 0
          ? 'its last log lines are shown above: they usually say why it exited'
          : 'it printed nothing: check the image entrypoint/command and that the image runs a worker',
        'the worker gets BUILDMASTER, BUILDMASTER_PORT, WORKERNAME and WORKERPASS: check the image uses them',
      ],
    };
  }
  if ((failure === undefined || failure.code === 'SUBSTANTIATION_TIMEOUT') && facts.unansweredBackend !== undefined) {
    return {
      ...base,
      outcome: 'backend-error',
      exitCode: EXIT_CODES.backendError,
      authenticated: null,
      summary:
        facts.unansweredStep === 'listing its instances'
          ? `the backend (${facts.unansweredBackend}) did not answer: listing its instances had not returned after ${facts.timeoutSeconds}s, so nothing was started and the master address was never tested`
          : `the backend (${facts.unansweredBackend}) did not answer: starting the instance had not returned after ${facts.timeoutSeconds}s, so no worker could connect and the master address was never tested`,
      hints: [
        'check that the backend address in the provider settings is right and that the backend answers there (for Docker: `docker -H <dockerHost> info`); an address that accepts connections but never answers is often a wrong port, or a proxy or firewall in between',
        'if the backend is only slow, raise --timeout',
      ],
    };
  }
  if (failure === undefined || failure.code === 'SUBSTANTIATION_TIMEOUT') {
    return {
      ...base,
      outcome: 'timed-out',
      exitCode: EXIT_CODES.timedOut,
      authenticated: null,
      summary: reachedMaster
        ? `a connection reached the master at ${facts.master}, but no worker completed the login within ${facts.timeoutSeconds}s`
        : `the worker never connected to the master at ${facts.master} within ${facts.timeoutSeconds}s`,
      hints: reachedMaster
        ? ['the instance connected but did not speak the worker protocol: is it a worker image?']
        : [
            ...(/^(127\.|localhost|\[?::1\]?:)/.test(facts.master)
              ? [
                  `${facts.master} is a loopback address: inside a container or VM it is the instance itself, not this machine; use an address the instance can reach (172.17.0.1 for Docker's default bridge)`,
                ]
              : []),
            `check that ${facts.master} is reachable from inside the instance (masterFQDN, masterPort, firewall, network)`,
            'check that the image starts a worker and that it reads BUILDMASTER and BUILDMASTER_PORT',
            'if starting legitimately takes longer (image pulls count), raise --timeout',
          ],
    };
  }
  return {
    ...base,
    outcome: 'backend-error',
    exitCode: EXIT_CODES.backendError,
    authenticated: null,
    summary: `the provider could not start the instance: ${failure.message}`,
    hints: [
      failure.code === 'CANNOT_SUBSTANTIATE'
        ? 'the request cannot work as configured (for example the image does not exist): fix the provider settings'
        : 'check that the backend is reachable and healthy (e.g. `docker info`), then try again',
    ],
  };
}
