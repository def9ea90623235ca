import { describe, expect, it } from 'vitest';
import { parseRevocationMessage } from '../../lambda/messages/index.js';
import { revocationId, storedId } from '../../lambda/revocation/index.js';
import { InvalidMessageError } from '../../lambda/shared/index.js';
import { tokenHash } from '../../lambda/token/index.js';
import { batchesOf } from '../../local/publisher.js';
import { parseRevokeArgs, UsageError, type RevokeInputs } from '../../local/revoke-args.js';
import {
  MAX_PACKED_MESSAGE_BYTES,
  messageOf,
  packEntries,
  readFileLine,
  splitRevocationFile,
  type RevocationEntry,
} from '../../local/revocation-messages.js';

const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0);
const rules = { nowMs: NOW_MS, clockToleranceSeconds: 60, maxTokenLifetimeSeconds: 86_400 };

/** An unsigned-looking but well-formed compact JWS with the given payload. */
function jwt(payload: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'ES256', typ: 'at+jwt' })}.${part(payload)}.${Buffer.from('signature').toString('base64url')}`;
}

/** No standard input and an empty environment, unless a test gives them. */
function parse(argv: string[], inputs: Partial<RevokeInputs> = {}) {
  return parseRevokeArgs(argv, rules, {
    env: {},
    readStdin: () => Promise.reject(new Error('standard input was not expected to be read')),
    ...inputs,
  });
}

describe('parseRevokeArgs', () => {
  it('accepts every id the ingest accepts (any non-empty string), which the ingest then stores under its stored id', async () => {
    // Prepare: issue 11's examples, and blanks.
    const ids = ['u'.repeat(3000), 'bob\u0085', 'x\ud800', '   '];

    // Act
    const request = await parse(ids.flatMap((id) => ['--sub', id, '--client', id, '--jti', id, '--session', id]));
    if (request.kind !== 'entries') throw new Error(`expected entries, got ${request.kind}`);
    const message = messageOf(request.entries, rules);

    // Assess
    const stored = parseRevocationMessage(message.body, {}, rules).map(revocationId);
    expect(new Set(stored)).toEqual(new Set(ids.map(storedId)));
  });

  it('publishes the jti of a --token as the token carries it, so the ingest maps it once', async () => {
    const token = jwt({ iss: 'https://i/', jti: 'x\ud800', exp: NOW_MS / 1000 + 600 });

    const request = await parse(['--token', token]);

    expect(request).toMatchObject({ kind: 'entries', entries: [{ type: 'jti', jti: 'x\ud800', iss: 'https://i/' }] });
  });

  it('builds jti, subject and client entries from repeated and combined flags', async () => {
    const request = await parse([
      '--jti',
      'a',
      '--exp',
      '1768482000',
      '--iss',
      'https://i/',
      '--sub',
      'alice',
      '--client',
      'web',
      '--at',
      '1768478400000',
    ]);

    expect(request).toEqual({
      kind: 'entries',
      dryRun: false,
      quiet: false,
      entries: [
        { type: 'jti', jti: 'a', iss: 'https://i/', exp: 1768482000 },
        { type: 'subject', sub: 'alice', iss: 'https://i/', revokedAt: 1768478400000 },
        { type: 'client', clientId: 'web', iss: 'https://i/', revokedAt: 1768478400000 },
      ],
    });
  });

  it('builds session entries from repeated --session, scoped by --iss, without a time: the ingest dates them at publish', async () => {
    const request = await parse(['--session', 'sid-1', '--session', 'origin-jti-2', '--iss', 'https://i/', '--sub', 'alice']);

    expect(request).toMatchObject({
      kind: 'entries',
      entries: [
        { type: 'subject', sub: 'alice', iss: 'https://i/', revokedAt: NOW_MS },
        { type: 'session', sid: 'sid-1', iss: 'https://i/' },
        { type: 'session', sid: 'origin-jti-2', iss: 'https://i/' },
      ],
    });
    if (request.kind !== 'entries') throw new Error(`expected entries, got ${request.kind}`);
    expect(parseRevocationMessage(messageOf(request.entries, rules).body, {}, rules).map((revocation) => revocation.kind)).toEqual([
      'subject',
      'session',
      'session',
    ]);
    expect(await parse(['--session', 'sid-3'])).toMatchObject({ entries: [{ type: 'session', sid: 'sid-3' }] });
  });

  it('cuts subjects and clients off at now when --at is not given', async () => {
    expect(await parse(['--sub', 'alice'])).toMatchObject({ entries: [{ type: 'subject', sub: 'alice', revokedAt: NOW_MS }] });
  });

  it('reads a --token into the jti entry the ingest would derive, so the token itself is not published', async () => {
    const withJti = jwt({ iss: 'https://i/', jti: 'j-1', exp: 1768482000.5 });
    const withoutJti = jwt({ iss: 'https://i/', exp: 1768482000 });

    const request = await parse(['--token', withJti, '--token', withoutJti]);

    expect(request).toMatchObject({
      entries: [
        { type: 'jti', jti: 'j-1', iss: 'https://i/', exp: 1768482001 },
        { type: 'jti', jti: tokenHash(withoutJti), iss: 'https://i/', exp: 1768482000 },
      ],
    });
  });

  it('takes a --token with the newline a curl or a file leaves after it', async () => {
    const token = jwt({ iss: 'https://i/', jti: 'j-2', exp: 1768482000 });

    const request = await parse(['--token', `${token}\n`]);

    expect(request).toMatchObject({ entries: [{ type: 'jti', jti: 'j-2', iss: 'https://i/', exp: 1768482000 }] });
  });

  it.each([
    [[], 'nothing to revoke'],
    [['--jti', 'a', '--raw', '{}'], 'stand alone'],
    [['--file', 'f', '--sub', 'x'], 'stand alone'],
    [['--exp', '1768482000', '--jti', 'a', '--jti', 'b'], '--exp goes with exactly one --jti'],
    [['--jti', 'a', '--at', '1768478400000'], '--at goes with --sub or --client'],
    [['--session', 's', '--at', '1768478400000'], '--session refuses every token of the session, whatever its iat'],
    [['--file', 'f', '--session', 's'], 'stand alone'],
    [['--token', jwt({ exp: 1768482000 }), '--iss', 'x'], 'a --token carries its own iss'],
    [['--sub', 'x', '--at', 'yesterday'], '--at must be a whole number of epoch milliseconds'],
    [['--token', 'not-a-jwt'], '--token: token must be three base64url segments'],
    [['--token', ''], '--token is empty'],
    [['--token', '  \n'], '--token is empty'],
    [['--token', '\n> revocation-authorizer@0.1.0 token\n> tsx local/token.ts\n\neyJ.eyJ.sig'], '--token must be one JWT, got 7 words'],
    [['--token', '-', '--token', '-'], 'only one --token can be -'],
    [['--token-env', 'NOT_SET'], 'the environment has no variable NOT_SET (export it first'],
    [['--file', ''], '--file needs a path'],
    [['--jti'], "Option '--jti <value>' argument missing"],
    [['--nope'], "Unknown option '--nope'"],
    [['stray'], 'Unexpected argument'],
  ])('refuses %j with a usage error', async (argv, message) => {
    const parsed = parse(argv, { readStdin: async () => '' });

    await expect(parsed).rejects.toThrow(UsageError);
    await expect(parsed).rejects.toThrow(message);
  });

  it('hands --raw over verbatim, unchecked', async () => {
    expect(await parse(['--raw', 'not json at all'])).toEqual({ kind: 'raw', body: 'not json at all', dryRun: false, quiet: false });
  });

  it('reads the token of `--token -` and the body of `--raw -` from standard input', async () => {
    const token = jwt({ iss: 'https://i/', jti: 'from-stdin', exp: 1768482000 });

    const fromStdin = await parse(['--token', '-', '--jti', 'other'], { readStdin: async () => `${token}\n` });
    const raw = await parse(['--raw', '-'], { readStdin: async () => '{"type":"jti","jti":"r"}' });

    expect(fromStdin).toMatchObject({
      entries: [
        { type: 'jti', jti: 'other' },
        { type: 'jti', jti: 'from-stdin', iss: 'https://i/' },
      ],
    });
    expect(raw).toMatchObject({ kind: 'raw', body: '{"type":"jti","jti":"r"}' });
  });

  it('names standard input when what it holds is not a token', async () => {
    await expect(parse(['--token', '-'], { readStdin: async () => '' })).rejects.toThrow('--token - (standard input) is empty');
    await expect(parse(['--token', '-'], { readStdin: async () => 'abc' })).rejects.toThrow(
      '--token - (standard input): token must be three base64url segments',
    );
  });

  it('reads --token-env from the named environment variable', async () => {
    const token = jwt({ iss: 'https://i/', jti: 'from-env', exp: 1768482000 });

    const request = await parse(['--token-env', 'MY_TOKEN'], { env: { MY_TOKEN: token } });

    expect(request).toMatchObject({ entries: [{ type: 'jti', jti: 'from-env', iss: 'https://i/' }] });
  });

  it('keeps `--file -` for the caller to read, and takes --quiet', async () => {
    expect(await parse(['--file', '-', '--quiet'])).toEqual({ kind: 'file', path: '-', issuer: undefined, dryRun: false, quiet: true });
    expect(await parse(['-q', '--sub', 'a'])).toMatchObject({ quiet: true });
  });
});

describe('revocation messages', () => {
  it('sends one entry as a single message and several as a batch, both version 1', () => {
    const one = messageOf([{ type: 'jti', jti: 'a' }], rules);
    const two = messageOf(
      [
        { type: 'jti', jti: 'a' },
        { type: 'client', clientId: 'web', revokedAt: NOW_MS },
      ],
      rules,
    );

    expect(JSON.parse(one.body)).toEqual({ version: 1, type: 'jti', jti: 'a' });
    expect(JSON.parse(two.body)).toEqual({
      version: 1,
      revocations: [
        { type: 'jti', jti: 'a' },
        { type: 'client', clientId: 'web', revokedAt: NOW_MS },
      ],
    });
    expect(two.revocations).toBe(2);
  });

  it('refuses what the ingest would refuse, with its own error and path', () => {
    const seconds: RevocationEntry = { type: 'subject', sub: 'alice', revokedAt: 1_768_478_400 };

    expect(() => messageOf([seconds], rules)).toThrow(InvalidMessageError);
    expect(() => messageOf([seconds], rules)).toThrow('revokedAt: 1768478400 looks like epoch seconds');
  });

  it('packs many entries into batch messages under the size limit, and those into PublishBatch calls of at most 10', () => {
    const entries: RevocationEntry[] = Array.from({ length: 20_000 }, (_, index) => ({ type: 'jti', jti: `jti-${index}` }));

    const messages = packEntries(entries, rules);
    const batches = batchesOf(messages);

    expect(messages.reduce((sum, message) => sum + message.revocations, 0)).toBe(20_000);
    expect(Math.max(...messages.map((message) => Buffer.byteLength(message.body)))).toBeLessThanOrEqual(MAX_PACKED_MESSAGE_BYTES);
    expect(messages.length).toBeGreaterThan(20);
    expect(batches.slice(0, -1).map((batch) => batch.length)).toEqual(Array(batches.length - 1).fill(10));
    for (const batch of batches)
      expect(batch.reduce((sum, message) => sum + Buffer.byteLength(message.body), 0)).toBeLessThanOrEqual(262_144);
    expect(batches.flat()).toEqual(messages);
  });

  it('reads file lines as JSON messages, JWTs or jtis, skipping blanks and comments', () => {
    const token = jwt({ iss: 'https://i/', jti: 'from-token', exp: 1768482000 });

    expect(readFileLine('  ', undefined, rules)).toEqual({ kind: 'blank' });
    expect(readFileLine('# revoked on Monday', undefined, rules)).toEqual({ kind: 'blank' });
    expect(readFileLine('plain-jti', 'https://i/', rules)).toEqual({
      kind: 'entry',
      entry: { type: 'jti', jti: 'plain-jti', iss: 'https://i/' },
    });
    expect(readFileLine(token, undefined, rules)).toEqual({
      kind: 'entry',
      entry: { type: 'jti', jti: 'from-token', iss: 'https://i/', exp: 1768482000 },
    });
    expect(readFileLine('{"revokedToken":"abc","ttl":"60"}', undefined, rules)).toEqual({
      kind: 'message',
      message: { body: '{"revokedToken":"abc","ttl":"60"}', revocations: 1 },
    });
    expect(() => readFileLine('{"type":"subject"}', undefined, rules)).toThrow('sub: is required');
    expect(readFileLine('{"type":"session","sid":"s-1","iss":"https://i/"}', undefined, rules)).toEqual({
      kind: 'message',
      message: { body: '{"type":"session","sid":"s-1","iss":"https://i/"}', revocations: 1 },
    });
    expect(() => readFileLine('{"type":"session","sid":""}', undefined, rules)).toThrow('sid: must not be empty');
  });

  it('splits a file into its lines, the elements of a JSON array, or one pretty-printed message', () => {
    const lines = splitRevocationFile('a\r\n{"type":"jti","jti":"b"}\n');
    const array = splitRevocationFile('[\n  "a",\n  {"type": "subject", "sub": "alice"},\n  7\n]\n');
    const pretty = splitRevocationFile('{\n  "type": "client",\n  "clientId": "web"\n}\n');

    expect(lines).toEqual([
      { where: 'line 1', text: 'a' },
      { where: 'line 2', text: '{"type":"jti","jti":"b"}' },
      { where: 'line 3', text: '' },
    ]);
    expect(array).toEqual([
      { where: 'item 1', text: 'a' },
      { where: 'item 2', text: '{"type":"subject","sub":"alice"}' },
      { where: 'item 3', problem: 'must be a jti, a JWT or a message object, got number' },
    ]);
    expect(pretty).toEqual([{ where: 'the file', text: '{"type":"client","clientId":"web"}' }]);
    expect(splitRevocationFile('["a",')).toEqual([{ where: 'the file', problem: expect.stringContaining('is not a JSON array') }]);
  });
});
