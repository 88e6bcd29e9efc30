/**
 * The regular expression secret scanners use to find this deployment's keys in text: the prefix,
 * the environment, exactly 48 base62 characters, and no further word character on either side
 * (so a longer run of base62, or the tail of another vendor's token, is not a match). Written in
 * the dialect gitleaks (Go RE2), trufflehog (Go RE2) and GitHub (Hyperscan) all accept.
 */
export function keyPattern(prefix: string): string {
  if (!/^[a-z]{2,8}$/.test(prefix)) throw new Error('KEY_PREFIX must be 2 to 8 lowercase letters');
  return `\\b${prefix}_(?:live|test)_[0-9A-Za-z]{48}\\b`;
}
