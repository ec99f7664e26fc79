/**
 * A networking.k8s.io/v1 Ingress in the API server's protobuf encoding, read into the fields
 * trimming keeps (trim.ts) and nothing else: managedFields, the `kubectl apply` copy, paths and
 * backends are skipped by their length.
 *
 * The result is what the JSON of the same Ingress holds in those fields, with Go's JSON rules
 * applied (an empty string or an empty map is absent; `spec`, `status` and
 * `status.loadBalancer` are always there; `ingressClassName` is a pointer, so "" stays), so
 * trimObject gives the same result for both (the status comes trimmed already, and may be shared
 * between Ingresses: never changed). test/rig/protobufWatch.test.ts compares them on a
 * real API server. Field numbers: k8s.io/api networking/v1 and apimachinery meta/v1 generated.proto.
 */
import { expectLen, VARINT, type Reader } from "./protobuf";
import { LAST_APPLIED_ANNOTATION, trimLoadBalancerStatus } from "./trim";

/**
 * Trimmed statuses by their encoded bytes. With a DaemonSet controller 10,000 Ingresses carry
 * the same status of 100 entries: decoded each time, that is a million strings and objects made
 * only to be dropped by trimming (measured: ~170 ms of a ~1.1 s start, and most of its garbage
 * collection). Bounded like intern.ts: cleared when full, nothing depends on a hit.
 */
const statuses = new Map<string, unknown>();
const MAX_STATUSES = 10_000;

/** A map<string,string> entry: key 1, value 2 (the last-applied copy is not decoded). */
function mapEntry(r: Reader): [string, string] {
  let key = "";
  let value = "";
  r.fields((no, wire) => {
    if (no !== 1 && no !== 2) return false;
    expectLen(wire);
    if (no === 1) key = r.string();
    else if (key === LAST_APPLIED_ANNOTATION) r.sub();
    else value = r.string();
    return true;
  });
  return [key, value];
}

/** meta/v1 Time { seconds 1 } as Go's JSON writes it: RFC 3339, whole seconds, UTC. */
function time(r: Reader): string {
  let seconds = 0;
  r.fields((no, wire) => {
    if (no !== 1 || wire !== VARINT) return false;
    seconds = r.varint();
    return true;
  });
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** ObjectMeta: name 1, namespace 3, resourceVersion 6, deletionTimestamp 9, labels 11, annotations 12. */
export function objectMeta(r: Reader): Record<string, unknown> {
  const m: Record<string, unknown> = {};
  let labels: Record<string, string> | undefined;
  let annotations: Record<string, string> | undefined;
  r.fields((no, wire) => {
    switch (no) {
      case 1:
      case 3:
      case 6: {
        expectLen(wire);
        const s = r.string();
        if (s !== "") m[no === 1 ? "name" : no === 3 ? "namespace" : "resourceVersion"] = s;
        return true;
      }
      case 9:
        expectLen(wire);
        m.deletionTimestamp = time(r.sub());
        return true;
      case 11: {
        expectLen(wire);
        const [k, v] = mapEntry(r.sub());
        (labels ??= {})[k] = v;
        return true;
      }
      case 12: {
        expectLen(wire);
        const [k, v] = mapEntry(r.sub());
        // An annotations map holding only the last-applied copy trims to {}, as from JSON.
        annotations ??= {};
        if (k !== LAST_APPLIED_ANNOTATION) annotations[k] = v;
        return true;
      }
      default:
        return false;
    }
  });
  if (labels !== undefined) m.labels = labels;
  if (annotations !== undefined) m.annotations = annotations;
  return m;
}

/** IngressSpec: rules 3 (IngressRule: host 1), ingressClassName 4. */
function ingressSpec(r: Reader): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  const rules: Record<string, unknown>[] = [];
  r.fields((no, wire) => {
    if (no === 3) {
      expectLen(wire);
      const rule: Record<string, unknown> = {};
      const rr = r.sub();
      rr.fields((n, w) => {
        if (n !== 1) return false;
        expectLen(w);
        const host = rr.string();
        if (host !== "") rule.host = host;
        return true;
      });
      rules.push(rule);
    } else if (no === 4) {
      expectLen(wire);
      spec.ingressClassName = r.string();
    } else return false;
    return true;
  });
  if (rules.length > 0) spec.rules = rules;
  return spec;
}

/** An IngressStatus, trimmed (trimLoadBalancerStatus), decoded once per distinct encoding. */
function trimmedStatus(r: Reader): unknown {
  const key = r.buf.toString("latin1", r.pos, r.end);
  const found = statuses.get(key);
  if (found !== undefined) return found;
  const status = trimLoadBalancerStatus(ingressStatus(r));
  if (statuses.size >= MAX_STATUSES) statuses.clear();
  statuses.set(key, status);
  return status;
}

/** IngressStatus: loadBalancer 1 (IngressLoadBalancerStatus: ingress 1 (ip 1, hostname 2)). */
function ingressStatus(r: Reader): Record<string, unknown> {
  const entries: Record<string, unknown>[] = [];
  r.fields((no, wire) => {
    if (no !== 1) return false;
    expectLen(wire);
    const lb = r.sub();
    lb.fields((n, w) => {
      if (n !== 1) return false;
      expectLen(w);
      const entry: Record<string, unknown> = {};
      const e = lb.sub();
      e.fields((f, fw) => {
        if (f !== 1 && f !== 2) return false;
        expectLen(fw);
        const s = e.string();
        if (s !== "") entry[f === 1 ? "ip" : "hostname"] = s;
        return true;
      });
      entries.push(entry);
      return true;
    });
    return true;
  });
  return { loadBalancer: entries.length > 0 ? { ingress: entries } : {} };
}

/** Ingress: metadata 1, spec 2, status 3; in the shape of its JSON's kept fields. */
export function decodeIngress(r: Reader): Record<string, unknown> {
  let metadata: Record<string, unknown> = {};
  let spec: Record<string, unknown> = {};
  let status: unknown = { loadBalancer: {} };
  r.fields((no, wire) => {
    if (no < 1 || no > 3) return false;
    expectLen(wire);
    const sub = r.sub();
    if (no === 1) metadata = objectMeta(sub);
    else if (no === 2) spec = ingressSpec(sub);
    else status = trimmedStatus(sub);
    return true;
  });
  return { metadata, spec, status };
}
