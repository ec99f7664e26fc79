/**
 * Where dnsmasq sends what it does not hold itself: the sidecar's DNS responder, in the same pod
 * (the pod's loopback), for wildcard hosts and the zones' negative answers. One place, because
 * dnsmasq.conf (`server=/zone/ADDRESS#PORT`), the chart and the sidecar's defaults must agree.
 */

/** The pod's loopback: the responder is never reachable from outside the pod. */
export const RESPONDER_HOST = "127.0.0.1";
/** Unprivileged (the sidecar runs as a non-root user without capabilities), not 5353 (mDNS). */
export const DEFAULT_RESPONDER_PORT = 10053;

/**
 * Cacheable records the responder hands dnsmasq per TTL + 1 s (sidecar/src/responder/budget.ts):
 * half of dnsmasq's cache-size (DEFAULT_DNSMASQ_CACHE_SIZE in lib/render/dnsmasqConf.ts, which
 * the sidecar image does not carry; test/render/dnsmasqConf.test.ts checks the two agree).
 */
export const RESPONDER_CACHE_BUDGET = 10_000;
