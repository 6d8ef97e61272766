// protocol.md §7 (plain SIP devices, PUBLISH) against the embedded default.
import { HeraldEmbedded } from '../support/herald-embedded';
import { describeSimpleDevices, SIMPLE_DEVICES_ENV } from './simple-devices';

describeSimpleDevices(() => HeraldEmbedded.start({ env: { ...SIMPLE_DEVICES_ENV } }));
