// protocol.md §7 SUBSCRIBE/NOTIFY against the embedded default (one process, in-process bus).
import { HeraldEmbedded } from '../support/herald-embedded';
import { describeSimpleSubscriptions, SHORT_MIN_EXPIRES } from './simple-subscriptions';

describeSimpleSubscriptions(() =>
  HeraldEmbedded.start({ env: { HERALD_MIN_EXPIRES: String(SHORT_MIN_EXPIRES) } }),
);
