/** The e2e tests' name for the shared test helpers (one implementation, in src/util/testing.ts). */
export { freePort, waitFor } from '../../src/util/testing.js';
