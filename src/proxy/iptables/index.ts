export { IptablesDatapath, type IptablesDatapathOptions } from './datapath.js';
export { buildIptablesRules, endpointChainName, probability, servicePortChainName } from './rules.js';
