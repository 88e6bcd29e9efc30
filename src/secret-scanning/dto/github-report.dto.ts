import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DomainException, type FieldProblem } from '../../common/errors/domain.exception';
import { ErrorCode } from '../../common/errors/error-code';

/** Most tokens one report may carry; GitHub batches far fewer. */
export const MAX_REPORT_ENTRIES = 1000;
const MAX_TOKEN_CHARS = 4096;
const MAX_TEXT_CHARS = 4096;

/** One match GitHub found: the token, the pattern's type name, where it was found and in what. */
export class GithubTokenReportDto {
  @ApiProperty({ example: 'lk_live_…', maxLength: MAX_TOKEN_CHARS }) token!: string;
  @ApiProperty({ example: 'latchkey_api_key', description: 'The token type registered with GitHub; echoed as token_type' }) type!: string;
  @ApiPropertyOptional({ example: 'https://github.com/octocat/hello-world/blob/12345600b9cb/config.js', nullable: true, type: String })
  url?: string | null;
  @ApiPropertyOptional({ example: 'content', description: 'Where GitHub found it: content, commit, pull_request_title, issue_comment, …', nullable: true, type: String })
  source?: string | null;
}

export enum LeakLabel {
  TruePositive = 'true_positive',
  FalsePositive = 'false_positive',
}

/** GitHub's feedback format, one per reported token, in the report's order. */
export class GithubTokenLabelDto {
  @ApiProperty({ description: 'SHA-256 of the token, lowercase hex', example: 'a3f1…' }) token_hash!: string;
  @ApiProperty({ example: 'latchkey_api_key' }) token_type!: string;
  @ApiProperty({ enum: LeakLabel, enumName: 'LeakLabel', description: 'true_positive: a key this deployment issued, in any state' }) label!: LeakLabel;
}

const invalid = (details: FieldProblem[]) => new DomainException(ErrorCode.ValidationFailed, 'The request is not valid.', details.slice(0, 20));

const optionalText = (value: unknown) => value === undefined || value === null || (typeof value === 'string' && value.length <= MAX_TEXT_CHARS);

/** The report's bytes (already known to be GitHub's) as entries; anything else is 400 with the fields at fault. */
export function parseGithubReport(body: Buffer): GithubTokenReportDto[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new DomainException(ErrorCode.ValidationFailed, 'The request body is not valid JSON.');
  }
  if (!Array.isArray(parsed)) throw invalid([{ field: 'body', message: 'the report must be a JSON array of {token, type, url, source}' }]);
  if (parsed.length > MAX_REPORT_ENTRIES) throw invalid([{ field: 'body', message: `a report may hold at most ${MAX_REPORT_ENTRIES} tokens` }]);
  const problems: FieldProblem[] = [];
  parsed.forEach((entry: unknown, i) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      problems.push({ field: `[${i}]`, message: 'must be an object' });
      return;
    }
    const e = entry as Record<string, unknown>;
    if (typeof e.token !== 'string' || !e.token || e.token.length > MAX_TOKEN_CHARS) problems.push({ field: `[${i}].token`, message: `token must be a string of 1 to ${MAX_TOKEN_CHARS} characters` });
    if (typeof e.type !== 'string' || e.type.length > 256) problems.push({ field: `[${i}].type`, message: 'type must be a string of at most 256 characters' });
    if (!optionalText(e.url)) problems.push({ field: `[${i}].url`, message: `url must be a string of at most ${MAX_TEXT_CHARS} characters` });
    if (!optionalText(e.source)) problems.push({ field: `[${i}].source`, message: `source must be a string of at most ${MAX_TEXT_CHARS} characters` });
  });
  if (problems.length) throw invalid(problems);
  return (parsed as Record<string, string | null | undefined>[]).map((e) => ({ token: e.token!, type: e.type!, url: e.url ?? null, source: e.source ?? null }));
}
