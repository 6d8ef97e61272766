/** Injection token of the wired SipEdge (its own file: the module and its controllers both need it). */
export const SIP_EDGE = Symbol('SIP_EDGE');
