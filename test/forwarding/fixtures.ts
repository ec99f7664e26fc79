/** What the forwarding tests share: the zone, the cDNS and "public" upstream data, a trust anchor. */
import { randomBytes } from "node:crypto";
import { startDnsmasq, type RunningDnsmasq } from "../helpers/dnsmasq";

export const ZONE = "apps.example.com";
export const WEB = `web.${ZONE}`;
export const WEB_IP = "10.0.0.1";
/** A public name the stand-in upstream (the internet) serves. */
export const PUBLIC_NAME = "www.example.org";
// Not a private or TEST-NET address: dnsmasq's stop-dns-rebind drops those too. Only ever a record, never dialled.
export const PUBLIC_IP = "93.184.216.34";
/** Out of the zone although it ends in the zone's text: must never reach the cDNS. */
export const LOOKALIKE = `notapps.example.com`;

/** The cDNS: our dnsmasq.conf, logging queries so a test can see what reached it. */
export function startCdns(extra: { readonly address?: string; readonly port?: number } = {}): Promise<RunningDnsmasq> {
  return startDnsmasq({ zones: [ZONE], ttlSeconds: 5, logQueries: true, initialHosts: { "ingress.hosts": `${WEB_IP} ${WEB}\n` }, ...extra });
}

/** Stand-in for the internet: serves example.org only, REFUSED for anything else. */
export function startUpstream(): Promise<RunningDnsmasq> {
  return startDnsmasq({ zones: ["example.org"], ttlSeconds: 60, initialHosts: { "public.hosts": `${PUBLIC_IP} ${PUBLIC_NAME}\n` } });
}

/** The names the cDNS was asked, from its query log. */
export async function cdnsQueries(cdns: RunningDnsmasq): Promise<string[]> {
  // dnsmasq's log reaches us through a pipe: give the last lines a moment.
  await new Promise((r) => setTimeout(r, 200));
  return [...cdns.output().matchAll(/query\[[A-Z]+\] (\S+) from/g)].map((m) => m[1] as string);
}

/**
 * A DS for example.com with a random digest: a trust anchor above the cDNS zone,
 * standing in for the root anchor plus a signed public example.com. Nothing
 * can validate under it, which is the point: only an exemption lets the
 * unsigned internal answers through.
 */
export function fakeDsDigest(): string {
  return randomBytes(32).toString("hex").toUpperCase();
}
