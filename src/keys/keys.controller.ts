import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, CurrentPrincipal, type Principal, type RequestActor } from '../common/auth/principal';
import { ActionMessage, Paginated } from '../common/http/envelope';
import { ApiConflict, ApiEnvelope, ApiKeyAuth, ApiMessage } from '../common/openapi/api-docs';
import { CreateApiKeyDto, ListApiKeysQueryDto, RegenerateApiKeyDto, UpdateApiKeyDto } from './dto/api-key-input.dto';
import { ApiKeyDto, ApiKeyWithSecretDto } from './dto/api-key.dto';
import { UsageDto, UsageQueryDto } from './dto/usage.dto';
import { KeysService } from './keys.service';
import { UsageService } from './usage.service';

@ApiTags('API keys')
@Controller('api-keys')
export class KeysController {
  constructor(
    private readonly keys: KeysService,
    private readonly usageCounts: UsageService,
  ) {}

  @Post()
  @HttpCode(HttpStatus.CREATED)
  @ApiKeyAuth('keys:write')
  @ApiOperation({ operationId: 'createApiKey', summary: 'Create a key; the secret (`key`) is returned this once' })
  @ApiEnvelope(ApiKeyWithSecretDto, { status: HttpStatus.CREATED })
  create(@CurrentPrincipal() caller: Principal, @Body() body: CreateApiKeyDto, @CurrentActor() actor: RequestActor) {
    return this.keys.create(caller, body, actor);
  }

  @Get()
  @ApiKeyAuth('keys:read')
  @ApiOperation({ operationId: 'listApiKeys', summary: 'List keys (masked), newest first' })
  @ApiEnvelope(ApiKeyDto, { list: true })
  list(@CurrentPrincipal() caller: Principal, @Query() query: ListApiKeysQueryDto): Promise<Paginated<ApiKeyDto>> {
    return this.keys.list(caller, query);
  }

  @Get(':id')
  @ApiKeyAuth('keys:read')
  @ApiOperation({ operationId: 'getApiKey', summary: 'Get one key (masked)' })
  @ApiEnvelope(ApiKeyDto)
  get(@CurrentPrincipal() caller: Principal, @Param('id') id: string): Promise<ApiKeyDto> {
    return this.keys.get(caller, id);
  }

  @Get(':id/usage')
  @ApiKeyAuth('keys:read')
  @ApiOperation({ operationId: 'getApiKeyUsage', summary: 'Request counts per hour or day, by status class' })
  @ApiEnvelope(UsageDto)
  async usage(@CurrentPrincipal() caller: Principal, @Param('id') id: string, @Query() query: UsageQueryDto): Promise<UsageDto> {
    return this.usageCounts.usage((await this.keys.get(caller, id)).id, query);
  }

  @Patch(':id')
  @ApiKeyAuth('keys:write')
  @ApiOperation({ operationId: 'updateApiKey', summary: 'Rename, change expiry, scopes, restrictions or metadata' })
  @ApiConflict('the key is revoked')
  @ApiEnvelope(ApiKeyDto)
  update(@CurrentPrincipal() caller: Principal, @Param('id') id: string, @Body() body: UpdateApiKeyDto, @CurrentActor() actor: RequestActor) {
    return this.keys.update(caller, id, body, actor);
  }

  @Post(':id/deactivate')
  @HttpCode(HttpStatus.OK)
  @ApiKeyAuth('keys:write')
  @ApiOperation({ operationId: 'deactivateApiKey', summary: 'Stop the key at once (reversible)' })
  @ApiConflict('the key is revoked')
  @ApiEnvelope(ApiKeyDto)
  deactivate(@CurrentPrincipal() caller: Principal, @Param('id') id: string, @CurrentActor() actor: RequestActor) {
    return this.keys.setActive(caller, id, false, actor);
  }

  @Post(':id/activate')
  @HttpCode(HttpStatus.OK)
  @ApiKeyAuth('keys:write')
  @ApiOperation({ operationId: 'activateApiKey', summary: 'Restart a deactivated key at once' })
  @ApiConflict('the key is revoked')
  @ApiEnvelope(ApiKeyDto)
  activate(@CurrentPrincipal() caller: Principal, @Param('id') id: string, @CurrentActor() actor: RequestActor) {
    return this.keys.setActive(caller, id, true, actor);
  }

  @Post(':id/regenerate')
  @HttpCode(HttpStatus.OK)
  @ApiKeyAuth('keys:write')
  @ApiOperation({ operationId: 'regenerateApiKey', summary: 'New secret, same id and settings; returned this once' })
  @ApiConflict('the key is revoked')
  @ApiBody({ type: RegenerateApiKeyDto, required: false })
  @ApiEnvelope(ApiKeyWithSecretDto)
  regenerate(
    @CurrentPrincipal() caller: Principal,
    @Param('id') id: string,
    @Body() body: RegenerateApiKeyDto,
    @CurrentActor() actor: RequestActor,
  ): Promise<ApiKeyWithSecretDto> {
    return this.keys.regenerate(caller, id, body?.grace_period_seconds ?? 0, actor);
  }

  @Post(':id/revoke')
  @HttpCode(HttpStatus.OK)
  @ApiKeyAuth('keys:write')
  @ApiOperation({ operationId: 'revokeApiKey', summary: 'Revoke the key; irreversible' })
  @ApiEnvelope(ApiKeyDto)
  revoke(@CurrentPrincipal() caller: Principal, @Param('id') id: string, @CurrentActor() actor: RequestActor) {
    return this.keys.revoke(caller, id, actor);
  }

  @Delete(':id')
  @ApiKeyAuth('keys:write')
  @ApiOperation({ operationId: 'deleteApiKey', summary: 'Revoke and permanently remove the key; its audit trail stays' })
  @ApiMessage('API key revoked successfully')
  remove(@CurrentPrincipal() caller: Principal, @Param('id') id: string, @CurrentActor() actor: RequestActor): Promise<ActionMessage> {
    return this.keys.delete(caller, id, actor);
  }
}
