import { Logger } from '@nestjs/common';
import type { RegisterRequestedV1 } from '#herald/contracts';
import type { LateRegisterObserver } from '#herald/domain';
import { metrics } from '@opentelemetry/api';

/**
 * REGISTERs the registrar skipped because their edge had stopped waiting: each is logged and
 * counted (`herald.auth.registers_past_deadline`); many mean auth lags behind its topic.
 */
export class ReportedLateRegisters implements LateRegisterObserver {
  private readonly logger = new Logger('AuthRegistrar');
  private readonly counter = metrics
    .getMeter('herald-auth')
    .createCounter('herald.auth.registers_past_deadline', {
      description: 'REGISTERs skipped because the edge had answered 503 before auth got to them',
    });

  skipped(request: RegisterRequestedV1, lateByMs: number): void {
    this.logger.warn(
      `AUTH_REGISTER_PAST_DEADLINE edge=${request.edgeId} txKey=${request.txKey}: skipped, ${lateByMs} ms past its deadline`,
    );
    this.counter.add(1);
  }
}
