/** Per test and hook: jest's 5 s default is too tight on a loaded 2-core machine. */
export const AUTH_TEST_TIMEOUT_MS = 60_000;
