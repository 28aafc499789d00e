/**
 * A server that cannot bind its port says so in one line: which address, why, and what to change.
 * The usual cause, a second copy of the server on a busy port, is an operating fact, not a bug,
 * so the error carries no stack.
 */

/** A server could not listen: the port is in use (`EADDRINUSE`), not allowed (`EACCES`), ... */
export class ListenError extends Error {
  /** Always `'ListenError'`. */
  override name = 'ListenError';
  /** The Node error code: `EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`, ... */
  readonly code: string | undefined;
  /** The address it tried to bind. */
  readonly host: string;
  /** The port it tried to bind. */
  readonly port: number;

  constructor(message: string, host: string, port: number, cause: unknown) {
    super(message, { cause });
    const code = (cause as { code?: unknown }).code;
    this.code = typeof code === 'string' ? code : undefined;
    this.host = host;
    this.port = port;
    // One line when printed uncaught: the message says everything a stack would not.
    this.stack = `${this.name}: ${message}`;
  }
}

/**
 * Turns a `listen` failure into a {@link ListenError} whose message names the address and how to
 * choose another; `portSetting` says where the port comes from (`'the port option'`, `'PORT'`).
 */
export function listenError(err: unknown, host: string, port: number, portSetting: string): ListenError {
  const code = (err as { code?: unknown } | null)?.code;
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const why =
    code === 'EADDRINUSE'
      ? `port ${port} is already in use on ${host} (is another server running?)`
      : code === 'EACCES'
        ? `not allowed to listen on ${address} (ports below 1024 need privileges)`
        : `cannot listen on ${address}: ${err instanceof Error ? err.message : String(err)}`;
  return new ListenError(`rfc6455: ${why}; choose another port with ${portSetting} (0 picks a free one)`, host, port, err);
}
