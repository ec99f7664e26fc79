/** The sink layer: render HostsData as a dnsmasq hosts file and replace it atomically. */
export {
  DEFAULT_HOSTS_SHARDS,
  MAX_HOSTS_SHARDS,
  hostnameHash,
  isHostsFileName,
  nodesFileName,
  partitionHostsData,
  shardFileName,
  shardOf,
  type HostsPart,
} from "./shards";
export { renderHostsFile, HostsDataError, HOSTS_FILE_HEADER, HOSTS_LINE_MAX_CHARS } from "./renderHosts";
export {
  AtomicHostsWriter,
  nodeWriterFs,
  type AtomicHostsWriterOptions,
  type SinkLogger,
  type SinkLogLevel,
  type WriteResult,
  type WriterFileHandle,
  type WriterFs,
} from "./atomicWriter";
export { createDnsBarrier, DEFAULT_BARRIER_TIMEOUT_MS, type DnsBarrierOptions, type DnsmasqBarrier } from "./dnsBarrier";
