import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Thrown when a port cannot be opened; names the variable that chose it. */
export class ListenError extends Error {
  constructor(
    readonly variable: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Listens on host:port and resolves with the bound port (port 0 picks a free one). */
export function listen(server: Server, port: number, host: string, variable: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      const reason =
        error.code === 'EADDRINUSE'
          ? `port ${port} on ${host} is already in use; stop what uses it or set ${variable} to another port`
          : `cannot listen on ${host}:${port} (${error.code ?? error.message}); check ${variable}`;
      reject(new ListenError(variable, reason, { cause: error }));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/**
 * Closes a server: no new connections, idle keep-alive connections closed as they become idle,
 * requests in flight given `drainMs` to finish before their connections are cut.
 */
export function closeServer(server: Server, drainMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const cut = setTimeout(() => server.closeAllConnections(), drainMs);
    server.close((error) => {
      clearInterval(sweep);
      clearTimeout(cut);
      if (error && (error as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING') reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
