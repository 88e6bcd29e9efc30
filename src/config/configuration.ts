import { resolve } from 'node:path';
import { ConfigurationError, validateEnvironment } from './environment';
import { readScanningKeys, type ScanningPublicKey } from './secret-scanning-keys';

/** The typed, namespaced configuration every module reads (through ConfigService or directly in CLIs). */
export interface AppConfig {
  env: 'development' | 'production' | 'test';
  http: { port: number; host: string; trustProxy: string[] };
  /** Where people reach the console and sign-in links: PUBLIC_URL without a trailing slash, and its origin. */
  portal: { publicUrl: string; origin: string; secureCookie: boolean };
  database: { url?: string; dataDir: string; migrateOnStart: boolean };
  redis: { url?: string };
  /** Outbound webhooks: allowPrivateNetworks (development only) permits http:// and private addresses. */
  webhooks: { allowPrivateNetworks: boolean };
  keys: { prefix: string; secret?: string };
  operator: { keyFile: string };
  log: { level: string };
  audit: { retentionDays: number };
  /** GitHub's secret scanning reports: the keys file (read at boot, then whenever it changes) and what a leak does. */
  secretScanning: { keysFile?: string; keys: ScanningPublicKey[]; leakedKeyAction: 'revoke' | 'deactivate' | 'notify' };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const v = validateEnvironment(env);
  const dataDir = resolve(v.DATA_DIR);
  return {
    env: v.NODE_ENV,
    http: { port: v.PORT, host: v.HOST, trustProxy: v.TRUST_PROXY },
    portal: portalConfig(v.PUBLIC_URL ?? `http://${browsableHost(v.HOST)}:${v.PORT}`),
    database: { url: v.DATABASE_URL, dataDir, migrateOnStart: v.MIGRATE_ON_START },
    redis: { url: v.REDIS_URL },
    webhooks: { allowPrivateNetworks: v.WEBHOOK_ALLOW_PRIVATE_NETWORKS },
    keys: { prefix: v.KEY_PREFIX, secret: v.KEY_SECRET },
    operator: { keyFile: resolve(v.OPERATOR_KEY_FILE ?? `${dataDir}/operator.key`) },
    log: { level: v.LOG_LEVEL },
    audit: { retentionDays: v.AUDIT_RETENTION_DAYS },
    secretScanning: secretScanningConfig(v.SECRET_SCANNING_KEYS_FILE, v.LEAKED_KEY_ACTION),
  };
}

/** A listen address a browser can open: the wildcard addresses mean this machine. */
export function browsableHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function portalConfig(publicUrl: string): AppConfig['portal'] {
  const url = URL.parse(publicUrl);
  if (!url) throw new ConfigurationError(`Invalid configuration: HOST does not make a usable console address (${publicUrl.slice(0, 80)}); set PUBLIC_URL.`);
  return { publicUrl: publicUrl.replace(/\/+$/, ''), origin: url.origin, secureCookie: url.protocol === 'https:' };
}

function secretScanningConfig(file: string | undefined, leakedKeyAction: AppConfig['secretScanning']['leakedKeyAction']): AppConfig['secretScanning'] {
  if (!file) return { keys: [], leakedKeyAction };
  const keysFile = resolve(file);
  return { keysFile, keys: readScanningKeys(keysFile), leakedKeyAction };
}
