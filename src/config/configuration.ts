import { resolve } from 'node:path';
import { validateEnvironment } from './environment';

/** The typed, namespaced configuration every module reads (through ConfigService or directly in CLIs). */
export interface AppConfig {
  env: 'development' | 'production' | 'test';
  http: { port: number; host: string; trustProxy: string[] };
  database: { url?: string; dataDir: string; migrateOnStart: boolean };
  redis: { url?: string };
  keys: { prefix: string; secret?: string };
  operator: { keyFile: string };
  log: { level: string };
  audit: { retentionDays: number };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const v = validateEnvironment(env);
  const dataDir = resolve(v.DATA_DIR);
  return {
    env: v.NODE_ENV,
    http: { port: v.PORT, host: v.HOST, trustProxy: v.TRUST_PROXY },
    database: { url: v.DATABASE_URL, dataDir, migrateOnStart: v.MIGRATE_ON_START },
    redis: { url: v.REDIS_URL },
    keys: { prefix: v.KEY_PREFIX, secret: v.KEY_SECRET },
    operator: { keyFile: resolve(v.OPERATOR_KEY_FILE ?? `${dataDir}/operator.key`) },
    log: { level: v.LOG_LEVEL },
    audit: { retentionDays: v.AUDIT_RETENTION_DAYS },
  };
}
