import { Controller, Get, Inject, UseGuards } from '@nestjs/common';
import type { StatsSummary } from '#herald/persistence';
import { ADMIN_SERVICES, type AdminServices } from './admin.services';
import { AdminTokenGuard } from './admin-token.guard';

/** The summary of what Herald holds. */
@Controller('admin/stats')
@UseGuards(AdminTokenGuard)
export class StatsController {
  constructor(@Inject(ADMIN_SERVICES) private readonly services: AdminServices) {}

  @Get()
  summary(): Promise<StatsSummary> {
    return this.services.stats.summary();
  }
}
