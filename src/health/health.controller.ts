import { Controller, Get, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, MikroOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../common/auth/public.decorator';
import { ApiCommonErrors, ApiEnvelope } from '../common/openapi/api-docs';

export class HealthDto {
  @ApiProperty({ enum: ['ok'] }) status!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { database: { status: 'up' } } })
  info!: Record<string, unknown>;
}

@ApiTags('Health')
@Public()
@ApiCommonErrors()
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: MikroOrmHealthIndicator,
  ) {}

  @Get('live')
  @ApiOperation({ operationId: 'healthLive', summary: 'The process is up' })
  @ApiEnvelope(HealthDto)
  live(): HealthDto {
    return { status: 'ok', info: {} };
  }

  @Get('ready')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ operationId: 'healthReady', summary: 'The service can serve: the database answers (503 otherwise)' })
  @ApiEnvelope(HealthDto)
  async ready(): Promise<HealthDto> {
    const { status, info } = await this.health.check([() => this.database.pingCheck('database', { timeout: 2000 })]);
    return { status, info: info ?? {} };
  }
}
