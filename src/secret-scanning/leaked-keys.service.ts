import { EntityManager, LockMode } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHash } from 'node:crypto';
import { AuditAction } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import { SYSTEM_ACTOR } from '../common/auth/principal';
import { redactKeys } from '../common/http/key-shape';
import type { AppConfig } from '../config/configuration';
import { ApiKeyFormat } from '../keys/api-key-format';
import { ApiKey } from '../keys/api-key.entity';
import { ApiKeyDto } from '../keys/dto/api-key.dto';
import { InvalidationBus } from '../keys/invalidation-bus';
import { KeyHasher } from '../keys/key-hasher';
import { KeysService } from '../keys/keys.service';
import { WebhookEvents } from '../webhooks/webhook-events.service';
import { type GithubTokenLabelDto, type GithubTokenReportDto, LeakLabel } from './dto/github-report.dto';

const MAX_STORED_CHARS = 2048;

/** Where a leak was found, as the audit event and webhook carry it: never the token itself. */
function whereFound(entry: GithubTokenReportDto): { source: string | null; url: string | null } {
  const clean = (text: string | null) => (text === null ? null : redactKeys(text.replaceAll(entry.token, '[redacted]')).slice(0, MAX_STORED_CHARS));
  return { source: clean(entry.source ?? null), url: clean(entry.url ?? null) };
}

/**
 * Reported tokens that are this deployment's keys are treated as compromised. The check tag settles
 * forgeries and other vendors' tokens without the database; a key with a row gets `api_key.leaked`
 * (once per key, source and url) and then LEAKED_KEY_ACTION, in one transaction with their webhooks.
 */
@Injectable()
export class LeakedKeysService {
  private readonly action: AppConfig['secretScanning']['leakedKeyAction'];

  constructor(
    private readonly format: ApiKeyFormat,
    private readonly hasher: KeyHasher,
    private readonly bus: InvalidationBus,
    private readonly keys: KeysService,
    private readonly audit: AuditService,
    private readonly webhooks: WebhookEvents,
    config: ConfigService<AppConfig, true>,
  ) {
    this.action = config.get('secretScanning', { infer: true }).leakedKeyAction;
  }

  async handle(report: GithubTokenReportDto[]): Promise<GithubTokenLabelDto[]> {
    const labels: GithubTokenLabelDto[] = [];
    for (const entry of report) {
      // A right check tag proves the key was issued here, even when its row is gone (deleted).
      const ours = this.format.parse(entry.token) !== null;
      if (ours) await this.respond(entry);
      labels.push({
        token_hash: createHash('sha256').update(entry.token).digest('hex'),
        token_type: entry.type,
        label: ours ? LeakLabel.TruePositive : LeakLabel.FalsePositive,
      });
    }
    return labels;
  }

  private respond(entry: GithubTokenReportDto): Promise<void> {
    const hash = this.hasher.hash(entry.token);
    return this.bus.transactional(async (em, changed) => {
      const key = await em.findOne(ApiKey, { $or: [{ secretHash: hash }, { graceSecretHash: hash }] }, { lockMode: LockMode.PESSIMISTIC_WRITE, populate: ['secretHash'] });
      if (!key) return;
      const found = whereFound(entry);
      if (await this.alreadyRecorded(em, key, found)) return;
      const accountId = key.account.id;
      const dto = ApiKeyDto.from(key);
      await this.audit.record(em, { accountId, action: AuditAction.KeyLeaked, target: { type: 'api_key', id: key.id }, actor: SYSTEM_ACTOR, changes: found });
      await this.webhooks.enqueue(em, { accountId, type: 'api_key.leaked', environment: key.environment, object: dto });
      // An old secret whose grace period is over opens nothing: the leak is recorded, the key is left alone.
      const stillOpens = key.secretHash === hash || (key.graceExpiresAt !== null && key.graceExpiresAt > new Date());
      if (stillOpens && this.action !== 'notify') await this.keys.actAsSystem(em, changed, key, this.action);
    });
  }

  /** The same report again (GitHub retries, or reports one match twice) changes nothing. */
  private async alreadyRecorded(em: EntityManager, key: ApiKey, found: { source: string | null; url: string | null }): Promise<boolean> {
    const rows = await em.getConnection().execute<unknown[]>(
      'select 1 from audit_events where account_id = ? and target_id = ? and action = ? and changes = ?::jsonb limit 1',
      [key.account.id, key.id, AuditAction.KeyLeaked, JSON.stringify(found)],
      'all',
      em.getTransactionContext(),
    );
    return rows.length > 0;
  }
}
