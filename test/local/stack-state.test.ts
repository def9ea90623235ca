import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimDataDir, DataDirInUseError, stateFilePath } from '../../local/stack-state.js';
import { freePort } from './support/stack-process.js';

/** pid 1 is always alive: a state file naming it looks like a running stack, or one whose pid was reused. */
const LIVE_OTHER_PID = 1;

describe('claimDataDir', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'stack-state-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  const recordStack = (gatewayUrl?: string) =>
    writeFile(
      stateFilePath(dataDir),
      JSON.stringify({ pid: LIVE_OTHER_PID, startedAt: new Date().toISOString(), ...(gatewayUrl ? { gatewayUrl } : {}) }),
    );

  it('takes over a stale state file: its pid is alive but nothing answers at its gateway', async () => {
    await recordStack(`http://localhost:${await freePort()}`);

    await claimDataDir(dataDir);

    expect(JSON.parse(await readFile(stateFilePath(dataDir), 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('refuses a DATA_DIR whose stack answers at its gateway, or is still starting', async () => {
    const gateway = createServer((_, response) => response.end('{}'));
    await new Promise<void>((done) => gateway.listen(0, '127.0.0.1', done));
    try {
      await recordStack(`http://127.0.0.1:${(gateway.address() as AddressInfo).port}`);
      await expect(claimDataDir(dataDir)).rejects.toThrow(DataDirInUseError);

      await recordStack(undefined);
      await expect(claimDataDir(dataDir)).rejects.toThrow(`another local stack (pid ${LIVE_OTHER_PID}) is using ${dataDir}`);
    } finally {
      gateway.closeAllConnections();
      await new Promise((done) => gateway.close(done));
    }
  });
});
