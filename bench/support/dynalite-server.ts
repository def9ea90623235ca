/**
 * Child process: dynalite on a free loopback port, in memory, until stdin closes. Prints
 * `@@PORT <n>` once listening. Run apart from the measuring process, so DynamoDB's work neither
 * shares its event loop nor its heap.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }) as Server;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`@@PORT ${(server.address() as AddressInfo).port}\n`);
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
