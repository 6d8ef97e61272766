import { Controller, Get, Req, Res } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { currentTelemetry } from '../telemetry';

/** Status before register.ts started telemetry (a test's bare Nest app): nothing to scrape yet. */
const NO_METRICS_STATUS = 503;

/** The Prometheus scrape endpoint on HERALD_HTTP_PORT, served from the SDK's Prometheus reader. */
@Controller('metrics')
export class MetricsController {
  @Get()
  scrape(@Req() request: IncomingMessage, @Res() response: ServerResponse): void {
    const prometheus = currentTelemetry()?.prometheus;
    if (prometheus === undefined) {
      response.statusCode = NO_METRICS_STATUS;
      response.end('# telemetry not started\n');
      return;
    }
    prometheus.getMetricsRequestHandler(request, response);
  }
}
