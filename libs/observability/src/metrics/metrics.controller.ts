import { Controller, Get, Req, Res } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { currentTelemetry } from '../telemetry';

/** Status when the SDK is disabled (OTEL_SDK_DISABLED=true): there is nothing to scrape. */
const NO_METRICS_STATUS = 404;

/** The Prometheus scrape endpoint on HERALD_HTTP_PORT, served from the SDK's Prometheus reader. */
@Controller('metrics')
export class MetricsController {
  @Get()
  scrape(@Req() request: IncomingMessage, @Res() response: ServerResponse): void {
    const prometheus = currentTelemetry()?.prometheus;
    if (prometheus === undefined) {
      response.statusCode = NO_METRICS_STATUS;
      response.end('# metrics disabled (OTEL_SDK_DISABLED=true or telemetry not started)\n');
      return;
    }
    prometheus.getMetricsRequestHandler(request, response);
  }
}
