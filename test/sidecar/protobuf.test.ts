/**
 * The API server's protobuf watch stream as the sidecar reads it (protobuf.ts, ingressProto.ts),
 * on bytes encoded here field by field as the API server writes them (k8s.io/api networking/v1
 * and apimachinery generated.proto), and a reflector reading such a stream. The same reading
 * against a real API server, compared with its JSON: test/rig/protobufWatch.test.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import type { IncomingMessage } from "node:http";
import { decodeIngress } from "../../sidecar/src/source/ingressProto";
import { decodeStatus, FrameSplitter, Reader, watchEvent } from "../../sidecar/src/source/protobuf";
import { Reflector } from "../../sidecar/src/source/reflector";
import type { WatchedKind } from "../../sidecar/src/source/store";
import { LAST_APPLIED_ANNOTATION, trimObject } from "../../sidecar/src/source/trim";
import { apiErrorOf, type GetOptions } from "../../sidecar/src/source/transport";

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const bytes = (no: number, b: Buffer) => Buffer.concat([Buffer.from(varint(no * 8 + 2)), Buffer.from(varint(b.length)), b]);
const str = (no: number, s: string) => bytes(no, Buffer.from(s, "utf8"));
const msg = (no: number, ...parts: Buffer[]) => bytes(no, Buffer.concat(parts));
const int = (no: number, n: number) => Buffer.from([...varint(no * 8), ...varint(n)]);
const entry = (no: number, k: string, v: string) => msg(no, str(1, k), str(2, v));
const MAGIC = Buffer.from("k8s\u0000", "latin1");
/** magic + runtime.Unknown { typeMeta 1, raw 2, contentEncoding 3, contentType 4 }. */
const envelope = (apiVersion: string, kind: string, raw: Buffer) => Buffer.concat([MAGIC, msg(1, str(1, apiVersion), str(2, kind)), bytes(2, raw), str(3, ""), str(4, "")]);
/** A WatchEvent { type 1, object 2: RawExtension { raw 1 } }, length-prefixed as on the wire. */
function frame(type: string, object: Buffer): Buffer {
  const ev = Buffer.concat([str(1, type), msg(2, bytes(1, object))]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(ev.length);
  return Buffer.concat([len, ev]);
}
const ingressObj = (b: Buffer) => envelope("networking.k8s.io/v1", "Ingress", b);
const reader = (b: Buffer) => new Reader(b, 0, b.length);

// What a Helm chart leaves: labels (one empty), annotations with the last-applied copy, managedFields,
// TLS, rules with and without host and with paths, a class, two status IPs with ports.
const managed = msg(17, str(1, "helm"), str(2, "Update"), str(3, "networking.k8s.io/v1"), msg(7, str(1, "x".repeat(3000))));
const webStatus = msg(3, msg(1, msg(1, str(1, "10.0.0.1"), str(2, "")), msg(1, str(1, "10.0.0.2"), str(2, ""), msg(4, int(1, 80), str(2, "TCP")))));
const web = Buffer.concat([
  msg(1, str(1, "web"), str(2, ""), str(3, "shop"), str(5, "uid-1"), str(6, "1234"), int(7, 3), msg(8, int(1, 1_700_000_000)),
    entry(11, "app", "web"), entry(11, "empty", ""),
    entry(12, LAST_APPLIED_ANNOTATION, "{".repeat(5000)), entry(12, "kubernetes.io/ingress.class", "nginx"), managed),
  msg(2, msg(2, str(1, "web.apps.example.com"), str(2, "web-tls")),
    msg(3, str(1, "web.apps.example.com"), msg(2, msg(1, msg(1, str(1, "/"), msg(2, msg(4, str(1, "svc"))))))),
    msg(3, str(1, "")), str(4, "nginx")),
  webStatus,
]);
// Being deleted, only the last-applied annotation, an empty class, empty spec rules, an empty status.
const gone = Buffer.concat([
  msg(1, str(1, "gone"), str(3, "shop"), str(6, "99"), msg(9, int(1, 1_700_000_123), int(2, 0)), entry(12, LAST_APPLIED_ANNOTATION, "{}")),
  msg(2, str(4, "")),
  msg(3, msg(1)),
]);
// A status entry with a hostname only, and one with neither (malformed, for the source to report).
const lb = Buffer.concat([
  msg(1, str(1, "lb"), str(3, "ops"), str(6, "7")),
  msg(2, msg(3, str(1, "lb.apps.example.com"))),
  msg(3, msg(1, msg(1, str(1, ""), str(2, "lb.example.net")), msg(1, str(1, ""), str(2, "")))),
]);

// The same objects as the API server writes them in JSON (Go's omitempty rules).
const webJson = {
  metadata: {
    name: "web", namespace: "shop", uid: "uid-1", resourceVersion: "1234", generation: 3, creationTimestamp: "2023-11-14T22:13:20Z",
    labels: { app: "web", empty: "" },
    annotations: { [LAST_APPLIED_ANNOTATION]: "{".repeat(5000), "kubernetes.io/ingress.class": "nginx" },
    managedFields: [{ manager: "helm", operation: "Update", apiVersion: "networking.k8s.io/v1", fieldsV1: {} }],
  },
  spec: {
    ingressClassName: "nginx",
    tls: [{ hosts: ["web.apps.example.com"], secretName: "web-tls" }],
    rules: [{ host: "web.apps.example.com", http: { paths: [{ path: "/", backend: { service: { name: "svc" } } }] } }, {}],
  },
  status: { loadBalancer: { ingress: [{ ip: "10.0.0.1" }, { ip: "10.0.0.2", ports: [{ port: 80, protocol: "TCP" }] }] } },
};
const goneJson = {
  metadata: { name: "gone", namespace: "shop", resourceVersion: "99", deletionTimestamp: "2023-11-14T22:15:23Z", annotations: { [LAST_APPLIED_ANNOTATION]: "{}" } },
  spec: { ingressClassName: "" },
  status: { loadBalancer: {} },
};
const lbJson = {
  metadata: { name: "lb", namespace: "ops", resourceVersion: "7" },
  spec: { rules: [{ host: "lb.apps.example.com" }] },
  status: { loadBalancer: { ingress: [{ hostname: "lb.example.net" }, {}] } },
};

describe("protobuf watch frames", () => {
  const stream = Buffer.concat([frame("ADDED", ingressObj(web)), frame("ADDED", ingressObj(gone)), frame("BOOKMARK", ingressObj(lb))]);
  const expected = [stream.subarray(4, 4 + stream.readUInt32BE(0))];

  it("come out whole wherever the chunks split them, one byte at a time included", () => {
    const all = (chunks: Buffer[]) => {
      const s = new FrameSplitter();
      const out = chunks.flatMap((c) => s.push(c));
      assert.equal(s.pending, 0);
      return out.map((f) => watchEvent(f).type);
    };
    const want = ["ADDED", "ADDED", "BOOKMARK"];
    assert.deepEqual(all([stream]), want);
    for (let cut = 1; cut < stream.length; cut += 97) assert.deepEqual(all([stream.subarray(0, cut), stream.subarray(cut)]), want, `cut at ${cut}`);
    assert.deepEqual(all([...stream].map((b) => Buffer.from([b]))), want);
    const s = new FrameSplitter();
    assert.deepEqual(s.push(stream.subarray(0, expected[0]!.length + 3)), [], "an incomplete frame waits");
    assert.equal(s.pending, expected[0]!.length + 3);
  });

  it("refuse a length no object has, and truncated or wrongly typed fields", () => {
    assert.throws(() => new FrameSplitter().push(Buffer.from([0x7f, 0xff, 0xff, 0xff])), /a frame of \d+ bytes/);
    const ev = frame("ADDED", ingressObj(web)).subarray(4);
    assert.throws(() => watchEvent(ev.subarray(0, ev.length - 10)), /truncated/);
    assert.throws(() => watchEvent(Buffer.concat([str(1, "ADDED"), msg(2, bytes(1, Buffer.from("not k8s")))])), /without the k8s magic/);
    assert.throws(() => decodeIngress(reader(Buffer.concat([int(1, 5)]))), /wire type 0 where a message or string belongs/);
    assert.throws(() => watchEvent(str(1, "ADDED")), /ADDED watch event without an object/);
  });

  it("carry a Status for ERROR events, read as its JSON would be", () => {
    const status = Buffer.concat([msg(1), str(2, "Failure"), str(3, "too old resource version: 1 (2)"), str(4, "Expired"), int(6, 410)]);
    const ev = watchEvent(frame("ERROR", envelope("v1", "Status", status)).subarray(4));
    assert.equal(ev.type, "ERROR");
    assert.equal(ev.object.kind, "Status");
    assert.deepEqual(decodeStatus(ev.object.object), { kind: "Status", status: "Failure", message: "too old resource version: 1 (2)", reason: "Expired", code: 410 });
  });
});

describe("errors in protobuf", () => {
  it("give the Status's message and reason, or say what came", async () => {
    const forbidden = envelope("v1", "Status", Buffer.concat([msg(1), str(2, "Failure"), str(3, 'ingresses.networking.k8s.io is forbidden: User "x" cannot watch resource "ingresses"'), str(4, "Forbidden"), int(6, 403)]));
    const res = response("application/vnd.kubernetes.protobuf", 403);
    res.end(forbidden);
    const err = await apiErrorOf(res, "watch /apis/networking.k8s.io/v1/ingresses");
    assert.equal(err.statusCode, 403);
    assert.equal(err.reason, "Forbidden");
    assert.equal(err.message, 'watch /apis/networking.k8s.io/v1/ingresses: HTTP 403: ingresses.networking.k8s.io is forbidden: User "x" cannot watch resource "ingresses"');
    const junk = response("application/vnd.kubernetes.protobuf", 500);
    junk.end(Buffer.from([1, 2, 3]));
    assert.equal((await apiErrorOf(junk, "watch x")).message, "watch x: HTTP 500: 3 bytes of protobuf");
  });
});

describe("Ingresses from protobuf", () => {
  it("are exactly what trimming their JSON keeps", () => {
    for (const [b, json] of [[web, webJson], [gone, goneJson], [lb, lbJson]] as const) {
      const ev = watchEvent(frame("ADDED", ingressObj(b)).subarray(4));
      assert.deepStrictEqual(decodeIngress(ev.object.object), trimObject("Ingress", structuredClone(json)));
    }
  });

  it("share one status among Ingresses with the same, already trimmed (trimming again keeps it)", () => {
    const other = Buffer.concat([msg(1, str(1, "web2"), str(3, "shop"), str(6, "5")), msg(2), webStatus]);
    const a = decodeIngress(reader(web)) as { status: unknown };
    const b = decodeIngress(reader(other)) as { status: unknown };
    assert.equal(a.status, b.status);
    assert.deepStrictEqual((trimObject("Ingress", b) as { status: unknown }).status, b.status);
  });
});

/** A response as the transport gives it: status, headers, and a body written by the test. */
function response(contentType: string, statusCode = 200): IncomingMessage & PassThrough {
  return Object.assign(new PassThrough(), { statusCode, headers: { "content-type": contentType } }) as unknown as IncomingMessage & PassThrough;
}

describe("a reflector with a protobuf decoder", () => {
  it("asks for protobuf, lists and follows the stream, and relists after a 410 ERROR event", async () => {
    const stored = new Map<string, unknown>();
    const asked: { path: string; accept: string | undefined }[] = [];
    const bodies: (IncomingMessage & PassThrough)[] = [];
    const reflector = new Reflector(
      { kind: "Ingress", path: "/apis/networking.k8s.io/v1/ingresses", protobuf: decodeIngress },
      {
        get: async (path: string, opts: GetOptions) => {
          asked.push({ path, accept: opts.accept });
          const res = response("application/vnd.kubernetes.protobuf;stream=watch");
          bodies.push(res);
          return res;
        },
      },
      {
        upsert: (_k: WatchedKind, o: unknown) => void stored.set((o as { metadata: { name: string } }).metadata.name, o),
        remove: (_k: WatchedKind, o: unknown) => void stored.delete((o as { metadata: { name: string } }).metadata.name),
      },
    );
    const errors: unknown[] = [];
    reflector.onError((e) => errors.push(e));
    const end = ingressObj(msg(1, str(6, "2000"), entry(12, "k8s.io/initial-events-end", "true")));
    const started = reflector.start();
    await new Promise((r) => setImmediate(r));
    const first = bodies[0]!;
    first.write(Buffer.concat([frame("ADDED", ingressObj(web)), frame("ADDED", ingressObj(lb))]));
    first.write(frame("BOOKMARK", end));
    await started;
    assert.equal(reflector.streamsLists, true);
    assert.deepEqual([...stored.keys()].sort(), ["lb", "web"]);
    assert.deepStrictEqual(stored.get("web"), trimObject("Ingress", structuredClone(webJson)));
    // Then the same response goes on as the watch.
    first.write(frame("DELETED", ingressObj(lb)));
    first.write(frame("MODIFIED", ingressObj(gone)));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual([...stored.keys()].sort(), ["gone", "web"]);
    // 410 in the stream: a new streamed list.
    first.write(frame("ERROR", envelope("v1", "Status", Buffer.concat([str(2, "Failure"), str(4, "Expired"), int(6, 410)]))));
    for (let i = 0; i < 50 && bodies.length < 2; i++) await new Promise((r) => setTimeout(r, 2));
    assert.equal(bodies.length, 2, "listed again");
    assert.equal(reflector.counts.gone, 1);
    assert.ok(asked.every((a) => a.accept?.startsWith("application/vnd.kubernetes.protobuf") === true), "every watch asks for protobuf");
    assert.match(asked[1]!.path, /sendInitialEvents=true/);
    await reflector.stop();
    assert.deepEqual(errors, []);
  });

  it("reads JSON when the server answers JSON anyway, and ends a stream with a broken frame", async () => {
    const stored: string[] = [];
    const bodies: (IncomingMessage & PassThrough)[] = [];
    const types = ["application/json", "application/vnd.kubernetes.protobuf;stream=watch"];
    const reflector = new Reflector(
      { kind: "Ingress", path: "/apis/networking.k8s.io/v1/ingresses", protobuf: decodeIngress },
      { get: async () => (bodies.push(response(types.shift() ?? "application/json")), bodies[bodies.length - 1]!) },
      { upsert: (_k: WatchedKind, o: unknown) => void stored.push((o as { metadata: { name: string } }).metadata.name), remove: () => undefined },
    );
    const errors: unknown[] = [];
    reflector.onError((e) => errors.push(e));
    const started = reflector.start();
    await new Promise((r) => setImmediate(r));
    bodies[0]!.write(`${JSON.stringify({ type: "ADDED", object: webJson })}\n`);
    bodies[0]!.write(`${JSON.stringify({ type: "BOOKMARK", object: { metadata: { resourceVersion: "5", annotations: { "k8s.io/initial-events-end": "true" } } } })}\n`);
    await started;
    assert.deepEqual(stored, ["web"]);
    // The stream ends; the next watch is protobuf, and its frame is cut short inside a field.
    bodies[0]!.end();
    for (let i = 0; i < 50 && bodies.length < 2; i++) await new Promise((r) => setTimeout(r, 2));
    const broken = frame("ADDED", ingressObj(lb));
    broken.writeUInt32BE(12, 0);
    bodies[1]!.write(broken.subarray(0, 16));
    for (let i = 0; i < 50 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 2));
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /invalid event: protobuf: truncated/);
    await reflector.stop();
  });
});
