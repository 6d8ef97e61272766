// protocol.md §7 (plain SIP devices, PUBLISH) against sip-edge, auth, presence and im-router as
// separate processes on the test Kafka and PostgreSQL.
import { HeraldCluster } from '../support/herald-cluster';
import { describeSimpleDevices, SIMPLE_DEVICES_ENV } from './simple-devices';

describeSimpleDevices(() => HeraldCluster.start({ env: { ...SIMPLE_DEVICES_ENV } }));
