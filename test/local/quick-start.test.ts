import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './support/stack-process.js';

/**
 * README's quick start, run as a newcomer runs it: a fresh clone of the committed tree, `npm ci`,
 * then every block README marks `<!-- quick-start: terminal N -->`, line by line and verbatim, typed
 * into two terminals (bash in a pseudo-terminal, through util-linux `script`). The only change is
 * the port numbers: tests run in parallel, so 3000 and 8000 become free ports (PORT and
 * DYNAMODB_PORT for `npm start`, rewritten in the commands, mapped back in what they print). Each
 * `<!-- quick-start: output -->` block must then appear in what its commands printed, line by line
 * in order (`...` lines and `…` stand for anything). So README cannot drift from what happens.
 */

const REPOSITORY = resolve(import.meta.dirname, '..', '..');
const README = readFileSync(join(REPOSITORY, 'README.md'), 'utf8');
/** npm ci from the local cache, a stack start and a restart, on a loaded 2-core machine. */
const TEST_TIMEOUT_MS = 240_000;

interface Step {
  readonly terminal: number;
  /** Command lines, as README shows them. */
  readonly commands: string[];
  /** The output block after them, as lines; empty when README shows none. */
  expected: string[];
}

/** The marked blocks of README, in order. */
function quickStartSteps(markdown: string): Step[] {
  const steps: Step[] = [];
  const lines = markdown.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const marker = /^<!-- quick-start: (terminal (\d+)|output)\b/.exec(lines[index]!);
    if (!marker) continue;
    while (!lines[index]!.includes('-->')) index++;
    while (!lines[index]!.startsWith('```')) index++;
    const block: string[] = [];
    for (index++; !lines[index]!.startsWith('```'); index++) block.push(lines[index]!);
    if (marker[2] !== undefined)
      steps.push({ terminal: Number(marker[2]), commands: block.filter((line) => line.trim() !== ''), expected: [] });
    else if (steps.length > 0) steps.at(-1)!.expected = block;
    else throw new Error('README: a quick-start output block comes before any quick-start terminal block');
  }
  return steps;
}

/** Why the test cannot run here, or undefined. */
function skipReason(): string | undefined {
  if (spawnSync('script', ['--version']).status !== 0) return 'util-linux `script` (for a pseudo-terminal) is not installed';
  if (spawnSync('git', ['-C', REPOSITORY, 'rev-parse', 'HEAD']).status !== 0) return 'not a git checkout: nothing to clone';
  return undefined;
}

/**
 * The environment of a newcomer's shell: this one without npm's script variables (an `npm test`
 * run sets npm_config_* for its children, which would steer npm in the clone), without the
 * project's node_modules/.bin on PATH and without the stack's own variables.
 */
function freshShellEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (
      /^npm_/i.test(name) ||
      ['PORT', 'DYNAMODB_PORT', 'DATA_DIR', 'INIT_CWD', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'].includes(name)
    )
      continue;
    env[name] = value;
  }
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((entry) => !entry.includes(`node_modules/.bin`))
    .join(delimiter);
  // From the local cache, without the registry's audit and funding calls: the lockfile pins everything.
  return { ...env, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', ...extra };
}

/** bash reading what is typed into a pseudo-terminal, as in a terminal window. */
class Terminal {
  transcript = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(cwd: string, env: NodeJS.ProcessEnv) {
    // bash on a terminal is interactive (job control: Ctrl-C reaches the command, not bash); no
    // prompt and no line editing, so the transcript holds what was typed and what was printed.
    // (`env`: script's own shell would drop PS1 before bash saw it.)
    this.child = spawn('script', ['-qfec', 'env PS1= PS2= bash --noprofile --norc --noediting -i', '/dev/null'], {
      cwd,
      env,
      stdio: 'pipe',
      detached: true,
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.transcript += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.transcript += chunk.toString()));
    this.exited = new Promise((done) => this.child.on('exit', (code) => done(code)));
  }

  /** Types a line; what it prints starts at the returned offset of the transcript. */
  type(line: string): number {
    const offset = this.transcript.length;
    this.child.stdin!.write(`${line}\n`);
    return offset;
  }

  /** Ctrl-C: the terminal sends SIGINT to what runs in the foreground. */
  interrupt(): void {
    this.child.stdin!.write('\x03');
  }

  /** Types a command line and then a marker, and resolves with the command's exit status and output. */
  async run(line: string, timeoutMs: number): Promise<{ status: number; output: string }> {
    const offset = this.type(line);
    // A newline first: curl leaves its output's last line unterminated.
    this.type(`printf '\\n@@done %s@@\\n' "$?"`);
    const match = await this.waitFor(/@@done (\d+)@@/, offset, timeoutMs, line);
    return { status: Number(match[1]), output: this.transcript.slice(offset, this.transcript.length) };
  }

  async waitFor(pattern: RegExp, offset: number, timeoutMs: number, what: string): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.transcript.slice(offset));
      if (match) return match;
      if (Date.now() > deadline)
        throw new Error(`no ${pattern} within ${timeoutMs} ms after \`${what}\`; the terminal shows:\n${this.transcript}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  }

  async kill(): Promise<void> {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await Promise.race([this.exited, new Promise((done) => setTimeout(done, 2000))]);
  }
}

/** Where an output block's lines fail to appear in order in `output`, or undefined when they all do. */
function missingLine(expected: readonly string[], output: string): string | undefined {
  const lines = output
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    .split(/\r?\n|\r/)
    .map((line) => line.trimEnd());
  let at = 0;
  for (const wanted of expected.map((line) => line.trimEnd())) {
    if (wanted === '' || wanted === '...' || wanted === '…') continue;
    const pattern = new RegExp(`^${wanted.split('…').map(escapeRegExp).join('.*')}$`);
    while (at < lines.length && !pattern.test(lines[at]!)) at++;
    if (at === lines.length) return wanted;
    at++;
  }
  return undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('quickStartSteps and missingLine', () => {
  it('finds README marked blocks: npm ci and npm start in terminal 1, then the calls in terminal 2, each with its output', () => {
    const steps = quickStartSteps(README);

    expect(steps.map((step) => step.terminal)).toEqual([1, 2, 2, 2]);
    expect(steps[0]!.commands).toEqual(['npm ci', 'npm start']);
    expect(steps.every((step) => step.expected.length > 0)).toBe(true);
  });

  it('matches output lines in order, with … and ... for anything, and names the first line that is missing', () => {
    const output = 'noise\r\nHTTP/1.1 200 OK\r\nx-id: 1\r\n{"a": "b"}\r\n';

    expect(missingLine(['HTTP/1.1 200 OK', '...', '{"a": "…"}'], output)).toBeUndefined();
    expect(missingLine(['{"a": "b"}', 'HTTP/1.1 200 OK'], output)).toBe('HTTP/1.1 200 OK');
    expect(missingLine(['HTTP/1.1 403 Forbidden'], output)).toBe('HTTP/1.1 403 Forbidden');
  });
});

const reason = skipReason();

describe.skipIf(reason !== undefined)(`README quick start in a fresh clone${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let clone: string | undefined;
  const terminals: Terminal[] = [];
  afterAll(async () => {
    await Promise.all(terminals.map((terminal) => terminal.kill()));
    if (clone) await rm(clone, { recursive: true, force: true });
  });

  it(
    'prints what README shows: the ready banner, 200 with the token, 403 once revoked, still 403 after a restart',
    async () => {
      // Prepare: a clone of the committed tree (HEAD), and two free ports standing in for 3000 and 8000.
      const steps = quickStartSteps(README);
      const port = await freePort();
      const dynamodbPort = await freePort();
      const toTest = (line: string) => line.replace(/:3000\b/g, `:${port}`).replace(/:8000\b/g, `:${dynamodbPort}`);
      // The banner prefixes `PORT=… ` to the npm commands when the port is not 3000.
      const asReadme = (output: string) =>
        output.replaceAll(`PORT=${port} `, '').replaceAll(`:${port}`, ':3000').replaceAll(`:${dynamodbPort}`, ':8000');
      clone = await mkdtemp(join(tmpdir(), 'quick-start-'));
      const head = spawnSync('git', ['-C', REPOSITORY, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
      for (const args of [
        ['clone', '--quiet', '--no-checkout', REPOSITORY, clone],
        ['-C', clone, 'checkout', '--quiet', '--detach', head],
      ]) {
        const git = spawnSync('git', args, { encoding: 'utf8' });
        expect(git.status, git.stderr).toBe(0);
      }
      const server = new Terminal(clone, freshShellEnv({ PORT: String(port), DYNAMODB_PORT: String(dynamodbPort) }));
      const client = new Terminal(clone, freshShellEnv({}));
      terminals.push(server, client);
      const [setUp, ...calls] = steps;
      expect(setUp!.terminal).toBe(1);
      const startCommand = setUp!.commands.at(-1)!;
      const outputs: string[] = [];

      // Act: terminal 1 installs, then starts the stack and leaves it running.
      for (const line of setUp!.commands.slice(0, -1)) {
        const { status, output } = await server.run(line, 150_000);
        expect(status, `\`${line}\` failed:\n${output}`).toBe(0);
      }
      const started = server.type(startCommand);
      await server.waitFor(/Local stack ready/, started, 90_000, startCommand);
      // The banner's last line ends it.
      await server.waitFor(/Ctrl-C stops the stack/, started, 10_000, startCommand);
      const banner = asReadme(server.transcript.slice(started));
      // Terminal 2 runs each block, line by line.
      for (const step of calls) {
        expect(step.terminal).toBe(2);
        let output = '';
        for (const line of step.commands) {
          const result = await client.run(toTest(line), 60_000);
          expect(result.status, `\`${line}\` failed:\n${result.output}`).toBe(0);
          output += result.output;
        }
        outputs.push(asReadme(output));
      }
      const revokeStep = calls.findIndex((step) => step.commands.some((command) => command.includes('npm run revoke')));
      const revokeOutput = outputs[revokeStep]!.split('curl -i')[0]!;
      const token = (await client.run(`printf '@@token %s@@\\n' "$TOKEN"`, 10_000)).output.match(/@@token ([^%\s]\S*)@@/)?.[1];
      // Ctrl-C, and the same start again: the revoked token is refused on the first request.
      const stopping = server.transcript.length;
      server.interrupt();
      await server.waitFor(/stopped; data kept in \.data/, stopping, 30_000, 'Ctrl-C');
      const restarted = server.type(startCommand);
      await server.waitFor(/Local stack ready/, restarted, 90_000, `${startCommand} (again)`);
      const lastCall = calls.at(-1)!.commands.at(-1)!;
      const afterRestart = await client.run(toTest(lastCall), 60_000);

      // Assess
      expect(missingLine(setUp!.expected, banner), `terminal 1 printed:\n${banner}`).toBeUndefined();
      for (const [index, step] of calls.entries()) {
        expect(missingLine(step.expected, outputs[index]!), `\`${step.commands.join('; ')}\` printed:\n${outputs[index]}`).toBeUndefined();
      }
      expect(token).toMatch(/^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/);
      expect(revokeOutput).toContain('published 1 revocation');
      expect(revokeOutput).not.toContain(token);
      expect(afterRestart.output).toContain('HTTP/1.1 403 Forbidden');
      server.interrupt();
      await server.waitFor(/stopped; data kept in \.data/, restarted, 30_000, 'Ctrl-C (again)');
    },
    TEST_TIMEOUT_MS,
  );
});
