// Interop with JsSIP over WebSocket, run in Node: see web-clients.ts for what is asserted.
import { JSSIP } from '../support/jssip-phone';
import { describeWebClient } from './web-clients';

describeWebClient(JSSIP);
