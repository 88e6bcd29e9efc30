import { ApiProperty } from '@nestjs/swagger';
import { WEBHOOK_EVENT_TYPES } from '../webhook-event-types';
import { EndpointStatus, type WebhookEndpoint } from '../webhook-endpoint.entity';

/** The endpoint object: never its secret. */
export class WebhookEndpointDto {
  @ApiProperty({ example: 'we_4MvT0aHq2cN8yXbW1pLz9d' }) id!: string;
  @ApiProperty({ example: 'https://hooks.example.com/latchkey' }) url!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ type: [String], enum: WEBHOOK_EVENT_TYPES }) event_types!: string[];
  @ApiProperty({ enum: EndpointStatus, enumName: 'WebhookEndpointStatus' }) status!: EndpointStatus;
  @ApiProperty({ type: String, nullable: true, description: 'Why the service disabled the endpoint; null when enabled or disabled on request.' })
  disabled_reason!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;

  static from(e: WebhookEndpoint): WebhookEndpointDto {
    return {
      id: e.id,
      url: e.url,
      description: e.description,
      event_types: [...e.eventTypes],
      status: e.status,
      disabled_reason: e.disabledReason,
      created_at: e.createdAt.toISOString(),
      updated_at: e.updatedAt.toISOString(),
    };
  }
}

export class WebhookEndpointWithSecretDto extends WebhookEndpointDto {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'The signing secret, shown this once.' })
  secret!: string;
}
