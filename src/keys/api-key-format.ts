import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import { digestToBase62, randomBase62 } from '../common/crypto/base62';
import { KeyEnvironment } from '../common/auth/environment';

const BODY_LENGTH = 48;
const TAG_LENGTH = 6;
const RANDOM_LENGTH = BODY_LENGTH - TAG_LENGTH;
const SHAPE = /^([a-z]{2,8})_(live|test)_([0-9A-Za-z]{48})$/;
/** Longest string worth parsing: anything longer is refused before any work. */
export const MAX_KEY_LENGTH = 8 + 1 + 4 + 1 + BODY_LENGTH;

export interface ParsedApiKey {
  /** The whole key, as the client sent it. */
  key: string;
  environment: KeyEnvironment;
  /** The visible prefix shown in listings, e.g. `lk_live_`. */
  displayPrefix: string;
  last4: string;
}

/**
 * `{prefix}_{environment}_{body}`: 42 random base62 characters, then a 6-character check tag
 * (a truncated HMAC over everything before it), so that mistyped or forged keys are refused
 * without touching the database.
 */
export class ApiKeyFormat {
  constructor(
    private readonly prefix: string,
    private readonly checkTagKey: KeyObject,
  ) {}

  generate(environment: KeyEnvironment): ParsedApiKey {
    const head = `${this.prefix}_${environment}_${randomBase62(RANDOM_LENGTH)}`;
    return this.describe(head + this.tag(head), environment);
  }

  /** Shape and prefix only, without the check tag: cheap enough to run before anything else. */
  hasShape(candidate: string): boolean {
    return this.match(candidate) !== null;
  }

  /** The parsed key when its shape, prefix and check tag are all right; otherwise null. */
  parse(candidate: string): ParsedApiKey | null {
    const match = this.match(candidate);
    if (!match) return null;
    const head = candidate.slice(0, -TAG_LENGTH);
    const expected = Buffer.from(this.tag(head));
    const given = Buffer.from(candidate.slice(-TAG_LENGTH));
    if (!timingSafeEqual(expected, given)) return null;
    return this.describe(candidate, match[2] as KeyEnvironment);
  }

  private match(candidate: string): RegExpExecArray | null {
    if (candidate.length > MAX_KEY_LENGTH) return null;
    const match = SHAPE.exec(candidate);
    return match && match[1] === this.prefix ? match : null;
  }

  private tag(head: string): string {
    return digestToBase62(createHmac('sha256', this.checkTagKey).update(head).digest(), TAG_LENGTH);
  }

  private describe(key: string, environment: KeyEnvironment): ParsedApiKey {
    return { key, environment, displayPrefix: `${this.prefix}_${environment}_`, last4: key.slice(-4) };
  }
}
