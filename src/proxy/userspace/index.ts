export { UserspaceDatapath, type UserspaceDatapathOptions } from './datapath.js';
export { healthCheckBody } from './healthcheck.js';
