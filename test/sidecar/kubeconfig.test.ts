import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inClusterTarget, kubeconfigTarget } from "../../sidecar/src/source/kubeconfig";

function dir(t: { after(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), "cdns-kubeconfig-"));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const kubeconfig = (user: string, extraCluster = "") => `apiVersion: v1
kind: Config
current-context: b
clusters:
- name: c1
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: ${Buffer.from("CA-PEM").toString("base64")}${extraCluster}
contexts:
- name: a
  context: { cluster: c1, user: nobody }
- name: b
  context: { cluster: c1, user: u1 }
users:
- name: u1
  user:
${user}
`;

describe("kubeconfig loader", () => {
  it("a token user of the current context", (t) => {
    const d = dir(t);
    writeFileSync(join(d, "kc"), kubeconfig("    token: abc"));
    const k = kubeconfigTarget(join(d, "kc"));
    assert.equal(k.server, "https://10.0.0.1:6443");
    assert.equal(k.tls.ca?.toString(), "CA-PEM");
    assert.equal(k.tls.rejectUnauthorized, true);
    assert.equal(k.authorization(), "Bearer abc");
  });

  it("client certificate files relative to the kubeconfig, insecure-skip-tls-verify", (t) => {
    const d = dir(t);
    writeFileSync(join(d, "cert.pem"), "CERT");
    writeFileSync(join(d, "key.pem"), "KEY");
    writeFileSync(join(d, "kc"), kubeconfig("    client-certificate: cert.pem\n    client-key: key.pem", "\n    insecure-skip-tls-verify: true"));
    const k = kubeconfigTarget(join(d, "kc"));
    assert.equal(k.tls.cert?.toString(), "CERT");
    assert.equal(k.tls.key?.toString(), "KEY");
    assert.equal(k.tls.rejectUnauthorized, false);
    assert.equal(k.authorization(), undefined);
  });

  it("a token file is re-read once a minute has passed, not before", (t) => {
    const d = dir(t);
    writeFileSync(join(d, "token"), "one\n");
    writeFileSync(join(d, "kc"), kubeconfig("    tokenFile: token"));
    let now = 0;
    const k = kubeconfigTarget(join(d, "kc"), undefined, () => now);
    assert.equal(k.authorization(), "Bearer one");
    writeFileSync(join(d, "token"), "two\n");
    now = 59_000;
    assert.equal(k.authorization(), "Bearer one");
    now = 61_000;
    assert.equal(k.authorization(), "Bearer two");
  });

  it("exec plugins and unknown contexts are clear errors", (t) => {
    const d = dir(t);
    writeFileSync(join(d, "kc"), kubeconfig("    exec: { command: aws }"));
    assert.throws(() => kubeconfigTarget(join(d, "kc")), /exec plugin or auth provider/);
    assert.throws(() => kubeconfigTarget(join(d, "kc"), "zzz"), /no context named "zzz"/);
    assert.throws(() => kubeconfigTarget(join(d, "kc"), "a"), /no user named "nobody"/);
  });

  it("in-cluster: the service env and the projected token and CA", (t) => {
    const d = dir(t);
    writeFileSync(join(d, "token"), "sa-token");
    writeFileSync(join(d, "ca.crt"), "SA-CA");
    const k = inClusterTarget({ KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" }, d);
    assert.equal(k.server, "https://10.96.0.1:443");
    assert.equal(k.tls.ca?.toString(), "SA-CA");
    assert.equal(k.authorization(), "Bearer sa-token");
    assert.throws(() => inClusterTarget({}, d), /KUBERNETES_SERVICE_HOST/);
  });
});
