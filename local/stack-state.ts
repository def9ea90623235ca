import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What a running stack tells its command-line tools, in DATA_DIR/local-stack.json: `npm run revoke`
 * and `npm run token` find the stack through it when PORT is not set. Removed on shutdown.
 */
export interface StackState {
  readonly pid: number;
  /** The fields below are written once the stack is ready; until then only pid and startedAt. */
  readonly gatewayUrl: string;
  readonly snsEndpoint: string;
  /** The revocation receiver's routes: `<receiverUrl>/oidc/backchannel-logout`, `/ssf/events`, `/oauth2/revoke`. */
  readonly receiverUrl?: string;
  readonly topicArn: string;
  readonly region: string;
  readonly dynamodbEndpoint: string;
  readonly deadLetterPath: string;
  /** The demo issuer's `iss`, absent when an external issuer is trusted. */
  readonly demoIssuer?: string;
  readonly startedAt: string;
}

export const STATE_FILE = 'local-stack.json';

export function stateFilePath(dataDir: string): string {
  return join(dataDir, STATE_FILE);
}

/** The state of a stack that is still running on this DATA_DIR, or undefined. */
export function readStackState(dataDir: string): StackState | undefined {
  let state: StackState;
  try {
    state = JSON.parse(readFileSync(stateFilePath(dataDir), 'utf8')) as StackState;
  } catch {
    return undefined;
  }
  return typeof state.pid === 'number' && isAlive(state.pid) ? state : undefined;
}

export async function writeStackState(dataDir: string, state: StackState | Pick<StackState, 'pid' | 'startedAt'>): Promise<void> {
  await writeFile(stateFilePath(dataDir), `${JSON.stringify(state, null, 2)}\n`);
}

/** Thrown when another running stack holds DATA_DIR (LevelDB allows one process per directory). */
export class DataDirInUseError extends Error {
  constructor(dataDir: string, state: Pick<StackState, 'pid'>) {
    super(
      `another local stack (pid ${state.pid}) is using ${dataDir}; stop it, use another DATA_DIR, ` +
        `or delete ${stateFilePath(dataDir)} if no stack is running`,
    );
    this.name = new.target.name;
  }
}

/**
 * Takes DATA_DIR for this process, or throws DataDirInUseError when a live stack has it. A state
 * file whose process is alive but whose gateway does not answer is stale (the stack was killed and
 * its pid reused, as happens in containers) and is taken over; dynalite's LevelDB lock still
 * refuses a second stack on the same data.
 */
export async function claimDataDir(dataDir: string): Promise<void> {
  const running = readStackState(dataDir);
  if (running !== undefined && running.pid !== process.pid && (await answers(running))) throw new DataDirInUseError(dataDir, running);
  await writeStackState(dataDir, { pid: process.pid, startedAt: new Date().toISOString() });
}

/**
 * Whether the recorded stack may still be running: only a refused connection to its gateway says
 * it is not. One still starting (no gatewayUrl yet), or too busy to answer in time, counts as running.
 */
async function answers(state: Partial<StackState>): Promise<boolean> {
  if (state.gatewayUrl === undefined) return true;
  try {
    await fetch(new URL('/_local/health', state.gatewayUrl), { signal: AbortSignal.timeout(2000) });
    return true;
  } catch (error) {
    return (error as { cause?: { code?: string } }).cause?.code !== 'ECONNREFUSED';
  }
}

export async function removeStackState(dataDir: string): Promise<void> {
  await rm(stateFilePath(dataDir), { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
