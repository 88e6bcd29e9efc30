import { ApiProperty } from '@nestjs/swagger';
import type { WebhookAttempt } from '../webhook-attempt.entity';
import { DeliveryStatus, type WebhookDelivery } from '../webhook-delivery.entity';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export class WebhookDeliveryDto {
  @ApiProperty({ example: 'whd_0f8e4c1a9b2d4e6f8a0b1c2d3e4f5a6b' }) id!: string;
  @ApiProperty({ example: 'msg_2hX9aQ4bT7cK1mN3pR5sV8' }) event_id!: string;
  @ApiProperty({ example: 'api_key.created' }) event_type!: string;
  @ApiProperty({ example: 'we_4MvT0aHq2cN8yXbW1pLz9d' }) endpoint_id!: string;
  @ApiProperty({ enum: DeliveryStatus, enumName: 'WebhookDeliveryStatus' }) status!: DeliveryStatus;
  @ApiProperty({ type: 'integer' }) attempts!: number;
  @ApiProperty({ type: 'integer', nullable: true }) response_status!: number | null;
  @ApiProperty({ format: 'date-time', type: String, nullable: true }) last_attempt_at!: string | null;
  @ApiProperty({ format: 'date-time', type: String, nullable: true }) next_attempt_at!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;

  static from(d: WebhookDelivery): WebhookDeliveryDto {
    return {
      id: d.id,
      event_id: d.event.id,
      event_type: d.eventType,
      endpoint_id: d.endpoint.id,
      status: d.status,
      attempts: d.attempts,
      response_status: d.responseStatus,
      last_attempt_at: iso(d.lastAttemptAt),
      next_attempt_at: d.status === DeliveryStatus.Succeeded || d.status === DeliveryStatus.Exhausted ? null : iso(d.nextAttemptAt),
      created_at: d.createdAt.toISOString(),
    };
  }
}

export class WebhookAttemptDto {
  @ApiProperty({ type: 'integer' }) number!: number;
  @ApiProperty({ format: 'date-time' }) attempted_at!: string;
  @ApiProperty({ type: 'integer' }) duration_ms!: number;
  @ApiProperty({ type: 'integer', nullable: true }) response_status!: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'The first KiB of the answer.' }) response_body!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why no answer was had (network, timeout, refused address).' }) error!: string | null;

  static from(a: WebhookAttempt): WebhookAttemptDto {
    return {
      number: a.number,
      attempted_at: a.attemptedAt.toISOString(),
      duration_ms: a.durationMs,
      response_status: a.responseStatus,
      response_body: a.responseBody,
      error: a.error,
    };
  }
}

export class WebhookDeliveryDetailDto extends WebhookDeliveryDto {
  @ApiProperty({ type: [WebhookAttemptDto], description: 'Every attempt, oldest first.' }) attempt_details!: WebhookAttemptDto[];
}
