import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuditModule } from '../audit/audit.module';
import type { AppConfig } from '../config/configuration';
import { DeliverySignal } from './delivery-signal';
import { DeliveryWorker } from './delivery-worker';
import { SecretBox } from './secret-box';
import { WebhookAttempt } from './webhook-attempt.entity';
import { WebhookDeliveriesController } from './webhook-deliveries.controller';
import { WebhookDeliveriesService } from './webhook-deliveries.service';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { WebhookEndpointsController } from './webhook-endpoints.controller';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { WebhookEvent } from './webhook-event.entity';
import { WebhookEvents } from './webhook-events.service';
import { DEFAULT_DELIVERY_OPTIONS, WEBHOOK_DELIVERY_OPTIONS, type WebhookDeliveryOptions } from './webhook-options';
import { WebhookSender } from './webhook-sender';

/** Webhook endpoints, the outbox every change writes to, and its delivery. `WebhookEvents` is global: every module reports changes. */
@Global()
@Module({
  imports: [MikroOrmModule.forFeature([WebhookEndpoint, WebhookEvent, WebhookDelivery, WebhookAttempt]), AuditModule],
  providers: [
    {
      provide: WEBHOOK_DELIVERY_OPTIONS,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>): WebhookDeliveryOptions => ({
        ...DEFAULT_DELIVERY_OPTIONS,
        allowPrivateNetworks: config.get('webhooks', { infer: true }).allowPrivateNetworks,
      }),
    },
    WebhookEvents,
    SecretBox,
    DeliverySignal,
    WebhookSender,
    WebhookEndpointsService,
    WebhookDeliveriesService,
    DeliveryWorker,
  ],
  controllers: [WebhookEndpointsController, WebhookDeliveriesController],
  exports: [WebhookEvents],
})
export class WebhooksModule {}
