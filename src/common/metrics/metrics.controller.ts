import { Controller, Get, Header, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { RawText } from '../http/envelope';
import { ApiKeyAuth } from '../openapi/api-docs';
import { MetricsService } from './metrics.service';

@ApiTags('Admin')
@Controller({ path: 'metrics', version: VERSION_NEUTRAL })
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @ApiKeyAuth('admin')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ operationId: 'metrics', summary: 'Prometheus metrics (operator keys only)' })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, description: 'Prometheus text exposition format', schema: { type: 'string' } })
  async scrape(): Promise<RawText> {
    return new RawText(await this.metrics.registry.metrics());
  }
}
