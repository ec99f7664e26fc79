/**
 * List+watch of one resource, written for the failure modes of a real API server (the
 * client-node informer it replaces listed without `limit`, kept whole objects, set no watch
 * timeout, and a watch whose API server vanished behind a service IP stayed silent ~12 minutes):
 *
 * - lists as one stream where the API server can (a watch with `sendInitialEvents`, the WatchList
 *   feature, on by default since Kubernetes 1.34): every object arrives as an ADDED event, then a
 *   bookmark marks the end of the list and the same response goes on as the watch. No pages, no
 *   round trips between them, and one small event parsed at a time instead of a page (10,000
 *   realistic Ingresses listing 100 nodes each, the bundle on kube-apiserver 1.37, measured:
 *   start to /startupz 2.34-2.44 s paged by 50, 1.47-1.72 s streamed; RSS 120-125 MiB against
 *   98-104). A server that refuses it (the feature gate off) gets paged lists from then on;
 * - watches (streamed lists included) of a kind with a protobuf decoder ask for the API server's
 *   protobuf stream (protobuf.ts): for Ingresses the API server sends a streamed list ~2.5x as
 *   fast as in JSON, and the sidecar decodes only the fields it keeps (same 10,000 Ingresses:
 *   start to /startupz 1.0-1.3 s against 1.5-1.8 s streamed in JSON, RSS ~104 MiB). A server
 *   that answers in JSON anyway is read as JSON;
 * - lists in pages (`limit`, `continue`) otherwise; an expired continue token starts the list again;
 * - every object is trimmed (trim.ts) before it reaches the store;
 * - each watch asks the server to end it after `watchTimeoutSeconds`, and is aborted by the
 *   client if it is still open `watchGraceMs` later: a frozen or unreachable API server is
 *   noticed within watchTimeoutSeconds + watchGraceMs (40 s by default), whatever TCP does;
 * - a watch the server ended normally is reopened from the last resourceVersion (cheap: served
 *   from the API server's watch cache); 410 Gone (compaction, a restarted API server) relists;
 * - a relist upserts only objects whose resourceVersion changed and removes the ones that
 *   vanished meanwhile, so the store converges without a blank moment.
 *
 * It implements the controller's WatchSource: start() resolves once the list is in and the watch
 * is open (or after an error was reported), errors are reported through onError and leave the
 * reflector stopped until start() is called again (the controller backs off and does that).
 */
import type { IncomingMessage } from "node:http";
import type { WatchSource } from "../watch";
import { isObj, readMeta, type Obj } from "./objects";
import type { WatchedKind } from "./store";
import { decodeStatus, FrameSplitter, isProtobuf, PROTOBUF_WATCH_ACCEPT, watchEvent, type Reader } from "./protobuf";
import { ApiError, apiErrorOf, type GetOptions, type KubeTransport } from "./transport";
import { trimObject } from "./trim";

/**
 * Objects per list page. Each page is one JSON string and its parsed objects, garbage once the
 * trimmed copies are stored, and the sidecar's peak memory follows the page size (measured with
 * the bundle and the image's node flags at 10,000 realistic Ingresses, 5.5 KiB each: peak RSS
 * 152 MiB with pages of 500, 121 with 100, 96 with 50; time to ready 1.5-1.8 s in each case).
 */
export const DEFAULT_PAGE_SIZE = 50;
export const DEFAULT_WATCH_TIMEOUT_SECONDS = 30;
export const DEFAULT_WATCH_GRACE_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export interface ReflectorTarget {
  upsert(kind: WatchedKind, obj: unknown): void;
  remove(kind: WatchedKind, obj: unknown): void;
}

/** Told about paging and relists (the sidecar counts them in /metrics). */
export interface ReflectorObserver {
  listPage(kind: WatchedKind): void;
  relistAfterGone(kind: WatchedKind): void;
}

export interface ReflectorOptions {
  readonly kind: WatchedKind;
  /** Collection path, e.g. /apis/networking.k8s.io/v1/ingresses. */
  readonly path: string;
  /** An optional source (see WatchSource.optional). @default false */
  readonly optional?: boolean;
  /** Extra query parameters for list and watch (labelSelector, fieldSelector). @default {} */
  readonly query?: Readonly<Record<string, string>>;
  /** Objects per list page. @default DEFAULT_PAGE_SIZE */
  readonly pageSize?: number;
  /** Server-side watch timeout. @default DEFAULT_WATCH_TIMEOUT_SECONDS */
  readonly watchTimeoutSeconds?: number;
  /** How long past the server-side timeout the client waits before aborting the watch. @default DEFAULT_WATCH_GRACE_MS */
  readonly watchGraceMs?: number;
  /** Response headers, and silence within a list body, may take this long. @default DEFAULT_REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
  /** Try a streamed list (watch with sendInitialEvents) before paging. @default true */
  readonly watchList?: boolean;
  /**
   * Reads this kind's objects from the API server's protobuf encoding into exactly what
   * trimObject() keeps of their JSON (they are not trimmed again); with it, watches ask for protobuf.
   * @default undefined: JSON only
   */
  readonly protobuf?: (object: Reader) => unknown;
}

/** A watch event, from either encoding. */
interface WatchEvent {
  readonly type: unknown;
  readonly object: unknown;
}

/** A watch response being read; `ended` settles when it ends: true for a 410 ERROR event. */
interface Stream {
  readonly ended: Promise<boolean>;
}

/** The list part of a streamed list: the keys seen, and what to do at its end bookmark. */
interface InitialEvents {
  readonly seen: Set<string>;
  done: boolean;
  readonly end: () => void;
}

/** The annotation of the bookmark that ends a streamed list's initial events. */
const INITIAL_EVENTS_END = "k8s.io/initial-events-end";

/** 410 Gone: the resourceVersion (or continue token) is older than what the server still has. */
class Gone extends Error {}

function keyOf(obj: unknown): string | undefined {
  const m = readMeta(obj);
  return m === undefined ? undefined : `${m.namespace}/${m.name}`;
}

function rvOf(obj: unknown): string {
  return isObj(obj) && isObj(obj.metadata) && typeof obj.metadata.resourceVersion === "string" ? obj.metadata.resourceVersion : "";
}

function stubOf(key: string): Obj {
  const i = key.indexOf("/");
  return { metadata: { namespace: key.slice(0, i), name: key.slice(i + 1) } };
}

export class Reflector implements WatchSource {
  readonly name: string;
  readonly optional: boolean;
  private readonly errorCbs: Array<(err: unknown) => void> = [];
  /** Object key -> resourceVersion of what the store holds. */
  private readonly known = new Map<string, string>();
  private resourceVersion: string | undefined;
  private abort: AbortController | undefined;
  private lastActivityAt: number | undefined;
  private readonly pageSize: number;
  private readonly watchTimeoutSeconds: number;
  private readonly watchGraceMs: number;
  private readonly requestTimeoutMs: number;
  /** Streamed lists: undefined until the server took or refused one. */
  private watchListOn: boolean | undefined;
  /** Lists and watches done, for metrics and tests. */
  readonly counts = { lists: 0, listPages: 0, watches: 0, gone: 0, events: 0 };

  constructor(
    private readonly opts: ReflectorOptions,
    private readonly transport: KubeTransport,
    private readonly target: ReflectorTarget,
    private readonly observer?: ReflectorObserver,
    private readonly now: () => number = Date.now,
  ) {
    this.name = opts.kind;
    this.optional = opts.optional ?? false;
    this.pageSize = opts.pageSize ?? DEFAULT_PAGE_SIZE;
    this.watchTimeoutSeconds = opts.watchTimeoutSeconds ?? DEFAULT_WATCH_TIMEOUT_SECONDS;
    this.watchGraceMs = opts.watchGraceMs ?? DEFAULT_WATCH_GRACE_MS;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    if (opts.watchList === false) this.watchListOn = false;
  }

  /** Whether lists are streamed (true), paged (false), or not tried yet (undefined). */
  get streamsLists(): boolean | undefined {
    return this.watchListOn;
  }

  onError(cb: (err: unknown) => void): void {
    this.errorCbs.push(cb);
  }

  /** When the reflector last heard from the API server (a page, an event, a watch opened or ended). */
  lastActivity(): number | undefined {
    return this.lastActivityAt;
  }

  async start(): Promise<void> {
    this.abort?.abort();
    const ac = new AbortController();
    this.abort = ac;
    try {
      const stream = await this.sync(ac.signal);
      void this.follow(stream, ac.signal);
    } catch (err) {
      if (!ac.signal.aborted) this.fail(err);
    }
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    this.abort = undefined;
  }

  private fail(err: unknown): void {
    this.abort?.abort();
    this.abort = undefined;
    for (const cb of this.errorCbs) cb(err);
  }

  private touch(): void {
    this.lastActivityAt = this.now();
  }

  /** Lists when needed and opens a watch; lists again once when the watch says 410. */
  private async sync(signal: AbortSignal): Promise<Stream> {
    try {
      return await this.resume(signal);
    } catch (err) {
      if (!(err instanceof Gone)) throw err;
      this.counts.gone++;
      this.observer?.relistAfterGone(this.opts.kind);
      this.resourceVersion = undefined;
      return this.resume(signal);
    }
  }

  /** A watch from the last resourceVersion; without one, a streamed list, or a paged list and a watch. */
  private async resume(signal: AbortSignal): Promise<Stream> {
    if (this.resourceVersion === undefined) {
      if (this.watchListOn !== false) {
        const streamed = await this.streamList(signal);
        if (streamed !== undefined) return streamed;
      }
      await this.list(signal);
    }
    return { ended: this.consume(await this.openWatch(signal), signal) };
  }

  /** Reads watch streams until aborted or failed; reopens (and lists again on 410) in between. */
  private async follow(first: Stream, signal: AbortSignal): Promise<void> {
    let stream = first;
    try {
      for (;;) {
        const gone = await stream.ended;
        if (signal.aborted) return;
        if (gone) {
          this.counts.gone++;
          this.observer?.relistAfterGone(this.opts.kind);
          this.resourceVersion = undefined;
        }
        stream = await this.sync(signal);
      }
    } catch (err) {
      if (!signal.aborted) this.fail(err);
    }
  }

  /**
   * A streamed list: resolves once its initial events ended (the store then equals the list, and
   * the stream goes on as the watch), or undefined when the server refuses streamed lists.
   */
  private async streamList(signal: AbortSignal): Promise<Stream | undefined> {
    const path = this.query({
      watch: "true",
      sendInitialEvents: "true",
      resourceVersionMatch: "NotOlderThan",
      resourceVersion: "",
      allowWatchBookmarks: "true",
      timeoutSeconds: String(this.watchTimeoutSeconds),
    });
    const res = await this.transport.get(path, this.watchRequest(signal));
    if (res.statusCode === 400 || res.statusCode === 422) {
      // "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled"
      const err = await apiErrorOf(res, `watch ${this.opts.path}`);
      if (!/sendInitialEvents|resourceVersionMatch/.test(err.message)) throw err;
      this.watchListOn = false;
      return undefined;
    }
    if (res.statusCode !== 200) throw await apiErrorOf(res, `watch ${this.opts.path}`);
    this.counts.lists++;
    this.counts.watches++;
    this.touch();
    let synced: () => void = () => undefined;
    const listed = new Promise<"listed">((r) => (synced = () => r("listed")));
    const initial: InitialEvents = {
      seen: new Set(),
      done: false,
      end: () => {
        initial.done = true;
        this.removeUnseen(initial.seen);
        synced();
      },
    };
    const ended = this.consume(res, signal, initial);
    const first = await Promise.race([listed, ended]);
    if (first !== "listed") {
      if (first) throw new Gone();
      // The stream ended before its list did (a server that took the parameters but sent no
      // end bookmark within the watch's timeout): page instead, from now on.
      this.watchListOn = false;
      this.resourceVersion = undefined;
      return undefined;
    }
    this.watchListOn = true;
    this.counts.listPages++;
    this.observer?.listPage(this.opts.kind);
    return { ended };
  }

  /** Forgets (and removes from the store) every known object a list did not have. */
  private removeUnseen(seen: ReadonlySet<string>): void {
    for (const key of [...this.known.keys()]) {
      if (!seen.has(key)) {
        this.known.delete(key);
        this.target.remove(this.opts.kind, stubOf(key));
      }
    }
  }

  private query(extra: Record<string, string>): string {
    const q = new URLSearchParams({ ...(this.opts.query ?? {}), ...extra });
    return `${this.opts.path}?${q.toString()}`;
  }

  /** A full paged list; the store ends up equal to it. */
  private async list(signal: AbortSignal): Promise<void> {
    this.counts.lists++;
    const seen = new Set<string>();
    let cont: string | undefined;
    let rv = "";
    for (;;) {
      const path = this.query({ limit: String(this.pageSize), ...(cont === undefined ? {} : { continue: cont }) });
      const res = await this.transport.get(path, { headersTimeoutMs: this.requestTimeoutMs, signal });
      if (res.statusCode === 410 && cont !== undefined) {
        // The continue token expired mid-list: start over.
        res.resume();
        seen.clear();
        cont = undefined;
        continue;
      }
      if (res.statusCode !== 200) throw await apiErrorOf(res, `list ${this.opts.path}`);
      const page = await this.readJson(res, `list ${this.opts.path}`);
      this.counts.listPages++;
      this.observer?.listPage(this.opts.kind);
      this.touch();
      const items = isObj(page) && Array.isArray(page.items) ? page.items : [];
      for (const item of items) this.apply(item, seen);
      const meta = isObj(page) && isObj(page.metadata) ? page.metadata : {};
      rv = typeof meta.resourceVersion === "string" ? meta.resourceVersion : rv;
      cont = typeof meta.continue === "string" && meta.continue !== "" ? meta.continue : undefined;
      if (cont === undefined) break;
    }
    this.removeUnseen(seen);
    this.resourceVersion = rv;
  }

  /** Upserts one listed object unless the store already has this version of it. */
  private apply(item: unknown, seen: Set<string>, trimmed = false): void {
    const key = keyOf(item);
    // A nameless object still reaches the store, which reports it as malformed.
    if (key === undefined) {
      this.target.upsert(this.opts.kind, this.trim(item, trimmed));
      return;
    }
    seen.add(key);
    const rv = rvOf(item);
    if (rv !== "" && this.known.get(key) === rv) return;
    this.known.set(key, rv);
    this.target.upsert(this.opts.kind, this.trim(item, trimmed));
  }

  /** What the store gets of an object; the protobuf decoders' objects come trimmed already. */
  private trim(obj: unknown, trimmed: boolean): unknown {
    return trimmed ? obj : trimObject(this.opts.kind, obj);
  }

  private readJson(res: IncomingMessage, what: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      // Silence inside a list body is a stuck server too.
      res.setTimeout(this.requestTimeoutMs, () => res.destroy(new Error(`${what}: no data for ${this.requestTimeoutMs} ms`)));
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString()) as unknown);
        } catch (err) {
          reject(new Error(`${what}: invalid JSON: ${String(err)}`));
        }
      });
      res.on("error", reject);
      res.on("aborted", () => reject(new Error(`${what}: response aborted`)));
    });
  }

  private watchRequest(signal: AbortSignal): GetOptions {
    return { headersTimeoutMs: this.requestTimeoutMs, signal, ...(this.opts.protobuf === undefined ? {} : { accept: PROTOBUF_WATCH_ACCEPT }) };
  }

  private async openWatch(signal: AbortSignal): Promise<IncomingMessage> {
    this.counts.watches++;
    const path = this.query({
      watch: "true",
      resourceVersion: this.resourceVersion ?? "",
      allowWatchBookmarks: "true",
      timeoutSeconds: String(this.watchTimeoutSeconds),
    });
    const res = await this.transport.get(path, this.watchRequest(signal));
    if (res.statusCode === 410) {
      res.resume();
      throw new Gone();
    }
    if (res.statusCode !== 200) throw await apiErrorOf(res, `watch ${this.opts.path}`);
    this.touch();
    return res;
  }

  /**
   * Applies the events of one watch response. Resolves false when the server ended the watch,
   * true on a 410 ERROR event; rejects when the stream fails or outlives its deadline.
   */
  private consume(res: IncomingMessage, signal: AbortSignal, initial?: InitialEvents): Promise<boolean> {
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (err: unknown, gone = false) => {
        if (done) return;
        done = true;
        clearTimeout(deadline);
        signal.removeEventListener("abort", onAbort);
        if (err !== undefined) {
          res.destroy();
          reject(err);
        } else resolve(gone);
      };
      const onAbort = () => {
        res.destroy();
        finish(undefined);
      };
      signal.addEventListener("abort", onAbort);
      const limit = this.watchTimeoutSeconds * 1000 + this.watchGraceMs;
      const deadline = setTimeout(
        () => finish(new Error(`watch ${this.opts.path}: still open ${limit} ms after asking the server to end it at ${this.watchTimeoutSeconds} s: API server unresponsive`)),
        limit,
      );
      const decode = this.opts.protobuf;
      if (decode !== undefined && isProtobuf(res.headers["content-type"])) {
        const frames = new FrameSplitter();
        res.on("data", (chunk: Buffer) => {
          let events: Buffer[];
          try {
            events = frames.push(chunk);
          } catch (err) {
            return finish(new Error(`watch ${this.opts.path}: ${String(err)}`));
          }
          for (const frame of events) {
            const outcome = this.event(() => protobufEvent(frame, decode), initial, true);
            if (outcome === "gone") return finish(undefined, true);
            if (outcome instanceof Error) return finish(outcome);
          }
        });
      } else {
        let buf = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line === "") continue;
            const outcome = this.event(() => parseLine(line), initial);
            if (outcome === "gone") return finish(undefined, true);
            if (outcome instanceof Error) return finish(outcome);
          }
        });
      }
      res.on("end", () => {
        this.touch();
        finish(undefined);
      });
      res.on("error", (err) => finish(err));
      res.on("aborted", () => finish(new Error(`watch ${this.opts.path}: connection lost`)));
    });
  }

  /** Applies one event; `read` decodes it (a JSON line, a protobuf frame) and throws on a broken one. */
  private event(read: () => unknown, initial?: InitialEvents, trimmed = false): "ok" | "gone" | Error {
    let ev: unknown;
    try {
      ev = read();
    } catch (err) {
      return new Error(`watch ${this.opts.path}: invalid event: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.touch();
    this.counts.events++;
    if (!isObj(ev)) return "ok";
    const obj = ev.object;
    const rv = rvOf(obj);
    if (initial !== undefined && !initial.done) {
      // A streamed list's objects: like a page's (only changed versions reach the store).
      if (ev.type === "ADDED") {
        this.apply(obj, initial.seen, trimmed);
        return "ok";
      }
      if (ev.type === "BOOKMARK" && isObj(obj) && isObj(obj.metadata) && isObj(obj.metadata.annotations) && obj.metadata.annotations[INITIAL_EVENTS_END] === "true") {
        initial.end();
        if (rv !== "") this.resourceVersion = rv;
        return "ok";
      }
    }
    switch (ev.type) {
      case "ADDED":
      case "MODIFIED": {
        const key = keyOf(obj);
        if (key !== undefined) this.known.set(key, rv);
        this.target.upsert(this.opts.kind, this.trim(obj, trimmed));
        break;
      }
      case "DELETED": {
        const key = keyOf(obj);
        if (key !== undefined) this.known.delete(key);
        this.target.remove(this.opts.kind, this.trim(obj, trimmed));
        break;
      }
      case "BOOKMARK":
        break;
      case "ERROR": {
        const status = isObj(obj) ? obj : {};
        if (status.code === 410) return "gone";
        return new ApiError(typeof status.code === "number" ? status.code : 0, `watch ${this.opts.path}: ${typeof status.message === "string" ? status.message : JSON.stringify(status)}`);
      }
      default:
        return "ok";
    }
    if (rv !== "") this.resourceVersion = rv;
    return "ok";
  }
}

/** A protobuf watch frame as the event its JSON would be: a Status for ERROR, else the kind's object. */
function protobufEvent(frame: Buffer, decode: (object: Reader) => unknown): WatchEvent {
  const { type, object } = watchEvent(frame);
  return { type, object: object.kind === "Status" ? decodeStatus(object.object) : decode(object.object) };
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    throw new Error(line.slice(0, 200));
  }
}
