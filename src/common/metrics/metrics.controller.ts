import { Controller, Get, Res, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiKeyAuth } from '../openapi/api-docs';
import { MetricsService } from './metrics.service';

@ApiTags('Admin')
@Controller({ path: 'metrics', version: VERSION_NEUTRAL })
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @ApiKeyAuth('admin')
  @ApiOperation({ operationId: 'metrics', summary: 'Prometheus metrics (operator keys only)' })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, description: 'Prometheus text exposition format', schema: { type: 'string' } })
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    void reply.type('text/plain; version=0.0.4; charset=utf-8').send(await this.metrics.registry.metrics());
  }
}
