// protocol.md §7 SUBSCRIBE/NOTIFY against sip-edge, auth, presence and im-router as separate
// processes on the test Kafka and PostgreSQL.
import { HeraldCluster } from '../support/herald-cluster';
import { describeSimpleSubscriptions, SHORT_MIN_EXPIRES } from './simple-subscriptions';

describeSimpleSubscriptions(() =>
  HeraldCluster.start({ env: { HERALD_MIN_EXPIRES: String(SHORT_MIN_EXPIRES) } }),
);
