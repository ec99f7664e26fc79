/**
 * The CoreDNS snippet (`forwarding.coredns`) on a real CoreDNS, built by the rig from its Go
 * module: a client asks CoreDNS, CoreDNS forwards the zone to the cDNS (our dnsmasq.conf on
 * loopback), the answer comes back. The snippet is used as rendered, with two test-only edits
 * per server block, both on loopback: the `:53` listen port becomes a free high port, and a
 * `bind` line keeps CoreDNS on one 127.0.0.x address.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ensureBinaries } from "../../rig/binaries";
import { COREDNS_CACHE_SECONDS, renderCorednsForward } from "../../lib/render/forwarding";
import type { RunningDnsmasq } from "../helpers/dnsmasq";
import { freePort, randomLoopback } from "../helpers/ports";
import { spawnServer } from "../helpers/process";
import { waitForAnswer } from "../helpers/dns";
import { cdnsQueries, LOOKALIKE, startCdns, WEB, WEB_IP, ZONE } from "./fixtures";
import { resolve } from "./resolve";
import { tempDir } from "./servers";

/** The snippet with each `zone:53 {` listening on `address:port` instead (test-only, loopback). */
function onLoopback(snippet: string, address: string, port: number): string {
  return snippet.replace(/^(\S+):53 \{$/gm, (_m, zone: string) => `${zone}:${port} {\n    bind ${address}`);
}

describe("CoreDNS forwarding snippet on a real CoreDNS", () => {
  let cdns: RunningDnsmasq;
  let stopCoredns: () => Promise<void>;
  let address: string;
  let port: number;
  let output: () => string;

  before(async () => {
    const { coredns } = await ensureBinaries(["coredns"], { noBuild: true });
    cdns = await startCdns();
    // A dead primary first: `policy sequential` must move on to the live secondary.
    const dead = randomLoopback();
    const snippet = renderCorednsForward({ zones: [ZONE], cdnsAddresses: [dead, cdns.address], port: cdns.port });
    address = randomLoopback();
    port = await freePort(address);
    const tmp = tempDir("cdns-coredns-");
    const ready = `ready.idns.test:${port} {\n    bind ${address}\n    hosts {\n        127.0.0.1 ready.idns.test\n    }\n}\n`;
    const corefile = tmp.write("Corefile", `${ready}${onLoopback(snippet, address, port)}`);
    const server = spawnServer(coredns as string, ["-conf", corefile]);
    output = server.output;
    stopCoredns = async () => {
      await server.stop();
      tmp.remove();
    };
    try {
      await waitForAnswer("ready.idns.test", { server: address, port, timeoutMs: 500 }, (a) => a.addresses.includes("127.0.0.1"), 10_000, 50);
    } catch (err) {
      await stopCoredns();
      throw new Error(`coredns did not start: ${String(err)}\n${server.output()}`);
    }
  });
  after(async () => {
    await stopCoredns?.();
    await cdns?.stop();
  });

  it("resolves a cDNS name through the snippet, past a dead primary", async () => {
    const r = await resolve(WEB, address, port, 8000);
    assert.equal(r.rcode, "NOERROR", output());
    assert.deepEqual(r.addresses, [WEB_IP]);
    assert.ok(r.ttls.every((t) => t <= COREDNS_CACHE_SECONDS), `TTLs ${r.ttls}`);
    assert.ok((await cdnsQueries(cdns)).includes(WEB));
  });

  it("passes NXDOMAIN for an unknown name in the zone through, and never forwards a look-alike zone", async () => {
    const r = await resolve(`nope.${ZONE}`, address, port, 8000);
    assert.equal(r.rcode, "NXDOMAIN");
    const other = await resolve(LOOKALIKE, address, port, 8000);
    assert.notEqual(other.rcode, "NOERROR");
    assert.ok(!(await cdnsQueries(cdns)).includes(LOOKALIKE));
  });
});
