import { EntityManager } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { DomainException } from '../common/errors/domain.exception';
import { ErrorCode } from '../common/errors/error-code';
import type { UsageDto, UsageQueryDto } from './dto/usage.dto';

const STEP = { hour: 3_600_000, day: 86_400_000 };
const MAX_BUCKETS = 1_000;

const invalid = (field: string, message: string) =>
  new DomainException(ErrorCode.ValidationFailed, 'The request is not valid.', [{ field, message }]);

/** Request counts per key and hour or day, by status class. */
@Injectable()
export class UsageService {
  constructor(private readonly em: EntityManager) {}

  async usage(keyId: string, query: UsageQueryDto): Promise<UsageDto> {
    const granularity = query.granularity ?? 'hour';
    const step = STEP[granularity];
    const until = query.until ? new Date(query.until) : new Date();
    const defaultSpan = granularity === 'hour' ? 24 * STEP.hour : 30 * STEP.day;
    const since = query.since ? new Date(query.since) : new Date(until.getTime() - defaultSpan);
    if (since >= until) throw invalid('since', 'since must be before until');
    const first = Math.floor(since.getTime() / step) * step;
    if ((until.getTime() - first) / step > MAX_BUCKETS) throw invalid('since', `at most ${MAX_BUCKETS} ${granularity}s per request`);
    type Row = { start: Date | string; c2: string; c4: string; c5: string };
    const rows = await this.em.getConnection().execute<Row[]>(
      `select date_trunc(?, hour, 'UTC') as start, sum(count_2xx) as c2, sum(count_4xx) as c4, sum(count_5xx) as c5
         from key_usage where key_id = ? and hour >= ? and hour < ?
        group by 1`,
      [granularity, keyId, new Date(first), until],
    );
    const byStart = new Map<number, Row>(rows.map((r: Row) => [new Date(r.start).getTime(), r]));
    const buckets = [];
    for (let t = first; t < until.getTime(); t += step) {
      const r = byStart.get(t);
      buckets.push({ start: new Date(t).toISOString(), count_2xx: Number(r?.c2 ?? 0), count_4xx: Number(r?.c4 ?? 0), count_5xx: Number(r?.c5 ?? 0) });
    }
    return { key_id: keyId, granularity, buckets };
  }
}
