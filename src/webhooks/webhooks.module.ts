import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Global, Module } from '@nestjs/common';
import { WebhookAttempt } from './webhook-attempt.entity';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { WebhookEvent } from './webhook-event.entity';
import { WebhookEvents } from './webhook-events.service';

/** Webhook endpoints, the outbox every change writes to, and its delivery. `WebhookEvents` is global: every module reports changes. */
@Global()
@Module({
  imports: [MikroOrmModule.forFeature([WebhookEndpoint, WebhookEvent, WebhookDelivery, WebhookAttempt])],
  providers: [WebhookEvents],
  exports: [WebhookEvents],
})
export class WebhooksModule {}
