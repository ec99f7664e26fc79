import { test } from "node:test";
import * as assert from "node:assert/strict";
import {
  renderBindForwardZones, renderCorednsForward, renderDelegationRecords, renderDnsmasqServers, renderForwarding,
  renderUnboundForwardZones, renderWindowsConditionalForwarders, cdnsNameServers,
} from "../../lib/render/forwarding";

const input = { zones: ["apps.qa.example.com"], cdnsAddresses: ["192.0.2.10", "192.0.2.11"] };

test("renderForwarding: every snippet, made by its own renderer; no delegation in forwarding mode", () => {
  const out = renderForwarding(input);
  assert.deepEqual(Object.keys(out).sort(), ["bind", "coredns", "dnsmasq", "unbound", "windows"]);
  assert.equal(out.bind, renderBindForwardZones(input));
  assert.equal(out.unbound, renderUnboundForwardZones(input));
  assert.equal(out.dnsmasq, renderDnsmasqServers(input));
  assert.equal(out.coredns, renderCorednsForward(input));
  assert.equal(out.windows, renderWindowsConditionalForwarders(input));
  for (const text of Object.values(out)) assert.ok(text.includes("192.0.2.10") || text.includes("Not available"), text);
});

test("renderForwarding, authoritative: delegation to ns1/ns2 of the first zone", () => {
  const out = renderForwarding({ ...input, authoritative: { parentZone: "qa.example.com" } });
  assert.equal(out.delegation, renderDelegationRecords({ parentZone: "qa.example.com", zones: input.zones, nameServers: cdnsNameServers(input.zones, input.cdnsAddresses) }));
  assert.match(out.delegation ?? "", /^apps\.qa\.example\.com\. IN NS ns2\.apps\.qa\.example\.com\.$/m);
  assert.match(out.delegation ?? "", /^ns1\.apps\.qa\.example\.com\. IN A 192\.0\.2\.10$/m);
});

test("renderForwarding: a non-53 port still renders, with Windows marked unavailable", () => {
  const out = renderForwarding({ ...input, port: 5353 });
  assert.match(out.windows, /Not available: .*port 53.*5353/);
  assert.ok(!out.windows.includes("Add-DnsServer"));
  assert.ok(out.bind.includes("port 5353"));
});

test("renderForwarding: empty zones and addresses fail with one clear error", () => {
  assert.throws(() => renderForwarding({ zones: [], cdnsAddresses: [] }), { message: "renderForwarding: zones must not be empty; cdnsAddresses must not be empty" });
  assert.throws(() => renderForwarding({ ...input, authoritative: { parentZone: "other.org" } }), /not below the parent zone "other.org"/);
});
