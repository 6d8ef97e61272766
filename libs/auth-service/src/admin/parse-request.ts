import { BadRequestException } from '@nestjs/common';
import { z } from 'zod';

/** Parses a request part with its schema (admin-api.ts); a mismatch answers 400 ADMIN_BAD_REQUEST. */
export function parsed<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    throw new BadRequestException({ code: 'ADMIN_BAD_REQUEST', message: z.prettifyError(result.error) });
  }
  return result.data;
}
