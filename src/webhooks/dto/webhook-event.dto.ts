import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { WEBHOOK_EVENT_TYPES } from '../webhook-event-types';

class WebhookEventDataDto {
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The key object as the API returns it, the account, or (webhook.test) the endpoint.' })
  object!: Record<string, unknown>;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: "The changed fields' values before the change." })
  previous_attributes?: Record<string, unknown>;
  @ApiProperty({ type: String, nullable: true, enum: ['live', 'test'], description: "The key's environment; null for account and test events." })
  environment!: string | null;
  @ApiPropertyOptional({ type: 'integer', description: 'api_key.expiring: days until expires_at.' })
  days_left?: number;
}

/** The payload every endpoint receives, exactly as sent. */
export class WebhookEventDto {
  @ApiProperty({ example: 'msg_2hX9aQ4bT7cK1mN3pR5sV8' }) id!: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES }) type!: string;
  @ApiProperty({ format: 'date-time' }) timestamp!: string;
  @ApiProperty({ type: WebhookEventDataDto }) data!: WebhookEventDataDto;
}
