/** Buildbot's name of the msgpack protocol, as a worker's `BUILDMASTER_PROTOCOL` must spell it. */
export const MSGPACK_PROTOCOL = 'msgpack_experimental_v7';

/** The `BUILDMASTER_PROTOCOL` values buildbot-worker understands (anything else makes it exit). */
const KNOWN_PROTOCOLS = ['pb', MSGPACK_PROTOCOL] as const;

/**
 * The protocols `latentci try` answers for a config's `worker.masterProtocol`: the probe's and PB
 * always (PB is the default, and the official 3.7 image speaks PB whatever it is told), msgpack
 * when the config asks the worker for it.
 *
 * @throws Error with code `CONFIGURATION_ERROR` for a value buildbot-worker does not know.
 */
export function masterProtocols(masterProtocol: string | undefined): { readonly msgpack: boolean } {
  const protocol = masterProtocol ?? 'pb';
  if (!(KNOWN_PROTOCOLS as readonly string[]).includes(protocol)) {
    throw Object.assign(
      new Error(
        `"worker.masterProtocol" is ${JSON.stringify(protocol)}, which buildbot-worker does not speak (it would exit at start): use "pb" (the default) or "${MSGPACK_PROTOCOL}"`,
      ),
      { code: 'CONFIGURATION_ERROR' },
    );
  }
  return { msgpack: protocol === MSGPACK_PROTOCOL };
}

/** Why a msgpack connection is turned away when the config did not ask for msgpack. */
export function unexpectedMsgpackReason(masterProtocol: string | undefined): string {
  return `the worker speaks ${MSGPACK_PROTOCOL}, but "worker.masterProtocol" is "${masterProtocol ?? 'pb'}": set it to "${MSGPACK_PROTOCOL}" (and have your master listen for msgpack), or make the image speak PB`;
}
