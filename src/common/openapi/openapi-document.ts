import { HttpStatus } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, getSchemaPath, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { IS_PUBLIC } from '../auth/public.decorator';
import { API_KEY_SCHEME, BEARER_SCHEME, ErrorBodyDto, SESSION_SCHEME } from './api-docs';

/** The document's tags, in the order the docs page shows them, each saying what it groups. */
export const API_TAGS: ReadonlyArray<{ name: string; description: string }> = [
  { name: 'Account', description: 'Who the calling key is: the key, its account, plan, limits and key count.' },
  { name: 'API keys', description: "Create, list, change, deactivate, regenerate, revoke and delete the account's keys, and read their usage." },
  { name: 'Verification', description: 'Checks for other services and gateways: verify a key sent to them, or forward-auth the request.' },
  { name: 'Audit', description: "The account's append-only, hash-chained audit log: list, export and verify it." },
  { name: 'Plans', description: 'The plans accounts can be on, with their limits.' },
  { name: 'Console', description: 'Console sessions: sign in with the one-time code of a sign-in link, see the session, sign out.' },
  { name: 'Admin', description: "Operator keys and the operator's console sessions only (`admin` scope): accounts, plans, portal sessions, any account's audit log, metrics." },
  { name: 'Webhooks', description: 'Webhook endpoints, their signing secrets and deliveries, and the events sent to them.' },
  { name: 'Secret scanning', description: "Leak reports from GitHub's secret scanning partner program: signed by GitHub, no key." },
  { name: 'Health', description: 'Liveness and readiness probes for orchestrators; no key needed.' },
];

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);
/** Keys whose values are data, not schemas, and are left alone. */
const DATA_KEYS = new Set(['example', 'examples', 'default', 'enum']);

/**
 * @nestjs/swagger wraps every enum reference in a one-item `allOf` (so it can carry a description
 * or default). Made plain OpenAPI 3.0 that linters and generators read alike:
 * - a bare wrapper (`{allOf: [{$ref}]}` and nothing else) becomes the `$ref` itself;
 * - a nullable one (`{nullable: true, allOf: [{$ref: <string enum>}]}`) gets the enum inline with
 *   `type` and `null` among its values: in 3.0 `nullable` works only beside a `type`, and `null`
 *   must be one of the `enum` values to be allowed.
 * Wrappers that carry a description or default stay: that is how 3.0 annotates a `$ref`.
 */
function tidySchema(node: Node, schemas: Record<string, Node>): Node {
  const allOf = node.allOf;
  if (!Array.isArray(allOf) || allOf.length !== 1 || !isNode(allOf[0])) return node;
  const { allOf: _, ...siblings } = node;
  if (Object.keys(siblings).length === 0) return allOf[0];
  const ref = typeof allOf[0].$ref === 'string' ? allOf[0].$ref : undefined;
  const target = ref?.startsWith('#/components/schemas/') ? schemas[ref.slice('#/components/schemas/'.length)] : undefined;
  if (siblings.nullable === true && siblings.type === undefined && target?.type === 'string' && Array.isArray(target.enum)) {
    return { ...siblings, type: 'string', enum: [...target.enum.filter((v) => v !== null), null] };
  }
  return node;
}

function tidySchemas(value: unknown, schemas: Record<string, Node>): unknown {
  if (Array.isArray(value)) return value.map((item) => tidySchemas(item, schemas));
  if (!isNode(value)) return value;
  const node = tidySchema(value, schemas);
  return Object.fromEntries(Object.entries(node).map(([key, v]) => [key, DATA_KEYS.has(key) ? v : tidySchemas(v, schemas)]));
}

/**
 * The finishing touches on the generated document:
 * - operations of routes marked `@Public()` (no key needed) get an explicit empty `security`, so
 *   "no security" is stated rather than left out; a route that needs a key but forgot
 *   `@ApiKeyAuth()` stays without `security`, which `npm run lint:openapi` reports;
 * - operations whose path has a parameter declare 404 NOT_FOUND: an unknown id, or a malformed
 *   one, is not found (docs/api-decisions.md);
 * - enum references are tidied (see `tidySchema`).
 */
export function finishOpenApiDocument<T extends { paths: object; components?: object }>(document: T, publicOperationIds: ReadonlySet<string>): T {
  const schemas = ((document.components as { schemas?: Record<string, Node> } | undefined)?.schemas ?? {});
  for (const [path, item] of Object.entries(document.paths) as [string, Node][]) {
    for (const operation of Object.values(item)) {
      if (!isNode(operation)) continue;
      if (operation.security === undefined && publicOperationIds.has(String(operation.operationId))) operation.security = [];
      const responses = operation.responses as Node | undefined;
      if (path.includes('{') && responses && responses[HttpStatus.NOT_FOUND] === undefined) {
        responses[HttpStatus.NOT_FOUND] = {
          description: 'NOT_FOUND: nothing has this id (a malformed id included)',
          content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorBodyDto) } } },
        };
      }
    }
  }
  return tidySchemas(document, schemas) as T;
}

/**
 * What @nestjs/swagger records for @ApiOperation (its `DECORATORS.API_OPERATION`, not exported);
 * without an explicit operationId, the method name is used, as by the operationIdFactory below.
 */
const API_OPERATION_METADATA = 'swagger/apiOperation';
const operationIdOf = (handler: object, method: string): string =>
  (Reflect.getMetadata(API_OPERATION_METADATA, handler) as { operationId?: string } | undefined)?.operationId ?? method;

/** The operationIds of the routes marked @Public() (on the handler or its controller), which need no key. */
function publicOperationIds(app: NestFastifyApplication): Set<string> {
  const ids = new Set<string>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      if (typeof metatype !== 'function') continue;
      const prototype = metatype.prototype as Record<string, unknown>;
      for (const method of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[method];
        if (method === 'constructor' || typeof handler !== 'function') continue;
        const isPublic = (Reflect.getMetadata(IS_PUBLIC, handler) ?? Reflect.getMetadata(IS_PUBLIC, metatype)) as boolean | undefined;
        if (isPublic) ids.add(operationIdOf(handler, method));
      }
    }
  }
  return ids;
}

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Latchkey API')
    .setDescription('API keys for SaaS backends: create, authenticate, limit, verify and audit.')
    .setVersion('1.0.0')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .addServer('http://127.0.0.1:3000', 'The default local server (`HOST` and `PORT` change it)')
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'X-API-Key',
        description: 'Recommended: the API key in the `X-API-Key` header. A key in the query string is refused (401).',
      },
      API_KEY_SCHEME,
    )
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'API key',
        description: 'The same API key as `Authorization: Bearer <key>`. Sent with `X-API-Key` too, both must carry the same key.',
      },
      BEARER_SCHEME,
    )
    .addApiKey(
      {
        type: 'apiKey',
        in: 'cookie',
        name: 'lk_session',
        description:
          'A console session, set by `POST /v1/portal/redeem` (HttpOnly). Changes need `Origin` equal to PUBLIC_URL\'s origin or `Sec-Fetch-Site: same-origin`. A request with an API key is judged by the key alone.',
      },
      SESSION_SCHEME,
    );
  for (const { name, description } of API_TAGS) builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build(), { operationIdFactory: (_c, method) => method });
  return finishOpenApiDocument(document, publicOperationIds(app));
}

/** Everything about the HTTP app beyond its modules; shared by main.ts and the e2e tests. */
