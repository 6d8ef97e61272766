import {
  BadRequestException,
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
import type { AccountView } from '#herald/domain';
import { z } from 'zod';
import type { AuthServices } from '../auth.services';
import { AUTH_SERVICES } from '../auth.tokens';
import { AdminTokenGuard } from './admin-token.guard';
import { AuthErrorFilter } from './auth-error.filter';

const SettingsBody = z.record(z.string(), z.unknown());
const CreateAccountBody = z.strictObject({
  username: z.string(),
  password: z.string(),
  displayName: z.string().optional(),
  settings: SettingsBody.optional(),
});
const UpdateAccountBody = z.strictObject({
  displayName: z.string().nullable().optional(),
  settings: SettingsBody.optional(),
  disabled: z.boolean().optional(),
});
const PasswordBody = z.strictObject({ password: z.string() });
const ListQuery = z.object({
  after: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

function parsed<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    throw new BadRequestException({ code: 'ADMIN_BAD_REQUEST', message: z.prettifyError(result.error) });
  }
  return result.data;
}

/** The provisioning API (docs/provisioning.md), behind HERALD_ADMIN_TOKEN. */
@Controller('admin/accounts')
@UseGuards(AdminTokenGuard)
@UseFilters(AuthErrorFilter)
export class AccountsController {
  constructor(@Inject(AUTH_SERVICES) private readonly services: AuthServices) {}

  @Post()
  create(@Body() body: unknown): Promise<AccountView> {
    return this.services.accounts.create(parsed(CreateAccountBody, body));
  }

  @Get()
  async list(@Query() query: unknown): Promise<{ accounts: AccountView[] }> {
    return { accounts: await this.services.accounts.list(parsed(ListQuery, query)) };
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
