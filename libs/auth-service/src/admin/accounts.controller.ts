import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Query,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { AccountView, ImportOutcome } from '#herald/domain';
import {
  AccountListQuery,
  CreateAccountBody,
  ImportAccountsBody,
  PasswordBody,
  UpdateAccountBody,
} from './admin-api';
import { AdminErrorFilter } from './admin-error.filter';
import { ADMIN_SERVICES, type AdminServices } from './admin.services';
import { AdminTokenGuard } from './admin-token.guard';
import { parsed } from './parse-request';

/** Accounts (docs/admin.md), behind HERALD_ADMIN_TOKEN. */
@Controller('admin/accounts')
@UseGuards(AdminTokenGuard)
@UseFilters(AdminErrorFilter)
export class AccountsController {
  constructor(@Inject(ADMIN_SERVICES) private readonly services: AdminServices) {}

  @Post()
  create(@Body() body: unknown): Promise<AccountView> {
    return this.services.accounts.create(parsed(CreateAccountBody, body));
  }

  @Get()
  async list(@Query() query: unknown): Promise<{ accounts: AccountView[] }> {
    return { accounts: await this.services.accounts.list(parsed(AccountListQuery, query)) };
  }

  @Post('import')
  @HttpCode(200)
  async import(@Body() body: unknown): Promise<{ results: ImportOutcome[] }> {
    return { results: await this.services.accounts.createMany(parsed(ImportAccountsBody, body).accounts) };
  }

  @Get(':username')
  get(@Param('username') username: string): Promise<AccountView> {
    return this.services.accounts.get(username);
  }

  @Patch(':username')
  update(@Param('username') username: string, @Body() body: unknown): Promise<AccountView> {
    return this.services.accounts.update(username, parsed(UpdateAccountBody, body));
  }

  @Delete(':username')
  @HttpCode(204)
  async delete(@Param('username') username: string): Promise<void> {
    await this.services.accounts.delete(username);
  }

  @Post(':username/password')
  @HttpCode(200)
  resetPassword(@Param('username') username: string, @Body() body: unknown): Promise<AccountView> {
    return this.services.accounts.resetPassword(username, parsed(PasswordBody, body).password);
  }

  @Post(':username/disable')
  @HttpCode(200)
  disable(@Param('username') username: string): Promise<AccountView> {
    return this.services.accounts.setDisabled(username, true);
  }

  @Post(':username/enable')
  @HttpCode(200)
  enable(@Param('username') username: string): Promise<AccountView> {
    return this.services.accounts.setDisabled(username, false);
  }
}
