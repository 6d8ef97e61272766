import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ADMIN_CONTROLLERS } from '#herald/auth-service';
import { AuthHarness } from './auth-harness';
import { AUTH_TEST_TIMEOUT_MS } from './timeouts';

jest.setTimeout(AUTH_TEST_TIMEOUT_MS);

type Operations = Record<string, Record<string, unknown>>;

/** `GET /admin/accounts/{username}` for every route the controllers declare (Nest's own metadata). */
function servedRoutes(): string[] {
  return ADMIN_CONTROLLERS.flatMap((controller) => {
    const base = String(Reflect.getMetadata(PATH_METADATA, controller));
    const prototype = controller.prototype as unknown as Record<string, object>;
    return Object.getOwnPropertyNames(prototype)
      .filter((name) => name !== 'constructor')
      .flatMap((name) => {
        const handler = prototype[name];
        const path: unknown =
          typeof handler === 'function' ? Reflect.getMetadata(PATH_METADATA, handler) : undefined;
        if (path === undefined) return [];
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        const full = `/${[base, String(path)].filter((part) => part !== '/' && part !== '').join('/')}`;
        return [`${method} ${full.replace(/:(\w+)/g, '{$1}')}`];
      });
  });
}

describe('admin API OpenAPI document (real HTTP)', () => {
  let harness: AuthHarness;
  let document: { openapi: string; paths: Operations };

  beforeAll(async () => {
    harness = await AuthHarness.start();
    // Served without the token: it holds no data.
    const response = await fetch(`${harness.baseUrl}/admin/openapi.json`);
    expect(response.status).toBe(200);
    document = (await response.json()) as typeof document;
  });

  afterAll(async () => {
    await harness?.stop();
  });

  it('is OpenAPI 3.1 and describes exactly the routes the API serves', () => {
    expect(document.openapi).toBe('3.1.0');
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect([...documented].sort()).toEqual(servedRoutes().sort());
  });

  it('answers every documented route over HTTP (a route it lacked would be Nest’s 404 without a code)', async () => {
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const method of Object.keys(operations)) {
        const answer = await harness.admin(method.toUpperCase(), path.replace(/\{(\w+)\}/g, 'nobody'));
        const known = answer.status < 400 || typeof answer.body?.code === 'string';
        expect({ route: `${method} ${path}`, known }).toEqual({ route: `${method} ${path}`, known: true });
      }
    }
  });

  it('generates request, query and answer schemas from the zod schemas', () => {
    const create = document.paths['/admin/accounts']!['post'] as {
      requestBody: {
        content: { 'application/json': { schema: { required: string[]; additionalProperties: boolean } } };
      };
      responses: Record<string, unknown>;
    };
    expect(create.requestBody.content['application/json'].schema).toMatchObject({
      required: ['username', 'password'],
      additionalProperties: false,
    });
    expect(Object.keys(create.responses).sort()).toEqual(['201', '400', '401', '409']);
    const list = document.paths['/admin/registrations']!['get'] as {
      parameters: { name: string; in: string }[];
    };
    expect(list.parameters.map(({ name, in: where }) => `${where}:${name}`)).toEqual([
      'query:user',
      'query:edge',
      'query:after',
      'query:limit',
    ]);
    const kick = document.paths['/admin/sessions/{user}/{deviceId}']!['delete'] as {
      parameters: { name: string; in: string; required: boolean }[];
    };
    expect(kick.parameters).toEqual([
      { name: 'user', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'deviceId', in: 'path', required: true, schema: { type: 'string' } },
    ]);
  });
});
