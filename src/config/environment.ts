import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, MinLength, Min, validateSync,
} from 'class-validator';
import { isValidCidr } from '../common/http/ip-ranges';

const toBoolean = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? { true: true, '1': true, false: false, '0': false }[value.toLowerCase()] ?? value : value;
const toList = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;

/** Every variable the service reads. Names and meaning: README "Configuration". */
export class EnvironmentVariables {
  @IsOptional() @IsIn(['development', 'production', 'test'], { message: 'NODE_ENV must be development, production or test' })
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @IsOptional() @Transform(({ value }) => (value === undefined ? value : Number(value)))
  @IsInt({ message: 'PORT must be an integer from 0 to 65535' }) @Min(0, { message: 'PORT must be an integer from 0 to 65535' })
  @Max(65535, { message: 'PORT must be an integer from 0 to 65535' })
  PORT = 3000;

  @IsOptional() @IsString() @MinLength(1, { message: 'HOST must not be empty' })
  HOST = '127.0.0.1';

  @IsOptional() @IsString() @MaxLength(2048, { message: 'PUBLIC_URL must be at most 2048 characters' })
  PUBLIC_URL?: string;

  @IsOptional() @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  @IsOptional() @IsString() @MinLength(1, { message: 'DATA_DIR must not be empty' })
  DATA_DIR = '.data';

  @IsOptional() @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  @IsOptional() @Matches(/^[a-z]{2,8}$/, { message: 'KEY_PREFIX must be 2 to 8 lowercase letters (for example lk, sk, vsk)' })
  KEY_PREFIX = 'lk';

  @IsOptional() @IsString() @MinLength(32, { message: 'KEY_SECRET must be at least 32 characters of high-entropy text' })
  KEY_SECRET?: string;

  @IsOptional() @IsString() @MinLength(1, { message: 'OPERATOR_KEY_FILE must not be empty' })
  OPERATOR_KEY_FILE?: string;

  @IsOptional() @Transform(toList)
  @IsString({ each: true })
  @Matches(/^\S+$/, { each: true, message: 'TRUST_PROXY must be a comma-separated list of IP addresses or CIDR ranges' })
  TRUST_PROXY: string[] = [];

  @IsOptional() @Transform(toBoolean)
  @IsBoolean({ message: 'MIGRATE_ON_START must be true or false' })
  MIGRATE_ON_START = true;

  @IsOptional() @Transform(toBoolean)
  @IsBoolean({ message: 'WEBHOOK_ALLOW_PRIVATE_NETWORKS must be true or false' })
  WEBHOOK_ALLOW_PRIVATE_NETWORKS = false;

  @IsOptional() @Transform(({ value }) => (value === undefined ? value : Number(value)))
  @IsInt({ message: 'AUDIT_RETENTION_DAYS must be a whole number of days from 1 to 36500' })
  @Min(1, { message: 'AUDIT_RETENTION_DAYS must be a whole number of days from 1 to 36500' })
  @Max(36500, { message: 'AUDIT_RETENTION_DAYS must be a whole number of days from 1 to 36500' })
  AUDIT_RETENTION_DAYS = 365;

  @IsOptional() @IsString() @MinLength(1, { message: 'SECRET_SCANNING_KEYS_FILE must not be empty' })
  SECRET_SCANNING_KEYS_FILE?: string;

  @IsOptional() @IsIn(['revoke', 'deactivate', 'notify'], { message: 'LEAKED_KEY_ACTION must be revoke, deactivate or notify' })
  LEAKED_KEY_ACTION: 'revoke' | 'deactivate' | 'notify' = 'revoke';

  @IsOptional() @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    message: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
  })
  LOG_LEVEL = 'info';
}

export class ConfigurationError extends Error {}

/** Why PUBLIC_URL cannot serve as the console's origin, or null when it can (http(s), a host, no query or fragment). */
function publicUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http:// or https:// URL (for example https://keys.example.com)';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must start with https:// or http://';
  if (url.username || url.password) return 'must not carry a user name or password';
  if (url.search || url.hash || value.includes('?') || value.includes('#')) return 'must not carry a query or fragment';
  return null;
}

/** Validates the environment; throws a ConfigurationError whose message names each bad variable. */
export function validateEnvironment(env: NodeJS.ProcessEnv): EnvironmentVariables {
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const vars = plainToInstance(EnvironmentVariables, defined, { exposeDefaultValues: true });
  const problems = validateSync(vars, { skipMissingProperties: false }).flatMap((e) =>
    Object.values(e.constraints ?? {}),
  );
  for (const range of vars.TRUST_PROXY) {
    if (!isValidCidr(range)) problems.push(`TRUST_PROXY entry "${range.slice(0, 60)}" is not an IP address or CIDR range`);
  }
  const publicUrl = vars.PUBLIC_URL === undefined ? null : publicUrlProblem(vars.PUBLIC_URL);
  if (publicUrl) problems.push(`PUBLIC_URL ${publicUrl}`);
  if (vars.NODE_ENV === 'production' && !vars.KEY_SECRET) {
    problems.push('KEY_SECRET is required when NODE_ENV=production');
  }
  if (problems.length) throw new ConfigurationError(`Invalid configuration: ${[...new Set(problems)].join('; ')}.`);
  return vars;
}
