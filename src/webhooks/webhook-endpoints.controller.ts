import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, CurrentPrincipal, type Principal, type RequestActor } from '../common/auth/principal';
import { ActionMessage, Paginated } from '../common/http/envelope';
import { ListQueryDto } from '../common/http/list-query.dto';
import { ApiConflict, ApiEnvelope, ApiKeyAuth, ApiMessage } from '../common/openapi/api-docs';
import { WebhookDeliveryDto } from './dto/webhook-delivery.dto';
import { CreateWebhookEndpointDto, UpdateWebhookEndpointDto } from './dto/webhook-endpoint-input.dto';
import { WebhookEndpointDto, WebhookEndpointWithSecretDto } from './dto/webhook-endpoint.dto';
import { WebhookEventDto } from './dto/webhook-event.dto';
import { WebhookDeliveriesService } from './webhook-deliveries.service';
import { WebhookEndpointsService } from './webhook-endpoints.service';

@ApiTags('Webhooks')
@Controller('webhook-endpoints')
export class WebhookEndpointsController {
  constructor(
    private readonly endpoints: WebhookEndpointsService,
    private readonly deliveries: WebhookDeliveriesService,
  ) {}

  @Post()
  @HttpCode(HttpStatus.CREATED)
  @ApiKeyAuth('webhooks:write')
  @ApiOperation({ operationId: 'createWebhookEndpoint', summary: 'Add an endpoint; its signing `secret` is returned this once' })
  @ApiConflict('the account has the most endpoints allowed (20)')
  @ApiEnvelope(WebhookEndpointWithSecretDto, { status: HttpStatus.CREATED })
  create(@CurrentPrincipal() caller: Principal, @Body() body: CreateWebhookEndpointDto, @CurrentActor() actor: RequestActor) {
    return this.endpoints.create(caller, body, actor);
  }

  @Get()
  @ApiKeyAuth('webhooks:read')
  @ApiOperation({ operationId: 'listWebhookEndpoints', summary: 'List endpoints, newest first' })
  @ApiEnvelope(WebhookEndpointDto, { list: true })
  list(@CurrentPrincipal() caller: Principal, @Query() query: ListQueryDto): Promise<Paginated<WebhookEndpointDto>> {
    return this.endpoints.list(caller, query);
  }

  @Get(':id')
  @ApiKeyAuth('webhooks:read')
  @ApiOperation({ operationId: 'getWebhookEndpoint', summary: 'Get one endpoint' })
  @ApiEnvelope(WebhookEndpointDto)
  get(@CurrentPrincipal() caller: Principal, @Param('id') id: string): Promise<WebhookEndpointDto> {
    return this.endpoints.get(caller, id);
  }

  @Patch(':id')
  @ApiKeyAuth('webhooks:write')
  @ApiOperation({ operationId: 'updateWebhookEndpoint', summary: 'Change the URL, description or event types; `status` disables or re-enables' })
  @ApiEnvelope(WebhookEndpointDto)
  update(@CurrentPrincipal() caller: Principal, @Param('id') id: string, @Body() body: UpdateWebhookEndpointDto, @CurrentActor() actor: RequestActor) {
    return this.endpoints.update(caller, id, body, actor);
  }

  @Delete(':id')
  @ApiKeyAuth('webhooks:write')
  @ApiOperation({ operationId: 'deleteWebhookEndpoint', summary: 'Remove the endpoint and its deliveries' })
  @ApiMessage('Webhook endpoint deleted')
  remove(@CurrentPrincipal() caller: Principal, @Param('id') id: string, @CurrentActor() actor: RequestActor): Promise<ActionMessage> {
    return this.endpoints.delete(caller, id, actor);
  }

  @Post(':id/rotate-secret')
  @HttpCode(HttpStatus.OK)
  @ApiKeyAuth('webhooks:write')
  @ApiOperation({ operationId: 'rotateWebhookEndpointSecret', summary: 'A new signing secret, returned this once; the old one also signs for 24 hours' })
  @ApiEnvelope(WebhookEndpointWithSecretDto)
  rotateSecret(@CurrentPrincipal() caller: Principal, @Param('id') id: string, @CurrentActor() actor: RequestActor) {
    return this.endpoints.rotateSecret(caller, id, actor);
  }

  @Post(':id/test')
  @HttpCode(HttpStatus.OK)
  @ApiKeyAuth('webhooks:write')
  @ApiOperation({ operationId: 'testWebhookEndpoint', summary: 'Queue a `webhook.test` event for this endpoint' })
  @ApiConflict('the endpoint is disabled')
  @ApiEnvelope(WebhookEventDto)
  async test(@CurrentPrincipal() caller: Principal, @Param('id') id: string): Promise<WebhookEventDto> {
    return this.deliveries.event(caller, await this.endpoints.sendTest(caller, id));
  }

  @Get(':id/deliveries')
  @ApiKeyAuth('webhooks:read')
  @ApiOperation({ operationId: 'listWebhookDeliveries', summary: "The endpoint's deliveries, newest first" })
  @ApiEnvelope(WebhookDeliveryDto, { list: true })
  deliveriesOf(@CurrentPrincipal() caller: Principal, @Param('id') id: string, @Query() query: ListQueryDto): Promise<Paginated<WebhookDeliveryDto>> {
    return this.deliveries.list(caller, id, query);
  }
}
