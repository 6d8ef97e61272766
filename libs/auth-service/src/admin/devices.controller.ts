import { Controller, Delete, Get, Inject, Param, Query, UseFilters, UseGuards } from '@nestjs/common';
import type { DevicePage, DeviceQuery, KickedDevice } from '#herald/domain';
import { DeviceListQuery } from './admin-api';
import { AdminErrorFilter } from './admin-error.filter';
import { ADMIN_SERVICES, type AdminServices } from './admin.services';
import { AdminTokenGuard } from './admin-token.guard';
import { parsed } from './parse-request';

function deviceQuery(query: unknown, loggedInOnly: boolean): DeviceQuery {
  const { user, edge, after, limit } = parsed(DeviceListQuery, query);
  const page = { loggedInOnly, after, limit };
  return user !== undefined ? { user, ...page } : { edgeId: edge ?? '', ...page };
}

/** Registrations: list by user or edge, and the kick (an unREGISTER, announced). */
@Controller('admin/registrations')
@UseGuards(AdminTokenGuard)
@UseFilters(AdminErrorFilter)
export class RegistrationsController {
  constructor(@Inject(ADMIN_SERVICES) private readonly services: AdminServices) {}

  @Get()
  list(@Query() query: unknown): Promise<DevicePage> {
    return this.services.devices.list(deviceQuery(query, false));
  }

  @Delete(':user')
  async unregisterAll(@Param('user') user: string): Promise<{ kicked: KickedDevice[] }> {
    return { kicked: await this.services.devices.unregister(user) };
  }

  @Delete(':user/:deviceId')
  async unregister(
    @Param('user') user: string,
    @Param('deviceId') deviceId: string,
  ): Promise<{ kicked: KickedDevice[] }> {
    return { kicked: await this.services.devices.unregister(user, deviceId) };
  }
}

/** Sessions: list by user or edge, and the kick (a logout, announced; the registration stays). */
@Controller('admin/sessions')
@UseGuards(AdminTokenGuard)
@UseFilters(AdminErrorFilter)
export class SessionsController {
  constructor(@Inject(ADMIN_SERVICES) private readonly services: AdminServices) {}

  @Get()
  list(@Query() query: unknown): Promise<DevicePage> {
    return this.services.devices.list(deviceQuery(query, true));
  }

  @Delete(':user')
  async logoutAll(@Param('user') user: string): Promise<{ kicked: KickedDevice[] }> {
    return { kicked: await this.services.devices.logout(user) };
  }

  @Delete(':user/:deviceId')
  async logout(
    @Param('user') user: string,
    @Param('deviceId') deviceId: string,
  ): Promise<{ kicked: KickedDevice[] }> {
    return { kicked: await this.services.devices.logout(user, deviceId) };
  }
}
