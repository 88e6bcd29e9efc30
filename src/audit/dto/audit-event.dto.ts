import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { ListQueryDto } from '../../common/http/list-query.dto';
import { Optional } from '../../common/http/validation';
import { IsRfc3339 } from '../../common/http/validators';
import { AuditAction } from '../audit-action';
import { ACTOR_TYPES, type ActorType, type AuditEvent } from '../audit-event.entity';

class ActorDto {
  @ApiProperty({ enum: ACTOR_TYPES }) type!: string;
  @ApiProperty({ example: 'key_4MvT0aHq2cN8yXbW1pLz9d', description: "A key id, `operator`, `system`, or for `user` the operator's own id for the person" })
  id!: string;
  @ApiPropertyOptional({ example: 'ps_2bX9kQ2xLm4Nc8Vt0aZp3r', description: 'For `user`: the console session acted through' })
  session_id?: string;
}

class TargetDto {
  @ApiProperty({ enum: ['api_key', 'account', 'plan', 'portal_session', 'webhook_endpoint'] }) type!: string;
  @ApiProperty() id!: string;
}

export class AuditEventDto {
  @ApiProperty({ example: 'evt_0aB1cD2eF3gH4iJ5kL6mN7' }) id!: string;
  @ApiProperty({ type: 'integer', description: "Position in the account's chain, from 1" }) seq!: number;
  @ApiProperty({ format: 'date-time' }) occurred_at!: string;
  @ApiProperty() account_id!: string;
  @ApiProperty({ type: ActorDto }) actor!: ActorDto;
  @ApiProperty({ enum: AuditAction, enumName: 'AuditAction' }) action!: string;
  @ApiProperty({ type: TargetDto }) target!: TargetDto;
  @ApiProperty({ type: String, nullable: true }) ip!: string | null;
  @ApiProperty({ type: String, nullable: true }) user_agent!: string | null;
  @ApiProperty({ type: String, nullable: true }) request_id!: string | null;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true, description: '{field: {before, after}}, or details for auth.failed' })
  changes!: Record<string, unknown> | null;
  @ApiProperty({ type: String, nullable: true }) prev_hash!: string | null;
  @ApiProperty() hash!: string;

  static from(e: AuditEvent): AuditEventDto {
    return {
      id: e.id,
      seq: Number(e.seq),
      occurred_at: e.occurredAt.toISOString(),
      account_id: e.accountId,
      // session_id only when there is one: events from before sessions keep the shape their hash covers.
      actor: e.actorSessionId ? { type: e.actorType, id: e.actorId, session_id: e.actorSessionId } : { type: e.actorType, id: e.actorId },
      action: e.action,
      target: { type: e.targetType, id: e.targetId },
      ip: e.ip,
      user_agent: e.userAgent,
      request_id: e.requestId,
      changes: e.changes,
      prev_hash: e.prevHash,
      hash: e.hash,
    };
  }
}

const ID = /^[a-z]+_[0-9A-Za-z]{1,40}$|^operator$|^system$|^unknown$/;

/** Filters shared by the list and the export. */
export class AuditFilterDto {
  @ApiPropertyOptional({ description: 'Events about this key' })
  @Optional() @IsString() @MaxLength(64) @Matches(ID, { message: 'key_id must be a key id' })
  key_id?: string;

  @ApiPropertyOptional({ enum: AuditAction, enumName: 'AuditAction' })
  @Optional() @IsIn(Object.values(AuditAction), { message: `action must be one of ${Object.values(AuditAction).join(', ')}` })
  action?: AuditAction;

  @ApiPropertyOptional({ description: "A key id, `operator`, `system`, or a console user's id" })
  @Optional() @IsString() @MinLength(1) @MaxLength(100) @Matches(/^[^\u0000-\u001f\u007f]+$/, { message: 'actor_id must be a key id, operator, system or a user id' })
  actor_id?: string;

  @ApiPropertyOptional({ enum: ACTOR_TYPES, description: 'Who acted: a key, the operator, a console user, or the service itself' })
  @Optional() @IsIn(ACTOR_TYPES, { message: `actor_type must be one of ${ACTOR_TYPES.join(', ')}` })
  actor_type?: ActorType;

  @ApiPropertyOptional({ format: 'date-time', description: 'Events at or after this time' })
  @Optional() @IsRfc3339()
  since?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Events before this time' })
  @Optional() @IsRfc3339()
  until?: string;
}

export class AuditListQueryDto extends IntersectionType(ListQueryDto, AuditFilterDto) {}

export class AuditExportQueryDto extends AuditFilterDto {
  @ApiPropertyOptional({ enum: ['ndjson', 'csv'], default: 'ndjson' })
  @Optional() @IsIn(['ndjson', 'csv'], { message: 'format must be ndjson or csv' })
  format?: 'ndjson' | 'csv';
}

export class AuditVerifyQueryDto {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    default: 'false',
    description: 'Re-hash the whole chain from its start (or retention anchor) instead of only the events added since the last verified point',
  })
  @Optional() @IsIn(['true', 'false'], { message: 'full must be true or false' })
  full?: 'true' | 'false';
}

export class AuditVerifyDto {
  @ApiProperty({ description: 'True when every link of the chain checks out' }) ok!: boolean;
  @ApiProperty({
    type: 'integer',
    description:
      'Events hashed by this check: with `full=true` the whole chain; otherwise the events added since the last verified point ' +
      '(0 when there are none), or the whole chain when there is no such point or it could not be trusted',
  })
  checked!: number;
  @ApiProperty({ type: String, nullable: true, description: 'The first event whose link or hash is wrong, or the last verified event if the chain was cut off before it' })
  first_broken_event_id!: string | null;
}
