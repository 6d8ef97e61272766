import { Controller, Get } from '@nestjs/common';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { adminOpenApiDocument } from './openapi';

/** Herald's version (the API's), from the package.json nearest above this file, in src or dist. */
function heraldVersion(): string {
  for (let directory = __dirname; dirname(directory) !== directory; directory = dirname(directory)) {
    const manifest = join(directory, 'package.json');
    if (existsSync(manifest))
      return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

/** `/admin/openapi.json`: the API's description, open to anyone who reaches the admin port. */
@Controller('admin')
export class OpenApiController {
  private readonly document = adminOpenApiDocument(heraldVersion());

  @Get('openapi.json')
  openApi(): Record<string, unknown> {
    return this.document;
  }
}
