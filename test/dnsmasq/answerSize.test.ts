/**
 * Big answers from the real dnsmasq with the sink's layout (measured: 40 A
 * records fit in 685 bytes; 29 fit a 512-byte client; edns-packet-max 1232
 * caps an answer at about 74; TCP children answer from a fork-time cache copy).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { hasDuplicates, hostsData, sameSet, startSinkRig, ZONES } from "./harness";

const Z0 = ZONES[0];
const ips = (n: number, third = 0): string[] => Array.from({ length: n }, (_, i) => `10.8.${third}.${i + 1}`);

test("40 IPs: full answer over UDP with EDNS 1232, TC for a 512-byte client", async () => {
  const rig = await startSinkRig();
  try {
    const forty = ips(40);
    // Wait on a small marker name: a 512-byte client can never see all 40 of big.
    await rig.writeAndWait(hostsData({ [`big.${Z0}`]: forty, [`gen.${Z0}`]: ["10.250.0.1"] }), `gen.${Z0}`, ["10.250.0.1"]);
    const edns = await rig.ask(`big.${Z0}`, { ednsUdpSize: 1232 });
    assert.equal(edns.tc, false);
    assert.equal(edns.addresses.length, 40);
    assert.ok(sameSet(edns.addresses, forty) && !hasDuplicates(edns.addresses));
    const plain = await rig.ask(`big.${Z0}`);
    assert.equal(plain.tc, true, "a 512-byte client must see TC");
    assert.ok(plain.addresses.length < 40, `512-byte answer carried ${plain.addresses.length} records`);
    console.log(`40 IPs: EDNS answer ${edns.addresses.length} records, no TC; 512-byte answer ${plain.addresses.length} records with TC`);
  } finally {
    await rig.stop();
  }
});

test("100 IPs: TC over UDP even with EDNS; the full answer over a fresh TCP connection, also after a rewrite", async () => {
  const rig = await startSinkRig();
  try {
    const first = ips(100, 1);
    await rig.writeAndWait(hostsData({ [`huge.${Z0}`]: first, [`gen.${Z0}`]: ["10.250.0.1"] }), `gen.${Z0}`, ["10.250.0.1"]);
    const udp = await rig.ask(`huge.${Z0}`, { ednsUdpSize: 1232 });
    assert.equal(udp.tc, true);
    assert.ok(udp.addresses.length < 100);
    const tcp = await rig.ask(`huge.${Z0}`, { tcp: true });
    assert.equal(tcp.tc, false);
    assert.equal(tcp.addresses.length, 100);
    assert.ok(sameSet(tcp.addresses, first) && !hasDuplicates(tcp.addresses));

    // A new set: UDP sees it at once; a new TCP connection forks a child with the new cache.
    const second = ips(100, 2);
    await rig.writeAndWait(hostsData({ [`huge.${Z0}`]: second, [`gen.${Z0}`]: ["10.250.0.2"] }), `gen.${Z0}`, ["10.250.0.2"]);
    const tcp2 = await rig.ask(`huge.${Z0}`, { tcp: true });
    assert.ok(sameSet(tcp2.addresses, second), `TCP after rewrite answered ${tcp2.addresses.slice(0, 3)}...`);
    console.log(`100 IPs: UDP/EDNS 1232 carried ${udp.addresses.length} records with TC; fresh TCP carried ${tcp2.addresses.length}`);
  } finally {
    await rig.stop();
  }
});
