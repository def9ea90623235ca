import { constants, createHmac, createPublicKey, KeyObject, sign } from 'node:crypto';
import { ANY_ISSUER, type Revocation } from '../../../lambda/revocation/index.js';
import type {
  PostProcess,
  RelativeMs,
  RelativeSeconds,
  SeedRevocation,
  Signer,
  TokenCase,
  TokenSpec,
} from '../../fixtures/tokens/corpus.js';
import type { SigningKey, TestIssuer } from '../../support/issuer.js';

/** What the corpus is built with: the two trusted issuers, an attacker key and an untrusted issuer name. */
export interface CorpusParties {
  readonly issuerA: TestIssuer;
  readonly issuerB: TestIssuer;
  readonly attacker: SigningKey;
  readonly untrustedIssuer: string;
}

/** The settings the corpus expectations assume (the authorizer defaults). */
const TOLERANCE_SECONDS = 60;
const MAX_LIFETIME_SECONDS = 86_400;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const b64url = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64url');

/** Turns declarative corpus cases into real tokens, Authorization values and seeded revocations. */
export class TokenBuilder {
  private readonly nowSeconds: number;

  constructor(
    private readonly parties: CorpusParties,
    private readonly nowMs: number,
  ) {
    this.nowSeconds = nowMs / 1000;
  }

  /** The compact token of a case; `index` makes the default jti unique. */
  token(spec: TokenSpec, index: number): string {
    if (spec.kind === 'literal') return spec.text;
    if (spec.kind === 'raw') {
      const signer = spec.signer ?? 'A:RS256';
      const headerSegment = spec.headerSegment ?? b64url(this.placeholders(spec.headerText ?? '{}', index));
      const signingInput = `${headerSegment}.${b64url(this.placeholders(spec.payloadText, index))}`;
      return this.post(`${signingInput}.${this.signature(signer, signingInput)}`, spec.post ?? []);
    }
    const signer = spec.signer ?? 'A:RS256';
    const header = this.header(signer, spec.header ?? {});
    const claims = this.claims(spec.issuer ?? 'A', spec.claims ?? {}, index);
    let token: string;
    if (spec.lengthChars === undefined) {
      token = this.sign(header, claims, signer);
    } else {
      token = this.signToLength(header, claims, signer, spec.lengthChars);
    }
    return this.post(token, spec.post ?? []);
  }

  /** The Authorization header value of a case, undefined for none. */
  authorization(testCase: TokenCase, token: string): string | undefined {
    if (testCase.authorization === null) return undefined;
    return (testCase.authorization ?? 'Bearer %T').replaceAll('%T', token);
  }

  /** The revocations a case seeds, as the store takes them. */
  revocations(seeds: readonly SeedRevocation[]): Revocation[] {
    return seeds.map((seed) => {
      const issuer = seed.issuer === 'A' ? this.parties.issuerA.issuer : seed.issuer === 'B' ? this.parties.issuerB.issuer : ANY_ISSUER;
      if (seed.kind === 'jti') {
        const expiresAtEpochSeconds =
          seed.expiresAt === undefined ? this.nowSeconds + 3600 + TOLERANCE_SECONDS : this.seconds(seed.expiresAt);
        return { kind: 'jti', issuer, jti: seed.jti, expiresAtEpochSeconds };
      }
      const revokedAtEpochMs = this.ms(seed.at);
      return {
        kind: seed.kind,
        issuer,
        id: seed.id,
        revokedAtEpochMs,
        expiresAtEpochSeconds: Math.ceil(revokedAtEpochMs / 1000) + MAX_LIFETIME_SECONDS + TOLERANCE_SECONDS,
      };
    });
  }

  /** The standard claims of an issuer with the overrides applied; undefined drops a claim. */
  claims(issuer: 'A' | 'B' | 'untrusted', overrides: Readonly<Record<string, unknown>>, index: number): Record<string, unknown> {
    const iss = issuer === 'A' ? this.parties.issuerA.issuer : issuer === 'B' ? this.parties.issuerB.issuer : this.parties.untrustedIssuer;
    const claims: Record<string, unknown> = {
      iss,
      sub: 'user-1',
      aud: this.parties.issuerA.audience,
      iat: this.nowSeconds - 10,
      exp: this.nowSeconds + 3600,
      jti: `corpus-${index}`,
      client_id: 'client-1',
      scope: 'read write',
    };
    for (const [name, value] of Object.entries(overrides)) {
      if (value === undefined) delete claims[name];
      else claims[name] = this.resolve(value);
    }
    return claims;
  }

  private header(signer: Signer, overrides: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const a = this.parties.issuerA;
    const defaults: Record<Signer, { alg: string; kid: string }> = {
      'A:RS256': { alg: 'RS256', kid: a.key('RS256').kid },
      'A:ES256': { alg: 'ES256', kid: a.key('ES256').kid },
      'A:PS256': { alg: 'PS256', kid: a.key('PS256').kid },
      'A:EdDSA': { alg: 'EdDSA', kid: a.key('EdDSA').kid },
      'B:RS256': { alg: 'RS256', kid: this.parties.issuerB.key('RS256').kid },
      attacker: { alg: 'RS256', kid: a.key('RS256').kid },
      none: { alg: 'none', kid: a.key('RS256').kid },
      'hmac-public-jwk': { alg: 'HS256', kid: a.key('RS256').kid },
      'hmac-public-pem': { alg: 'HS256', kid: a.key('RS256').kid },
      'ecdsa-zero': { alg: 'ES256', kid: a.key('ES256').kid },
      'ecdsa-der': { alg: 'ES256', kid: a.key('ES256').kid },
      garbage: { alg: 'RS256', kid: a.key('RS256').kid },
    };
    const header: Record<string, unknown> = { ...defaults[signer], typ: 'at+jwt' };
    for (const [name, value] of Object.entries(overrides)) {
      if (value === undefined) delete header[name];
      else if (value === '%KID%') header[name] = a.key('RS256').kid;
      else if (value === '%ATTACKER_JWK%') header[name] = this.parties.attacker.publicJwk;
      else header[name] = value;
    }
    return header;
  }

  private sign(header: Record<string, unknown>, claims: Record<string, unknown>, signer: Signer): string {
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${signingInput}.${this.signature(signer, signingInput)}`;
  }

  /** Pads with a `pad` claim (and a header `pad` field for the lengths one claim cannot reach). */
  private signToLength(header: Record<string, unknown>, claims: Record<string, unknown>, signer: Signer, length: number): string {
    const signatureLength = this.signature(signer, 'probe.probe').length;
    const encoded = (bytes: number) => Math.ceil((bytes * 4) / 3);
    for (let headerPad = 0; headerPad < 4; headerPad++) {
      const paddedHeader = headerPad === 0 ? header : { ...header, pad: 'h'.repeat(headerPad) };
      const headerChars = encoded(Buffer.byteLength(JSON.stringify(paddedHeader)));
      const baseBytes = Buffer.byteLength(JSON.stringify({ ...claims, pad: '' }));
      const budget = length - headerChars - signatureLength - 2;
      const first = Math.max(0, Math.floor((budget * 3) / 4) - baseBytes - 4);
      for (let pad = first; pad < first + 12; pad++) {
        if (headerChars + encoded(baseBytes + pad) + signatureLength + 2 === length) {
          const token = this.sign(paddedHeader, { ...claims, pad: 'p'.repeat(pad) }, signer);
          if (token.length !== length) throw new Error(`padding arithmetic is off: ${token.length} != ${length}`);
          return token;
        }
      }
    }
    throw new Error(`cannot pad a token to exactly ${length} characters`);
  }

  private signature(signer: Signer, signingInput: string): string {
    const data = Buffer.from(signingInput);
    const a = this.parties.issuerA;
    const rsaPublicJwk = a.key('RS256').publicJwk;
    switch (signer) {
      case 'A:RS256':
      case 'A:ES256':
      case 'A:PS256':
      case 'A:EdDSA':
        return b64url(signWith(a.key(signer.slice(2) as SigningKey['alg']), data));
      case 'B:RS256':
        return b64url(signWith(this.parties.issuerB.key('RS256'), data));
      case 'attacker':
        return b64url(signWith(this.parties.attacker, data));
      case 'none':
        return '';
      case 'hmac-public-jwk':
        return createHmac('sha256', JSON.stringify(rsaPublicJwk)).update(data).digest('base64url');
      case 'hmac-public-pem': {
        const pem = createPublicKey({ key: rsaPublicJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
        return createHmac('sha256', pem).update(data).digest('base64url');
      }
      case 'ecdsa-zero':
        return b64url(Buffer.alloc(64));
      case 'ecdsa-der':
        return b64url(sign('sha256', data, { key: privateKeyOf(a.key('ES256')), dsaEncoding: 'der' }));
      case 'garbage':
        return b64url(Buffer.alloc(256, 0x5a));
    }
  }

  private post(token: string, steps: readonly PostProcess[]): string {
    for (const step of steps) {
      const before = token;
      const [header = '', payload = '', signature = ''] = token.split('.');
      switch (step.op) {
        case 'truncate':
          token = token.slice(0, step.chars);
          break;
        case 'truncate-signature':
          token = `${header}.${payload}.${signature.slice(0, step.chars)}`;
          break;
        case 'append':
          token += step.text;
          break;
        case 'insert':
          token = token.slice(0, step.at) + step.text + token.slice(step.at);
          break;
        case 'pad-segments':
          token = token
            .split('.')
            .map((segment) => segment + '='.repeat((4 - (segment.length % 4)) % 4))
            .join('.');
          break;
        case 'standard-base64':
          token = token.replaceAll('-', '+').replaceAll('_', '/');
          break;
        case 'swap-header-payload':
          token = `${payload}.${header}.${signature}`;
          break;
        case 'splice-signature': {
          const other = this.sign(this.header('A:RS256', {}), this.claims('A', { jti: 'splice-donor' }, 0), 'A:RS256');
          token = `${header}.${payload}.${other.split('.')[2]}`;
          break;
        }
        case 'strip-signature':
          token = `${header}.${payload}.`;
          break;
        case 'drop-signature':
          token = `${header}.${payload}`;
          break;
        case 'non-canonical-signature': {
          const last = signature.at(-1)!;
          const sibling = ALPHABET[ALPHABET.indexOf(last) | 1]!;
          token = `${header}.${payload}.${signature.slice(0, -1)}${sibling}`;
          break;
        }
        case 'tamper-payload': {
          const claims = { ...(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>), ...step.claims };
          token = `${header}.${b64url(JSON.stringify(claims))}.${signature}`;
          break;
        }
        case 'header-length-1-mod-4': {
          let longer = header;
          while (longer.length % 4 !== 1) longer += 'A';
          token = `${longer}.${payload}.${signature}`;
          break;
        }
      }
      // A step that changes nothing would test nothing: say so instead of passing silently.
      if (token === before) throw new Error(`post-processing ${step.op} left the token unchanged`);
    }
    return token;
  }

  private placeholders(text: string, index: number): string {
    const claims = JSON.stringify(this.claims('A', {}, index)).slice(1, -1);
    return text.replaceAll('%KID%', this.parties.issuerA.key('RS256').kid).replaceAll('%CLAIMS%', claims);
  }

  private resolve(value: unknown): unknown {
    if (typeof value === 'object' && value !== null && '$s' in value) return this.seconds(value as RelativeSeconds);
    return value;
  }

  private seconds(value: RelativeSeconds): number {
    return this.nowSeconds + value.$s;
  }

  private ms(value: RelativeMs): number {
    return this.nowMs + value.$ms;
  }
}

function privateKeyOf(key: SigningKey): KeyObject {
  return key.privateKey instanceof KeyObject ? key.privateKey : KeyObject.from(key.privateKey);
}

/** A JWS signature by a real key, in the encoding RFC 7518 prescribes for its algorithm. */
export function signWith(key: SigningKey, data: Buffer): Buffer {
  const privateKey = privateKeyOf(key);
  switch (key.alg) {
    case 'EdDSA':
      return sign(null, data, privateKey);
    case 'ES256':
      return sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    case 'PS256':
      return sign('sha256', data, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    default:
      return sign('sha256', data, privateKey);
  }
}
