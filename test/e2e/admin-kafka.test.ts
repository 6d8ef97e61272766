// The operator's surface against sip-edge, auth, presence and im-router as separate processes on
// Kafka: the kicks travel auth -> Kafka -> presence -> edge -> the watcher's SIP client.
import { HeraldCluster } from '../support/herald-cluster';
import { describeAdminScenarios } from './admin-scenarios';

describeAdminScenarios(() => HeraldCluster.start());
