import { Controller, Delete, Get, HttpCode, Inject, Param, Put, UseFilters, UseGuards } from '@nestjs/common';
import type { RosterBuddyView } from '#herald/domain';
import { AdminErrorFilter } from './admin-error.filter';
import { ADMIN_SERVICES, type AdminServices } from './admin.services';
import { AdminTokenGuard } from './admin-token.guard';

/** A roster as the API answers it: the buddies as protocol.md's `roster` push names them. */
interface RosterAnswer {
  aor: string;
  buddies: Array<Pick<RosterBuddyView, 'name' | 'group' | 'state' | 'presence'> & { uri: string }>;
}

function answer(roster: { aor: string; buddies: RosterBuddyView[] }): RosterAnswer {
  return {
    aor: roster.aor,
    buddies: roster.buddies.map(({ buddyAor, name, group, state, presence }) => ({
      uri: buddyAor,
      ...(name === undefined ? {} : { name }),
      ...(group === undefined ? {} : { group }),
      state,
      presence,
    })),
  };
}

/** Rosters: read, make a pair buddies, remove a pair; the users' devices are pushed the change. */
@Controller('admin/rosters')
@UseGuards(AdminTokenGuard)
@UseFilters(AdminErrorFilter)
export class RostersController {
  constructor(@Inject(ADMIN_SERVICES) private readonly services: AdminServices) {}

  @Get(':user')
  async get(@Param('user') user: string): Promise<RosterAnswer> {
    return answer(await this.services.rosters.list(user));
  }

  @Put(':user/buddies/:buddy')
  async pair(@Param('user') user: string, @Param('buddy') buddy: string): Promise<RosterAnswer> {
    return answer(await this.services.rosters.pair(user, buddy));
  }

  @Delete(':user/buddies/:buddy')
  @HttpCode(204)
  async remove(@Param('user') user: string, @Param('buddy') buddy: string): Promise<void> {
    await this.services.rosters.remove(user, buddy);
  }
}
