import { Controller, Delete, Get, Inject, Param, Query, UseFilters, UseGuards } from '@nestjs/common';
import type { DevicePage, KickedDevice } from '#herald/domain';
import { DeviceListQuery } from './admin-api';
import { AdminErrorFilter } from './admin-error.filter';
import { ADMIN_SERVICES, type AdminServices } from './admin.services';
import { AdminTokenGuard } from './admin-token.guard';
import { parsed } from './parse-request';

type Kick = (services: AdminServices, user: string, deviceId?: string) => Promise<KickedDevice[]>;

/**
 * `admin/registrations` and `admin/sessions` are one shape: list by user or edge (sessions: the
 * logged-in devices only), kick every device of a user or one.
 */
function devicesController(resource: 'registrations' | 'sessions', loggedInOnly: boolean, kick: Kick) {
  @Controller(`admin/${resource}`)
  @UseGuards(AdminTokenGuard)
  @UseFilters(AdminErrorFilter)
  class DevicesController {
    constructor(@Inject(ADMIN_SERVICES) readonly services: AdminServices) {}

    @Get()
    list(@Query() query: unknown): Promise<DevicePage> {
      const { user, edge, after, limit } = parsed(DeviceListQuery, query);
      const page = { loggedInOnly, after, limit };
      return this.services.devices.list(
        user !== undefined ? { user, ...page } : { edgeId: edge ?? '', ...page },
      );
    }

    @Delete(':user')
    async kickAll(@Param('user') user: string): Promise<{ kicked: KickedDevice[] }> {
      return { kicked: await kick(this.services, user) };
    }

    @Delete(':user/:deviceId')
    async kickOne(
      @Param('user') user: string,
      @Param('deviceId') deviceId: string,
    ): Promise<{ kicked: KickedDevice[] }> {
      return { kicked: await kick(this.services, user, deviceId) };
    }
  }
  return DevicesController;
}

/** Registrations: the kick is an unREGISTER (announced; a logged-in device's session ends with it). */
export const RegistrationsController = devicesController('registrations', false, (services, user, deviceId) =>
  services.devices.unregister(user, deviceId),
);

/** Sessions: the kick is a logout (announced); the registrations stay. */
export const SessionsController = devicesController('sessions', true, (services, user, deviceId) =>
  services.devices.logout(user, deviceId),
);
