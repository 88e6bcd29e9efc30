import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { Optional } from '../../common/http/validation';
import { WEBHOOK_EVENT_TYPES } from '../webhook-event-types';
import { EndpointStatus } from '../webhook-endpoint.entity';

const TYPES_MESSAGE = `each event type must be one of ${WEBHOOK_EVENT_TYPES.join(', ')}`;

export class CreateWebhookEndpointDto {
  @ApiProperty({ example: 'https://hooks.example.com/latchkey', maxLength: 2048, description: 'https:// only; must resolve to public addresses.' })
  @IsString() @MinLength(1) @MaxLength(2048)
  url!: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500 })
  @Optional() @ValidateIf((_o, v) => v !== null) @IsString() @MaxLength(500)
  description?: string | null;

  @ApiPropertyOptional({ type: [String], enum: WEBHOOK_EVENT_TYPES, description: 'Defaults to every type.' })
  @Optional() @IsArray() @ArrayMinSize(1, { message: 'event_types must list at least one event type' })
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length) @ArrayUnique({ message: 'event_types must not repeat a type' })
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true, message: TYPES_MESSAGE })
  event_types?: string[];

  @ApiPropertyOptional({ default: true, description: 'false creates the endpoint disabled.' })
  @Optional() @IsBoolean()
  active?: boolean;
}

export class UpdateWebhookEndpointDto {
  @ApiPropertyOptional({ maxLength: 2048 })
  @Optional() @IsString() @MinLength(1) @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500 })
  @Optional() @ValidateIf((_o, v) => v !== null) @IsString() @MaxLength(500)
  description?: string | null;

  @ApiPropertyOptional({ type: [String], enum: WEBHOOK_EVENT_TYPES })
  @Optional() @IsArray() @ArrayMinSize(1, { message: 'event_types must list at least one event type' })
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length) @ArrayUnique({ message: 'event_types must not repeat a type' })
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true, message: TYPES_MESSAGE })
  event_types?: string[];

  @ApiPropertyOptional({ enum: EndpointStatus, enumName: 'WebhookEndpointStatus', description: '`enabled` re-enables a disabled endpoint.' })
  @Optional() @IsIn(Object.values(EndpointStatus), { message: 'status must be enabled or disabled' })
  status?: EndpointStatus;
}
