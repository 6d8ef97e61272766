// Interop with SIP.js over WebSocket, run in Node: see web-clients.ts for what is asserted.
import { SIPJS } from '../support/sipjs-phone';
import { describeWebClient } from './web-clients';

describeWebClient(SIPJS);
