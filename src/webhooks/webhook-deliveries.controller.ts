import { Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal } from '../common/auth/principal';
import { Paginated } from '../common/http/envelope';
import { ListQueryDto } from '../common/http/list-query.dto';
import { ApiConflict, ApiEnvelope, ApiKeyAuth } from '../common/openapi/api-docs';
import { WebhookDeliveryDetailDto, WebhookDeliveryDto } from './dto/webhook-delivery.dto';
import { WebhookEventDto } from './dto/webhook-event.dto';
import { WebhookDeliveriesService } from './webhook-deliveries.service';

@ApiTags('Webhooks')
@Controller()
export class WebhookDeliveriesController {
  constructor(private readonly deliveries: WebhookDeliveriesService) {}

  @Get('events')
  @ApiKeyAuth('webhooks:read')
  @ApiOperation({ operationId: 'listEvents', summary: "The account's webhook events as sent, newest first, to catch up on missed ones" })
  @ApiEnvelope(WebhookEventDto, { list: true })
  events(@CurrentPrincipal() caller: Principal, @Query() query: ListQueryDto): Promise<Paginated<WebhookEventDto>> {
    return this.deliveries.events(caller, query);
  }

  @Get('events/:id')
  @ApiKeyAuth('webhooks:read')
  @ApiOperation({ operationId: 'getEvent', summary: 'One webhook event as sent' })
  @ApiEnvelope(WebhookEventDto)
  event(@CurrentPrincipal() caller: Principal, @Param('id') id: string): Promise<WebhookEventDto> {
    return this.deliveries.event(caller, id);
  }

  @Get('webhook-deliveries/:id')
  @ApiKeyAuth('webhooks:read')
  @ApiOperation({ operationId: 'getWebhookDelivery', summary: 'One delivery with the details of each attempt' })
  @ApiEnvelope(WebhookDeliveryDetailDto)
  get(@CurrentPrincipal() caller: Principal, @Param('id') id: string): Promise<WebhookDeliveryDetailDto> {
    return this.deliveries.get(caller, id);
  }

  @Post('webhook-deliveries/:id/retry')
  @HttpCode(HttpStatus.OK)
  @ApiKeyAuth('webhooks:write')
  @ApiOperation({ operationId: 'retryWebhookDelivery', summary: 'Attempt the delivery again now' })
  @ApiConflict('the endpoint is disabled')
  @ApiEnvelope(WebhookDeliveryDto)
  retry(@CurrentPrincipal() caller: Principal, @Param('id') id: string): Promise<WebhookDeliveryDto> {
    return this.deliveries.retry(caller, id);
  }
}
