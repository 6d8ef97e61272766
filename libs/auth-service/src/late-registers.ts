import type { RegisterRequestedV1 } from '#herald/contracts';
import type { LateRegisterObserver } from '#herald/domain';
import { metrics } from '@opentelemetry/api';
import { componentLogger } from '#herald/observability';

/**
 * REGISTERs the registrar skipped because their edge had stopped waiting: each is logged and
 * counted (`herald.auth.registers_past_deadline`); many mean auth lags behind its topic.
 */
export class ReportedLateRegisters implements LateRegisterObserver {
  private readonly logger = componentLogger('AuthRegistrar');
  private readonly counter = metrics
    .getMeter('herald-auth')
    .createCounter('herald.auth.registers_past_deadline', {
      description: 'REGISTERs skipped because the edge had answered 503 before auth got to them',
    });

  skipped(request: RegisterRequestedV1, lateByMs: number): void {
    this.logger.warn(
      { code: 'AUTH_REGISTER_PAST_DEADLINE', edge: request.edgeId, txKey: request.txKey, lateByMs },
      'skipped a REGISTER past its deadline (the edge has answered 503)',
    );
    this.counter.add(1);
  }
}
