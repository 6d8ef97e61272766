import { z } from 'zod';
import { ADMIN_ROUTES, AdminErrorBody, type AdminRoute } from './admin-api';

type JsonSchema = Record<string, unknown>;

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'malformed request (ADMIN_BAD_REQUEST) or refused by a rule (AUTH_INVALID_*, PRESENCE_INVALID_USER, PRESENCE_SELF_BUDDY)',
  401: 'missing or wrong bearer token (ADMIN_UNAUTHORIZED)',
  404: 'no such account, device or buddy (AUTH_ACCOUNT_NOT_FOUND, AUTH_DEVICE_NOT_FOUND, PRESENCE_UNKNOWN_USER, PRESENCE_NOT_IN_ROSTER)',
  409: 'the account exists (AUTH_ACCOUNT_EXISTS)',
};

/** A zod schema as an OpenAPI 3.1 schema (JSON Schema 2020-12, without its `$schema`). */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { io }) as JsonSchema;
  delete json['$schema'];
  return json;
}

function parametersOf(route: AdminRoute): JsonSchema[] {
  const path = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  if (route.query === undefined) return path;
  const query = schemaOf(route.query, 'input') as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return [
    ...path,
    ...Object.entries(query.properties ?? {}).map(([name, schema]) => ({
      name,
      in: 'query',
      required: query.required?.includes(name) ?? false,
      schema,
    })),
  ];
}

function json(schema: JsonSchema): JsonSchema {
  return { 'application/json': { schema } };
}

function operationOf(route: AdminRoute): JsonSchema {
  const errorSchema = schemaOf(AdminErrorBody, 'output');
  const errors = route.path === '/admin/openapi.json' ? route.errors : [...route.errors, 401];
  return {
    summary: route.summary,
    operationId: `${route.method}${route.path.replace(/[^A-Za-z0-9]+(\w?)/g, (_, next: string) => next.toUpperCase())}`,
    parameters: parametersOf(route),
    ...(route.body === undefined
      ? {}
      : { requestBody: { required: true, content: json(schemaOf(route.body, 'input')) } }),
    responses: {
      [route.status]: {
        description: 'done',
        ...(route.response === undefined ? {} : { content: json(schemaOf(route.response, 'output')) }),
      },
      ...Object.fromEntries(
        [...errors]
          .sort()
          .map((status) => [status, { description: ERROR_DESCRIPTIONS[status], content: json(errorSchema) }]),
      ),
    },
    ...(route.path === '/admin/openapi.json' ? { security: [] } : {}),
  };
}

/** The OpenAPI 3.1 document of the admin API, generated from ADMIN_ROUTES. */
export function adminOpenApiDocument(version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of ADMIN_ROUTES) {
    (paths[route.path] ??= {})[route.method] = operationOf(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Herald admin API',
      version,
      description:
        'Accounts, registrations, sessions, rosters and a summary, on HERALD_ADMIN_PORT (docs/admin.md). ' +
        'Every route but this document needs `Authorization: Bearer <HERALD_ADMIN_TOKEN>`.',
    },
    components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } } },
    security: [{ adminToken: [] }],
    paths,
  };
}
