import { DEFAULT_POOL_HOLD_MS, DEFAULT_POOL_IDLE, DEFAULT_POOL_MAX } from './pool-defaults.js';
import { DEFAULT_TRY_TIMEOUT, TEARDOWN_BUDGET_SECONDS, TEARDOWN_GRACE_SECONDS } from './try-defaults.js';

export const MAIN_HELP = `latentci — try latent-worker configurations in seconds, and clean up after crashed masters

Usage:
  latentci try <config> [options]     start one worker and tell whether it connects to the master
  latentci pool <config> [options]    keep a pool of warm workers and print its stats (try it under load)
  latentci ls <config> [options]      list the instances latentci started for the config's master
  latentci reap <config> [options]    remove those instances (after a crashed master)
  latentci <command> --help           options of a command
  latentci --version

<config> is a .json file or a JS/TS module exporting (as default)
  { "provider": "@latentci/docker", "settings": { "image": "…" }, "worker": { "name": "…" } }

Exit codes: 0 ok/attached, 2 config or usage error, 3 crashed before connecting,
4 timed out / never connected, 5 reached but authentication failed, 6 backend error, 130 interrupted.
`;

export const TRY_HELP = `latentci try <config> [options]

Starts one worker from <config> through the latent-worker lifecycle, listens where the worker is
told the master is (worker.masterFQDN / masterPort, default 172.17.0.1:9989), streams the
instance's startup logs and image progress, and reports: attached, reached but authentication
failed, crashed (with its last log lines), or timed out. Then removes everything it started.
It answers the probe's protocol and Buildbot's PB, and msgpack when worker.masterProtocol is
"msgpack_experimental_v7", so a real buildbot-worker logs in: a wrong password is reported as
"wrong password for worker <name>" (exit 5), and the worker's own info (buildbot-worker version,
host, OS, protocol) is shown.

Options:
  --timeout <seconds>   how long the worker gets to connect, the check for an existing instance
                        and the start included (default ${DEFAULT_TRY_TIMEOUT})
  --keep                leave the instance running after it attached (remove it with latentci reap)
  --replace             remove an existing instance of the same worker and master id first (by
                        default try refuses: it may be another run's or a master's sharing the id)
  --master <host:port>  listen there and tell the worker to connect there (port 0: a free port)
  --run "<command>"     once a Buildbot worker logged in, run this shell command on it and show
                        its output and exit code (the try's exit code stays the login's verdict)
  --observe <host:port> only observe: listen without answering as a master; a TCP connection
                        counts as "reached" (for workers that are not Buildbot workers)
  --json                one JSON object per event line; the last line is {"event":"result",…}
  -h, --help            this help

Exit codes: 0 attached (or reached, with --observe), 2 config error, 3 crashed before connecting,
4 timed out / never connected, 5 reached but authentication failed, 6 backend error, 130 interrupted.
Time bound: once the config is loaded, try ends within --timeout + ${TEARDOWN_BUDGET_SECONDS + TEARDOWN_GRACE_SECONDS}s, whatever the backend
does. --timeout covers everything up to the login; then the teardown gets ${TEARDOWN_BUDGET_SECONDS + TEARDOWN_GRACE_SECONDS}s in all (each stop
${TEARDOWN_BUDGET_SECONDS}s). A backend that does not answer at all is reported after --timeout, with nothing
started and nothing to tear down. Ctrl-C stops waiting and removes the instance; a second Ctrl-C
abandons the cleanup at once. When the cleanup does not finish, the output names what may be left
and \`latentci reap <config>\` removes it.
`;

export const POOL_HELP = `latentci pool <config> [options]

Keeps a warm pool of the config's worker: workers <worker.name>-1 … <worker.name>-<max>, each with
the config's password (or one the pool generates per name), started through the latent-worker
lifecycle and attached to a master it runs itself (the one latentci try runs: the probe's
protocol, Buildbot's PB, and msgpack when worker.masterProtocol asks for it). Prints the pool's
stats every second (idle, starting, leased, stopping, waiting, failures, leases and how many were
warm, time-to-lease p50/p95): one line redrawn in place on a terminal, plain lines otherwise.
With --load or --acquire-every it simulates builds that lease a worker, hold it and release it,
so warm and cold time-to-lease show side by side. A released worker is stopped and a fresh one
warms up (ephemeral workers).

Options:
  --idle <n>            attached workers kept ready (default ${DEFAULT_POOL_IDLE})
  --max <n>             most workers at once, in any state (default ${DEFAULT_POOL_MAX}); --idle cannot exceed it
  --duration <seconds>  run that long, then close the pool (default: until Ctrl-C)
  --load <n>            n simulated clients, each acquiring a worker again once its lease ended
  --acquire-every <ms>  one simulated acquire every <ms> milliseconds instead (they queue when
                        every worker is busy)
  --hold <ms>           how long a simulated build keeps its lease (default ${DEFAULT_POOL_HOLD_MS})
  --timeout <seconds>   how long each worker gets to attach (default: worker.missingTimeout, else ${DEFAULT_TRY_TIMEOUT})
  --master <host:port>  listen there and tell the workers to connect there (port 0: a free port)
  --json                one JSON object per event line ({"event":"stats",…} per snapshot); the
                        last line is {"event":"result",…}
  -h, --help            this help

Ctrl-C (or the end of --duration) closes the pool: simulated builds release their leases and every
worker stops, within ${TEARDOWN_BUDGET_SECONDS + TEARDOWN_GRACE_SECONDS}s. A second Ctrl-C abandons the cleanup: the output names the workers
whose instances may be left, and \`latentci reap <config>\` removes them. The pool refuses to start
when instances of its workers already exist for the master id.

Exit codes: 0 ran and closed, 2 config or usage error, 6 backend error, no worker ever attached,
or the cleanup did not finish, 130 interrupted.
`;

const INSTANCE_OPTIONS = `Options:
  --provider <package>  provider package instead of a config (e.g. @latentci/docker)
  --settings <json>     provider settings with --provider (default {}); give what the provider's
                        factory requires (the docker provider: an "image", any value)
  --master-id <id>      the master whose instances to act on (default: the config's worker.masterId,
                        or latentci-cli)
  --worker <name>       only this worker's instances
  --json                print one JSON object
  -h, --help            this help
`;

export const LS_HELP = `latentci ls <config> [options]
latentci ls --provider <package> --master-id <id> [options]

Lists the instances labelled as started by latentci for the master (io.latentci.managed,
io.latentci.master), running or not.

${INSTANCE_OPTIONS}
Exit codes: 0 listed, 2 config or usage error, 6 backend error.
`;

export const REAP_HELP = `latentci reap <config> [options]
latentci reap --provider <package> --master-id <id> [options]

Removes every instance labelled as started by latentci for the master: what a crashed master left.
  --dry-run             only print what would be removed

${INSTANCE_OPTIONS}
Exit codes: 0 all removed, 2 config or usage error, 6 backend error or some could not be removed.
`;
