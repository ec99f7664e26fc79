// No Windows DNS here: the script is checked line by line.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { renderWindowsConditionalForwarders } from "../../lib/render/forwarding";

test("Windows: one forest-replicated conditional forwarder per zone, masters primary first, dnscmd in comments", () => {
  const text = renderWindowsConditionalForwarders({ zones: ["apps.example.com", "svc.example.org"], cdnsAddresses: ["192.0.2.10", "192.0.2.11"] });
  const lines = text.split("\n").filter((l) => l !== "");
  const commands = lines.filter((l) => !l.startsWith("#"));
  assert.deepEqual(commands, [
    'Add-DnsServerConditionalForwarderZone -Name "apps.example.com" -MasterServers 192.0.2.10,192.0.2.11 -ReplicationScope "Forest"',
    'Add-DnsServerConditionalForwarderZone -Name "svc.example.org" -MasterServers 192.0.2.10,192.0.2.11 -ReplicationScope "Forest"',
  ]);
  assert.deepEqual(lines.filter((l) => l.includes("dnscmd /ZoneAdd")), [
    "#   dnscmd /ZoneAdd apps.example.com /DsForwarder 192.0.2.10 192.0.2.11 /DP /forest",
    "#   dnscmd /ZoneAdd svc.example.org /DsForwarder 192.0.2.10 192.0.2.11 /DP /forest",
  ]);
  assert.ok(lines.every((l) => !l.includes("\r")), "plain LF: PowerShell reads it, and so does a diff");
});

test("Windows: a port other than 53 is refused (conditional forwarders have no port)", () => {
  assert.throws(() => renderWindowsConditionalForwarders({ zones: ["a.example.com"], cdnsAddresses: ["127.0.0.9"], port: 5353 }), /only to port 53, not 5353/);
  assert.doesNotThrow(() => renderWindowsConditionalForwarders({ zones: ["a.example.com"], cdnsAddresses: ["127.0.0.9"], port: 53 }));
});
