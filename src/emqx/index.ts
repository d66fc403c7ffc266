// One import for the layers above: parsers of `emqx ctl` output, command builders, version rules.
export * from './types.js';
export * from './erlangTerm.js';
export * from './commands.js';
export * from './version.js';
export { parseCtlStatus } from './parse/ctlStatus.js';
export { parseClusterStatus } from './parse/clusterStatus.js';
export { parseBroker, parseBrokerStats, parseUptime, connectionCount } from './parse/broker.js';
export { parsePluginsList } from './parse/plugins.js';
export { parseRelupUpgrade } from './parse/relupUpgrade.js';
export { parseSupportedPaths } from './parse/relupPaths.js';
export { parseRelupStatus } from './parse/relupStatus.js';
export { parseRelupLogs, parseLogResult } from './parse/relupLogs.js';
export { parseMarker, parsePatchesList, parseWritable, parseDfAvailBytes, parseSha256 } from './parse/probes.js';
export { detectDown } from './parse/common.js';
