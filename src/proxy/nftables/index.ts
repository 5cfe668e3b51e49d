export { NftablesDatapath, type NftablesDatapathOptions } from './datapath.js';
export { buildNftRules, endpointChainNameBase, hashAndTruncate, servicePortChainNameBase } from './rules.js';
